/**
 * The AppProject every workload Application belongs to, with least privilege: this repository only, the workload
 * namespaces only, no cluster-scoped resource, and only the namespaced kinds the workloads' manifests use.
 */
import { BASELINE_NETWORK_POLICIES } from "../platform/cluster/namespaces";
import { ARGOCD_API_VERSION, IN_CLUSTER } from "./application";
import { SyncWindow } from "./settings";

export const PROJECT_NAME = "workloads";

/**
 * The kinds found in apps/workloads (a test renders every overlay and checks this list is exactly what they use).
 * Secrets are not in it: External Secrets creates them from Secrets Manager, ArgoCD never writes one.
 */
export const NAMESPACE_RESOURCES: { group: string; kind: string }[] = [
    // The shop's Grafana dashboard (the frontend's monitoring/): no workload reads a ConfigMap.
    { group: "", kind: "ConfigMap" },
    { group: "", kind: "Service" },
    { group: "", kind: "ServiceAccount" },
    { group: "apps", kind: "Deployment" },
    { group: "apps", kind: "StatefulSet" },
    { group: "autoscaling", kind: "HorizontalPodAutoscaler" },
    { group: "policy", kind: "PodDisruptionBudget" },
    { group: "networking.k8s.io", kind: "NetworkPolicy" },
    { group: "networking.k8s.io", kind: "Ingress" },
    { group: "monitoring.coreos.com", kind: "ServiceMonitor" },
    { group: "monitoring.coreos.com", kind: "PrometheusRule" },
    { group: "external-secrets.io", kind: "ExternalSecret" },
];

/**
 * Objects platform puts in every workload namespace whose kind this project permits: without these entries ArgoCD
 * would report them as orphans (an OrphanedResourceWarning condition on every Application). Kinds the project does
 * not permit (ResourceQuota, LimitRange, Secrets, volume claims) are never reported; ArgoCD also skips the
 * `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap itself.
 */
export const PLATFORM_OWNED = Object.values(BASELINE_NETWORK_POLICIES).map((name) => ({ group: "networking.k8s.io", kind: "NetworkPolicy", name }));

export interface AppProjectArgs {
    environment: string;
    /** Namespace of ArgoCD. */
    namespace: string;
    repoUrl: string;
    /** The namespaces Applications may deploy to. */
    destinations: string[];
    syncWindows: SyncWindow[];
}

export function appProjectManifest(a: AppProjectArgs) {
    return {
        apiVersion: ARGOCD_API_VERSION,
        kind: "AppProject",
        metadata: {
            name: PROJECT_NAME,
            namespace: a.namespace,
            labels: { "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "pulumi" },
        },
        spec: {
            description: `The workloads of ${a.environment}: synced from this repository only, into the workload namespaces only.`,
            sourceRepos: [a.repoUrl],
            destinations: a.destinations.map((namespace) => ({ server: IN_CLUSTER, namespace })),
            // Empty: no cluster-scoped resource at all (namespaces, CRDs, RBAC belong to platform).
            clusterResourceWhitelist: [],
            namespaceResourceWhitelist: NAMESPACE_RESOURCES,
            // Report objects in the destinations that no Application manages (drift made by hand), except platform's.
            orphanedResources: { warn: true, ignore: PLATFORM_OWNED },
            ...(a.syncWindows.length > 0 ? { syncWindows: a.syncWindows.map((w) => ({ ...w })) } : {}),
        },
    };
}
