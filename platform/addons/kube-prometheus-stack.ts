/**
 * kube-prometheus-stack: the Prometheus Operator (its CRDs: ServiceMonitor, PodMonitor, PrometheusRule, ...),
 * Prometheus, Alertmanager, Grafana, kube-state-metrics and node-exporter.
 * - Prometheus selects ServiceMonitors, PodMonitors, Probes, ScrapeConfigs and rules of every namespace, whatever
 *   their labels (workloads ship ServiceMonitors without the Helm release label).
 * - Grafana's admin credentials are generated into Secrets Manager and reach the pod through an ExternalSecret
 *   (`admin.existingSecret`): nothing secret in the values.
 * - Alertmanager pages PagerDuty for critical alerts when a routing-key secret is configured; the key is mounted
 *   from a Secret (`routing_key_file`), never written into the configuration.
 * - The EKS control plane (etcd, scheduler, controller manager) and kube-proxy cannot be scraped: their monitors
 *   and rules are off.
 * - node-exporter needs the host's network and filesystems: it runs in its own privileged namespace.
 * Values checked against values.yaml at the version of charts.ts (its `checked` tag) and of the grafana subchart
 * it names there.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { publicIngressAnnotations } from "../../lib/alb";
import { GeneratedSecret } from "../aws/generated-secret";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";
import { externalSecret } from "./external-secrets";
import { PublicExposure } from "./exposure";

export const RELEASE_NAME = "kube-prometheus-stack";
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/** The generated Grafana login, relative to the environment's Secrets Manager prefix. */
export const GRAFANA_ADMIN_KEY = "grafana/admin";
export const PAGERDUTY_SECRET = "alertmanager-pagerduty";
export const PAGERDUTY_SECRET_KEY = "routing-key";
/** Where the Prometheus Operator mounts `alertmanagerSpec.secrets`. */
export const PAGERDUTY_KEY_FILE = `/etc/alertmanager/secrets/${PAGERDUTY_SECRET}/${PAGERDUTY_SECRET_KEY}`;

const r = resources;
export const SIZING = {
    staging: {
        operator: { replicas: 1, resources: r(25, 48, 200, 128) },
        configReloader: { resources: r(10, 16, 50, 32) },
        prometheus: { replicas: 1, resources: r(100, 288, 500, 768) },
        alertmanager: { replicas: 1, resources: r(10, 32, 100, 64) },
        grafana: { replicas: 1, resources: r(25, 96, 250, 192) },
        grafanaSidecar: { resources: r(10, 48, 50, 96) },
        kubeStateMetrics: { replicas: 1, resources: r(10, 48, 100, 128) },
        nodeExporter: { resources: r(10, 24, 100, 48) },
    },
    production: {
        operator: { replicas: 1, resources: r(50, 96, 500, 256) },
        configReloader: { resources: r(10, 24, 100, 48) },
        prometheus: { replicas: 2, resources: r(250, 1024, 1000, 2048) },
        alertmanager: { replicas: 2, resources: r(25, 64, 200, 128) },
        grafana: { replicas: 1, resources: r(50, 192, 500, 384) },
        grafanaSidecar: { resources: r(10, 64, 100, 128) },
        kubeStateMetrics: { replicas: 1, resources: r(25, 96, 200, 256) },
        nodeExporter: { resources: r(20, 32, 200, 64) },
    },
} satisfies Record<Environment, Record<string, { replicas?: number; resources: ContainerResources }>>;

export interface KubePrometheusStackArgs {
    environment: Environment;
    chartVersion: string;
    namespace: pulumi.Input<string>;
    nodeExporterNamespace: pulumi.Input<string>;
    namePrefix: pulumi.Input<string>;
    /** `<namePrefix>/`: where this environment's Secrets Manager names start. */
    secretsPrefix: pulumi.Input<string>;
    retentionDays: number;
    /** gp3 volume per Prometheus replica; 0 = none (emptyDir). */
    volumeGiB: number;
    storageClassName: string;
    /** Secrets Manager name (relative to the prefix) of the PagerDuty routing key, if any. */
    pagerDutySecret?: string;
    /** Public Grafana, when a hostname is set. */
    exposure?: PublicExposure;
    recoveryWindowInDays: number;
    /** KMS key of the generated secrets (infra's logsAndSecretsKeyArn). */
    kmsKeyId: pulumi.Input<string>;
    protect: boolean;
    /** The secret store (ESO's CRDs and store must exist before the ExternalSecrets). */
    secretStore: pulumi.Resource;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class KubePrometheusStack extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** https URL of Grafana, or "" when it is not exposed. */
    readonly grafanaUrl: pulumi.Output<string>;

    constructor(name: string, args: KubePrometheusStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:KubePrometheusStack", name, {}, opts);
        const s = SIZING[args.environment];

        const admin = new GeneratedSecret(
            `${name}-grafana-admin`,
            {
                secretName: pulumi.interpolate`${args.secretsPrefix}${GRAFANA_ADMIN_KEY}`,
                description: "Grafana admin login (user and password), synced into the monitoring namespace by External Secrets",
                length: 32,
                special: true,
                jsonKey: "password",
                extra: { user: "admin" },
                recoveryWindowInDays: args.recoveryWindowInDays,
                kmsKeyId: args.kmsKeyId,
                protect: args.protect,
            },
            { parent: this },
        );
        const secrets: pulumi.Resource[] = [
            externalSecret(
                `${name}-grafana-admin`,
                {
                    namespace: args.namespace,
                    targetName: GRAFANA_ADMIN_SECRET,
                    data: [
                        { secretKey: "admin-user", remoteKey: GRAFANA_ADMIN_KEY, property: "user" },
                        { secretKey: "admin-password", remoteKey: GRAFANA_ADMIN_KEY, property: "password" },
                    ],
                },
                { parent: this, dependsOn: [args.secretStore, admin] },
            ),
        ];
        if (args.pagerDutySecret !== undefined) {
            secrets.push(
                externalSecret(
                    `${name}-pagerduty`,
                    {
                        namespace: args.namespace,
                        targetName: PAGERDUTY_SECRET,
                        data: [{ secretKey: PAGERDUTY_SECRET_KEY, remoteKey: args.pagerDutySecret }],
                    },
                    { parent: this, dependsOn: [args.secretStore] },
                ),
            );
        }

        this.grafanaUrl = args.exposure ? pulumi.output(`https://${args.exposure.hostname}`) : pulumi.output("");
        this.release = addonRelease(
            name,
            {
                addon: "kube-prometheus-stack",
                version: args.chartVersion,
                releaseName: RELEASE_NAME,
                namespace: args.namespace,
                values: kubePrometheusStackValues(args, s),
                timeoutSeconds: 900,
            },
            { parent: this, dependsOn: [...args.dependsOn, ...secrets] },
        );
        this.registerOutputs({ grafanaUrl: this.grafanaUrl });
    }
}

type Sizing = (typeof SIZING)[Environment];

function kubePrometheusStackValues(args: KubePrometheusStackArgs, s: Sizing): Record<string, unknown> {
    const everyNamespace = {
        // Select monitors and rules of every namespace, with or without the release label.
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: {},
        serviceMonitorNamespaceSelector: {},
        podMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelector: {},
        podMonitorNamespaceSelector: {},
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
    };
    const storage =
        args.volumeGiB > 0
            ? {
                  storageSpec: {
                      volumeClaimTemplate: {
                          spec: { storageClassName: args.storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${args.volumeGiB}Gi` } } },
                      },
                  },
              }
            : {};
    const ha = args.environment === "production";

    const pagerDuty = args.pagerDutySecret !== undefined;
    const alertmanagerConfig = {
        global: { resolve_timeout: "5m" },
        route: {
            group_by: ["namespace", "alertname"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "12h",
            receiver: "null",
            routes: [
                { receiver: "null", matchers: ['alertname = "Watchdog"'] },
                { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
                ...(pagerDuty ? [{ receiver: "pagerduty", matchers: ['severity = "critical"'] }] : []),
            ],
        },
        receivers: [
            { name: "null" },
            ...(pagerDuty ? [{ name: "pagerduty", pagerduty_configs: [{ routing_key_file: PAGERDUTY_KEY_FILE, send_resolved: true }] }] : []),
        ],
        templates: ["/etc/alertmanager/config/*.tmpl"],
    };

    const grafanaIngress = args.exposure
        ? {
              enabled: true,
              ingressClassName: args.exposure.ingressClass,
              annotations: publicIngressAnnotations({ groupOrder: 20, healthcheckPath: "/api/health" }),
              hosts: [args.exposure.hostname],
              path: "/",
              pathType: "Prefix",
          }
        : { enabled: false };

    return {
        crds: { enabled: true },
        defaultRules: {
            rules: { etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, kubeProxy: false, windows: false },
        },
        windowsMonitoring: { enabled: false },
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        prometheusOperator: {
            resources: s.operator.resources,
            prometheusConfigReloader: { resources: s.configReloader.resources },
        },
        prometheus: {
            podDisruptionBudget: { enabled: ha, minAvailable: 1 },
            prometheusSpec: {
                replicas: s.prometheus.replicas,
                retention: `${args.retentionDays}d`,
                resources: s.prometheus.resources,
                ...everyNamespace,
                ...storage,
            },
        },
        alertmanager: {
            podDisruptionBudget: { enabled: ha, minAvailable: 1 },
            config: alertmanagerConfig,
            alertmanagerSpec: {
                replicas: s.alertmanager.replicas,
                resources: s.alertmanager.resources,
                secrets: pagerDuty ? [PAGERDUTY_SECRET] : [],
            },
        },
        grafana: {
            replicas: s.grafana.replicas,
            resources: s.grafana.resources,
            sidecar: { resources: s.grafanaSidecar.resources },
            admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
            ingress: grafanaIngress,
            "grafana.ini": args.exposure ? { server: { root_url: `https://${args.exposure.hostname}` } } : {},
        },
        "kube-state-metrics": { resources: s.kubeStateMetrics.resources },
        "prometheus-node-exporter": {
            namespaceOverride: args.nodeExporterNamespace,
            resources: s.nodeExporter.resources,
        },
    };
}
