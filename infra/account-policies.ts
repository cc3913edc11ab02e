/**
 * Account-wide permission policies and settings an administrator applies, never CI: they have no resource-level
 * permissions (`logs:PutResourcePolicy`, `ec2:ModifyDefaultCreditSpecification` act on the whole account and
 * region), so a deploy role allowed to write them could rewrite the other environment's in a shared account. Like
 * the CI identity, these are protected and applied by an administrator's `pulumi up` of infra; CI's roles only read
 * them.
 *
 * - WAF request log delivery: WAF writes the platform's web ACL log to the group `aws-waf-logs-<prefix>` through
 *   the log delivery service, which this policy allows for that group only (the platform creates the group, and the
 *   web ACL, only while a hostname is public; the policy is free and grants nothing else).
 * - The default CPU-credit mode of each burstable family the nodes run, where it differs from AWS's default
 *   (infra/credit-defaults.ts): EKS managed nodes start in it. One per family, account and region: in a shared
 *   account it is the other environment's nodes' mode too (the settings warn when the two ask for different ones).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { wafLogGroupName } from "../lib/alb";
import { CreditDefault } from "./credit-defaults";

export interface AccountPoliciesArgs {
    namePrefix: string;
    region: string;
    /** The account defaults of CPU credits the nodes need (creditDefaults of the node group settings). */
    creditDefaults: CreditDefault[];
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
        for (const { family, cpuCredits } of args.creditDefaults) {
            new aws.ec2.DefaultCreditSpecification(
                `${name}-credits-${family}`,
                { instanceFamily: family, cpuCredits },
                // It was the node groups' (CI's) before: the alias keeps the setting in place instead of resetting it.
                { parent: this, protect: true, aliases: [{ name: `nodes-credits-${family}`, parent: pulumi.createUrn("nodes", "gitops:infra:NodeGroups") }] },
            );
        }
        this.registerOutputs({});
    }
}
