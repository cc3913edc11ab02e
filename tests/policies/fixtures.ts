/**
 * Compliant inputs of the resource types the policies read, shaped as the programs (and the components'
 * children in real previews) register them. Each spec breaks one property at a time.
 */
import { Props } from "./util";

export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const EKS_COMPONENT = "eks:index:Cluster";
export const EKS_CLUSTER = "aws:eks/cluster:Cluster";
export const ROLE = "aws:iam/role:Role";

/** As infra/node-groups.ts registers it: LaunchTemplate booleans are strings. */
export function launchTemplate(): Props {
    return {
        description: "Nodes: gp3 encrypted root, IMDSv2, private only",
        updateDefaultVersion: true,
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 20, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: ["sg-0123456789abcdef0"] }],
        monitoring: { enabled: false },
    };
}

export function nodeGroup(instanceTypes = ["t3.small"]): Props {
    return {
        clusterName: "gitops-staging",
        nodeGroupName: "gitops-staging-general-1",
        nodeRoleArn: "arn:aws:iam::123456789012:role/nodes",
        subnetIds: ["subnet-prv0"],
        amiType: "AL2023_x86_64_STANDARD",
        capacityType: "ON_DEMAND",
        instanceTypes,
        scalingConfig: { minSize: 1, desiredSize: 2, maxSize: 3 },
        launchTemplate: { id: "lt-0123", version: "1" },
    };
}

/** eks:index:Cluster inputs as infra/cluster.ts passes them. */
export function eksComponent(): Props {
    return {
        name: "gitops-staging",
        version: "1.35",
        vpcId: "vpc-1",
        privateSubnetIds: ["subnet-prv0", "subnet-prv1"],
        publicSubnetIds: ["subnet-pub0", "subnet-pub1"],
        skipDefaultNodeGroup: true,
        skipDefaultSecurityGroups: true,
        nodeAssociatePublicIpAddress: false,
        authenticationMode: "API",
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: ["203.0.113.0/24"],
        encryptionConfigKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
        enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    };
}

/** The aws:eks/cluster:Cluster that @pulumi/eks creates in a real preview. */
export function eksCluster(): Props {
    return {
        name: "gitops-staging",
        roleArn: "arn:aws:iam::123456789012:role/cluster",
        version: "1.35",
        vpcConfig: { subnetIds: ["subnet-prv0"], endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] },
        encryptionConfig: { provider: { keyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd" }, resources: ["secrets"] },
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
    };
}

export const GITHUB_PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
export const EKS_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/D4433FEAE21AC0A2D73BA3D9C07B9D17";
export const EKS_PROVIDER_ARN = `arn:aws:iam::123456789012:oidc-provider/${EKS_ISSUER}`;

/** A web-identity trust policy with the given conditions. */
export function trustPolicy(federated: string, condition: Props): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Federated: federated }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition }],
    });
}

/** A CI role as infra/github-ci.ts builds it. */
export function githubRole(sub = "repo:acme-platform/eks-gitops-platform:environment:staging"): Props {
    return {
        name: "gitops-staging-ci-deploy",
        assumeRolePolicy: trustPolicy(GITHUB_PROVIDER_ARN, {
            StringEquals: { "token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        }),
    };
}

/** An IRSA role as lib/irsa.ts builds it. */
export function irsaRole(sub = "system:serviceaccount:kube-system:ebs-csi-controller-sa"): Props {
    return {
        assumeRolePolicy: trustPolicy(EKS_PROVIDER_ARN, { StringEquals: { [`${EKS_ISSUER}:sub`]: sub, [`${EKS_ISSUER}:aud`]: "sts.amazonaws.com" } }),
    };
}

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
export const JOB = "kubernetes:batch/v1:Job";
export const CRON_JOB = "kubernetes:batch/v1:CronJob";
export const POD = "kubernetes:core/v1:Pod";
export const ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/user-service";

/** A released image, as the services' overlays pin them (the registry added by the Application). */
export const PINNED_IMAGE = `${ECR_IMAGE}@sha256:${"4e".repeat(32)}`;

/** A container as the workloads' manifests write them: restricted, sized, probed, pinned by digest. */
export function container(name = "app", image = PINNED_IMAGE): Props {
    return {
        name,
        image,
        ports: [{ name: "http", containerPort: 5000 }],
        readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
        livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
        resources: { requests: { cpu: "40m", memory: "96Mi" }, limits: { cpu: "200m", memory: "192Mi" } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
}

/** A compliant pod spec: own service account, no token, restricted pod security context, an emptyDir. */
export function podSpec(containers: Props[] = [container()]): Props {
    return {
        serviceAccountName: "user-service",
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers,
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}

/** A workload of `type` around a pod spec, as a program (or the rendered manifests) register it. */
export function workload(type: string, spec: Props = podSpec()): Props {
    const metadata = { name: "user-service", namespace: "backend" };
    const template = { metadata: { labels: { app: "user-service" } }, spec };
    switch (type) {
        case POD:
            return { metadata, spec };
        case CRON_JOB:
            return { metadata, spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template } } } };
        case JOB:
            return { metadata, spec: { template } };
        default:
            return { metadata, spec: { selector: { matchLabels: { app: "user-service" } }, template } };
    }
}
