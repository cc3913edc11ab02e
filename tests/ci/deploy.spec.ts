/**
 * tools/deploy.ts (npm run deploy / destroy) with the Automation API's workspace replaced by a fake: no Pulumi CLI,
 * no cloud. The fake records every stack opened and every operation run, and fails the layers it is told to.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { CliStatus, DeployDeps, LayerStack, MISSING_CLI, StateResource, main } from "../../tools/deploy";

interface Call {
    layer: string;
    op: string;
    stackName?: string;
    workDir?: string;
    options?: any;
}

/** What a stack of the CI identity looks like after `pulumi destroy --exclude-protected` (the stack, its provider, the protected rest). */
const URN = (type: string, name: string) => `urn:pulumi:staging::infra::${type}::${name}`;
const INFRA_LEFT: StateResource[] = [
    { urn: URN("pulumi:pulumi:Stack", "infra-staging"), type: "pulumi:pulumi:Stack" },
    { urn: URN("pulumi:providers:aws", "aws"), type: "pulumi:providers:aws" },
    { urn: URN("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ci-github"), type: "aws:iam/openIdConnectProvider:OpenIdConnectProvider", protect: true },
    { urn: URN("aws:iam/role:Role", "ci-deploy"), type: "aws:iam/role:Role", protect: true },
    { urn: URN("aws:ecr/repository:Repository", "ecr-frontend"), type: "aws:ecr/repository:Repository" },
];

function fakeDeps(o: { cli?: CliStatus; failOn?: string; missingStacks?: string[]; root?: string; left?: Record<string, StateResource[]> } = {}) {
    const calls: Call[] = [];
    const out: string[] = [];
    const err: string[] = [];
    const deps: DeployDeps = {
        root: o.root ?? REPO_ROOT,
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        detectCli: async () => o.cli ?? { found: true, version: "3.270.0" },
        openStack: async ({ layer, stackName, workDir }) => {
            calls.push({ layer, op: "open", stackName, workDir });
            if (o.missingStacks?.includes(layer)) return undefined;
            const op = (name: string) => async (options: any) => {
                calls.push({ layer, op: name, options });
                if (o.failOn === layer) {
                    throw Object.assign(new Error("command failed"), { commandResult: { stderr: `error: ${layer} exploded\n` } });
                }
                return {};
            };
            const stack: LayerStack = {
                up: op("up"),
                preview: op("preview"),
                destroy: op("destroy"),
                exportStack: async () => ({ deployment: { resources: o.left?.[layer] ?? [] } }),
            };
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
            assert.ok(opens.every((c) => c.stackName === `acme/${env}`));
            assert.deepStrictEqual(f.calls.slice(0, 3).map((c) => c.op), ["open", "open", "open"], "every stack is checked before the first up");
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
        assert.ok(!f.calls.some((c) => c.layer === "apps" && c.op !== "open"), "apps is not run");
        const text = f.err.join("\n");
        assert.match(text, /✗ platform: pulumi up failed: error: platform exploded/);
        assert.match(text, /Stopped: apps not run\./);
    });

    it("destroy runs apps, platform, infra (the reverse order) and stops at the first failure", async () => {
        const ok = fakeDeps({ root: tempRoot() });
        assert.strictEqual(await main(["destroy", "staging"], ok.deps, {}), 0, ok.err.join("\n"));
        assert.deepStrictEqual(ok.ops(), ["destroy apps", "destroy platform", "destroy infra"]);
        assert.ok(ok.calls.filter((c) => c.op === "destroy").every((c) => c.options.policyPacks === undefined));

        const failing = fakeDeps({ root: tempRoot(), failOn: "apps" });
        assert.strictEqual(await main(["destroy", "staging"], failing.deps, {}), 1);
        assert.deepStrictEqual(failing.ops(), ["destroy apps"]);
        assert.match(failing.err.join("\n"), /Stopped: platform, infra not run\./);
    });

    it("destroy excludes protected resources in infra only, then lists what stays and how an administrator removes it", async () => {
        const f = fakeDeps({ root: tempRoot(), left: { infra: INFRA_LEFT } });
        assert.strictEqual(await main(["destroy", "staging", "--org", "acme"], f.deps, {}), 0, f.err.join("\n"));
        const destroys = f.calls.filter((c) => c.op === "destroy");
        assert.deepStrictEqual(destroys.map((c) => [c.layer, c.options.excludeProtected]), [["apps", undefined], ["platform", undefined], ["infra", true]]);
        const text = f.out.join("\n");
        assert.match(text, /infra of staging \(stack acme\/staging\) still holds 3 resource\(s\)/);
        assert.match(text, /aws:iam\/role:Role ci-deploy \(protected\)/);
        assert.match(text, /aws:iam\/openIdConnectProvider:OpenIdConnectProvider ci-github \(protected\)/);
        assert.match(text, /aws:ecr\/repository:Repository ecr-frontend \(kept: a protected resource depends on it\)/);
        assert.doesNotMatch(text, /pulumi:pulumi:Stack|pulumi:providers:aws/, "the stack and its providers are not leftovers");
        assert.match(text, /pulumi -C infra state unprotect --all --yes -s acme\/staging\n\s+pulumi -C infra destroy --yes -s acme\/staging/);
        assert.match(text, /Done: apps, platform, infra destroyed for staging, except the protected resources infra keeps\./);
    });

    it("a destroy that succeeded but cannot list what stays still exits 0 and says where to look", async () => {
        const f = fakeDeps({ root: tempRoot() });
        const open = f.deps.openStack;
        f.deps.openStack = async (args) => {
            const stack = await open(args);
            return stack && { ...stack, exportStack: async () => Promise.reject(new Error("backend unreachable")) };
        };
        assert.strictEqual(await main(["destroy", "staging"], f.deps, {}), 0);
        assert.match(f.err.join("\n"), /Could not list what infra still holds \(pulumi -C infra stack --show-urns -s staging\): backend unreachable/);
        assert.match(f.out.join("\n"), /except the protected resources infra keeps/);
    });

    it("destroy says nothing about leftovers when infra holds nothing any more", async () => {
        const f = fakeDeps({ root: tempRoot(), left: { infra: INFRA_LEFT.slice(0, 2) } });
        assert.strictEqual(await main(["destroy", "staging"], f.deps, {}), 0);
        assert.doesNotMatch(f.out.join("\n"), /still holds|state unprotect/);
        assert.match(f.out.join("\n"), /Done: apps, platform, infra destroyed for staging\.$/m);
    });

    it("leftovers prints the same report from a state export (the destroy workflow's last step), and fails on a bad file", async () => {
        const dir = tempRoot();
        const state = path.join(dir, "infra.json");
        fs.writeFileSync(state, JSON.stringify({ version: 3, deployment: { resources: INFRA_LEFT } }));
        const f = fakeDeps();
        assert.strictEqual(await main(["leftovers", "production", "--org", "acme", "--state", state], f.deps, {}), 0, f.err.join("\n"));
        assert.match(f.out.join("\n"), /infra of production \(stack acme\/production\) still holds 3 resource\(s\)[\s\S]*state unprotect --all --yes -s acme\/production/);
        assert.deepStrictEqual(f.calls, [], "reading an export opens no stack");

        fs.writeFileSync(state, JSON.stringify({ version: 3, deployment: { resources: INFRA_LEFT.slice(0, 2) } }));
        const empty = fakeDeps();
        assert.strictEqual(await main(["leftovers", "staging", "--state", state], empty.deps, {}), 0);
        assert.match(empty.out.join("\n"), /holds no resource any more/);

        const broken = fakeDeps();
        assert.strictEqual(await main(["leftovers", "staging", "--state", path.join(dir, "nope.json")], broken.deps, {}), 1);
        assert.match(broken.err.join("\n"), /cannot read the state export .*nope\.json/);
        const usage = fakeDeps();
        assert.strictEqual(await main(["leftovers", "staging"], usage.deps, {}), 2);
        assert.match(usage.err.join("\n"), /--state is required/);
    });

    it("never creates a stack: a wrong organization (or no bootstrap) fails before any layer runs, naming the stack init to run", async () => {
        for (const op of [["deploy", "staging"], ["deploy", "staging", "--preview"]]) {
            const f = fakeDeps({ root: tempRoot(), missingStacks: ["platform", "apps"] });
            assert.strictEqual(await main([...op, "--org", "typo"], f.deps, {}), 1, op.join(" "));
            assert.deepStrictEqual(f.ops(), [], `${op.join(" ")}: nothing runs, not even infra`);
            const text = f.err.join("\n");
            assert.match(text, /no stack typo\/staging for platform, apps/);
            assert.match(text, /--org \/ PULUMI_ORG/);
            assert.match(text, /pulumi -C platform stack init typo\/staging; pulumi -C apps stack init typo\/staging/);
        }
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

    it("refuses a destroy that would keep production's protected VPC, cluster and KMS key running (infra:protect), even with the flag", async () => {
        const f = fakeDeps({ root: tempRoot() });
        assert.strictEqual(await main(["destroy", "production", "--allow-production-destroy"], f.deps, {}), 1);
        assert.deepStrictEqual(f.calls, []);
        assert.match(f.err.join("\n"), /infra:protect is true for production: destroy leaves protected resources.*keep the VPC, cluster and KMS key/s);

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
