/**
 * infra: network and cluster. VPC, EKS, node groups, managed add-ons, ECR, the GitHub Actions identity, and the
 * permissions boundary every role of the layers carries. Exports the contract in contract.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PROMOTES_FROM, promotesTo, resolveEnvironment } from "../lib/environment";
import { RolePlacement, rolePath } from "../lib/iam-role";
import { reportWarnings } from "../lib/settings";
import { settingsFileSource } from "../lib/settings-file";
import { RESERVED_TAGS, standardTags } from "../lib/tags";
import { AccountPolicies } from "./account-policies";
import { creditDefaults } from "./credit-defaults";
import { NetworkAddons, NodeAddons } from "./addons";
import { WorkloadBoundary } from "./boundary";
import { Cluster } from "./cluster";
import { afterVersionCheck } from "./deployed-version";
import { InfraOutputs } from "./contract";
import { Repositories } from "./ecr";
import { GithubCi } from "./github-ci";
import { LogsAndSecretsKey } from "./logs-and-secrets-key";
import { Network } from "./network";
import { NodeGroups } from "./node-groups";
import { loadInfraSettings } from "./settings";

const stack = resolveEnvironment(pulumi.getStack());
const settings = loadInfraSettings(stack, { peer: peerSettings(PROMOTES_FROM[stack] ?? promotesTo(stack)) });
reportWarnings(settings.warnings);
const { namePrefix: prefix, environment } = settings;

// Every AWS resource goes through this provider (children inherit it), so every taggable one gets the tags. What
// AWS services and controllers create at runtime (nodes, volumes, ENIs, Auto Scaling groups, the cluster security
// group) gets them too (node-groups.ts, addons.ts, cluster.ts): the Environment tag is what the IAM policies'
// environment guards read. The provider's region waits for the check of infra:kubernetesVersion against the running
// cluster: a refused change registers nothing.
const tags = standardTags(environment, settings.project, settings.tags);
const region = afterVersionCheck(settings.kubernetesVersion, settings.region as aws.Region);
const provider = new aws.Provider("aws", { region, defaultTags: { tags } });
const opts = { providers: { aws: provider } };

// Every role of the three layers goes under this path with this boundary: the only roles CI may create or pass.
const boundary = new WorkloadBoundary("workload-boundary", { namePrefix: prefix, environment, region: settings.region }, opts);
const roles: RolePlacement = { path: rolePath(prefix), permissionsBoundary: boundary.arn };

// Every log group and generated secret of the environment is encrypted with this key (platform and apps read it).
const accountId = aws.getCallerIdentityOutput({}, { provider }).accountId;
const logsAndSecretsKey = new LogsAndSecretsKey("logs-and-secrets", { namePrefix: prefix, region: settings.region, accountId, protect: settings.protect }, opts);

const network = new Network(
    "network",
    {
        namePrefix: prefix,
        clusterName: prefix,
        cidrBlock: settings.vpcCidr,
        availabilityZoneCount: settings.availabilityZoneCount,
        natGatewayStrategy: settings.natGatewayStrategy,
        publicSubnetMask: settings.publicSubnetMask,
        privateSubnetMask: settings.privateSubnetMask,
        flowLogRetentionDays: settings.flowLogRetentionDays,
        logsKeyArn: logsAndSecretsKey.arn,
        protect: settings.protect,
        roles,
    },
    opts,
);

const cluster = new Cluster(
    "cluster",
    {
        name: prefix,
        version: settings.kubernetesVersion,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        publicSubnetIds: network.publicSubnetIds,
        serviceCidr: settings.serviceCidr,
        logTypes: settings.clusterLogTypes,
        logRetentionDays: settings.clusterLogRetentionDays,
        logsKeyArn: logsAndSecretsKey.arn,
        endpointPublicAccessCidrs: settings.endpointPublicAccessCidrs,
        adminPrincipalArns: settings.adminPrincipalArns,
        protect: settings.protect,
        roles,
        tags,
    },
    opts,
);

const addonArgs = {
    namePrefix: prefix,
    clusterName: cluster.name,
    versions: settings.addonVersions,
    irsa: { oidcProviderArn: cluster.oidcProviderArn, oidcProviderUrl: cluster.oidcProviderUrl, ...roles },
    logRetentionDays: settings.clusterLogRetentionDays,
    logsKeyArn: logsAndSecretsKey.arn,
    controllerReplicas: environment === "production" ? 2 : 1,
    tags,
};
const networkAddons = new NetworkAddons("addons-network", addonArgs, opts);

const nodes = new NodeGroups(
    "nodes",
    {
        namePrefix: prefix,
        clusterName: cluster.name,
        kubernetesVersion: settings.kubernetesVersion,
        clusterSecurityGroupId: cluster.clusterSecurityGroupId,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZoneCount: settings.nodeAvailabilityZoneCount,
        settings: settings.nodeGroup,
        dependsOn: [networkAddons.vpcCni, networkAddons.kubeProxy],
        roles,
        tags,
    },
    opts,
);

new NodeAddons("addons-node", addonArgs, { ...opts, dependsOn: nodes.groups });

const repositories = new Repositories(
    "ecr",
    { namePrefix: prefix, names: settings.ecrRepositories, keepImages: settings.ecrKeepImages, forceDelete: !settings.protect, promotionTarget: settings.promotionTarget },
    opts,
);

// Account-wide permission policies and settings (an administrator's, like the CI identity: CI only reads them).
new AccountPolicies("account", { namePrefix: prefix, region: settings.region, creditDefaults: creditDefaults(settings.nodeGroup).set }, opts);

const ci = new GithubCi(
    "ci",
    {
        namePrefix: prefix,
        environment,
        project: settings.project,
        region: settings.region,
        repository: settings.githubRepository,
        providerMode: settings.githubOidcProvider,
        promotionSource: settings.promotionSource,
        promotionTarget: settings.promotionTarget,
        clusterName: cluster.name,
        reservedTags: RESERVED_TAGS,
    },
    opts,
);

const outputs: { [K in keyof InfraOutputs]: pulumi.Input<InfraOutputs[K]> } = {
    environment,
    project: settings.project,
    namePrefix: prefix,
    region: settings.region,
    accountId,
    vpcId: network.vpcId,
    vpcCidr: settings.vpcCidr,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    clusterName: cluster.name,
    clusterEndpoint: cluster.endpoint,
    kubernetesVersion: settings.kubernetesVersion,
    kubeconfig: cluster.kubeconfig,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcProviderUrl: cluster.oidcProviderUrl,
    clusterSecurityGroupId: cluster.clusterSecurityGroupId,
    nodeRoleArn: nodes.role.arn,
    nodeRoleName: nodes.role.name,
    nodeSecurityGroupId: cluster.clusterSecurityGroupId,
    nodeGroupNames: pulumi.all(nodes.groups.map((g) => g.nodeGroupName)),
    nodeCountMinimum: settings.nodeGroup.minSize * settings.nodeAvailabilityZoneCount,
    ecrRepositoryUrls: repositories.urls,
    githubRepository: settings.githubRepository,
    githubOidcProviderArn: ci.providerArn,
    ciPreviewRoleArn: ci.previewRoleArn,
    ciDeployRoleArn: ci.deployRoleArn,
    ciDriftRoleArn: ci.driftRoleArn,
    iamRolePath: roles.path,
    permissionsBoundaryArn: boundary.arn,
    logsAndSecretsKeyArn: logsAndSecretsKey.arn,
};

/**
 * The settings file of the other end of the promotion, in this checkout, to compare what both set account-wide (the
 * CPU-credit defaults); none when it cannot be read (its own runs report that).
 */
function peerSettings(peer: string | undefined) {
    try {
        return peer === undefined ? undefined : settingsFileSource(peer);
    } catch {
        return undefined;
    }
}

// The stack outputs: exactly the contract.
export = outputs;
