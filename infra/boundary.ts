/**
 * The permissions boundary of every role the layers create (`<namePrefix>-workload-boundary`). A role's effective
 * permissions are its policies intersected with this: the services the cluster, its nodes and its add-ons call,
 * and no IAM writes. The CI deploy role may only create roles that carry it, so no role it creates (say, for a pod,
 * with AdministratorAccess inline) can manage IAM, the organization or the account, nor touch the boundary or
 * CI's own identity. CI may not change this policy either: an administrator applies changes to it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { boundaryPolicyName, identityArns } from "./identity";

/**
 * Services the roles of the three layers call (checked 2026-11 against their AWS managed policies and the
 * add-ons' documented policies): EKS cluster role (ec2, elasticloadbalancing, autoscaling, kms), nodes (ec2, eks,
 * eks-auth, ecr pulls, SSM Session Manager), VPC CNI and EBS CSI (ec2), CloudWatch agent (cloudwatch, logs, xray,
 * ssm), flow logs (logs), load balancer controller (elasticloadbalancing, ec2, acm, cognito-idp, wafv2,
 * waf-regional, shield), External Secrets (secretsmanager), cluster autoscaler (autoscaling, ec2, eks).
 * A workload that needs another service needs an administrator to add it here.
 */
export const WORKLOAD_BOUNDARY_SERVICES = [
    "acm",
    "autoscaling",
    "cloudwatch",
    "cognito-idp",
    "ec2",
    "ec2messages",
    "ecr",
    "eks",
    "eks-auth",
    "elasticloadbalancing",
    "kms",
    "logs",
    "secretsmanager",
    "shield",
    "ssm",
    "ssmmessages",
    "waf-regional",
    "wafv2",
    "xray",
];

/** IAM actions roles use: service-linked roles (EKS, ELB create theirs on first use), server certificates (load balancer controller). */
export const WORKLOAD_IAM_ACTIONS = ["iam:CreateServiceLinkedRole", "iam:GetServerCertificate", "iam:ListServerCertificates"];

/** Every IAM write but creating service-linked roles, whose policies AWS defines. */
const IAM_WRITES = [
    "iam:Add*",
    "iam:Attach*",
    "iam:Change*",
    "iam:CreateAccessKey",
    "iam:CreateGroup",
    "iam:CreateInstanceProfile",
    "iam:CreateLoginProfile",
    "iam:CreateOpenIDConnectProvider",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:CreateSAMLProvider",
    "iam:CreateServiceSpecificCredential",
    "iam:CreateUser",
    "iam:CreateVirtualMFADevice",
    "iam:Deactivate*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Enable*",
    "iam:PassRole",
    "iam:Put*",
    "iam:Remove*",
    "iam:Reset*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
];

export function workloadBoundaryPolicy(accountId: string, namePrefix: string): object {
    const arns = identityArns(accountId, namePrefix);
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "WorkloadServices", Effect: "Allow", Action: WORKLOAD_BOUNDARY_SERVICES.map((s) => `${s}:*`), Resource: "*" },
            { Sid: "WorkloadIam", Effect: "Allow", Action: WORKLOAD_IAM_ACTIONS, Resource: "*" },
            { Sid: "NoIamWrites", Effect: "Deny", Action: IAM_WRITES, Resource: "*" },
            { Sid: "NoOrganizationOrAccountChanges", Effect: "Deny", Action: ["organizations:*", "account:*"], Resource: "*" },
            { Sid: "NoChangesToBoundaryOrCi", Effect: "Deny", Action: "iam:*", Resource: [arns.boundary, arns.ciRoles, arns.githubProvider] },
        ],
    };
}

export interface WorkloadBoundaryArgs {
    namePrefix: string;
}

export class WorkloadBoundary extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: WorkloadBoundaryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:WorkloadBoundary", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        // Protected like the CI identity: the deploy role may not delete it, so a CI destroy keeps it.
        const policy = new aws.iam.Policy(
            name,
            {
                name: boundaryPolicyName(args.namePrefix),
                description: `Permissions boundary of every role of ${args.namePrefix}: workload services, no IAM writes`,
                policy: account.apply((accountId) => JSON.stringify(workloadBoundaryPolicy(accountId, args.namePrefix))),
            },
            { parent: this, protect: true },
        );
        this.arn = policy.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
