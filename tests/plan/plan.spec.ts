import * as assert from "assert";
import { execFile } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { loadPackConfig } from "../../policies/offline";
import { formatPlan, main, parseArgs, plan, PlanResult, planJson, USAGE } from "../../tools/plan";
import { PlanNode } from "../../tools/plan-tree";

const flatten = (nodes: PlanNode[]): PlanNode[] => nodes.flatMap((n) => [n, ...flatten(n.children)]);
const typesOf = (result: PlanResult, layer: string) => new Set(flatten(result.layers.find((l) => l.layer === layer)!.tree).map((n) => n.type));

describe("offline plan", () => {
    const results: Record<string, PlanResult> = {};
    before(async () => {
        for (const env of ["staging", "production"]) results[env] = await plan({ env, json: false });
    });

    for (const env of ["staging", "production"]) {
        describe(env, () => {
            it("shows every layer's key resources as a tree", () => {
                const r = results[env];
                assert.deepStrictEqual(r.layers.map((l) => l.layer), ["infra", "platform", "apps"]);
                for (const t of ["awsx:ec2:Vpc", "eks:index:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/addon:Addon", "aws:ecr/repository:Repository"]) {
                    assert.ok(typesOf(r, "infra").has(t), `infra shows ${t}`);
                }
                for (const t of ["kubernetes:helm.sh/v3:Release", "kubernetes:storage.k8s.io/v1:StorageClass", "kubernetes:core/v1:Namespace", "aws:wafv2/webAcl:WebAcl"]) {
                    assert.ok(typesOf(r, "platform").has(t), `platform shows ${t}`);
                }
                assert.ok(typesOf(r, "apps").has("kubernetes:argoproj.io/v1alpha1:Application"));
                // Children sit under their components.
                const nodes = r.layers[0].tree.find((n) => n.type === "gitops:infra:NodeGroups")!;
                assert.ok(nodes.children.some((c) => c.type === "aws:eks/nodeGroup:NodeGroup"));
            });

            it("says what matters for each resource: sizes, versions, chart versions", () => {
                const text = formatPlan(results[env]);
                const nodeType = env === "staging" ? "t3.small" : "t3.medium";
                assert.match(text, new RegExp(`aws:eks/nodeGroup:NodeGroup nodes-1  \\(${nodeType.replace(".", "\\.")} x 2 \\(min 1, max \\d\\)`));
                assert.match(text, /eks:index:Cluster cluster  \(Kubernetes 1\.35, API auth/);
                assert.match(text, /aws:eks\/addon:Addon addons-network-vpc-cni  \(vpc-cni v\d+\.\d+\.\d+-eksbuild\.\d+\)/);
                assert.match(text, /kubernetes:helm\.sh\/v3:Release .*\(argo-cd \d+\.\d+\.\d+ from https:\/\//);
                assert.match(text, /\[remote component\]/);
                assert.match(text, /appear only in a real `pulumi preview`/);
            });

            it("runs the whole policy pack with the environment's config: no mandatory violation", () => {
                assert.strictEqual(results[env].policies.mandatory, 0, JSON.stringify(results[env].policies.violations, null, 1));
                assert.strictEqual(results[env].exitCode, 0);
                assert.match(formatPlan(results[env]), /== policies: 0 mandatory/);
            });

            it("itemises the monthly cost: control plane, nodes, NAT, IPv4, EBS, logs, KMS, secrets, ECR, WAF", () => {
                const items = results[env].cost.lines.map((l) => l.item);
                for (const item of ["EKS control plane", `EC2 nodes (${env === "staging" ? "t3.small" : "t3.medium"})`, "NAT gateways", "Public IPv4 addresses", "EBS gp3, node root volumes", "EBS gp3, persistent volumes", "CloudWatch Logs", "KMS keys", "Secrets Manager secrets", "ECR storage", "WAF"]) {
                    assert.ok(items.includes(item), `${env} cost has ${item}: ${items.join(", ")}`);
                }
                const total = results[env].cost.lines.reduce((n, l) => n + l.monthlyUsd, 0);
                assert.ok(Math.abs(total - results[env].cost.totalUsd) < 0.01);
                assert.match(formatPlan(results[env]), /Not estimated: data transfer .*Container Insights/, "says what the estimate leaves out");
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
            });
        });
    }

    it("production costs more than staging (NAT per AZ, bigger and more nodes)", () => {
        assert.ok(results.production.cost.totalUsd > results.staging.cost.totalUsd);
        const nat = (env: string) => results[env].cost.lines.find((l) => l.item === "NAT gateways")!.monthlyUsd;
        assert.ok(Math.abs(nat("production") - 3 * nat("staging")) < 0.01);
    });

    it("--layer limits the plan to one layer", async () => {
        const r = await plan({ env: "staging", json: false, layer: "platform" });
        assert.deepStrictEqual(r.layers.map((l) => l.layer), ["platform"]);
        assert.ok(!r.cost.lines.some((l) => l.item === "EKS control plane"), "infra's cost is not in the platform's plan");
    });

    it("exits 1 on a mandatory violation (an allowed instance list without the type in use)", async () => {
        const config = loadPackConfig("staging") as any;
        config["instance-types-allowed"] = { ...config["instance-types-allowed"], freeTierInstanceTypes: ["t3.micro"] };
        const r = await plan({ env: "staging", json: false, packConfig: config });
        assert.strictEqual(r.exitCode, 1);
        assert.ok(r.policies.violations.some((v) => v.policyName === "instance-types-allowed" && v.enforcementLevel === "mandatory" && /t3\.small/.test(v.message)));
        assert.match(formatPlan(r), /\[mandatory\] instance-types-allowed/);
    });

    describe("bad arguments exit 2 with what is allowed, and no stack trace", () => {
        const run = async (argv: string[]) => {
            let out = "";
            let stdout = "";
            const code = await main(
                argv,
                (s) => (stdout += s),
                (s) => (out += s),
            );
            assert.strictEqual(stdout, "", "errors go to stderr, so --json output stays clean");
            return { code, out };
        };

        it("an unknown environment", async () => {
            const { code, out } = await run(["dev"]);
            assert.strictEqual(code, 2);
            assert.match(out, /unknown environment dev/);
            assert.ok(out.includes(USAGE));
            assert.doesNotMatch(out, /\n\s+at /);
        });

        it("an unknown flag, layer or settings namespace, or no environment", async () => {
            const unknown = await run(["staging", "--verbose"]);
            assert.strictEqual(unknown.code, 2);
            assert.match(unknown.out, /unknown option --verbose/);
            assert.match((await run(["staging", "--config", "infar:project=x"])).out, /--config takes <namespace:key>=<value> with a namespace of aws, infra, platform, apps, not infar:project=x/);
            assert.match((await run(["staging", "--layer", "network"])).out, /--layer takes one of infra, platform, apps, not network/);
            assert.match((await run([])).out, /which environment\?/);
        });

        it("settings that fail validation", async () => {
            const { code, out } = await run(["staging", "--config", "infra:availabilityZoneCount=9"]);
            assert.strictEqual(code, 2);
            assert.match(out, /infra:availabilityZoneCount = 9: allowed a whole number from 2 to 6/);
            assert.doesNotMatch(out, /\n\s+at /);
        });

        it("settings that contradict another layer's outputs (a frontend hostname without a certificate)", async () => {
            const { code, out } = await run(["staging", "--config", "apps:frontendHostname=shop.example.com"]);
            assert.strictEqual(code, 2);
            assert.match(out, /^The apps layer cannot use the infra\/platform outputs of this stack:\n  - apps:frontendHostname is set \(shop\.example\.com\) but platform's certificateArn is empty/);
            assert.doesNotMatch(out, /error serializing|\n\s+at /);
        });

        it("parses the documented forms", () => {
            assert.deepStrictEqual(parseArgs(["production", "--json", "--layer", "apps"]), { env: "production", json: true, layer: "apps", config: {} });
        });
    });

    describe("--today (the Kubernetes support window)", () => {
        it("warns from 60 days before the end of standard support, and after it (only a real up refuses)", async () => {
            const ending = await plan({ env: "staging", json: false, today: "2027-03-01" });
            assert.strictEqual(ending.today, "2027-03-01");
            assert.deepStrictEqual(ending.warnings, [
                "infra:kubernetesVersion: 1.35 leaves EKS standard support on 2027-03-27 (in 26 days): plan the upgrade (the value is the default of this release: set infra:kubernetesVersion)",
            ]);
            assert.match(formatPlan(ending), /== warnings \(1\) ==\n {2}- infra:kubernetesVersion: 1\.35 leaves/);
            const ended = await plan({ env: "production", json: false, today: "2028-12-31" });
            assert.strictEqual(ended.exitCode, 0);
            assert.match(ended.warnings[0], /1\.35 left EKS standard support on 2027-03-27: .*`pulumi up` refuses it/);
        });
        it("no warning with the suite's pinned day, which --today leaves as it was", async () => {
            const result = await plan({ env: "staging", json: false });
            assert.deepStrictEqual(result.warnings, []);
            assert.strictEqual(result.today, process.env.GITOPS_TODAY);
            assert.doesNotMatch(formatPlan(result), /== warnings/);
        });
        it("a malformed date is a usage error", async () => {
            assert.throws(() => parseArgs(["staging", "--today", "2027-02-30"]), /--today takes a date written YYYY-MM-DD, not 2027-02-30/);
        });
    });

    // How long it takes is npm run bench's business (budgets printed against targets), never a test's.
    it("the command line prints the plan from a cold start", function (done) {
        this.timeout(60000);
        execFile(process.execPath, [path.join(REPO_ROOT, "node_modules", ".bin", "ts-node"), "--swc", "tools/plan.ts", "staging"], { cwd: REPO_ROOT }, (error, stdout) => {
            assert.ifError(error);
            assert.match(stdout, /== infra: \d+ resources ==/);
            assert.match(stdout, /Total\s+\$\d+\.\d\d/);
            done();
        });
    });
});
