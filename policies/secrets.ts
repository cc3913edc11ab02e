/**
 * Secrets Manager: every secret is encrypted with a customer-managed KMS key (CKV_AWS_149), and rotates
 * automatically (CKV2_AWS_57) at least every 90 days (CKV_AWS_304) where its consumer can take a new value
 * without a person. A secret whose consumer cannot (a database that fixes its password at initialisation, a
 * webhook whose other end keeps a copy) is a documented exception with its manual procedure. A stack policy:
 * the rotation is a resource of its own.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { checking, describeResource, isNonEmptyString, resourcesByReference } from "./common";
import { exceptionsSetting, ExceptionsConfig, findings } from "./exceptions";

const SECRET = "aws:secretsmanager/secret:Secret";
const ROTATION = "aws:secretsmanager/secretRotation:SecretRotation";
const MAXIMUM_ROTATION_DAYS = 90;
/**
 * An AWS managed key, named by its alias or the alias's ARN (`alias/aws/...` is reserved for them). A key id or key
 * ARN cannot be told apart from a customer-managed key's without the KMS API, so those pass (the platform names its
 * key by ARN: infra output logsAndSecretsKeyArn).
 */
const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\//;

export const secretsManagerHardened: StackValidationPolicy = {
    name: "secrets-manager-hardened",
    description:
        "Secrets Manager secrets are encrypted with a customer-managed KMS key (CKV_AWS_149) and rotate automatically (CKV2_AWS_57), at least every 90 days " +
        "(CKV_AWS_304): a key policy decides who can decrypt them, and a leaked value stops working. Secrets whose consumers cannot take a rotated value are documented exceptions.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { exceptions: exceptionsSetting("secrets-manager-hardened") } },
    validateStack: (args, report) => {
        const secrets = args.resources.filter((r) => r.type === SECRET);
        if (secrets.length === 0) args.notApplicable("no Secrets Manager secrets");
        const finding = findings(args, report, args.getConfig<ExceptionsConfig>().exceptions);
        checking((checks) => {
            // A rotation whose secretId is not known yet (preview) is not matched; the others still are.
            const { byKey: rotations, unknown } = resourcesByReference(args.resources, ROTATION, (p) => p.secretId, checks);
            for (const secret of secrets) {
                const subject = describeResource(secret.type, secret.name);
                checks.run(() => {
                    const key = secret.props.kmsKeyId;
                    if (!isNonEmptyString(key) || AWS_MANAGED_ALIAS.test(key)) {
                        report(
                            `${subject}: kmsKeyId is ${key === undefined ? "not set" : `${JSON.stringify(key)}, an AWS managed key's alias`}, so the AWS managed key encrypts it and any principal allowed by IAM can decrypt it (CKV_AWS_149). ` +
                                "Fix: set kmsKeyId to the environment's key (infra output logsAndSecretsKeyArn).",
                            secret.urn,
                        );
                    }
                });
                checks.run(() => {
                    const ids = [secret.props.id, secret.props.arn, secret.props.name].filter(isNonEmptyString);
                    const rotation = ids.map((id) => rotations.get(id)).find((r) => r !== undefined);
                    const name = String(secret.props.name ?? secret.name);
                    if (rotation === undefined) {
                        if (unknown) return;
                        finding(
                            "CKV2_AWS_57",
                            name,
                            `${subject}: secret ${name} never rotates (CKV2_AWS_57). Fix: add an aws.secretsmanager.SecretRotation with a rotation function its consumer follows, or document an exception in policies/exceptions.ts with the manual procedure.`,
                            secret.urn,
                        );
                        return;
                    }
                    const days = rotation.props.rotationRules?.automaticallyAfterDays;
                    if (typeof days === "number" && days > MAXIMUM_ROTATION_DAYS) {
                        report(`${subject}: rotates every ${days} days, more than ${MAXIMUM_ROTATION_DAYS} (CKV_AWS_304). Fix: set rotationRules.automaticallyAfterDays of ${rotation.name} to ${MAXIMUM_ROTATION_DAYS} or less.`, secret.urn);
                    }
                });
            }
        });
    },
};

export const SECRET_POLICIES = [secretsManagerHardened];
