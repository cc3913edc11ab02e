/**
 * Names and ARNs of an environment's IAM identity (the CI roles, the GitHub OIDC provider, the workload boundary),
 * derived from the account and the name prefix: policies that refer to them wait on nothing and keep nothing alive.
 */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;

export function boundaryPolicyName(namePrefix: string): string {
    return `${namePrefix}-workload-boundary`;
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
        githubProvider: `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`,
        workloadRoles: `arn:aws:iam::${accountId}:role/${namePrefix}/*`,
    };
}
