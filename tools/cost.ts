/**
 * The monthly cost estimate of an environment, from the resources its three layers would create (as the mock
 * kit records them) and the price table in prices.ts. Every line says what it counted, so a reader can check
 * the arithmetic. What the program cannot see (traffic, log volume) comes from the table's stated assumptions.
 */
import { AWS_DEFAULT_CPU_CREDITS, INSTANCE_TYPES, isBurstable } from "../lib/instance-types";
import { PRICE_TABLES, PriceTable } from "./prices";
import { gibibytes } from "../lib/quantity";

/** The shape of a recorded resource the model reads (the mock kit's RecordedResource). */
export interface CostedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state?: Record<string, any>;
}

export interface CostLine {
    item: string;
    /** What was counted, e.g. "2 x t3.small x 730 h". */
    basis: string;
    monthlyUsd: number;
}

/** What the estimate leaves out, said with every estimate. */
export const NOT_ESTIMATED = [
    "data transfer out of AWS and between AZs",
    "Container Insights enhanced observability (billed per observation)",
    "CloudWatch metrics and API requests beyond the free tier",
    "Secrets Manager and KMS API calls",
    "EBS snapshots",
];

export interface CostEstimate {
    region: string;
    currency: string;
    priceSource: string;
    priceChecked: string;
    lines: CostLine[];
    totalUsd: number;
    notEstimated: string[];
    /** What a person should know about the figures (another region's prices, an instance type without a price). */
    warnings: string[];
}

/** Kubernetes objects rendered from Git (the workloads ArgoCD syncs), for their persistent volumes. */
export type ManifestObject = Record<string, any>;

export interface CostInputs {
    resources: CostedResource[];
    /** Public ALBs: the platform's (ArgoCD, Grafana) and the workloads', each when something of theirs is exposed. */
    loadBalancers: number;
    /** Availability zones of the environment (an ALB has a public IPv4 address in each). */
    availabilityZones: number;
    /** The environment's region, when known: a warning says so when the price table is another region's. */
    region?: string;
    manifests?: ManifestObject[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function estimateCost(input: CostInputs, prices: PriceTable): CostEstimate {
    const h = prices.hoursPerMonth;
    const lines: CostLine[] = [];
    const add = (item: string, basis: string, monthlyUsd: number) => {
        if (monthlyUsd > 0) lines.push({ item, basis, monthlyUsd: round2(monthlyUsd) });
    };
    const of = (type: string) => input.resources.filter((r) => r.type === type);

    const clusters = of("eks:index:Cluster").length + of("aws:eks/cluster:Cluster").length;
    add("EKS control plane", `${clusters} cluster x ${h} h x $${prices.hourly.eksControlPlane}`, clusters * h * prices.hourly.eksControlPlane);

    const warnings: string[] = [];
    if (input.region !== undefined && input.region !== prices.region) {
        warnings.push(`no price table for ${input.region} in tools/prices.ts (it holds ${Object.keys(PRICE_TABLES).join(", ")}): the estimate uses ${prices.region}'s prices`);
    }
    const nodes = nodeCounts(of("aws:eks/nodeGroup:NodeGroup"));
    let nodeTotal = 0;
    for (const [type, count] of Object.entries(nodes)) {
        nodeTotal += count;
        const hourly = prices.ec2Hourly[type];
        if (hourly === undefined) {
            warnings.push(`no ${prices.region} price for ${type} in tools/prices.ts: its ${count} node(s) are left out of the total`);
            continue;
        }
        add(`EC2 nodes (${type})`, `${count} x ${h} h x $${hourly}`, count * h * hourly);
    }

    const nats = natGateways(of("awsx:ec2:Vpc"));
    add("NAT gateways", `${nats} x ${h} h x $${prices.hourly.natGateway}`, nats * h * prices.hourly.natGateway);
    if (nats > 0) {
        const gib = prices.assumptions.nat.dataProcessedGiB;
        add("NAT data processed", `${gib} GiB (assumed) x $${prices.monthly.natDataProcessedPerGiB}`, gib * prices.monthly.natDataProcessedPerGiB);
    }

    const azs = input.availabilityZones;
    const publicIps = nats + input.loadBalancers * azs;
    add("Public IPv4 addresses", `${publicIps} (${nats} NAT, ${input.loadBalancers * azs} ALB) x ${h} h x $${prices.hourly.publicIpv4}`, publicIps * h * prices.hourly.publicIpv4);

    if (input.loadBalancers > 0) {
        const lcu = prices.assumptions.alb.lcu;
        const hourly = prices.hourly.applicationLoadBalancer + lcu * prices.hourly.albLcu;
        add("Application Load Balancer", `${input.loadBalancers} x ${h} h x ($${prices.hourly.applicationLoadBalancer} + ${lcu} LCU (assumed) x $${prices.hourly.albLcu})`, input.loadBalancers * h * hourly);
    }

    const rootGiB = rootVolumeGiB(of("aws:eks/nodeGroup:NodeGroup"), of("aws:ec2/launchTemplate:LaunchTemplate"));
    add("EBS gp3, node root volumes", `${rootGiB} GiB x $${prices.monthly.ebsGp3PerGiB}`, rootGiB * prices.monthly.ebsGp3PerGiB);
    const pvGiB = persistentVolumeGiB(input.resources, input.manifests ?? []);
    add("EBS gp3, persistent volumes", `${pvGiB} GiB x $${prices.monthly.ebsGp3PerGiB}`, pvGiB * prices.monthly.ebsGp3PerGiB);

    const logGiB = round2(logVolumeGiB(of("aws:cloudwatch/logGroup:LogGroup"), nodeTotal, prices));
    const perGiB = prices.monthly.cloudwatchLogsIngestionPerGiB + prices.monthly.cloudwatchLogsStoragePerGiB;
    add("CloudWatch Logs", `${logGiB} GiB/month (assumed volumes) x ($${prices.monthly.cloudwatchLogsIngestionPerGiB} ingest + $${prices.monthly.cloudwatchLogsStoragePerGiB} storage)`, logGiB * perGiB);

    const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm").length;
    add("CloudWatch alarms", `${alarms} x $${prices.monthly.cloudwatchAlarm}`, alarms * prices.monthly.cloudwatchAlarm);

    const keys = of("aws:kms/key:Key").length;
    add("KMS keys", `${keys} x $${prices.monthly.kmsKey} (each of the first two yearly rotations adds $1)`, keys * prices.monthly.kmsKey);

    const secrets = of("aws:secretsmanager/secret:Secret").length;
    add("Secrets Manager secrets", `${secrets} x $${prices.monthly.secretsManagerSecret}`, secrets * prices.monthly.secretsManagerSecret);

    const ecrGiB = ecrStorageGiB(of("aws:ecr/repository:Repository"), of("aws:ecr/lifecyclePolicy:LifecyclePolicy"), prices);
    add("ECR storage", `${round2(ecrGiB)} GiB (kept images x ${prices.assumptions.ecr.imageGiB} GiB assumed) x $${prices.monthly.ecrStoragePerGiB}`, ecrGiB * prices.monthly.ecrStoragePerGiB);

    const acls = of("aws:wafv2/webAcl:WebAcl");
    const rules = acls.reduce((n, acl) => n + (acl.inputs.rules ?? []).length, 0);
    if (acls.length > 0) {
        const requests = prices.assumptions.alb.requestsMillions;
        add(
            "WAF",
            `${acls.length} web ACL x $${prices.monthly.wafWebAcl} + ${rules} rules x $${prices.monthly.wafRule} + ${requests}M requests (assumed) x $${prices.monthly.wafPerMillionRequests}`,
            acls.length * prices.monthly.wafWebAcl + rules * prices.monthly.wafRule + requests * prices.monthly.wafPerMillionRequests,
        );
    }

    if (input.loadBalancers > 0) {
        const gib = prices.assumptions.albAccessLogsGiB;
        add("S3, ALB access logs", `${gib} GiB (assumed) x $${prices.monthly.s3StandardPerGiB}`, gib * prices.monthly.s3StandardPerGiB);
    }

    const surplus = creditSurplusCeiling(nodes, of("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification"), prices);
    return {
        region: prices.region,
        currency: prices.currency,
        priceSource: prices.source,
        priceChecked: prices.checked,
        lines,
        totalUsd: round2(lines.reduce((n, l) => n + l.monthlyUsd, 0)),
        notEstimated: surplus ? [...NOT_ESTIMATED, surplus] : NOT_ESTIMATED,
        warnings,
    };
}

/**
 * Burstable nodes in unlimited mode (the family's account default, unless the program sets it to standard) bill
 * the CPU they use above their baseline: not estimated, but its ceiling is said (every node busy all month).
 */
function creditSurplusCeiling(nodes: Record<string, number>, creditDefaults: CostedResource[], prices: PriceTable): string | undefined {
    const mode = (family: string) => creditDefaults.find((d) => d.inputs.instanceFamily === family)?.inputs.cpuCredits ?? AWS_DEFAULT_CPU_CREDITS[family];
    const parts: string[] = [];
    let ceiling = 0;
    for (const [type, count] of Object.entries(nodes)) {
        if (!isBurstable(type) || mode(type.split(".")[0]) !== "unlimited") continue;
        const spec = INSTANCE_TYPES[type];
        const vcpus = spec ? spec.vcpu * (1 - (spec.baselinePercent ?? 0) / 100) : 2;
        const perNode = vcpus * prices.hoursPerMonth * prices.hourly.burstableSurplusVcpu;
        ceiling += count * perNode;
        parts.push(`${count} x ${type}, up to $${perNode.toFixed(2)} each`);
    }
    if (parts.length === 0) return undefined;
    return `CPU credits of burstable nodes in unlimited mode ($${prices.hourly.burstableSurplusVcpu} per vCPU-hour above the baseline: ${parts.join(", ")}; at most $${ceiling.toFixed(2)} a month if every node is busy all month)`;
}

/** Running nodes per instance type: each group's desired size of its first (preferred) type (EKS's default is t3.medium). */
export function nodeCounts(groups: CostedResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const g of groups) {
        const type = g.inputs.instanceTypes?.[0] ?? "t3.medium";
        counts[type] = (counts[type] ?? 0) + (g.inputs.scalingConfig?.desiredSize ?? 0);
    }
    return counts;
}

export function natGateways(vpcs: CostedResource[]): number {
    return vpcs.reduce((n, v) => {
        const strategy = v.inputs.natGateways?.strategy ?? "OnePerAz";
        const azs = v.inputs.numberOfAvailabilityZones ?? 3;
        return n + (strategy === "None" ? 0 : strategy === "Single" ? 1 : azs);
    }, 0);
}

function rootVolumeGiB(groups: CostedResource[], templates: CostedResource[]): number {
    const size = Math.max(0, ...templates.map((t) => t.inputs.blockDeviceMappings?.[0]?.ebs?.volumeSize ?? 0));
    return groups.reduce((n, g) => n + (g.inputs.scalingConfig?.desiredSize ?? 0) * size, 0);
}

/**
 * Persistent volumes: StatefulSet volumeClaimTemplates x replicas (Pulumi-managed and rendered from Git), and in
 * Helm values any `volumeClaimTemplate` (Prometheus, Alertmanager) or enabled `persistence.size`, times the
 * `replicas` beside it.
 */
export function persistentVolumeGiB(resources: CostedResource[], manifests: ManifestObject[]): number {
    let total = 0;
    const statefulSets = [
        ...resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet").map((r) => r.inputs),
        ...manifests.filter((m) => m.kind === "StatefulSet"),
    ];
    for (const s of statefulSets) {
        const replicas = s.spec?.replicas ?? 1;
        for (const t of s.spec?.volumeClaimTemplates ?? []) total += replicas * gibibytes(t.spec?.resources?.requests?.storage ?? 0);
    }
    for (const release of resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
        total += helmVolumes(release.inputs.values ?? {});
    }
    return round2(total);
}

function helmVolumes(node: any, replicas = 1): number {
    if (node === null || typeof node !== "object") return 0;
    if (Array.isArray(node)) return node.reduce((n, v) => n + helmVolumes(v, replicas), 0);
    const here = typeof node.replicas === "number" ? node.replicas : replicas;
    let total = 0;
    const claim = node.volumeClaimTemplate?.spec?.resources?.requests?.storage;
    if (claim !== undefined) total += here * gibibytes(claim);
    if (node.persistence?.enabled === true && node.persistence.size !== undefined) total += here * gibibytes(node.persistence.size);
    for (const [key, value] of Object.entries(node)) {
        if (key === "volumeClaimTemplate" || key === "persistence") continue;
        total += helmVolumes(value, here);
    }
    return total;
}

/** Monthly log volume by group: the program's groups are recognised by name, any other gets a flat assumption. */
function logVolumeGiB(groups: CostedResource[], nodes: number, prices: PriceTable): number {
    const a = prices.assumptions;
    let gib = 0;
    let insights = false;
    for (const g of groups) {
        const name = String(g.inputs.name ?? "");
        if (name.endsWith("/cluster") && name.startsWith("/aws/eks/")) gib += a.controlPlaneLogsGiB;
        else if (name.includes("flow-logs")) gib += a.vpcFlowLogsGiB;
        else if (name.startsWith("/aws/containerinsights/") && name.endsWith("/application")) gib += a.containerLogsGiBPerNode * nodes;
        else if (name.startsWith("/aws/containerinsights/")) insights = true;
        else if (name.startsWith("aws-waf-logs-")) gib += (a.alb.requestsMillions * 1e6 * a.wafLogKiBPerRequest) / 2 ** 20;
        else gib += a.otherLogGroupGiB;
    }
    // performance, host and dataplane together: one per-node figure.
    return gib + (insights ? a.insightsLogsGiBPerNode * nodes : 0);
}

function ecrStorageGiB(repos: CostedResource[], policies: CostedResource[], prices: PriceTable): number {
    return repos.reduce((n, repo) => {
        const policy = policies.find((p) => p.inputs.repository === (repo.state?.name ?? repo.inputs.name));
        const keep = policy ? JSON.parse(policy.inputs.policy).rules?.[0]?.selection?.countNumber ?? 10 : 10;
        return n + keep * prices.assumptions.ecr.imageGiB;
    }, 0);
}
