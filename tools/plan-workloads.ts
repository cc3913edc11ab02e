/**
 * What a change does to the workloads ArgoCD syncs: the objects rendered from Git on the --base side and on the head
 * side (lib/workloads.ts, once per side), matched by Application, kind, namespace and name, and the fields that
 * differ (compared like the resources' inputs, tools/plan-diff.ts), with the settings that matter in one line:
 * images, replicas and autoscaler range, requests and limits, volumes. In a GitOps repository most pull requests
 * change apps/workloads, not the Pulumi programs: this is where they show.
 */
import { APPLICATION_TYPE, KubeObject, RenderedObject } from "../lib/workloads";
import { ChangeKind, FieldChange, fieldChanges, limitFields } from "./plan-diff";

export interface WorkloadChange {
    kind: ChangeKind;
    /** The Application that syncs the object. */
    application: string;
    /** The Application's resource in the apps layer (what the diagram marks), when the plan knows it. */
    applicationUrn?: string;
    objectKind: string;
    /** "" for a cluster-scoped object. */
    namespace: string;
    name: string;
    /** `<file>, rendered from <overlay>` (the head's; the base's for a removed object). */
    source: string;
    /** The settings that matter (the head's; the base's for a removed object). */
    summary: string;
    /** The base's summary when it differs from the head's. */
    baseSummary?: string;
    fields: FieldChange[];
    moreFields: number;
}

/** How a change names its object: `Deployment frontend/frontend`. */
export const objectName = (c: Pick<WorkloadChange, "objectKind" | "namespace" | "name">) => `${c.objectKind} ${c.namespace ? `${c.namespace}/` : ""}${c.name}`;

const key = (r: RenderedObject) => [r.application, r.object.kind, r.object.metadata?.namespace ?? "", r.object.metadata?.name].join("\0");

/** Every object added, removed or changed, in the head's order (removed ones after the last object of their Application). */
export function diffWorkloads(base: readonly RenderedObject[], head: readonly RenderedObject[], applicationUrns: Record<string, string> = {}): WorkloadChange[] {
    const before = new Map(base.map((r) => [key(r), r]));
    const after = new Set(head.map(key));
    const entry = (kind: ChangeKind, r: RenderedObject, fields: FieldChange[] = [], baseSummary?: string): WorkloadChange => ({
        kind,
        application: r.application,
        ...(applicationUrns[r.application] ? { applicationUrn: applicationUrns[r.application] } : {}),
        objectKind: r.object.kind,
        namespace: r.object.metadata?.namespace ?? "",
        name: r.object.metadata?.name,
        source: r.source,
        summary: summarizeObject(r.object),
        ...(baseSummary !== undefined ? { baseSummary } : {}),
        ...limitFields(fields),
    });
    const changes: WorkloadChange[] = [];
    for (const r of head) {
        const old = before.get(key(r));
        if (!old) {
            changes.push(entry("added", r));
            continue;
        }
        const fields = fieldChanges(old.object, r.object);
        if (fields.length === 0) continue;
        const was = summarizeObject(old.object);
        changes.push(entry("changed", r, fields, was !== summarizeObject(r.object) ? was : undefined));
    }
    for (const r of base.filter((o) => !after.has(key(o)))) {
        const removed = entry("removed", r);
        const last = changes.map((c) => c.application).lastIndexOf(r.application);
        changes.splice(last < 0 ? changes.length : last + 1, 0, removed);
    }
    return changes;
}

/** A digest shortened to 12 hex digits: the summary says which release, the fields the whole value. */
const shortImage = (image: unknown) => String(image ?? "(no image)").replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}\b/, "@sha256:$1…");

const quantity = (r: Record<string, unknown> | undefined) => (r ? `${r.cpu ?? "-"}/${r.memory ?? "-"}` : "-/-");

function container(c: any): string {
    const requests = c.resources?.requests;
    const limits = c.resources?.limits;
    const resources = requests || limits ? `, ${quantity(requests)}${limits ? ` (limits ${quantity(limits)})` : ""}` : ", no requests";
    return `${c.name}: ${shortImage(c.image)}${resources}`;
}

function volume(v: any): string {
    const type = Object.keys(v).find((k) => k !== "name") ?? "?";
    const claim = v.persistentVolumeClaim?.claimName;
    return claim ? `${v.name} (claim ${claim})` : `${v.name} (${type})`;
}

function claimTemplate(t: any): string {
    const size = t.spec?.resources?.requests?.storage ?? "?";
    return `${t.metadata?.name} ${size}${t.spec?.storageClassName ? ` ${t.spec.storageClassName}` : ""}`;
}

/** The pod template of a workload object, and where it sits. */
function podSpec(o: KubeObject): any {
    if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.spec;
    return o.spec?.template?.spec;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]);

/** The settings that matter of a rendered object, in one line; "" for kinds with nothing to say at a glance. */
export function summarizeObject(o: KubeObject): string {
    const spec = o.spec ?? {};
    if (WORKLOAD_KINDS.has(o.kind)) {
        const pod = podSpec(o) ?? {};
        const parts: string[] = [];
        if (spec.replicas !== undefined) parts.push(`replicas ${spec.replicas}`);
        if (o.kind === "CronJob") parts.push(`schedule ${spec.schedule}`);
        parts.push(...(pod.initContainers ?? []).map((c: any) => `init ${container(c)}`), ...(pod.containers ?? []).map(container));
        const volumes = [...(spec.volumeClaimTemplates ?? []).map(claimTemplate), ...(pod.volumes ?? []).map(volume)];
        if (volumes.length > 0) parts.push(`volumes ${volumes.join(", ")}`);
        return parts.join("; ");
    }
    switch (o.kind) {
        case "HorizontalPodAutoscaler": {
            const metrics = (spec.metrics ?? [])
                .filter((m: any) => m.type === "Resource")
                .map((m: any) => `${m.resource?.name} ${m.resource?.target?.averageUtilization ?? m.resource?.target?.averageValue ?? "?"}${m.resource?.target?.averageUtilization !== undefined ? " %" : ""}`);
            return `${spec.scaleTargetRef?.kind} ${spec.scaleTargetRef?.name}: ${spec.minReplicas ?? 1}-${spec.maxReplicas} replicas${metrics.length > 0 ? ` at ${metrics.join(", ")}` : ""}`;
        }
        case "PersistentVolumeClaim":
            return `${spec.resources?.requests?.storage ?? "?"}${spec.storageClassName ? ` ${spec.storageClassName}` : ""}`;
        case "PodDisruptionBudget":
            return spec.minAvailable !== undefined ? `minAvailable ${spec.minAvailable}` : `maxUnavailable ${spec.maxUnavailable}`;
        default:
            return "";
    }
}

/** The Applications of the apps layer by their name (metadata.name), to their resource's URN. */
export function applicationUrns(resources: readonly { type: string; urn: string; inputs: Record<string, any> }[]): Record<string, string> {
    return Object.fromEntries(resources.filter((r) => r.type === APPLICATION_TYPE && r.inputs.metadata?.name).map((r) => [String(r.inputs.metadata.name), r.urn]));
}
