/**
 * `npm run bench`: how long the offline evaluation takes on this machine. For each environment: each layer's
 * evaluation under mocks and the whole in-process plan (median of several warm runs), and the command line
 * `npm run plan -- <env>` from a cold start (median of a few runs), plus the plan's monthly cost. Then every
 * budget against its target. Budgets live here, never in tests: a test that times itself fails on a busy machine.
 */
import { execFileSync } from "child_process";
import { ENVIRONMENTS, REPO_ROOT } from "../lib/environment";
import { LAYERS, runEnvironment } from "../lib/offline";
import { plan } from "./plan";

const WARM_RUNS = 5;
const COLD_RUNS = 3;

/** A speed budget: what is measured, its target, and the measurement. */
export interface Budget {
    name: string;
    targetMs: number;
    measuredMs: number;
}

/** Budgets (ms) on the reference machine (2 cores): a warm layer evaluation, the warm whole plan, the cold command line. */
export const TARGETS = {
    layerWarm: 2000,
    planWarm: 5000,
    planCold: 10000,
};

/** The budget table: one line per budget, measured against target, "ok" or "OVER". */
export function formatBudgets(budgets: Budget[]): string {
    const width = Math.max(...budgets.map((b) => b.name.length));
    return budgets
        .map((b) => `${b.name.padEnd(width)}  ${b.measuredMs.toFixed(0).padStart(6)} ms  target ${String(b.targetMs).padStart(6)} ms  ${b.measuredMs <= b.targetMs ? "ok" : "OVER"}`)
        .join("\n");
}

export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
    const started = process.hrtime.bigint();
    const result = await fn();
    return [Number(process.hrtime.bigint() - started) / 1e6, result];
}

/** `npm run plan -- <env>` as a user runs it: npm, a new node process, compilation, evaluation, policies, cost. */
function coldPlanMs(env: string): number {
    const runs: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
        const started = Date.now();
        execFileSync("npm", ["run", "--silent", "plan", "--", env, "--json"], { cwd: REPO_ROOT, stdio: "ignore" });
        runs.push(Date.now() - started);
    }
    return median(runs);
}

async function main(): Promise<void> {
    const budgets: Budget[] = [];
    const rows: string[][] = [["environment", ...LAYERS.map((l) => `${l} (ms)`), "whole plan, warm (ms)", "npm run plan, cold (ms)", "resources", "monthly cost (USD)"]];
    for (const env of ENVIRONMENTS) {
        await runEnvironment(env); // warm-up: module loading and compilation
        const layerMs: Record<string, number[]> = Object.fromEntries(LAYERS.map((l) => [l, []]));
        const planMs: number[] = [];
        let resources = 0;
        let cost = 0;
        for (let i = 0; i < WARM_RUNS; i++) {
            const graph = await runEnvironment(env);
            for (const layer of LAYERS) layerMs[layer].push(graph[layer]!.durationMs);
            resources = graph.resources.length;
            const [ms, result] = await time(() => plan({ env, json: false }));
            planMs.push(ms);
            cost = result.cost.totalUsd;
        }
        const cold = coldPlanMs(env);
        rows.push([env, ...LAYERS.map((l) => median(layerMs[l]).toFixed(0)), median(planMs).toFixed(0), cold.toFixed(0), String(resources), cost.toFixed(2)]);
        for (const layer of LAYERS) budgets.push({ name: `${env}: ${layer} layer, warm`, targetMs: TARGETS.layerWarm, measuredMs: median(layerMs[layer]) });
        budgets.push({ name: `${env}: whole plan, warm`, targetMs: TARGETS.planWarm, measuredMs: median(planMs) });
        budgets.push({ name: `${env}: npm run plan, cold`, targetMs: TARGETS.planCold, measuredMs: cold });
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
    console.log(line(rows[0]));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const r of rows.slice(1)) console.log(line(r));
    console.log(`\nmedians of ${WARM_RUNS} warm runs and ${COLD_RUNS} cold command-line runs; node ${process.version}, ${require("os").cpus().length} cores`);
    console.log(`\nbudgets\n${formatBudgets(budgets)}`);
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (error) => {
            console.error(error);
            process.exit(1);
        },
    );
}
