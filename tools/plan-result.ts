/**
 * What `npm run plan` answers, as one document: the text, the markdown and `--json` are renderings of it.
 */
import type { PolicyReport } from "../policies/offline";
import type { CapacityReport } from "./capacity";
import type { CostEstimate } from "./cost";
import type { CostDelta, ResourceChange } from "./plan-diff";
import type { LayerPlan } from "./plan-environment";
import type { WorkloadChange } from "./plan-workloads";

export interface PlanResult {
    environment: string;
    /** The day the plan was made for (lib/today). */
    today: string;
    /** The environment's aws:region. */
    region: string;
    /** What fails the plan (exit 1): mandatory policy violations, pods that do not fit at the minimum. */
    failures: string[];
    /** 1 when anything fails. */
    exitCode: 0 | 1;
    /** What a person should act on: the programs' warnings, the cost's and the capacity's, the fork checklist, the policies' notices (a service never released). */
    warnings: string[];
    layers: LayerPlan[];
    notes: string[];
    policies: {
        violations: PolicyReport["violations"];
        mandatory: number;
        advisory: number;
        /** Findings documented exceptions let pass, with their reasons. */
        excepted: PolicyReport["excepted"];
    };
    cost: CostEstimate;
    /** Absent when it could not be checked (capacityNote says why). */
    capacity?: CapacityReport;
    capacityNote?: string;
    /** With --base: the ref's side and what changes. */
    base?: {
        ref: string;
        commit: string;
        cost: CostEstimate;
        capacity?: CapacityReport;
        layers: LayerPlan[];
    };
    changes?: ResourceChange[];
    /** With --base, when both sides render the workloads: the objects ArgoCD would sync that are added, removed or changed. */
    workloadChanges?: WorkloadChange[];
    costDelta?: CostDelta;
}

export const money = (n: number) => `${n < 0 ? "-" : ""}$${Math.abs(n).toFixed(2)}`;
export const signedMoney = (n: number) => (n > 0 ? `+${money(n)}` : n === 0 ? "±$0.00" : money(n));
export const percent = (share: number) => `${Math.round(share * 100)} %`;

/** The verdict in words. */
export function verdictText(r: PlanResult): string {
    if (r.exitCode === 0) {
        const fits = r.capacity ? "the pods fit the nodes" : "capacity not checked";
        return `OK: no mandatory policy violation; ${fits}`;
    }
    const parts: string[] = [];
    if (r.policies.mandatory > 0) parts.push(`${r.policies.mandatory} mandatory policy violation(s)`);
    if (r.capacity && r.capacity.failures.length > 0) parts.push("the pods do not fit the nodes at the minimum");
    return `FAILS: ${parts.join("; ")}`;
}

/** "no table for <region>" when tools/prices.ts has no table for the environment's region (the estimate then uses another's). */
export function priceFallback(r: Pick<PlanResult, "region" | "cost">): string | undefined {
    return r.region !== r.cost.region ? `no table for ${r.region}` : undefined;
}

/** The monthly total, with the delta against the base, and whose prices when they are not the region's. */
export function monthlyText(r: PlanResult): string {
    const total = money(r.cost.totalUsd);
    const fallback = priceFallback(r);
    const prices = fallback ? ` (${r.cost.region} prices: ${fallback})` : "";
    return r.costDelta ? `${total} a month (${signedMoney(r.costDelta.deltaUsd)} from ${money(r.costDelta.baseUsd)})${prices}` : `${total} a month${prices}`;
}

/** The capacity headroom in one line. */
export function capacityText(c: CapacityReport | undefined, note?: string, base?: CapacityReport): string {
    if (!c) return note ?? "not checked";
    const min = c.minimum;
    const was = base ? ` (was ${percent(base.minimum.headroom.memory)} / ${percent(base.minimum.headroom.cpu)})` : "";
    const fit = min.fits ? `${percent(min.headroom.memory)} of memory and ${percent(min.headroom.cpu)} of CPU free${was}` : `does not fit (needs ${min.nodesNeeded ?? "more"} nodes)`;
    const peak = c.maximum.fits ? `the autoscalers' maximum fits ${c.maximum.nodes} nodes` : `the autoscalers' maximum does not fit ${c.maximum.nodes} nodes`;
    return `${min.nodes} x ${c.pool.instanceType} at the minimum: ${fit}; ${peak}`;
}

/** Counts of changes, e.g. "1 added, 0 removed, 2 changed"; "no changes". */
export function countsText(changes: readonly { kind: string }[]): string {
    const count = (k: string) => changes.filter((c) => c.kind === k).length;
    return changes.length === 0 ? "no changes" : `${count("added")} added, ${count("removed")} removed, ${count("changed")} changed`;
}

/** The changes against the base in one line: the resources, and the workloads when they were compared. */
export function changesText(r: Pick<PlanResult, "changes" | "workloadChanges">): string {
    const resources = `resources: ${countsText(r.changes ?? [])}`;
    return r.workloadChanges ? `${resources}; workloads: ${countsText(r.workloadChanges)}` : resources;
}
