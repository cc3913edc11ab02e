/**
 * The shop on this machine, run as the cluster runs it, on 127.0.0.1 only: MariaDB and Redis (started by
 * apps/services/python-kit/tests/servers.py, or the servers the environment names with SHOP_TEST_DB_HOST...), the
 * three services under gunicorn with their images' files (laid out from the Dockerfile) and their Deployments'
 * environment (every variable mapped to its local value; one the stack does not know stops it), the schema migrated
 * first by the Deployments' init container command, and the frontend's nginx with its image's configuration in front
 * of the built frontend (apps/services/frontend/dist). The end-to-end test, the order benchmark and CI use it.
 *
 *   npm run shop -- up [DIR]   start it (in DIR, or a new temporary folder); prints the URLs and SHOP_STACK=DIR
 *   npm run shop -- down DIR   stop exactly the processes `up` started
 *
 * Needs Python with the kit's requirements (SHOP_PYTHON, or the virtualenv .ci/run makes), and the Debian packages
 * mariadb-server, redis-server and nginx (.ci/run installs them).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../lib/environment";
import { parseDockerfile, stageFiles } from "../lib/dockerfile";
import { DATABASE_NAME } from "../lib/catalogue";
import { PYTHON_KIT, SERVICES_DIR as SERVICES_PATH, serviceDockerfile } from "../lib/cli-support";

export const PYTHON_SERVICES = ["user-service", "product-service", "order-service"] as const;
export type PythonService = (typeof PYTHON_SERVICES)[number];

const SERVICES_DIR = path.join(REPO_ROOT, SERVICES_PATH);
const KIT_DIR = path.join(SERVICES_DIR, PYTHON_KIT);
export const FRONTEND_DIR = path.join(SERVICES_DIR, "frontend");
export const FRONTEND_DIST = path.join(FRONTEND_DIR, "dist");
const SERVERS_PY = path.join(KIT_DIR, "tests", "servers.py");
/** The modules the services and their tests import: a Python without them cannot run the shop. */
const PYTHON_MODULES = ["flask", "gunicorn", "pymysql", "redis", "argon2", "itsdangerous", "prometheus_client", "cryptography", "pytest"];
const START_TIMEOUT_MS = 30_000;

/** The environment variables that hand test servers over (python-kit/tests/servers.py ENV). */
export type ServersEnv = Record<string, string>;

export interface Stack {
    dir: string;
    /** The frontend through its nginx: what a browser opens. */
    url: string;
    /** Each service's own address (gunicorn), for benchmarks and checks that bypass nginx. */
    services: Record<PythonService, string>;
    /** The data stores (SHOP_TEST_* variables) and whether this stack started them. */
    servers: ServersEnv;
    ownServers: boolean;
    /** The services' environment, as their Deployments and ExternalSecrets set it, with local values. */
    env: Record<PythonService, Record<string, string>>;
    /** Where each service's image files are laid out (its working directory). */
    appDirs: Record<PythonService, string>;
    python: string;
    processes: { name: string; pid: number }[];
}

/** The virtualenv .ci/run makes for the kit's requirements (keyed by their content, outside the checkout). */
export function defaultVenv(): string {
    const requirements = ["requirements.txt", "requirements-dev.txt"].map((f) => fs.readFileSync(path.join(KIT_DIR, f), "utf8")).join("");
    const key = crypto.createHash("sha256").update(requirements).digest("hex").slice(0, 12);
    return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "eks-gitops-platform", `python-${key}`);
}

/** The Python that runs the services and their tests: SHOP_PYTHON, .ci/run's virtualenv, or python3; it must have the kit's modules. */
export function servicesPython(): string {
    const venv = path.join(defaultVenv(), "bin", "python");
    const python = process.env.SHOP_PYTHON || (fs.existsSync(path.join(defaultVenv(), ".installed")) ? venv : "python3");
    try {
        execFileSync(python, ["-c", `import ${PYTHON_MODULES.join(", ")}`], { stdio: "pipe" });
    } catch (error) {
        const reason = (error as { stderr?: Buffer }).stderr?.toString().trim().split("\n").at(-1) ?? String(error);
        throw new Error(
            `${python} cannot run the shop's services (${reason}). Install their pinned requirements once: run .ci/run, or\n` +
                `  python3 -m venv ${defaultVenv()} && ${defaultVenv()}/bin/pip install -r apps/services/python-kit/requirements.txt -r apps/services/python-kit/requirements-dev.txt\n` +
                "(or point SHOP_PYTHON at a Python that has them).",
        );
    }
    return python;
}

/** A program from the PATH or /usr/sbin (where Debian puts nginx), or an error naming the package to install. */
export function program(name: string, debianPackage: string): string {
    for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"]) {
        const candidate = path.join(dir, name);
        if (dir && fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`${name} is not installed: apt-get install ${debianPackage} (.ci/run installs it)`);
}

const handedOut = new Set<number>();

/** A port free now, and not handed out before by this process (the kernel may offer a closed one again). */
export async function freePort(): Promise<number> {
    for (;;) {
        const port = await new Promise<number>((resolve, reject) => {
            const server = net.createServer();
            server.unref();
            server.on("error", reject);
            server.listen(0, "127.0.0.1", () => {
                const { port } = server.address() as net.AddressInfo;
                server.close(() => resolve(port));
            });
        });
        if (!handedOut.has(port)) {
            handedOut.add(port);
            return port;
        }
    }
}

/** Copies the files a Dockerfile stage puts into the image (lib/dockerfile.ts) into `dest`, as the image's WORKDIR. */
export function layOutImage(dockerfile: string, stage: string, buildArgs: Record<string, string>, dest: string): string {
    const { files, workdir } = stageFiles(fs.readFileSync(path.join(REPO_ROOT, dockerfile), "utf8"), stage, SERVICES_DIR, buildArgs);
    for (const [imagePath, source] of files) {
        if (!imagePath.startsWith(`${workdir}/`)) throw new Error(`${dockerfile}: ${imagePath} is outside the WORKDIR ${workdir}`);
        const target = path.join(dest, path.posix.relative(workdir, imagePath));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(SERVICES_DIR, source), target);
    }
    return dest;
}

/** The last `RUN` of a stage, as argv (e.g. the test stage's `python -m pytest ...`). */
export function lastRun(dockerfile: string, stage: string): string[] {
    const s = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, dockerfile), "utf8")).find((st) => st.name === stage);
    const run = s?.instructions.filter((i) => i.keyword === "RUN").at(-1);
    if (!run) throw new Error(`${dockerfile}: stage ${stage} has no RUN`);
    return run.args.split(/\s+/);
}

interface Workload {
    container: { env?: { name: string; value?: string }[]; command?: string[] };
    init: { command: string[] }[];
    secretKeys: string[];
}

function workload(name: string): Workload {
    const base = path.join(REPO_ROOT, "apps", "workloads", name, "base");
    const pod = parse(fs.readFileSync(path.join(base, "deployment.yaml"), "utf8")).spec.template.spec;
    const secretFile = path.join(base, "externalsecret.yaml");
    const secret = fs.existsSync(secretFile) ? parse(fs.readFileSync(secretFile, "utf8")) : undefined;
    return { container: pod.containers[0], init: pod.initContainers ?? [], secretKeys: Object.keys(secret?.spec?.target?.template?.data ?? {}) };
}

/** A service's environment: every variable its Deployment and ExternalSecret set, with this machine's value. */
export function serviceEnv(service: PythonService, local: Record<string, string>): Record<string, string> {
    const w = workload(service);
    const env: Record<string, string> = {};
    for (const name of [...(w.container.env ?? []).map((e) => e.name), ...w.secretKeys]) {
        if (!(name in local)) throw new Error(`apps/workloads/${service} sets ${name}: tools/shop-stack.ts does not know its local value (add it)`);
        env[name] = local[name];
    }
    return env;
}

function logFile(dir: string, name: string): number {
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    return fs.openSync(path.join(dir, "logs", `${name}.log`), "a");
}

function start(dir: string, name: string, command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
    const log = logFile(dir, name);
    // Its own process group: stopping it stops its workers too; detached so that it outlives `npm run shop -- up`.
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", log, log], detached: true });
    fs.closeSync(log);
    child.unref();
    return child;
}

async function waitForHttp(url: string, child: ChildProcess, dir: string, name: string): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) break;
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
            if (response.ok) return;
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    const log = fs.readFileSync(path.join(dir, "logs", `${name}.log`), "utf8").slice(-3000);
    throw new Error(`${name} did not answer ${url} ${child.exitCode !== null ? `(exited with ${child.exitCode})` : `within ${START_TIMEOUT_MS / 1000} s`}:\n${log}`);
}

function python(stack: { python: string; dir: string }, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): string {
    try {
        return execFileSync(stack.python, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] }).toString();
    } catch (error) {
        const e = error as { stderr?: Buffer; stdout?: Buffer };
        throw new Error(`${path.basename(stack.python)} ${args.join(" ")} failed:\n${e.stderr?.toString() ?? ""}${e.stdout?.toString() ?? ""}`);
    }
}

/** A service's gunicorn as its image's CMD runs it (with its config), bound to the stack's loopback port for it. */
function spawnService(stack: Stack, service: PythonService): ChildProcess {
    const port = new URL(stack.services[service]).port;
    const child = start(stack.dir, service, stack.python, ["-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", `127.0.0.1:${port}`, "app:from_env()"], {
        cwd: stack.appDirs[service],
        env: stack.env[service],
    });
    stack.processes = [...stack.processes.filter((p) => p.name !== service), { name: service, pid: child.pid! }];
    return child;
}

/** Stops one process group the stack started (SIGTERM, SIGKILL after 15 s) and waits until it is gone. */
async function stopProcess(pid: number): Promise<void> {
    try {
        process.kill(-pid, "SIGTERM");
    } catch {
        return; // already gone
    }
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (alive(pid)) process.kill(-pid, "SIGKILL");
}

/** Stops one of the stack's services for real (its gunicorn), to see what the shop does without it; startService() brings it back. */
export async function stopService(stack: Stack, service: PythonService): Promise<void> {
    const running = stack.processes.find((p) => p.name === service);
    if (!running) throw new Error(`${service} is not one of the stack's processes`);
    await stopProcess(running.pid);
    stack.processes = stack.processes.filter((p) => p !== running);
}

/** Starts a stopped service again, on its port, and waits until it is ready; stack.json follows, so `down` stops it. */
export async function startService(stack: Stack, service: PythonService): Promise<void> {
    if (stack.processes.some((p) => p.name === service)) throw new Error(`${service} is running already`);
    const child = spawnService(stack, service);
    await waitForHttp(`${stack.services[service]}/readyz`, child, stack.dir, service);
    fs.writeFileSync(path.join(stack.dir, "stack.json"), JSON.stringify(stack, null, 2));
}

/** The servers named by SHOP_TEST_* variables in the environment, if any. */
export function serversFromEnv(): ServersEnv | undefined {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith("SHOP_TEST_") && v !== undefined)) as ServersEnv;
    return env.SHOP_TEST_DB_HOST ? env : undefined;
}

/** The nginx configuration of the frontend image, for this machine: its paths, ports and upstreams. */
function nginxConfig(dir: string, port: number, statusPort: number, upstreams: Record<string, string>): string {
    const replace = (text: string, from: string | RegExp, to: string, file: string) => {
        const out = text.replace(from, to);
        if (out === text) throw new Error(`apps/services/frontend/${file} no longer has ${from}: update tools/shop-stack.ts`);
        return out;
    };
    const confDir = path.join(dir, "nginx");
    fs.mkdirSync(confDir, { recursive: true });
    let server = fs.readFileSync(path.join(FRONTEND_DIR, "default.conf.template"), "utf8");
    // The image's entrypoint substitutes these (NGINX_ENVSUBST_FILTER); the resolver is never asked for an IP address.
    for (const [name, value] of Object.entries({ ...upstreams, NGINX_LOCAL_RESOLVERS: "127.0.0.1" })) server = replace(server, new RegExp(`\\$\\{${name}\\}`, "g"), value, "default.conf.template");
    server = replace(server, /listen 8080;/, `listen 127.0.0.1:${port};`, "default.conf.template");
    server = replace(server, /listen 127\.0\.0\.1:8081;/, `listen 127.0.0.1:${statusPort};`, "default.conf.template");
    server = replace(server, /root \/usr\/share\/nginx\/html;/, `root ${FRONTEND_DIST};`, "default.conf.template");
    server = server.replace(/\/etc\/nginx\/proxy\.conf/g, path.join(FRONTEND_DIR, "proxy.conf"));
    let main = fs.readFileSync(path.join(FRONTEND_DIR, "nginx.conf"), "utf8");
    main = replace(main, /\/tmp\//g, `${confDir}/`, "nginx.conf");
    fs.writeFileSync(path.join(confDir, "default.conf"), server);
    const file = path.join(confDir, "nginx.conf");
    fs.writeFileSync(file, main);
    return file;
}

/** Starts the whole shop in `dir` (see the file's comment). */
export async function up(dir: string, options: { durable?: boolean } = {}): Promise<Stack> {
    fs.mkdirSync(dir, { recursive: true });
    // nginx's workers (nobody, when started as root) read and write below it.
    fs.chmodSync(dir, 0o755);
    const py = servicesPython();
    const stack: Stack = { dir, url: "", services: {} as Stack["services"], servers: {}, ownServers: false, env: {} as Stack["env"], appDirs: {} as Stack["appDirs"], python: py, processes: [] };
    try {
        const given = serversFromEnv();
        if (given) {
            stack.servers = given;
        } else {
            const out = python(stack, [SERVERS_PY, "up", "--state", path.join(dir, "servers"), ...(options.durable ? ["--durable"] : [])]);
            stack.servers = JSON.parse(out.trim().split("\n").at(-1)!);
            stack.ownServers = true;
        }
        const database = JSON.parse(python(stack, [SERVERS_PY, "database", DATABASE_NAME], { env: stack.servers }).trim());
        const sessionKey = crypto.randomBytes(48).toString("base64url");
        const ports = await Promise.all(PYTHON_SERVICES.map(() => freePort()));
        const children: [PythonService, ChildProcess][] = [];
        for (const [i, service] of PYTHON_SERVICES.entries()) {
            const appDir = layOutImage(serviceDockerfile(service), "runtime", { SERVICE: service }, path.join(dir, service));
            stack.appDirs[service] = appDir;
            stack.env[service] = serviceEnv(service, {
                PORT: String(ports[i]),
                DB_HOST: stack.servers.SHOP_TEST_DB_HOST,
                DB_PORT: stack.servers.SHOP_TEST_DB_PORT,
                DB_NAME: database.db_name,
                DB_USER: database.db_user,
                DB_PASSWORD: database.db_password,
                REDIS_HOST: stack.servers.SHOP_TEST_REDIS_HOST,
                REDIS_PORT: stack.servers.SHOP_TEST_REDIS_PORT,
                REDIS_PASSWORD: stack.servers.SHOP_TEST_REDIS_PASSWORD ?? "",
                SESSION_KEY: sessionKey,
            });
            // The init container first (the schema migrations), as the pod runs it.
            for (const init of workload(service).init) {
                const [cmd, ...args] = init.command;
                if (cmd !== "python") throw new Error(`${service}: init container command ${init.command.join(" ")} is not a python command`);
                python(stack, args, { cwd: appDir, env: stack.env[service] });
            }
            stack.services[service] = `http://127.0.0.1:${ports[i]}`;
            children.push([service, spawnService(stack, service)]);
        }
        const [port, statusPort] = [await freePort(), await freePort()];
        const upstreams = { USER_SERVICE_URL: stack.services["user-service"], PRODUCT_SERVICE_URL: stack.services["product-service"], ORDER_SERVICE_URL: stack.services["order-service"] };
        const nginxConf = nginxConfig(dir, port, statusPort, upstreams);
        const nginx = start(dir, "nginx", program("nginx", "nginx"), ["-c", nginxConf, "-e", path.join(dir, "logs", "nginx-error.log"), "-g", "daemon off;"]);
        stack.processes.push({ name: "nginx", pid: nginx.pid! });
        stack.url = `http://127.0.0.1:${port}`;
        await Promise.all([
            ...children.map(([service, child]) => waitForHttp(`${stack.services[service]}/readyz`, child, dir, service)),
            waitForHttp(`${stack.url}/healthz`, nginx, dir, "nginx"),
        ]);
        fs.writeFileSync(path.join(dir, "stack.json"), JSON.stringify(stack, null, 2));
        return stack;
    } catch (error) {
        await down(stack);
        throw error;
    }
}

function alive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}

/** Stops exactly what `up` started: each process group it spawned, then the servers if it started them. */
export async function down(stack: Pick<Stack, "dir" | "processes" | "ownServers" | "python">): Promise<void> {
    await Promise.all(stack.processes.map((p) => stopProcess(p.pid)));
    if (stack.ownServers) python(stack, [SERVERS_PY, "down", "--state", path.join(stack.dir, "servers")]);
}

/** The stack CI started (SHOP_STACK=<its folder>), if any. */
export function runningStack(): Stack | undefined {
    const dir = process.env.SHOP_STACK;
    if (!dir) return undefined;
    const file = path.join(dir, "stack.json");
    if (!fs.existsSync(file)) throw new Error(`SHOP_STACK=${dir} has no stack.json: start it with npm run shop -- up ${dir}, or unset SHOP_STACK`);
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The running stack, or a new one that `stop()` ends (for a test run on a machine where CI did not start one). */
export async function ensureStack(): Promise<{ stack: Stack; stop: () => Promise<void> }> {
    const running = runningStack();
    if (running) return { stack: running, stop: async () => undefined };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-stack-"));
    const stack = await up(dir);
    return {
        stack,
        stop: async () => {
            await down(stack);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** Makes an account an administrator the way the README says (`python app.py grant-admin <email>` in user-service). */
export function grantAdmin(stack: Stack, email: string): void {
    python(stack, ["app.py", "grant-admin", email], { cwd: stack.appDirs["user-service"], env: stack.env["user-service"] });
}

async function main(argv: string[]): Promise<void> {
    const [command, dirArg, ...rest] = argv;
    if (command === "up") {
        const dir = path.resolve(dirArg ?? fs.mkdtempSync(path.join(os.tmpdir(), "shop-stack-")));
        const stack = await up(dir, { durable: rest.includes("--durable") });
        process.stdout.write(`shop: ${stack.url} (services ${Object.values(stack.services).join(", ")}); logs in ${dir}/logs\nSHOP_STACK=${dir}\n`);
    } else if (command === "down" && dirArg) {
        const file = path.join(path.resolve(dirArg), "stack.json");
        if (!fs.existsSync(file)) return;
        await down(JSON.parse(fs.readFileSync(file, "utf8")));
        fs.rmSync(file);
    } else {
        throw new Error("usage: npm run shop -- up [DIR] [--durable] | down DIR");
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((error) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    });
}
