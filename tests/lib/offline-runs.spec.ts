/**
 * The offline engine keeps a successful run of this checkout's programs by everything it reads (lib/offline
 * runLayer): asked again, it answers without evaluating, each caller with a copy of its own; a change of settings,
 * of a stack reference's outputs or of the environment evaluates anew.
 */
import * as assert from "assert";
import { evaluations, KEEP_VARIABLE, runLayer } from "../../lib/offline";

describe("the offline engine's kept runs (lib/offline)", () => {
    it("the same run twice: the same graph, each caller's copy its own", async () => {
        const first = await runLayer("infra", { env: "staging" });
        const before = evaluations();
        const second = await runLayer("infra", { env: "staging" });
        assert.strictEqual(evaluations(), before, "kept, not evaluated again");
        assert.notStrictEqual(first.resources, second.resources);
        assert.deepStrictEqual(second.resources, first.resources);
        assert.deepStrictEqual(second.outputs, first.outputs);
        const cluster = (r: typeof first) => r.one("eks:index:Cluster");
        cluster(first).inputs.version = "changed by a test";
        first.resources.pop();
        const third = await runLayer("infra", { env: "staging" });
        assert.strictEqual(third.resources.length, second.resources.length);
        assert.strictEqual(cluster(third).inputs.version, cluster(second).inputs.version);
    });

    it("other settings, another environment or another process environment: evaluated anew", async () => {
        // A variable of this test's own: none of these runs was kept by another suite of this process.
        const MARK = "GITOPS_TEST_KEPT_RUNS_MARK";
        const [mark, today] = [process.env[MARK], process.env.GITOPS_TODAY];
        process.env[MARK] = `${process.pid}-${Math.random()}`;
        try {
            const before = evaluations();
            const base = await runLayer("infra", { env: "staging" });
            assert.strictEqual(evaluations(), before + 1, "the process environment changed");
            const zones = await runLayer("infra", { env: "staging", config: { "infra:availabilityZoneCount": 3 } });
            assert.strictEqual(evaluations(), before + 2, "other settings");
            assert.notDeepStrictEqual(zones.outputs.privateSubnetIds, base.outputs.privateSubnetIds);
            const production = await runLayer("infra", { env: "production" });
            assert.strictEqual(production.env, "production");
            assert.strictEqual(evaluations(), before + 3, "another environment");
            // A date past the default version's end of support: the program says so, so it did run again.
            process.env.GITOPS_TODAY = "2099-01-01";
            const later = await runLayer("infra", { env: "staging" });
            assert.strictEqual(evaluations(), before + 4, "another day");
            assert.notDeepStrictEqual(later.warnings, base.warnings);
            await runLayer("infra", { env: "staging" });
            assert.strictEqual(evaluations(), before + 4, "the same again: kept");
        } finally {
            for (const [key, value] of [[MARK, mark], ["GITOPS_TODAY", today]] as const) {
                if (value === undefined) delete process.env[key];
                else process.env[key] = value;
            }
        }
    });

    it(`${KEEP_VARIABLE}=0 evaluates every run (what npm run bench times)`, async () => {
        const previous = process.env[KEEP_VARIABLE];
        process.env[KEEP_VARIABLE] = "0";
        try {
            const before = evaluations();
            await runLayer("infra", { env: "staging" });
            await runLayer("infra", { env: "staging" });
            assert.strictEqual(evaluations(), before + 2);
        } finally {
            if (previous === undefined) delete process.env[KEEP_VARIABLE];
            else process.env[KEEP_VARIABLE] = previous;
        }
    });
});
