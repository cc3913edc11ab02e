/**
 * tools/deploy.ts (npm run deploy) with the Automation API's workspace replaced by a fake (fake-workspace.ts): no
 * Pulumi CLI, no cloud. Order, policy pack, stacks never created, and what it says about a locked or half-done stack.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../tools/deploy";
import { MISSING_CLI } from "../../tools/stacks";
import { LOCKED_STDERR, cliError, fakeWorkspace, tempRoot } from "./fake-workspace";

describe("npm run deploy (tools/deploy.ts, Automation API faked)", () => {
    for (const env of ["staging", "production"]) {
        it(`deploy ${env}: pulumi up of infra, platform, apps in that order, each stack in its own folder, policy pack on every up`, async () => {
            const root = tempRoot();
            const f = fakeWorkspace({ root });
            assert.strictEqual(await main([env, "--org", "acme"], f.deps, {}), 0, f.err.join("\n"));
            assert.deepStrictEqual(f.ops(), ["up infra", "up platform", "up apps"]);
            const opens = f.calls.filter((c) => c.op === "open");
            assert.deepStrictEqual(opens.map((c) => c.workDir), ["infra", "platform", "apps"].map((l) => path.join(root, l)));
            assert.ok(opens.every((c) => c.stackName === `acme/${env}`));
            assert.deepStrictEqual(f.calls.slice(0, 3).map((c) => c.op), ["open", "open", "open"], "every stack is checked before the first up");
            for (const c of f.calls.filter((c) => c.op === "up")) {
                assert.deepStrictEqual(c.options.policyPacks, [path.join(root, "policies")]);
                assert.deepStrictEqual(c.options.policyPackConfigs, [path.join(root, "policies", "config", `${env}.json`)]);
            }
        });
    }

    it("--preview previews the three layers with the policy pack and changes nothing", async () => {
        const f = fakeWorkspace({ root: tempRoot() });
        assert.strictEqual(await main(["staging", "--preview"], f.deps, {}), 0);
        assert.deepStrictEqual(f.ops(), ["preview infra", "preview platform", "preview apps"]);
        assert.ok(f.calls.filter((c) => c.op === "preview").every((c) => c.options.policyPacks.length === 1 && c.options.policyPackConfigs.length === 1));
    });

    it("the organization comes from --org, else $PULUMI_ORG, else the CLI's default", async () => {
        for (const [argv, env, expected] of [
            [["staging", "--org", "acme"], { PULUMI_ORG: "other" }, "acme/staging"],
            [["staging"], { PULUMI_ORG: "other" }, "other/staging"],
            [["staging"], {}, "staging"],
        ] as const) {
            const f = fakeWorkspace({ root: tempRoot() });
            assert.strictEqual(await main([...argv], f.deps, { ...env }), 0);
            assert.strictEqual(f.calls[0].stackName, expected);
        }
    });

    it("stops at the first failing layer, names it with Pulumi's error, runs nothing after it, and says a rerun resumes", async () => {
        const f = fakeWorkspace({ root: tempRoot(), failOn: { platform: "" } });
        assert.strictEqual(await main(["staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.ops(), ["up infra", "up platform"]);
        const text = f.err.join("\n");
        assert.match(text, /✗ platform: pulumi up failed: error: platform exploded/);
        assert.match(text, /Stopped: apps not run\./);
        assert.match(text, /leaves platform's state consistent: fix the cause and run the command again/);
        assert.doesNotMatch(text, /pulumi -C platform cancel/, "an ordinary failure is not a lock");
    });

    describe("a locked or interrupted stack", () => {
        it("a stack whose last update is still in progress: nothing runs, and it says what happened and what to run", async () => {
            const f = fakeWorkspace({ root: tempRoot(), lastUpdate: { platform: { kind: "update", result: "in-progress", startTime: "2026-11-24T22:10:00.000Z" } } });
            assert.strictEqual(await main(["staging", "--org", "acme"], f.deps, {}), 1);
            assert.deepStrictEqual(f.ops(), [], "not even infra is updated");
            const text = f.err.join("\n");
            assert.match(text, /Not started: nothing was changed\./);
            assert.match(text, /platform \(stack acme\/staging\) is locked: its last update \(started 2026-11-24T22:10:00\.000Z\) is still marked in progress/);
            assert.match(text, /another update is running .* or one was killed \(a cancelled or timed-out job, a lost runner\)/);
            assert.match(text, /never cancel one that is alive/);
            assert.match(text, /pulumi -C platform cancel --yes -s acme\/staging/);
            assert.match(text, /pulumi -C platform refresh --yes -s acme\/staging/);
            assert.match(text, /README, Recovery/);
            assert.doesNotMatch(text, /infra \(stack|apps \(stack/, "only the locked stack is named");
        });

        it("a lock met by pulumi up (the CLI's 409 conflict) is a ConcurrentUpdateError: named as a lock, with the same advice", async () => {
            assert.strictEqual(cliError(LOCKED_STDERR).name, "ConcurrentUpdateError", "what the Automation API throws for this stderr");
            const f = fakeWorkspace({ root: tempRoot(), failOn: { infra: LOCKED_STDERR } });
            assert.strictEqual(await main(["production", "--org", "acme"], f.deps, {}), 1);
            assert.deepStrictEqual(f.ops(), ["up infra"]);
            const text = f.err.join("\n");
            assert.match(text, /✗ infra: pulumi up failed: error: \[409\] Conflict: Another update is currently in progress\./);
            assert.match(text, /Stopped: platform, apps not run\./);
            assert.match(text, /infra \(stack acme\/production\) is locked: Pulumi refused to start because another update holds the stack/);
            assert.match(text, /pulumi -C infra cancel --yes -s acme\/production/);
        });

        it("a DIY backend's lock is recognised too", async () => {
            const f = fakeWorkspace({ root: tempRoot(), failOn: { apps: "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" } });
            assert.strictEqual(await main(["staging"], f.deps, {}), 1);
            assert.match(f.err.join("\n"), /apps \(stack staging\) is locked.*\n.*\n.*delete the lock file the error names under \.pulumi\/locks\//);
        });

        it("operations an interrupted update left pending: nothing runs; each is listed, with refresh, import or clear of pending creates", async () => {
            const urn = "urn:pulumi:staging::infra::gitops:infra:NodeGroups$aws:eks/nodeGroup:NodeGroup::nodes-1";
            const f = fakeWorkspace({
                root: tempRoot(),
                pending: { infra: [{ resource: { urn, type: "aws:eks/nodeGroup:NodeGroup" }, type: "creating" }, { resource: { urn: `${urn}x` }, type: "updating" }] },
            });
            assert.strictEqual(await main(["staging", "--org", "acme"], f.deps, {}), 1);
            assert.deepStrictEqual(f.ops(), []);
            const text = f.err.join("\n");
            assert.match(text, /infra \(stack acme\/staging\) has 2 operation\(s\) an interrupted update left pending, in an unknown state/);
            assert.ok(text.includes(`${urn} (interrupted while creating)`));
            assert.match(text, /would create duplicates/);
            assert.match(text, /pulumi -C infra refresh --yes -s acme\/staging   \(reconciles the state, clears pending updates and deletes\)/);
            assert.match(text, /--import-pending-creates <urn> <id>/);
            assert.match(text, /--clear-pending-creates/);
            assert.match(text, /stack export -s acme\/staging --file state\.json, remove "pending_operations"/);
        });

        it("pending updates alone do not suggest clearing pending creates", async () => {
            const f = fakeWorkspace({ root: tempRoot(), pending: { apps: [{ resource: { urn: "urn:pulumi:staging::apps::x::y" }, type: "deleting" }] } });
            assert.strictEqual(await main(["staging"], f.deps, {}), 1);
            assert.doesNotMatch(f.err.join("\n"), /pending-creates/);
        });

        it("pending operations reported by pulumi up itself are explained from its message", async () => {
            const stderr = "error: the current deployment has 1 resource(s) with pending operations:\n  * urn:pulumi:staging::platform::k::argocd, interrupted while creating\n";
            const f = fakeWorkspace({ root: tempRoot(), failOn: { platform: stderr } });
            assert.strictEqual(await main(["staging"], f.deps, {}), 1);
            const text = f.err.join("\n");
            assert.match(text, /platform \(stack staging\) has 1 operation\(s\).*\n\s+urn:pulumi:staging::platform::k::argocd \(interrupted while creating\)/);
            assert.match(text, /--clear-pending-creates/);
        });
    });

    describe("--check (CI's deploy job, before its pulumi up steps)", () => {
        const LOCKED = { kind: "update", result: "in-progress", startTime: "2026-11-24T22:10:00.000Z" };

        it("a stack a killed run left locked: exit 1, the lock explained with what to run, nothing run", async () => {
            const f = fakeWorkspace({ root: tempRoot(), lastUpdate: { apps: LOCKED } });
            assert.strictEqual(await main(["production", "--check", "--org", "acme", "--layers", '["platform","apps"]'], f.deps, {}), 1);
            assert.deepStrictEqual(f.ops(), []);
            assert.deepStrictEqual(f.calls.map((c) => c.layer), ["platform", "apps"], "only the layers the run changes are opened");
            const text = f.err.join("\n");
            assert.match(text, /apps \(stack acme\/production\) is locked: its last update \(started 2026-11-24T22:10:00\.000Z\) is still marked in progress/);
            assert.match(text, /pulumi -C apps cancel --yes -s acme\/production/);
            assert.match(text, /README, Recovery/);
        });

        it("pending operations are explained the same way; clean stacks pass (exit 0) and nothing runs", async () => {
            const pending = fakeWorkspace({ root: tempRoot(), pending: { infra: [{ resource: { urn: "urn:pulumi:staging::infra::x::y" }, type: "creating" }] } });
            assert.strictEqual(await main(["staging", "--check", "--layers", "infra,platform,apps"], pending.deps, {}), 1);
            assert.match(pending.err.join("\n"), /infra \(stack staging\) has 1 operation\(s\).*--clear-pending-creates/s);
            const clean = fakeWorkspace({ root: tempRoot((r) => fs.rmSync(path.join(r, "policies", "config", "staging.json"))) });
            assert.strictEqual(await main(["staging", "--check", "--org", "acme"], clean.deps, {}), 0, clean.err.join("\n"));
            assert.deepStrictEqual(clean.ops(), []);
            assert.match(clean.out.join("\n"), /✓ infra, platform, apps \(stack acme\/staging\): none is locked or holds operations an interrupted update left pending/);
            assert.deepStrictEqual(clean.calls.map((c) => c.layer), ["infra", "platform", "apps"], "every layer without --layers");
        });

        it("a missing stack fails the check too; a wrong command line exits 2", async () => {
            const missing = fakeWorkspace({ root: tempRoot(), missingStacks: ["apps"] });
            assert.strictEqual(await main(["staging", "--check", "--layers", "apps"], missing.deps, {}), 1);
            assert.match(missing.err.join("\n"), /no stack staging for apps/);
            for (const argv of [["staging", "--check", "--preview"], ["staging", "--layers", "apps"], ["staging", "--check", "--layers", "apps,db"], ["staging", "--check", "--layers", "[]"]]) {
                const f = fakeWorkspace();
                assert.strictEqual(await main(argv, f.deps, {}), 2, argv.join(" "));
                assert.deepStrictEqual(f.calls, [], argv.join(" "));
            }
        });
    });

    it("never creates a stack: a wrong organization (or no bootstrap) fails before any layer runs, naming the stack init to run", async () => {
        for (const op of [["staging"], ["staging", "--preview"]]) {
            const f = fakeWorkspace({ root: tempRoot(), missingStacks: ["platform", "apps"] });
            assert.strictEqual(await main([...op, "--org", "typo"], f.deps, {}), 1, op.join(" "));
            assert.deepStrictEqual(f.ops(), [], `${op.join(" ")}: nothing runs, not even infra`);
            const text = f.err.join("\n");
            assert.match(text, /no stack typo\/staging for platform, apps/);
            assert.match(text, /--org \/ PULUMI_ORG/);
            assert.match(text, /pulumi -C platform stack init typo\/staging; pulumi -C apps stack init typo\/staging/);
        }
    });

    it("says the Pulumi CLI is required when it is missing, before opening any stack", async () => {
        const f = fakeWorkspace({ cli: { found: false, reason: "`pulumi` was not found on the PATH" } });
        assert.strictEqual(await main(["staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.calls, []);
        const text = f.err.join("\n");
        assert.ok(text.includes(MISSING_CLI));
        assert.match(text, /https:\/\/www\.pulumi\.com\/docs\/install\//);
        assert.match(text, /not found on the PATH/);
    });

    it("exits 2 for an unknown environment, listing the known ones, and for a wrong command line", async () => {
        for (const argv of [["dev"], [], ["staging", "production"], ["staging", "--force"], ["staging", "--allow-production-destroy"]]) {
            const f = fakeWorkspace();
            assert.strictEqual(await main(argv, f.deps, {}), 2, argv.join(" "));
            assert.deepStrictEqual(f.calls, [], argv.join(" "));
            assert.match(f.err.join("\n"), /Environments: staging, production/, argv.join(" "));
        }
        const f = fakeWorkspace();
        await main(["dev"], f.deps, {});
        assert.match(f.err.join("\n"), /"dev": allowed one of the known environments \(staging, production\)/);
    });

    it("does not start an up without the environment's policy config", async () => {
        const root = tempRoot((r) => fs.rmSync(path.join(r, "policies", "config", "staging.json")));
        const f = fakeWorkspace({ root });
        assert.strictEqual(await main(["staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.calls, []);
        assert.match(f.err.join("\n"), /policies\/config\/staging\.json is missing/);
    });
});
