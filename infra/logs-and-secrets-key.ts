/**
 * The environment's customer-managed KMS key for what it keeps at rest in CloudWatch Logs (control-plane, flow,
 * Container Insights and WAF logs) and Secrets Manager (every generated secret). One key per environment: the
 * key costs $1 a month, its use only API calls. It lives in infra, the first layer, because infra creates the
 * first log groups; platform and apps read its ARN from infra's outputs.
 *
 * Key policy: the account administers the key through IAM (the default key policy, stated); CloudWatch Logs of
 * this region may use it for this environment's log groups only (the encryption context names the log group:
 * `/aws/<kind>/<prefix>/...` and `aws-waf-logs-<prefix>`, so the other environment of a shared account cannot
 * encrypt its groups with it); any principal of the account may use it through Secrets Manager only, as with the
 * AWS managed aws/secretsmanager key, so reading a secret stays governed by secretsmanager:GetSecretValue alone.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { scopeArns } from "./identity";

export interface LogsAndSecretsKeyArgs {
    namePrefix: string;
    region: string;
    accountId: pulumi.Input<string>;
    protect: boolean;
}

/** KMS's default key policy, stated: the account administers and uses the key through IAM policies. */
export function accountAdministersKey(accountId: string) {
    return { Sid: "AccountAdministersTheKey", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" };
}

export function logsAndSecretsKeyPolicy(accountId: string, region: string, namePrefix: string): object {
    const scope = scopeArns({ accountId, region, namePrefix });
    return {
        Version: "2012-10-17",
        Statement: [
            accountAdministersKey(accountId),
            {
                Sid: "CloudWatchLogsOfThisEnvironment",
                Effect: "Allow",
                Principal: { Service: `logs.${region}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": [scope.logGroups, scope.wafLogGroup] } },
            },
            {
                Sid: "SecretsManagerForThisAccount",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
                Resource: "*",
                Condition: { StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
            },
        ],
    };
}

export class LogsAndSecretsKey extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: LogsAndSecretsKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:LogsAndSecretsKey", name, {}, opts);
        const key = new aws.kms.Key(
            name,
            {
                description: `CloudWatch Logs and Secrets Manager of ${args.namePrefix}`,
                enableKeyRotation: true,
                deletionWindowInDays: args.protect ? 30 : 7,
                policy: pulumi.output(args.accountId).apply((account) => JSON.stringify(logsAndSecretsKeyPolicy(account, args.region, args.namePrefix))),
            },
            // Deleting the key makes every log and secret it encrypts unreadable.
            { parent: this, protect: args.protect },
        );
        new aws.kms.Alias(name, { name: `alias/${args.namePrefix}-logs-and-secrets`, targetKeyId: key.keyId }, { parent: this });
        this.arn = key.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
