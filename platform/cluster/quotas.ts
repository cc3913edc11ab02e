/**
 * The quota and limit range of each workload namespace, derived from the workload catalogue (lib/catalogue.ts): the
 * namespace holds what its workloads run at full scale (every autoscaler at its maximum, each Deployment's rolling
 * surge on top) with headroom, and no container larger than the largest its workloads declare. A new workload in
 * the catalogue grows its namespace's quota; nothing here is written by hand per workload.
 */
import { Environment } from "../../lib/environment";
import { ContainerSizing, podsAtFullScale, Sizing, Workload, workloadsIn } from "../../lib/catalogue";
import { cpuMillis, gibibytes, memoryMiB } from "../../lib/quantity";

export interface NamespaceLimits {
    quota: Record<string, string>;
    /** Per-container defaults (for a container that declares nothing) and maximum. */
    defaultRequest: { cpu: string; memory: string };
    defaultLimit: { cpu: string; memory: string };
    max: { cpu: string; memory: string };
}

/**
 * Above the full-scale need: a debugging pod, and a sizing change ArgoCD applies before platform's next `pulumi up`
 * grows the quota (the quota refuses pods beyond it, so some slack keeps a rollout from stalling).
 */
export const QUOTA_HEADROOM = 1.25;

/** Containers that declare nothing get these (the LimitRange's defaults), per environment. */
export const CONTAINER_DEFAULTS: Record<Environment, Pick<NamespaceLimits, "defaultRequest" | "defaultLimit">> = {
    staging: { defaultRequest: { cpu: "50m", memory: "64Mi" }, defaultLimit: { cpu: "250m", memory: "256Mi" } },
    production: { defaultRequest: { cpu: "100m", memory: "128Mi" }, defaultLimit: { cpu: "500m", memory: "512Mi" } },
};

interface Amount {
    cpu: number;
    memory: number;
}

/** What a pod reserves (Kubernetes' rule): per resource, the larger of its biggest init container and the sum of the others. */
export function podAmount(sizing: Sizing, kind: "requests" | "limits"): Amount {
    const containers = Object.values(sizing.containers);
    const of = (c: ContainerSizing): Amount => ({ cpu: cpuMillis(c[kind].cpu), memory: memoryMiB(c[kind].memory) });
    const main = containers.filter((c) => !c.init).map(of);
    const init = containers.filter((c) => c.init).map(of);
    const sum = main.reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
    return { cpu: Math.max(sum.cpu, ...init.map((c) => c.cpu)), memory: Math.max(sum.memory, ...init.map((c) => c.memory)) };
}

const cpuQuantity = (millis: number, step = 50) => `${Math.ceil(millis / step) * step}m`;
const memoryQuantity = (mib: number, step = 64) => `${Math.ceil(mib / step) * step}Mi`;

/**
 * The namespace's quota and limit range in an environment, from its catalogue workloads (none: room for defaults
 * only). `workloads` replaces the catalogue's (tests size hand-made namespaces).
 */
export function workloadNamespaceLimits(namespace: string, environment: Environment, workloads: readonly Workload[] = workloadsIn(namespace)): NamespaceLimits {
    const defaults = CONTAINER_DEFAULTS[environment];
    const need = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 }, pods: 0, claims: 0, storageGiB: 0 };
    let largest = { cpu: cpuMillis(defaults.defaultLimit.cpu), memory: memoryMiB(defaults.defaultLimit.memory) };
    for (const w of workloads) {
        const sizing = w.sizing[environment];
        const pods = podsAtFullScale(w, environment);
        for (const kind of ["requests", "limits"] as const) {
            const pod = podAmount(sizing, kind);
            need[kind].cpu += pods * pod.cpu;
            need[kind].memory += pods * pod.memory;
        }
        need.pods += pods;
        if (sizing.volume) {
            need.claims += sizing.replicas.max;
            need.storageGiB += sizing.replicas.max * gibibytes(sizing.volume);
        }
        for (const c of Object.values(sizing.containers)) {
            largest = { cpu: Math.max(largest.cpu, cpuMillis(c.limits.cpu)), memory: Math.max(largest.memory, memoryMiB(c.limits.memory)) };
        }
    }
    // A namespace without catalogue workloads still fits two containers of the defaults.
    if (workloads.length === 0) {
        need.requests = { cpu: 2 * cpuMillis(defaults.defaultRequest.cpu), memory: 2 * memoryMiB(defaults.defaultRequest.memory) };
        need.limits = { cpu: 2 * cpuMillis(defaults.defaultLimit.cpu), memory: 2 * memoryMiB(defaults.defaultLimit.memory) };
        need.pods = 2;
    }
    const h = QUOTA_HEADROOM;
    return {
        quota: {
            "requests.cpu": cpuQuantity(need.requests.cpu * h),
            "requests.memory": memoryQuantity(need.requests.memory * h),
            "limits.cpu": cpuQuantity(need.limits.cpu * h),
            "limits.memory": memoryQuantity(need.limits.memory * h),
            pods: String(Math.ceil(need.pods * h)),
            persistentvolumeclaims: String(need.claims),
            "requests.storage": `${Math.ceil(need.storageGiB)}Gi`,
            // Traffic enters through the shared ALB: no Service of type LoadBalancer or NodePort.
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        },
        ...defaults,
        max: { cpu: cpuQuantity(largest.cpu, 1), memory: memoryQuantity(largest.memory, 1) },
    };
}
