/**
 * `npm test`: every check of the repository, run side by side on the machine's cores, each job's output printed
 * whole when it ends, then one closing line "N passed, N failed, N skipped" over all of them.
 *   typecheck  tsc --noEmit over the repository and the extension drill's copy, in one program (they share the
 *              SDKs' declarations, which are most of tsc's time)
 *   unit       every mocha suite under tests/
 *   drill      the extension drill: a fifth service added by the README's checklist in a copy of the repository
 *              (tests/extending/drill.ts), and the suites it affects run there
 *   shop       the shop's tests against real MariaDB, Redis, nginx and Chromium (tests/shop/run.ts)
 *
 *   node tools/ts-run.js tests/run.ts [job...]     (every job when none is named)
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../lib/environment";
import { DRILL_SUITES, prepareDrill } from "./extending/drill";

interface Outcome {
    job: string;
    passed: number;
    failed: number;
    skipped: number;
    seconds: number;
    output: string;
}

interface Job {
    name: string;
    /** What it runs, once the drill's copy is ready (`drill` is its directory). */
    command: (drill: string) => { command: string; args: string[]; cwd: string };
    /** Its counts from its output and exit code. */
    counts: (output: string, code: number) => { passed: number; failed: number; skipped: number };
}

const NODE = process.execPath;
const bin = (name: string) => path.join(REPO_ROOT, "node_modules", ".bin", name);

/** The closing line of the summary reporter (and of the shop's runner): "N passed, N failed, N skipped". */
export function closingCounts(output: string, code: number): { passed: number; failed: number; skipped: number } {
    const lines = output.trim().split("\n").reverse();
    const line = lines.find((l) => /^(\w[\w ]*: )?\d+ passed, \d+ failed/.test(l.trim()));
    if (!line) return { passed: 0, failed: 1, skipped: 0 };
    const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
    const counts = { passed: n("passed"), failed: n("failed"), skipped: n("skipped") };
    // A run that failed without a failing test (a crash, a hook) still fails; one that ran nothing too.
    if ((code !== 0 && counts.failed === 0) || counts.passed + counts.failed === 0) counts.failed += 1;
    return counts;
}

/** A tsconfig covering the repository and the drill's copy: one program, one parse of the SDKs' declarations. */
function typecheckConfig(drill: string): string {
    const base = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.json"), "utf8"));
    const roots = [REPO_ROOT, drill];
    const config = {
        compilerOptions: { ...base.compilerOptions, noEmit: true, typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")] },
        include: roots.flatMap((root) => base.include.map((pattern: string) => path.join(root, pattern))),
        exclude: roots.flatMap((root) => base.exclude.map((pattern: string) => path.join(root, pattern))),
    };
    const file = path.join(drill, "tsconfig.typecheck.json");
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
}

export const JOBS: Job[] = [
    {
        name: "typecheck",
        command: (drill) => ({ command: NODE, args: [bin("tsc"), "-p", typecheckConfig(drill)], cwd: REPO_ROOT }),
        counts: (output, code) => (code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: Math.max(1, (output.match(/error TS\d+/g) ?? []).length), skipped: 0 }),
    },
    { name: "unit", command: () => ({ command: NODE, args: [bin("mocha"), "tests/**/*.spec.ts"], cwd: REPO_ROOT }), counts: closingCounts },
    { name: "drill", command: (drill) => ({ command: NODE, args: [bin("mocha"), ...DRILL_SUITES], cwd: drill }), counts: closingCounts },
    { name: "shop", command: () => ({ command: NODE, args: [path.join(REPO_ROOT, "tools", "ts-run.js"), "tests/shop/run.ts"], cwd: REPO_ROOT }), counts: closingCounts },
];

function runJob(job: Job, drill: string): Promise<Outcome> {
    const { command, args, cwd } = job.command(drill);
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", (error) => (output += `\n${job.name} could not start: ${error.message}\n`));
        child.on("close", (code) => {
            const seconds = (Date.now() - started) / 1000;
            const outcome = { job: job.name, ...job.counts(output, code ?? 1), seconds, output };
            process.stdout.write(`\n===== ${job.name} (${seconds.toFixed(1)} s) =====\n${output.trimEnd()}\n`);
            resolve(outcome);
        });
    });
}

export async function main(names: string[]): Promise<number> {
    const unknown = names.filter((n) => !JOBS.some((j) => j.name === n));
    if (unknown.length > 0) {
        process.stderr.write(`unknown job ${unknown.join(", ")}; the jobs: ${JOBS.map((j) => j.name).join(", ")}\n`);
        return 2;
    }
    const jobs = names.length > 0 ? JOBS.filter((j) => names.includes(j.name)) : JOBS;
    const started = Date.now();
    const drill = fs.mkdtempSync(path.join(os.tmpdir(), "extension-drill-"));
    try {
        if (jobs.some((j) => j.name === "drill" || j.name === "typecheck")) prepareDrill(REPO_ROOT, drill);
        const outcomes = await Promise.all(jobs.map((job) => runJob(job, drill)));
        const total = outcomes.reduce((t, o) => ({ passed: t.passed + o.passed, failed: t.failed + o.failed, skipped: t.skipped + o.skipped }), { passed: 0, failed: 0, skipped: 0 });
        process.stdout.write(`\n===== summary (${((Date.now() - started) / 1000).toFixed(1)} s on ${os.cpus().length} cores) =====\n`);
        for (const o of outcomes) process.stdout.write(`${o.job.padEnd(10)} ${String(o.passed).padStart(5)} passed, ${o.failed} failed, ${o.skipped} skipped  (${o.seconds.toFixed(1)} s)\n`);
        process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
        return total.failed > 0 ? 1 : 0;
    } finally {
        fs.rmSync(drill, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error) => {
            process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
            process.exit(1);
        },
    );
}
