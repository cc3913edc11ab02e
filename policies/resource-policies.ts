/**
 * Resource policies (KMS key policies, S3 bucket policies, ECR repository policies, Secrets Manager secret
 * policies, CloudWatch Logs resource policies, SNS topic policies) never allow everyone: an Allow statement for
 * the principal `*` must carry a condition that pins it to an account, an organization or a source. A key policy
 * like aws/secretsmanager's (`*` limited by kms:CallerAccount and kms:ViaService) passes; `*` alone does not. An
 * Allow with NotPrincipal grants everyone but the principals it lists, so it counts as `*`.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, describeResource, parseJson, Props, validateTypes } from "./common";

/** Where each type keeps its policy document, and Checkov's rule for it (where Checkov has one). */
const DOCUMENTS: Record<string, { field: string; rule?: string }> = {
    "aws:kms/key:Key": { field: "policy", rule: "CKV_AWS_33" },
    "aws:s3/bucketPolicy:BucketPolicy": { field: "policy", rule: "CKV_AWS_70" },
    "aws:s3/bucket:Bucket": { field: "policy", rule: "CKV_AWS_70" },
    "aws:ecr/repositoryPolicy:RepositoryPolicy": { field: "policy", rule: "CKV_AWS_32" },
    "aws:secretsmanager/secretPolicy:SecretPolicy": { field: "policy" },
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": { field: "policyDocument" },
    "aws:sns/topicPolicy:TopicPolicy": { field: "policy" },
    "aws:sns/topic:Topic": { field: "policy" },
};

/** Condition keys that pin a statement to an account, organization or source (compared in lower case, as IAM does). */
export const SCOPING_KEYS = [
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "kms:calleraccount",
];
const SCOPING_OPERATORS = ["stringequals", "stringlike", "arnequals", "arnlike"];

function everyone(principal: unknown): boolean {
    if (principal === "*") return true;
    if (principal === null || typeof principal !== "object") return false;
    return asList((principal as Props).AWS).includes("*");
}

/** Whether a condition block pins the statement with a scoping key to values that are not wildcards only. */
function scoped(condition: Props | undefined): boolean {
    for (const [operator, entries] of Object.entries<Props>(condition ?? {})) {
        // Not the ...IfExists forms: they pass requests that lack the key.
        if (!SCOPING_OPERATORS.includes(operator.toLowerCase())) continue;
        for (const [key, value] of Object.entries(entries ?? {})) {
            const values = asList(value).map(String);
            if (SCOPING_KEYS.includes(key.toLowerCase()) && values.length > 0 && values.every((v) => v.replace(/\*/g, "") !== "")) return true;
        }
    }
    return false;
}

export const resourcePoliciesNotPublic: ResourceValidationPolicy = {
    name: "resource-policies-not-public",
    description:
        "Resource policies (KMS key, S3 bucket, ECR repository, Secrets Manager secret, CloudWatch Logs, SNS topic) allow the principal * (or everyone but a NotPrincipal) only with a condition that pins " +
        "the account, organization or source (CKV_AWS_33, CKV_AWS_70, CKV_AWS_32): a resource policy is the one place IAM can grant access to the whole internet.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(Object.keys(DOCUMENTS), (props, args, report, checks) => {
        const { field, rule } = DOCUMENTS[args.type];
        const raw = props[field];
        if (raw === undefined || raw === null || raw === "") return;
        const subject = describeResource(args.type, args.name);
        const document = parseJson(raw);
        if (document === undefined || typeof document !== "object") {
            report(`${subject}: ${field} is not a JSON policy document, so nobody can review who it lets in. Fix: set ${field} to a JSON policy (pulumi.jsonStringify).`);
            return;
        }
        checks.each(
            () => asList<Props>(document.Statement),
            (s: Props, i) => {
                if (s.Effect !== "Allow") return;
                const notPrincipal = s.NotPrincipal !== undefined && s.NotPrincipal !== null;
                if (!notPrincipal && !everyone(s.Principal)) return;
                if (scoped(s.Condition)) return;
                const name = s.Sid ? `statement ${JSON.stringify(s.Sid)}` : `statement ${i}`;
                const whom = notPrincipal ? "every principal but its NotPrincipal (Allow with NotPrincipal)" : "the principal *";
                report(
                    `${subject}: ${field} ${name} allows ${whom} (${listActions(s.Action)}) without a condition that pins an account, organization or source${rule ? ` (${rule})` : ""}. ` +
                        `Fix: name the principals${notPrincipal ? " in Principal instead of NotPrincipal" : ""}, or add a StringEquals/ArnLike condition on aws:PrincipalAccount, aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID (kms:CallerAccount for keys).`,
                );
            },
        );
    }),
};

function listActions(action: unknown): string {
    const actions = asList(action).map(String);
    return actions.length === 0 ? "no action" : actions.join(", ");
}

export const RESOURCE_POLICY_POLICIES = [resourcePoliciesNotPublic];
