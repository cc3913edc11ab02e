/**
 * S3 buckets, with the resources that configure them (aws v7 keeps each setting in its own resource, linked by
 * `bucket`): public access blocked in all four ways, ACLs disabled, encryption at rest with a KMS key, TLS-only
 * access, versioning, a lifecycle that also aborts failed uploads, and Checkov's remaining bucket rules (access
 * logging, replication, object lock, event notifications). A stack policy: it follows the links.
 *
 * Subjects for exceptions: `ALB access-log bucket <name>` for a bucket whose policy lets Elastic Load Balancing's
 * log delivery write to it, `bucket <name>` for any other; exceptions.ts documents what the log bucket cannot do.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asBool, asList, Checks, checking, describeResource, parseJson, Props, resourcesByReference } from "./common";
import { exceptionsSetting, ExceptionsConfig, findings } from "./exceptions";

export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** The resources that configure a bucket, by what they are for. */
const LINKED = {
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    logging: "aws:s3/bucketLogging:BucketLogging",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    notification: "aws:s3/bucketNotification:BucketNotification",
} as const;
type Link = keyof typeof LINKED;

export const ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com";
const PUBLIC_ACCESS_FLAGS: [string, string][] = [
    ["blockPublicAcls", "CKV_AWS_53"],
    ["blockPublicPolicy", "CKV_AWS_54"],
    ["ignorePublicAcls", "CKV_AWS_55"],
    ["restrictPublicBuckets", "CKV_AWS_56"],
];

/** The linked resources of every bucket name, and the link types some resource of which preview cannot attribute yet. */
function linkedResources(resources: PolicyResource[], checks: Checks) {
    const byBucket = new Map<string, Partial<Record<Link, PolicyResource>>>();
    const unknown = new Set<Link>();
    for (const [link, type] of Object.entries(LINKED) as [Link, string][]) {
        const linked = resourcesByReference(resources, type, (p) => p.bucket, checks);
        if (linked.unknown) unknown.add(link);
        for (const [bucket, r] of linked.byKey) byBucket.set(bucket, { ...byBucket.get(bucket), [link]: r });
    }
    return { byBucket, unknown };
}

function statements(policy: unknown): Props[] {
    return asList<Props>(parseJson(policy)?.Statement);
}

function deliversAlbLogs(policy: unknown): boolean {
    return statements(policy).some((s) => s.Effect === "Allow" && asList(s.Principal?.Service).includes(ELB_LOG_DELIVERY));
}

function deniesPlainHttp(policy: unknown): boolean {
    return statements(policy).some((s) => s.Effect === "Deny" && asBool(s.Condition?.Bool?.["aws:SecureTransport"]) === false);
}

export const s3BucketsHardened: StackValidationPolicy = {
    name: "s3-buckets-hardened",
    description:
        "S3 buckets block public access in all four ways (CKV2_AWS_6, CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56), disable ACLs (CKV2_AWS_65), encrypt at rest (CKV_AWS_19) with KMS " +
        "(CKV_AWS_145), refuse plain HTTP (CKV_AWS_379), keep versions (CKV_AWS_21), expire objects and failed uploads (CKV2_AWS_61, CKV_AWS_300), and log access, " +
        "replicate, lock objects and notify (CKV_AWS_18, CKV_AWS_144, CKV_AWS_143, CKV2_AWS_62) unless a documented exception says why not.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { exceptions: exceptionsSetting("s3-buckets-hardened") } },
    validateStack: (args, report) => {
        const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type));
        if (buckets.length === 0) args.notApplicable("no S3 buckets");
        const finding = findings(args, report, args.getConfig<ExceptionsConfig>().exceptions);
        checking((checks) => {
            const { byBucket, unknown } = linkedResources(args.resources, checks);
            for (const bucket of buckets) {
                checks.run(() => {
                    const name = String(bucket.props.bucket ?? bucket.props.id ?? bucket.name);
                    const linked = byBucket.get(name) ?? {};
                    const subject = describeResource(bucket.type, bucket.name);
                    const policy = linked.policy?.props.policy ?? bucket.props.policy;
                    const what = deliversAlbLogs(policy) ? `ALB access-log bucket ${name}` : `bucket ${name}`;
                    const urn = bucket.urn;
                    /** Runs `check` with the linked resource; a missing one preview may not have attributed yet is skipped. */
                    const withLinked = (link: Link, check: (r: PolicyResource | undefined) => void) =>
                        checks.run(() => {
                            if (linked[link] === undefined && unknown.has(link)) return;
                            check(linked[link]);
                        });
                    const fix = (text: string) => `Fix: ${text} (bucket: ${name}).`;

                    withLinked("publicAccessBlock", (pab) => {
                        if (pab === undefined) return report(`${subject}: ${what} has no public access block, so a policy or ACL can make it public (CKV2_AWS_6). ${fix("add an aws.s3.BucketPublicAccessBlock with all four settings true")}`, urn);
                        for (const [flag, rule] of PUBLIC_ACCESS_FLAGS) {
                            if (asBool(pab.props[flag]) !== true) report(`${subject}: its public access block leaves ${flag} off (${rule}). ${fix(`set ${flag} to true on ${pab.name}`)}`, urn);
                        }
                    });
                    withLinked("ownership", (o) => {
                        if (o?.props.rule?.objectOwnership !== "BucketOwnerEnforced") {
                            report(`${subject}: ${what} keeps ACLs enabled (object ownership ${JSON.stringify(o?.props.rule?.objectOwnership ?? "not set")}), so objects can be shared by ACL (CKV2_AWS_65). ${fix('add an aws.s3.BucketOwnershipControls with objectOwnership "BucketOwnerEnforced"')}`, urn);
                        }
                    });
                    withLinked("encryption", (e) => {
                        if (e === undefined) return report(`${subject}: ${what} has no server-side encryption configuration (CKV_AWS_19). ${fix("add an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and a KMS key")}`, urn);
                        const algorithms = asList<Props>(e.props.rules).map((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm);
                        if (!algorithms.some((a) => a === "aws:kms" || a === "aws:kms:dsse")) {
                            finding("CKV_AWS_145", what, `${subject}: ${what} is encrypted with ${algorithms.join(", ") || "nothing"}, not a KMS key (CKV_AWS_145). ${fix("set sseAlgorithm to aws:kms with kmsMasterKeyId")}`, urn);
                        }
                    });
                    withLinked("policy", () => {
                        if (!deniesPlainHttp(policy)) report(`${subject}: ${what} accepts plain HTTP requests (CKV_AWS_379). ${fix('add a bucket policy statement denying s3:* when aws:SecureTransport is "false"')}`, urn);
                    });
                    withLinked("versioning", (v) => {
                        if (v?.props.versioningConfiguration?.status !== "Enabled") {
                            report(`${subject}: ${what} is not versioned, so a deleted or overwritten object is gone (CKV_AWS_21). ${fix('add an aws.s3.BucketVersioning with status "Enabled" (and expire noncurrent versions in its lifecycle)')}`, urn);
                        }
                    });
                    withLinked("lifecycle", (l) => {
                        const rules = asList<Props>(l?.props.rules).filter((r) => r.status === "Enabled");
                        if (rules.length === 0) return report(`${subject}: ${what} has no enabled lifecycle rule, so objects are kept (and billed) forever (CKV2_AWS_61). ${fix("add an aws.s3.BucketLifecycleConfiguration with an expiration")}`, urn);
                        if (!rules.some((r) => r.abortIncompleteMultipartUpload?.daysAfterInitiation !== undefined)) {
                            report(`${subject}: its lifecycle never aborts incomplete multipart uploads, whose parts are billed until deleted (CKV_AWS_300). ${fix("add abortIncompleteMultipartUpload { daysAfterInitiation: 1 } to a rule")}`, urn);
                        }
                    });
                    const absent: [Link, string, string, string][] = [
                        ["logging", "CKV_AWS_18", "logs no access", "add an aws.s3.BucketLogging to a log bucket"],
                        ["replication", "CKV_AWS_144", "is not replicated to another region", "add an aws.s3.BucketReplicationConfig"],
                        ["notification", "CKV2_AWS_62", "sends no event notifications", "add an aws.s3.BucketNotification"],
                    ];
                    for (const [link, rule, problem, todo] of absent) {
                        withLinked(link, (r) => {
                            if (r === undefined) finding(rule, what, `${subject}: ${what} ${problem} (${rule}). ${fix(todo)}`, urn);
                        });
                    }
                    withLinked("objectLock", (r) => {
                        if (r === undefined && asBool(bucket.props.objectLockEnabled) !== true) {
                            finding("CKV_AWS_143", what, `${subject}: ${what} has no object lock (CKV_AWS_143). ${fix("set objectLockEnabled and add an aws.s3.BucketObjectLockConfiguration")}`, urn);
                        }
                    });
                });
            }
        });
    },
};

export const S3_POLICIES = [s3BucketsHardened];
