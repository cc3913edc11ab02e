/**
 * The infra layer's public contract: the outputs platform and apps read through a StackReference.
 * Named once here; index.ts exports exactly these, the README documents them, a test checks both.
 */
export interface InfraOutputs {
    environment: string;
    /** The project name (`infra:project`), the Project tag of every resource. */
    project: string;
    /** `<project>-<environment>`: the prefix of every resource name. */
    namePrefix: string;
    region: string;
    accountId: string;
    vpcId: string;
    vpcCidr: string;
    privateSubnetIds: string[];
    publicSubnetIds: string[];
    clusterName: string;
    clusterEndpoint: string;
    kubernetesVersion: string;
    /** Secret. A kubeconfig that authenticates with `aws eks get-token` as the caller. */
    kubeconfig: string;
    oidcProviderArn: string;
    /** The cluster's OIDC issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<id>). */
    oidcProviderUrl: string;
    clusterSecurityGroupId: string;
    nodeRoleArn: string;
    nodeRoleName: string;
    /** The security group of every node (EKS's cluster security group, attached by the launch template). */
    nodeSecurityGroupId: string;
    nodeGroupNames: string[];
    /** Nodes the cluster keeps at least (min size per zone x zones): the alarm threshold for node count. */
    nodeCountMinimum: number;
    /** Service name -> ECR repository URL. */
    ecrRepositoryUrls: Record<string, string>;
    /** The GitHub repository (owner/name) CI runs from and ArgoCD syncs. */
    githubRepository: string;
    githubOidcProviderArn: string;
    ciPreviewRoleArn: string;
    ciDeployRoleArn: string;
    ciDriftRoleArn: string;
    /** `/<namePrefix>/`: the path of every role the layers create (the only path CI may create roles under). */
    iamRolePath: string;
    /** The boundary every role of the layers carries (CI may only create roles that carry it). */
    permissionsBoundaryArn: string;
    /** The customer-managed KMS key of the environment's CloudWatch log groups and Secrets Manager secrets. */
    logsAndSecretsKeyArn: string;
}

export const INFRA_OUTPUT_NAMES: readonly (keyof InfraOutputs)[] = [
    "environment",
    "project",
    "namePrefix",
    "region",
    "accountId",
    "vpcId",
    "vpcCidr",
    "privateSubnetIds",
    "publicSubnetIds",
    "clusterName",
    "clusterEndpoint",
    "kubernetesVersion",
    "kubeconfig",
    "oidcProviderArn",
    "oidcProviderUrl",
    "clusterSecurityGroupId",
    "nodeRoleArn",
    "nodeRoleName",
    "nodeSecurityGroupId",
    "nodeGroupNames",
    "nodeCountMinimum",
    "ecrRepositoryUrls",
    "githubRepository",
    "githubOidcProviderArn",
    "ciPreviewRoleArn",
    "ciDeployRoleArn",
    "ciDriftRoleArn",
    "iamRolePath",
    "permissionsBoundaryArn",
    "logsAndSecretsKeyArn",
];

export const INFRA_SECRET_OUTPUTS: readonly (keyof InfraOutputs)[] = ["kubeconfig"];
