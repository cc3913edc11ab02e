/**
 * The CI deploy role's policy: what `pulumi up` (and destroy) of infra, platform and apps needs, and no way to
 * exceed it or to reach the other environment, in the same account or not.
 * - Resources with names are allowed by name: the cluster `<prefix>` and what EKS keeps under it, secrets
 *   `<prefix>/*`, log groups `/aws/<kind>/<prefix>/...`, buckets `<prefix>-<purpose>-<account>-<region>` (S3 does
 *   not evaluate tag conditions on buckets without ABAC), repositories `<prefix>/*`, topics, alarms and WAF ACLs
 *   `<prefix>-*`, the node groups' Auto Scaling groups `eks-<prefix>-*`.
 * - Resources without usable names (VPC parts, launch templates, KMS keys, the cluster's OIDC provider) by tag:
 *   KMS keys and the cluster OIDC provider only with this environment's tag (positive: an untagged one is not
 *   ours), EC2 through a list of the actions the network, the launch template and EKS's checks need, never on
 *   a resource tagged with another environment.
 * - IAM writes only on roles under `/<prefix>/` that carry the workload boundary (itself scoped to this
 *   environment and region), attachments of the AWS managed policies the layers attach, passing roles to EKS
 *   and VPC flow logs, service-linked roles of EKS and Auto Scaling. CI can change neither its own identity nor
 *   the boundary; it acts only in the environment's region.
 * The needed requests are derived per resource type from the CloudFormation resource schemas' handler
 * permissions and simulated with @cloud-copilot/iam-simulate in tests/infra (no request needed is denied, no
 * probe of the other environment, another region or an escalation is allowed).
 */
import { environmentTagGuards, ENVIRONMENT_TAG, EnvironmentScope, IdentityArns, regionGuard, scopeArns } from "./identity";

/**
 * The AWS managed policies the layers attach to their roles (EKS cluster role, nodes, the IRSA roles of the EKS
 * add-ons): the only ones CI may attach. A test checks every attachment of both environments is listed here.
 */
export const ATTACHABLE_POLICY_ARNS = [
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
];

/**
 * Services the layers pass roles to: EKS (the cluster role, the node role to managed node groups, IRSA roles of
 * managed add-ons) and VPC flow logs (their role). Nodes get their instance profile from EKS, not from CI.
 */
export const PASSED_TO_SERVICES = ["eks.amazonaws.com", "vpc-flow-logs.amazonaws.com"];

/** Service-linked roles EKS needs on first use: the cluster's, the managed node groups', and Auto Scaling's (their groups). */
export const SERVICE_LINKED_ROLE_SERVICES = ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "autoscaling.amazonaws.com"];

/** Role actions that carry `iam:PermissionsBoundary` (the boundary of the role acted on), per the IAM service authorization reference. */
const BOUNDED_ROLE_ACTIONS = [
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
];

/** Managing the cluster's IRSA OIDC provider (@pulumi/eks creates it, tagged by the provider's default tags). */
const OIDC_PROVIDER_ACTIONS = [
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
];

/**
 * EC2 writes of the layers: the VPC and its parts (awsx), flow logs, the nodes' launch template, the cluster
 * security group's tags, and RunInstances, which EKS checks the caller may do with the launch template when it
 * creates or updates a managed node group. No instance, volume, snapshot or ENI actions: EKS, the CSI driver and
 * the CNI do those with their own roles.
 */
export const EC2_WRITE_ACTIONS = [
    "ec2:CreateVpc",
    "ec2:DeleteVpc",
    "ec2:ModifyVpcAttribute",
    "ec2:CreateSubnet",
    "ec2:DeleteSubnet",
    "ec2:ModifySubnetAttribute",
    "ec2:CreateInternetGateway",
    "ec2:DeleteInternetGateway",
    "ec2:*tachInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:DeleteNatGateway",
    "ec2:AllocateAddress",
    "ec2:ReleaseAddress",
    "ec2:AssociateAddress",
    "ec2:DisassociateAddress",
    "ec2:CreateRouteTable",
    "ec2:DeleteRouteTable",
    "ec2:CreateRoute",
    "ec2:ReplaceRoute",
    "ec2:DeleteRoute",
    "ec2:AssociateRouteTable",
    "ec2:ReplaceRouteTableAssociation",
    "ec2:DisassociateRouteTable",
    "ec2:*FlowLogs",
    "ec2:*LaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:*Tags",
    "ec2:RunInstances",
];

const ECR_REPOSITORY_ACTIONS = [
    "ecr:CreateRepository",
    "ecr:DeleteRepository",
    "ecr:DescribeRepositories",
    "ecr:PutLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:TagResource",
    "ecr:UntagResource",
    "ecr:ListTagsForResource",
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
];

/** Reads that name no resource (IAM authorizes them on `*`): listings and lookups of the layers' providers. */
const UNSCOPED_READS = [
    "sts:GetCallerIdentity",
    "ec2:Describe*",
    "eks:DescribeAddonVersions",
    "autoscaling:Describe*",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "ec2:GetDefaultCreditSpecification",
    "kms:ListAliases",
    "cloudwatch:DescribeAlarms",
    "ecr:GetAuthorizationToken",
];

export interface DeployPolicyArgs extends EnvironmentScope {
    arns: IdentityArns;
    /** Tags CI may not set or remove on its own identity (the provider's default tags, which never change for a stack). */
    reservedTags: string[];
    /** True when this stack created the GitHub OIDC provider (it may then retag it); false when it reuses another's. */
    ownsGithubProvider: boolean;
}

export function deployPolicy(a: DeployPolicyArgs): object {
    const { arns } = a;
    const scope = scopeArns(a);
    const ownIdentity = [arns.ciRoles, arns.boundary, ...(a.ownsGithubProvider ? [arns.githubProvider] : [])];
    const tagged = { StringEquals: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: a.environment } };
    const taggedOnCreate = { StringEquals: { [`aws:RequestTag/${ENVIRONMENT_TAG}`]: a.environment } };
    const bounded = { StringEquals: { "iam:PermissionsBoundary": arns.boundary } };
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "UnscopedReads", Effect: "Allow", Action: UNSCOPED_READS, Resource: "*" },
            { Sid: "Network", Effect: "Allow", Action: EC2_WRITE_ACTIONS, Resource: "*" },
            { Sid: "Cluster", Effect: "Allow", Action: "eks:*", Resource: [scope.cluster, ...scope.clusterChildren] },
            // CreateCluster and CreateKey name no resource in IAM: the new cluster or key must carry this environment's tag.
            { Sid: "NewClusterAndKeys", Effect: "Allow", Action: ["eks:CreateCluster", "kms:CreateKey"], Resource: "*", Condition: taggedOnCreate },
            { Sid: "NodeGroupTags", Effect: "Allow", Action: ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"], Resource: scope.autoScalingGroups },
            { Sid: "KeysOfThisEnvironment", Effect: "Allow", Action: "kms:*", Resource: "*", Condition: tagged },
            { Sid: "KeyAliases", Effect: "Allow", Action: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], Resource: scope.kmsAliases },
            {
                Sid: "NamedResources",
                Effect: "Allow",
                Action: ["logs:*", "secretsmanager:*", "s3:*", "sns:*", "cloudwatch:*", "wafv2:*"],
                Resource: [scope.logGroups, scope.wafLogGroup, scope.secrets, ...scope.buckets, scope.topics, scope.alarms, ...scope.wafResources],
            },
            // Writes IAM authorizes on `*` only: WAF's request log is a vended log, whose delivery goes to the group above
            // (the administrator's account policy lets the delivery service write it: infra/account-policies.ts); the
            // account's default CPU credits of a family, per region (staging's t3 nodes run standard).
            { Sid: "UnscopedWrites", Effect: "Allow", Action: ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "ec2:ModifyDefaultCreditSpecification"], Resource: "*" },
            // A web ACL's rules reference AWS's managed rule groups (in AWS's accounts).
            { Sid: "ManagedRuleGroups", Effect: "Allow", Action: ["wafv2:CreateWebACL", "wafv2:UpdateWebACL"], Resource: `arn:aws:wafv2:${a.region}:*:regional/managedruleset/*/*` },
            // No dependency on the repositories: a new service's repository is covered without changing this policy.
            { Sid: "RepositoriesAndImages", Effect: "Allow", Action: ECR_REPOSITORY_ACTIONS, Resource: scope.repositories },
            {
                Sid: "ReadIdentity",
                Effect: "Allow",
                Action: ["iam:Get*", "iam:List*"],
                Resource: [arns.workloadRoles, arns.ciRoles, arns.boundary, arns.githubProvider, scope.clusterOidcProviders, "arn:aws:iam::aws:policy/*"],
            },
            { Sid: "ManageBoundedRoles", Effect: "Allow", Action: BOUNDED_ROLE_ACTIONS, Resource: arns.workloadRoles, Condition: bounded },
            {
                Sid: "AttachListedPolicies",
                Effect: "Allow",
                Action: "iam:AttachRolePolicy",
                Resource: arns.workloadRoles,
                Condition: { ...bounded, ArnEquals: { "iam:PolicyARN": ATTACHABLE_POLICY_ARNS } },
            },
            // Tag actions have no boundary key; the path keeps them on the layers' roles.
            { Sid: "TagWorkloadRoles", Effect: "Allow", Action: ["iam:TagRole", "iam:UntagRole"], Resource: arns.workloadRoles },
            { Sid: "PassWorkloadRoles", Effect: "Allow", Action: "iam:PassRole", Resource: arns.workloadRoles, Condition: { StringEquals: { "iam:PassedToService": PASSED_TO_SERVICES } } },
            // Service-linked roles carry policies AWS defines; EKS and its node groups create theirs on first use.
            {
                Sid: "ServiceLinkedRoles",
                Effect: "Allow",
                Action: "iam:CreateServiceLinkedRole",
                Resource: `arn:aws:iam::${a.accountId}:role/aws-service-role/*`,
                Condition: { StringEquals: { "iam:AWSServiceName": SERVICE_LINKED_ROLE_SERVICES } },
            },
            // The cluster's OIDC provider has a random ID: this environment's is the one with its tag.
            // Positive conditions: an untagged provider is nobody's to claim (tagging one needs this tag already).
            { Sid: "ClusterOidcProvider", Effect: "Allow", Action: OIDC_PROVIDER_ACTIONS.filter((x) => x !== "iam:CreateOpenIDConnectProvider"), Resource: scope.clusterOidcProviders, Condition: tagged },
            { Sid: "NewClusterOidcProvider", Effect: "Allow", Action: "iam:CreateOpenIDConnectProvider", Resource: scope.clusterOidcProviders, Condition: taggedOnCreate },
            // A change of infra:tags reaches CI's own roles too: CI may apply it, but never the tags the program owns.
            {
                Sid: "RetagOwnIdentity",
                Effect: "Allow",
                Action: ["iam:TagRole", "iam:UntagRole", "iam:TagPolicy", "iam:UntagPolicy", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider"],
                Resource: ownIdentity,
                Condition: { "ForAllValues:StringNotEquals": { "aws:TagKeys": a.reservedTags } },
            },
            {
                Sid: "NoChangesToOwnIdentity",
                Effect: "Deny",
                Action: ["iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Set*", "iam:PassRole", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"],
                Resource: [arns.ciRoles, arns.boundary, arns.githubProvider],
            },
            { Sid: "BoundaryStaysOn", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: "*" },
            { Sid: "OnlyTheWorkloadBoundary", Effect: "Deny", Action: "iam:PutRolePermissionsBoundary", Resource: "*", Condition: { StringNotEquals: { "iam:PermissionsBoundary": arns.boundary } } },
            // Copies outside the region: a replica is a resource of another region, made from this one.
            { Sid: "NoReplicas", Effect: "Deny", Action: ["kms:ReplicateKey", "secretsmanager:ReplicateSecretToRegions"], Resource: "*" },
            regionGuard(a.region),
            // Staging and production may share an account: never touch, or tag as, the other environment's resources.
            ...environmentTagGuards(a.environment, [arns.githubProvider]),
        ],
    };
}
