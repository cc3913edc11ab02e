/**
 * ArgoCD (argo-cd chart): one replica per component in staging; in production two API servers, two repo
 * servers, two ApplicationSet controllers and Redis HA (3 Redis + Sentinel, 3 HAProxy on separate nodes).
 * The application controller stays at one replica in both: it shards by cluster, and this ArgoCD manages one
 * cluster, so a second replica would hold no shard (the chart's HA examples use one as well).
 * - Exposure: ClusterIP only, unless a hostname and certificate are set; then an Ingress of the platform's class
 *   on the platform's own ALB (HTTPS only, HTTP redirects, WAF attached; no workload Ingress can join it), with
 *   gRPC (the CLI) routed to a second service by the chart's `aws` ingress controller mode. The server keeps its
 *   own TLS; the ALB speaks HTTPS to it. Settings refuse a hostname without SSO unless the ALB is limited to
 *   `platform:uiAccessCidrs`: the local admin login never faces the whole internet.
 * - RBAC: read-only by default; the admin group from settings gets role:admin. With SSO (OIDC) the local admin
 *   account is off and the client secret is read from Secrets Manager (`$argocd-oidc:clientSecret`).
 * - GitHub webhook: a generated secret in Secrets Manager, merged into argocd-secret by External Secrets, so a
 *   push triggers a sync within seconds (POST https://<hostname>/api/webhook).
 * - Notifications: each Application's sync and health go back to the commit on GitHub as a commit status
 *   (`argocd/<env>/<application>`), through a GitHub App whose id, installation id and key an administrator keeps
 *   in Secrets Manager (`<prefix>/argocd/github-notifications`); External Secrets writes them into
 *   argocd-notifications-secret, which the values only reference (`$github-privateKey`).
 * - Production's Redis HA (3 Redis + Sentinel, 3 HAProxy) keeps its quorum through node drains: one pod of each
 *   at a time (disruption budgets).
 * Values checked against values.yaml at the version of charts.ts (its `checked` tag) and of the redis-ha subchart
 * it names there.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { Environment } from "../../lib/environment";
import { publicIngressAnnotations } from "../../lib/alb";
import { GeneratedSecret } from "../aws/generated-secret";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";
import { ArgocdSso } from "../settings";
import { externalSecret } from "./external-secrets";
import { PublicExposure } from "./exposure";

export const RELEASE_NAME = "argocd";
export const OIDC_SECRET = "argocd-oidc";
export const WEBHOOK_SECRET_KEY = "webhook.github.secret";
/** The generated webhook secret, relative to the environment's Secrets Manager prefix. */
export const WEBHOOK_SECRET = "argocd/github-webhook";
/** The notifications' GitHub App (JSON: appID, installationID, privateKey), relative to the prefix: an administrator's. */
export const NOTIFICATIONS_SECRET = "argocd/github-notifications";
/** The Secret the notifications controller reads `$<key>` references from (the chart's default name). */
export const NOTIFICATIONS_SECRET_NAME = "argocd-notifications-secret";
/** Keys of that Secret, and the JSON properties of the Secrets Manager secret they come from. */
export const NOTIFICATIONS_KEYS = { "github-appID": "appID", "github-installationID": "installationID", "github-privateKey": "privateKey" } as const;

const r = resources;
export const SIZING = {
    staging: {
        controller: { replicas: 1, resources: r(100, 256, 500, 512) },
        repoServer: { replicas: 1, resources: r(50, 128, 500, 256) },
        server: { replicas: 1, resources: r(25, 64, 250, 128) },
        applicationSet: { replicas: 1, resources: r(10, 48, 100, 96) },
        notifications: { replicas: 1, resources: r(10, 32, 100, 64) },
        redis: { replicas: 1, resources: r(10, 32, 100, 64) },
    },
    production: {
        controller: { replicas: 1, resources: r(250, 512, 1000, 1024) },
        repoServer: { replicas: 2, resources: r(100, 256, 1000, 512) },
        server: { replicas: 2, resources: r(50, 128, 500, 256) },
        applicationSet: { replicas: 2, resources: r(25, 64, 250, 128) },
        // One controller: the chart runs one (it holds no lease; two would report every status twice).
        notifications: { replicas: 1, resources: r(20, 64, 200, 128) },
        // Redis HA: each of the 3 pods runs redis, sentinel and the split-brain check; 3 HAProxy pods.
        redisHa: { replicas: 3, resources: r(50, 128, 250, 256) },
        sentinel: { replicas: 3, resources: r(10, 32, 100, 64) },
        splitBrain: { replicas: 3, resources: r(10, 32, 100, 64) },
        haproxy: { replicas: 3, resources: r(25, 64, 250, 128) },
    },
} satisfies Record<Environment, Record<string, { replicas: number; resources: ContainerResources }>>;

export interface ArgocdArgs {
    environment: Environment;
    chartVersion: string;
    namespace: pulumi.Input<string>;
    secretsPrefix: pulumi.Input<string>;
    adminGroup: string;
    sso?: ArgocdSso;
    exposure?: PublicExposure;
    recoveryWindowInDays: number;
    /** KMS key of the generated secrets (infra's logsAndSecretsKeyArn). */
    kmsKeyId: pulumi.Input<string>;
    protect: boolean;
    secretStore: pulumi.Resource;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class Argocd extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly serverUrl: pulumi.Output<string>;
    readonly webhookSecretName: pulumi.Output<string>;

    constructor(name: string, args: ArgocdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:Argocd", name, {}, opts);

        const sso: pulumi.Resource[] = [];
        if (args.sso) {
            // Referenced from argocd-cm as $argocd-oidc:clientSecret; ArgoCD reads only Secrets with this label.
            sso.push(
                externalSecret(
                    `${name}-oidc`,
                    {
                        namespace: args.namespace,
                        targetName: OIDC_SECRET,
                        labels: { "app.kubernetes.io/part-of": "argocd" },
                        data: [{ secretKey: "clientSecret", remoteKey: args.sso.clientSecretKey }],
                    },
                    { parent: this, dependsOn: [args.secretStore] },
                ),
            );
        }

        this.release = addonRelease(
            name,
            { addon: "argo-cd", version: args.chartVersion, releaseName: RELEASE_NAME, namespace: args.namespace, values: argocdValues(args) },
            { parent: this, dependsOn: [...args.dependsOn, ...sso] },
        );

        const webhook = new GeneratedSecret(
            `${name}-github-webhook`,
            {
                secretName: pulumi.interpolate`${args.secretsPrefix}${WEBHOOK_SECRET}`,
                description: "Shared secret of the GitHub webhook that tells ArgoCD about pushes (paste it into the repository's webhook settings)",
                length: 40,
                special: false,
                recoveryWindowInDays: args.recoveryWindowInDays,
                kmsKeyId: args.kmsKeyId,
                protect: args.protect,
            },
            { parent: this },
        );
        this.webhookSecretName = webhook.secretName;
        // argocd-secret is the chart's; External Secrets adds the webhook key to it (Merge), after the release.
        externalSecret(
            `${name}-github-webhook`,
            {
                namespace: args.namespace,
                targetName: "argocd-secret",
                creationPolicy: "Merge",
                data: [{ secretKey: WEBHOOK_SECRET_KEY, remoteKey: WEBHOOK_SECRET }],
            },
            { parent: this, dependsOn: [args.secretStore, this.release] },
        );

        // The notifications' GitHub App credentials: the chart creates no Secret (notifications.secret.create false).
        externalSecret(
            `${name}-notifications`,
            {
                namespace: args.namespace,
                targetName: NOTIFICATIONS_SECRET_NAME,
                labels: { "app.kubernetes.io/part-of": "argocd" },
                data: Object.entries(NOTIFICATIONS_KEYS).map(([secretKey, property]) => ({ secretKey, remoteKey: NOTIFICATIONS_SECRET, property })),
            },
            { parent: this, dependsOn: [args.secretStore] },
        );

        this.serverUrl = pulumi.output(args.exposure ? `https://${args.exposure.hostname}` : "");
        this.registerOutputs({ serverUrl: this.serverUrl });
    }
}

function argocdValues(args: ArgocdArgs): Record<string, unknown> {
    const s = SIZING[args.environment];
    const ha = args.environment === "production";
    const monitored = { enabled: true, serviceMonitor: { enabled: true } };
    const pdb = { enabled: ha, minAvailable: 1 };

    const cm: Record<string, unknown> = {
        "admin.enabled": args.sso === undefined,
        "exec.enabled": false,
        "statusbadge.enabled": false,
    };
    if (args.exposure) cm.url = `https://${args.exposure.hostname}`;
    if (args.sso) {
        cm["oidc.config"] = stringify({
            name: args.sso.name,
            issuer: args.sso.issuer,
            clientID: args.sso.clientId,
            clientSecret: `$${OIDC_SECRET}:clientSecret`,
            requestedScopes: ["openid", "profile", "email", "groups"],
        });
    }

    const server: Record<string, unknown> = {
        replicas: s.server.replicas,
        resources: s.server.resources,
        metrics: monitored,
        pdb,
    };
    if (args.exposure) {
        server.ingress = {
            enabled: true,
            controller: "aws",
            ingressClassName: args.exposure.ingressClass,
            hostname: args.exposure.hostname,
            annotations: publicIngressAnnotations({ groupOrder: 10, backendProtocol: "HTTPS", healthcheckPath: "/healthz" }),
            aws: {
                backendProtocolVersion: "GRPC",
                serviceType: "ClusterIP",
                // The gRPC target group checks the standard gRPC health service (status 0 = serving).
                serviceAnnotations: {
                    "alb.ingress.kubernetes.io/healthcheck-path": "/grpc.health.v1.Health/Check",
                    "alb.ingress.kubernetes.io/success-codes": "0",
                },
            },
        };
    }

    const values: Record<string, unknown> = {
        crds: { install: true, keep: true },
        configs: {
            cm,
            rbac: {
                "policy.default": "role:readonly",
                "policy.csv": `g, ${args.adminGroup}, role:admin\n`,
                scopes: "[groups]",
            },
            secret: { createSecret: true },
        },
        // SSO goes straight to the OIDC provider: Dex is not used.
        dex: { enabled: false },
        notifications: notificationsValues(args),
        controller: { replicas: s.controller.replicas, resources: s.controller.resources, metrics: monitored },
        repoServer: { replicas: s.repoServer.replicas, resources: s.repoServer.resources, metrics: monitored, pdb },
        applicationSet: { replicas: s.applicationSet.replicas, resources: s.applicationSet.resources, metrics: monitored, pdb },
        server,
    };
    if (args.exposure) values.global = { domain: args.exposure.hostname };
    if ("redisHa" in s) {
        values.redis = { enabled: false };
        values["redis-ha"] = {
            enabled: true,
            replicas: s.redisHa.replicas,
            redis: { resources: s.redisHa.resources },
            sentinel: { resources: s.sentinel.resources },
            splitBrainDetection: { resources: s.splitBrain.resources },
            haproxy: { enabled: true, replicas: s.haproxy.replicas, resources: s.haproxy.resources, podDisruptionBudget: { maxUnavailable: 1 } },
            // 3 Redis with Sentinel (quorum 2): a drain may take one at a time.
            podDisruptionBudget: { maxUnavailable: 1 },
        };
    } else {
        values.redis = { enabled: true, resources: s.redis.resources };
    }
    return values;
}

/** A notification template: a commit status on the Application's revision (its repository must be on GitHub). */
function statusTemplate(environment: string, state: "pending" | "success" | "failure" | "error", message: string, exposed: boolean): string {
    return stringify({
        message,
        github: {
            // The commit the Application is synced (or syncing) to; single-source Applications.
            revisionPath: "{{.app.status.sync.revision}}",
            status: {
                state,
                label: `argocd/${environment}/{{.app.metadata.name}}`,
                // GitHub wants a URL: the Application in ArgoCD when it is exposed, else the repository.
                targetURL: exposed ? "{{.context.argocdUrl}}/applications/{{.app.metadata.namespace}}/{{.app.metadata.name}}?operation=true" : "{{.app.spec.source.repoURL}}",
            },
        },
    });
}

/** Triggers (name -> expr condition, status template): sync running, synced but progressing, deployed, failed, degraded. */
export const NOTIFICATION_TRIGGERS = {
    "on-sync-running": { when: "app.status.operationState.phase in ['Running']", state: "pending", message: "ArgoCD is syncing {{.app.metadata.name}}" },
    "on-sync-progressing": {
        when: "app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Progressing'",
        state: "pending",
        message: "{{.app.metadata.name}} is synced, waiting for it to be healthy",
    },
    "on-deployed": {
        when: "app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'",
        state: "success",
        message: "{{.app.metadata.name}} is synced and healthy",
    },
    "on-sync-failed": { when: "app.status.operationState.phase in ['Error', 'Failed']", state: "failure", message: "The sync of {{.app.metadata.name}} failed: {{.app.status.operationState.message}}" },
    "on-health-degraded": { when: "app.status.health.status == 'Degraded'", state: "failure", message: "{{.app.metadata.name}} is degraded: {{.app.status.health.message}}" },
} as const;

/** argo-cd 10.1.1's `notifications` values (checked against its values.yaml and argocd-notifications-cm template). */
function notificationsValues(args: ArgocdArgs): Record<string, unknown> {
    const s = SIZING[args.environment].notifications;
    const exposed = args.exposure !== undefined;
    const templates: Record<string, string> = {};
    const triggers: Record<string, string> = {};
    for (const [trigger, t] of Object.entries(NOTIFICATION_TRIGGERS)) {
        const template = `github-${trigger.replace(/^on-/, "")}`;
        templates[`template.${template}`] = statusTemplate(args.environment, t.state, t.message, exposed);
        // No oncePer: a status follows each change of state (a degraded Application that recovers reports success again).
        triggers[`trigger.${trigger}`] = stringify([{ description: t.message, send: [template], when: t.when }]);
    }
    return {
        enabled: true,
        // Without exposure the chart would default it to https://<global.domain>: set only when there is one.
        ...(args.exposure ? { argocdUrl: `https://${args.exposure.hostname}` } : {}),
        resources: s.resources,
        metrics: { enabled: true, serviceMonitor: { enabled: true } },
        // External Secrets owns the Secret; the values only reference its keys.
        secret: { create: false },
        notifiers: { "service.github": stringify({ appID: "$github-appID", installationID: "$github-installationID", privateKey: "$github-privateKey" }) },
        // Every Application reports to GitHub, without an annotation on each.
        subscriptions: [{ recipients: ["github"], triggers: Object.keys(NOTIFICATION_TRIGGERS) }],
        templates,
        triggers,
    };
}
