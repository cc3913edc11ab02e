import * as assert from "assert";
import { logsAndSecretsKeyPolicy } from "../../infra/logs-and-secrets-key";
import { kmsKeysHardened as policy } from "../../policies/kms";
import { resourcePoliciesNotPublic as publicPolicies } from "../../policies/resource-policies";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";

const KEY = "aws:kms/key:Key";
const ACCOUNT = "123456789012";
/** The environment's key as infra/logs-and-secrets-key.ts creates it. */
const key = (overrides: Props = {}): Props => ({ description: "logs", enableKeyRotation: true, deletionWindowInDays: 7, policy: JSON.stringify(logsAndSecretsKeyPolicy(ACCOUNT, "us-east-1", "gitops-staging")), ...overrides });
const args = (props: Props, p = policy) => createResourceValidationArgs(p, KEY, props, { name: "logs-and-secrets" });

describe("policy kms-keys-hardened", () => {
    it("passes the environment's key as infra creates it", async () => {
        await assertNoResourceViolations(policy, args(key()));
    });

    it("reports a symmetric key that does not rotate (CKV_AWS_7), a disabled key (CKV_AWS_227), a key without a policy of its own (CKV2_AWS_64)", async () => {
        const violations = await assertViolationCount(policy, args(key({ enableKeyRotation: undefined, isEnabled: false, policy: undefined })), 3);
        assert.strictEqual(violations[0].message, 'aws:kms/key:Key "logs-and-secrets": enableKeyRotation is not set (off), so the key material never changes (CKV_AWS_7). Fix: set enableKeyRotation to true.');
        assert.match(violations[1].message, /isEnabled is false: every log group and secret it encrypts becomes unreadable \(CKV_AWS_227\)/);
        assert.match(violations[2].message, /has no key policy of its own, so KMS applies its default \(CKV2_AWS_64\)/);
        await assertHasResourceViolation(policy, args(key({ enableKeyRotation: false })), "enableKeyRotation is false");
    });

    it("asymmetric and HMAC keys cannot rotate automatically: no rotation finding for them", async () => {
        await assertNoResourceViolations(policy, args(key({ enableKeyRotation: false, customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" })));
        await assertNoResourceViolations(policy, args(key({ enableKeyRotation: false, customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC" })));
    });

    it("unknown values are skipped; other types are not its business", async () => {
        await assertSkipsUnknown(policy, args(key({ enableKeyRotation: UNKNOWN })));
        await assertNotApplicable(policy, createResourceValidationArgs(policy, "aws:kms/alias:Alias", {}));
    });

    it("the environment key's policy is not public: * is limited to the account and to Secrets Manager (what resource-policies-not-public checks)", async () => {
        await assertNoResourceViolations(publicPolicies, args(key(), publicPolicies));
    });
});
