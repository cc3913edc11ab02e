/**
 * The plan's view of a layer: its resources as a tree (components and their children), each with the settings
 * that matter for a review (sizes, counts, versions, chart versions) in one short line.
 */
import { RecordedResource } from "../lib/offline";

export interface PlanNode {
    type: string;
    name: string;
    /** The resource's URN (what the --base comparison matches on). */
    urn: string;
    /** The settings that matter, in words; "" when there is nothing to say. */
    summary: string;
    /** A remote component: what it creates inside appears only in a real preview. */
    remote: boolean;
    children: PlanNode[];
}

/** Builds the tree from the recorded parent URNs (resources keep their registration order). */
export function resourceTree(resources: RecordedResource[]): PlanNode[] {
    const nodes = new Map<string, PlanNode>();
    for (const r of resources) nodes.set(r.urn, { type: r.type, name: r.name, urn: r.urn, summary: summarize(r), remote: r.remote, children: [] });
    const roots: PlanNode[] = [];
    for (const r of resources) {
        const node = nodes.get(r.urn)!;
        const parent = r.parent ? nodes.get(r.parent) : undefined;
        (parent ? parent.children : roots).push(node);
    }
    return roots;
}

export function countNodes(nodes: PlanNode[]): number {
    return nodes.reduce((n, node) => n + 1 + countNodes(node.children), 0);
}

/** Renders a tree with box-drawing branches. */
export function renderTree(nodes: PlanNode[], indent = ""): string[] {
    const lines: string[] = [];
    nodes.forEach((node, i) => {
        const last = i === nodes.length - 1;
        const label = `${node.type} ${node.name}${node.summary ? `  (${node.summary})` : ""}${node.remote ? "  [remote component]" : ""}`;
        lines.push(`${indent}${last ? "└─ " : "├─ "}${label}`);
        lines.push(...renderTree(node.children, indent + (last ? "   " : "│  ")));
    });
    return lines;
}

type Summarizer = (inputs: Record<string, any>, r: RecordedResource) => string;

const list = (v: unknown) => (Array.isArray(v) ? v.join(", ") : String(v ?? ""));

const SUMMARIES: Record<string, Summarizer> = {
    "awsx:ec2:Vpc": (i) => `${i.cidrBlock}, ${i.numberOfAvailabilityZones} AZs, NAT ${i.natGateways?.strategy}`,
    "eks:index:Cluster": (i) =>
        `Kubernetes ${i.version}, ${i.authenticationMode} auth, private endpoint${i.endpointPublicAccess ? ` + public from ${list(i.publicAccessCidrs)}` : " only"}, logs ${list(i.enabledClusterLogTypes)}`,
    "aws:eks/nodeGroup:NodeGroup": (i) =>
        `${list(i.instanceTypes)} x ${i.scalingConfig?.desiredSize} (min ${i.scalingConfig?.minSize}, max ${i.scalingConfig?.maxSize}), ${i.capacityType}, ${i.amiType}`,
    "aws:ec2/launchTemplate:LaunchTemplate": (i) => {
        const ebs = i.blockDeviceMappings?.[0]?.ebs ?? {};
        const credits = i.creditSpecification ? `, CPU credits ${i.creditSpecification.cpuCredits}` : "";
        return `${ebs.volumeType} ${ebs.volumeSize} GiB encrypted=${ebs.encrypted}, IMDS tokens ${i.metadataOptions?.httpTokens}, public IP ${i.networkInterfaces?.[0]?.associatePublicIpAddress ?? "subnet default"}${credits}`;
    },
    "aws:eks/addon:Addon": (i) => `${i.addonName} ${i.addonVersion}`,
    "aws:ecr/repository:Repository": (i) => `${i.name}, tags ${i.imageTagMutability}, scan on push ${i.imageScanningConfiguration?.scanOnPush}`,
    "aws:cloudwatch/logGroup:LogGroup": (i) => `${i.name}, ${i.retentionInDays} days`,
    "aws:kms/key:Key": (i) => `rotation ${i.enableKeyRotation}, deletion window ${i.deletionWindowInDays} days`,
    "aws:iam/role:Role": (i, r) => String(i.name ?? r.state.name ?? ""),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (i) => String(i.policyArn ?? "").replace(/^arn:aws:iam::aws:policy\//, ""),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (i) => `${String(i.policyArn).split("/").pop()} for ${i.principalArn}`,
    "kubernetes:helm.sh/v3:Release": (i) => `${i.chart} ${i.version} from ${i.repositoryOpts?.repo ?? "?"} in ${i.namespace}`,
    "kubernetes:core/v1:Namespace": (i) => {
        const l = i.metadata?.labels ?? {};
        return `${i.metadata?.name}, pod security ${l["pod-security.kubernetes.io/enforce"] ?? "none"}`;
    },
    "kubernetes:storage.k8s.io/v1:StorageClass": (i) =>
        `${i.metadata?.name}: ${i.provisioner} ${i.parameters?.type} encrypted=${i.parameters?.encrypted}${i.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true" ? ", default" : ""}`,
    "kubernetes:argoproj.io/v1alpha1:Application": (i) => {
        const source = i.spec?.source ?? i.spec?.sources?.[0] ?? {};
        const wave = i.metadata?.annotations?.["argocd.argoproj.io/sync-wave"];
        return `${i.metadata?.name}: ${source.path} @ ${source.targetRevision}${wave !== undefined ? `, wave ${wave}` : ""}`;
    },
    "kubernetes:argoproj.io/v1alpha1:AppProject": (i) => `${i.metadata?.name}: ${(i.spec?.destinations ?? []).map((d: any) => d.namespace).join(", ")}`,
    "aws:wafv2/webAcl:WebAcl": (i) => `${i.scope}, ${(i.rules ?? []).map((r: any) => r.name).join(", ")}`,
    "aws:cloudwatch/metricAlarm:MetricAlarm": (i) => `${i.metricName} ${i.comparisonOperator} ${i.threshold}`,
    "aws:ec2/defaultCreditSpecification:DefaultCreditSpecification": (i) => `account default for ${i.instanceFamily} in the region: ${i.cpuCredits} CPU credits`,
    "aws:sns/topicSubscription:TopicSubscription": (i) => `${i.protocol}`,
    "aws:secretsmanager/secret:Secret": (i) => String(i.name ?? ""),
};

export function summarize(r: RecordedResource): string {
    const summarizer = SUMMARIES[r.type];
    if (!summarizer) return "";
    try {
        return summarizer(r.inputs, r);
    } catch {
        return "";
    }
}
