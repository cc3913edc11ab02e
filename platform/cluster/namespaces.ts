/**
 * Namespaces. Every namespace this program creates carries the three Pod Security Standards labels: `restricted`
 * everywhere, except the node-exporter namespace, which enforces `privileged` (host network, PID and filesystems)
 * and still audits and warns at `restricted`.
 *
 * Namespaces whose pods can sit behind the shared ALB (IP targets: the workloads', ArgoCD's and Grafana's) carry the
 * Load Balancer Controller's readiness-gate label: a new pod counts as ready only once the ALB sees it healthy,
 * so a rollout never removes old pods before the new ones take traffic. The gate is injected only into pods a
 * target group selects, and the controller's pod webhook ignores its own failures (chart 3.5.0
 * podMutatorWebhookConfig.failurePolicy: Ignore), so the label blocks nothing when the controller is down.
 *
 * Workload namespaces get the platform's baseline; workload-specific allows (frontend -> backend, backend -> data,
 * ALB -> frontend) ship with the workloads' manifests (apps layer):
 * - a default-deny NetworkPolicy for ingress and egress;
 * - egress to CoreDNS (kube-system, UDP/TCP 53);
 * - ingress from Prometheus (monitoring namespace) for scraping;
 * - a ResourceQuota and a LimitRange sized from the workload catalogue (quotas.ts): what the namespace's workloads
 *   run at full scale with headroom, defaults for containers that declare nothing; no LoadBalancer or NodePort
 *   Services (traffic enters through the shared ALB).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { PLATFORM_NAMESPACES } from "../settings";
import { workloadNamespaceLimits } from "./quotas";

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

export function podSecurityLabels(enforce: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
}

/** The Load Balancer Controller injects its pod readiness gate in namespaces with this label. */
export const ALB_READINESS_GATE_LABEL = { "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" } as const;

export type PlatformNamespaceName = Exclude<keyof typeof PLATFORM_NAMESPACES, "system">;

/** The platform namespaces whose add-on can be exposed through the ALB (ArgoCD's server, Grafana). */
const BEHIND_ALB: PlatformNamespaceName[] = ["argocd", "monitoring"];

/** The namespaces of the platform's add-ons (kube-system exists already and is not managed here). */
export class PlatformNamespaces extends pulumi.ComponentResource {
    readonly names: Record<PlatformNamespaceName, pulumi.Output<string>>;

    constructor(name: string, args: Record<string, never>, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:PlatformNamespaces", name, args, opts);
        const make = (key: PlatformNamespaceName, level: PodSecurityLevel) =>
            new k8s.core.v1.Namespace(
                `${name}-${PLATFORM_NAMESPACES[key]}`,
                {
                    metadata: {
                        name: PLATFORM_NAMESPACES[key],
                        labels: { ...podSecurityLabels(level), "gitops/owner": "platform", ...(BEHIND_ALB.includes(key) ? ALB_READINESS_GATE_LABEL : {}) },
                    },
                },
                { parent: this },
            ).metadata.name;
        this.names = {
            argocd: make("argocd", "restricted"),
            externalSecrets: make("externalSecrets", "restricted"),
            sealedSecrets: make("sealedSecrets", "restricted"),
            monitoring: make("monitoring", "restricted"),
            nodeExporter: make("nodeExporter", "privileged"),
        };
        this.registerOutputs({});
    }
}

/** The baseline NetworkPolicies of every workload namespace (the apps layer's AppProject does not report them as orphans). */
export const BASELINE_NETWORK_POLICIES = { defaultDeny: "default-deny", allowDns: "allow-dns", allowPrometheusScrape: "allow-prometheus-scrape" } as const;

export interface WorkloadNamespaceArgs {
    namespace: string;
    environment: Environment;
    /** Namespace of Prometheus, allowed to scrape. */
    monitoringNamespace: string;
}

/** One workload namespace with its baseline: Pod Security restricted, the ALB readiness gate, default-deny, DNS, scraping, quota, limits. */
export class WorkloadNamespace extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;

    constructor(name: string, args: WorkloadNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:WorkloadNamespace", name, {}, opts);
        const ns = new k8s.core.v1.Namespace(
            name,
            { metadata: { name: args.namespace, labels: { ...podSecurityLabels("restricted"), "gitops/owner": "workloads", ...ALB_READINESS_GATE_LABEL } } },
            { parent: this },
        );
        const namespace = ns.metadata.name;
        const policy = (suffix: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${suffix}`, { metadata: { name: suffix, namespace }, spec }, { parent: this });

        policy(BASELINE_NETWORK_POLICIES.defaultDeny, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy(BASELINE_NETWORK_POLICIES.allowDns, {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        });
        policy(BASELINE_NETWORK_POLICIES.allowPrometheusScrape, {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } },
                            podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                        },
                    ],
                },
            ],
        });

        const limits = workloadNamespaceLimits(args.namespace, args.environment);
        new k8s.core.v1.ResourceQuota(`${name}-quota`, { metadata: { name: "workloads", namespace }, spec: { hard: limits.quota } }, { parent: this });
        new k8s.core.v1.LimitRange(
            `${name}-limits`,
            {
                metadata: { name: "container-defaults", namespace },
                spec: { limits: [{ type: "Container", defaultRequest: limits.defaultRequest, default: limits.defaultLimit, max: limits.max }] },
            },
            { parent: this },
        );
        this.name = namespace;
        this.registerOutputs({ name: this.name });
    }
}
