/**
 * The plan as a pull-request comment (GitHub-flavoured markdown): a summary table, the fails and warnings, the
 * changed resources, the policy findings, the cost table and a Mermaid diagram of the environment's layers and main
 * resources (the top of each layer's tree) with the changed ones marked. The first line is a marker the workflow
 * finds to update its one comment on each push. GitHub limits a comment to 65,536 characters: long lists are cut
 * with a count of what is left out.
 */
import { countNodes, PlanNode } from "./plan-tree";
import { capacityText, changesText, countsText, money, monthlyText, PlanResult, priceFallback, signedMoney, verdictText } from "./plan-result";
import { ResourceChange } from "./plan-diff";
import { WorkloadChange } from "./plan-workloads";

/** The first line of the comment, per environment: the workflow updates the comment that starts with it. */
export const commentMarker = (env: string) => `<!-- eks-gitops-platform plan: ${env} -->`;

const MAX_CHANGES = 60;
const MAX_VIOLATIONS = 40;
const COMMENT_LIMIT = 65536;

/** A table cell: pipes escaped, newlines flattened. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
/** Inline code, unless the text holds a backtick. */
const code = (text: string) => (text.includes("`") ? cell(text) : `\`${cell(text)}\``);

const KIND: Record<ResourceChange["kind"], string> = { added: "➕ added", removed: "➖ removed", changed: "✏️ changed" };

export function planMarkdown(r: PlanResult): string {
    const ok = r.exitCode === 0;
    const out: string[] = [commentMarker(r.environment), `## ${ok ? "✅" : "❌"} Offline plan of \`${r.environment}\``, ""];
    out.push("| | |", "|---|---|");
    out.push(`| **Verdict** | ${cell(verdictText(r))} (exit ${r.exitCode}) |`);
    out.push(`| **Monthly cost** | ${cell(monthlyText(r))} |`);
    out.push(`| **Capacity** | ${cell(capacityText(r.capacity, r.capacityNote, r.base?.capacity))} |`);
    if (r.changes && r.base) out.push(`| **Changes** | ${cell(changesText(r))} (against \`${cell(r.base.ref)}\`, \`${r.base.commit.slice(0, 12)}\`) |`);
    out.push(`| **Warnings** | ${r.warnings.length} |`, "");

    if (r.failures.length > 0) out.push("**Fails**", "", ...r.failures.map((f) => `- ${f}`), "");
    if (r.warnings.length > 0) out.push("**Warnings**", "", ...r.warnings.map((w) => `- ${w}`), "");

    if (r.changes) out.push(...changesSection(r.changes));
    if (r.workloadChanges) out.push(...workloadSection(r.workloadChanges));
    out.push(...policySection(r));
    out.push(...costSection(r));
    out.push("### Environment", "", "```mermaid", ...diagram(r), "```", "", "<sub>🟩 added · 🟨 changed · 🟥 removed (the boxes are the top of each layer's resource tree; an Application whose workloads change hangs from the box that holds it)</sub>", "");
    const footer = `<sub>Offline plan (Pulumi mocks, no cloud account) as on ${r.today}, ${r.cost.region} prices of ${r.cost.priceChecked}: \`npm run plan -- ${r.environment}${r.base ? ` --base ${r.base.ref}` : ""}\`. Not estimated: ${cell(r.cost.notEstimated.join("; "))}.</sub>`;
    const text = [...out, footer].join("\n");
    const trees = ["<details><summary>Resources</summary>", "", "```", ...r.layers.flatMap((l) => [`== ${l.layer}: ${l.resourceCount} resources ==`, ...treeLines(l.tree)]), "```", "</details>", ""].join("\n");
    // The trees only when the comment stays under GitHub's limit.
    return text.length + trees.length + 1 < COMMENT_LIMIT ? [...out, trees, footer].join("\n") + "\n" : text + "\n";
}

/** The comment when the plan cannot run (a user error, exit 2): the same marker, so it replaces the last plan. */
export function errorMarkdown(env: string, message: string, exitCode: number): string {
    return [commentMarker(env), `## ❌ Offline plan of \`${env}\`: it cannot run (exit ${exitCode})`, "", "```", message.trimEnd(), "```", ""].join("\n");
}

function treeLines(nodes: PlanNode[], indent = ""): string[] {
    return nodes.flatMap((n, i) => {
        const last = i === nodes.length - 1;
        return [`${indent}${last ? "└─ " : "├─ "}${n.type} ${n.name}${n.summary ? `  (${n.summary})` : ""}`, ...treeLines(n.children, indent + (last ? "   " : "│  "))];
    });
}

/** The fields that differ, one per line in a cell, and how many more. */
const fieldsCell = (c: ResourceChange | WorkloadChange) => [...c.fields.map((f) => `${code(f.path)}: ${code(f.base)} → ${code(f.head)}`), ...(c.moreFields > 0 ? [`and ${c.moreFields} more`] : [])].join("<br>");
/** The settings that matter, before → after when they differ. */
const settingsCell = (c: ResourceChange | WorkloadChange) => (c.baseSummary !== undefined ? `${cell(c.baseSummary)} → ${cell(c.summary)}` : cell(c.summary));

function changesSection(changes: ResourceChange[]): string[] {
    const out = [`### Changed resources (${countsText(changes)})`, ""];
    if (changes.length === 0) return [...out, "The change adds, removes and changes no resource.", ""];
    out.push("| | layer | resource | settings that matter | inputs |", "|---|---|---|---|---|");
    for (const c of changes.slice(0, MAX_CHANGES)) out.push(`| ${KIND[c.kind]} | ${c.layer} | ${code(c.type)} ${code(c.name)} | ${settingsCell(c)} | ${fieldsCell(c)} |`);
    if (changes.length > MAX_CHANGES) out.push("", `… and ${changes.length - MAX_CHANGES} more (the job's log and \`--json\` list them all).`);
    return [...out, ""];
}

/** The objects ArgoCD would sync that the change adds, removes or changes, with the file each is defined in. */
function workloadSection(changes: WorkloadChange[]): string[] {
    const out = [`### Changed workloads (${countsText(changes)})`, ""];
    if (changes.length === 0) return [...out, "The change adds, removes and changes no object ArgoCD would sync.", ""];
    out.push("| | Application | object | settings that matter | fields |", "|---|---|---|---|---|");
    for (const c of changes.slice(0, MAX_CHANGES)) {
        out.push(`| ${KIND[c.kind]} | ${cell(c.application)} | ${code(c.objectKind)} ${code(`${c.namespace ? `${c.namespace}/` : ""}${c.name}`)}<br><sub>${cell(c.source)}</sub> | ${settingsCell(c)} | ${fieldsCell(c)} |`);
    }
    if (changes.length > MAX_CHANGES) out.push("", `… and ${changes.length - MAX_CHANGES} more (the job's log and \`--json\` list them all).`);
    return [...out, ""];
}

function policySection(r: PlanResult): string[] {
    const out = [`### Policy findings (${r.policies.mandatory} mandatory, ${r.policies.advisory} advisory)`, ""];
    const exceptions = new Set(r.policies.excepted.map((e) => e.exceptionId));
    const excepted = exceptions.size > 0 ? [`${exceptions.size} documented exception(s) let ${r.policies.excepted.length} finding(s) pass (README: documented exceptions).`, ""] : [];
    if (r.policies.violations.length === 0) return [...out, "No violations.", "", ...excepted];
    out.push("| level | policy | resource | finding |", "|---|---|---|---|");
    for (const v of r.policies.violations.slice(0, MAX_VIOLATIONS)) {
        out.push(`| ${v.enforcementLevel} | ${code(v.policyName)} | ${v.resourceType ? `${code(v.resourceType)} ${code(v.resourceName ?? "")}` : "(stack)"} | ${cell(v.message)} |`);
    }
    if (r.policies.violations.length > MAX_VIOLATIONS) out.push("", `… and ${r.policies.violations.length - MAX_VIOLATIONS} more.`);
    return [...out, "", ...excepted];
}

function costSection(r: PlanResult): string[] {
    const c = r.cost;
    const fallback = priceFallback(r);
    const out = [`### Monthly cost (${c.currency}, ${c.region} list prices of ${c.priceChecked}${fallback ? `: ${fallback}` : ""})`, ""];
    if (r.costDelta) {
        out.push("| item | base | head | delta |", "|---|---:|---:|---:|");
        for (const l of r.costDelta.lines) out.push(`| ${cell(l.item)} | ${money(l.baseUsd)} | ${money(l.headUsd)} | ${l.deltaUsd === 0 ? "" : signedMoney(l.deltaUsd)} |`);
        out.push(`| **total** | **${money(r.costDelta.baseUsd)}** | **${money(r.costDelta.headUsd)}** | **${signedMoney(r.costDelta.deltaUsd)}** |`);
    } else {
        out.push("| item | monthly | basis |", "|---|---:|---|");
        for (const l of c.lines) out.push(`| ${cell(l.item)} | ${money(l.monthlyUsd)} | ${cell(l.basis)} |`);
        out.push(`| **total** | **${money(c.totalUsd)}** | |`);
    }
    return [...out, ""];
}

/** Providers and stack references are plumbing, not resources a reviewer looks for. */
const isMainResource = (n: PlanNode) => !n.type.startsWith("pulumi:providers:") && n.type !== "pulumi:pulumi:StackReference";

/** Mermaid text in a label: quotes as entities (a quote would end the label). */
const label = (text: string) => text.replace(/"/g, "#quot;");

/**
 * A flowchart of the layers (subgraphs, in deploy order) and their main resources: the roots of each layer's tree
 * (providers and stack references aside), classed added / changed (anything inside changed) / removed (the base's roots the head lacks).
 */
export function diagram(r: PlanResult): string[] {
    const workloads = new Map<string, WorkloadChange[]>();
    for (const c of r.workloadChanges ?? []) workloads.set(c.application, [...(workloads.get(c.application) ?? []), c]);
    // An Application whose objects change counts as changed: the box holding it is marked.
    const changed = new Set([...(r.changes ?? []).map((c) => c.urn), ...(r.workloadChanges ?? []).flatMap((c) => (c.applicationUrn ? [c.applicationUrn] : []))]);
    const added = new Set((r.changes ?? []).filter((c) => c.kind === "added").map((c) => c.urn));
    const urns = (n: PlanNode): string[] => [n.urn, ...n.children.flatMap(urns)];
    const lines = ["flowchart LR"];
    const classes: Record<string, string[]> = { added: [], changed: [], removed: [] };
    let id = 0;
    /** The layer whose tree holds an Application's resource; apps (or the last layer shown) when none does. */
    const homeOf = (urn: string | undefined) => r.layers.find((l) => urn !== undefined && l.tree.some((n) => urns(n).includes(urn))) ?? r.layers.find((l) => l.layer === "apps") ?? r.layers.at(-1);
    for (const layer of r.layers) {
        const roots = layer.tree.filter(isMainResource);
        const baseRoots = (r.base?.layers.find((l) => l.layer === layer.layer)?.tree ?? []).filter(isMainResource);
        const headUrns = new Set(roots.map((n) => n.urn));
        const removed = baseRoots.filter((n) => !headUrns.has(n.urn));
        lines.push(`  subgraph ${layer.layer}["${layer.layer}"]`);
        const boxes = new Map<PlanNode, string>();
        for (const node of [...roots, ...removed]) {
            const nodeId = `${layer.layer}_${id++}`;
            const count = countNodes([node]);
            const type = node.type.split(":").pop();
            lines.push(`    ${nodeId}["${label(node.name)}<br/>${label(`${type}${count > 1 ? ` · ${count} resources` : ""}`)}"]`);
            const before = baseRoots.find((b) => b.urn === node.urn);
            const touched = [...urns(node), ...(before ? urns(before) : [])].some((u) => changed.has(u));
            if (removed.includes(node)) classes.removed.push(nodeId);
            else if (added.has(node.urn)) classes.added.push(nodeId);
            else if (touched) classes.changed.push(nodeId);
            boxes.set(node, nodeId);
        }
        // Each Application whose workloads change, beside the box that holds it (apps' when the plan does not know its resource).
        for (const [application, list] of workloads) {
            if (homeOf(list[0].applicationUrn) !== layer) continue;
            const holder = roots.find((n) => urns(n).includes(list[0].applicationUrn ?? ""));
            const nodeId = `${layer.layer}_${id++}`;
            const counts = (["added", "removed", "changed"] as const).map((k) => [k, list.filter((c) => c.kind === k).length] as const).filter(([, n]) => n > 0);
            lines.push(`    ${nodeId}["${label(application)}<br/>${label(`Application · workloads ${counts.map(([k, n]) => `${n} ${k}`).join(", ")}`)}"]`);
            if (holder) lines.push(`    ${boxes.get(holder)} --> ${nodeId}`);
            classes[list.every((c) => c.kind === "added") ? "added" : list.every((c) => c.kind === "removed") ? "removed" : "changed"].push(nodeId);
        }
        lines.push("  end");
    }
    for (let i = 1; i < r.layers.length; i++) lines.push(`  ${r.layers[i - 1].layer} --> ${r.layers[i].layer}`);
    lines.push("  classDef added fill:#dafbe1,stroke:#1a7f37,color:#1f2328");
    lines.push("  classDef changed fill:#fff8c5,stroke:#9a6700,color:#1f2328");
    lines.push("  classDef removed fill:#ffebe9,stroke:#cf222e,color:#1f2328,stroke-dasharray:4 3");
    for (const [name, ids] of Object.entries(classes)) if (ids.length > 0) lines.push(`  class ${ids.join(",")} ${name}`);
    return lines;
}
