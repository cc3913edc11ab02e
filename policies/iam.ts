/**
 * IAM trust policies of federated roles. A role that GitHub Actions assumes pins the exact `sub` (repository
 * and environment or event) and the `aud` with StringEquals; a wildcard would let any branch, fork or
 * repository matching it deploy. An IRSA role pins exactly one Kubernetes service account, so no other pod of
 * the cluster can take its permissions.
 */
import { ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { asList, describeResource, listText, parseJson, Props, validateTypes } from "./common";

const ROLE = "aws:iam/role:Role";
export const STS_AUDIENCE = "sts.amazonaws.com";

const GITHUB_ISSUER = /oidc-provider\/(token\.actions\.githubusercontent\.com(?:\/[^/]+)?)$/;
const EKS_ISSUER = /oidc-provider\/(oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/id\/[A-Za-z0-9]+)$/;
const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** One Allow statement federated to an OIDC issuer, with its conditions as operator -> key -> values. */
interface FederatedStatement {
    index: number;
    issuer: string;
    conditions: Record<string, Record<string, string[]>>;
}

/** The Allow statements of a trust policy that federate to an issuer matching `pattern`. */
function federatedStatements(assumeRolePolicy: unknown, pattern: RegExp): FederatedStatement[] {
    const doc = parseJson(assumeRolePolicy);
    const found: FederatedStatement[] = [];
    asList<Props>(doc?.Statement).forEach((s, index) => {
        if (s.Effect !== "Allow") return;
        for (const principal of asList<string>(s.Principal?.Federated)) {
            const match = typeof principal === "string" ? pattern.exec(principal) : null;
            if (!match) continue;
            const conditions: Record<string, Record<string, string[]>> = {};
            for (const [operator, entries] of Object.entries<Props>(s.Condition ?? {})) {
                conditions[operator] = {};
                for (const [key, value] of Object.entries(entries ?? {})) conditions[operator][key.toLowerCase()] = asList(value).map(String);
            }
            found.push({ index, issuer: match[1], conditions });
        }
    });
    return found;
}

/** Operators that hold a condition key, and the values under StringEquals. */
function conditionOn(statement: FederatedStatement, key: string): { operators: string[]; equals?: string[] } {
    const k = key.toLowerCase();
    const operators = Object.keys(statement.conditions).filter((op) => statement.conditions[op][k] !== undefined);
    return { operators, equals: statement.conditions.StringEquals?.[k] };
}

const hasWildcard = (v: string) => /[*?]/.test(v);

/**
 * Checks that a statement pins `key` with StringEquals to values that pass `valid`. Returns the problem in
 * words, or undefined when the key is pinned.
 */
function pinProblem(statement: FederatedStatement, key: string, valid: (values: string[]) => string | undefined): string | undefined {
    const { operators, equals } = conditionOn(statement, key);
    if (operators.length === 0) return `does not constrain ${key}`;
    const others = operators.filter((op) => op !== "StringEquals");
    if (others.length > 0) return `constrains ${key} with ${listText(others)}, not StringEquals alone`;
    const wild = equals!.filter(hasWildcard);
    if (wild.length > 0) return `has a wildcard in ${key} (${listText(wild)})`;
    return valid(equals!);
}

function checkTrust(report: ReportViolation, subject: string, statement: FederatedStatement, kind: string, problem: string | undefined, fix: string): void {
    if (problem === undefined) return;
    report(`${subject}: trust policy statement ${statement.index} (${kind} ${statement.issuer}) ${problem}. Fix: ${fix}.`);
}

export const githubOidcTrustPinned: ResourceValidationPolicy = {
    name: "github-oidc-trust-pinned",
    description:
        "Roles assumed by GitHub Actions (federated to token.actions.githubusercontent.com) pin the token's sub and aud with StringEquals and no wildcard: " +
        "only the named repository and environment (or pull_request event) can assume them, never a fork, another branch or another repository.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([ROLE], (props, args, report) => {
        const subject = describeResource(args.type, args.name);
        for (const statement of federatedStatements(props.assumeRolePolicy, GITHUB_ISSUER)) {
            const sub = `${statement.issuer}:sub`;
            const aud = `${statement.issuer}:aud`;
            checkTrust(
                report,
                subject,
                statement,
                "GitHub OIDC",
                pinProblem(statement, sub, (values) => (values.every((v) => v.startsWith("repo:")) ? undefined : `pins ${sub} to ${listText(values)}, not a repo:<owner>/<repo>:... subject`)),
                `pin "${sub}" with StringEquals to the exact subject, e.g. repo:<owner>/<repo>:environment:<environment> or repo:<owner>/<repo>:pull_request`,
            );
            checkTrust(
                report,
                subject,
                statement,
                "GitHub OIDC",
                pinProblem(statement, aud, (values) => (values.length === 1 && values[0] === STS_AUDIENCE ? undefined : `pins ${aud} to ${listText(values)}, not ${STS_AUDIENCE}`)),
                `pin "${aud}" with StringEquals to "${STS_AUDIENCE}"`,
            );
        }
    }),
};

export const irsaTrustPinned: ResourceValidationPolicy = {
    name: "irsa-trust-pinned",
    description:
        "IRSA roles (federated to the cluster's oidc.eks issuer) pin exactly one service account (sub = system:serviceaccount:<namespace>:<name>) and aud sts.amazonaws.com with StringEquals: " +
        "otherwise any pod of the cluster, or one matching a wildcard, gets the role's AWS permissions.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([ROLE], (props, args, report) => {
        const subject = describeResource(args.type, args.name);
        for (const statement of federatedStatements(props.assumeRolePolicy, EKS_ISSUER)) {
            const sub = `${statement.issuer}:sub`;
            const aud = `${statement.issuer}:aud`;
            checkTrust(
                report,
                subject,
                statement,
                "IRSA",
                pinProblem(statement, sub, (values) =>
                    values.length !== 1
                        ? `pins ${values.length} subjects in ${sub} (${listText(values)}), not exactly one service account`
                        : SERVICE_ACCOUNT_SUBJECT.test(values[0])
                          ? undefined
                          : `pins ${sub} to ${JSON.stringify(values[0])}, not system:serviceaccount:<namespace>:<name>`,
                ),
                `pin "${sub}" with StringEquals to exactly one "system:serviceaccount:<namespace>:<name>" (lib/irsa.ts builds this policy)`,
            );
            checkTrust(
                report,
                subject,
                statement,
                "IRSA",
                pinProblem(statement, aud, (values) => (values.length === 1 && values[0] === STS_AUDIENCE ? undefined : `pins ${aud} to ${listText(values)}, not ${STS_AUDIENCE}`)),
                `pin "${aud}" with StringEquals to "${STS_AUDIENCE}"`,
            );
        }
    }),
};

export const IAM_POLICIES = [githubOidcTrustPinned, irsaTrustPinned];
