/**
 * The App-of-Apps of an environment: the one root that owns the AppProject and every workload Application.
 * Applying the apps stack is the design's "apply App-of-Apps"; destroying it deletes every workload.
 *
 * Ordering. ArgoCD honours sync waves between Applications only inside one sync, i.e. when a parent Application
 * syncs them from Git (and only with a custom health check for Applications). These Applications are created by
 * Pulumi, not by a parent sync, so their sync-wave annotations alone order nothing. The order is made by Pulumi:
 * each Application depends on the Applications of the workloads it needs (catalogue `requires`), and with
 * `apps:waitForSync` Pulumi waits (pulumi.com/waitFor, see application.ts) until ArgoCD reports each one synced (the
 * data stores also healthy) before it creates the dependants: MySQL and Redis run before the services are applied,
 * the services before the frontend. That is guaranteed on create. On update it holds only for a change of the
 * repository or revision: an Application has no status.observedGeneration, so for other changes (Kustomize
 * overrides, sync policy) the previous "Synced" satisfies the wait at once, and CI's argocd-wait checks the result.
 * Deletion runs the other way: the frontend (and the ALB its Ingress made) goes first, the databases last. The wave
 * annotation is kept as the documented order for readers and tools.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadName, inWaveOrder, namespaceOf, WORKLOADS } from "../lib/catalogue";
import { applicationManifest, KustomizeOverrides } from "./application";
import { appProjectManifest, PROJECT_NAME } from "./project";
import { SyncWindow } from "./settings";

export interface AppOfAppsArgs {
    environment: string;
    /** Namespace of ArgoCD. */
    namespace: pulumi.Input<string>;
    repoUrl: pulumi.Input<string>;
    targetRevision: string;
    workloads: WorkloadName[];
    syncWindows: SyncWindow[];
    /** Per-workload Kustomize overrides (image registry, the frontend's Ingress). */
    kustomize: Partial<Record<WorkloadName, pulumi.Input<KustomizeOverrides>>>;
    /** What each Application waits for besides the Applications it needs (its generated secrets, repository credentials). */
    dependsOn: Partial<Record<WorkloadName, pulumi.Resource[]>>;
    waitForSync: boolean;
    syncTimeoutMinutes: number;
}

export class AppOfApps extends pulumi.ComponentResource {
    readonly project: k8s.apiextensions.CustomResource;
    readonly applications: Partial<Record<WorkloadName, k8s.apiextensions.CustomResource>> = {};
    readonly projectName = PROJECT_NAME;
    /** Application names in sync-wave order. */
    readonly applicationNames: WorkloadName[];

    constructor(name: string, args: AppOfAppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:apps:AppOfApps", name, {}, opts);

        const destinations = [...new Set(args.workloads.map(namespaceOf))];
        const project = pulumi
            .all([args.namespace, args.repoUrl])
            .apply(([namespace, repoUrl]) => appProjectManifest({ environment: args.environment, namespace, repoUrl, destinations, syncWindows: args.syncWindows }));
        this.project = new k8s.apiextensions.CustomResource(
            `${name}-project`,
            { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: project.apply((p) => p.metadata), spec: project.apply((p) => p.spec) },
            { parent: this },
        );

        const timeout = `${args.syncTimeoutMinutes}m`;
        for (const workload of inWaveOrder(args.workloads)) {
            const manifest = pulumi
                .all([args.namespace, args.repoUrl, pulumi.output(args.kustomize[workload] ?? {})])
                .apply(([namespace, repoUrl, kustomize]) =>
                    applicationManifest({
                        workload,
                        environment: args.environment,
                        namespace,
                        project: PROJECT_NAME,
                        repoUrl,
                        targetRevision: args.targetRevision,
                        kustomize: kustomize as KustomizeOverrides,
                        waitForSync: args.waitForSync,
                    }),
                );
            const needed = WORKLOADS[workload].requires.map((w) => this.applications[w]!);
            this.applications[workload] = new k8s.apiextensions.CustomResource(
                `${name}-${workload}`,
                { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: manifest.apply((m) => m.metadata), spec: manifest.apply((m) => m.spec) },
                {
                    parent: this,
                    dependsOn: [this.project, ...needed, ...(args.dependsOn[workload] ?? [])],
                    // Creation waits for the sync; deletion waits for the finalizer (the workload's resources gone).
                    customTimeouts: { create: timeout, update: timeout, delete: timeout },
                },
            );
        }

        this.applicationNames = inWaveOrder(args.workloads);
        this.registerOutputs({ projectName: this.projectName, applicationNames: this.applicationNames });
    }
}
