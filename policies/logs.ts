/**
 * CloudWatch Logs: every log group has a retention (CKV_AWS_66; without one CloudWatch keeps, and bills, logs
 * forever) of at least the environment's minimum, and is encrypted with a customer-managed KMS key (CKV_AWS_158),
 * so who may read the control-plane audit log or the WAF's request log is a key policy decision. The minimum is a
 * setting of each environment's config (policies/config/<env>.json: the layers' default retentions, 14 days in
 * staging and 90 in production); Checkov's year (CKV_AWS_338) is not adopted (rules.ts says why).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeResource, isNonEmptyString, validateTypes } from "./common";

export interface LogGroupsConfig {
    minimumRetentionDays: number;
}

/** The settings that set the retention of the layers' log groups (what a Fix names). */
const RETENTION_SETTINGS = "infra:flowLogRetentionDays, infra:clusterLogRetentionDays, platform:wafLogRetentionDays";

export const cloudwatchLogGroupsHardened: ResourceValidationPolicy = {
    name: "cloudwatch-log-groups-hardened",
    description:
        "CloudWatch log groups keep their logs for a set retention (CKV_AWS_66) of at least the environment's minimumRetentionDays, and are encrypted with a " +
        "customer-managed KMS key (CKV_AWS_158): logs neither pile up cost forever, nor go before an incident can be investigated, nor are readable by anyone the key policy does not name.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumRetentionDays: {
                type: "integer",
                minimum: 1,
                description: "The shortest retention a log group of the environment may have, in days (policies/config/<env>.json: the layers' default retentions).",
            },
        },
        required: ["minimumRetentionDays"],
    },
    validateResource: validateTypes(["aws:cloudwatch/logGroup:LogGroup"], (props, args, report, checks) => {
        const config = args.getConfig<LogGroupsConfig>();
        const subject = describeResource(args.type, args.name);
        checks.run(() => {
            const days = props.retentionInDays;
            if (days === undefined || days === null || days === 0) {
                report(`${subject}: retentionInDays is not set, so CloudWatch keeps (and bills) its logs forever (CKV_AWS_66). Fix: set retentionInDays (the layers' settings: 14 in staging, 90 in production).`);
            } else if (days < config.minimumRetentionDays) {
                report(
                    `${subject}: keeps its logs ${days} days, less than the environment's minimum of ${config.minimumRetentionDays} (minimumRetentionDays), so they may be gone before an incident is investigated. ` +
                        `Fix: set retentionInDays to ${config.minimumRetentionDays} or more (${RETENTION_SETTINGS}), or lower minimumRetentionDays in policies/config/<env>.json.`,
                );
            }
        });
        checks.run(() => {
            if (!isNonEmptyString(props.kmsKeyId)) {
                report(`${subject}: kmsKeyId is not set, so its logs are encrypted with a key AWS owns and anyone with logs:GetLogEvents reads them (CKV_AWS_158). Fix: set kmsKeyId to the environment's key (infra output logsAndSecretsKeyArn).`);
            }
        });
    }),
};

export const LOG_POLICIES = [cloudwatchLogGroupsHardened];
