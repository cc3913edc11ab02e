/**
 * Managed node groups as plain `aws.eks.NodeGroup` resources with our own launch template: encrypted gp3 root
 * volume, IMDSv2 only (hop limit 1: pods use IRSA, not the node's role), no public IP. With prefix
 * delegation on the VPC CNI, the pods-per-node limit follows the /28 prefixes (34 on t3.micro, 110 from t3.small);
 * memory requests are what limit small nodes. One group per node availability zone (the first ones of the VPC),
 * each in that zone's private subnet, so the cluster autoscaler can add a node in the zone where a pod's EBS
 * volume lives, and every zone keeps its minimum.
 *
 * CPU credits: EKS managed node groups do not apply a launch template's CreditSpecification (the instances start
 * in the family's account default), so a mode other than AWS's default is the account's default credit
 * specification of the family in the region, an account setting the administrator's AccountPolicies set
 * (infra/account-policies.ts, infra/credit-defaults.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RolePlacement } from "../lib/iam-role";
import { INSTANCE_TYPES } from "../lib/instance-types";
import { NodeGroupSettings } from "./settings";

export const NODE_ROLE_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    // Shell access through SSM Session Manager instead of SSH keys and open ports.
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
];

export interface NodeGroupsArgs {
    namePrefix: string;
    clusterName: pulumi.Input<string>;
    kubernetesVersion: string;
    clusterSecurityGroupId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    /** AZs the groups run in: one group in each of the first N private subnets. */
    availabilityZoneCount: number;
    settings: NodeGroupSettings;
    /** What must run before a node joins (the CNI and kube-proxy add-ons). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    roles: RolePlacement;
    /** The standard tags: what EKS launches (instances, root volumes, ENIs, Auto Scaling groups) carries them too. */
    tags: Record<string, string>;
}

export class NodeGroups extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly launchTemplate: aws.ec2.LaunchTemplate;
    readonly groups: aws.eks.NodeGroup[];

    constructor(name: string, args: NodeGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:NodeGroups", name, {}, opts);
        const s = args.settings;

        this.role = new aws.iam.Role(
            `${name}-role`,
            {
                ...args.roles,
                description: `EC2 nodes of ${args.namePrefix}`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const attachments = NODE_ROLE_POLICIES.map(
            (policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-role-${i}`, { role: this.role.name, policyArn }, { parent: this }),
        );

        const nodeTags = { ...args.tags, Name: `${args.namePrefix}-node` };
        this.launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-lt`,
            {
                description: `Nodes of ${args.namePrefix}: gp3 encrypted root, IMDSv2, private only`,
                updateDefaultVersion: true,
                blockDeviceMappings: [
                    {
                        deviceName: "/dev/xvda",
                        ebs: { volumeSize: s.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
                    },
                ],
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    httpPutResponseHopLimit: 1,
                    instanceMetadataTags: "disabled",
                },
                networkInterfaces: [
                    {
                        deviceIndex: 0,
                        associatePublicIpAddress: "false",
                        deleteOnTermination: "true",
                        securityGroups: [args.clusterSecurityGroupId],
                    },
                ],
                monitoring: { enabled: false },
                // Default tags of the provider reach the template, not what the Auto Scaling group launches: the
                // instances, their volumes and ENIs get the standard tags here (the environment guards read them).
                tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags: nodeTags })),
            },
            { parent: this },
        );

        const architecture = INSTANCE_TYPES[s.instanceTypes[0]]?.architecture ?? "x86_64";
        const amiType = architecture === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
        this.groups = [];
        for (let az = 0; az < args.availabilityZoneCount; az++) {
            this.groups.push(
                new aws.eks.NodeGroup(
                    `${name}-${az + 1}`,
                    {
                        clusterName: args.clusterName,
                        nodeGroupName: `${args.namePrefix}-general-${az + 1}`,
                        version: args.kubernetesVersion,
                        nodeRoleArn: this.role.arn,
                        subnetIds: pulumi.output(args.privateSubnetIds).apply((ids) => [ids[az]]),
                        amiType,
                        capacityType: s.capacityType,
                        instanceTypes: s.instanceTypes,
                        scalingConfig: { minSize: s.minSize, desiredSize: s.desiredSize, maxSize: s.maxSize },
                        updateConfig: { maxUnavailable: 1 },
                        launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.apply(String) },
                        labels: { "gitops/node-group": "general" },
                        // EKS puts the autoscaler discovery tags on the group's Auto Scaling group; these say so here too.
                        tags: pulumi.output(args.clusterName).apply((cluster) => ({
                            "k8s.io/cluster-autoscaler/enabled": "true",
                            [`k8s.io/cluster-autoscaler/${cluster}`]: "owned",
                        })),
                    },
                    // The cluster autoscaler owns the desired size once the group exists.
                    { parent: this, dependsOn: [...attachments, ...(args.dependsOn ?? [])], ignoreChanges: ["scalingConfig.desiredSize"] },
                ),
            );
        }
        // EKS tags the group's Auto Scaling group with the autoscaler's discovery tags only; these let the
        // environment guards tell it apart (instances are tagged by the launch template, not propagated).
        this.groups.forEach((group, i) => {
            const asgName = group.resources.apply((r) => r[0]?.autoscalingGroups?.[0]?.name ?? "");
            for (const [key, value] of Object.entries(args.tags)) {
                new aws.autoscaling.Tag(`${name}-${i + 1}-${key}`, { autoscalingGroupName: asgName, tag: { key, value, propagateAtLaunch: false } }, { parent: this });
            }
        });
        this.registerOutputs({ roleArn: this.role.arn, groupNames: this.groups.map((g) => g.nodeGroupName) });
    }
}
