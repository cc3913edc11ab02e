import * as assert from "assert";
import { OfflineResource } from "../../policies/offline";
import { secretsManagerHardened as policy } from "../../policies/secrets";
import { assertHasStackViolation, assertNoStackViolations, createStackValidationArgs, runStackPolicy, runWithExceptions, stackResource, UNKNOWN } from "./util";

const SECRET = "aws:secretsmanager/secret:Secret";
const ROTATION = "aws:secretsmanager/secretRotation:SecretRotation";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd";
const secret = (name: string, extra: Record<string, unknown> = {}) => stackResource(SECRET, name.replace(/\//g, "-"), { name, kmsKeyId: KEY, ...extra }, { id: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf` });
const rotation = (secretId: unknown, days = 30) => stackResource(ROTATION, "rotation", { secretId, rotationLambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:rotate", rotationRules: { automaticallyAfterDays: days } });
const args = (resources: OfflineResource[], config: Record<string, unknown> = {}) => createStackValidationArgs(policy, resources, config);
const API = "gitops-staging/api/token";

describe("policy secrets-manager-hardened", () => {
    it("passes a secret under a customer-managed key with a rotation of at most 90 days (matched by ARN or name)", async () => {
        const s = secret(API);
        await assertNoStackViolations(policy, args([s, rotation(s.id)]));
        await assertNoStackViolations(policy, args([s, rotation(API, 90)]));
    });

    it("reports a secret under the AWS managed key (CKV_AWS_149)", async () => {
        const s = secret(API, { kmsKeyId: undefined });
        await assertHasStackViolation(policy, args([s, rotation(API)]), s.name, 'aws:secretsmanager/secret:Secret "gitops-staging-api-token": kmsKeyId is not set, so the AWS managed key encrypts it');
        for (const kmsKeyId of ["alias/aws/secretsmanager", "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager", "alias/aws/ebs"]) {
            const managed = secret(API, { kmsKeyId });
            await assertHasStackViolation(policy, args([managed, rotation(API)]), managed.name, `kmsKeyId is ${JSON.stringify(kmsKeyId)}, an AWS managed key's alias, so the AWS managed key encrypts it`);
        }
        // Customer-managed keys by alias (name or ARN), key id or key ARN pass: only alias/aws/ is reserved for AWS.
        for (const kmsKeyId of ["alias/gitops-staging-logs", "arn:aws:kms:us-east-1:123456789012:alias/aws-logs", "1234abcd-12ab-34cd-56ef-1234567890ab", KEY]) {
            await assertNoStackViolations(policy, args([secret(API, { kmsKeyId }), rotation(API)]));
        }
    });

    it("reports a secret that never rotates (CKV2_AWS_57), or rotates less often than every 90 days (CKV_AWS_304)", async () => {
        const s = secret(API);
        await assertHasStackViolation(policy, args([s]), s.name, `secret ${API} never rotates (CKV2_AWS_57). Fix: add an aws.secretsmanager.SecretRotation`);
        await assertHasStackViolation(policy, args([s, rotation(API, 180)]), s.name, "rotates every 180 days, more than 90 (CKV_AWS_304)");
    });

    it("the generated secrets whose consumers cannot take a rotated value pass as documented exceptions, one reason each", async () => {
        const names = ["gitops-staging/mysql", "gitops-staging/redis", "gitops-production/grafana/admin", "gitops-production/argocd/github-webhook"];
        const outcome = await runWithExceptions(policy, args(names.map((n) => secret(n))));
        assert.deepStrictEqual(outcome.violations, []);
        assert.deepStrictEqual(outcome.excepted.map((e) => e.exceptionId), ["database-password-rotation", "cache-password-rotation", "grafana-admin-rotation", "webhook-secret-rotation"]);
        // The exceptions cover rotation only: the key is still required.
        const unencrypted = secret("gitops-staging/mysql", { kmsKeyId: undefined });
        await assertHasStackViolation(policy, args([unencrypted]), unencrypted.name, "(CKV_AWS_149)");
    });

    it("a rotation whose secret is unknown in preview, or an unknown key, is skipped", async () => {
        const outcome = await runStackPolicy(policy, args([secret(API), rotation(UNKNOWN)]));
        assert.ok(outcome.unknown);
        assert.ok((await runStackPolicy(policy, args([secret(API, { kmsKeyId: UNKNOWN }), rotation(API)]))).unknown);
    });

    it("a rotation whose secret is unknown does not hide what the known ones show: a rotation over 90 days is still reported", async () => {
        const slow = secret(API);
        const unknownRotation = { ...rotation(UNKNOWN), name: "rotation-pending" };
        await assertHasStackViolation(policy, args([slow, unknownRotation, rotation(API, 120)]), slow.name, "rotates every 120 days, more than 90 (CKV_AWS_304)");
    });

    it("is not applicable without secrets", async () => {
        assert.ok((await runStackPolicy(policy, args([stackResource("aws:s3/bucket:Bucket", "b", {})]))).notApplicable);
    });
});
