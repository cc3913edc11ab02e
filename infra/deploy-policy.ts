/**
 * The CI deploy role's policy: what `pulumi up` (and destroy) of infra, platform and apps needs, and no way to
 * exceed it. IAM writes are limited to roles under `/<namePrefix>/` that carry the workload boundary, managed
 * policy attachments to the AWS managed policies the layers attach, and role passing to the services the layers
 * pass roles to. CI can change neither its own identity nor the boundary, acts only in the environment's region,
 * and (for staging and production sharing an account) never on another environment's tagged resources.
 */
import { IdentityArns } from "./identity";

/** Services the three layers manage (regional ones only in this environment's region). */
export const MANAGED_SERVICES = ["ec2", "eks", "autoscaling", "elasticloadbalancing", "kms", "logs", "cloudwatch", "sns", "wafv2", "s3", "secretsmanager", "acm"];

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
 * managed add-ons), VPC flow logs (their role), EC2 (instance profiles of nodes).
 */
export const PASSED_TO_SERVICES = ["eks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "ec2.amazonaws.com"];

/** Role actions that carry `iam:PermissionsBoundary` (the boundary of the role acted on), per the IAM service authorization reference (2026-11). */
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

/** Managing the cluster's IRSA OIDC provider (@pulumi/eks creates it). */
const OIDC_PROVIDER_ACTIONS = [
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
];

const ECR_REPOSITORY_ACTIONS = [
    "ecr:CreateRepository",
    "ecr:DeleteRepository",
    "ecr:DescribeRepositories",
    "ecr:PutLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:GetLifecyclePolicy",
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

export interface DeployPolicyArgs {
    accountId: string;
    region: string;
    namePrefix: string;
    environment: string;
    arns: IdentityArns;
    /** Tags CI may not set or remove on its own identity (the provider's default tags, which never change for a stack). */
    reservedTags: string[];
    /** True when this stack created the GitHub OIDC provider (it may then retag it); false when it reuses another's. */
    ownsGithubProvider: boolean;
}

export function deployPolicy(a: DeployPolicyArgs): object {
    const { arns } = a;
    const ownIdentity = [arns.ciRoles, arns.boundary, ...(a.ownsGithubProvider ? [arns.githubProvider] : [])];
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ManageInfrastructure", Effect: "Allow", Action: MANAGED_SERVICES.map((s) => `${s}:*`), Resource: "*" },
            { Sid: "ReadParametersAndIdentity", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters", "sts:GetCallerIdentity", "iam:Get*", "iam:List*"], Resource: "*" },
            {
                Sid: "ManageBoundedRoles",
                Effect: "Allow",
                Action: BOUNDED_ROLE_ACTIONS,
                Resource: arns.workloadRoles,
                Condition: { StringEquals: { "iam:PermissionsBoundary": arns.boundary } },
            },
            {
                Sid: "AttachListedManagedPolicies",
                Effect: "Allow",
                Action: "iam:AttachRolePolicy",
                Resource: arns.workloadRoles,
                Condition: { StringEquals: { "iam:PermissionsBoundary": arns.boundary }, ArnEquals: { "iam:PolicyARN": ATTACHABLE_POLICY_ARNS } },
            },
            // Tag actions have no boundary key; the path keeps them on the layers' roles.
            { Sid: "TagWorkloadRoles", Effect: "Allow", Action: ["iam:TagRole", "iam:UntagRole"], Resource: arns.workloadRoles },
            {
                Sid: "PassWorkloadRoles",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: arns.workloadRoles,
                Condition: { StringEquals: { "iam:PassedToService": PASSED_TO_SERVICES } },
            },
            // Service-linked roles carry policies AWS defines; EKS, ELB and Auto Scaling create theirs on first use.
            { Sid: "ServiceLinkedRoles", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: `arn:aws:iam::${a.accountId}:role/aws-service-role/*` },
            {
                Sid: "ClusterOidcProvider",
                Effect: "Allow",
                Action: OIDC_PROVIDER_ACTIONS,
                Resource: `arn:aws:iam::${a.accountId}:oidc-provider/oidc.eks.${a.region}.amazonaws.com/id/*`,
            },
            // A change of infra:tags reaches CI's own roles too: CI may apply it, but never the tags the program owns.
            {
                Sid: "RetagOwnIdentity",
                Effect: "Allow",
                Action: ["iam:TagRole", "iam:UntagRole", "iam:TagPolicy", "iam:UntagPolicy", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider"],
                Resource: ownIdentity,
                Condition: { "ForAllValues:StringNotEquals": { "aws:TagKeys": a.reservedTags } },
            },
            // No dependency on the repositories: a new service's repository is covered without changing this policy.
            { Sid: "ManageRepositoriesAndPushImages", Effect: "Allow", Action: ECR_REPOSITORY_ACTIONS, Resource: `arn:aws:ecr:${a.region}:${a.accountId}:repository/${a.namePrefix}/*` },
            { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            {
                Sid: "NoChangesToOwnIdentity",
                Effect: "Deny",
                Action: ["iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Set*", "iam:PassRole", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"],
                Resource: [arns.ciRoles, arns.boundary, arns.githubProvider],
            },
            { Sid: "BoundaryStaysOn", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: "*" },
            { Sid: "OnlyTheWorkloadBoundary", Effect: "Deny", Action: "iam:PutRolePermissionsBoundary", Resource: "*", Condition: { StringNotEquals: { "iam:PermissionsBoundary": arns.boundary } } },
            {
                Sid: "OnlyThisRegion",
                Effect: "Deny",
                NotAction: ["iam:*", "sts:*", "cloudfront:*", "route53:*", "support:*"],
                Resource: "*",
                Condition: { StringNotEquals: { "aws:RequestedRegion": a.region } },
            },
            // Staging and production may share an account: never touch, or tag as, the other environment's resources.
            // Null=false limits each to requests that carry the tag (a negated operator alone, IfExists or not, is
            // also true when the key is absent and would deny every untagged resource and tagless API call).
            {
                Sid: "OnlyThisEnvironmentsResources",
                Effect: "Deny",
                Action: "*",
                Resource: "*",
                Condition: { StringNotEquals: { "aws:ResourceTag/Environment": a.environment }, Null: { "aws:ResourceTag/Environment": "false" } },
            },
            {
                Sid: "NoTagsOfAnotherEnvironment",
                Effect: "Deny",
                Action: "*",
                Resource: "*",
                Condition: { StringNotEquals: { "aws:RequestTag/Environment": a.environment }, Null: { "aws:RequestTag/Environment": "false" } },
            },
        ],
    };
}
