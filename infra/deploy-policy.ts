/**
 * The CI deploy role's policy: what `pulumi up` (and destroy) of infra, platform and apps needs, what the delivery
 * does around it (image pushes, production's promotion reads, the release App's key), and no way to exceed it or
 * to reach the other environment, in the same account or not.
 * - Resources with names are allowed by name: the cluster `<prefix>` and what EKS keeps under it, secrets
 *   `<prefix>/*`, log groups `/aws/<kind>/<prefix>/...`, buckets `<prefix>-<purpose>-<account>-<region>` (S3 does
 *   not evaluate tag conditions on buckets without ABAC), repositories `<prefix>/*`, topics, alarms and WAF ACLs
 *   `<prefix>-*`, the node groups' Auto Scaling groups `eks-<prefix>-*`.
 * - Resources without usable names by tag, positively where the layers' requests allow it: KMS keys, the cluster
 *   OIDC provider, launch templates and EC2 tags only with this environment's tag (an untagged one is not ours;
 *   tags go on at creation, or on the cluster security group EKS made for this cluster); the network's EC2 actions
 *   and RunInstances (EKS checks the caller may launch with the launch template) never on a resource tagged with
 *   another environment.
 * - Production reads (never writes) staging's repositories to promote what staging verified, in either account.
 * - IAM writes only on roles under `/<prefix>/` that carry the workload boundary (itself scoped to this
 *   environment and region), attachments of the AWS managed policies the layers attach, passing roles to EKS
 *   and VPC flow logs, service-linked roles of EKS and Auto Scaling. CI can change neither its own identity, the
 *   boundary nor an account-wide setting; it acts only in the environment's region.
 * The needed requests are derived per resource type from the CloudFormation resource schemas' handler
 * permissions, plus the delivery's own calls, and simulated with @cloud-copilot/iam-simulate in tests/infra (no
 * request needed is denied, no probe of the other environment, another region or an escalation is allowed).
 */
import { environmentTagGuards, ENVIRONMENT_TAG, EnvironmentScope, IdentityArns, PROMOTION_READS, regionGuard, scopeArns } from "./identity";
import { PromotionPeer } from "./settings";

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

/**
 * EC2 writes of the layers guarded by the other environment's tag: the VPC and its parts (awsx) and flow logs, and
 * RunInstances, which EKS checks the caller may do with the launch template when it creates or updates a managed
 * node group (the one instance action: the instances EKS launches, their volumes and ENIs are the Auto Scaling
 * group's, the CSI driver's and the CNI's, with their own roles). Launch templates and EC2 tags are positively
 * tagged, below.
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
    "ec2:RunInstances",
];

/** Launch template writes after its creation: only on this environment's (CreateLaunchTemplate needs the tag on the request). */
const LAUNCH_TEMPLATE_WRITES = ["ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate", "ec2:CreateLaunchTemplateVersion"];

/**
 * The repositories (create, delete, Create/Delete/Tag/Untag/ListTagsFor-Resource, lifecycle policies, scanning and
 * tag mutability) and their images (pushes of the build and the promotion copy, lookups of the delivery).
 */
const ECR_REPOSITORY_ACTIONS = [
    "ecr:*Repository",
    "ecr:DescribeRepositories",
    "ecr:*LifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:PutImage*",
    "ecr:*Resource",
    "ecr:*LayerUpload",
    "ecr:UploadLayerPart",
    ...PROMOTION_READS,
];
/** Only where another account's deploy role promotes the images: the repositories' policy naming it (infra/ecr.ts). */
const ECR_REPOSITORY_POLICY_WRITES = ["ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy"];

/** The tag EKS puts on the cluster security group it creates: the cluster's name. */
export const EKS_CLUSTER_NAME_TAG = "aws:eks:cluster-name";

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
    /** Production: staging's registry, which it reads to promote images (accountId undefined: this account). */
    promotionSource?: PromotionPeer;
    /** Staging: production, when its repositories' policy must name production's deploy role in another account. */
    promotionTarget?: PromotionPeer;
}

export function deployPolicy(a: DeployPolicyArgs): object {
    const { arns } = a;
    const scope = scopeArns(a);
    const ownIdentity = [arns.ciRoles, arns.boundary, ...(a.ownsGithubProvider ? [arns.githubProvider] : [])];
    const tagged = { StringEquals: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: a.environment } };
    const taggedOnCreate = { StringEquals: { [`aws:RequestTag/${ENVIRONMENT_TAG}`]: a.environment } };
    const bounded = { StringEquals: { "iam:PermissionsBoundary": arns.boundary } };
    // Staging's repositories (in this account or staging's), read to promote their images: exempt from the guard
    // against the other environment's tags, as the shared GitHub provider is; only reads are allowed on them.
    const source = a.promotionSource && scopeArns({ accountId: a.promotionSource.accountId ?? a.accountId, region: a.region, namePrefix: a.promotionSource.namePrefix }).repositories;
    const repositoryActions = [...ECR_REPOSITORY_ACTIONS, ...(a.promotionTarget?.accountId ? ECR_REPOSITORY_POLICY_WRITES : [])];
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "UnscopedReads", Effect: "Allow", Action: UNSCOPED_READS, Resource: "*" },
            { Sid: "Network", Effect: "Allow", Action: EC2_WRITE_ACTIONS, Resource: "*" },
            // Positively tagged: KMS keys (random ids), launch templates, EC2 tags; an untagged one is nobody's.
            { Sid: "TaggedAsThisEnvironment", Effect: "Allow", Action: ["kms:*", ...LAUNCH_TEMPLATE_WRITES, "ec2:CreateTags", "ec2:DeleteTags"], Resource: "*", Condition: tagged },
            // EC2 tags also go on a resource at its creation, and on the cluster security group EKS makes (it carries
            // only EKS's tags, the cluster's name among them, until the layer tags it).
            { Sid: "Ec2TagsOnCreate", Effect: "Allow", Action: "ec2:CreateTags", Resource: "*", Condition: { ...taggedOnCreate, Null: { "ec2:CreateAction": "false" } } },
            {
                Sid: "ClusterSecurityGroupTags",
                Effect: "Allow",
                Action: ["ec2:CreateTags", "ec2:DeleteTags"],
                Resource: `arn:aws:ec2:${a.region}:${a.accountId}:security-group/*`,
                Condition: { StringEquals: { [`aws:ResourceTag/${EKS_CLUSTER_NAME_TAG}`]: a.namePrefix } },
            },
            { Sid: "Cluster", Effect: "Allow", Action: "eks:*", Resource: [scope.cluster, ...scope.clusterChildren] },
            // CreateCluster and CreateKey name no resource in IAM, a new launch template has no tags yet: the request must carry this environment's tag.
            { Sid: "NewTaggedResources", Effect: "Allow", Action: ["eks:CreateCluster", "kms:CreateKey", "ec2:CreateLaunchTemplate"], Resource: "*", Condition: taggedOnCreate },
            { Sid: "NodeGroupTags", Effect: "Allow", Action: "autoscaling:*Tags", Resource: scope.autoScalingGroups },
            { Sid: "KeyAliases", Effect: "Allow", Action: "kms:*Alias", Resource: scope.kmsAliases },
            {
                Sid: "NamedResources",
                Effect: "Allow",
                Action: ["logs:*", "secretsmanager:*", "s3:*", "sns:*", "cloudwatch:*", "wafv2:*"],
                Resource: [scope.logGroups, scope.wafLogGroup, scope.secrets, ...scope.buckets, scope.topics, scope.alarms, scope.wafResources],
            },
            // WAF's request log goes to this environment's group only (a web ACL of its own may not log into the other's).
            { Sid: "WafLogsToOwnGroup", Effect: "Deny", Action: "wafv2:PutLoggingConfiguration", Resource: "*", Condition: { ArnNotLike: { "wafv2:LogDestinationResource": scope.wafLogGroup } } },
            // Writes IAM authorizes on `*` only: WAF's request log is a vended log, whose delivery goes to the group above
            // (the administrator's account policy lets the delivery service write it: infra/account-policies.ts).
            { Sid: "LogDeliveries", Effect: "Allow", Action: ["logs:CreateLogDelivery", "logs:DeleteLogDelivery"], Resource: "*" },
            // A web ACL's rules reference AWS's managed rule groups (in AWS's accounts).
            { Sid: "ManagedRuleGroups", Effect: "Allow", Action: ["wafv2:CreateWebACL", "wafv2:UpdateWebACL"], Resource: `arn:aws:wafv2:${a.region}:*:regional/managedruleset/*/*` },
            // No dependency on the repositories: a new service's repository is covered without changing this policy.
            { Sid: "RepositoriesAndImages", Effect: "Allow", Action: repositoryActions, Resource: scope.repositories },
            ...(source ? [{ Sid: "PromotionSource", Effect: "Allow", Action: PROMOTION_READS, Resource: source }] : []),
            // (The cluster's OIDC provider is read through ClusterOidcProvider, by its tag.)
            { Sid: "ReadIdentity", Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: [arns.workloadRoles, arns.ciRoles, arns.boundary, arns.githubProvider, "arn:aws:iam::aws:policy/*"] },
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
            // Service-linked roles carry policies AWS defines; EKS and its node groups create theirs on first use (the
            // action makes nothing but /aws-service-role/ roles: the service's name is what limits it).
            { Sid: "ServiceLinkedRoles", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": SERVICE_LINKED_ROLE_SERVICES } } },
            // The cluster's OIDC provider has a random ID: this environment's is the one with its tag (every action on
            // it: delete, tag, untag, thumbprint, client IDs). Positive conditions: an untagged provider is nobody's
            // to claim (tagging one needs this tag already).
            { Sid: "ClusterOidcProvider", Effect: "Allow", Action: "iam:*OpenIDConnectProvider*", Resource: scope.clusterOidcProviders, Condition: tagged },
            { Sid: "NewClusterOidcProvider", Effect: "Allow", Action: "iam:CreateOpenIDConnectProvider", Resource: scope.clusterOidcProviders, Condition: taggedOnCreate },
            // A change of infra:tags reaches CI's own roles too: CI may apply it (tag, untag, list the tags of its roles,
            // the boundary, the provider it created), but never the tags the program owns.
            { Sid: "RetagOwnIdentity", Effect: "Allow", Action: "iam:*Tag*", Resource: ownIdentity, Condition: { "ForAllValues:StringNotEquals": { "aws:TagKeys": a.reservedTags } } },
            {
                Sid: "NoChangesToOwnIdentity",
                Effect: "Deny",
                Action: ["iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Set*", "iam:PassRole", "iam:*ClientID*"],
                Resource: [arns.ciRoles, arns.boundary, arns.githubProvider],
            },
            { Sid: "BoundaryStaysOn", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: "*" },
            { Sid: "OnlyTheWorkloadBoundary", Effect: "Deny", Action: "iam:PutRolePermissionsBoundary", Resource: "*", Condition: { StringNotEquals: { "iam:PermissionsBoundary": arns.boundary } } },
            // Copies outside the region: a replica is a resource of another region, made from this one.
            { Sid: "NoReplicas", Effect: "Deny", Action: ["kms:ReplicateKey", "secretsmanager:ReplicateSecretToRegions"], Resource: "*" },
            regionGuard(a.region),
            // Staging and production may share an account: never touch, or tag as, the other environment's resources.
            ...environmentTagGuards(a.environment, [arns.githubProvider, ...(source ? [source] : [])]),
        ],
    };
}
