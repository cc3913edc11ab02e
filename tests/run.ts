/**
 * `npm test`: every check of the repository, run side by side on the machine's cores, each job's output printed
 * whole when it ends, then one closing line "N passed, N failed, N skipped" over all of them. Their temporary
 * files go to a directory of the run's (in memory where there is room); typecheck and drill run at a lower priority.
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
    /**
     * Runs at a lower priority (nice 10): a job of pure computation without timeouts of its own, so that the unit
     * job (the longest, one single-threaded process) is not the last one running on one core while the other idles.
     */
    background?: boolean;
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
        background: true,
        command: (drill) => ({ command: NODE, args: [bin("tsc"), "-p", typecheckConfig(drill)], cwd: REPO_ROOT }),
        counts: (output, code) => (code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: Math.max(1, (output.match(/error TS\d+/g) ?? []).length), skipped: 0 }),
    },
    { name: "unit", command: () => ({ command: NODE, args: [bin("mocha"), "tests/**/*.spec.ts"], cwd: REPO_ROOT }), counts: closingCounts },
    { name: "drill", background: true, command: (drill) => ({ command: NODE, args: [bin("mocha"), ...DRILL_SUITES], cwd: drill }), counts: closingCounts },
    { name: "shop", command: () => ({ command: NODE, args: [path.join(REPO_ROOT, "tools", "ts-run.js"), "tests/shop/run.ts"], cwd: REPO_ROOT }), counts: closingCounts },
];

/** Free bytes of a file system, or 0 when it cannot be read. */
function freeBytes(dir: string): number {
    try {
        const stats = fs.statfsSync(dir);
        return stats.bavail * stats.bsize;
    } catch {
        return 0;
    }
}

/**
 * The jobs' temporary directory (TMPDIR), removed at the end with whatever a job left in it: in memory (/dev/shm)
 * when it has room, since the suites create and delete many thousand small files (scratch git histories, copies of
 * the workloads, the drill's copy) and a disk file system spends seconds of kernel time on that (a fifth of the
 * unit job's time, measured on ext4); else the system's.
 */
export function scratchDirectory(memory = "/dev/shm"): string {
    const base = process.platform === "linux" && freeBytes(memory) >= 2 * 1024 ** 3 ? memory : os.tmpdir();
    const dir = fs.mkdtempSync(path.join(base, "gitops-tests-"));
    // Open to other users below it, as /tmp is: a shop the tests start as root runs nginx's workers as nobody.
    fs.chmodSync(dir, 0o755);
    return dir;
}

function runJob(job: Job, drill: string): Promise<Outcome> {
    const { command, args, cwd } = job.command(drill);
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
        // Lower priority for the jobs that only compute: the unit job, one process that runs longest, keeps a core.
        if (job.background && child.pid) {
            try {
                os.setPriority(child.pid, 10);
            } catch {
                // Not allowed here: the job runs at the usual priority.
            }
        }
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
    // The browser test's screenshots outlive the run: in the system's temporary directory unless told otherwise.
    process.env.SHOP_SCREENSHOTS ??= path.join(os.tmpdir(), "shop-e2e");
    const scratch = scratchDirectory();
    process.env.TMPDIR = scratch;
    const drill = fs.mkdtempSync(path.join(scratch, "extension-drill-"));
    try {
        if (jobs.some((j) => j.name === "drill" || j.name === "typecheck")) prepareDrill(REPO_ROOT, drill);
        const outcomes = await Promise.all(jobs.map((job) => runJob(job, drill)));
        const total = outcomes.reduce((t, o) => ({ passed: t.passed + o.passed, failed: t.failed + o.failed, skipped: t.skipped + o.skipped }), { passed: 0, failed: 0, skipped: 0 });
        process.stdout.write(`\n===== summary (${((Date.now() - started) / 1000).toFixed(1)} s on ${os.cpus().length} cores) =====\n`);
        for (const o of outcomes) process.stdout.write(`${o.job.padEnd(10)} ${String(o.passed).padStart(5)} passed, ${o.failed} failed, ${o.skipped} skipped  (${o.seconds.toFixed(1)} s)\n`);
        process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
        return total.failed > 0 ? 1 : 0;
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
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
