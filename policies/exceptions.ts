/**
 * Documented exceptions: the findings the pack lets pass on purpose, each with its reason. An exception belongs
 * to one policy and one rule (a Checkov id, or the pack's own), and covers the subjects its `match` globs name:
 * what the policy names in its finding (an image repository, a bucket, a secret name, a log group). The list is
 * each policy's `exceptions` setting, whose default is EXCEPTIONS below; policies/config/<env>.json may replace it
 * (the whole list: copy the entries you keep).
 *
 * An excepted finding is not a violation. The offline runner (offline.ts, used by `npm run plan` and the tests)
 * lists it with its exception and reason, so nothing passes silently there; the Pulumi engine has no channel for
 * it, so a real `pulumi preview` just passes it.
 */
import { ReportViolation } from "@pulumi/policy";

export interface PolicyException {
    /** Stable name, shown by the plan and in the README. */
    id: string;
    /** The rule it excepts (a Checkov id such as CKV_K8S_40). */
    rule: string;
    /** Globs (`*` is any text) over the subjects the policy names for this rule. */
    match: string[];
    reason: string;
}

/** A finding an exception let pass, as the offline runner receives it. */
export interface ExceptedFinding {
    exceptionId: string;
    rule: string;
    subject: string;
    reason: string;
    /** What the finding would have said. */
    message: string;
    /** For stack policies: the resource it is about. */
    urn?: string;
}

/** The property of the validation arguments where the offline runner puts its sink (the engine sets none). */
export const EXCEPTION_SINK = "gitopsExceptionSink";

export type ExceptionSink = (finding: ExceptedFinding) => void;

export interface ExceptionsConfig {
    exceptions: PolicyException[];
}

/** Every documented exception of the pack, by policy. The README's exception table lists exactly these. */
export const EXCEPTIONS: Record<string, PolicyException[]> = {
    "workload-pod-security": [
        {
            id: "image-uids-below-10000",
            rule: "CKV_K8S_40",
            match: ["public.ecr.aws/docker/library/mysql", "public.ecr.aws/docker/library/redis", "public.ecr.aws/nginx/nginx-prometheus-exporter", "*.dkr.ecr.*.amazonaws.com/*/frontend"],
            reason:
                "The images' own users: the official MySQL and Redis images run as 999 and own their data directories with it, the frontend's unprivileged nginx " +
                "(and its exporter, in the same pod) as 101. A UID of 10000 or more would need rebuilt images; runAsNonRoot and a fixed numeric UID still hold.",
        },
    ],
    "workload-images-pinned": [
        {
            id: "third-party-image-tags",
            rule: "CKV_K8S_43",
            match: ["public.ecr.aws/docker/library/mysql", "public.ecr.aws/docker/library/redis", "public.ecr.aws/nginx/nginx-prometheus-exporter"],
            reason:
                "MySQL, Redis and the nginx exporter are pinned by exact version tag in their overlays: the release pins digests only of the images CI builds, and " +
                "a new version of these is a reviewed edit of the tag. An ECR Public tag can be re-pushed, so only a digest is immutable: a digest pin in the overlay " +
                "(digest: sha256:... beside newTag) ends the exception. Our own images are pinned by digest.",
        },
    ],
    "workload-secrets-as-files": [
        {
            id: "credentials-in-environment",
            rule: "CKV_K8S_35",
            match: [
                "public.ecr.aws/docker/library/mysql",
                "public.ecr.aws/docker/library/redis",
                // The services built on apps/services/python-kit, which are named <name>-service (README: Extending).
                "*.dkr.ecr.*.amazonaws.com/*/*-service",
            ],
            reason:
                "The images take their credentials from environment variables (the official MySQL image's MYSQL_*PASSWORD, Redis' --requirepass, the Python " +
                "services' DB_PASSWORD, REDIS_PASSWORD and SESSION_KEY). The values come from External Secrets, never from Git, and are visible only inside the pod.",
        },
    ],
    "s3-buckets-hardened": [
        {
            id: "alb-log-bucket-sse-s3",
            rule: "CKV_AWS_145",
            match: ["ALB access-log bucket *"],
            reason: "Elastic Load Balancing delivers access logs only to buckets encrypted with SSE-S3 (AES256); with SSE-KMS the delivery fails.",
        },
        {
            id: "alb-log-bucket-no-access-logging",
            rule: "CKV_AWS_18",
            match: ["ALB access-log bucket *"],
            reason:
                "The bucket holds access logs itself: logging its own access would need a second log bucket (and that one a third). CloudTrail records changes to " +
                "its configuration, and versioning keeps what is deleted.",
        },
        {
            id: "alb-log-bucket-no-replication",
            rule: "CKV_AWS_144",
            match: ["ALB access-log bucket *"],
            reason: "Access logs are diagnostics, not primary data: a cross-region replica would double their cost and need a bucket in a second region.",
        },
        {
            id: "alb-log-bucket-no-object-lock",
            rule: "CKV_AWS_143",
            match: ["ALB access-log bucket *"],
            reason:
                "Object Lock would keep every log until its lock expires, also through `pulumi destroy` of staging; versioning keeps a deleted or overwritten log " +
                "recoverable for 30 days instead.",
        },
        {
            id: "alb-log-bucket-no-event-notifications",
            rule: "CKV2_AWS_62",
            match: ["ALB access-log bucket *"],
            reason: "Nothing consumes events of new access-log objects; they are read when investigating.",
        },
    ],
    "secrets-manager-hardened": [
        {
            id: "database-password-rotation",
            rule: "CKV2_AWS_57",
            match: ["*/mysql"],
            reason:
                "MySQL applies its passwords only when it initialises its volume: a rotated secret would no longer match the database. Rotation is the documented " +
                "manual procedure (ALTER USER, then replace the password).",
        },
        {
            id: "cache-password-rotation",
            rule: "CKV2_AWS_57",
            match: ["*/redis"],
            reason: "Redis and its clients read the password when they start: a rotation needs Redis and the three services restarted together, so it is done by hand.",
        },
        {
            id: "session-key-rotation",
            rule: "CKV2_AWS_57",
            match: ["*/session"],
            reason:
                "The services sign session tokens with this key and read it when they start: a rotation signs everybody out and needs the three services " +
                "restarted together, so it is replaced by hand (`pulumi up --replace` of the key, then a rollout restart).",
        },
        {
            id: "grafana-admin-rotation",
            rule: "CKV2_AWS_57",
            match: ["*/grafana/admin"],
            reason: "Grafana takes its admin password at start only: a rotated secret would not open Grafana until its pod restarts. Replace the password with `pulumi up --replace` and restart Grafana.",
        },
        {
            id: "webhook-secret-rotation",
            rule: "CKV2_AWS_57",
            match: ["*/argocd/github-webhook"],
            reason: "GitHub's webhook settings hold a copy of the secret that no rotation function can update: a rotation would stop the webhook until someone pastes the new value.",
        },
    ],
    "eks-public-endpoint-restricted": [
        {
            id: "eks-public-endpoint-for-listed-cidrs",
            rule: "CKV_AWS_39",
            match: ["*"],
            reason:
                "The API endpoint is public only for the CIDRs infra:endpointPublicAccessCidrs lists (none: private only; the settings files ship a documentation " +
                "range to replace): CI runners and administrators outside the VPC reach it from those CIDRs alone (CKV_AWS_38).",
        },
    ],
    "subnets-no-public-ip": [
        {
            id: "public-subnets-map-public-ip",
            rule: "CKV_AWS_130",
            match: ["public subnets of *", "public subnet *"],
            reason:
                "The public subnets hold only the internet-facing ALB and the NAT gateways, which need public addresses; nodes and pods never run there " +
                "(nodes-in-private-subnets, no-public-ip-on-nodes).",
        },
    ],
};

/** The `exceptions` setting of a policy, defaulting to its documented exceptions. */
export function exceptionsSetting(policy: string) {
    return {
        type: "array" as const,
        description:
            "Findings this policy lets pass on purpose: { id, rule, match (globs over what the finding names), reason }. Setting it replaces the documented list.",
        items: {
            type: "object" as const,
            required: ["id", "rule", "match", "reason"],
            properties: {
                id: { type: "string" as const, pattern: "^[a-z0-9]+(-[a-z0-9]+)*$" },
                rule: { type: "string" as const, minLength: 1 },
                match: { type: "array" as const, items: { type: "string" as const, minLength: 1 }, minItems: 1 },
                reason: { type: "string" as const, minLength: 20 },
            },
        },
        default: structuredClone(EXCEPTIONS[policy] ?? []),
    };
}

/** Whether a glob (`*` matches any text, everything else itself) matches the whole subject. */
export function globMatches(glob: string, subject: string): boolean {
    const pattern = glob
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
    return new RegExp(`^${pattern}$`).test(subject);
}

export function exceptionFor(exceptions: readonly PolicyException[], rule: string, subject: string): PolicyException | undefined {
    return exceptions.find((e) => e.rule === rule && e.match.some((glob) => globMatches(glob, subject)));
}

/**
 * How a policy with documented exceptions reports: `finding(rule, subject, message)` is a violation, unless an
 * exception of the policy covers the rule and the subject; then it goes to the runner's sink (if any).
 */
export function findings(args: object, report: ReportViolation, exceptions: readonly PolicyException[] = []) {
    const sink = (args as Record<string, unknown>)[EXCEPTION_SINK] as ExceptionSink | undefined;
    return (rule: string, subject: string, message: string, urn?: string): void => {
        const exception = exceptionFor(exceptions, rule, subject);
        if (exception === undefined) return report(message, urn);
        sink?.({ exceptionId: exception.id, rule, subject, reason: exception.reason, message, ...(urn ? { urn } : {}) });
    };
}
