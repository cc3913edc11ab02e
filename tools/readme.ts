/**
 * `npm run readme`: rewrites the README's generated blocks from their one source in code, so the manual cannot
 * drift from the program. A block is delimited by `<!-- generated:<name> -->` and `<!-- /generated:<name> -->`;
 * `--check` changes nothing and exits 1 when a block is stale (the test suite runs the same check).
 */
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS, REPO_ROOT } from "../lib/environment";
import { chartTable } from "../platform/charts";
import { exceptionTable, ruleTable } from "../policies/readme-tables";
import { addServiceChecklist } from "./extending";
import { capacitySample, commentSample, planSample, samplePlan } from "./plan-samples";

type Render = () => string | Promise<string>;

/** The monthly cost of the committed settings, per line, from the plan of both environments (tools/cost.ts, prices.ts). */
export async function costTable(): Promise<string> {
    const costs = await Promise.all(ENVIRONMENTS.map(async (env) => (await samplePlan({ env })).cost));
    // "EC2 nodes (t3.small)": one row per item, what differs between the environments in the cell.
    const key = (item: string) => item.replace(/ \(([^)]*)\)$/, "");
    const items = [...new Set(costs.flatMap((c) => c.lines.map((l) => key(l.item))))];
    const money = (n: number) => `$${n.toFixed(2)}`;
    const cell = (c: (typeof costs)[number], item: string) => {
        const line = c.lines.find((l) => key(l.item) === item);
        if (!line) return "—";
        const detail = / \(([^)]*)\)$/.exec(line.item)?.[1];
        return detail ? `${money(line.monthlyUsd)} (${detail})` : money(line.monthlyUsd);
    };
    return [
        `| item | ${ENVIRONMENTS.join(" | ")} |`,
        `|---|${ENVIRONMENTS.map(() => "---:").join("|")}|`,
        ...items.map((item) => `| ${item} | ${costs.map((c) => cell(c, item)).join(" | ")} |`),
        `| **total** | ${costs.map((c) => `**${money(c.totalUsd)}**`).join(" | ")} |`,
    ].join("\n");
}

/** Each generated block of the README and the code that renders it. */
export const GENERATED_BLOCKS: Record<string, Render> = {
    charts: chartTable,
    "policy-exceptions": exceptionTable,
    "checkov-rules": ruleTable,
    "extending-service": addServiceChecklist,
    "monthly-cost": costTable,
    "destroy-sample": async () => (await import("./destroy")).dryRunSample("staging"),
    "job-timeouts": async () => (await import("./timeouts")).timeoutsTable(),
    "plan-sample": planSample,
    "plan-capacity-sample": capacitySample,
    "plan-comment-sample": commentSample,
};

const BLOCK = /<!-- generated:([\w-]+) -->\n[\s\S]*?<!-- \/generated:\1 -->/g;

/** The README with every generated block rendered anew; rejects on a block name no code renders. */
export async function renderReadme(text: string, blocks: Record<string, Render> = GENERATED_BLOCKS): Promise<string> {
    const rendered = new Map<string, string>();
    for (const name of blockNames(text)) {
        const render = blocks[name];
        if (!render) throw new Error(`README.md: no code renders the block "${name}" (known: ${Object.keys(blocks).join(", ")})`);
        if (!rendered.has(name)) rendered.set(name, await render());
    }
    return text.replace(BLOCK, (_, name: string) => `<!-- generated:${name} -->\n${rendered.get(name)}\n<!-- /generated:${name} -->`);
}

/** Names of the generated blocks a text contains, in order. */
export function blockNames(text: string): string[] {
    return [...text.matchAll(BLOCK)].map((m) => m[1]);
}

export async function main(argv: string[], file = path.join(REPO_ROOT, "README.md")): Promise<number> {
    const text = fs.readFileSync(file, "utf8");
    const rendered = await renderReadme(text);
    if (argv.includes("--check")) {
        if (rendered === text) return 0;
        console.error("README.md: generated blocks are stale; run `npm run readme`");
        return 1;
    }
    if (rendered !== text) fs.writeFileSync(file, rendered);
    return 0;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
