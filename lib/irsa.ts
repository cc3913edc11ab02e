/**
 * IAM roles for Kubernetes service accounts (IRSA). The trust policy pins exactly one service account
 * (`system:serviceaccount:<namespace>:<name>`) and the STS audience with StringEquals: no wildcard, so no other
 * pod of the cluster can assume the role.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RolePlacement } from "./iam-role";

export interface ServiceAccountRef {
    namespace: string;
    name: string;
}

/**
 * What every IRSA role of a cluster shares: the cluster's OIDC provider, and infra's role path and permissions
 * boundary (the CI deploy role creates no role without them).
 */
export interface IrsaCluster extends RolePlacement {
    oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL, with or without `https://`. */
    oidcProviderUrl: pulumi.Input<string>;
}

export interface IrsaRoleArgs extends IrsaCluster {
    serviceAccount: ServiceAccountRef;
    /** AWS managed (or account) policies to attach. */
    managedPolicyArns?: pulumi.Input<string>[];
    /** An inline policy document (JSON) with the least permissions the workload documents. */
    policy?: pulumi.Input<string>;
    description?: string;
}

/** The trust policy document of an IRSA role, as JSON. */
export function irsaTrustPolicy(oidcProviderArn: pulumi.Input<string>, oidcProviderUrl: pulumi.Input<string>, sa: ServiceAccountRef): pulumi.Output<string> {
    return pulumi.all([oidcProviderArn, oidcProviderUrl]).apply(([arn, url]) => {
        const issuer = url.replace(/^https:\/\//, "");
        return JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Federated: arn },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            [`${issuer}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`,
                            [`${issuer}:aud`]: "sts.amazonaws.com",
                        },
                    },
                },
            ],
        });
    });
}

/** An IAM role that exactly one Kubernetes service account can assume, with its permissions beside it. */
export class IrsaRole extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: IrsaRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:iam:IrsaRole", name, {}, opts);
        const sa = args.serviceAccount;
        this.role = new aws.iam.Role(
            name,
            {
                description: args.description ?? `IRSA role for ${sa.namespace}/${sa.name}`,
                path: args.path,
                permissionsBoundary: args.permissionsBoundary,
                assumeRolePolicy: irsaTrustPolicy(args.oidcProviderArn, args.oidcProviderUrl, sa),
                maxSessionDuration: 3600,
            },
            { parent: this },
        );
        (args.managedPolicyArns ?? []).forEach((policyArn, i) => {
            new aws.iam.RolePolicyAttachment(`${name}-managed-${i}`, { role: this.role.name, policyArn }, { parent: this });
        });
        if (args.policy !== undefined) {
            new aws.iam.RolePolicy(`${name}-inline`, { role: this.role.id, policy: args.policy }, { parent: this });
        }
        this.arn = this.role.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
