/**
 * Does the environment fit its nodes? The sum of every pod's requests against the allocatable memory and CPU of
 * the node groups infra creates (lib/instance-types: AL2023 kube-reserved and eviction threshold):
 * - the EKS managed add-ons (EKS_ADDON_PODS below, the one table of what they run; replicas from each add-on's
 *   configuration as infra sets it),
 * - the platform's Helm releases (RELEASE_PODS: each chart's values as the platform's modules set them),
 * - the workloads as ArgoCD renders them (Deployments, StatefulSets, DaemonSets; HorizontalPodAutoscalers give
 *   their minimum and maximum), and any workload Pulumi registers itself.
 * Daemonsets count once per node. Two sizes are checked: the workloads at their autoscalers' minimum on the node
 * groups' desired size (what is created and billed: not fitting is a failure), and at their maximum on the
 * groups' maximum size (what the cluster autoscaler may reach: not fitting is a warning).
 */
import type { AddonName as EksAddonName } from "../infra/versions";
import type { AddonName as ChartName } from "../platform/charts";
import { allocatableCpuMillis, allocatableMemoryMiB, INSTANCE_TYPES } from "../lib/instance-types";
import { cpuMillis, memoryMiB } from "../lib/quantity";

/** Millicores and MiB. */
export interface Requests {
    cpu: number;
    memory: number;
}

const ZERO: Requests = { cpu: 0, memory: 0 };
const add = (a: Requests, b: Requests, times = 1): Requests => ({ cpu: a.cpu + times * b.cpu, memory: a.memory + times * b.memory });
const max = (a: Requests, b: Requests): Requests => ({ cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory) });


/** Pods of one kind: `replicas` copies of a pod requesting `perPod` (per node for daemonsets). */
export interface PodGroup {
    /** Who runs them, e.g. "kube-prometheus-stack: prometheus" or "workload frontend". */
    source: string;
    perPod: Requests;
    replicas: number;
}

/** A workload with an autoscaler (or a fixed count: minimum = maximum). */
export interface ScaledPods {
    source: string;
    perPod: Requests;
    minReplicas: number;
    maxReplicas: number;
}

/** What runs on the cluster: controllers (fixed counts), daemonsets (one pod per node), scaled workloads. */
export interface Demand {
    fixed: PodGroup[];
    perNode: PodGroup[];
    scaled: ScaledPods[];
    /** Containers that set no request (counted as zero): a person should set them. */
    unset: string[];
}

/** The shape of a recorded resource the model reads (the mock kit's RecordedResource). */
export interface CapacityResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

/** A container's resources as Kubernetes manifests and Helm values write them. */
type Resources = { requests?: { cpu?: string | number; memory?: string | number }; limits?: { cpu?: string | number; memory?: string | number } } | undefined;

/**
 * The requests of a container: its requests, else its limits (Kubernetes defaults a missing request to the limit),
 * else the namespace's LimitRange default, else zero (and `unset` records it).
 */
function containerRequests(resources: Resources, what: string, unset: string[], fallback?: Requests): Requests {
    const cpu = resources?.requests?.cpu ?? resources?.limits?.cpu;
    const memory = resources?.requests?.memory ?? resources?.limits?.memory;
    if ((cpu === undefined || memory === undefined) && fallback === undefined) unset.push(what);
    return { cpu: cpu !== undefined ? cpuMillis(cpu) : (fallback?.cpu ?? 0), memory: memory !== undefined ? memoryMiB(memory) : (fallback?.memory ?? 0) };
}

/**
 * What the EKS managed add-ons run, from their default manifests and charts (this repository sets replicas only;
 * figures checked 2026-11): per node, aws-node 25m, kube-proxy 100m, ebs-csi-node 3 containers of 10m/40Mi, the
 * CloudWatch agent 250m/128Mi and Fluent Bit 50m/25Mi; per replica, CoreDNS 100m/70Mi, the EBS CSI controller 6
 * containers of 10m/40Mi and the CloudWatch operator 100m/64Mi. `replicas` reads the add-on's configurationValues
 * (what infra sets) and falls back on the add-on's own default.
 */
export const EKS_ADDON_PODS: Record<EksAddonName, { perNode?: Requests; controller?: { perPod: Requests; replicas: (configuration: any) => number } }> = {
    "vpc-cni": { perNode: { cpu: 25, memory: 0 } },
    "kube-proxy": { perNode: { cpu: 100, memory: 0 } },
    coredns: { controller: { perPod: { cpu: 100, memory: 70 }, replicas: (c) => c?.replicaCount ?? 2 } },
    "aws-ebs-csi-driver": { perNode: { cpu: 30, memory: 120 }, controller: { perPod: { cpu: 60, memory: 240 }, replicas: (c) => c?.controller?.replicaCount ?? 2 } },
    "amazon-cloudwatch-observability": { perNode: { cpu: 300, memory: 153 }, controller: { perPod: { cpu: 100, memory: 64 }, replicas: () => 1 } },
};

type ReleasePods = (values: any, req: (resources: Resources, what: string) => Requests) => { fixed: PodGroup[]; perNode?: PodGroup[] };

/**
 * What each platform chart runs, read from its values the way the chart uses them (the paths are the charts' own,
 * at the versions of platform/charts.ts): every replica of every controller, and the daemonsets.
 */
export const RELEASE_PODS: Record<ChartName, ReleasePods> = {
    "aws-load-balancer-controller": (v, req) => ({ fixed: [{ source: "controller", perPod: req(v.resources, "controller"), replicas: v.replicaCount ?? 2 }] }),
    "external-secrets": (v, req) => ({
        fixed: [
            { source: "controller", perPod: req(v.resources, "controller"), replicas: v.replicaCount ?? 1 },
            { source: "webhook", perPod: req(v.webhook?.resources, "webhook"), replicas: v.webhook?.replicaCount ?? 1 },
            { source: "cert-controller", perPod: req(v.certController?.resources, "cert-controller"), replicas: v.certController?.replicaCount ?? 1 },
        ],
    }),
    "sealed-secrets": (v, req) => ({ fixed: [{ source: "controller", perPod: req(v.resources, "controller"), replicas: 1 }] }),
    "metrics-server": (v, req) => ({ fixed: [{ source: "metrics-server", perPod: req(v.resources, "metrics-server"), replicas: v.replicas ?? 1 }] }),
    "cluster-autoscaler": (v, req) => ({ fixed: [{ source: "cluster-autoscaler", perPod: req(v.resources, "cluster-autoscaler"), replicas: v.replicaCount ?? 1 }] }),
    "argo-cd": (v, req) => {
        const fixed: PodGroup[] = ["controller", "repoServer", "server", "applicationSet"].map((c) => ({ source: c, perPod: req(v[c]?.resources, c), replicas: v[c]?.replicas ?? 1 }));
        // The chart runs one notifications controller when notifications are on.
        if (v.notifications?.enabled) fixed.push({ source: "notifications", perPod: req(v.notifications.resources, "notifications"), replicas: 1 });
        if (v.redis?.enabled !== false && v["redis-ha"]?.enabled !== true) fixed.push({ source: "redis", perPod: req(v.redis?.resources, "redis"), replicas: 1 });
        const ha = v["redis-ha"];
        if (ha?.enabled) {
            const server = add(add(req(ha.redis?.resources, "redis-ha redis"), req(ha.sentinel?.resources, "redis-ha sentinel")), req(ha.splitBrainDetection?.resources, "redis-ha split-brain detection"));
            fixed.push({ source: "redis-ha", perPod: server, replicas: ha.replicas ?? 3 });
            fixed.push({ source: "redis-ha haproxy", perPod: req(ha.haproxy?.resources, "redis-ha haproxy"), replicas: ha.haproxy?.replicas ?? 3 });
        }
        return { fixed };
    },
    "kube-prometheus-stack": (v, req) => {
        const reloader = req(v.prometheusOperator?.prometheusConfigReloader?.resources, "config reloader");
        return {
            fixed: [
                { source: "operator", perPod: req(v.prometheusOperator?.resources, "operator"), replicas: 1 },
                { source: "prometheus", perPod: add(req(v.prometheus?.prometheusSpec?.resources, "prometheus"), reloader), replicas: v.prometheus?.prometheusSpec?.replicas ?? 1 },
                { source: "alertmanager", perPod: add(req(v.alertmanager?.alertmanagerSpec?.resources, "alertmanager"), reloader), replicas: v.alertmanager?.alertmanagerSpec?.replicas ?? 1 },
                // Grafana runs two sidecars (dashboards and datasources) beside it.
                { source: "grafana", perPod: add(req(v.grafana?.resources, "grafana"), req(v.grafana?.sidecar?.resources, "grafana sidecar"), 2), replicas: v.grafana?.replicas ?? 1 },
                { source: "kube-state-metrics", perPod: req(v["kube-state-metrics"]?.resources, "kube-state-metrics"), replicas: 1 },
            ],
            perNode: v["prometheus-node-exporter"]?.enabled === false ? [] : [{ source: "node-exporter", perPod: req(v["prometheus-node-exporter"]?.resources, "node-exporter"), replicas: 1 }],
        };
    },
};

/** The pods of the EKS add-ons infra creates (aws:eks/addon:Addon), from {@link EKS_ADDON_PODS}. */
export function eksAddonDemand(resources: readonly CapacityResource[]): Pick<Demand, "fixed" | "perNode"> {
    const fixed: PodGroup[] = [];
    const perNode: PodGroup[] = [];
    for (const addon of resources.filter((r) => r.type === "aws:eks/addon:Addon")) {
        const name = addon.inputs.addonName as EksAddonName;
        const pods = EKS_ADDON_PODS[name];
        if (!pods) throw new Error(`no pod requests for the EKS add-on ${name}: add it to EKS_ADDON_PODS in tools/capacity.ts`);
        const configuration = typeof addon.inputs.configurationValues === "string" ? JSON.parse(addon.inputs.configurationValues) : undefined;
        if (pods.perNode) perNode.push({ source: `EKS add-on ${name}`, perPod: pods.perNode, replicas: 1 });
        if (pods.controller) fixed.push({ source: `EKS add-on ${name}`, perPod: pods.controller.perPod, replicas: pods.controller.replicas(configuration) });
    }
    return { fixed, perNode };
}

/** The pods of the platform's Helm releases, from {@link RELEASE_PODS}. */
export function releaseDemand(resources: readonly CapacityResource[]): Demand {
    const demand: Demand = { fixed: [], perNode: [], scaled: [], unset: [] };
    for (const release of resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
        const chart = release.inputs.chart as ChartName;
        const pods = RELEASE_PODS[chart];
        if (!pods) throw new Error(`no pod model for the chart ${chart}: add it to RELEASE_PODS in tools/capacity.ts`);
        const req = (resources: Resources, what: string) => containerRequests(resources, `${chart}: ${what}`, demand.unset);
        const { fixed, perNode = [] } = pods(release.inputs.values ?? {}, req);
        demand.fixed.push(...fixed.map((g) => ({ ...g, source: `${chart}: ${g.source}` })));
        demand.perNode.push(...perNode.map((g) => ({ ...g, source: `${chart}: ${g.source}` })));
    }
    return demand;
}

/** A Kubernetes object as rendered or registered. */
type Manifest = Record<string, any>;

/**
 * The effective requests of a pod template: the larger of the app containers plus native sidecars, and of each
 * init container plus the sidecars started before it (how the scheduler counts them).
 */
export function podRequests(spec: any, what: string, unset: string[], fallback?: Requests): Requests {
    let sidecars = ZERO;
    let init = ZERO;
    for (const c of spec?.initContainers ?? []) {
        const r = containerRequests(c.resources, `${what}: ${c.name}`, unset, fallback);
        if (c.restartPolicy === "Always") sidecars = add(sidecars, r);
        else init = max(init, add(r, sidecars));
    }
    const app = (spec?.containers ?? []).reduce((sum: Requests, c: any) => add(sum, containerRequests(c.resources, `${what}: ${c.name}`, unset, fallback)), sidecars);
    return max(app, init);
}

/** The default request of a namespace's LimitRange (what a container without requests gets). */
function limitRangeDefaults(objects: readonly Manifest[]): Map<string, Requests> {
    const defaults = new Map<string, Requests>();
    for (const o of objects.filter((x) => x.kind === "LimitRange")) {
        const container = (o.spec?.limits ?? []).find((l: any) => l.type === "Container");
        const d = container?.defaultRequest ?? container?.default;
        if (d?.cpu !== undefined && d?.memory !== undefined) defaults.set(o.metadata?.namespace ?? "default", { cpu: cpuMillis(d.cpu), memory: memoryMiB(d.memory) });
    }
    return defaults;
}

/** Kubernetes objects registered by the layers (kubernetes:<group>/<version>:<Kind>) as manifests. */
export function registeredObjects(resources: readonly CapacityResource[]): Manifest[] {
    return resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"))
        .map((r) => ({ kind: r.type.split(":").pop(), ...r.inputs }));
}

/**
 * The pods of workload objects (rendered from Git or registered): Deployments and StatefulSets at their
 * autoscaler's minimum and maximum (their replicas otherwise), DaemonSets once per node. `limitRanges` are the
 * objects whose LimitRanges give containers without requests their default (the platform creates them).
 */
export function workloadDemand(objects: readonly Manifest[], limitRanges: readonly Manifest[] = []): Demand {
    const demand: Demand = { fixed: [], perNode: [], scaled: [], unset: [] };
    const defaults = limitRangeDefaults([...limitRanges, ...objects]);
    const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
    for (const o of objects.filter((x) => ["Deployment", "StatefulSet", "DaemonSet"].includes(x.kind))) {
        const namespace = o.metadata?.namespace ?? "default";
        const source = `${o.kind.toLowerCase()} ${namespace}/${o.metadata?.name}`;
        const perPod = podRequests(o.spec?.template?.spec, source, demand.unset, defaults.get(namespace));
        if (o.kind === "DaemonSet") {
            demand.perNode.push({ source, perPod, replicas: 1 });
            continue;
        }
        const hpa = hpas.find((h) => (h.metadata?.namespace ?? "default") === namespace && h.spec?.scaleTargetRef?.kind === o.kind && h.spec?.scaleTargetRef?.name === o.metadata?.name);
        const replicas = o.spec?.replicas ?? 1;
        demand.scaled.push({ source, perPod, minReplicas: hpa ? (hpa.spec.minReplicas ?? 1) : replicas, maxReplicas: hpa ? hpa.spec.maxReplicas : replicas });
    }
    return demand;
}

export function mergeDemand(...parts: Partial<Demand>[]): Demand {
    return {
        fixed: parts.flatMap((p) => p.fixed ?? []),
        perNode: parts.flatMap((p) => p.perNode ?? []),
        scaled: parts.flatMap((p) => p.scaled ?? []),
        unset: parts.flatMap((p) => p.unset ?? []),
    };
}

/** The node groups: one instance type (the first of each group), summed sizes. */
export interface NodePool {
    instanceType: string;
    min: number;
    desired: number;
    max: number;
    /** Allocatable per node. */
    allocatable: Requests;
}

/** The node pool of infra's node groups; undefined when there is none, or when its type is one lib/instance-types does not know. */
export function nodePool(resources: readonly CapacityResource[]): NodePool | undefined {
    const groups = resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
    if (groups.length === 0) return undefined;
    const instanceType = groups[0].inputs.instanceTypes?.[0] ?? "t3.medium";
    const spec = INSTANCE_TYPES[instanceType];
    if (!spec) return undefined;
    const sum = (k: "minSize" | "desiredSize" | "maxSize") => groups.reduce((n, g) => n + (g.inputs.scalingConfig?.[k] ?? 0), 0);
    return { instanceType, min: sum("minSize"), desired: sum("desiredSize"), max: sum("maxSize"), allocatable: { cpu: allocatableCpuMillis(spec), memory: allocatableMemoryMiB(spec) } };
}

/** The kept-free share at the desired size below which a rolling update's surge (or request drift) may not fit. */
export const HEADROOM_TARGET = 0.15;

export interface SizeCheck {
    /** "minimum": workloads at their autoscalers' minimum on the desired nodes; "maximum": at their maximum on the maximum nodes. */
    scale: "minimum" | "maximum";
    nodes: number;
    requested: Requests;
    allocatable: Requests;
    /** Share of allocatable left, per resource (negative: short). */
    headroom: Requests;
    fits: boolean;
    /** The smallest node count this demand fits on (undefined: none, a daemonset or a pod is too large for the type). */
    nodesNeeded?: number;
}

export interface CapacityReport {
    pool: NodePool;
    minimum: SizeCheck;
    maximum: SizeCheck;
    /** Pods larger than what a node has left after its daemonsets: they never schedule. */
    oversized: string[];
    /** Exit-1 findings: the environment does not fit at its minimum. */
    failures: string[];
    warnings: string[];
    demand: Demand;
}

const mib = (n: number) => `${Math.round(n)} MiB`;
const pct = (n: number) => `${Math.round(n * 100)} %`;

/** Everything requested at `nodes` nodes, with the scaled workloads at `scale`. */
export function requestedAt(demand: Demand, nodes: number, scale: "minReplicas" | "maxReplicas"): Requests {
    let sum = ZERO;
    for (const g of demand.fixed) sum = add(sum, g.perPod, g.replicas);
    for (const g of demand.perNode) sum = add(sum, g.perPod, nodes);
    for (const w of demand.scaled) sum = add(sum, w.perPod, w[scale]);
    return sum;
}

function check(demand: Demand, pool: NodePool, nodes: number, scale: "minimum" | "maximum"): SizeCheck {
    const replicas = scale === "minimum" ? "minReplicas" : "maxReplicas";
    const requested = requestedAt(demand, nodes, replicas);
    const allocatable = { cpu: nodes * pool.allocatable.cpu, memory: nodes * pool.allocatable.memory };
    const share = (k: keyof Requests) => (allocatable[k] > 0 ? (allocatable[k] - requested[k]) / allocatable[k] : -1);
    const fits = requested.cpu <= allocatable.cpu && requested.memory <= allocatable.memory;
    let nodesNeeded: number | undefined;
    for (let n = 1; n <= 1000; n++) {
        const r = requestedAt(demand, n, replicas);
        if (r.cpu <= n * pool.allocatable.cpu && r.memory <= n * pool.allocatable.memory) {
            nodesNeeded = n;
            break;
        }
    }
    return { scale, nodes, requested, allocatable, headroom: { cpu: share("cpu"), memory: share("memory") }, fits, nodesNeeded };
}

function shortfall(c: SizeCheck): string {
    const parts: string[] = [];
    if (c.requested.memory > c.allocatable.memory) parts.push(`memory ${mib(c.requested.memory)} requested of ${mib(c.allocatable.memory)} allocatable (short by ${mib(c.requested.memory - c.allocatable.memory)})`);
    if (c.requested.cpu > c.allocatable.cpu) parts.push(`CPU ${Math.round(c.requested.cpu)}m requested of ${c.allocatable.cpu}m allocatable (short by ${Math.round(c.requested.cpu - c.allocatable.cpu)}m)`);
    return parts.join("; ");
}

/** Checks a demand against a node pool: the minimum must fit (else a failure), the maximum should (else a warning). */
export function checkCapacity(demand: Demand, pool: NodePool): CapacityReport {
    const minimum = check(demand, pool, pool.desired, "minimum");
    const maximum = check(demand, pool, pool.max, "maximum");
    const failures: string[] = [];
    const warnings: string[] = [];
    const perNode = demand.perNode.reduce((sum, g) => add(sum, g.perPod), ZERO);
    const free = { cpu: pool.allocatable.cpu - perNode.cpu, memory: pool.allocatable.memory - perNode.memory };
    const oversized = [...demand.fixed.filter((g) => g.replicas > 0), ...demand.scaled.filter((w) => w.minReplicas > 0)]
        .filter((g) => g.perPod.memory > free.memory || g.perPod.cpu > free.cpu)
        .map((g) => `${g.source} (${mib(g.perPod.memory)}, ${Math.round(g.perPod.cpu)}m per pod)`);
    const where = (n: number) => `${n} x ${pool.instanceType}`;
    const sizes = "infra:nodeGroup (sizes per node AZ) or a larger instance type";
    if (oversized.length > 0) {
        failures.push(`pods larger than what a ${pool.instanceType} node has left after its daemonsets (${mib(free.memory)}, ${free.cpu}m) never schedule: ${oversized.join(", ")}; use a larger instance type`);
    }
    if (!minimum.fits) {
        const need = minimum.nodesNeeded !== undefined ? `: it needs ${minimum.nodesNeeded} nodes` : "";
        failures.push(`at the autoscalers' minimum, the pods do not fit the desired ${where(minimum.nodes)}: ${shortfall(minimum)}${need}; raise ${sizes}`);
    } else if (Math.min(minimum.headroom.cpu, minimum.headroom.memory) < HEADROOM_TARGET) {
        warnings.push(`at the autoscalers' minimum, ${where(minimum.nodes)} keep ${pct(minimum.headroom.memory)} of memory and ${pct(minimum.headroom.cpu)} of CPU free, under ${pct(HEADROOM_TARGET)}: a rolling update's surge may wait for the cluster autoscaler`);
    }
    if (!maximum.fits) {
        warnings.push(`at the autoscalers' maximum, the pods do not fit the maximum ${where(maximum.nodes)}: ${shortfall(maximum)}; pods would stay Pending at peak (raise maxSize in ${sizes})`);
    }
    for (const what of demand.unset) warnings.push(`${what} sets no CPU or memory request: counted as zero`);
    return { pool, minimum, maximum, oversized, failures, warnings, demand };
}

/**
 * The capacity of an environment's whole graph: the EKS add-ons and node groups infra records, the releases and
 * objects platform and apps register, and the workloads as ArgoCD renders them. Undefined without node groups of
 * a known instance type (the plan says so).
 */
export function environmentCapacity(resources: readonly CapacityResource[], rendered: readonly Manifest[]): CapacityReport | undefined {
    const pool = nodePool(resources);
    if (!pool) return undefined;
    const registered = registeredObjects(resources);
    return checkCapacity(mergeDemand(eksAddonDemand(resources), releaseDemand(resources), workloadDemand([...rendered, ...registered.filter((o) => o.kind !== "LimitRange")], registered)), pool);
}
