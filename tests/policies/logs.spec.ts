import * as assert from "assert";
import { cloudwatchLogGroupsHardened as policy } from "../../policies/logs";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, runWithExceptions, UNKNOWN } from "./util";

const GROUP = "aws:cloudwatch/logGroup:LogGroup";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd";
const args = (props: Props, config: Record<string, unknown> = {}) => createResourceValidationArgs(policy, GROUP, { name: "/aws/vpc/gitops-staging/flow-logs", ...props }, { name: "flow-logs", config });

describe("policy cloudwatch-log-groups-hardened", () => {
    it("passes a group kept a year or more, encrypted with a customer-managed key", async () => {
        await assertNoResourceViolations(policy, args({ retentionInDays: 365, kmsKeyId: KEY }));
    });

    it("reports a group without retention (CKV_AWS_66) or KMS key (CKV_AWS_158)", async () => {
        const violations = await assertViolationCount(policy, args({}), 2);
        assert.strictEqual(
            violations[0].message,
            'aws:cloudwatch/logGroup:LogGroup "flow-logs": retentionInDays is not set, so CloudWatch keeps (and bills) its logs forever (CKV_AWS_66). Fix: set retentionInDays (the layers\' settings: 14 in staging, 90 in production).',
        );
        assert.match(violations[1].message, /kmsKeyId is not set, .*\(CKV_AWS_158\)\. Fix: set kmsKeyId to the environment's key \(infra output logsAndSecretsKeyArn\)\./);
        await assertHasResourceViolation(policy, args({ retentionInDays: 0, kmsKeyId: KEY }), "retentionInDays is not set");
    });

    it("a retention under a year (CKV_AWS_338) passes as the documented exception, listed by the runner", async () => {
        const outcome = await runWithExceptions(policy, args({ retentionInDays: 14, kmsKeyId: KEY }));
        assert.deepStrictEqual(outcome.violations, []);
        assert.deepStrictEqual(outcome.excepted.map((e) => [e.exceptionId, e.rule, e.subject]), [["log-retention-under-a-year", "CKV_AWS_338", "/aws/vpc/gitops-staging/flow-logs"]]);
        await assertHasResourceViolation(policy, args({ retentionInDays: 14, kmsKeyId: KEY }, { exceptions: [] }), "keeps its logs 14 days, less than 365 (CKV_AWS_338)");
        await assertNoResourceViolations(policy, args({ retentionInDays: 14, kmsKeyId: KEY }, { exceptions: [], minimumRetentionDays: 14 }));
    });

    it("unknown values are skipped; other types are not its business", async () => {
        await assertSkipsUnknown(policy, args({ retentionInDays: 14, kmsKeyId: UNKNOWN }));
        await assertNotApplicable(policy, createResourceValidationArgs(policy, "aws:cloudwatch/metricAlarm:MetricAlarm", {}));
    });
});
