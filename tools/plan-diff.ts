/**
 * What a change does, between the --base side and the head side of a plan: the resources added, removed and
 * changed (by URN; a change lists the inputs that differ, JSON documents compared inside), the cost per line and in
 * total, and the capacity headroom before and after.
 */
import { Layer, RecordedResource } from "../lib/offline";
import { CostEstimate } from "./cost";
import { summarize } from "./plan-tree";

export type ChangeKind = "added" | "removed" | "changed";

export interface FieldChange {
    /** Input path, e.g. `scalingConfig.desiredSize` or `policy{json}.Statement[0].Action`. */
    path: string;
    base: string;
    head: string;
}

export interface ResourceChange {
    kind: ChangeKind;
    layer: Layer;
    type: string;
    name: string;
    urn: string;
    /** The settings that matter (the tree's summary): the head's, the base's for a removed resource. */
    summary: string;
    /** The base's summary when it differs from the head's. */
    baseSummary?: string;
    /** The inputs that differ (at most MAX_FIELDS), and how many more do. */
    fields: FieldChange[];
    moreFields: number;
}

const MAX_FIELDS = 8;
const MAX_VALUE = 80;

/** The first MAX_FIELDS differing fields, and how many more differ. */
export function limitFields(fields: FieldChange[]): { fields: FieldChange[]; moreFields: number } {
    return { fields: fields.slice(0, MAX_FIELDS), moreFields: Math.max(0, fields.length - MAX_FIELDS) };
}

/** Pulumi's marker of a secret value in the recorded inputs. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecret = (v: unknown) => v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

function show(value: unknown): string {
    if (value === undefined) return "(unset)";
    if (isSecret(value)) return "[secret]";
    const text = JSON.stringify(value, (_k, v) => (isSecret(v) ? "[secret]" : v)) ?? String(value);
    return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function asJsonDocument(value: unknown): unknown {
    if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return undefined;
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

/** The paths whose values differ between two input trees. */
export function fieldChanges(base: unknown, head: unknown, at = ""): FieldChange[] {
    if (isSecret(base) || isSecret(head)) {
        const unwrap = (v: unknown) => (isSecret(v) ? (v as { value: unknown }).value : v);
        return JSON.stringify(unwrap(base)) === JSON.stringify(unwrap(head)) ? [] : [{ path: at || "(value)", base: show(base), head: show(head) }];
    }
    const baseDoc = asJsonDocument(base);
    const headDoc = asJsonDocument(head);
    if (baseDoc !== undefined && headDoc !== undefined) return fieldChanges(baseDoc, headDoc, `${at}{json}`);
    const bothObjects = base !== null && head !== null && typeof base === "object" && typeof head === "object" && Array.isArray(base) === Array.isArray(head);
    if (bothObjects) {
        if (Array.isArray(base)) {
            const h = head as unknown[];
            const length = Math.max(base.length, h.length);
            return Array.from({ length }, (_, i) => fieldChanges(base[i], h[i], `${at}[${i}]`)).flat();
        }
        const b = base as Record<string, unknown>;
        const h = head as Record<string, unknown>;
        const keys = [...new Set([...Object.keys(b), ...Object.keys(h)])];
        return keys.flatMap((k) => fieldChanges(b[k], h[k], at ? `${at}.${k}` : k));
    }
    return JSON.stringify(base) === JSON.stringify(head) ? [] : [{ path: at || "(value)", base: show(base), head: show(head) }];
}

/** Every resource added, removed or changed in the layers shown, in the head's order (removed ones after their layer's). */
export function diffResources(base: Partial<Record<Layer, RecordedResource[]>>, head: Partial<Record<Layer, RecordedResource[]>>, layers: Layer[]): ResourceChange[] {
    const changes: ResourceChange[] = [];
    for (const layer of layers) {
        const before = new Map((base[layer] ?? []).map((r) => [r.urn, r]));
        const after = head[layer] ?? [];
        const seen = new Set<string>();
        const entry = (kind: ChangeKind, r: RecordedResource, fields: FieldChange[] = [], baseSummary?: string): ResourceChange => ({
            kind,
            layer,
            type: r.type,
            name: r.name,
            urn: r.urn,
            summary: summarize(r),
            ...(baseSummary !== undefined ? { baseSummary } : {}),
            ...limitFields(fields),
        });
        for (const r of after) {
            seen.add(r.urn);
            const old = before.get(r.urn);
            if (!old) {
                changes.push(entry("added", r));
                continue;
            }
            const fields = fieldChanges(old.inputs, r.inputs);
            if (fields.length > 0) {
                const was = summarize(old);
                changes.push(entry("changed", r, fields, was !== summarize(r) ? was : undefined));
            }
        }
        for (const r of base[layer] ?? []) if (!seen.has(r.urn)) changes.push(entry("removed", r));
    }
    return changes;
}

export interface CostDeltaLine {
    item: string;
    baseUsd: number;
    headUsd: number;
    deltaUsd: number;
}

export interface CostDelta {
    lines: CostDeltaLine[];
    baseUsd: number;
    headUsd: number;
    deltaUsd: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The cost per line (head's order, then lines only the base has) and in total. */
export function costDelta(base: CostEstimate, head: CostEstimate): CostDelta {
    const items = [...new Set([...head.lines.map((l) => l.item), ...base.lines.map((l) => l.item)])];
    const amount = (e: CostEstimate, item: string) => e.lines.find((l) => l.item === item)?.monthlyUsd ?? 0;
    return {
        lines: items.map((item) => ({ item, baseUsd: amount(base, item), headUsd: amount(head, item), deltaUsd: round2(amount(head, item) - amount(base, item)) })),
        baseUsd: base.totalUsd,
        headUsd: head.totalUsd,
        deltaUsd: round2(head.totalUsd - base.totalUsd),
    };
}
