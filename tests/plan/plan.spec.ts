import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { loadPackConfig } from "../../policies/offline";
import { formatPlan, main, NPM_BANNER_HINT, parseArgs, plan, PlanResult, planJson, USAGE } from "../../tools/plan";
import { PlanNode } from "../../tools/plan-tree";
import { committedPlan, withoutNpmSettings } from "./fixture";

const flatten = (nodes: PlanNode[]): PlanNode[] => nodes.flatMap((n) => [n, ...flatten(n.children)]);
const typesOf = (result: PlanResult, layer: string) => new Set(flatten(result.layers.find((l) => l.layer === layer)!.tree).map((n) => n.type));

/** main() with its output captured. */
async function run(argv: string[], overrides: Parameters<typeof main>[3] = {}) {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, (s) => (stdout += s), (s) => (stderr += s), overrides);
    return { code, stdout, stderr };
}

describe("offline plan", () => {
    const results: Record<string, PlanResult> = {};
    before(async () => {
        for (const env of ["staging", "production"] as const) results[env] = await committedPlan(env);
    });

    for (const env of ["staging", "production"]) {
        describe(env, () => {
            it("answers first: the verdict, the monthly total, the capacity headroom and the warnings, before any tree", () => {
                const text = formatPlan(results[env]);
                const lines = text.split("\n");
                assert.match(lines[0], new RegExp(`^Offline plan of ${env} \\(Pulumi mocks, no cloud account\\), as on \\d{4}-\\d\\d-\\d\\d$`));
                assert.match(lines[2], /^ {2}verdict {3}OK: no mandatory policy violation; the pods fit the nodes \(exit 0\)$/);
                assert.match(lines[3], new RegExp(`^ {2}monthly {3}\\$${results[env].cost.totalUsd.toFixed(2).replace(".", "\\.")} a month$`));
                assert.match(lines[4], /^ {2}capacity {2}\d+ x t3\.(small|medium) at the minimum: \d+ % of memory and \d+ % of CPU free; the autoscalers' maximum fits \d+ nodes$/);
                assert.match(lines[5], /^ {2}warnings {2}\d+ \(below\)$/);
                const order = ["== warnings", "== policies", "== capacity", "== monthly cost", "== infra:", "== platform:", "== apps:", "Result:"].map((h) => text.indexOf(h));
                assert.deepStrictEqual([...order].sort((a, b) => a - b), order, "sections in order, the trees after the answers");
                assert.ok(order.every((i) => i > 0));
            });

            it("shows every layer's key resources as a tree", () => {
                const r = results[env];
                assert.deepStrictEqual(r.layers.map((l) => l.layer), ["infra", "platform", "apps"]);
                for (const t of ["awsx:ec2:Vpc", "eks:index:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/addon:Addon", "aws:ecr/repository:Repository"]) {
                    assert.ok(typesOf(r, "infra").has(t), `infra shows ${t}`);
                }
                for (const t of ["kubernetes:helm.sh/v3:Release", "kubernetes:storage.k8s.io/v1:StorageClass", "kubernetes:core/v1:Namespace"]) {
                    assert.ok(typesOf(r, "platform").has(t), `platform shows ${t}`);
                }
                assert.ok(!typesOf(r, "platform").has("aws:wafv2/webAcl:WebAcl"), "no WAF ACL while nothing is public");
                assert.ok(typesOf(r, "apps").has("kubernetes:argoproj.io/v1alpha1:Application"));
                const nodes = r.layers[0].tree.find((n) => n.type === "gitops:infra:NodeGroups")!;
                assert.ok(nodes.children.some((c) => c.type === "aws:eks/nodeGroup:NodeGroup"));
            });

            it("says what matters for each resource: sizes, versions, chart versions", () => {
                const text = formatPlan(results[env]);
                const nodeType = env === "staging" ? "t3.small x 3 \\(min 1, max 4\\)" : "t3.medium x 2 \\(min 1, max 4\\)";
                assert.match(text, new RegExp(`aws:eks/nodeGroup:NodeGroup nodes-1  \\(${nodeType}`));
                assert.match(text, /eks:index:Cluster cluster  \(Kubernetes 1\.35, API auth/);
                assert.match(text, /aws:eks\/addon:Addon addons-network-vpc-cni  \(vpc-cni v\d+\.\d+\.\d+-eksbuild\.\d+\)/);
                assert.match(text, /kubernetes:helm\.sh\/v3:Release .*\(argo-cd \d+\.\d+\.\d+ from https:\/\//);
                assert.match(text, /\[remote component\]/);
                assert.match(text, /appear only in a real `pulumi preview`/);
            });

            it("runs the whole policy pack with the environment's config: no mandatory violation", () => {
                assert.strictEqual(results[env].policies.mandatory, 0, JSON.stringify(results[env].policies.violations, null, 1));
                assert.strictEqual(results[env].exitCode, 0);
                assert.deepStrictEqual(results[env].failures, []);
                assert.match(formatPlan(results[env]), /== policies: 0 mandatory/);
            });

            it("itemises the monthly cost (no WAF while nothing is public) and says what it leaves out", () => {
                const items = results[env].cost.lines.map((l) => l.item);
                for (const item of ["EKS control plane", `EC2 nodes (${env === "staging" ? "t3.small" : "t3.medium"})`, "NAT gateways", "Public IPv4 addresses", "EBS gp3, node root volumes", "EBS gp3, persistent volumes", "CloudWatch Logs", "KMS keys", "Secrets Manager secrets", "ECR storage"]) {
                    assert.ok(items.includes(item), `${env} cost has ${item}: ${items.join(", ")}`);
                }
                assert.ok(!items.includes("WAF"));
                const total = results[env].cost.lines.reduce((n, l) => n + l.monthlyUsd, 0);
                assert.ok(Math.abs(total - results[env].cost.totalUsd) < 0.01);
                assert.match(formatPlan(results[env]), /Not estimated: data transfer .*Container Insights/);
            });

            it("checks the capacity: every pod's requests against the node groups, with the figures", () => {
                const c = results[env].capacity!;
                assert.ok(c.minimum.fits && c.maximum.fits);
                assert.match(formatPlan(results[env]), /== capacity: \d+ x t3\.\w+ \(min \d+, max \d+\), \d+ MiB and \d+m allocatable each ==\nautoscalers at their minimum, on the desired \d+ nodes: memory \d+ of \d+ MiB \(\d+ % free\), CPU \d+m of \d+m \(\d+ % free\): fits/);
            });

            it("--json prints the same content as one parseable document", () => {
                const parsed = JSON.parse(planJson(results[env]));
                const text = formatPlan(results[env]);
                assert.strictEqual(parsed.environment, env);
                for (const layer of parsed.layers) {
                    assert.ok(text.includes(`== ${layer.layer}: ${layer.resourceCount} resources ==`));
                    for (const node of flatten(layer.tree)) assert.ok(text.includes(`${node.type} ${node.name}`), `${node.type} ${node.name} in the text`);
                }
                assert.ok(text.includes(`$${parsed.cost.totalUsd.toFixed(2)}`));
                assert.strictEqual(parsed.policies.mandatory, results[env].policies.mandatory);
                assert.deepStrictEqual(parsed.warnings, results[env].warnings);
                assert.strictEqual(parsed.capacity.minimum.nodes, results[env].capacity!.minimum.nodes);
            });
        });
    }

    it("production costs more than staging (NAT per AZ, nodes in every AZ, bigger nodes); staging's nodes are in one AZ", () => {
        assert.ok(results.production.cost.totalUsd > results.staging.cost.totalUsd);
        const nat = (env: string) => results[env].cost.lines.find((l) => l.item === "NAT gateways")!.monthlyUsd;
        assert.ok(Math.abs(nat("production") - 3 * nat("staging")) < 0.01);
        const groups = (env: string) => flatten(results[env].layers[0].tree).filter((n) => n.type === "aws:eks/nodeGroup:NodeGroup").length;
        assert.deepStrictEqual([groups("staging"), groups("production")], [1, 3]);
    });

    it("--layer limits the plan to one layer (capacity needs the whole plan, and says so)", async () => {
        const r = await plan({ env: "staging", layer: "platform" });
        assert.deepStrictEqual(r.layers.map((l) => l.layer), ["platform"]);
        assert.ok(!r.cost.lines.some((l) => l.item === "EKS control plane"), "infra's cost is not in the platform's plan");
        assert.strictEqual(r.capacity, undefined);
        assert.match(formatPlan(r), /capacity  capacity is checked on whole plans/);
    });

    it("exits 1 on a mandatory violation (an allowed instance list without the type in use)", async () => {
        const config = loadPackConfig("staging") as any;
        config["instance-types-allowed"] = { ...config["instance-types-allowed"], freeTierInstanceTypes: ["t3.micro"] };
        const r = await plan({ env: "staging", packConfig: config });
        assert.strictEqual(r.exitCode, 1);
        assert.deepStrictEqual(r.failures, [`${r.policies.mandatory} mandatory policy violation(s) (below)`]);
        assert.ok(r.policies.violations.some((v) => v.policyName === "instance-types-allowed" && v.enforcementLevel === "mandatory" && /t3\.small/.test(v.message)));
        assert.match(formatPlan(r), /verdict {3}FAILS: \d+ mandatory policy violation\(s\) \(exit 1\)/);
        assert.match(formatPlan(r), /\[mandatory\] instance-types-allowed/);
    });

    describe("bad arguments exit 2 with what is allowed, and no stack trace", () => {
        it("an unknown environment", async () => {
            const { code, stdout, stderr } = await run(["dev"]);
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "", "errors go to stderr, so --json output stays clean");
            assert.match(stderr, /unknown environment dev/);
            assert.ok(stderr.includes(USAGE));
            assert.doesNotMatch(stderr, /\n\s+at /);
        });

        it("an unknown flag, layer or settings namespace, no environment, or --json with --markdown", async () => {
            const unknown = await run(["staging", "--verbose"]);
            assert.strictEqual(unknown.code, 2);
            assert.match(unknown.stderr, /unknown option --verbose/);
            assert.match((await run(["staging", "--config", "infar:project=x"])).stderr, /--config takes <namespace:key>=<value> with a namespace of aws, infra, platform, apps, not infar:project=x/);
            assert.match((await run(["staging", "--layer", "network"])).stderr, /--layer takes one of infra, platform, apps, not network/);
            assert.match((await run([])).stderr, /which environment\?/);
            assert.match((await run(["staging", "--json", "--markdown"])).stderr, /--json and --markdown are two forms of the same plan: choose one/);
            assert.match((await run(["staging", "--base"])).stderr, /--base needs a value/);
        });

        it("a --base that names no commit", async () => {
            const { code, stdout, stderr } = await run(["staging", "--base", "no-such-branch"]);
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "");
            assert.match(stderr, /^--base no-such-branch: not a commit of the repository at .*\(fetch it first/);
            assert.doesNotMatch(stderr, /\n\s+at /);
        });

        it("settings that fail validation", async () => {
            const { code, stdout, stderr } = await run(["staging", "--json", "--config", "infra:availabilityZoneCount=9"]);
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "");
            assert.match(stderr, /^Invalid setting infra:availabilityZoneCount \(--config\) = 9: allowed a whole number from 2 to 6/);
            assert.doesNotMatch(stderr, /\n\s+at /);
        });

        it("settings that contradict another layer's outputs (a frontend hostname without a certificate)", async () => {
            const { code, stderr } = await run(["staging", "--config", "apps:frontendHostname=shop.example.com"]);
            assert.strictEqual(code, 2);
            assert.match(stderr, /^The apps layer cannot use the infra\/platform outputs of this stack:\n {2}- apps:frontendHostname is set \(shop\.example\.com\) but platform's certificateArn is empty/);
            assert.doesNotMatch(stderr, /error serializing|\n\s+at /);
        });

        it("parses the documented forms", () => {
            assert.deepStrictEqual(parseArgs(["production", "--json", "--layer", "apps"]), { env: "production", format: "json", layer: "apps", config: {} });
            assert.deepStrictEqual(parseArgs(["staging", "--base", "origin/staging", "--markdown", "--out", "plan.md"]), {
                env: "staging",
                format: "markdown",
                layer: undefined,
                config: {},
                base: "origin/staging",
                out: "plan.md",
            });
        });
    });

    describe("--today (the Kubernetes support window)", () => {
        it("warns from 60 days before the end of standard support, and after it (only a real up refuses)", async () => {
            const ending = await plan({ env: "staging", today: "2027-03-01", layer: "infra" });
            assert.strictEqual(ending.today, "2027-03-01");
            assert.deepStrictEqual(ending.warnings.filter((w) => w.startsWith("infra:kubernetesVersion")), [
                "infra:kubernetesVersion: 1.35 leaves EKS standard support on 2027-03-27 (in 26 days): plan the upgrade (the value is the default of this release: set infra:kubernetesVersion)",
            ]);
            assert.match(formatPlan(ending), /== warnings \(\d+\) ==\n {2}- infra:kubernetesVersion: 1\.35 leaves/);
            const ended = await plan({ env: "production", today: "2028-12-31", layer: "infra" });
            assert.strictEqual(ended.exitCode, 0);
            assert.match(ended.warnings[0], /1\.35 left EKS standard support on 2027-03-27: .*`pulumi up` refuses it/);
        });
        it("no support warning with the suite's pinned day, which --today leaves as it was", async () => {
            const result = await committedPlan("staging");
            assert.deepStrictEqual(result.warnings.filter((w) => w.startsWith("infra:kubernetesVersion")), []);
            assert.strictEqual(result.today, process.env.GITOPS_TODAY);
        });
        it("a malformed date is a usage error", async () => {
            assert.throws(() => parseArgs(["staging", "--today", "2027-02-30"]), /--today takes a date written YYYY-MM-DD, not 2027-02-30/);
        });
    });

    describe("output", () => {
        it("--out writes the plan to the file and nothing to stdout", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
            const file = path.join(dir, "plan.json");
            try {
                const { code, stdout, stderr } = await run(["staging", "--layer", "infra", "--json", "--out", file]);
                assert.strictEqual(code, 0);
                assert.strictEqual(stdout, "");
                assert.match(stderr, /^plan of staging written to .*plan\.json \(exit 0\)\n$/);
                assert.strictEqual(JSON.parse(fs.readFileSync(file, "utf8")).layers[0].layer, "infra");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("--out that cannot be written is a usage error while the arguments are read, before any plan runs", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
            try {
                const file = path.join(dir, "a-file");
                fs.writeFileSync(file, "");
                assert.throws(() => parseArgs(["staging", "--out", path.join(dir, "missing", "plan.md")]), new RegExp(`^UsageError: --out .*plan\\.md: the directory ${dir}/missing does not exist$`));
                assert.throws(() => parseArgs(["staging", "--out", dir]), /: is a directory; give a file name$/);
                assert.throws(() => parseArgs(["staging", "--out", path.join(file, "plan.md")]), new RegExp(`: ${file} is not a directory$`));
                assert.strictEqual(parseArgs(["staging", "--out", file]).out, file, "an existing file is replaced");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("--out to an unwritable target exits 2 with a message and no stack trace; so does a write that fails (a full disk)", async () => {
            const missing = await run(["staging", "--json", "--out", "/nonexistent-directory/plan.json"]);
            assert.strictEqual(missing.code, 2);
            assert.strictEqual(missing.stdout, "");
            assert.match(missing.stderr, /^--out \/nonexistent-directory\/plan\.json: the directory \/nonexistent-directory does not exist\nusage: /);
            // /dev/full accepts the open and fails the write with ENOSPC, as a full disk does.
            assert.ok(fs.existsSync("/dev/full"), "a Linux machine (CI's) has /dev/full");
            const full = await run(["staging", "--layer", "infra", "--json", "--out", "/dev/full"]);
            assert.strictEqual(full.code, 2);
            assert.strictEqual(full.stdout, "");
            assert.match(full.stderr, /^--out \/dev\/full: the plan \(exit 0\) cannot be written: ENOSPC: no space left on device/);
            assert.doesNotMatch(full.stderr, /\n\s+at /);
        });

        // How long it takes is npm run bench's business (budgets printed against targets), never a test's.
        it("`npm run -s plan -- staging --json` (the documented form) prints one clean JSON document from a cold start", function (done) {
            this.timeout(120000);
            execFile("npm", ["run", "-s", "plan", "--", "staging", "--json"], { cwd: REPO_ROOT, env: withoutNpmSettings(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
                assert.ifError(error);
                const parsed = JSON.parse(stdout);
                assert.strictEqual(parsed.environment, "staging");
                assert.strictEqual(parsed.exitCode, 0);
                assert.ok(parsed.capacity.minimum.fits);
                assert.ok(!stderr.includes(NPM_BANNER_HINT), "npm printed no banner: the plan says nothing of it");
                done();
            });
        });
    });
});
