/**
 * The identity GitHub Actions uses: the account's OIDC provider for token.actions.githubusercontent.com and three
 * roles for this environment, each trusting exactly one `sub` of one repository (StringEquals, no wildcard):
 * - preview: `repo:<owner>/<name>:pull_request`, view-only, for `pulumi preview` of unreviewed pull requests;
 * - deploy: `repo:<owner>/<name>:environment:<env>`, for `pulumi up` from the GitHub environment of that name;
 * - drift: `repo:<owner>/<name>:ref:refs/heads/<env>`, read-only, for the scheduled drift check that runs on the
 *   environment's (protected) branch without the GitHub environment, so it needs no reviewer's approval.
 * Preview and drift carry AWS's ViewOnlyAccess / ReadOnlyAccess, which read the whole account; an inline guard
 * keeps them in this environment's region and resources and away from data they never need (log events, objects,
 * console output, other environments' secrets, images and parameters, CI's own secrets), so staging's runs read
 * nothing of production and cannot obtain the release App's key.
 * CI cannot change its own roles or the OIDC provider: those changes are applied by an administrator. Every
 * resource of the identity is protected and depends on nothing the layers create, so a CI destroy
 * (`--exclude-protected`) removes everything else and keeps exactly the identity; an administrator removes it last.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { grantClusterAdmin } from "./cluster";
import { deployPolicy } from "./deploy-policy";
import { environmentTagGuards, ENVIRONMENT_TAG, EnvironmentScope, GITHUB_OIDC_HOST, GITHUB_OIDC_URL, githubProviderArn, identityArns, regionGuard, scopeArns } from "./identity";
import { GithubProviderMode, PromotionPeer } from "./settings";

export { GITHUB_OIDC_URL } from "./identity";
export const CLUSTER_VIEW_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
/** View, Secrets included: refreshing a Helm release reads its release record, which Helm stores as a Secret. */
export const CLUSTER_ADMIN_VIEW_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy";
/** Previews (no refresh) only look resources up (availability zones, subnets): no data reads for unreviewed code. */
export const VIEW_ONLY_ACCESS = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";
/** `preview --refresh` reads every resource the stacks hold. */
export const READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess";
/** The tag an operator puts on the one secret previews may read (the PagerDuty integration URL of the alarms). */
export const PREVIEW_READABLE_TAG = "ci-preview-readable";
/**
 * The deploy role's longest session: 6 hours, the most a GitHub-hosted job runs. The deploy and destroy jobs wait as
 * long as the program's own waits (tools/timeouts.ts, over 2 hours for an EKS upgrade), and their credentials must
 * outlive them: an expired session fails Pulumi in the middle of an update.
 */
export const DEPLOY_SESSION_SECONDS = 6 * 3600;

/** Reads of data no preview or refresh needs: log events, console output, EBS snapshot blocks. */
export const CI_NEVER_READS = [
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StartLiveTail",
    "logs:GetLogRecord",
    "logs:Unmask",
    "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot",
    "ec2:GetPasswordData",
    "ebs:GetSnapshotBlock",
    "ebs:ListSnapshotBlocks",
    "ebs:ListChangedBlocks",
    "s3:GetObject",
    "s3:GetObjectVersion",
];

export interface GithubCiArgs {
    namePrefix: string;
    environment: string;
    project: string;
    region: string;
    repository: string;
    /** Who owns the account's GitHub OIDC provider (one per account); see {@link githubProviderDecision}. */
    providerMode: GithubProviderMode;
    clusterName: pulumi.Input<string>;
    /** Tags the program sets on every resource: CI may apply a change of the others to its own identity, never these. */
    reservedTags: string[];
    /** Production: staging's registry, which its deploy role reads to promote images. */
    promotionSource?: PromotionPeer;
    /** Staging: production, whose deploy role in another account its repositories' policy names. */
    promotionTarget?: PromotionPeer;
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

/**
 * The inline policy of the preview and drift roles: what their AWS managed policy lacks (this environment's
 * secret values, all or only those tagged `tag=true`, but never CI's own under `<prefix>/ci/`; the GitHub provider
 * lookup of `githubOidcProvider: auto`) and the guard that keeps them in this environment and region whatever that
 * managed policy grants.
 */
export function ciReadPolicy(s: EnvironmentScope, tag?: string): string {
    const scope = scopeArns(s);
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: tag === undefined ? "ReadThisEnvironmentsSecrets" : "ReadSecretsTaggedForPreviews",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: scope.secrets,
                ...(tag === undefined ? {} : { Condition: { StringEquals: { [`aws:ResourceTag/${tag}`]: "true" } } }),
            },
            { Sid: "FindGithubProvider", Effect: "Allow", Action: "iam:GetOpenIDConnectProvider", Resource: githubProviderArn(s.accountId) },
            { Sid: "NoDataReads", Effect: "Deny", Action: CI_NEVER_READS, Resource: "*" },
            // Decryption happens only inside AWS services on CI's behalf (reading a secret), never directly.
            { Sid: "NoDirectKeyUse", Effect: "Deny", Action: ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Sign"], Resource: "*", Condition: { Null: { "kms:ViaService": "true" } } },
            { Sid: "OnlyThisEnvironmentsSecrets", Effect: "Deny", Action: "secretsmanager:*", NotResource: scope.secrets },
            // CI's own secrets (the release App's key, which pushes past branch protection) are the deploy role's only.
            { Sid: "NotCiSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: scope.ciSecrets },
            { Sid: "OnlyThisEnvironmentsBuckets", Effect: "Deny", Action: "s3:*", NotResource: scope.buckets },
            {
                Sid: "OnlyThisEnvironmentsImages",
                Effect: "Deny",
                Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages", "ecr:DescribeImageScanFindings"],
                NotResource: scope.repositories,
                Condition: { StringEquals: { "aws:ResourceAccount": s.accountId } },
            },
            {
                Sid: "OnlyThisEnvironmentsParameters",
                Effect: "Deny",
                Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"],
                NotResource: [scope.parameters, `arn:aws:ssm:${s.region}::parameter/aws/*`],
            },
            regionGuard(s.region),
            ...environmentTagGuards(s.environment, [githubProviderArn(s.accountId)]),
        ],
    });
}

/** Whether this stack creates the account's GitHub OIDC provider, and its ARN. */
export interface GithubProviderDecision {
    create: boolean;
    arn: string;
}

/** What a lookup of the provider found: its tags, or nothing (undefined) when the account has none. */
export type ProviderLookup = (arn: string) => Promise<{ tags: Record<string, string> } | undefined>;

/**
 * One provider per account, so in an account shared by staging and production only one stack may create it:
 * - `create`: this stack creates it (one environment per account, the recommended layout);
 * - `existing`: this stack reuses it and fails, naming the setting, when the account has none;
 * - `auto` (default): this stack creates it when the account has none, or when the one there carries this stack's
 *   Environment and Project tags (it created it before); otherwise it reuses it. So the second environment of a
 *   shared account needs no setting and no ARN.
 */
export async function githubProviderDecision(mode: GithubProviderMode, accountId: string, own: { environment: string; project: string }, lookup: ProviderLookup): Promise<GithubProviderDecision> {
    const arn = githubProviderArn(accountId);
    if (mode === "create") return { create: true, arn };
    const found = await lookup(arn);
    if (mode === "existing") {
        if (found === undefined) {
            throw new Error(`infra:githubOidcProvider = "existing": the account ${accountId} has no GitHub OIDC provider (${arn}); allowed: "existing" only once another stack (or an administrator) created it, otherwise "auto" or "create".`);
        }
        return { create: false, arn };
    }
    const ours = found !== undefined && found.tags[ENVIRONMENT_TAG] === own.environment && found.tags.Project === own.project;
    return { create: found === undefined || ours, arn };
}

/** The provider lookup through the AWS provider; a missing provider resolves to undefined, any other failure rejects. */
export function awsProviderLookup(parent: pulumi.Resource): ProviderLookup {
    return (arn) =>
        aws.iam.getOpenIdConnectProvider({ arn }, { parent }).then(
            (p) => ({ tags: p.tags ?? {} }),
            (error: Error) => {
                if (/NoSuchEntity|couldn't find|not found|no matching|empty result/i.test(String(error?.message ?? error))) return undefined;
                throw error;
            },
        );
}

export class GithubCi extends pulumi.ComponentResource {
    readonly providerArn: pulumi.Output<string>;
    readonly previewRoleArn: pulumi.Output<string>;
    readonly deployRoleArn: pulumi.Output<string>;
    readonly driftRoleArn: pulumi.Output<string>;

    constructor(name: string, args: GithubCiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:GithubCi", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const scope = account.apply((accountId): EnvironmentScope => ({ accountId, region: args.region, namePrefix: args.namePrefix, environment: args.environment }));
        // The deploy role may not delete any of these (nor its own inline policy, which would end its session).
        const keep = { parent: this, protect: true };

        // The decision needs the lookup's answer before the provider may be registered (or not): a promise, not an Output.
        const decision = aws
            .getCallerIdentity({}, { parent: this })
            .then((identity) => githubProviderDecision(args.providerMode, identity.accountId, args, awsProviderLookup(this)));
        this.providerArn = pulumi.output(
            decision.then((d) => (d.create ? new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: GITHUB_OIDC_URL, clientIdLists: ["sts.amazonaws.com"] }, keep).arn : pulumi.output(d.arn))),
        );

        const role = (kind: string, sub: string, description: string, maxSessionDuration: number) =>
            new aws.iam.Role(
                `${name}-${kind}`,
                {
                    name: `${args.namePrefix}-ci-${kind}`,
                    description,
                    assumeRolePolicy: githubTrustPolicy(this.providerArn, `repo:${args.repository}:${sub}`),
                    maxSessionDuration,
                },
                keep,
            );
        const readPolicy = (roleName: pulumi.Output<string>, policyName: string, tag?: string) =>
            new aws.iam.RolePolicy(policyName, { role: roleName, policy: scope.apply((s) => ciReadPolicy(s, tag)) }, keep);

        const previewRole = role("preview", "pull_request", `pulumi preview of ${args.namePrefix} from pull requests of ${args.repository}`, 3600);
        new aws.iam.RolePolicyAttachment(`${name}-preview-viewonly`, { role: previewRole.name, policyArn: VIEW_ONLY_ACCESS }, keep);
        // The alarms read a PagerDuty URL from Secrets Manager while previewing: only secrets an operator tagged for it.
        readPolicy(previewRole.name, `${name}-preview-secrets`, PREVIEW_READABLE_TAG);

        const driftRole = role(
            "drift",
            `ref:refs/heads/${args.environment}`,
            `Scheduled drift check (pulumi preview --refresh) of ${args.namePrefix} from the ${args.environment} branch of ${args.repository}`,
            3600,
        );
        new aws.iam.RolePolicyAttachment(`${name}-drift-readonly`, { role: driftRole.name, policyArn: READ_ONLY_ACCESS }, keep);
        // Refreshing a SecretVersion reads its value, which ReadOnlyAccess does not grant.
        readPolicy(driftRole.name, `${name}-drift-secrets`);

        const deployRole = role(
            "deploy",
            `environment:${args.environment}`,
            `pulumi up of ${args.namePrefix} from the GitHub environment ${args.environment} of ${args.repository}`,
            DEPLOY_SESSION_SECONDS,
        );
        new aws.iam.RolePolicy(
            `${name}-deploy`,
            {
                role: deployRole.id,
                policy: pulumi.all([scope, pulumi.output(decision)]).apply(([s, d]) =>
                    JSON.stringify(
                        deployPolicy({
                            ...s,
                            arns: identityArns(s.accountId, args.namePrefix),
                            reservedTags: args.reservedTags,
                            ownsGithubProvider: d.create,
                            promotionSource: args.promotionSource,
                            promotionTarget: args.promotionTarget,
                        }),
                    ),
                ),
            },
            keep,
        );

        // Kubernetes access: the deploy role installs add-ons (cluster-admin); pull-request previews read everything
        // but Secrets (they run unreviewed code); the drift check, from the protected branch, also reads Helm's records.
        // Not protected: they depend on the cluster, which a destroy removes.
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
