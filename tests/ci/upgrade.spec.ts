/**
 * npm run upgrade (tools/upgrade.ts): the plans 1.34 -> 1.35 and 1.35 -> 1.36 with the add-on versions of
 * infra/versions.ts and the autoscaler image of platform/addons/cluster-autoscaler.ts (the expectations read those
 * tables), the refusals (a skipped minor version, a downgrade, a version outside EKS support, one this release does
 * not know), and the settings change it writes. "Today" is pinned per test.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { NETWORK_ADDONS } from "../../infra/addons";
import { loadInfraSettings } from "../../infra/settings";
import { ADDON_NAMES, KUBERNETES_VERSIONS } from "../../infra/versions";
import { environmentGraph } from "../../lib/offline";
import { settingsFileSource } from "../../lib/settings-file";
import { IMAGE_TAGS } from "../../platform/addons/cluster-autoscaler";
import { UpgradePlan, main } from "../../tools/upgrade";
import { tempRoot, withSettings } from "./fake-workspace";
import { REPO_ROOT } from "../../lib/environment";
import { today } from "../../lib/today";

// The suite's pinned day (tests/register.js).
const TODAY = today();

function run(argv: string[], o: { root?: string; today?: string } = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = main(argv, { root: o.root ?? REPO_ROOT, env: { GITOPS_TODAY: o.today ?? TODAY }, out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
}

const planOf = (argv: string[], today?: string): UpgradePlan => {
    const r = run([...argv, "--dry-run", "--json"], { today });
    assert.strictEqual(r.code, 0, r.err);
    return JSON.parse(r.out);
};

describe("npm run upgrade: the plan (--dry-run)", () => {
    for (const [env, from, to] of [["production", "1.34", "1.35"], ["staging", "1.35", "1.36"]] as const) {
        it(`${env} ${from} -> ${to}: control plane, add-ons (versions.ts), node groups, then the autoscaler chart`, () => {
            const plan = planOf([env, "--to", to, ...(from === "1.34" ? ["--from", from] : [])]);
            assert.deepStrictEqual([plan.from, plan.to, plan.endOfStandardSupport], [from, to, KUBERNETES_VERSIONS[to].endOfStandardSupport]);
            assert.deepStrictEqual(plan.steps.map((s) => s.id), ["control-plane", "add-ons", "node-groups", "charts"]);
            assert.deepStrictEqual(plan.steps[0].changes, [{ name: "infra:kubernetesVersion", from, to }]);
            assert.deepStrictEqual(
                plan.steps[1].changes,
                ADDON_NAMES.map((name) => ({ name, from: KUBERNETES_VERSIONS[from].addons[name], to: KUBERNETES_VERSIONS[to].addons[name] })),
            );
            const settings = loadInfraSettings(env, { source: settingsFileSource(env, REPO_ROOT), today: TODAY, dryRun: true });
            assert.match(plan.steps[2].title, new RegExp(`^node groups onto ${to.replace(".", "\\.")}: ${settings.availabilityZoneCount} group\\(s\\), one per AZ`));
            assert.ok(plan.steps[2].detail.some((d) => d.includes(`/aws/service/eks/optimized-ami/${to}/amazon-linux-2023/x86_64/standard/recommended/release_version`)));
            assert.deepStrictEqual(plan.steps[3].changes, [{ name: "cluster-autoscaler image", from: IMAGE_TAGS[from], to: IMAGE_TAGS[to] }]);
            assert.strictEqual(plan.clusterName, settings.namePrefix);
        });
    }

    it("the text form names every version change, marks what stays, and says how it is applied and checked", () => {
        const r = run(["staging", "--to", "1.36", "--dry-run"]);
        assert.strictEqual(r.code, 0, r.err);
        assert.match(r.out, /^Upgrade of staging \(cluster gitops-staging\) from Kubernetes 1\.35 to 1\.36 \(standard support until 2027-08-02\), in this order:/);
        for (const name of ADDON_NAMES) {
            const [from, to] = [KUBERNETES_VERSIONS["1.35"].addons[name], KUBERNETES_VERSIONS["1.36"].addons[name]];
            assert.ok(r.out.includes(`${name}`) && r.out.includes(`${from} -> ${to}${from === to ? "  (unchanged)" : ""}`), name);
        }
        assert.match(r.out, /aws eks list-insights --region us-east-1 --cluster-name gitops-staging --filter categories=UPGRADE_READINESS/);
        assert.match(r.out, /open a pull request to staging: its preview shows these changes/);
        assert.match(r.out, /kubectl get nodes \(every node at v1\.36\)/);
        assert.ok(!fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8").includes('kubernetesVersion: "1.36"'), "a dry run writes nothing");
    });

    it("the add-ons before the node groups are the program's NetworkAddons (the graph), the rest come after", async () => {
        const graph = await environmentGraph("staging");
        const network = graph.infra.ofType("aws:eks/addon:Addon").filter((a) => a.parent?.endsWith("gitops:infra:NetworkAddons::addons-network"));
        assert.deepStrictEqual(network.map((a) => a.inputs.addonName).sort(), [...NETWORK_ADDONS].sort());
        const plan = planOf(["staging", "--to", "1.36"]);
        assert.match(plan.steps[1].detail[0], /^vpc-cni and kube-proxy update before the node groups roll, coredns, aws-ebs-csi-driver, amazon-cloudwatch-observability after them/);
    });

    it("warns when the target itself leaves support soon, and about the settings' add-on overrides", () => {
        const plan = planOf(["staging", "--to", "1.35", "--from", "1.34"], "2027-02-01");
        assert.ok(plan.warnings.some((w) => /^1\.35 itself leaves standard support on 2027-03-27 \(in 54 days\)/.test(w)), plan.warnings.join("\n"));
        const root = tempRoot((r) => withSettings(r, "staging", { "infra:addonVersions": { coredns: "v1.14.3-eksbuild.9" } }));
        const r = run(["staging", "--to", "1.36", "--dry-run", "--json"], { root });
        const withOverride: UpgradePlan = JSON.parse(r.out);
        assert.strictEqual(withOverride.steps[1].changes.find((c) => c.name === "coredns")!.to, "v1.14.3-eksbuild.9", "the override is what the program deploys");
        assert.ok(withOverride.warnings.some((w) => /infra:addonVersions overrides coredns: they stay as set; check each supports Kubernetes 1\.36/.test(w)));
    });
});

describe("npm run upgrade: refusals name what is allowed (exit 2, nothing written)", () => {
    const cases: [string, string[], RegExp, string?][] = [
        ["a skipped minor version", ["staging", "--to", "1.36", "--from", "1.34"], /--to 1\.36 from 1\.34: allowed 1\.34 \(what the cluster runs\) or 1\.35 \(one minor version up\)\. .*1\.36 skips 1\.35; deploy 1\.35 first/],
        ["a downgrade (nodes newer than the control plane)", ["production", "--to", "1.34"], /--to 1\.34 from 1\.35: allowed 1\.35 .* or 1\.36 .*EKS never downgrades a control plane, and nodes at 1\.35 would be newer than a 1\.34 control plane/],
        ["the version it already runs", ["staging", "--to", "1.35"], /--to 1\.35: staging already runs 1\.35; from 1\.35 the one upgrade allowed is 1\.36/],
        ["a version this release does not know", ["staging", "--to", "1.37", "--from", "1.36"], /--to 1\.37: this release knows 1\.34, 1\.35, 1\.36; no upgrade from 1\.36: 1\.37 is not a version this release knows in EKS standard support/],
        ["a target whose standard support has ended", ["staging", "--to", "1.34", "--from", "1.33"], /--to 1\.34: it left EKS standard support on 2026-12-02 \(extended support bills 6x the control plane\); no upgrade from 1\.33/, "2026-12-02"],
    ];
    for (const [what, argv, message, today] of cases) {
        it(what, () => {
            for (const dry of [["--dry-run"], []]) {
                const root = tempRoot();
                const before = fs.readFileSync(path.join(root, `Pulumi.${argv[0]}.yaml`), "utf8");
                const r = run([...argv, ...dry], { root, today });
                assert.strictEqual(r.code, 2, `${argv.join(" ")}: ${r.out}`);
                assert.match(r.err, /^Refused: /);
                assert.match(r.err, message);
                assert.strictEqual(fs.readFileSync(path.join(root, `Pulumi.${argv[0]}.yaml`), "utf8"), before);
            }
        });
    }

    it("on the end day of 1.34, upgrading from 1.33 has nowhere to go that is allowed in one step", () => {
        const r = run(["staging", "--to", "1.34", "--from", "1.33", "--dry-run"], { today: "2026-12-02" });
        assert.match(r.err, /no upgrade from 1\.33: 1\.34 is not a version this release knows in EKS standard support on 2026-12-02 \(1\.35, 1\.36\)/);
    });

    it("a wrong command line", () => {
        for (const argv of [["staging", "--dry-run"], ["staging", "--to", "1.x"], ["staging", "--to", "2.0"], ["staging", "--to", "1.36", "--json"], ["dev", "--to", "1.36"], ["staging", "--to", "1.36", "--from", "latest"]]) {
            const r = run(argv);
            assert.strictEqual(r.code, 2, argv.join(" "));
            assert.match(r.err, /Usage:/, argv.join(" "));
        }
    });
});

describe("npm run upgrade without --dry-run writes the setting for a pull request", () => {
    it("adds infra:kubernetesVersion, quoted, in the infra section, keeping every comment; the file then loads at the new version", () => {
        const root = tempRoot();
        const file = path.join(root, "Pulumi.staging.yaml");
        const before = fs.readFileSync(file, "utf8");
        const r = run(["staging", "--to", "1.36"], { root });
        assert.strictEqual(r.code, 0, r.err);
        assert.match(r.out, /Wrote infra:kubernetesVersion: "1\.36" into .*Pulumi\.staging\.yaml: commit it and open a pull request to staging\./);
        const after = fs.readFileSync(file, "utf8");
        assert.match(after, /^ {2}infra:kubernetesVersion: "1\.36"$/m);
        assert.ok(after.indexOf("infra:kubernetesVersion") < after.indexOf("# --- platform"), "in the infra section");
        for (const comment of before.split("\n").filter((l) => l.trim().startsWith("#"))) assert.ok(after.includes(comment), comment);
        assert.strictEqual(loadInfraSettings("staging", { source: settingsFileSource("staging", root), today: TODAY, dryRun: true }).kubernetesVersion, "1.36");

        // The next minor version replaces the value in place (from the file's own version, once it is deployed).
        fs.writeFileSync(file, after.replace('"1.36"', '"1.34"'));
        assert.strictEqual(run(["staging", "--to", "1.35"], { root }).code, 0);
        const again = fs.readFileSync(file, "utf8");
        assert.strictEqual((again.match(/infra:kubernetesVersion/g) ?? []).length, 1);
        assert.match(again, /infra:kubernetesVersion: "1\.35"/);
    });
});
