import * as assert from "assert";
import { ALL_POLICIES } from "../../policies/all";
import { cloudwatchLogGroupsHardened as policy } from "../../policies/logs";
import { loadPackConfig, runPack } from "../../policies/offline";
import { PackConfigError, resolvePackConfig } from "../../policies/pack-config";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, REQUIRED_SETTINGS, UNKNOWN } from "./util";

const GROUP = "aws:cloudwatch/logGroup:LogGroup";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd";
const STAGING = { minimumRetentionDays: 14 };
const args = (props: Props, config: Record<string, unknown> = STAGING) => createResourceValidationArgs(policy, GROUP, { name: "/aws/vpc/gitops-staging/flow-logs", ...props }, { name: "flow-logs", config });

describe("policy cloudwatch-log-groups-hardened", () => {
    it("passes a group kept at least the environment's minimum, encrypted with a customer-managed key", async () => {
        await assertNoResourceViolations(policy, args({ retentionInDays: 14, kmsKeyId: KEY }));
        await assertNoResourceViolations(policy, args({ retentionInDays: 90, kmsKeyId: KEY }, { minimumRetentionDays: 90 }));
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

    it("reports a retention under the environment's minimum, with no exception to hide it (Checkov's year, CKV_AWS_338, is not adopted)", async () => {
        const [v] = await assertViolationCount(policy, args({ retentionInDays: 1, kmsKeyId: KEY }, { minimumRetentionDays: 90 }), 1);
        assert.strictEqual(
            v.message,
            'aws:cloudwatch/logGroup:LogGroup "flow-logs": keeps its logs 1 days, less than the environment\'s minimum of 90 (minimumRetentionDays), so they may be gone before an incident is investigated. ' +
                "Fix: set retentionInDays to 90 or more (infra:flowLogRetentionDays, infra:clusterLogRetentionDays, platform:wafLogRetentionDays), or lower minimumRetentionDays in policies/config/<env>.json.",
        );
        await assertHasResourceViolation(policy, args({ retentionInDays: 7, kmsKeyId: KEY }), "keeps its logs 7 days, less than the environment's minimum of 14");
        assert.strictEqual(policy.configSchema?.properties.exceptions, undefined, "no exception setting: the minimum is the setting");
    });

    it("each environment's config holds its minimum: a production log group kept 14 days fails there and passes in staging", async () => {
        const group = { type: GROUP, name: "short", custom: true, inputs: { name: "/aws/eks/gitops/cluster", retentionInDays: 14, kmsKeyId: KEY } };
        const verdict = async (env: string) => (await runPack([group], loadPackConfig(env))).mandatory.filter((m) => m.policyName === policy.name).map((m) => m.message);
        assert.deepStrictEqual(await verdict("staging"), []);
        assert.match((await verdict("production"))[0], /keeps its logs 14 days, less than the environment's minimum of 90/);
    });

    it("the minimum is required: a config without it is rejected, naming the key", () => {
        const { ["cloudwatch-log-groups-hardened"]: _, ...rest } = REQUIRED_SETTINGS;
        assert.throws(
            () => resolvePackConfig(ALL_POLICIES, rest),
            (e: Error) => e instanceof PackConfigError && /cloudwatch-log-groups-hardened\.minimumRetentionDays = \(not set\): allowed a whole number of at least 1 \(required\)/.test(e.message),
        );
        assert.throws(() => resolvePackConfig(ALL_POLICIES, { ...REQUIRED_SETTINGS, "cloudwatch-log-groups-hardened": { minimumRetentionDays: 0 } }), /minimumRetentionDays = 0: allowed a whole number of at least 1\./);
    });

    it("unknown values are skipped; other types are not its business", async () => {
        await assertSkipsUnknown(policy, args({ retentionInDays: 14, kmsKeyId: UNKNOWN }));
        await assertSkipsUnknown(policy, args({ retentionInDays: UNKNOWN, kmsKeyId: KEY }));
        await assertNotApplicable(policy, createResourceValidationArgs(policy, "aws:cloudwatch/metricAlarm:MetricAlarm", {}, { config: STAGING }));
    });
});
