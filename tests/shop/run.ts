/**
 * The shop's tests against real parts (`npm run test:shop`, part of `npm test`), once the shop runs on 127.0.0.1
 * (tools/shop-stack.ts: the stack .ci/run started, named by SHOP_STACK, or one started here and stopped at the end):
 *   services  each Python service's pytest suite, laid out as its image's test stage lays it out and run with that
 *             stage's command, against the stack's MariaDB (or MySQL) and Redis, each suite in a database of its own
 *   e2e       the frontend built (`npm run build` in apps/services/frontend: type-check, bundle; skipped when dist/
 *             is newer than its sources, as after .ci/run's install), then driven in headless Chromium through the
 *             frontend's nginx against the running services (tests/shop/e2e.ts), after the checks of what that nginx
 *             passes on to the services (tests/shop/proxy.ts)
 *
 *   ts-node tests/shop/run.ts [services] [e2e]     (both when none is named)
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Mocha from "mocha";
import { serviceDockerfile } from "../../lib/cli-support";
import { ensureStack, FRONTEND_DIR, FRONTEND_DIST, lastRun, layOutImage, PYTHON_SERVICES, Stack } from "../../tools/shop-stack";
import { shop } from "./context";

interface Outcome {
    name: string;
    passed: number;
    failed: number;
    seconds: number;
    output: string;
}

/** Runs a command, collecting its output (printed once it ends, so that parallel runs do not interleave). */
function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; output: string; seconds: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", (error) => reject(new Error(`${command} could not run: ${error.message}`)));
        child.on("close", (code) => resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }));
    });
}

/** pytest's closing counts ("12 passed, 1 failed in 3.2s"); a run that ran no test counts as a failure. */
function pytestCounts(output: string, code: number): { passed: number; failed: number } {
    const line = output.trim().split("\n").at(-1) ?? "";
    const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
    const passed = count("passed");
    const failed = count("failed") + count("error") + count("errors");
    return { passed, failed: code !== 0 && failed === 0 ? 1 : passed === 0 ? Math.max(failed, 1) : failed };
}

/**
 * A service's pytest suite as its image's test stage runs it. The kit's tests (test_kit.py) are the same files in
 * every image: here they run once, in the first service's layout (each image's build still runs them).
 */
async function serviceSuite(stack: Stack, service: string, workdir: string, withKit: boolean): Promise<Outcome> {
    const dockerfile = serviceDockerfile(service);
    const dir = layOutImage(dockerfile, "test", { SERVICE: service }, path.join(workdir, service));
    const [python, ...args] = lastRun(dockerfile, "test");
    if (python !== "python") throw new Error(`${dockerfile}: the test stage's last RUN is not a python command`);
    const r = await run(stack.python, [...args, ...(withKit ? [] : ["--ignore=tests/test_kit.py"])], { cwd: dir, env: stack.servers });
    return { name: `${service} (pytest${withKit ? ", with the kit's tests" : ""})`, ...pytestCounts(r.output, r.code), seconds: r.seconds, output: r.output };
}

/** The newest modification time of the frontend's sources (what its build reads), in ms. */
function newestSource(): number {
    const newest = (p: string): number => {
        const stat = fs.statSync(p);
        return stat.isDirectory() ? Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e)))) : stat.mtimeMs;
    };
    return Math.max(...["src", "index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts"].map((f) => newest(path.join(FRONTEND_DIR, f))));
}

/**
 * `npm run build` in the frontend (type-check, bundle), unless dist/ is newer than every source: .ci/run builds it
 * as an install step, and a developer's change to the frontend makes the next test run build again.
 */
async function buildFrontend(): Promise<Outcome> {
    if (!fs.existsSync(path.join(FRONTEND_DIR, "node_modules"))) {
        throw new Error("the frontend's packages are not installed: npm ci --prefix apps/services/frontend (.ci/run does it)");
    }
    const built = path.join(FRONTEND_DIST, "index.html");
    if (fs.existsSync(built) && fs.statSync(built).mtimeMs > newestSource()) {
        return { name: "frontend build (tsc, vite): dist/ is newer than its sources, not rebuilt", passed: 1, failed: 0, seconds: 0, output: "" };
    }
    const r = await run("npm", ["run", "build", "--silent"], { cwd: FRONTEND_DIR });
    return { name: "frontend build (tsc, vite)", passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, seconds: r.seconds, output: r.code === 0 ? "" : r.output };
}

async function e2e(stack: Stack): Promise<Outcome> {
    const started = Date.now();
    shop.stack = stack;
    const mocha = new Mocha({ timeout: 30_000, reporter: "spec" });
    for (const file of ["proxy.ts", "e2e.ts"]) mocha.addFile(path.join(__dirname, file));
    const stats = await new Promise<{ passes: number; failures: number }>((resolve) => {
        const runner = mocha.run(() => resolve({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 1 }));
    });
    return { name: "end to end (nginx, Chromium)", passed: stats.passes, failed: stats.failures, seconds: (Date.now() - started) / 1000, output: "" };
}

/** At most `limit` of the tasks at a time (the machine has two cores). */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
    const results: T[] = new Array(tasks.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
        while (next < tasks.length) {
            const i = next++;
            results[i] = await tasks[i]();
        }
    }));
    return results;
}

async function main(parts: string[]): Promise<number> {
    const want = new Set(parts.length ? parts : ["services", "e2e"]);
    for (const p of want) if (!["services", "e2e"].includes(p)) throw new Error(`unknown part ${p}: services or e2e`);
    const started = Date.now();
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-tests-"));
    const { stack, stop } = await ensureStack();
    const outcomes: Outcome[] = [];
    try {
        const report = (o: Outcome) => {
            outcomes.push(o);
            process.stdout.write(`${o.name}: ${o.passed} passed, ${o.failed} failed (${o.seconds.toFixed(1)} s)\n`);
            if (o.failed > 0) process.stdout.write(`${o.output}\n`);
        };
        // Two at a time (two cores): the frontend's build and then its browser test, beside the pytest suites.
        const tasks: (() => Promise<void>)[] = [];
        if (want.has("e2e")) {
            tasks.push(async () => {
                const build = await buildFrontend();
                report(build);
                if (build.failed === 0) report(await e2e(stack));
            });
        }
        if (want.has("services")) tasks.push(...PYTHON_SERVICES.map((s, i) => async () => report(await serviceSuite(stack, s, workdir, i === 0))));
        await pool(tasks, 2);
    } finally {
        await stop();
        fs.rmSync(workdir, { recursive: true, force: true });
    }
    const passed = outcomes.reduce((n, o) => n + o.passed, 0);
    const failed = outcomes.reduce((n, o) => n + o.failed, 0);
    process.stdout.write(`shop tests took ${((Date.now() - started) / 1000).toFixed(1)} s\nshop: ${passed} passed, ${failed} failed\n`);
    return failed === 0 && passed > 0 ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2))
        .then((code) => process.exit(code))
        .catch((error) => {
            process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
        });
}
