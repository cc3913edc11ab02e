/**
 * The identity GitHub Actions uses: the account's OIDC provider for token.actions.githubusercontent.com and three
 * roles for this environment, each trusting exactly one `sub` of one repository (StringEquals, no wildcard):
 * - preview: `repo:<owner>/<name>:pull_request`, view-only, for `pulumi preview` of unreviewed pull requests;
 * - deploy: `repo:<owner>/<name>:environment:<env>`, for `pulumi up` from the GitHub environment of that name;
 * - drift: `repo:<owner>/<name>:ref:refs/heads/<env>`, read-only, for the scheduled drift check that runs on the
 *   environment's (protected) branch without the GitHub environment, so it needs no reviewer's approval.
 * CI cannot change its own roles or the OIDC provider: those changes are applied by an administrator. Every
 * resource of the identity is protected and depends on nothing the layers create, so a CI destroy
 * (`--exclude-protected`) removes everything else and keeps exactly the identity; an administrator removes it last.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { grantClusterAdmin } from "./cluster";
import { deployPolicy } from "./deploy-policy";
import { GITHUB_OIDC_HOST, GITHUB_OIDC_URL, identityArns } from "./identity";

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

export interface GithubCiArgs {
    namePrefix: string;
    environment: string;
    region: string;
    repository: string;
    /** Reuse the account's provider (one per account) instead of creating it. */
    existingProviderArn?: string;
    clusterName: pulumi.Input<string>;
    /** Tags the program sets on every resource: CI may apply a change of the others to its own identity, never these. */
    reservedTags: string[];
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

/** Reading this environment's secrets (`<namePrefix>/...`), optionally only those carrying `tag=true`. */
export function secretsReadPolicy(region: string, accountId: string, namePrefix: string, tag?: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: tag === undefined ? "ReadThisEnvironmentsSecrets" : "ReadSecretsTaggedForPreviews",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:${namePrefix}/*`,
                ...(tag === undefined ? {} : { Condition: { StringEquals: { [`secretsmanager:ResourceTag/${tag}`]: "true" } } }),
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
        // The deploy role may not delete any of these (nor its own inline policy, which would end its session).
        const keep = { parent: this, protect: true };

        this.providerArn = args.existingProviderArn
            ? pulumi.output(args.existingProviderArn)
            : new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: GITHUB_OIDC_URL, clientIdLists: ["sts.amazonaws.com"] }, keep).arn;

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
        const secrets = (roleName: pulumi.Output<string>, policyName: string, tag?: string) =>
            new aws.iam.RolePolicy(policyName, { role: roleName, policy: account.apply((id) => secretsReadPolicy(args.region, id, args.namePrefix, tag)) }, keep);

        const previewRole = role("preview", "pull_request", `pulumi preview of ${args.namePrefix} from pull requests of ${args.repository}`, 3600);
        new aws.iam.RolePolicyAttachment(`${name}-preview-viewonly`, { role: previewRole.name, policyArn: VIEW_ONLY_ACCESS }, keep);
        // The alarms read a PagerDuty URL from Secrets Manager while previewing: only secrets an operator tagged for it.
        secrets(previewRole.name, `${name}-preview-secrets`, PREVIEW_READABLE_TAG);

        const driftRole = role(
            "drift",
            `ref:refs/heads/${args.environment}`,
            `Scheduled drift check (pulumi preview --refresh) of ${args.namePrefix} from the ${args.environment} branch of ${args.repository}`,
            3600,
        );
        new aws.iam.RolePolicyAttachment(`${name}-drift-readonly`, { role: driftRole.name, policyArn: READ_ONLY_ACCESS }, keep);
        // Refreshing a SecretVersion reads its value, which ReadOnlyAccess does not grant.
        secrets(driftRole.name, `${name}-drift-secrets`);

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
                policy: account.apply((accountId) =>
                    JSON.stringify(
                        deployPolicy({
                            accountId,
                            region: args.region,
                            namePrefix: args.namePrefix,
                            environment: args.environment,
                            arns: identityArns(accountId, args.namePrefix),
                            reservedTags: args.reservedTags,
                            ownsGithubProvider: args.existingProviderArn === undefined,
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
