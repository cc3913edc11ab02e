/**
 * The VPC: public subnets for internet-facing load balancers, private subnets for nodes and pods, NAT for
 * egress (one in staging, one per AZ in production), and VPC flow logs to CloudWatch Logs.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { RolePlacement } from "../lib/iam-role";
import { NatGatewayStrategy } from "./settings";

export interface NetworkArgs {
    namePrefix: string;
    clusterName: string;
    cidrBlock: string;
    availabilityZoneCount: number;
    natGatewayStrategy: NatGatewayStrategy;
    publicSubnetMask: number;
    privateSubnetMask: number;
    flowLogRetentionDays: number;
    /** KMS key of the flow log group. */
    logsKeyArn: pulumi.Input<string>;
    protect: boolean;
    roles: RolePlacement;
}

export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly publicSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:Network", name, {}, opts);
        // The cluster tag lets EKS and the load balancer controller find the subnets; the role tags say which
        // subnets take internet-facing and which internal load balancers.
        const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };
        const vpc = new awsx.ec2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.cidrBlock,
                numberOfAvailabilityZones: args.availabilityZoneCount,
                enableDnsHostnames: true,
                enableDnsSupport: true,
                natGateways: { strategy: args.natGatewayStrategy },
                subnetStrategy: "Auto",
                subnetSpecs: [
                    { type: "Public", cidrMask: args.publicSubnetMask, tags: { ...clusterTag, "kubernetes.io/role/elb": "1" } },
                    { type: "Private", cidrMask: args.privateSubnetMask, tags: { ...clusterTag, "kubernetes.io/role/internal-elb": "1" } },
                ],
                tags: { Name: args.namePrefix },
            },
            { parent: this, protect: args.protect },
        );
        this.vpcId = vpc.vpcId;
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.publicSubnetIds = vpc.publicSubnetIds;

        new FlowLogs(`${name}-flow-logs`, { vpcId: vpc.vpcId, namePrefix: args.namePrefix, retentionDays: args.flowLogRetentionDays, logsKeyArn: args.logsKeyArn, roles: args.roles }, { parent: this });

        this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
    }
}

interface FlowLogsArgs {
    vpcId: pulumi.Input<string>;
    namePrefix: string;
    retentionDays: number;
    logsKeyArn: pulumi.Input<string>;
    roles: RolePlacement;
}

/** All VPC traffic metadata to a CloudWatch log group with a retention, written by a role only this account's flow logs can use. */
class FlowLogs extends pulumi.ComponentResource {
    constructor(name: string, args: FlowLogsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:FlowLogs", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const logGroup = new aws.cloudwatch.LogGroup(
            name,
            { name: `/aws/vpc/${args.namePrefix}/flow-logs`, retentionInDays: args.retentionDays, kmsKeyId: args.logsKeyArn },
            { parent: this },
        );
        const role = new aws.iam.Role(
            name,
            {
                ...args.roles,
                description: `Writes VPC flow logs of ${args.namePrefix} to CloudWatch Logs`,
                assumeRolePolicy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                            Action: "sts:AssumeRole",
                            // Confused-deputy guard: only flow logs of this account.
                            Condition: { StringEquals: { "aws:SourceAccount": account } },
                        },
                    ],
                }),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            name,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
                        },
                    ],
                }),
            },
            { parent: this },
        );
        new aws.ec2.FlowLog(
            name,
            {
                vpcId: args.vpcId,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
                maxAggregationInterval: 600,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
