/**
 * The S3 bucket of the ALB access logs: private (public access blocked, bucket-owner objects), SSE-S3 encrypted
 * (the only encryption ALB log delivery supports), TLS-only, writable by Elastic Load Balancing log delivery
 * under `alb/AWSLogs/<account>/`. Logs move to Intelligent-Tiering at once and expire after the retention.
 * Versioned: a log deleted or overwritten before its time stays recoverable for NONCURRENT_LOG_DAYS.
 * Production keeps the bucket on `pulumi destroy` (protect) and never deletes it while it holds logs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ALB_ACCESS_LOGS_PREFIX } from "../../lib/alb";

/** Days a deleted or overwritten log version is kept. */
export const NONCURRENT_LOG_DAYS = 30;

export interface AlbAccessLogsArgs {
    namePrefix: pulumi.Input<string>;
    accountId: pulumi.Input<string>;
    region: string;
    retentionDays: number;
    protect: boolean;
}

export class AlbAccessLogs extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;

    constructor(name: string, args: AlbAccessLogsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:AlbAccessLogs", name, {}, opts);
        const bucket = new aws.s3.Bucket(
            name,
            // At most 63 characters: a 20-character project, "production", the account and the longest region names fit.
            { bucket: pulumi.interpolate`${args.namePrefix}-alb-${args.accountId}-${args.region}`, forceDestroy: !args.protect },
            { parent: this, protect: args.protect },
        );
        new aws.s3.BucketPublicAccessBlock(
            name,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            { parent: this },
        );
        new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
        new aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
            { parent: this },
        );
        const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, { parent: this });
        new aws.s3.BucketLifecycleConfiguration(
            name,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "tier-then-expire",
                        status: "Enabled",
                        filter: { prefix: `${ALB_ACCESS_LOGS_PREFIX}/` },
                        transitions: [{ days: 0, storageClass: "INTELLIGENT_TIERING" }],
                        expiration: { days: args.retentionDays },
                        noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_LOG_DAYS },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                    // Expiring a current version leaves a delete marker; once its versions are gone, remove it too.
                    { id: "remove-expired-delete-markers", status: "Enabled", filter: { prefix: `${ALB_ACCESS_LOGS_PREFIX}/` }, expiration: { expiredObjectDeleteMarker: true } },
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );

        // Regions older than August 2022 deliver as the regional ELB account; newer ones as the log-delivery
        // service principal. Both are allowed, on this account's prefix only.
        const elbAccount = aws.elb.getServiceAccountOutput({}, { parent: this });
        const logObjects = pulumi.interpolate`${bucket.arn}/${ALB_ACCESS_LOGS_PREFIX}/AWSLogs/${args.accountId}/*`;
        new aws.s3.BucketPolicy(
            name,
            {
                bucket: bucket.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Sid: "ElbLogDeliveryAccount", Effect: "Allow", Principal: { AWS: elbAccount.arn }, Action: "s3:PutObject", Resource: logObjects },
                        {
                            Sid: "ElbLogDeliveryService",
                            Effect: "Allow",
                            Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                            Action: "s3:PutObject",
                            Resource: logObjects,
                        },
                        {
                            Sid: "TlsOnly",
                            Effect: "Deny",
                            Principal: "*",
                            Action: "s3:*",
                            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
                            Condition: { Bool: { "aws:SecureTransport": "false" } },
                        },
                    ],
                }),
            },
            { parent: this },
        );
        this.bucketName = bucket.bucket;
        this.registerOutputs({ bucketName: this.bucketName });
    }
}
