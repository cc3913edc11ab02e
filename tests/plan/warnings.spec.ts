/**
 * What the plan warns about and what fails it: the fork checklist (each placeholder of the committed settings),
 * prices of another region, an instance type without a price, and pods that do not fit the nodes.
 */
import * as assert from "assert";
import { TEMPLATE_GITHUB_REPOSITORY } from "../../infra/settings";
import { formatPlan, plan, planMarkdown } from "../../tools/plan";
import { DOCUMENTATION_CIDRS, forkChecklist } from "../../tools/fork-checklist";
import { CAPACITY_SAMPLE_CONFIG, samplePlan } from "../../tools/plan-samples";
import { settingsSource } from "../helpers";
import { committedPlan } from "./fixture";
import { today } from "../../lib/today";

// The suite's pinned day (tests/register.js).
const TODAY = today();
const FIXED = {
    "infra:githubRepository": "my-org/my-platform",
    "infra:endpointPublicAccessCidrs": ["198.51.101.0/24"],
    "infra:adminPrincipalArns": ["arn:aws:iam::123456789012:role/platform-admins"],
    "platform:alarmEmail": "ops@example.com",
    "platform:alertmanagerPagerDutySecret": "pagerduty/routing-key",
};
const checklist = (env: "staging" | "production", overrides: Record<string, unknown> = {}) => forkChecklist(env, settingsSource(env, overrides), TODAY);

describe("plan warnings: the fork checklist", () => {
    for (const env of ["staging", "production"] as const) {
        it(`${env}: the committed settings are the template's, and the plan lists each placeholder with its key`, async () => {
            const warnings = (await committedPlan(env)).warnings.filter((w) => w.startsWith("fork checklist: "));
            assert.deepStrictEqual(
                warnings.map((w) => /^fork checklist: (\S+)/.exec(w)![1]),
                ["infra:githubRepository", "infra:endpointPublicAccessCidrs", "infra:adminPrincipalArns", "the", "Alertmanager"],
            );
            assert.match(warnings[0], new RegExp(`is the template's placeholder ${TEMPLATE_GITHUB_REPOSITORY}: CI's roles would trust that repository, and \`pulumi up\` refuses it`));
            assert.match(warnings[1], /holds 203\.0\.113\.0\/24, reserved for documentation \(RFC 5737\): nobody reaches the Kubernetes API from there/);
            assert.match(warnings[2], /infra:adminPrincipalArns is empty: no person administers the cluster/);
            assert.match(warnings[3], /the CloudWatch alarms have no receiver \(platform:alarmEmail, platform:alarmPagerDutyUrlSecret\)/);
            assert.match(warnings[4], /Alertmanager has no receiver \(platform:alertmanagerPagerDutySecret\)/);
        });
    }

    it("each warning goes once its setting is the fork's own", () => {
        assert.strictEqual(checklist("staging").length, 5);
        const without = (key: string, value: unknown) => checklist("staging", { [key]: value });
        assert.ok(!without("infra:githubRepository", "my-org/my-platform").some((w) => w.includes("infra:githubRepository")));
        assert.ok(!without("infra:endpointPublicAccessCidrs", []).some((w) => w.includes("infra:endpointPublicAccessCidrs")), "no public endpoint at all");
        assert.ok(!without("infra:adminPrincipalArns", FIXED["infra:adminPrincipalArns"]).some((w) => w.includes("infra:adminPrincipalArns")));
        assert.ok(!without("platform:alarmEmail", "ops@example.com").some((w) => w.includes("CloudWatch alarms")));
        assert.ok(!without("platform:alarmPagerDutyUrlSecret", "pagerduty/cloudwatch-url").some((w) => w.includes("CloudWatch alarms")));
        assert.ok(!without("platform:alertmanagerPagerDutySecret", "pagerduty/key").some((w) => w.includes("Alertmanager")));
        assert.deepStrictEqual(checklist("production", FIXED), []);
    });

    it("every documentation range counts, within a wider CIDR too; a neighbour does not", () => {
        for (const cidr of DOCUMENTATION_CIDRS) assert.match(checklist("staging", { "infra:endpointPublicAccessCidrs": [cidr] }).join("\n"), new RegExp(cidr.replace(/\./g, "\\.")));
        assert.match(checklist("staging", { "infra:endpointPublicAccessCidrs": ["198.51.0.0/16"] }).join("\n"), /holds 198\.51\.0\.0\/16, reserved for documentation/);
        assert.ok(!checklist("staging", { "infra:endpointPublicAccessCidrs": ["198.51.101.0/24"] }).some((w) => w.includes("endpointPublicAccessCidrs")));
    });

    it("settings that do not validate are the layers' to report: the checklist says nothing about them", () => {
        assert.ok(!checklist("staging", { "infra:vpcCidr": "nonsense" }).some((w) => w.startsWith("fork checklist: infra:")));
    });
});

describe("plan warnings: prices and capacity", () => {
    it("a fork's own settings in another region: the only warning is the prices (and its services never released), and the heading says whose", async () => {
        // (Production in an account of its own: staging's CPU credits then set nothing of production's.)
        const r = await plan({ env: "staging", config: { ...FIXED, "aws:region": "eu-west-1", "infra:promotionTarget": { accountId: "210987654321" } } });
        // The committed overlays pin no release yet: the policies say so (tests/policies/whole-graph.spec.ts checks which).
        assert.deepStrictEqual(r.warnings.filter((w) => !/^workload-images-pinned: .* was never released: /.test(w)), ["cost: no price table for eu-west-1 in tools/prices.ts (it holds us-east-1): the estimate uses us-east-1's prices"]);
        assert.strictEqual(r.region, "eu-west-1");
        assert.strictEqual(r.cost.region, "us-east-1");
        const text = formatPlan(r);
        assert.strictEqual(text.split("\n")[3], `  monthly   $${r.cost.totalUsd.toFixed(2)} a month (us-east-1 prices: no table for eu-west-1)`, "the summary says it, not only the warnings");
        assert.match(text, /== monthly cost estimate \(USD, us-east-1 prices \(no table for eu-west-1\), /);
        const markdown = planMarkdown(r);
        assert.ok(markdown.includes(`| **Monthly cost** | $${r.cost.totalUsd.toFixed(2)} a month (us-east-1 prices: no table for eu-west-1) |`), markdown);
        assert.match(markdown, /^### Monthly cost \(USD, us-east-1 list prices of \d{4}-\d\d: no table for eu-west-1\)$/m);
        assert.strictEqual(r.exitCode, 0);
    });

    it("an instance type without a price is left out of the total, with a warning; t8i's CPU credits cannot be set, which infra says", async () => {
        const r = await plan({ env: "staging", layer: "infra", config: { "infra:nodeGroup": { instanceTypes: ["t8i.small"], minSize: 1, desiredSize: 3, maxSize: 4 } } });
        assert.ok(r.warnings.includes("cost: no us-east-1 price for t8i.small in tools/prices.ts: its 3 node(s) are left out of the total"), r.warnings.join("\n"));
        assert.ok(r.warnings.some((w) => /^infra:nodeGroup\.cpuCredits: standard cannot be set for t8i nodes/.test(w)), r.warnings.join("\n"));
        assert.ok(!r.cost.lines.some((l) => l.item.startsWith("EC2 nodes")));
    });

    it("pods that do not fit at the minimum fail the plan (exit 1), naming the shortfall; the maximum only warns", async () => {
        // The README's example (its sample is this plan): t3.micro, 3 per AZ in both AZs.
        assert.deepStrictEqual(CAPACITY_SAMPLE_CONFIG, { "infra:nodeGroup": { instanceTypes: ["t3.micro"], minSize: 1, desiredSize: 3, maxSize: 4 }, "infra:nodeAvailabilityZoneCount": 2 });
        const r = await samplePlan({ env: "staging", config: CAPACITY_SAMPLE_CONFIG });
        assert.strictEqual(r.exitCode, 1);
        assert.strictEqual(r.policies.mandatory, 0, "the policies allow t3.micro: only the capacity fails");
        assert.ok(r.failures.some((f) => /^capacity: at the autoscalers' minimum, the pods do not fit the desired 6 x t3\.micro: memory \d+ MiB requested of 3288 MiB allocatable \(short by \d+ MiB\)/.test(f)), r.failures.join("\n"));
        assert.ok(r.warnings.some((w) => /^capacity: at the autoscalers' maximum, the pods do not fit the maximum 8 x t3\.micro/.test(w)));
        const text = formatPlan(r);
        assert.match(text, /verdict {3}FAILS: the pods do not fit the nodes at the minimum \(exit 1\)/);
        assert.match(text, /capacity {2}6 x t3\.micro at the minimum: does not fit \(needs \d+ nodes\)/);
        assert.match(text, /== fails \(\d\) ==\n {2}- capacity: /);
    });
});
