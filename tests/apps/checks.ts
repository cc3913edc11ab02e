/**
 * Checks of rendered Kubernetes objects the manifest tests share: the Pod Security Standard "restricted", label
 * selectors, quantities, and which pod may open a connection to which other pod under the NetworkPolicies.
 */
import { KubeObject } from "./schemas";

// Quantities are read by the plan's capacity model; the manifest checks use the same reading.
export { cpuMillis, memoryMiB } from "../../lib/quantity";

export type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** Whether a label selector selects these labels (an empty selector selects everything). */
export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
    if (!selector) return true;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = e.key in labels;
        const ok =
            e.operator === "In" ? has && (e.values ?? []).includes(labels[e.key]) :
            e.operator === "NotIn" ? !has || !(e.values ?? []).includes(labels[e.key]) :
            e.operator === "Exists" ? has :
            e.operator === "DoesNotExist" ? !has :
            false;
        if (!ok) return false;
    }
    return true;
}

const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/**
 * Violations of the Pod Security Standard "restricted" (Kubernetes 1.35) by a pod spec; empty when it complies.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export function restrictedViolations(pod: any): string[] {
    const v: string[] = [];
    const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
    const psc = pod.securityContext ?? {};
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push("host namespaces");
    if (psc.windowsOptions?.hostProcess) v.push("host process");
    for (const vol of pod.volumes ?? []) {
        const type = Object.keys(vol).find((k) => k !== "name");
        if (!type || !RESTRICTED_VOLUMES.includes(type)) v.push(`volume ${vol.name} of type ${type}`);
    }
    if ((psc.sysctls ?? []).length > 0) v.push("sysctls");
    if (psc.seLinuxOptions?.type && !["container_t", "container_init_t", "container_kvm_t"].includes(psc.seLinuxOptions.type)) v.push("pod SELinux type");
    if (psc.appArmorProfile?.type === "Unconfined") v.push("pod AppArmor unconfined");
    if (psc.runAsUser === 0) v.push("pod runs as UID 0");
    const podSeccomp = psc.seccompProfile?.type;
    if (podSeccomp !== undefined && !["RuntimeDefault", "Localhost"].includes(podSeccomp)) v.push(`pod seccomp ${podSeccomp}`);
    for (const c of containers) {
        const sc = c.securityContext ?? {};
        const at = `container ${c.name}`;
        if (sc.privileged) v.push(`${at} privileged`);
        if (sc.allowPrivilegeEscalation !== false) v.push(`${at} may escalate privileges`);
        if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) v.push(`${at} not runAsNonRoot`);
        if (sc.runAsUser === 0) v.push(`${at} runs as UID 0`);
        const seccomp = sc.seccompProfile?.type ?? podSeccomp;
        if (!["RuntimeDefault", "Localhost"].includes(seccomp)) v.push(`${at} seccomp ${seccomp ?? "not set"}`);
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) v.push(`${at} does not drop ALL capabilities`);
        for (const cap of sc.capabilities?.add ?? []) if (cap !== "NET_BIND_SERVICE") v.push(`${at} adds ${cap}`);
        if (sc.procMount && sc.procMount !== "Default") v.push(`${at} procMount`);
        if (sc.appArmorProfile?.type === "Unconfined") v.push(`${at} AppArmor unconfined`);
        if (sc.seLinuxOptions?.type && !["container_t", "container_init_t", "container_kvm_t"].includes(sc.seLinuxOptions.type)) v.push(`${at} SELinux type`);
        for (const p of c.ports ?? []) if (p.hostPort) v.push(`${at} host port ${p.hostPort}`);
    }
    return v;
}

/** A pod of a rendered workload: where it runs, its labels and its ports. */
export interface Pod {
    workload: string;
    namespace: string;
    labels: Record<string, string>;
    /** Container ports: number and name. */
    ports: { port: number; name?: string }[];
}

export function podsOf(objects: KubeObject[]): Pod[] {
    return objects
        .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
        .map((o) => ({
            workload: o.metadata.name,
            namespace: o.metadata.namespace!,
            labels: o.spec.template.metadata.labels,
            ports: o.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => ({ port: p.containerPort, name: p.name }))),
        }));
}

/** A client outside the pods: an IP address (the ALB's nodes). */
export interface External {
    ip: string;
}

function ipToNumber(ip: string): number {
    return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const start = ipToNumber(base);
    return ipToNumber(ip) >= start && ipToNumber(ip) < start + size;
}

function portMatches(rulePorts: any[] | undefined, dst: Pod, port: number): boolean {
    if (!rulePorts || rulePorts.length === 0) return true;
    return rulePorts.some((p) => {
        if ((p.protocol ?? "TCP") !== "TCP") return false;
        if (p.port === undefined) return true;
        if (typeof p.port === "number") return p.endPort ? port >= p.port && port <= p.endPort : p.port === port;
        return dst.ports.some((cp) => cp.name === p.port && cp.port === port);
    });
}

function peerMatches(peers: any[] | undefined, policyNamespace: string, other: Pod | External): boolean {
    if (!peers || peers.length === 0) return true;
    return peers.some((peer) => {
        if (peer.ipBlock) {
            if (!("ip" in other)) return false;
            return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip, c));
        }
        if ("ip" in other) return false;
        const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": other.namespace }) : other.namespace === policyNamespace;
        return nsOk && selects(peer.podSelector, other.labels);
    });
}

function policiesFor(policies: KubeObject[], pod: Pod, type: "Ingress" | "Egress"): KubeObject[] {
    return policies.filter(
        (p) => p.metadata.namespace === pod.namespace && selects(p.spec.podSelector, pod.labels) && (p.spec.policyTypes ?? ["Ingress"]).includes(type),
    );
}

/**
 * Whether `src` may open a TCP connection to `dst` on `port`, in namespaces where platform's baseline denies all
 * ingress and egress by default: a policy must allow the egress of the source (pods only) and one the ingress of
 * the destination.
 */
export function allowed(policies: KubeObject[], src: Pod | External, dst: Pod, port: number): boolean {
    const np = policies.filter((o) => o.kind === "NetworkPolicy");
    const egress = "ip" in src || policiesFor(np, src, "Egress").some((p) => (p.spec.egress ?? []).some((r: any) => peerMatches(r.to, p.metadata.namespace!, dst) && portMatches(r.ports, dst, port)));
    const ingress = policiesFor(np, dst, "Ingress").some((p) => (p.spec.ingress ?? []).some((r: any) => peerMatches(r.from, p.metadata.namespace!, src) && portMatches(r.ports, dst, port)));
    return egress && ingress;
}
