/**
 * The delivery job's context: resolves, for one environment, the AWS account (from a GitHub variable), the names the
 * infra layer gives CI's roles and ECR repositories (from the environment's settings file, validated by the
 * infra layer's own settings code) and the Pulumi stack, and hands them to the later jobs as step outputs.
 *
 *   GITHUB_VARS='${{ toJSON(vars) }}' ts-node ci/ci-context.ts --environment staging
 *
 * GitHub variables read (repository level, so pull-request jobs, which run in no GitHub environment, read them
 * too; no secret is involved): AWS_ACCOUNT_ID_<ENVIRONMENT> (e.g. AWS_ACCOUNT_ID_STAGING) and PULUMI_ORG, both
 * required; PULUMI_PREVIEW_TEAM, optional: a Pulumi team with read access to the stacks, whose token pull-request
 * previews then use instead of an organization token (least privilege for code that is not reviewed yet).
 * The promotion's registry (production copies from staging's) is where the infra settings grant it
 * (`infra:promotionSource` of production, `infra:promotionTarget` of staging): the other environment's account
 * variable, when set, must agree with them, or the context names the setting to fix before any image is copied.
 */
import { ENVIRONMENTS, Environment, PROMOTES_FROM, REPO_ROOT, promotesTo } from "../lib/environment";
import { settingsFileSource } from "../lib/settings-file";
import { CI_SECRETS_FOLDER } from "../infra/identity";
import { InfraSettings, loadInfraSettings } from "../infra/settings";
import { UsageError, parseOptions, requireOption, resolveEnvironmentOrUsage, runTool, setOutputs } from "../lib/cli-support";

export interface CiContext {
    environment: string;
    "account-id": string;
    region: string;
    "name-prefix": string;
    "preview-role-arn": string;
    "deploy-role-arn": string;
    "drift-role-arn": string;
    /** The ECR registry host of the account and region. */
    registry: string;
    /** Where the environment's images live: `<registry>/<namePrefix>` (then `/<service>`). */
    "repository-prefix": string;
    "pulumi-org": string;
    /** The stack of each layer: `<org>/<environment>` (the project comes from the layer's folder). */
    "pulumi-stack": string;
    /** The Pulumi team pull-request previews get a token for, or "" for an organization token. */
    "pulumi-preview-team": string;
    /** infra:protect: whether the environment's VPC, cluster and KMS key are protected from destroy. */
    protect: string;
    /** The Secrets Manager secret (JSON: clientId, privateKey) of the GitHub App that pushes release commits and verified tags. */
    "release-app-secret": string;
    /** Where the images this environment promotes come from (production: staging's repository-prefix), or "". */
    "promotes-from-prefix": string;
}

/**
 * The release App's credentials, relative to the environment's prefix: created by an administrator, never in Git.
 * One App per environment (each bypasses only its own branch's ruleset), under CI's own secrets, which only the
 * deploy role may read.
 */
export const RELEASE_APP_SECRET = `${CI_SECRETS_FOLDER}/release-app`;

export function accountVariable(environment: string): string {
    return `AWS_ACCOUNT_ID_${environment.toUpperCase()}`;
}

/** The settings file as the flat map Pulumi passes to programs (objects and lists as JSON). */
const ACCOUNT_PATTERN = /^\d{12}$/;
const ORG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function resolveCiContext(environment: string, variables: Record<string, string | undefined>, root: string = REPO_ROOT): CiContext {
    const env = resolveEnvironmentOrUsage(environment, root) as Environment;
    // GitHub variable names are case-insensitive (stored upper-case).
    const variable = (name: string) => (Object.entries(variables).find(([k]) => k.toUpperCase() === name)?.[1] ?? "").trim();
    const accountVar = accountVariable(env);
    const account = variable(accountVar);
    const problems: string[] = [];
    if (!ACCOUNT_PATTERN.test(account)) {
        problems.push(`GitHub variable ${accountVar} = ${JSON.stringify(account)}: set it (Settings > Secrets and variables > Actions > Variables) to the 12-digit id of the ${env} AWS account`);
    }
    const org = variable("PULUMI_ORG");
    if (!ORG_PATTERN.test(org)) {
        problems.push(`GitHub variable PULUMI_ORG = ${JSON.stringify(org)}: set it to the Pulumi Cloud organization that holds the stacks`);
    }
    const team = variable("PULUMI_PREVIEW_TEAM");
    if (team !== "" && !ORG_PATTERN.test(team)) {
        problems.push(`GitHub variable PULUMI_PREVIEW_TEAM = ${JSON.stringify(team)}: a Pulumi team name, or unset`);
    }
    const fail = () => new Error(`Cannot resolve the ${env} deployment context:\n  - ${problems.join("\n  - ")}`);
    if (problems.length > 0) throw fail();

    const settings = loadInfraSettings(env, { source: settingsFileSource(env, root), dryRun: true });
    const promotesFrom = promotionRegistry(env, account, settings, variable, root, problems);
    if (problems.length > 0) throw fail();

    const prefix = settings.namePrefix;
    const registry = `${account}.dkr.ecr.${settings.region}.amazonaws.com`;
    return {
        environment: env,
        "account-id": account,
        region: settings.region,
        "name-prefix": prefix,
        "preview-role-arn": `arn:aws:iam::${account}:role/${prefix}-ci-preview`,
        "deploy-role-arn": `arn:aws:iam::${account}:role/${prefix}-ci-deploy`,
        "drift-role-arn": `arn:aws:iam::${account}:role/${prefix}-ci-drift`,
        registry,
        "repository-prefix": `${registry}/${prefix}`,
        "pulumi-org": org,
        "pulumi-stack": `${org}/${env}`,
        "pulumi-preview-team": team,
        protect: String(settings.protect),
        "release-app-secret": `${prefix}/${RELEASE_APP_SECRET}`,
        "promotes-from-prefix": promotesFrom,
    };
}

/**
 * Where the environment promotes images from (production: staging's repository prefix, in the account and with the
 * name prefix its infra settings grant it read access to), or ""; checks both ends of the promotion agree with the
 * GitHub account variables and with each other's settings file, adding each disagreement to `problems`.
 */
function promotionRegistry(env: Environment, account: string, settings: InfraSettings, variable: (name: string) => string, root: string, problems: string[]): string {
    const peer = PROMOTES_FROM[env] ?? promotesTo(env);
    const end = settings.promotionSource ?? settings.promotionTarget;
    if (peer === undefined || end === undefined) return "";
    const key = settings.promotionSource ? "infra:promotionSource" : "infra:promotionTarget";
    const file = `Pulumi.${env}.yaml`;
    const peerAccount = end.accountId ?? account;
    const peerVariable = variable(accountVariable(peer));
    if (ACCOUNT_PATTERN.test(peerVariable) && peerVariable !== peerAccount) {
        problems.push(
            end.accountId === undefined
                ? `GitHub variable ${accountVariable(peer)} = ${peerVariable}, but ${key}.accountId is unset in ${file} (${peer} in ${env}'s account, ${account}): set ${key}.accountId: "${peerVariable}"`
                : `GitHub variable ${accountVariable(peer)} = ${peerVariable}, but ${key}.accountId = ${end.accountId} in ${file}: make them the same account`,
        );
    }
    let theirs: InfraSettings | undefined;
    try {
        theirs = loadInfraSettings(peer, { source: settingsFileSource(peer, root), dryRun: true });
    } catch {
        theirs = undefined; // The other environment's own runs report its settings' problems.
    }
    if (theirs && theirs.namePrefix !== end.namePrefix) problems.push(`${key}.namePrefix = ${end.namePrefix} in ${file}, but ${peer}'s name prefix is ${theirs.namePrefix} (Pulumi.${peer}.yaml): set ${key}.namePrefix: ${theirs.namePrefix}`);
    if (theirs && theirs.region !== settings.region) problems.push(`aws:region: ${env} is in ${settings.region}, ${peer} in ${theirs.region}: the promotion copies within one region (the deploy roles act in their own region only); use one region for both`);
    return settings.promotionSource ? `${peerAccount}.dkr.ecr.${settings.region}.amazonaws.com/${end.namePrefix}` : "";
}

export const USAGE = `Usage: GITHUB_VARS='<json>' ts-node ci/ci-context.ts --environment <${ENVIRONMENTS.join("|")}>`;

export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
    const { options, positional } = parseOptions(argv, { values: ["environment"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const environment = requireOption(options, "environment");
    let variables: Record<string, string>;
    try {
        variables = JSON.parse(env.GITHUB_VARS ?? "{}");
    } catch {
        throw new UsageError("GITHUB_VARS must be the JSON of the workflow's vars context (${{ toJSON(vars) }})");
    }
    const context = resolveCiContext(environment, variables);
    setOutputs({ ...context });
    return 0;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
