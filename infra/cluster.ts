/**
 * The EKS control plane: secrets encrypted with a rotating KMS key, control-plane logs with a retention,
 * API authentication with access entries, a private endpoint plus a public one limited to known CIDRs, and the
 * OIDC provider for IRSA. No default node group and no self-managed add-ons: both are plain resources in this
 * layer (node-groups.ts, addons.ts) so policies can see them. The cluster's IAM role is ours too, with the
 * layers' role path and permissions boundary (@pulumi/eks would create one without them).
 */
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import { RolePlacement } from "../lib/iam-role";
import { accountAdministersKey } from "./logs-and-secrets-key";

export const CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
/** What EKS needs to manage the cluster (what @pulumi/eks attaches to the role it would create). */
export const CLUSTER_ROLE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";

export interface ClusterArgs {
    name: string;
    version: string;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    publicSubnetIds: pulumi.Input<string[]>;
    serviceCidr: string;
    logTypes: string[];
    logRetentionDays: number;
    /** KMS key of the control-plane log group. */
    logsKeyArn: pulumi.Input<string>;
    endpointPublicAccessCidrs: string[];
    adminPrincipalArns: string[];
    protect: boolean;
    roles: RolePlacement;
    /** The standard tags: EKS creates the cluster security group without them, so they are added here. */
    tags: Record<string, string>;
}

export class Cluster extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly oidcProviderArn: pulumi.Output<string>;
    readonly oidcProviderUrl: pulumi.Output<string>;
    readonly clusterSecurityGroupId: pulumi.Output<string>;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:Cluster", name, {}, opts);

        const key = new aws.kms.Key(
            `${name}-secrets`,
            {
                description: `Envelope encryption of Kubernetes secrets in ${args.name}`,
                enableKeyRotation: true,
                deletionWindowInDays: args.protect ? 30 : 7,
                // The default key policy, stated (EKS uses the key through grants its creator makes).
                policy: aws.getCallerIdentityOutput({}, { parent: this }).accountId.apply((account) => JSON.stringify({ Version: "2012-10-17", Statement: [accountAdministersKey(account)] })),
            },
            { parent: this, protect: args.protect },
        );
        new aws.kms.Alias(`${name}-secrets`, { name: `alias/${args.name}-eks-secrets`, targetKeyId: key.keyId }, { parent: this });

        // EKS writes to this exact group; creating it first gives it a retention (EKS would keep logs forever).
        const controlPlaneLogs = new aws.cloudwatch.LogGroup(
            `${name}-control-plane`,
            { name: `/aws/eks/${args.name}/cluster`, retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn },
            { parent: this },
        );

        const serviceRole = new aws.iam.Role(
            `${name}-service`,
            {
                ...args.roles,
                description: `EKS manages the cluster ${args.name} with this role`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const serviceRolePolicy = new aws.iam.RolePolicyAttachment(`${name}-service`, { role: serviceRole.name, policyArn: CLUSTER_ROLE_POLICY_ARN }, { parent: this });

        const publicEndpoint = args.endpointPublicAccessCidrs.length > 0;
        const cluster = new eks.Cluster(
            name,
            {
                name: args.name,
                version: args.version,
                vpcId: args.vpcId,
                privateSubnetIds: args.privateSubnetIds,
                publicSubnetIds: args.publicSubnetIds,
                kubernetesServiceIpAddressRange: args.serviceCidr,
                serviceRole,
                skipDefaultNodeGroup: true,
                // Node groups have their own role (node-groups.ts): @pulumi/eks creates no instance role.
                createInstanceRole: false,
                skipDefaultSecurityGroups: true,
                // No effect without @pulumi/eks node groups (our launch template sets no public IP); kept as defence
                // in depth and for the policy no-public-ip-on-nodes, which checks it on the component.
                nodeAssociatePublicIpAddress: false,
                // vpc-cni, kube-proxy and CoreDNS are EKS managed add-ons with pinned versions (addons.ts).
                bootstrapSelfManagedAddons: false,
                useDefaultVpcCni: true,
                corednsAddonOptions: { enabled: false },
                kubeProxyAddonOptions: { enabled: false },
                authenticationMode: "API",
                endpointPrivateAccess: true,
                endpointPublicAccess: publicEndpoint,
                publicAccessCidrs: publicEndpoint ? args.endpointPublicAccessCidrs : undefined,
                encryptionConfigKeyArn: key.arn,
                enabledClusterLogTypes: args.logTypes,
                createOidcProvider: true,
                deletionProtection: args.protect,
            },
            // The policy is attached before EKS uses the role (and detached only after the cluster is gone).
            { parent: this, dependsOn: [controlPlaneLogs, serviceRolePolicy], protect: args.protect },
        );

        this.name = cluster.eksCluster.name;
        this.endpoint = cluster.eksCluster.endpoint;
        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        this.oidcProviderArn = cluster.oidcProviderArn;
        this.oidcProviderUrl = cluster.oidcProviderUrl;
        this.clusterSecurityGroupId = cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
        // EKS creates the cluster security group (nodes use it) with its own tags only; without Environment the
        // other environment's IAM guards could not tell it is ours.
        for (const [key, value] of Object.entries(args.tags)) {
            new aws.ec2.Tag(`${name}-security-group-${key}`, { resourceId: this.clusterSecurityGroupId, key, value }, { parent: this });
        }

        args.adminPrincipalArns.forEach((principalArn, i) => {
            grantClusterAdmin(`${name}-admin-${i}`, this.name, principalArn, this);
        });

        this.registerOutputs({ name: this.name, endpoint: this.endpoint, oidcProviderArn: this.oidcProviderArn });
    }
}

/** An access entry with the cluster-admin access policy, scoped to the whole cluster. */
export function grantClusterAdmin(name: string, clusterName: pulumi.Input<string>, principalArn: pulumi.Input<string>, parent: pulumi.Resource): void {
    const entry = new aws.eks.AccessEntry(name, { clusterName, principalArn, type: "STANDARD" }, { parent });
    new aws.eks.AccessPolicyAssociation(
        name,
        { clusterName, principalArn: entry.principalArn, policyArn: CLUSTER_ADMIN_POLICY_ARN, accessScope: { type: "cluster" } },
        { parent },
    );
}
