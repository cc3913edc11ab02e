/**
 * Cluster Autoscaler for the managed node groups, found by the tags EKS puts on their Auto Scaling groups
 * (`k8s.io/cluster-autoscaler/enabled`, `k8s.io/cluster-autoscaler/<cluster>`), with its IRSA role. Its image
 * must match the cluster's Kubernetes minor version, so the tag is chosen from infra's kubernetesVersion.
 * IAM: the autoscaler's documented policy for auto-discovery (cluster-autoscaler/cloudprovider/aws/README.md at
 * cluster-autoscaler-1.35.2), with the two mutating actions limited to this cluster's groups by tag and
 * eks:DescribeNodegroup to this cluster's node groups.
 * Values checked against values.yaml at the version of charts.ts (its `checked` tag).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { IrsaCluster, IrsaRole } from "../../lib/irsa";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";

export const SERVICE_ACCOUNT = { namespace: "kube-system", name: "cluster-autoscaler" };
export const IMAGE_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler";

/** Newest patch release per Kubernetes minor (tags of kubernetes/autoscaler, checked 2026-11). */
export const IMAGE_TAGS: Record<string, string> = {
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
};

/** One replica (it elects a leader anyway); it restarts quickly and only scaling pauses meanwhile. */
export const SIZING: Record<Environment, { replicas: number; resources: ContainerResources }> = {
    staging: { replicas: 1, resources: resources(20, 96, 200, 256) },
    production: { replicas: 1, resources: resources(50, 192, 500, 384) },
};

export function imageTag(kubernetesVersion: string): string {
    const minor = kubernetesVersion.split(".").slice(0, 2).join(".");
    const tag = IMAGE_TAGS[minor];
    if (tag === undefined) {
        throw new Error(`platform: no cluster-autoscaler image is pinned for Kubernetes ${kubernetesVersion} (infra kubernetesVersion); known: ${Object.keys(IMAGE_TAGS).join(", ")}. Add it to platform/addons/cluster-autoscaler.ts.`);
    }
    return tag;
}

export function clusterAutoscalerPolicy(clusterName: pulumi.Input<string>, region: pulumi.Input<string>, accountId: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.all([clusterName, region, accountId]).apply(([cluster, reg, account]) =>
        JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "Discover",
                    Effect: "Allow",
                    Action: [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                    ],
                    Resource: "*",
                },
                {
                    Sid: "DescribeThisClustersNodeGroups",
                    Effect: "Allow",
                    Action: ["eks:DescribeNodegroup"],
                    Resource: `arn:aws:eks:${reg}:${account}:nodegroup/${cluster}/*`,
                },
                {
                    Sid: "ScaleThisClustersGroups",
                    Effect: "Allow",
                    Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                    Resource: "*",
                    Condition: {
                        StringEquals: {
                            "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                            [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: "owned",
                        },
                    },
                },
            ],
        }),
    );
}

export interface ClusterAutoscalerArgs {
    environment: Environment;
    chartVersion: string;
    clusterName: pulumi.Input<string>;
    kubernetesVersion: pulumi.Input<string>;
    region: string;
    accountId: pulumi.Input<string>;
    /** The cluster's OIDC provider and the role path and boundary of its IRSA roles. */
    irsa: IrsaCluster;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class ClusterAutoscaler extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:ClusterAutoscaler", name, {}, opts);
        const role = new IrsaRole(
            `${name}-irsa`,
            {
                ...args.irsa,
                serviceAccount: SERVICE_ACCOUNT,
                policy: clusterAutoscalerPolicy(args.clusterName, args.region, args.accountId),
                description: "Cluster Autoscaler: resizes this cluster's managed node groups",
            },
            { parent: this },
        );
        const s = SIZING[args.environment];
        this.release = addonRelease(
            name,
            {
                addon: "cluster-autoscaler",
                version: args.chartVersion,
                releaseName: "cluster-autoscaler",
                namespace: SERVICE_ACCOUNT.namespace,
                values: {
                    cloudProvider: "aws",
                    awsRegion: args.region,
                    autoDiscovery: { clusterName: args.clusterName },
                    image: { repository: IMAGE_REPOSITORY, tag: pulumi.output(args.kubernetesVersion).apply(imageTag) },
                    replicaCount: s.replicas,
                    resources: s.resources,
                    rbac: {
                        create: true,
                        serviceAccount: { create: true, name: SERVICE_ACCOUNT.name, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
                    },
                    extraArgs: {
                        logtostderr: true,
                        stderrthreshold: "info",
                        v: 4,
                        // One node group per zone: keep them the same size, and add where the least is wasted.
                        "balance-similar-node-groups": true,
                        expander: "least-waste",
                        // Pods with emptyDir (e.g. Prometheus in staging) must not pin a node forever.
                        "skip-nodes-with-local-storage": false,
                    },
                    securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.registerOutputs({ roleArn: role.arn });
    }
}
