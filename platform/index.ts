/**
 * platform: what every workload of the cluster relies on. Cluster add-ons as pinned Helm releases (load
 * balancing, ArgoCD, External Secrets, Sealed Secrets, monitoring, metrics, autoscaling), the default gp3
 * StorageClass, the namespaces (platform ones, and workload ones with their baseline), the public edge (WAF, ALB
 * access logs) and CloudWatch alarms. Reads infra through a StackReference; exports the contract in contract.ts.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InfraOutputs, INFRA_OUTPUT_NAMES } from "../infra/contract";
import { ALB_INGRESS_CLASS, albGroupNames, PLATFORM_INGRESS_CLASS } from "../lib/alb";
import { resolveEnvironment } from "../lib/environment";
import { IrsaCluster } from "../lib/irsa";
import { readLayer, referenceOrganization } from "../lib/layer-reference";
import { standardTags } from "../lib/tags";
import { Argocd } from "./addons/argocd";
import { AwsLoadBalancerController, IngressClasses } from "./addons/aws-load-balancer-controller";
import { ClusterAutoscaler } from "./addons/cluster-autoscaler";
import { PublicExposure } from "./addons/exposure";
import { ExternalSecrets, storePrefixes } from "./addons/external-secrets";
import { KubePrometheusStack } from "./addons/kube-prometheus-stack";
import { MetricsServer } from "./addons/metrics-server";
import { SealedSecrets } from "./addons/sealed-secrets";
import { AlbAccessLogs } from "./aws/alb-access-logs";
import { Alarms } from "./aws/alarms";
import { WebAcl } from "./aws/waf";
import { PlatformNamespaces, WorkloadNamespace } from "./cluster/namespaces";
import { DefaultStorageClass, STORAGE_CLASS_NAME } from "./cluster/storage-class";
import { PlatformOutputs } from "./contract";
import { loadPlatformSettings, PLATFORM_NAMESPACES } from "./settings";

const environment = resolveEnvironment(pulumi.getStack());
const settings = loadPlatformSettings(environment);
const infra = readLayer<InfraOutputs>("infra", INFRA_OUTPUT_NAMES, referenceOrganization(settings.organization));
const prefix = infra.namePrefix;
// The platform's secrets (`<prefix>/...`); the workloads' live below `<prefix>/apps/` (external-secrets.ts).
const secretsPrefix = storePrefixes(prefix).platform;
const versions = settings.chartVersions;

// Every AWS resource goes through this provider: the tags of infra's project, and the region of the settings file.
const tags = infra.project.apply((p) => standardTags(environment, p, settings.tags));
const awsProvider = new aws.Provider("aws", { region: settings.region as aws.Region, defaultTags: { tags } });
const k8sProvider = new k8s.Provider("k8s", { kubeconfig: infra.kubeconfig, enableServerSideApply: true });
const opts = { providers: { aws: awsProvider, kubernetes: k8sProvider } };

const namespaces = new PlatformNamespaces("namespaces", {}, opts);
const storage = new DefaultStorageClass("storage", { reclaimPolicy: settings.protect ? "Retain" : "Delete" }, opts);
const workloadNamespaces = settings.workloadNamespaces.map(
    (ns) => new WorkloadNamespace(`workloads-${ns}`, { namespace: ns, environment, monitoringNamespace: PLATFORM_NAMESPACES.monitoring }, opts),
);

// The public edge: one WAF ACL (with its request log) and one access-log bucket for the environment's shared ALB.
// The ACL is billed monthly, so it exists only when a hostname is set (an empty bucket costs nothing).
const waf = settings.publicEdge
    ? new WebAcl(
          "waf",
          { namePrefix: prefix, rateLimit: settings.wafRateLimit, logRetentionDays: settings.wafLogRetentionDays, logsKeyArn: infra.logsAndSecretsKeyArn },
          opts,
      )
    : undefined;
const accessLogs = new AlbAccessLogs(
    "alb-access-logs",
    { namePrefix: prefix, accountId: infra.accountId, region: settings.region, retentionDays: settings.albAccessLogRetentionDays, protect: settings.protect },
    opts,
);
const exposure = (hostname: string | undefined): PublicExposure | undefined => (hostname === undefined ? undefined : { hostname, ingressClass: PLATFORM_INGRESS_CLASS });

// IRSA roles go under infra's role path with its permissions boundary: the only roles the CI deploy role may create.
const irsa: IrsaCluster = { oidcProviderArn: infra.oidcProviderArn, oidcProviderUrl: infra.oidcProviderUrl, path: infra.iamRolePath, permissionsBoundary: infra.permissionsBoundaryArn };
const secretsCommon = { recoveryWindowInDays: settings.protect ? 30 : 0, kmsKeyId: infra.logsAndSecretsKeyArn, protect: settings.protect };

// The controller's webhooks intercept Service creation: everything that creates Services comes after it.
const lbc = new AwsLoadBalancerController(
    "aws-load-balancer-controller",
    { environment, chartVersion: versions["aws-load-balancer-controller"], clusterName: infra.clusterName, vpcId: infra.vpcId, region: settings.region, irsa, tags },
    opts,
);
// Two load balancers, so no workload Ingress can join or override the platform's listener rules (lib/alb.ts).
const albGroups = albGroupNames(prefix);
const edge = { certificateArn: settings.certificateArn, wafAclArn: waf?.arn, accessLogsBucket: accessLogs.bucketName };
const platformUiNamespaces = [namespaces.names.argocd, namespaces.names.monitoring];
const ingressClasses = new IngressClasses(
    "ingress-classes",
    {
        platform: { ...edge, group: albGroups.platform, namespaces: pulumi.all(platformUiNamespaces), inboundCidrs: settings.uiAccessCidrs },
        workloads: { ...edge, group: albGroups.workloads, namespaces: pulumi.all(workloadNamespaces.map((w) => w.name)) },
        controller: lbc.release,
    },
    opts,
);
const afterLbc = [lbc.release];
const eso = new ExternalSecrets(
    "external-secrets",
    {
        environment,
        chartVersion: versions["external-secrets"],
        region: settings.region,
        accountId: infra.accountId,
        namePrefix: prefix,
        irsa,
        platformNamespaces: platformUiNamespaces,
        workloadNamespaces: workloadNamespaces.map((w) => w.name),
        namespace: namespaces.names.externalSecrets,
        dependsOn: afterLbc,
    },
    opts,
);
new SealedSecrets("sealed-secrets", { environment, chartVersion: versions["sealed-secrets"], namespace: namespaces.names.sealedSecrets, dependsOn: afterLbc }, opts);
new MetricsServer("metrics-server", { environment, chartVersion: versions["metrics-server"], dependsOn: afterLbc }, opts);
new ClusterAutoscaler(
    "cluster-autoscaler",
    {
        environment,
        chartVersion: versions["cluster-autoscaler"],
        clusterName: infra.clusterName,
        kubernetesVersion: infra.kubernetesVersion,
        region: settings.region,
        accountId: infra.accountId,
        irsa,
        dependsOn: afterLbc,
    },
    opts,
);
const monitoring = new KubePrometheusStack(
    "kube-prometheus-stack",
    {
        environment,
        chartVersion: versions["kube-prometheus-stack"],
        namespace: namespaces.names.monitoring,
        nodeExporterNamespace: namespaces.names.nodeExporter,
        namePrefix: prefix,
        secretsPrefix,
        retentionDays: settings.prometheusRetentionDays,
        volumeGiB: settings.prometheusVolumeGiB,
        storageClassName: STORAGE_CLASS_NAME,
        pagerDutySecret: settings.alertmanagerPagerDutySecret,
        exposure: exposure(settings.grafanaHostname),
        ...secretsCommon,
        secretStore: eso.store,
        dependsOn: [...afterLbc, ...ingressClasses.classes, storage],
    },
    opts,
);
// After kube-prometheus-stack: ArgoCD's ServiceMonitors need its CRDs.
const argocd = new Argocd(
    "argocd",
    {
        environment,
        chartVersion: versions["argo-cd"],
        namespace: namespaces.names.argocd,
        secretsPrefix,
        adminGroup: settings.argocdAdminGroup,
        sso: settings.argocdSso,
        exposure: exposure(settings.argocdHostname),
        ...secretsCommon,
        secretStore: eso.store,
        dependsOn: [...afterLbc, ...ingressClasses.classes, monitoring.release],
    },
    opts,
);

const alarms = new Alarms(
    "alarms",
    {
        namePrefix: prefix,
        clusterName: infra.clusterName,
        nodeCountMinimum: infra.nodeCountMinimum,
        email: settings.alarmEmail,
        pagerDutyUrlSecretName: settings.alarmPagerDutyUrlSecret === undefined ? undefined : pulumi.interpolate`${secretsPrefix}${settings.alarmPagerDutyUrlSecret}`,
    },
    opts,
);

const outputs: { [K in keyof PlatformOutputs]: pulumi.Input<PlatformOutputs[K]> } = {
    environment,
    argocdNamespace: namespaces.names.argocd,
    argocdServerUrl: argocd.serverUrl,
    ingressClass: ALB_INGRESS_CLASS,
    albGroupName: albGroups.workloads,
    albAccessLogsBucket: accessLogs.bucketName,
    certificateArn: settings.certificateArn ?? "",
    wafAclArn: waf?.arn ?? "",
    secretStoreName: eso.workloadStoreName,
    secretsPrefix: eso.workloadSecretsPrefix,
    platformSecretStoreName: eso.storeName,
    argocdWebhookSecretName: argocd.webhookSecretName,
    workloadNamespaces: pulumi.all(workloadNamespaces.map((w) => w.name)),
    storageClassName: STORAGE_CLASS_NAME,
    grafanaUrl: monitoring.grafanaUrl,
    alarmTopicArn: alarms.topicArn,
};

// The stack outputs: exactly the contract.
export = outputs;
