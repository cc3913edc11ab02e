import * as assert from "assert";
import { gibibytes } from "../../lib/quantity";
import { CostedResource, estimateCost } from "../../tools/cost";
import { PRICE_TABLES, PriceTable, PRICES, pricesFor } from "../../tools/prices";

/** Round figures so every expected amount below can be checked by hand. */
const PRICES_FOR_TEST: PriceTable = {
    ...PRICES,
    hoursPerMonth: 700,
    hourly: { eksControlPlane: 0.1, natGateway: 0.05, publicIpv4: 0.01, applicationLoadBalancer: 0.02, albLcu: 0.01, burstableSurplusVcpu: 0.1 },
    ec2Hourly: { "t3.small": 0.02, "t3.medium": 0.04 },
    monthly: {
        ebsGp3PerGiB: 0.1,
        cloudwatchLogsIngestionPerGiB: 0.5,
        cloudwatchLogsStoragePerGiB: 0.1,
        cloudwatchAlarm: 0.1,
        kmsKey: 1,
        secretsManagerSecret: 0.5,
        ecrStoragePerGiB: 0.1,
        natDataProcessedPerGiB: 0.1,
        wafWebAcl: 5,
        wafRule: 1,
        wafPerMillionRequests: 1,
        s3StandardPerGiB: 0.1,
    },
    assumptions: {
        controlPlaneLogsGiB: 5,
        vpcFlowLogsGiB: 3,
        containerLogsGiBPerNode: 2,
        insightsLogsGiBPerNode: 1,
        otherLogGroupGiB: 0.5,
        // 2M requests x 1.048576 KiB = 2 GiB of WAF logs.
        wafLogKiBPerRequest: 1.048576,
        nat: { dataProcessedGiB: 10 },
        alb: { lcu: 1, requestsMillions: 2 },
        ecr: { imageGiB: 0.2 },
        albAccessLogsGiB: 10,
    },
};

const r = (type: string, name: string, inputs: Record<string, any>, state: Record<string, any> = {}): CostedResource => ({ type, name, inputs, state });

const SMALL_GRAPH: CostedResource[] = [
    r("eks:index:Cluster", "cluster", {}),
    r("awsx:ec2:Vpc", "vpc", { numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" } }),
    r("aws:eks/nodeGroup:NodeGroup", "ng-1", { instanceTypes: ["t3.small"], scalingConfig: { minSize: 1, desiredSize: 2, maxSize: 3 } }),
    r("aws:eks/nodeGroup:NodeGroup", "ng-2", { instanceTypes: ["t3.small"], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 3 } }),
    r("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ ebs: { volumeSize: 20, volumeType: "gp3" } }] }),
    r("aws:cloudwatch/logGroup:LogGroup", "cp", { name: "/aws/eks/demo/cluster" }),
    r("aws:cloudwatch/logGroup:LogGroup", "flow", { name: "/aws/vpc/demo/flow-logs" }),
    r("aws:cloudwatch/logGroup:LogGroup", "apps", { name: "/aws/containerinsights/demo/application" }),
    r("aws:cloudwatch/logGroup:LogGroup", "perf", { name: "/aws/containerinsights/demo/performance" }),
    r("aws:cloudwatch/logGroup:LogGroup", "host", { name: "/aws/containerinsights/demo/host" }),
    r("aws:cloudwatch/logGroup:LogGroup", "audit-trail", { name: "/custom/audit" }),
    r("aws:cloudwatch/logGroup:LogGroup", "waf", { name: "aws-waf-logs-demo" }),
    r("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu", {}),
    r("aws:cloudwatch/metricAlarm:MetricAlarm", "mem", {}),
    r("aws:kms/key:Key", "key", {}),
    r("aws:secretsmanager/secret:Secret", "s1", {}),
    r("aws:secretsmanager/secret:Secret", "s2", {}),
    r("aws:ecr/repository:Repository", "repo", { name: "demo/api" }, { name: "demo/api" }),
    r("aws:ecr/lifecyclePolicy:LifecyclePolicy", "repo", { repository: "demo/api", policy: JSON.stringify({ rules: [{ selection: { countNumber: 5 } }] }) }),
    r("aws:wafv2/webAcl:WebAcl", "waf", { rules: [{}, {}, {}] }),
    r("kubernetes:helm.sh/v3:Release", "monitoring", {
        values: { prometheus: { prometheusSpec: { replicas: 2, storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "50Gi" } } } } } } }, grafana: { persistence: { enabled: false, size: "10Gi" } } },
    }),
];
const MANIFESTS = [{ kind: "StatefulSet", spec: { replicas: 1, volumeClaimTemplates: [{ spec: { resources: { requests: { storage: "10Gi" } } } }] } }];

describe("cost model", () => {
    const estimate = estimateCost({ resources: SMALL_GRAPH, loadBalancers: 1, availabilityZones: 2, region: "us-east-1", manifests: MANIFESTS }, PRICES_FOR_TEST);
    const line = (item: string) => estimate.lines.find((l) => l.item === item)?.monthlyUsd;

    it("prices each item by hand-checkable arithmetic", () => {
        assert.strictEqual(line("EKS control plane"), 70); // 1 x 700 h x 0.1
        assert.strictEqual(line("EC2 nodes (t3.small)"), 42); // (2 + 1) nodes x 700 h x 0.02
        assert.strictEqual(line("NAT gateways"), 35); // Single: 1 x 700 x 0.05
        assert.strictEqual(line("NAT data processed"), 1); // 10 GiB x 0.1
        assert.strictEqual(line("Public IPv4 addresses"), 21); // (1 NAT + 1 ALB x 2 AZs) x 700 x 0.01
        assert.strictEqual(line("Application Load Balancer"), 21); // 700 x (0.02 + 1 LCU x 0.01)
        assert.strictEqual(line("EBS gp3, node root volumes"), 6); // 3 nodes x 20 GiB x 0.1
        assert.strictEqual(line("EBS gp3, persistent volumes"), 11); // (2 x 50 Gi Prometheus + 1 x 10 Gi StatefulSet; Grafana off) x 0.1
        // 5 control plane + 3 flow + 2 x 3 nodes (application) + 1 x 3 nodes (performance, host: one figure) + 0.5 other
        // + 2 WAF (2M requests x 1.048576 KiB) = 19.5 GiB x (0.5 + 0.1)
        assert.strictEqual(line("CloudWatch Logs"), 11.7);
        assert.strictEqual(line("CloudWatch alarms"), 0.2);
        assert.strictEqual(line("KMS keys"), 1);
        assert.strictEqual(line("Secrets Manager secrets"), 1);
        assert.strictEqual(line("ECR storage"), 0.1); // 5 kept x 0.2 GiB x 0.1
        assert.strictEqual(line("WAF"), 10); // 5 + 3 rules x 1 + 2M requests x 1
        assert.strictEqual(line("S3, ALB access logs"), 1);
    });

    it("totals the lines", () => {
        // 70 + 42 + 35 + 1 + 21 + 21 + 6 + 11 + 11.7 + 0.2 + 1 + 1 + 0.1 + 10 + 1
        assert.strictEqual(estimate.totalUsd, 232);
        assert.deepStrictEqual(estimate.warnings, [], "same region, every type priced: nothing to warn about");
        assert.strictEqual(estimate.region, PRICES.region);
    });

    it("a NAT per AZ and no load balancer change the NAT and IPv4 lines", () => {
        const graph = SMALL_GRAPH.map((x) => (x.type === "awsx:ec2:Vpc" ? r(x.type, x.name, { numberOfAvailabilityZones: 3, natGateways: { strategy: "OnePerAz" } }) : x));
        const e = estimateCost({ resources: graph, loadBalancers: 0, availabilityZones: 3, region: "eu-west-1" }, PRICES_FOR_TEST);
        assert.strictEqual(e.lines.find((l) => l.item === "NAT gateways")!.monthlyUsd, 105);
        assert.strictEqual(e.lines.find((l) => l.item === "Public IPv4 addresses")!.monthlyUsd, 21);
        assert.strictEqual(e.lines.find((l) => l.item === "Application Load Balancer"), undefined);
        assert.deepStrictEqual(e.warnings, ["no price table for eu-west-1 in tools/prices.ts (it holds us-east-1): the estimate uses us-east-1's prices"]);
    });

    it("leaves an instance type without a price out of the total, and says so, rather than guessing", () => {
        const graph = [r("aws:eks/nodeGroup:NodeGroup", "ng", { instanceTypes: ["t8i.small"], scalingConfig: { desiredSize: 2 } })];
        const e = estimateCost({ resources: graph, loadBalancers: 0, availabilityZones: 2 }, PRICES_FOR_TEST);
        assert.strictEqual(e.lines.find((l) => l.item.startsWith("EC2 nodes")), undefined);
        assert.deepStrictEqual(e.warnings, ["no us-east-1 price for t8i.small in tools/prices.ts: its 2 node(s) are left out of the total"]);
    });

    it("says the ceiling of CPU credits billed by burstable nodes in unlimited mode (none once the account default is standard)", () => {
        // t3.small: 2 vCPUs, 20 % baseline: 1.6 vCPU x 700 h x 0.1 = 112 a node; 3 nodes
        assert.ok(estimate.notEstimated.includes("CPU credits of burstable nodes in unlimited mode ($0.1 per vCPU-hour above the baseline: 3 x t3.small, up to $112.00 each; at most $336.00 a month if every node is busy all month)"), estimate.notEstimated.join("\n"));
        const standard = [...SMALL_GRAPH, r("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification", "credits", { instanceFamily: "t3", cpuCredits: "standard" })];
        const e = estimateCost({ resources: standard, loadBalancers: 1, availabilityZones: 2 }, PRICES_FOR_TEST);
        assert.ok(!e.notEstimated.some((n) => n.startsWith("CPU credits")));
    });

    it("prices follow the region: the table of a known region, us-east-1's otherwise (and the plan warns)", () => {
        assert.deepStrictEqual(Object.keys(PRICE_TABLES), ["us-east-1"]);
        assert.deepStrictEqual(pricesFor("us-east-1"), { prices: PRICES, known: true });
        assert.deepStrictEqual(pricesFor("eu-west-1"), { prices: PRICES, known: false });
        for (const [region, table] of Object.entries(PRICE_TABLES)) assert.strictEqual(table.region, region, "each table says its region");
    });

    it("reads Kubernetes storage quantities", () => {
        assert.strictEqual(gibibytes("20Gi"), 20);
        assert.strictEqual(gibibytes("512Mi"), 0.5);
        assert.strictEqual(gibibytes("1Ti"), 1024);
        assert.throws(() => gibibytes("lots"), /not a storage quantity/);
    });
});
