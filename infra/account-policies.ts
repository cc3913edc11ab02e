/**
 * Account-wide permission policies an administrator applies, never CI: CloudWatch Logs resource policies have no
 * resource-level permissions (`logs:PutResourcePolicy` acts on the whole account and region), so a deploy role
 * allowed to write them could rewrite or delete the other environment's in a shared account. Like the CI identity,
 * these are protected and applied by an administrator's `pulumi up` of infra; CI's roles only read them.
 *
 * - WAF request log delivery: WAF writes the platform's web ACL log to the group `aws-waf-logs-<prefix>` through
 *   the log delivery service, which this policy allows for that group only (the platform creates the group, and the
 *   web ACL, only while a hostname is public; the policy is free and grants nothing else).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { wafLogGroupName } from "../lib/alb";

export interface AccountPoliciesArgs {
    namePrefix: string;
    region: string;
}

export class AccountPolicies extends pulumi.ComponentResource {
    constructor(name: string, args: AccountPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:AccountPolicies", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        new aws.cloudwatch.LogResourcePolicy(
            `${name}-waf-logs`,
            {
                policyName: `${args.namePrefix}-waf-logs`,
                policyDocument: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "WafLogDelivery",
                            Effect: "Allow",
                            Principal: { Service: "delivery.logs.amazonaws.com" },
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: pulumi.interpolate`arn:aws:logs:${args.region}:${account}:log-group:${wafLogGroupName(args.namePrefix)}:*`,
                            Condition: {
                                StringEquals: { "aws:SourceAccount": account },
                                ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:aws:logs:${args.region}:${account}:*` },
                            },
                        },
                    ],
                }),
            },
            { parent: this, protect: true },
        );
        this.registerOutputs({});
    }
}
