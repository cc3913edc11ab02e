import * as assert from "assert";
import { OfflineResource } from "../../policies/offline";
import { s3BucketsHardened as policy } from "../../policies/s3";
import { assertHasStackViolation, createStackValidationArgs, Outcome, runStackPolicy, runWithExceptions, stackResource, UNKNOWN } from "./util";

const NAME = "gitops-staging-data";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd";
const TLS_ONLY = { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${NAME}`, `arn:aws:s3:::${NAME}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } };

/** A bucket with every configuration the policy asks for (`omit` drops some, `change` replaces their props). */
function bucket(omit: string[] = [], change: Record<string, Record<string, unknown>> = {}, bucketName: unknown = NAME): OfflineResource[] {
    const linked: Record<string, [string, Record<string, unknown>]> = {
        publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }],
        ownership: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls", { rule: { objectOwnership: "BucketOwnerEnforced" } }],
        encryption: ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY } }] }],
        versioning: ["aws:s3/bucketVersioning:BucketVersioning", { versioningConfiguration: { status: "Enabled" } }],
        lifecycle: ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", { rules: [{ id: "expire", status: "Enabled", expiration: { days: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }] }],
        policy: ["aws:s3/bucketPolicy:BucketPolicy", { policy: JSON.stringify({ Version: "2012-10-17", Statement: [TLS_ONLY] }) }],
        logging: ["aws:s3/bucketLogging:BucketLogging", { targetBucket: "logs", targetPrefix: "data/" }],
        replication: ["aws:s3/bucketReplicationConfig:BucketReplicationConfig", { role: "arn:aws:iam::123456789012:role/r", rules: [{ status: "Enabled", destination: { bucket: "arn:aws:s3:::replica" } }] }],
        objectLock: ["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { rule: { defaultRetention: { mode: "GOVERNANCE", days: 7 } } }],
        notification: ["aws:s3/bucketNotification:BucketNotification", { eventbridge: true }],
    };
    const resources: OfflineResource[] = [stackResource("aws:s3/bucket:Bucket", "data", { bucket: bucketName }, { id: NAME })];
    for (const [link, [type, props]] of Object.entries(linked)) {
        if (!omit.includes(link)) resources.push(stackResource(type, `data-${link}`, { bucket: bucketName, ...props, ...(change[link] ?? {}) }));
    }
    return resources;
}
const args = (resources: OfflineResource[], config: Record<string, unknown> = {}) => createStackValidationArgs(policy, resources, config);
const messages = (o: Outcome) => o.violations.map((v) => v.message);

describe("policy s3-buckets-hardened", () => {
    it("passes a bucket with every configuration, linked by name", async () => {
        assert.deepStrictEqual(messages(await runStackPolicy(policy, args(bucket()))), []);
    });

    it("reports each missing configuration, by rule, on the bucket", async () => {
        const outcome = await runStackPolicy(policy, args(bucket(["publicAccessBlock", "ownership", "encryption", "versioning", "lifecycle", "policy", "logging", "replication", "objectLock", "notification"])));
        const rules = messages(outcome).map((m) => /\((CKV2?_AWS_\d+)\)/.exec(m)![1]);
        assert.deepStrictEqual(rules, ["CKV2_AWS_6", "CKV2_AWS_65", "CKV_AWS_19", "CKV_AWS_379", "CKV_AWS_21", "CKV2_AWS_61", "CKV_AWS_18", "CKV_AWS_144", "CKV2_AWS_62", "CKV_AWS_143"]);
        for (const m of messages(outcome)) assert.match(m, /^aws:s3\/bucket:Bucket "data": .*Fix: .*\(bucket: gitops-staging-data\)\.$/);
    });

    it("reports each public access flag left off, SSE-S3 instead of KMS, ACLs on, failed uploads kept", async () => {
        await assertHasStackViolation(policy, args(bucket([], { publicAccessBlock: { restrictPublicBuckets: false } })), "data", "its public access block leaves restrictPublicBuckets off (CKV_AWS_56)");
        await assertHasStackViolation(policy, args(bucket([], { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } })), "data", "bucket gitops-staging-data is encrypted with AES256, not a KMS key (CKV_AWS_145)");
        await assertHasStackViolation(policy, args(bucket([], { ownership: { rule: { objectOwnership: "ObjectWriter" } } })), "data", 'object ownership "ObjectWriter"');
        await assertHasStackViolation(policy, args(bucket([], { lifecycle: { rules: [{ id: "x", status: "Enabled", expiration: { days: 3 } }] } })), "data", "never aborts incomplete multipart uploads, whose parts are billed until deleted (CKV_AWS_300)");
        await assertHasStackViolation(policy, args(bucket([], { versioning: { versioningConfiguration: { status: "Suspended" } } })), "data", "is not versioned");
    });

    it("the ALB access-log bucket's SSE-S3 and the rest of its exceptions pass, listed by the runner; it keeps every other rule", async () => {
        const albPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, Action: "s3:PutObject", Resource: "*" }, TLS_ONLY] });
        const alb = bucket(["logging", "replication", "objectLock", "notification"], { policy: { policy: albPolicy }, encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } });
        const outcome = await runWithExceptions(policy, args(alb));
        assert.deepStrictEqual(messages(outcome), []);
        assert.deepStrictEqual(outcome.excepted.map((e) => e.exceptionId).sort(), ["alb-log-bucket-no-access-logging", "alb-log-bucket-no-event-notifications", "alb-log-bucket-no-object-lock", "alb-log-bucket-no-replication", "alb-log-bucket-sse-s3"]);
        assert.strictEqual(outcome.excepted[0].subject, `ALB access-log bucket ${NAME}`);
        // Not versioned: still a violation; and any other bucket gets no exception.
        await assertHasStackViolation(policy, args(alb.filter((r) => !r.type.endsWith("BucketVersioning"))), "data", /ALB access-log bucket gitops-staging-data is not versioned, .*\(CKV_AWS_21\)/);
        await assertHasStackViolation(policy, args(bucket(["replication"])), "data", "bucket gitops-staging-data is not replicated to another region (CKV_AWS_144)");
    });

    it("a configuration whose bucket preview cannot name yet is not taken for missing", async () => {
        const pending = [bucket()[0], ...bucket([], {}, UNKNOWN).slice(1)];
        const outcome = await runStackPolicy(policy, args(pending));
        assert.ok(outcome.unknown);
        assert.deepStrictEqual(messages(outcome), []);
    });

    it("is not applicable without buckets", async () => {
        assert.ok((await runStackPolicy(policy, args([stackResource("aws:sns/topic:Topic", "t", {})]))).notApplicable);
    });
});
