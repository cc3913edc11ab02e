/**
 * The permissions boundary of every role the layers create (`<namePrefix>-workload-boundary`). A role's effective
 * permissions are its policies intersected with this, so it is also the most any role the CI deploy role creates
 * can do, whatever inline policy or trust policy CI gives it:
 * - only the actions the cluster, its nodes and its add-ons call (their AWS managed policies and the add-ons'
 *   documented policies): no IAM write but the load balancers' service-linked role, nothing on the organization
 *   or the account (an allow-list: what is not listed is denied);
 * - only in this environment's region, never on (or tagging as) a resource of another environment;
 * - named resources by name: this cluster, secrets under `<namePrefix>/` (never CI's own, `<namePrefix>/ci/`), log
 *   groups with the prefix in their path, this environment's image repositories in this account; KMS keys only with
 *   this environment's tag.
 * CI may not change this policy: an administrator applies changes to it (a workload that needs another service).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { boundaryPolicyName, environmentTagGuards, ENVIRONMENT_TAG, EnvironmentScope, identityArns, regionGuard, scopeArns } from "./identity";

/**
 * What the roles of the three layers call, by service (checked 2026-11 against their AWS managed policies and the
 * add-ons' documented policies): EKS cluster role (ec2, elasticloadbalancing, autoscaling, kms), nodes (ec2, eks,
 * eks-auth, ecr pulls, SSM Session Manager), VPC CNI and EBS CSI (ec2), CloudWatch agent (cloudwatch, logs, xray,
 * ssm), flow logs (logs), load balancer controller (elasticloadbalancing, ec2, acm, cognito-idp, wafv2,
 * waf-regional, shield), External Secrets (secretsmanager), cluster autoscaler (autoscaling, ec2, eks).
 */
export const WORKLOAD_ACTIONS = [
    "ec2:Describe*",
    // VPC CNI: pod ENIs and addresses.
    "ec2:*PrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:*tachNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:ModifyNetworkInterfaceAttribute",
    // EBS CSI driver: volumes and snapshots (sharing a snapshot, ModifySnapshotAttribute, is not among them).
    "ec2:CreateVolume",
    "ec2:*tachVolume",
    "ec2:ModifyVolume",
    "ec2:DeleteVolume",
    "ec2:CopyVolumes",
    "ec2:CreateSnapshot",
    "ec2:DeleteSnapshot",
    "ec2:LockSnapshot",
    "ec2:EnableFastSnapshotRestores",
    "ec2:*Tags",
    // Load balancer controller and the EKS cluster role: load balancer security groups and routes.
    "ec2:*SecurityGroup",
    "ec2:*SecurityGroupIngress",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:GetCoipPoolUsage",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:ModifyInstanceAttribute",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "elasticloadbalancing:*",
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "cognito-idp:DescribeUserPoolClient",
    "wafv2:GetWebACL*",
    "wafv2:*ssociateWebACL",
    "waf-regional:GetWebACL*",
    "waf-regional:*ssociateWebACL",
    "shield:GetSubscriptionState",
    "shield:*Protection",
    // Cluster autoscaler and the EKS cluster role.
    "autoscaling:Describe*",
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
    "autoscaling:UpdateAutoScalingGroup",
    // Nodes: image pulls (this environment's repositories, and AWS's in other accounts), SSM Session Manager.
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchImportUpstreamImage",
    "ssm:DescribeAssociation",
    "ssm:DescribeDocument",
    "ssm:GetDocument",
    "ssm:GetDeployablePatchSnapshotForInstance",
    "ssm:GetManifest",
    "ssm:List*Associations",
    "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult",
    "ssm:PutInventory",
    "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstance*",
    "ssmmessages:*",
    "ec2messages:*",
    // CloudWatch agent: metrics, traces (write only: traces of the account are not readable).
    "cloudwatch:PutMetricData",
    "logs:DescribeLogGroups",
    "xray:PutT*",
    "xray:GetSampling*",
];

/** Log writes of the CloudWatch agent, Fluent Bit and flow logs (on the environment's log groups only). */
const LOG_WRITES = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"];

/** Application Signals (on by default in the observability add-on) writes to this account-wide group. */
export const APPLICATION_SIGNALS_LOG_GROUP = "/aws/application-signals/data";

/** Using a KMS key of this environment (the EKS cluster role describes its secrets key; CMK-encrypted secrets need decrypt). */
const KEY_USE = ["kms:DescribeKey", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:ListGrants", "kms:RetireGrant"];

/** The service-linked role the load balancer controller may create (its server certificates are read too). */
export const WORKLOAD_SERVICE_LINKED_ROLES = ["elasticloadbalancing.amazonaws.com"];

/** Global services (their requests carry us-east-1): exempt from the region guard. */
export const WORKLOAD_GLOBAL_SERVICES = ["iam", "sts", "shield"];


export function workloadBoundaryPolicy(s: EnvironmentScope): object {
    const arns = identityArns(s.accountId, s.namePrefix);
    const scope = scopeArns(s);
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "WorkloadActions", Effect: "Allow", Action: WORKLOAD_ACTIONS, Resource: "*" },
            { Sid: "ThisCluster", Effect: "Allow", Action: ["eks:DescribeCluster", "eks:DescribeNodegroup", "eks-auth:AssumeRoleForPodIdentity"], Resource: [scope.cluster, scope.nodeGroups] },
            { Sid: "ThisEnvironmentsSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: scope.secrets },
            { Sid: "ThisEnvironmentsLogs", Effect: "Allow", Action: LOG_WRITES, Resource: [scope.logGroups, `arn:aws:logs:${s.region}:${s.accountId}:log-group:${APPLICATION_SIGNALS_LOG_GROUP}*`] },
            { Sid: "ThisEnvironmentsKeys", Effect: "Allow", Action: KEY_USE, Resource: "*", Condition: { StringEquals: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: s.environment } } },
            // The CloudWatch agent's configuration parameters, public AWS parameters (AMI ids) and this environment's.
            {
                Sid: "Parameters",
                Effect: "Allow",
                Action: ["ssm:GetParameter", "ssm:GetParameters"],
                Resource: [`arn:aws:ssm:${s.region}:${s.accountId}:parameter/AmazonCloudWatch-*`, `arn:aws:ssm:${s.region}::parameter/aws/*`, scope.parameters],
            },
            { Sid: "LoadBalancerServiceLinkedRole", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": WORKLOAD_SERVICE_LINKED_ROLES } } },
            { Sid: "ServerCertificates", Effect: "Allow", Action: ["iam:GetServerCertificate", "iam:ListServerCertificates"], Resource: "*" },
            // No IAM write is allowed above but the load balancers' service-linked role (6,144 characters do not
            // leave room to list every IAM write in a Deny too); the boundary and CI's identity are denied outright.
            { Sid: "NoChangesToBoundaryOrCi", Effect: "Deny", Action: "iam:*", Resource: [arns.boundary, arns.ciRoles, arns.githubProvider] },
            // CI's own secrets (the release App's key): no role of the layers, nor one CI creates, reads them.
            { Sid: "NotCiSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: scope.ciSecrets },
            // Images of this account: only this environment's repositories (AWS's add-on images live in AWS's accounts).
            {
                Sid: "OnlyThisEnvironmentsRepositories",
                Effect: "Deny",
                Action: ["ecr:Batch*", "ecr:GetDownloadUrlForLayer"],
                NotResource: scope.repositories,
                Condition: { StringEquals: { "aws:ResourceAccount": s.accountId } },
            },
            regionGuard(s.region, WORKLOAD_GLOBAL_SERVICES),
            ...environmentTagGuards(s.environment),
        ],
    };
}

export interface WorkloadBoundaryArgs {
    namePrefix: string;
    environment: string;
    region: string;
}

export class WorkloadBoundary extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: WorkloadBoundaryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:WorkloadBoundary", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        // Protected like the CI identity: the deploy role may not delete it, so a CI destroy keeps it.
        const policy = new aws.iam.Policy(
            name,
            {
                name: boundaryPolicyName(args.namePrefix),
                description: `Permissions boundary of every role of ${args.namePrefix}: workload services in ${args.region}, this environment only, no IAM writes`,
                policy: account.apply((accountId) => JSON.stringify(workloadBoundaryPolicy({ accountId, region: args.region, namePrefix: args.namePrefix, environment: args.environment }))),
            },
            { parent: this, protect: true },
        );
        this.arn = policy.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
