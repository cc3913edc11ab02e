/**
 * CloudWatch Logs: every log group has a retention (CKV_AWS_66; without one CloudWatch keeps, and bills, logs
 * forever) and is encrypted with a customer-managed KMS key (CKV_AWS_158), so who may read the control-plane
 * audit log or the WAF's request log is a key policy decision. Checkov's year of retention (CKV_AWS_338) is a
 * documented exception: retention is a per-environment setting.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeResource, isNonEmptyString, validateTypes } from "./common";
import { exceptionsSetting, ExceptionsConfig, findings } from "./exceptions";

export interface LogGroupsConfig extends ExceptionsConfig {
    minimumRetentionDays: number;
}

export const cloudwatchLogGroupsHardened: ResourceValidationPolicy = {
    name: "cloudwatch-log-groups-hardened",
    description:
        "CloudWatch log groups keep their logs for a set retention (CKV_AWS_66), of at least minimumRetentionDays (CKV_AWS_338: a year), and are encrypted with a " +
        "customer-managed KMS key (CKV_AWS_158): logs neither pile up cost forever nor are readable by anyone the key policy does not name.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumRetentionDays: { type: "integer", minimum: 1, default: 365, description: "The shortest retention a log group may have (CKV_AWS_338: 365); shorter ones need an exception." },
            exceptions: exceptionsSetting("cloudwatch-log-groups-hardened"),
        },
    },
    validateResource: validateTypes(["aws:cloudwatch/logGroup:LogGroup"], (props, args, report, checks) => {
        const config = args.getConfig<LogGroupsConfig>();
        const finding = findings(args, report, config.exceptions);
        const subject = describeResource(args.type, args.name);
        const group = () => String(props.name ?? args.name);
        checks.run(() => {
            const days = props.retentionInDays;
            if (days === undefined || days === null || days === 0) {
                report(`${subject}: retentionInDays is not set, so CloudWatch keeps (and bills) its logs forever (CKV_AWS_66). Fix: set retentionInDays (the layers' settings: 14 in staging, 90 in production).`);
            } else if (days < config.minimumRetentionDays) {
                finding("CKV_AWS_338", group(), `${subject}: keeps its logs ${days} days, less than ${config.minimumRetentionDays} (CKV_AWS_338). Fix: set retentionInDays to ${config.minimumRetentionDays} or more.`);
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
