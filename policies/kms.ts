/**
 * KMS keys: customer-managed keys rotate their key material yearly (CKV_AWS_7), are enabled (CKV_AWS_227), and
 * state their key policy (CKV2_AWS_64) instead of relying on whatever default the API applies. Who the policy
 * lets in is resource-policies-not-public's business (CKV_AWS_33).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asBool, describeResource, isNonEmptyString, validateTypes } from "./common";

const KEY = "aws:kms/key:Key";

export const kmsKeysHardened: ResourceValidationPolicy = {
    name: "kms-keys-hardened",
    description:
        "Customer-managed KMS keys rotate yearly (symmetric encryption keys; CKV_AWS_7), are enabled (CKV_AWS_227) and state their key policy (CKV2_AWS_64): " +
        "old key material stops protecting new data, a disabled key does not silently break its logs and secrets, and the policy is reviewed with the code.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([KEY], (props, args, report, checks) => {
        const subject = describeResource(args.type, args.name);
        checks.run(() => {
            // Only symmetric encryption keys can rotate automatically (HMAC and asymmetric keys cannot).
            const spec = props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
            const usage = props.keyUsage ?? "ENCRYPT_DECRYPT";
            if (spec !== "SYMMETRIC_DEFAULT" || usage !== "ENCRYPT_DECRYPT") return;
            if (asBool(props.enableKeyRotation) !== true) {
                const actual = props.enableKeyRotation === undefined ? "not set (off)" : JSON.stringify(props.enableKeyRotation);
                report(`${subject}: enableKeyRotation is ${actual}, so the key material never changes (CKV_AWS_7). Fix: set enableKeyRotation to true.`);
            }
        });
        checks.run(() => {
            if (asBool(props.isEnabled) === false) {
                report(`${subject}: isEnabled is false: every log group and secret it encrypts becomes unreadable (CKV_AWS_227). Fix: set isEnabled to true, or delete the key with what it encrypts.`);
            }
        });
        checks.run(() => {
            if (!isNonEmptyString(props.policy)) {
                report(`${subject}: has no key policy of its own, so KMS applies its default (CKV2_AWS_64). Fix: set policy, at least the account-administers statement (arn:aws:iam::<account>:root, kms:*).`);
            }
        });
    }),
};

export const KMS_POLICIES = [kmsKeysHardened];
