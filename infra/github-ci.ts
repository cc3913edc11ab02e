/**
 * The identity GitHub Actions uses: the account's OIDC provider for token.actions.githubusercontent.com and two
 * roles for this environment, each trusting exactly one `sub` of one repository (StringEquals, no wildcard):
 * - preview: `repo:<owner>/<name>:pull_request`, read-only, for `pulumi preview` on pull requests;
 * - deploy: `repo:<owner>/<name>:environment:<env>`, for `pulumi up` from the GitHub environment of that name.
 * CI cannot change its own roles or the OIDC provider: those changes are applied by an administrator.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { grantClusterAdmin } from "./cluster";

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const CLUSTER_VIEW_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

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
        new aws.iam.RolePolicyAttachment(`${name}-preview-readonly`, { role: previewRole.name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, { parent: this });

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

        // Kubernetes access: the deploy role installs add-ons (cluster-admin); the preview role only reads.
        grantClusterAdmin(`${name}-deploy`, args.clusterName, deployRole.arn, this);
        const previewEntry = new aws.eks.AccessEntry(`${name}-preview`, { clusterName: args.clusterName, principalArn: previewRole.arn, type: "STANDARD" }, { parent: this });
        new aws.eks.AccessPolicyAssociation(
            `${name}-preview`,
            { clusterName: args.clusterName, principalArn: previewEntry.principalArn, policyArn: CLUSTER_VIEW_POLICY_ARN, accessScope: { type: "cluster" } },
            { parent: this },
        );

        this.previewRoleArn = previewRole.arn;
        this.deployRoleArn = deployRole.arn;
        this.registerOutputs({ providerArn: this.providerArn, previewRoleArn: this.previewRoleArn, deployRoleArn: this.deployRoleArn });
    }
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
