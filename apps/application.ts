/**
 * The ArgoCD Application of one workload, as a plain object (pure, so tests can read it): the workload's overlay
 * for the environment at the environment's branch, the ECR registry injected as a Kustomize image override,
 * automated sync with prune and self-heal, retries with backoff, the sync wave of its tier, and the resources
 * finalizer so that deleting the Application deletes its workload first.
 */
import { WorkloadName, WORKLOADS, namespaceOf, overlayPath, syncWaveOf } from "../lib/catalogue";

export const ARGOCD_API_VERSION = "argoproj.io/v1alpha1";
/** The cluster ArgoCD runs in. */
export const IN_CLUSTER = "https://kubernetes.default.svc";
/** Deleting an Application with this finalizer deletes (and waits for) its resources first: Ingresses free their ALBs. */
export const RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";
export const SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
/**
 * Diff on the API server's view (dry-run apply), as the sync applies server-side: defaults the API server or a CRD
 * adds (ExternalSecret, StatefulSet volume claim templates) do not show as drift.
 */
export const COMPARE_OPTIONS = { "argocd.argoproj.io/compare-options": "ServerSideDiff=true" };

/**
 * - CreateNamespace=false: platform owns the namespaces (labels, quotas, default-deny policies).
 * - ServerSideApply=true: no last-applied annotation (size limit), field ownership shared cleanly with the HPA.
 * - PruneLast=true: remove what left Git only after the rest is healthy.
 * - FailOnSharedResource=true: never take over an object another Application manages.
 * - PrunePropagationPolicy=foreground: a pruned Deployment is gone with its pods before the sync reports success.
 */
export const SYNC_OPTIONS = ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true", "FailOnSharedResource=true", "PrunePropagationPolicy=foreground"];
export const RETRY = { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } };

/**
 * Makes Pulumi wait until ArgoCD reports an Application (pulumi-kubernetes >= 4.18 `pulumi.com/waitFor`; every
 * expression of the list must hold at once):
 * - data stores: Synced and Healthy. Their images are public and their secrets generated here, so they can always
 *   become healthy, and the services' readiness depends on them.
 * - services and frontend: Synced (their manifests are applied). Not Healthy: their images may not exist yet (a
 *   new environment runs `pulumi up` of apps before its first release pins them); CI's verify job waits for their
 *   health afterwards (ci/argocd-wait.ts); waiting here would deadlock a new environment.
 *
 * What this guarantees. On create, the order of the dependants (nothing of the Application's status exists before
 * ArgoCD has compared and synced it). On update it is weaker: the provider checks the expressions against the
 * object right after applying it, and an Application has no status.observedGeneration, so the previous "Synced"
 * would satisfy them at once. Hence the expressions also require `status.sync.comparedTo.source` to hold this
 * repository URL and revision: after a change of apps:repoUrl or apps:targetRevision, Pulumi waits until ArgoCD has
 * compared and synced the new source. An update that changes only the Kustomize overrides (image registry, the
 * frontend's Ingress) or the sync policy is not waited for (a `pulumi.com/waitFor` value cannot hold an image
 * override, which contains "="); CI's argocd-wait checks those Applications afterwards. Waiting for
 * status.operationState.syncResult.revision would not help: it is a commit SHA Pulumi does not know.
 */
export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";

/** The source ArgoCD last compared the Application with: after an update, the new one only once ArgoCD saw it. */
export function waitForSource(repoUrl: string, targetRevision: string): string[] {
    return [`jsonpath={.status.sync.comparedTo.source.repoURL}=${repoUrl}`, `jsonpath={.status.sync.comparedTo.source.targetRevision}=${targetRevision}`];
}

export function waitCondition(workload: WorkloadName, repoUrl: string, targetRevision: string): string {
    const state = ["jsonpath={.status.sync.status}=Synced"];
    if (WORKLOADS[workload].tier === "data") state.push("jsonpath={.status.health.status}=Healthy");
    return JSON.stringify([...waitForSource(repoUrl, targetRevision), ...state]);
}

export interface KustomizePatch {
    target: { kind: string; name: string };
    /** A JSON 6902 patch (JSON is YAML). */
    patch: string;
}

/** What an Application adds to its overlay at render time (ArgoCD `spec.source.kustomize`). */
export interface KustomizeOverrides {
    images?: string[];
    components?: string[];
    patches?: KustomizePatch[];
}

/**
 * The image override for a workload whose image is in ECR. `kustomize edit set image name=url` (what ArgoCD runs)
 * replaces the overlay's whole images entry, dropping its pin; `*` as tag and as digest keeps the overlay's
 * (kustomize/commands/edit/set/setimage.go: "override new name but keep new tag", "update new name and keep the
 * digest"), so the digest the release pinned is what runs.
 */
export function imageOverride(image: string, repositoryUrl: string): string {
    return `${image}=${repositoryUrl}:*@*`;
}

export interface ApplicationArgs {
    workload: WorkloadName;
    environment: string;
    /** Namespace of ArgoCD. */
    namespace: string;
    project: string;
    repoUrl: string;
    targetRevision: string;
    kustomize: KustomizeOverrides;
    waitForSync: boolean;
}

export function applicationManifest(a: ApplicationArgs) {
    const tier = WORKLOADS[a.workload].tier;
    const annotations: Record<string, string> = { [SYNC_WAVE_ANNOTATION]: String(syncWaveOf(a.workload)), ...COMPARE_OPTIONS };
    if (a.waitForSync) annotations[WAIT_FOR_ANNOTATION] = waitCondition(a.workload, a.repoUrl, a.targetRevision);
    const kustomize: Record<string, unknown> = {};
    if (a.kustomize.images?.length) kustomize.images = a.kustomize.images;
    if (a.kustomize.components?.length) kustomize.components = a.kustomize.components;
    if (a.kustomize.patches?.length) kustomize.patches = a.kustomize.patches;
    return {
        apiVersion: ARGOCD_API_VERSION,
        kind: "Application",
        metadata: {
            name: a.workload,
            namespace: a.namespace,
            labels: { "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/component": tier, "app.kubernetes.io/managed-by": "pulumi" },
            annotations,
            finalizers: [RESOURCES_FINALIZER],
        },
        spec: {
            project: a.project,
            source: {
                repoURL: a.repoUrl,
                targetRevision: a.targetRevision,
                path: overlayPath(a.workload, a.environment),
                ...(Object.keys(kustomize).length > 0 ? { kustomize } : {}),
            },
            destination: { server: IN_CLUSTER, namespace: namespaceOf(a.workload) },
            syncPolicy: {
                automated: { prune: true, selfHeal: true, allowEmpty: false },
                syncOptions: SYNC_OPTIONS,
                retry: RETRY,
            },
            revisionHistoryLimit: 10,
        },
    };
}
