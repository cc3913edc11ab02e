/**
 * The plan as text for a terminal or a CI log: the summary first (verdict, monthly total and delta, capacity
 * headroom, changes, warnings), then the warnings, the changes against the base (the resources, then the objects
 * ArgoCD would sync), the policy findings, the capacity, the cost, and the resource trees last.
 */
import { CapacityReport } from "./capacity";
import { ResourceChange } from "./plan-diff";
import { objectName, WorkloadChange } from "./plan-workloads";
import { renderTree } from "./plan-tree";
import { capacityText, changesText, countsText, money, monthlyText, percent, PlanResult, priceFallback, signedMoney, verdictText } from "./plan-result";

const SYMBOL: Record<ResourceChange["kind"], string> = { added: "+", removed: "-", changed: "~" };

export function formatPlan(r: PlanResult): string {
    const out: string[] = [];
    const against = r.base ? `, against ${r.base.ref} (${r.base.commit.slice(0, 12)})` : "";
    out.push(`Offline plan of ${r.environment} (Pulumi mocks, no cloud account), as on ${r.today}${against}`, "");
    const rows: [string, string][] = [
        ["verdict", `${verdictText(r)} (exit ${r.exitCode})`],
        ["monthly", monthlyText(r)],
        ["capacity", capacityText(r.capacity, r.capacityNote, r.base?.capacity)],
        ...(r.changes ? [["changes", changesText(r)] as [string, string]] : []),
        ["warnings", r.warnings.length === 0 ? "none" : `${r.warnings.length} (below)`],
    ];
    for (const [k, v] of rows) out.push(`  ${k.padEnd(9)} ${v}`);
    out.push("");

    if (r.failures.length > 0) {
        out.push(`== fails (${r.failures.length}) ==`);
        for (const f of r.failures) out.push(`  - ${f}`);
        out.push("");
    }
    if (r.warnings.length > 0) {
        out.push(`== warnings (${r.warnings.length}) ==`);
        for (const w of r.warnings) out.push(`  - ${w}`);
        out.push("");
    }
    if (r.changes && r.base) {
        out.push(`== resource changes against ${r.base.ref}: ${countsText(r.changes)} ==`);
        for (const c of r.changes) out.push(...changeLines(`${c.layer} ${c.type} ${c.name}`, c, "input"));
        out.push("");
    }
    if (r.workloadChanges && r.base) {
        out.push(`== workload changes against ${r.base.ref} (the objects ArgoCD would sync): ${countsText(r.workloadChanges)} ==`);
        for (const c of r.workloadChanges) out.push(...changeLines(`${c.application}: ${objectName(c)}`, c, "field", `    in ${c.source}`));
        out.push("");
    }

    out.push(`== policies: ${r.policies.mandatory} mandatory, ${r.policies.advisory} advisory violation(s) ==`);
    const byPolicy = new Map<string, typeof r.policies.violations>();
    for (const v of r.policies.violations) byPolicy.set(v.policyName, [...(byPolicy.get(v.policyName) ?? []), v]);
    if (byPolicy.size === 0) out.push("No violations.");
    for (const [policy, violations] of byPolicy) {
        out.push(`[${violations[0].enforcementLevel}] ${policy}`);
        for (const v of violations) out.push(`  - ${v.resourceType ? `${v.resourceType} ${v.resourceName}: ` : ""}${v.message}`);
    }
    const byException = new Map<string, typeof r.policies.excepted>();
    for (const e of r.policies.excepted) byException.set(e.exceptionId, [...(byException.get(e.exceptionId) ?? []), e]);
    if (byException.size > 0) out.push(`Documented exceptions (${byException.size}, passing ${r.policies.excepted.length} finding(s)):`);
    for (const [id, found] of byException) {
        out.push(`[exception] ${id} (${found[0].policyName}, ${found[0].rule}): ${found[0].reason}`);
        for (const e of found) out.push(`  - ${e.resourceType ? `${e.resourceType} ${e.resourceName}` : "(stack)"}: ${e.subject}`);
    }
    out.push("");

    out.push(...capacitySection(r.capacity, r.capacityNote), "");
    out.push(...costSection(r), "");

    for (const layer of r.layers) {
        out.push(`== ${layer.layer}: ${layer.resourceCount} resources ==`);
        out.push(...renderTree(layer.tree));
        out.push("");
    }
    for (const note of r.notes) out.push(`Note: ${note}`);
    out.push("");
    out.push(`Result: ${verdictText(r)} (exit ${r.exitCode}).`);
    return out.join("\n");
}

/** One change: what it is with its settings, what they were, where it is defined, the fields that differ. */
function changeLines(what: string, c: ResourceChange | WorkloadChange, noun: string, where?: string): string[] {
    return [
        `${SYMBOL[c.kind]} ${what}${c.summary ? `  (${c.summary})` : ""}`,
        ...(c.baseSummary !== undefined ? [`    was (${c.baseSummary})`] : []),
        ...(where ? [where] : []),
        ...c.fields.map((f) => `    ${f.path}: ${f.base} -> ${f.head}`),
        ...(c.moreFields > 0 ? [`    ... and ${c.moreFields} more ${noun}(s)`] : []),
    ];
}

function capacitySection(c: CapacityReport | undefined, note: string | undefined): string[] {
    if (!c) return ["== capacity ==", note ?? "not checked"];
    const out = [`== capacity: ${c.pool.desired} x ${c.pool.instanceType} (min ${c.pool.min}, max ${c.pool.max}), ${Math.round(c.pool.allocatable.memory)} MiB and ${c.pool.allocatable.cpu}m allocatable each ==`];
    for (const s of [c.minimum, c.maximum]) {
        const what = s.scale === "minimum" ? `autoscalers at their minimum, on the desired ${s.nodes} nodes` : `autoscalers at their maximum, on the maximum ${s.nodes} nodes`;
        out.push(
            `${what}: memory ${Math.round(s.requested.memory)} of ${Math.round(s.allocatable.memory)} MiB (${percent(s.headroom.memory)} free), CPU ${Math.round(s.requested.cpu)}m of ${s.allocatable.cpu}m (${percent(s.headroom.cpu)} free): ${s.fits ? "fits" : "DOES NOT FIT"}`,
        );
    }
    const pods = [...c.demand.fixed.map((g) => ({ ...g, count: `${g.replicas}` })), ...c.demand.scaled.map((w) => ({ ...w, count: `${w.minReplicas}-${w.maxReplicas}` })), ...c.demand.perNode.map((g) => ({ ...g, count: "per node" }))]
        .sort((a, b) => b.perPod.memory - a.perPod.memory)
        .slice(0, 5);
    out.push(`largest pods: ${pods.map((p) => `${p.source} ${Math.round(p.perPod.memory)} MiB/${Math.round(p.perPod.cpu)}m x ${p.count}`).join("; ")}`);
    return out;
}

function costSection(r: PlanResult): string[] {
    const c = r.cost;
    const fallback = priceFallback(r);
    const out = [`== monthly cost estimate (${c.currency}, ${c.region} prices${fallback ? ` (${fallback})` : ""}, ${c.priceChecked}: ${c.priceSource}) ==`];
    const basis = new Map(c.lines.map((l) => [l.item, l.basis]));
    if (r.costDelta) {
        const width = Math.max(5, ...r.costDelta.lines.map((l) => l.item.length));
        out.push(`${"".padEnd(width)}  ${"base".padStart(10)}  ${"head".padStart(10)}  ${"delta".padStart(10)}`);
        for (const l of r.costDelta.lines) {
            out.push(`${l.item.padEnd(width)}  ${money(l.baseUsd).padStart(10)}  ${money(l.headUsd).padStart(10)}  ${(l.deltaUsd === 0 ? "" : signedMoney(l.deltaUsd)).padStart(10)}  ${basis.get(l.item) ?? "(not in head)"}`);
        }
        out.push(`${"Total".padEnd(width)}  ${money(r.costDelta.baseUsd).padStart(10)}  ${money(r.costDelta.headUsd).padStart(10)}  ${signedMoney(r.costDelta.deltaUsd).padStart(10)}`);
    } else {
        const width = Math.max(5, ...c.lines.map((l) => l.item.length));
        for (const l of c.lines) out.push(`${l.item.padEnd(width)}  ${money(l.monthlyUsd).padStart(10)}  ${l.basis}`);
        out.push(`${"Total".padEnd(width)}  ${money(c.totalUsd).padStart(10)}`);
    }
    out.push(`Not estimated: ${c.notEstimated.join("; ")}.`);
    return out;
}
