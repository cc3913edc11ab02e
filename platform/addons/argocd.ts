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
 * Values checked against values.yaml of argo-cd 10.1.1 (argoproj/argo-helm argo-cd-10.1.1) and of its redis-ha
 * subchart 4.38.0 (DandyDeveloper/charts redis-ha-4.38.0).
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

const r = resources;
export const SIZING = {
    staging: {
        controller: { replicas: 1, resources: r(100, 256, 500, 512) },
        repoServer: { replicas: 1, resources: r(50, 128, 500, 256) },
        server: { replicas: 1, resources: r(25, 64, 250, 128) },
        applicationSet: { replicas: 1, resources: r(10, 48, 100, 96) },
        redis: { replicas: 1, resources: r(10, 32, 100, 64) },
    },
    production: {
        controller: { replicas: 1, resources: r(250, 512, 1000, 1024) },
        repoServer: { replicas: 2, resources: r(100, 256, 1000, 512) },
        server: { replicas: 2, resources: r(50, 128, 500, 256) },
        applicationSet: { replicas: 2, resources: r(25, 64, 250, 128) },
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
        // SSO goes straight to the OIDC provider; Dex and the notifications controller are not used.
        dex: { enabled: false },
        notifications: { enabled: false },
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
            haproxy: { enabled: true, replicas: s.haproxy.replicas, resources: s.haproxy.resources },
        };
    } else {
        values.redis = { enabled: true, resources: s.redis.resources };
    }
    return values;
}
