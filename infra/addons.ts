/**
 * EKS managed add-ons with pinned versions (versions.ts), each with its own IRSA role where it calls AWS.
 * The CNI and kube-proxy must exist before nodes join; CoreDNS, the EBS CSI driver and CloudWatch
 * observability need nodes to become healthy, so they are created after the node groups.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IrsaCluster, IrsaRole } from "../lib/irsa";
import { clusterOwnedTagKey } from "../lib/tags";
import { AddonName } from "./versions";

export interface AddonsArgs {
    namePrefix: string;
    clusterName: pulumi.Input<string>;
    versions: Record<AddonName, string>;
    /** The cluster's OIDC provider and the role path and boundary of its IRSA roles. */
    irsa: IrsaCluster;
    /** Log retention of the Container Insights log groups. */
    logRetentionDays: number;
    /** KMS key of the Container Insights log groups. */
    logsKeyArn: pulumi.Input<string>;
    /** Replicas of CoreDNS and the EBS CSI controller (two survive a node loss). */
    controllerReplicas: number;
    /** The standard tags, put on the ENIs the CNI and the volumes the CSI driver create. */
    tags: Record<string, string>;
}

/**
 * The VPC CNI's settings: /28 prefixes per ENI slot (small nodes are not capped at 4 or 11 pods), NetworkPolicy
 * enforcement, and the standard tags on the ENIs it creates (ADDITIONAL_ENI_TAGS, a JSON map).
 */
export function vpcCniConfiguration(tags: Record<string, string>) {
    return {
        env: { ENABLE_PREFIX_DELEGATION: "true", WARM_PREFIX_TARGET: "1", ADDITIONAL_ENI_TAGS: JSON.stringify(tags) },
        enableNetworkPolicy: "true",
    };
}

/** The EBS CSI driver's settings: controller replicas, and the standard tags on every volume and snapshot it creates. */
export function ebsCsiConfiguration(replicas: number, tags: Record<string, string>) {
    return { controller: { replicaCount: replicas, extraVolumeTags: tags } };
}

function addon(name: string, clusterName: pulumi.Input<string>, addonName: AddonName, version: string, extra: Partial<aws.eks.AddonArgs>, opts: pulumi.CustomResourceOptions): aws.eks.Addon {
    return new aws.eks.Addon(
        name,
        {
            clusterName,
            addonName,
            addonVersion: version,
            // The add-on's configuration is what this program says, also over changes made by hand.
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
            ...extra,
        },
        opts,
    );
}

/** The add-ons of {@link NetworkAddons}: updated before the node groups roll; the others ({@link NodeAddons}) after. */
export const NETWORK_ADDONS: readonly AddonName[] = ["vpc-cni", "kube-proxy"];

/** Add-ons that must run before any node joins: pod networking and service routing. */
export class NetworkAddons extends pulumi.ComponentResource {
    readonly vpcCni: aws.eks.Addon;
    readonly kubeProxy: aws.eks.Addon;

    constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:NetworkAddons", name, {}, opts);
        const cniRole = new IrsaRole(
            `${name}-vpc-cni`,
            {
                ...args.irsa,
                serviceAccount: { namespace: "kube-system", name: "aws-node" },
                managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
            },
            { parent: this },
        );
        this.vpcCni = addon(
            `${name}-vpc-cni`,
            args.clusterName,
            "vpc-cni",
            args.versions["vpc-cni"],
            { serviceAccountRoleArn: cniRole.arn, configurationValues: JSON.stringify(vpcCniConfiguration(args.tags)) },
            { parent: this },
        );
        this.kubeProxy = addon(`${name}-kube-proxy`, args.clusterName, "kube-proxy", args.versions["kube-proxy"], {}, { parent: this });
        this.registerOutputs({});
    }
}

/** Add-ons that run as pods on the nodes: DNS, EBS volumes, Container Insights and Fluent Bit logs. */
export class NodeAddons extends pulumi.ComponentResource {
    constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:NodeAddons", name, {}, opts);

        addon(
            `${name}-coredns`,
            args.clusterName,
            "coredns",
            args.versions.coredns,
            { configurationValues: JSON.stringify({ replicaCount: args.controllerReplicas }) },
            { parent: this },
        );

        const ebsRole = new IrsaRole(
            `${name}-ebs-csi`,
            {
                ...args.irsa,
                serviceAccount: { namespace: "kube-system", name: "ebs-csi-controller-sa" },
                managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
            },
            { parent: this },
        );
        addon(
            `${name}-ebs-csi`,
            args.clusterName,
            "aws-ebs-csi-driver",
            args.versions["aws-ebs-csi-driver"],
            {
                serviceAccountRoleArn: ebsRole.arn,
                // Volumes carry the environment's tags (the environment guards read them) and the cluster's tag (a
                // destroy finds the ones a StatefulSet leaves behind).
                configurationValues: pulumi.output(args.clusterName).apply((cluster) =>
                    JSON.stringify(ebsCsiConfiguration(args.controllerReplicas, { ...args.tags, [clusterOwnedTagKey(cluster)]: "owned" })),
                ),
            },
            { parent: this },
        );

        // The agent creates these groups without a retention when they are missing: create them first.
        const logGroups = ["application", "dataplane", "host", "performance"].map(
            (kind) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-insights-${kind}`,
                    { name: pulumi.interpolate`/aws/containerinsights/${args.clusterName}/${kind}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn },
                    { parent: this },
                ),
        );
        const observabilityRole = new IrsaRole(
            `${name}-cloudwatch`,
            {
                ...args.irsa,
                serviceAccount: { namespace: "amazon-cloudwatch", name: "cloudwatch-agent" },
                // Metrics and logs; X-Ray for Application Signals, which the add-on turns on by default.
                managedPolicyArns: ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"],
            },
            { parent: this },
        );
        addon(
            `${name}-cloudwatch`,
            args.clusterName,
            "amazon-cloudwatch-observability",
            args.versions["amazon-cloudwatch-observability"],
            { serviceAccountRoleArn: observabilityRole.arn, configurationValues: JSON.stringify({ containerLogs: { enabled: true } }) },
            { parent: this, dependsOn: logGroups },
        );
        this.registerOutputs({});
    }
}
