/**
 * tools/deploy.ts (npm run deploy / destroy) with the Automation API's workspace replaced by a fake: no Pulumi CLI,
 * no cloud. The fake records every stack opened and every operation run, and fails the layers it is told to.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { CliStatus, DeployDeps, LayerStack, MISSING_CLI, main } from "../../tools/deploy";

interface Call {
    layer: string;
    op: string;
    stackName?: string;
    workDir?: string;
    create?: boolean;
    options?: any;
}

function fakeDeps(o: { cli?: CliStatus; failOn?: string; missingStacks?: string[]; root?: string } = {}) {
    const calls: Call[] = [];
    const out: string[] = [];
    const err: string[] = [];
    const deps: DeployDeps = {
        root: o.root ?? REPO_ROOT,
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        detectCli: async () => o.cli ?? { found: true, version: "3.270.0" },
        openStack: async ({ layer, stackName, workDir, create }) => {
            calls.push({ layer, op: "open", stackName, workDir, create });
            if (o.missingStacks?.includes(layer) && !create) return undefined;
            const op = (name: string) => async (options: any) => {
                calls.push({ layer, op: name, options });
                if (o.failOn === layer) {
                    throw Object.assign(new Error("command failed"), { commandResult: { stderr: `error: ${layer} exploded\n` } });
                }
                return {};
            };
            const stack: LayerStack = { up: op("up"), preview: op("preview"), destroy: op("destroy") };
            return stack;
        },
    };
    return { deps, calls, out, err, ops: () => calls.filter((c) => c.op !== "open").map((c) => `${c.op} ${c.layer}`) };
}

const tempRoots: string[] = [];
after(() => tempRoots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

/** A copy of the repository's settings files, the policy pack marker and configs, to vary them without touching the real ones. */
function tempRoot(edit: (root: string) => void = () => undefined): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-root-"));
    tempRoots.push(root);
    for (const env of ["staging", "production"]) fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${env}.yaml`), path.join(root, `Pulumi.${env}.yaml`));
    fs.mkdirSync(path.join(root, "policies", "config"), { recursive: true });
    fs.writeFileSync(path.join(root, "policies", "PulumiPolicy.yaml"), "runtime: nodejs\n");
    for (const env of ["staging", "production"]) fs.writeFileSync(path.join(root, "policies", "config", `${env}.json`), "{}\n");
    edit(root);
    return root;
}

describe("npm run deploy / destroy (tools/deploy.ts, Automation API faked)", () => {
    for (const env of ["staging", "production"]) {
        it(`deploy ${env}: pulumi up of infra, platform, apps in that order, each stack in its own folder, policy pack on every up`, async () => {
            const root = tempRoot();
            const f = fakeDeps({ root });
            assert.strictEqual(await main(["deploy", env, "--org", "acme"], f.deps, {}), 0, f.err.join("\n"));
            assert.deepStrictEqual(f.ops(), ["up infra", "up platform", "up apps"]);
            const opens = f.calls.filter((c) => c.op === "open");
            assert.deepStrictEqual(opens.map((c) => c.workDir), ["infra", "platform", "apps"].map((l) => path.join(root, l)));
            assert.ok(opens.every((c) => c.stackName === `acme/${env}` && c.create === true), "up creates the stack when it does not exist yet");
            for (const c of f.calls.filter((c) => c.op === "up")) {
                assert.deepStrictEqual(c.options.policyPacks, [path.join(root, "policies")]);
                assert.deepStrictEqual(c.options.policyPackConfigs, [path.join(root, "policies", "config", `${env}.json`)]);
            }
        });
    }

    it("deploy --preview previews the three layers with the policy pack and changes nothing", async () => {
        const f = fakeDeps({ root: tempRoot() });
        assert.strictEqual(await main(["deploy", "staging", "--preview"], f.deps, {}), 0);
        assert.deepStrictEqual(f.ops(), ["preview infra", "preview platform", "preview apps"]);
        assert.ok(f.calls.filter((c) => c.op === "preview").every((c) => c.options.policyPacks.length === 1 && c.options.policyPackConfigs.length === 1));
    });

    it("the organization comes from --org, else $PULUMI_ORG, else the CLI's default", async () => {
        for (const [argv, env, expected] of [
            [["deploy", "staging", "--org", "acme"], { PULUMI_ORG: "other" }, "acme/staging"],
            [["deploy", "staging"], { PULUMI_ORG: "other" }, "other/staging"],
            [["deploy", "staging"], {}, "staging"],
        ] as const) {
            const f = fakeDeps({ root: tempRoot() });
            assert.strictEqual(await main([...argv], f.deps, { ...env }), 0);
            assert.strictEqual(f.calls[0].stackName, expected);
        }
    });

    it("stops at the first failing layer, names it with Pulumi's error, and runs nothing after it", async () => {
        const f = fakeDeps({ root: tempRoot(), failOn: "platform" });
        assert.strictEqual(await main(["deploy", "staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.ops(), ["up infra", "up platform"]);
        assert.ok(!f.calls.some((c) => c.layer === "apps"), "apps is not even opened");
        const text = f.err.join("\n");
        assert.match(text, /✗ platform: pulumi up failed: error: platform exploded/);
        assert.match(text, /Stopped: apps not run\./);
    });

    it("destroy runs apps, platform, infra (the reverse order) and stops at the first failure", async () => {
        const ok = fakeDeps({ root: tempRoot() });
        assert.strictEqual(await main(["destroy", "staging"], ok.deps, {}), 0, ok.err.join("\n"));
        assert.deepStrictEqual(ok.ops(), ["destroy apps", "destroy platform", "destroy infra"]);
        assert.ok(ok.calls.filter((c) => c.op === "open").every((c) => c.create === false), "destroy never creates a stack");
        assert.ok(ok.calls.filter((c) => c.op === "destroy").every((c) => c.options.policyPacks === undefined));

        const failing = fakeDeps({ root: tempRoot(), failOn: "apps" });
        assert.strictEqual(await main(["destroy", "staging"], failing.deps, {}), 1);
        assert.deepStrictEqual(failing.ops(), ["destroy apps"]);
        assert.match(failing.err.join("\n"), /Stopped: platform, infra not run\./);
    });

    it("destroy skips a layer whose stack was never created", async () => {
        const f = fakeDeps({ root: tempRoot(), missingStacks: ["apps"] });
        assert.strictEqual(await main(["destroy", "staging"], f.deps, {}), 0);
        assert.deepStrictEqual(f.ops(), ["destroy platform", "destroy infra"]);
        assert.match(f.out.join("\n"), /apps: no stack staging, nothing to destroy/);
    });

    it("says the Pulumi CLI is required when it is missing, before opening any stack", async () => {
        const f = fakeDeps({ cli: { found: false, reason: "`pulumi` was not found on the PATH" } });
        assert.strictEqual(await main(["deploy", "staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.calls, []);
        const text = f.err.join("\n");
        assert.ok(text.includes(MISSING_CLI));
        assert.match(text, /Pulumi CLI is required/);
        assert.match(text, /https:\/\/www\.pulumi\.com\/docs\/install\//);
        assert.match(text, /not found on the PATH/);
    });

    it("exits 2 for an unknown environment, listing the known ones, and for a wrong command line", async () => {
        for (const argv of [["deploy", "dev"], ["deploy"], ["deploy", "staging", "production"], ["deploy", "staging", "--force"], ["destroy", "staging", "--preview"], ["rollback", "staging"]]) {
            const f = fakeDeps();
            assert.strictEqual(await main(argv, f.deps, {}), 2, argv.join(" "));
            assert.deepStrictEqual(f.calls, [], argv.join(" "));
            assert.match(f.err.join("\n"), /Environments: staging, production/, argv.join(" "));
        }
        const f = fakeDeps();
        await main(["deploy", "dev"], f.deps, {});
        assert.match(f.err.join("\n"), /"dev": allowed one of the known environments \(staging, production\)/);
    });

    it("refuses to destroy production without --allow-production-destroy, and says what to do", async () => {
        const f = fakeDeps({ root: tempRoot() });
        assert.strictEqual(await main(["destroy", "production"], f.deps, {}), 2);
        assert.deepStrictEqual(f.calls, []);
        assert.match(f.err.join("\n"), /--allow-production-destroy.*infra:protect: false.*npm run deploy -- production/s);
    });

    it("refuses a destroy that protected resources would stop half-way (production's default), even with the flag", async () => {
        const f = fakeDeps({ root: tempRoot() });
        assert.strictEqual(await main(["destroy", "production", "--allow-production-destroy"], f.deps, {}), 1);
        assert.deepStrictEqual(f.calls, []);
        assert.match(f.err.join("\n"), /infra:protect is true for production/);

        const unprotected = tempRoot((root) => {
            const file = path.join(root, "Pulumi.production.yaml");
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("  # --- infra -", "  infra:protect: false\n  # --- infra -"));
        });
        const g = fakeDeps({ root: unprotected });
        assert.strictEqual(await main(["destroy", "production", "--allow-production-destroy"], g.deps, {}), 0, g.err.join("\n"));
        assert.deepStrictEqual(g.ops(), ["destroy apps", "destroy platform", "destroy infra"]);
    });

    it("does not start an up without the environment's policy config", async () => {
        const root = tempRoot((r) => fs.rmSync(path.join(r, "policies", "config", "staging.json")));
        const f = fakeDeps({ root });
        assert.strictEqual(await main(["deploy", "staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.calls, []);
        assert.match(f.err.join("\n"), /policies\/config\/staging\.json is missing/);
    });
});
