/**
 * `npm run bench`: how long the offline plan takes on this machine, printed against its budgets. Budgets live here,
 * never in tests: a test that times itself fails on a busy machine.
 *
 * Per environment: each layer's evaluation under mocks and the whole in-process plan (medians of warm runs), the
 * command line from a cold start, and two ratios that do not depend on how fast the machine is:
 * - the cold `npm run -s plan -- <env>` against the time a new Node process needs just to load the Pulumi SDKs the
 *   programs use (the same packages, the same modules of them: derived from the plan's resource types; the plan
 *   runs with Node's compile cache, so that load is also shown with it);
 * - `--base HEAD` (both sides, git archive, the diff) against the plain plan.
 * The cold runs are interleaved (SDK load, plan, plan --base, again), so a busy moment weighs on all three alike.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ENVIRONMENTS, REPO_ROOT } from "../lib/environment";
import { KEEP_VARIABLE, LAYERS, runEnvironment } from "../lib/offline";
import { cacheDir } from "../lib/workloads";
import { plan } from "./plan";

const WARM_RUNS = 5;
const COLD_RUNS = 5;

/** A budget: what is measured, its target and the measurement, in ms or as a ratio. */
export interface Budget {
    name: string;
    target: number;
    measured: number;
    unit: "ms" | "x";
}

/** Targets on the reference machine (2 cores). */
export const TARGETS = {
    layerWarm: 2000,
    planWarm: 5000,
    planCold: 10000,
    /** Cold `npm run plan` / the SDKs' load time. */
    coldOverSdk: 1.6,
    /** Cold `npm run plan --base` / cold `npm run plan`. */
    baseOverPlain: 2.0,
};

/** The budget table: one line per budget, measured against target, "ok" or "OVER". */
export function formatBudgets(budgets: Budget[]): string {
    const width = Math.max(...budgets.map((b) => b.name.length));
    const show = (b: Budget, n: number) => (b.unit === "ms" ? `${n.toFixed(0).padStart(6)} ms` : `${n.toFixed(2).padStart(6)} x `);
    return budgets.map((b) => `${b.name.padEnd(width)}  ${show(b, b.measured)}  target ${show(b, b.target)}  ${b.measured <= b.target ? "ok" : "OVER"}`).join("\n");
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

function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
    const started = process.hrtime.bigint();
    execFileSync(command, args, { cwd: REPO_ROOT, stdio: "ignore", env });
    return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * A script that loads what the programs load from the SDKs: each package, and each module of @pulumi/aws and
 * @pulumi/kubernetes whose resources the plan creates (both load their modules lazily, on first use).
 */
export function sdkLoadScript(resourceTypes: string[]): string {
    const packages = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/awsx", "@pulumi/eks", "@pulumi/kubernetes", "@pulumi/random", "@pulumi/policy"];
    const touch = new Set<string>();
    for (const type of resourceTypes) {
        const [pkg, module] = type.split(":");
        if (pkg === "aws" && module.includes("/")) touch.add(`aws.${module.split("/")[0]}`);
        if (pkg === "kubernetes" && module.includes("/")) {
            const [group, version] = module.split("/");
            // core/v1 -> k8s.core.v1, storage.k8s.io/v1 -> k8s.storage.v1, helm.sh/v3 -> k8s.helm.v3; custom resources
            // (argoproj.io, ...) go through k8s.apiextensions, touched below.
            touch.add(`k8s[${JSON.stringify(group.split(".")[0])}]?.[${JSON.stringify(version)}]`);
        }
    }
    return [
        `const [aws, k8s] = [require("@pulumi/aws"), require("@pulumi/kubernetes")];`,
        ...packages.map((p) => `require(${JSON.stringify(p)});`),
        ...[...touch, "k8s.apiextensions"].sort().map((t) => `void ${t};`),
    ].join("\n");
}

async function main(): Promise<void> {
    // Every run evaluated: the engine would otherwise hand back the warm runs it kept.
    process.env[KEEP_VARIABLE] = "0";
    const budgets: Budget[] = [];
    const rows: string[][] = [
        ["environment", ...LAYERS.map((l) => `${l} (ms)`), "whole plan, warm (ms)", "SDK load (ms)", "SDK load, compile cache (ms)", "npm run plan, cold (ms)", "plan --base, cold (ms)", "cold / SDK", "--base / plan", "resources", "monthly cost (USD)"],
    ];
    const load = os.loadavg()[0];
    let firstRunMs = 0;
    for (const env of ENVIRONMENTS) {
        await runEnvironment(env); // warm-up: module loading and compilation
        const layerMs: Record<string, number[]> = Object.fromEntries(LAYERS.map((l) => [l, []]));
        const planMs: number[] = [];
        let resources: string[] = [];
        let cost = 0;
        for (let i = 0; i < WARM_RUNS; i++) {
            const graph = await runEnvironment(env);
            for (const layer of LAYERS) layerMs[layer].push(graph[layer]!.durationMs);
            resources = graph.resources.map((r) => r.type);
            const [ms, result] = await time(() => plan({ env }));
            planMs.push(ms);
            cost = result.cost.totalUsd;
        }

        const probe = path.join(cacheDir(), `sdk-load-${env}.js`);
        fs.mkdirSync(path.dirname(probe), { recursive: true });
        fs.writeFileSync(probe, sdkLoadScript(resources));
        const npm = (extra: string[]) => timeCommand("npm", ["run", "-s", "plan", "--", env, "--json", ...extra]);
        if (firstRunMs === 0) {
            // A first run: empty transpile, compile and render caches (what a clean clone's first plan pays once).
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cache-"));
            firstRunMs = timeCommand("npm", ["run", "-s", "plan", "--", env, "--json"], { ...process.env, GITOPS_CACHE_DIR: empty });
            fs.rmSync(empty, { recursive: true, force: true });
        }
        npm([]); // the caches of this tree are warm from here on
        // The SDKs' load with Node's compile cache too (the plan has it): what the plan's own work is measured against.
        const sdkCache = { ...process.env, NODE_COMPILE_CACHE: path.join(path.dirname(probe), "v8-sdk-load") };
        timeCommand(process.execPath, [probe], sdkCache);
        const cold = { sdk: [] as number[], sdkCached: [] as number[], plan: [] as number[], base: [] as number[] };
        for (let i = 0; i < COLD_RUNS; i++) {
            cold.sdk.push(timeCommand(process.execPath, [probe]));
            cold.sdkCached.push(timeCommand(process.execPath, [probe], sdkCache));
            cold.plan.push(npm([]));
            cold.base.push(npm(["--base", "HEAD"]));
        }
        const [sdk, plain, base] = [median(cold.sdk), median(cold.plan), median(cold.base)];
        rows.push([
            env,
            ...LAYERS.map((l) => median(layerMs[l]).toFixed(0)),
            median(planMs).toFixed(0),
            sdk.toFixed(0),
            median(cold.sdkCached).toFixed(0),
            plain.toFixed(0),
            base.toFixed(0),
            (plain / sdk).toFixed(2),
            (base / plain).toFixed(2),
            String(resources.length),
            cost.toFixed(2),
        ]);
        for (const layer of LAYERS) budgets.push({ name: `${env}: ${layer} layer, warm`, target: TARGETS.layerWarm, measured: median(layerMs[layer]), unit: "ms" });
        budgets.push({ name: `${env}: whole plan, warm`, target: TARGETS.planWarm, measured: median(planMs), unit: "ms" });
        budgets.push({ name: `${env}: npm run plan, cold`, target: TARGETS.planCold, measured: plain, unit: "ms" });
        budgets.push({ name: `${env}: cold plan / SDKs' load time`, target: TARGETS.coldOverSdk, measured: plain / sdk, unit: "x" });
        budgets.push({ name: `${env}: plan --base / plan, cold`, target: TARGETS.baseOverPlain, measured: base / plain, unit: "x" });
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
    console.log(line(rows[0]));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const r of rows.slice(1)) console.log(line(r));
    console.log(
        `\nmedians of ${WARM_RUNS} warm runs and ${COLD_RUNS} interleaved cold runs (SDK load, npm run -s plan, npm run -s plan --base HEAD); ` +
            `first run with empty caches: ${firstRunMs.toFixed(0)} ms; node ${process.version}, ${os.cpus().length} cores, load average ${load.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
    );
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
