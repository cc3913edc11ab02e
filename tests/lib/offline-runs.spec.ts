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
        const base = await runLayer("infra", { env: "staging" });
        const before = evaluations();
        const zones = await runLayer("infra", { env: "staging", config: { "infra:availabilityZoneCount": 3 } });
        assert.strictEqual(evaluations(), before + 1);
        assert.notDeepStrictEqual(zones.outputs.privateSubnetIds, base.outputs.privateSubnetIds);
        const production = await runLayer("infra", { env: "production" });
        assert.strictEqual(production.env, "production");
        assert.strictEqual(evaluations(), before + 2);
        const today = process.env.GITOPS_TODAY;
        try {
            // A date past the default version's end of support: the program says so, so it did run again.
            process.env.GITOPS_TODAY = "2099-01-01";
            const later = await runLayer("infra", { env: "staging" });
            assert.strictEqual(evaluations(), before + 3);
            assert.notDeepStrictEqual(later.warnings, base.warnings);
        } finally {
            process.env.GITOPS_TODAY = today;
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
