import * as assert from "assert";
import { resourcePoliciesNotPublic as policy, SCOPING_KEYS } from "../../policies/resource-policies";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, UNKNOWN } from "./util";

const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const args = (type: string, props: Record<string, unknown>) => createResourceValidationArgs(policy, type, props, { name: "p" });
const everyone = (extra: object = {}) => ({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", ...extra });

describe("policy resource-policies-not-public", () => {
    it("passes named principals, service principals, Deny statements and * pinned to an account or source", async () => {
        await assertNoResourceViolations(policy, args(BUCKET_POLICY, { policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:*" }) }));
        await assertNoResourceViolations(policy, args(BUCKET_POLICY, { policy: doc({ Effect: "Allow", Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, Action: "s3:PutObject" }) }));
        await assertNoResourceViolations(policy, args(BUCKET_POLICY, { policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }) }));
        await assertNoResourceViolations(policy, args(BUCKET_POLICY, { policy: doc(everyone({ Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } })) }));
        await assertNoResourceViolations(policy, args("aws:kms/key:Key", { policy: doc(everyone({ Action: "kms:Decrypt", Condition: { StringEquals: { "kms:CallerAccount": "123456789012" } } })) }));
        assert.ok(SCOPING_KEYS.includes("aws:sourceaccount"));
    });

    it("reports * without a pinning condition, per Checkov rule of the resource type", async () => {
        const [v] = await assertViolationCount(policy, args(BUCKET_POLICY, { policy: doc({ ...everyone(), Sid: "Open" }) }), 1);
        assert.strictEqual(
            v.message,
            'aws:s3/bucketPolicy:BucketPolicy "p": policy statement "Open" allows the principal * (s3:GetObject) without a condition that pins an account, organization or source (CKV_AWS_70). ' +
                "Fix: name the principals, or add a StringEquals/ArnLike condition on aws:PrincipalAccount, aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID (kms:CallerAccount for keys).",
        );
        await assertHasResourceViolation(policy, args("aws:kms/key:Key", { policy: doc(everyone({ Principal: { AWS: ["*"] } })) }), "(CKV_AWS_33)");
        await assertHasResourceViolation(policy, args("aws:ecr/repositoryPolicy:RepositoryPolicy", { repository: "r", policy: doc(everyone()) }), "(CKV_AWS_32)");
        await assertHasResourceViolation(policy, args("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", { policyDocument: doc(everyone()) }), "policyDocument statement 0 allows the principal *");
    });

    it("an Allow with NotPrincipal grants everyone else: it counts as *, pinned or not", async () => {
        const [v] = await assertViolationCount(policy, args(BUCKET_POLICY, { policy: doc({ Sid: "AllButMe", Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/me" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) }), 1);
        assert.match(v.message, /policy statement "AllButMe" allows every principal but its NotPrincipal \(Allow with NotPrincipal\) \(s3:GetObject\) without a condition .*\(CKV_AWS_70\)\. Fix: name the principals in Principal instead of NotPrincipal, or add/);
        await assertHasResourceViolation(policy, args("aws:kms/key:Key", { policy: doc({ Effect: "Allow", NotPrincipal: { AWS: ["arn:aws:iam::123456789012:root"] }, Action: "kms:*" }) }), "(CKV_AWS_33)");
        await assertNoResourceViolations(policy, args(BUCKET_POLICY, { policy: doc({ Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/me" }, Action: "s3:GetObject", Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } }) }));
        // Deny with NotPrincipal denies everyone else: it grants nothing.
        await assertNoResourceViolations(policy, args(BUCKET_POLICY, { policy: doc({ Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/me" }, Action: "s3:*" }) }));
    });

    it("a condition that does not pin (another key, an IfExists operator, a bare wildcard) does not count", async () => {
        for (const Condition of [
            { Bool: { "aws:SecureTransport": "true" } },
            { StringEqualsIfExists: { "aws:SourceAccount": "123456789012" } },
            { StringLike: { "aws:SourceAccount": "*" } },
        ]) {
            await assertHasResourceViolation(policy, args(BUCKET_POLICY, { policy: doc(everyone({ Condition })) }), "allows the principal *");
        }
    });

    it("a policy that is not JSON is reported; none at all is fine", async () => {
        await assertHasResourceViolation(policy, args(BUCKET_POLICY, { policy: "{not json" }), "is not a JSON policy document");
        await assertNoResourceViolations(policy, args("aws:sns/topic:Topic", { name: "alarms" }));
    });

    it("an unknown policy is skipped; other types are not its business", async () => {
        await assertSkipsUnknown(policy, args(BUCKET_POLICY, { policy: UNKNOWN }));
        await assertNotApplicable(policy, args("aws:iam/role:Role", { assumeRolePolicy: doc(everyone()) }));
    });
});
