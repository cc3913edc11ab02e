/**
 * The identity GitHub Actions uses: the account's OIDC provider for token.actions.githubusercontent.com and two
 * roles for this environment, each trusting exactly one `sub` of one repository (StringEquals, no wildcard):
 * - preview: `repo:<owner>/<name>:pull_request`, read-only, for `pulumi preview` on pull requests;
 * - deploy: `repo:<owner>/<name>:environment:<env>`, for `pulumi up` from the GitHub environment of that name;
 * - drift: `repo:<owner>/<name>:ref:refs/heads/<env>`, read-only, for the scheduled drift check that runs on the
 *   environment's (protected) branch without the GitHub environment, so it needs no reviewer's approval.
 * CI cannot change its own roles or the OIDC provider: those changes are applied by an administrator.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { grantClusterAdmin } from "./cluster";

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const CLUSTER_VIEW_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
/** View, Secrets included: refreshing a Helm release reads its release record, which Helm stores as a Secret. */
export const CLUSTER_ADMIN_VIEW_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy";
const READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess";

export interface GithubCiArgs {
    namePrefix: string;
    environment: string;
    region: string;
    repository: string;
    /** Reuse the account's provider (one per account) instead of creating it. */
    existingProviderArn?: string;
    clusterName: pulumi.Input<string>;
    ecrRepositoryArns: pulumi.Input<string>[];
}

/** The trust policy of a CI role: one repository, one `sub`, audience sts.amazonaws.com. */
export function githubTrustPolicy(providerArn: pulumi.Input<string>, sub: string): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${GITHUB_OIDC_HOST}:sub`]: sub,
                        [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

export class GithubCi extends pulumi.ComponentResource {
    readonly providerArn: pulumi.Output<string>;
    readonly previewRoleArn: pulumi.Output<string>;
    readonly deployRoleArn: pulumi.Output<string>;
    readonly driftRoleArn: pulumi.Output<string>;

    constructor(name: string, args: GithubCiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:GithubCi", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        this.providerArn = args.existingProviderArn
            ? pulumi.output(args.existingProviderArn)
            : new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: GITHUB_OIDC_URL, clientIdLists: ["sts.amazonaws.com"] }, { parent: this }).arn;

        const previewRole = new aws.iam.Role(
            `${name}-preview`,
            {
                name: `${args.namePrefix}-ci-preview`,
                description: `pulumi preview of ${args.namePrefix} from pull requests of ${args.repository}`,
                assumeRolePolicy: githubTrustPolicy(this.providerArn, `repo:${args.repository}:pull_request`),
                maxSessionDuration: 3600,
            },
            { parent: this },
        );
        new aws.iam.RolePolicyAttachment(`${name}-preview-readonly`, { role: previewRole.name, policyArn: READ_ONLY_ACCESS }, { parent: this });

        const driftRole = new aws.iam.Role(
            `${name}-drift`,
            {
                name: `${args.namePrefix}-ci-drift`,
                description: `Scheduled drift check (pulumi preview --refresh) of ${args.namePrefix} from the ${args.environment} branch of ${args.repository}`,
                assumeRolePolicy: githubTrustPolicy(this.providerArn, `repo:${args.repository}:ref:refs/heads/${args.environment}`),
                maxSessionDuration: 3600,
            },
            { parent: this },
        );
        new aws.iam.RolePolicyAttachment(`${name}-drift-readonly`, { role: driftRole.name, policyArn: READ_ONLY_ACCESS }, { parent: this });

        const deployRole = new aws.iam.Role(
            `${name}-deploy`,
            {
                name: `${args.namePrefix}-ci-deploy`,
                description: `pulumi up of ${args.namePrefix} from the GitHub environment ${args.environment} of ${args.repository}`,
                assumeRolePolicy: githubTrustPolicy(this.providerArn, `repo:${args.repository}:environment:${args.environment}`),
                maxSessionDuration: 7200,
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-deploy`,
            {
                role: deployRole.id,
                policy: pulumi
                    .all([account, this.providerArn, pulumi.all(args.ecrRepositoryArns)])
                    .apply(([accountId, providerArn, repositoryArns]) =>
                        JSON.stringify(deployPolicy({ accountId, region: args.region, namePrefix: args.namePrefix, providerArn, repositoryArns })),
                    ),
            },
            { parent: this },
        );

        // Kubernetes access: the deploy role installs add-ons (cluster-admin); pull-request previews read everything
        // but Secrets (they run unreviewed code); the drift check, from the protected branch, also reads Helm's records.
        grantClusterAdmin(`${name}-deploy`, args.clusterName, deployRole.arn, this);
        grantClusterView(`${name}-preview`, args.clusterName, previewRole.arn, CLUSTER_VIEW_POLICY_ARN, this);
        grantClusterView(`${name}-drift`, args.clusterName, driftRole.arn, CLUSTER_ADMIN_VIEW_POLICY_ARN, this);

        this.previewRoleArn = previewRole.arn;
        this.deployRoleArn = deployRole.arn;
        this.driftRoleArn = driftRole.arn;
        this.registerOutputs({ providerArn: this.providerArn, previewRoleArn: this.previewRoleArn, deployRoleArn: this.deployRoleArn, driftRoleArn: this.driftRoleArn });
    }
}

function grantClusterView(name: string, clusterName: pulumi.Input<string>, principalArn: pulumi.Input<string>, policyArn: string, parent: pulumi.Resource): void {
    const entry = new aws.eks.AccessEntry(name, { clusterName, principalArn, type: "STANDARD" }, { parent });
    new aws.eks.AccessPolicyAssociation(name, { clusterName, principalArn: entry.principalArn, policyArn, accessScope: { type: "cluster" } }, { parent });
}

interface DeployPolicyArgs {
    accountId: string;
    region: string;
    namePrefix: string;
    providerArn: string;
    repositoryArns: string[];
}

/** Services the three layers manage (regional ones only in this environment's region). */
const MANAGED_SERVICES = ["ec2", "eks", "autoscaling", "elasticloadbalancing", "kms", "logs", "cloudwatch", "sns", "wafv2", "s3", "secretsmanager", "acm"];

/**
 * What `pulumi up` of infra, platform and apps needs: the services they manage, IAM for the roles they create,
 * ECR push to this environment's repositories. Explicit denies keep CI from widening its own access and from
 * acting outside the environment's region.
 */
export function deployPolicy(a: DeployPolicyArgs): object {
    const ciRoles = `arn:aws:iam::${a.accountId}:role/${a.namePrefix}-ci-*`;
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ManageInfrastructure", Effect: "Allow", Action: MANAGED_SERVICES.map((s) => `${s}:*`), Resource: "*" },
            { Sid: "ReadParametersAndIdentity", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters", "sts:GetCallerIdentity", "iam:Get*", "iam:List*"], Resource: "*" },
            {
                Sid: "ManageWorkloadRoles",
                Effect: "Allow",
                Action: [
                    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
                    "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
                    "iam:PassRole", "iam:CreateServiceLinkedRole",
                    "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                    "iam:UntagOpenIDConnectProvider", "iam:AddClientIDToOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
                ],
                Resource: "*",
            },
            {
                Sid: "PushImages",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages"],
                Resource: a.repositoryArns,
            },
            { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "ecr:DescribeRepositories", "ecr:CreateRepository", "ecr:DeleteRepository", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:TagResource", "ecr:UntagResource", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:ListTagsForResource"], Resource: "*" },
            {
                Sid: "NoChangesToOwnIdentity",
                Effect: "Deny",
                Action: ["iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Tag*", "iam:Untag*", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"],
                Resource: [ciRoles, a.providerArn],
            },
            {
                Sid: "OnlyThisRegion",
                Effect: "Deny",
                NotAction: ["iam:*", "sts:*", "cloudfront:*", "route53:*", "support:*"],
                Resource: "*",
                Condition: { StringNotEquals: { "aws:RequestedRegion": a.region } },
            },
        ],
    };
}
