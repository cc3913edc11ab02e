/**
 * The WAFv2 web ACL public ALB Ingresses attach (alb.ingress.kubernetes.io/wafv2-acl-arn): AWS managed common
 * rule set and known-bad-inputs, and a per-IP rate limit. The common set's 8 KB body limit only counts (does not
 * block): ArgoCD's API and GitHub webhook deliveries carry larger bodies.
 *
 * Every request the ACL sees is logged to the CloudWatch log group `aws-waf-logs-<prefix>` (the name prefix WAF
 * requires), encrypted with the environment's key and kept for the retention setting; the Authorization and Cookie
 * headers are redacted (ArgoCD and Grafana sessions). The group has no resource policy of its own (CloudWatch Logs
 * resource policies are account-wide): the log delivery policy that lets only this account's log delivery write to
 * it is infra's, applied by an administrator (infra/account-policies.ts); without it, WAF would add an account-wide
 * policy itself.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { wafLogGroupName } from "../../lib/alb";

export interface WebAclArgs {
    namePrefix: pulumi.Input<string>;
    /** Requests per IP in 5 minutes. */
    rateLimit: number;
    logRetentionDays: number;
    /** KMS key of the log group (infra's logsAndSecretsKeyArn). */
    logsKeyArn: pulumi.Input<string>;
}

/** Headers WAF logs would otherwise record in clear: session tokens and cookies. */
export const REDACTED_HEADERS = ["authorization", "cookie"];

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

export class WebAcl extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: WebAclArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:WebAcl", name, {}, opts);
        const managed = (ruleName: string, priority: number, overrides: string[] = []) => ({
            name: ruleName,
            priority,
            overrideAction: { none: {} },
            statement: {
                managedRuleGroupStatement: {
                    vendorName: "AWS",
                    name: ruleName,
                    ruleActionOverrides: overrides.length ? overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })) : undefined,
                },
            },
            visibilityConfig: visibility(ruleName),
        });
        const acl = new aws.wafv2.WebAcl(
            name,
            {
                name: pulumi.interpolate`${args.namePrefix}-public`,
                description: "Public ALB Ingresses: AWS managed rules and a per-IP rate limit",
                scope: "REGIONAL",
                defaultAction: { allow: {} },
                rules: [
                    managed("AWSManagedRulesCommonRuleSet", 10, ["SizeRestrictions_BODY"]),
                    managed("AWSManagedRulesKnownBadInputsRuleSet", 20),
                    {
                        name: "RateLimitPerIp",
                        priority: 30,
                        action: { block: {} },
                        statement: { rateBasedStatement: { limit: args.rateLimit, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
                        visibilityConfig: visibility("RateLimitPerIp"),
                    },
                ],
                visibilityConfig: pulumi.output(args.namePrefix).apply((p) => visibility(`${p}-public`)),
            },
            { parent: this },
        );
        this.arn = acl.arn;

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: pulumi.output(args.namePrefix).apply(wafLogGroupName), retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn },
            { parent: this },
        );
        // WAF delivers the log through the log delivery service, which infra's administrator-owned account policy
        // allows for this group (infra/account-policies.ts): CI may not write account-wide resource policies.
        new aws.wafv2.WebAclLoggingConfiguration(
            name,
            {
                resourceArn: acl.arn,
                logDestinationConfigs: [logGroup.arn],
                redactedFields: REDACTED_HEADERS.map((header) => ({ singleHeader: { name: header } })),
            },
            { parent: this },
        );
        this.registerOutputs({ arn: this.arn });
    }
}
