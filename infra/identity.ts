/**
 * Names and ARNs of an environment: its IAM identity (the CI roles, the GitHub OIDC provider, the workload
 * boundary) and the resources its policies may touch, derived from the account, the region and the name prefix.
 * Policies that refer to them wait on nothing and keep nothing alive. Every resource the layers create is named
 * under the prefix (`<prefix>`, `<prefix>-...`, `<prefix>/...`, `/aws/<kind>/<prefix>/...`), so a policy scoped by
 * these patterns cannot reach another environment's resources, tagged or not (a test checks every resource of
 * both environments falls inside its own patterns and outside the other's).
 */
import { wafLogGroupName } from "../lib/alb";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;

/** The tag that says which environment a resource belongs to (lib/tags.ts sets it on everything). */
export const ENVIRONMENT_TAG = "Environment";

export function boundaryPolicyName(namePrefix: string): string {
    return `${namePrefix}-workload-boundary`;
}

/** Where an environment lives: the tag guards, region guards and name patterns of its policies derive from it. */
export interface EnvironmentScope {
    accountId: string;
    region: string;
    /** `<project>-<environment>`. */
    namePrefix: string;
    environment: string;
}

export interface IdentityArns {
    /** The workload permissions boundary. */
    boundary: string;
    /** The three CI roles (`<namePrefix>-ci-preview`, `-ci-deploy`, `-ci-drift`), at the root path. */
    ciRoles: string;
    /** The account's GitHub OIDC provider (one per account, whichever stack created it). */
    githubProvider: string;
    /** Every role the layers create: under the path `/<namePrefix>/`. */
    workloadRoles: string;
}

export function identityArns(accountId: string, namePrefix: string): IdentityArns {
    return {
        boundary: `arn:aws:iam::${accountId}:policy/${boundaryPolicyName(namePrefix)}`,
        ciRoles: `arn:aws:iam::${accountId}:role/${namePrefix}-ci-*`,
        githubProvider: githubProviderArn(accountId),
        workloadRoles: `arn:aws:iam::${accountId}:role/${namePrefix}/*`,
    };
}

/** The ARN IAM gives the GitHub OIDC provider of an account: fixed by the issuer's host. */
export function githubProviderArn(accountId: string): string {
    return `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
}

/**
 * What production's deploy role may do on staging's repositories to promote an image (skopeo reads the manifest
 * and the layers, the delivery looks the digest up): reads only, never a write.
 */
export const PROMOTION_READS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages"];

/** The role that promotes images into an environment: its CI deploy role. */
export function deployRoleArn(accountId: string, namePrefix: string): string {
    return `arn:aws:iam::${accountId}:role/${namePrefix}-ci-deploy`;
}

/** The workloads' Secrets Manager names sit below this (`<namePrefix>/apps/`); everything else under `<namePrefix>/` is the platform's. */
export const WORKLOAD_SECRETS_FOLDER = "apps";
/**
 * CI's own secrets (`<namePrefix>/ci/`, the release App's key): an administrator stores them, only the deploy role
 * reads them; the platform's secret store, the drift and preview roles and every role of the layers are denied them.
 */
export const CI_SECRETS_FOLDER = "ci";

/** The resources of one environment, by name: what its policies may touch. */
export interface ScopeArns {
    /** The EKS cluster (named `<namePrefix>`) and everything EKS keeps under its name. */
    cluster: string;
    clusterChildren: string[];
    nodeGroups: string;
    /** EKS OIDC providers of the region (the ID is random: the Environment tag tells which is ours). */
    clusterOidcProviders: string;
    /** Secrets Manager: every name under `<namePrefix>/`, and the workloads' part of it. */
    secrets: string;
    workloadSecrets: string;
    /** CI's own secrets (`<namePrefix>/ci/*`): the deploy role's only. */
    ciSecrets: string;
    /** CloudWatch log groups with the prefix as a path segment (`/aws/eks/<prefix>/cluster`, ...). */
    logGroups: string;
    /** The WAF request log `aws-waf-logs-<prefix>` (WAF requires the name's prefix) and its streams. */
    wafLogGroup: string;
    /** S3 buckets named `<namePrefix>-<purpose>-<account>-<region>` and their objects. */
    buckets: string[];
    repositories: string;
    /** SNS topics and CloudWatch alarms named `<namePrefix>-...`. */
    topics: string;
    alarms: string;
    /** WAF web ACLs, IP sets, rule groups and regex sets named `<namePrefix>-...`. */
    wafResources: string;
    /** The Auto Scaling groups EKS creates for the node groups (`eks-<namePrefix>-<group>-<uuid>`). */
    autoScalingGroups: string;
    kmsAliases: string;
    /** SSM parameters under `/<namePrefix>/` (none today; named so a future one needs no policy change). */
    parameters: string;
}

/** Where an environment's named resources live (its environment name names none of them). */
export type NameScope = Pick<EnvironmentScope, "accountId" | "region" | "namePrefix">;

export function scopeArns(s: NameScope): ScopeArns {
    const { accountId: a, region: r, namePrefix: p } = s;
    return {
        cluster: `arn:aws:eks:${r}:${a}:cluster/${p}`,
        // What CI manages in the cluster: node groups, add-ons, access entries (no Pod Identity, Fargate or OIDC configs).
        clusterChildren: ["nodegroup", "addon", "access-entry"].map((kind) => `arn:aws:eks:${r}:${a}:${kind}/${p}/*`),
        nodeGroups: `arn:aws:eks:${r}:${a}:nodegroup/${p}/*`,
        clusterOidcProviders: `arn:aws:iam::${a}:oidc-provider/oidc.eks.${r}.amazonaws.com/id/*`,
        secrets: `arn:aws:secretsmanager:${r}:${a}:secret:${p}/*`,
        workloadSecrets: `arn:aws:secretsmanager:${r}:${a}:secret:${p}/${WORKLOAD_SECRETS_FOLDER}/*`,
        ciSecrets: `arn:aws:secretsmanager:${r}:${a}:secret:${p}/${CI_SECRETS_FOLDER}/*`,
        logGroups: `arn:aws:logs:${r}:${a}:log-group:/aws/*/${p}/*`,
        wafLogGroup: `arn:aws:logs:${r}:${a}:log-group:${wafLogGroupName(p)}*`,
        buckets: [`arn:aws:s3:::${p}-*-${a}-${r}`, `arn:aws:s3:::${p}-*-${a}-${r}/*`],
        repositories: `arn:aws:ecr:${r}:${a}:repository/${p}/*`,
        topics: `arn:aws:sns:${r}:${a}:${p}-*`,
        alarms: `arn:aws:cloudwatch:${r}:${a}:alarm:${p}-*`,
        wafResources: `arn:aws:wafv2:${r}:${a}:regional/*/${p}-*/*`,
        autoScalingGroups: `arn:aws:autoscaling:${r}:${a}:autoScalingGroup:*:autoScalingGroupName/eks-${p}-*`,
        kmsAliases: `arn:aws:kms:${r}:${a}:alias/${p}-*`,
        parameters: `arn:aws:ssm:${r}:${a}:parameter/${p}/*`,
    };
}

/**
 * A Deny of every request on, or tagging as, another environment (Null=false: only requests that carry the tag).
 * `shared` resources are exempt: the account's GitHub OIDC provider carries the tag of the environment that
 * created it, and the other environment's CI reads it too (it never changes it: NoChangesToOwnIdentity).
 */
export function environmentTagGuards(environment: string, shared: string[] = []): object[] {
    const other = (key: string) => ({ StringNotEquals: { [key]: environment }, Null: { [key]: "false" } });
    const resources = shared.length > 0 ? { NotResource: shared } : { Resource: "*" };
    return [
        { Sid: "OnlyThisEnvironmentsResources", Effect: "Deny", Action: "*", ...resources, Condition: other(`aws:ResourceTag/${ENVIRONMENT_TAG}`) },
        { Sid: "NoTagsOfAnotherEnvironment", Effect: "Deny", Action: "*", Resource: "*", Condition: other(`aws:RequestTag/${ENVIRONMENT_TAG}`) },
    ];
}

/** Services whose requests carry us-east-1 (or no region) wherever the caller is: exempt from the region guard. */
export const GLOBAL_SERVICES = ["iam", "sts"];

/** A Deny of every regional request outside the environment's region. */
export function regionGuard(region: string, globalServices: string[] = GLOBAL_SERVICES): object {
    return {
        Sid: "OnlyThisRegion",
        Effect: "Deny",
        NotAction: globalServices.map((s) => `${s}:*`),
        Resource: "*",
        Condition: { StringNotEquals: { "aws:RequestedRegion": region } },
    };
}

/**
 * The components an administrator applies and CI only reads: CI's identity, the workload boundary, the account-wide
 * permission policies. Their resources are protected; CI's destroy leaves them (and lists them).
 */
export const ADMINISTRATOR_COMPONENTS = ["gitops:infra:GithubCi", "gitops:infra:WorkloadBoundary", "gitops:infra:AccountPolicies"] as const;

/** Whether a recorded resource (by its parent component's URN) belongs to the administrator's part of infra. */
export function isAdministratorOwned(resource: { parent?: string }): boolean {
    // A parent URN names its own type after its ancestors': `...::gitops:infra:GithubCi::ci`, `...::gitops:infra:GithubCi$aws:iam/role:Role::ci-deploy`.
    return ADMINISTRATOR_COMPONENTS.some((type) => [`::${type}::`, `::${type}$`, `$${type}::`, `$${type}$`].some((part) => resource.parent?.includes(part) ?? false));
}
