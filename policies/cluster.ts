/**
 * The EKS control plane and its nodes: Kubernetes secrets encrypted with a customer-managed KMS key, the
 * control-plane logs that say who did what, a public API endpoint only for listed CIDRs, and IMDSv2 on every
 * launch template. Checked on the plain aws:eks/cluster:Cluster (what @pulumi/eks creates) and on the
 * eks:index:Cluster component inputs, which carry the same facts.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asBool, asList, describeResource, isNonEmptyString, listText, Props, validateTypes } from "./common";
import { exceptionsSetting, ExceptionsConfig, findings } from "./exceptions";

const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const EKS_COMPONENT = "eks:index:Cluster";

export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export const eksSecretsEncryption: ResourceValidationPolicy = {
    name: "eks-secrets-encryption",
    description:
        "EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key (envelope encryption, CKV_AWS_58): the key's policy and CloudTrail then control and record who can decrypt them.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([EKS_CLUSTER, EKS_COMPONENT], (props, args, report) => {
        const subject = describeResource(args.type, args.name);
        if (args.type === EKS_COMPONENT) {
            if (!isNonEmptyString(props.encryptionConfigKeyArn)) {
                report(`${subject}: encryptionConfigKeyArn is not set, so Kubernetes secrets are not encrypted with your KMS key. Fix: set encryptionConfigKeyArn to the ARN of a KMS key with rotation on.`);
            }
            return;
        }
        // aws.eks.Cluster: encryptionConfig { provider: { keyArn }, resources: ["secrets"] } (an object; a list in old providers).
        const config: Props | undefined = asList(props.encryptionConfig)[0];
        const resources = asList<string>(config?.resources);
        if (!resources.includes("secrets") || !isNonEmptyString(config?.provider?.keyArn)) {
            const actual = config === undefined ? "not set" : `resources ${listText(resources)} with key ${JSON.stringify(config.provider?.keyArn)}`;
            report(`${subject}: encryptionConfig is ${actual}, so Kubernetes secrets are not encrypted with your KMS key. Fix: set encryptionConfig to { provider: { keyArn: <KMS key ARN> }, resources: ["secrets"] }.`);
        }
    }),
};

export interface ControlPlaneLoggingConfig {
    requiredLogTypes: string[];
}

export const eksControlPlaneLogging: ResourceValidationPolicy = {
    name: "eks-control-plane-logging",
    description:
        "EKS clusters send the control-plane logs that answer who did what (api, audit, authenticator by default; CKV_AWS_37 asks for all five, which the stacks enable) " +
        "to CloudWatch Logs; without them an incident cannot be reconstructed.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requiredLogTypes: {
                type: "array",
                items: { type: "string", enum: CONTROL_PLANE_LOG_TYPES },
                uniqueItems: true,
                minItems: 1,
                default: ["api", "audit", "authenticator"],
                description: "Control-plane log types every cluster must enable.",
            },
        },
    },
    validateResource: validateTypes([EKS_CLUSTER, EKS_COMPONENT], (props, args, report) => {
        const required = args.getConfig<ControlPlaneLoggingConfig>().requiredLogTypes;
        const enabled = asList<string>(props.enabledClusterLogTypes);
        const missing = required.filter((t) => !enabled.includes(t));
        if (missing.length > 0) {
            report(
                `${describeResource(args.type, args.name)}: enabledClusterLogTypes (${listText(enabled)}) lacks ${listText(missing)}. ` +
                    `Fix: add ${listText(missing)} to enabledClusterLogTypes.`,
            );
        }
    }),
};

/** The prefix length of a CIDR ("203.0.113.0/24" -> 24; a bare address is one host); undefined when it is not one. */
export function prefixLength(cidr: unknown): number | undefined {
    if (typeof cidr !== "string") return undefined;
    const match = /^[0-9a-fA-F.:]+(?:\/(\d{1,3}))?$/.exec(cidr.trim());
    if (!match) return undefined;
    if (match[1] !== undefined) return Number(match[1]);
    return cidr.includes(":") ? 128 : 32;
}

export interface PublicEndpointConfig extends ExceptionsConfig {
    minimumPrefixLength: number;
    minimumIpv6PrefixLength: number;
}

export const eksPublicEndpointRestricted: ResourceValidationPolicy = {
    name: "eks-public-endpoint-restricted",
    description:
        "An EKS API endpoint that is public accepts connections only from listed CIDRs, none wider than minimumPrefixLength (default /8; IPv6 /32), never 0.0.0.0/0 " +
        "(the default of both EKS and @pulumi/eks when no CIDRs are given; CKV_AWS_38): the API server is then not a target for the whole internet, " +
        "not even through several wide ranges such as 0.0.0.0/1 and 128.0.0.0/1. A public endpoint at all (CKV_AWS_39) is a documented exception.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumPrefixLength: {
                type: "integer",
                minimum: 1,
                maximum: 32,
                default: 8,
                description:
                    "The shortest prefix an IPv4 public access CIDR may have. EKS takes at most 40 CIDRs, so /8 blocks cannot add up to the internet (40 of 256).",
            },
            minimumIpv6PrefixLength: {
                type: "integer",
                minimum: 1,
                maximum: 128,
                default: 32,
                description: "The shortest prefix an IPv6 public access CIDR may have (IPv6 clusters): 40 blocks of /8 would cover all global unicast space (2000::/3).",
            },
            exceptions: exceptionsSetting("eks-public-endpoint-restricted"),
        },
    },
    validateResource: validateTypes([EKS_CLUSTER, EKS_COMPONENT], (props, args, report) => {
        const vpc: Props = args.type === EKS_COMPONENT ? props : props.vpcConfig ?? {};
        const prefix = args.type === EKS_COMPONENT ? "" : "vpcConfig.";
        // Both default to a public endpoint.
        if (asBool(vpc.endpointPublicAccess) === false) return;
        const config = args.getConfig<PublicEndpointConfig>();
        const cidrs = asList<string>(vpc.publicAccessCidrs);
        const limitOf = (cidr: string) =>
            cidr.includes(":") ? { minimum: config.minimumIpv6PrefixLength, setting: "minimumIpv6PrefixLength" } : { minimum: config.minimumPrefixLength, setting: "minimumPrefixLength" };
        const wide = cidrs.filter((c) => {
            const length = prefixLength(c);
            return length !== undefined && length < limitOf(c).minimum;
        });
        if (cidrs.length === 0 || wide.length > 0) {
            const actual =
                cidrs.length === 0
                    ? "not set (the default is 0.0.0.0/0)"
                    : `${listText(cidrs)}, which includes ${wide.map((c) => `${c} (wider than /${limitOf(c).minimum}, ${limitOf(c).setting})`).join(", ")}`;
            report(
                `${describeResource(args.type, args.name)}: the public API endpoint is open to the internet: ${prefix}publicAccessCidrs is ${actual}. ` +
                    `Fix: set ${prefix}publicAccessCidrs to the CIDRs you administer the cluster from, or set ${prefix}endpointPublicAccess to false.`,
            );
            return;
        }
        // Limited to listed CIDRs (CKV_AWS_38 holds); Checkov also wants no public endpoint at all.
        findings(args, report, config.exceptions)(
            "CKV_AWS_39",
            String(props.name ?? args.name),
            `${describeResource(args.type, args.name)}: the API endpoint is public (for ${listText(cidrs)}) (CKV_AWS_39). Fix: set ${prefix}endpointPublicAccess to false and reach the API from inside the VPC.`,
        );
    }),
};

export const imdsv2Required: ResourceValidationPolicy = {
    name: "imdsv2-required",
    description:
        "Launch templates and instances require IMDSv2 session tokens (metadataOptions.httpTokens \"required\"), or turn the metadata endpoint off: " +
        "IMDSv1 lets any SSRF bug read the node role's credentials (CKV_AWS_79).",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"], (props, args, report) => {
        const metadata: Props = props.metadataOptions ?? {};
        if (metadata.httpEndpoint === "disabled" || metadata.httpTokens === "required") return;
        const actual = metadata.httpTokens === undefined ? "not set (IMDSv1 stays allowed)" : JSON.stringify(metadata.httpTokens);
        report(`${describeResource(args.type, args.name)}: metadataOptions.httpTokens is ${actual}. Fix: set metadataOptions.httpTokens to "required".`);
    }),
};

export const imdsHopLimit: ResourceValidationPolicy = {
    name: "imds-hop-limit",
    description:
        "Launch templates and instances answer instance metadata requests only one network hop away (metadataOptions.httpPutResponseHopLimit 1, CKV_AWS_341), or turn the " +
        "endpoint off: with a hop limit of 2 a pod's traffic reaches the node's metadata and takes the node role, which pods must get only through IRSA.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"], (props, args, report) => {
        const metadata: Props = props.metadataOptions ?? {};
        if (metadata.httpEndpoint === "disabled") return;
        const limit = metadata.httpPutResponseHopLimit;
        if (limit === 1) return;
        // AMIs marked ImdsSupport v2.0 (the EKS AL2023 AMIs among them) default to a hop limit of 2.
        const actual = limit === undefined ? "not set (2 for AMIs that require IMDSv2, such as EKS's AL2023 AMIs)" : String(limit);
        report(`${describeResource(args.type, args.name)}: metadataOptions.httpPutResponseHopLimit is ${actual}, so pods can reach the node's credentials (CKV_AWS_341). Fix: set metadataOptions.httpPutResponseHopLimit to 1.`);
    }),
};

export const eksNodeGroupsNoRemoteAccess: ResourceValidationPolicy = {
    name: "eks-node-groups-no-remote-access",
    description:
        "EKS managed node groups open no SSH access (remoteAccess, CKV_AWS_100): without source security groups EKS opens port 22 to 0.0.0.0/0, and the nodes are " +
        "reached through SSM Session Manager instead (their role has AmazonSSMManagedInstanceCore).",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(["aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"], (props, args, report) => {
        const remote: Props | undefined = props.remoteAccess;
        if (remote === undefined || remote === null) return;
        const open = asList(remote.sourceSecurityGroupIds).length === 0;
        report(
            `${describeResource(args.type, args.name)}: remoteAccess opens SSH to its nodes${open ? " from 0.0.0.0/0 (no sourceSecurityGroupIds)" : ""} (CKV_AWS_100). ` +
                "Fix: remove remoteAccess and use SSM Session Manager (aws ssm start-session).",
        );
    }),
};

export const CLUSTER_POLICIES = [eksSecretsEncryption, eksControlPlaneLogging, eksPublicEndpointRestricted, imdsv2Required, imdsHopLimit, eksNodeGroupsNoRemoteAccess];
