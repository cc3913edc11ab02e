/**
 * The WAFv2 web ACL public ALB Ingresses attach (alb.ingress.kubernetes.io/wafv2-acl-arn): AWS managed common
 * rule set and known-bad-inputs, and a per-IP rate limit. The common set's 8 KB body limit only counts (does not
 * block): ArgoCD's API and GitHub webhook deliveries carry larger bodies.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface WebAclArgs {
    namePrefix: pulumi.Input<string>;
    /** Requests per IP in 5 minutes. */
    rateLimit: number;
}

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
        this.registerOutputs({ arn: this.arn });
    }
}
