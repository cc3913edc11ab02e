/**
 * The verify job's health check: after ArgoCD synced, the environment is healthy when
 * - every Deployment, StatefulSet and DaemonSet outside the workload namespaces (the platform: kube-system,
 *   ArgoCD, the add-ons) has all its replicas ready and updated, and
 * - the frontend answers 200 through its Ingress (ALB) on each path checked, when it is exposed (the apps stack's
 *   `frontendUrl` is "" when it has no hostname: then there is nothing public to check).
 * Retries until the timeout (an ALB and its DNS name take minutes the first time), then prints what is not ready.
 *
 *   ts-node ci/health-check.ts --workload-namespaces '["backend","frontend"]' [--frontend-url https://...] \
 *       [--paths '["/healthz","/"]'] [--timeout 600] [--interval 15]
 */
import { execFileSync } from "child_process";
import { UsageError, parseOptions, parseStringList, positiveSeconds, requireOption, runTool } from "../lib/cli-support";

/** The parts of apps/v1 Deployment, StatefulSet and DaemonSet this tool reads. */
export interface Workload {
    kind: string;
    metadata: { name: string; namespace: string };
    spec?: { replicas?: number };
    status?: {
        replicas?: number;
        readyReplicas?: number;
        updatedReplicas?: number;
        availableReplicas?: number;
        desiredNumberScheduled?: number;
        numberReady?: number;
        updatedNumberScheduled?: number;
        numberUnavailable?: number;
    };
}

export interface Readiness {
    ready: boolean;
    summary: string;
}

export function workloadReadiness(w: Workload): Readiness {
    const id = `${w.kind} ${w.metadata.namespace}/${w.metadata.name}`;
    const s = w.status ?? {};
    if (w.kind === "DaemonSet") {
        const desired = s.desiredNumberScheduled ?? 0;
        const ready = s.numberReady ?? 0;
        const updated = s.updatedNumberScheduled ?? desired;
        return { ready: ready >= desired && updated >= desired && (s.numberUnavailable ?? 0) === 0, summary: `${id}: ${ready}/${desired} ready, ${updated} updated` };
    }
    const desired = w.spec?.replicas ?? 1;
    const ready = s.readyReplicas ?? 0;
    const updated = s.updatedReplicas ?? 0;
    const available = w.kind === "Deployment" ? s.availableReplicas ?? 0 : ready;
    return { ready: ready >= desired && updated >= desired && available >= desired, summary: `${id}: ${ready}/${desired} ready, ${updated} updated` };
}

/** The platform's workloads: everything outside the namespaces the services run in. */
export function platformWorkloads(all: Workload[], workloadNamespaces: string[]): Workload[] {
    return all.filter((w) => !workloadNamespaces.includes(w.metadata.namespace));
}

export interface HealthOptions {
    workloadNamespaces: string[];
    frontendUrl?: string;
    paths: string[];
    timeoutSeconds: number;
    intervalSeconds: number;
}

export interface HealthDeps {
    listWorkloads(): Promise<Workload[]>;
    /** HTTP status of a GET, or an error message. */
    get(url: string): Promise<number | string>;
    sleep(ms: number): Promise<void>;
    now(): number;
    log(line: string): void;
}

export function frontendUrls(base: string, paths: string[]): string[] {
    const root = base.replace(/\/+$/, "");
    return paths.map((p) => `${root}${p.startsWith("/") ? p : `/${p}`}`);
}

/** One round of checks: the problems found (none = healthy). */
async function findProblems(o: HealthOptions, deps: HealthDeps): Promise<string[]> {
    const problems: string[] = [];
    let workloads: Workload[] = [];
    try {
        workloads = platformWorkloads(await deps.listWorkloads(), o.workloadNamespaces);
        if (workloads.length === 0) problems.push("no platform workload found: is this the right cluster?");
    } catch (e) {
        problems.push(`listing workloads failed: ${(e as Error).message}`);
    }
    for (const w of workloads) {
        const r = workloadReadiness(w);
        if (!r.ready) problems.push(r.summary);
    }
    if (o.frontendUrl) {
        for (const url of frontendUrls(o.frontendUrl, o.paths)) {
            const status = await deps.get(url).catch((e: Error) => e.message);
            if (status !== 200) problems.push(`GET ${url}: ${typeof status === "number" ? `HTTP ${status}` : status}`);
        }
    }
    return problems;
}

export async function checkHealth(o: HealthOptions, deps: HealthDeps): Promise<boolean> {
    if (!o.frontendUrl) deps.log("The frontend is not exposed (frontendUrl is empty): only the platform's pods are checked.");
    const deadline = deps.now() + o.timeoutSeconds * 1000;
    for (;;) {
        const problems = await findProblems(o, deps);
        if (problems.length === 0) {
            deps.log(`Healthy: platform workloads ready${o.frontendUrl ? `; ${frontendUrls(o.frontendUrl, o.paths).join(", ")} answer 200` : ""}.`);
            return true;
        }
        if (deps.now() + o.intervalSeconds * 1000 > deadline) {
            deps.log(`Not healthy after ${o.timeoutSeconds}s:`);
            for (const p of problems) deps.log(`  - ${p}`);
            return false;
        }
        deps.log(`Waiting (${problems.length} problem(s)): ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? "; ..." : ""}`);
        await deps.sleep(o.intervalSeconds * 1000);
    }
}

export const defaultDeps: HealthDeps = {
    listWorkloads: async () => {
        const out = execFileSync("kubectl", ["get", "deployments,statefulsets,daemonsets", "--all-namespaces", "-o", "json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        return JSON.parse(out).items;
    },
    get: async (url) => {
        try {
            const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(10_000) });
            return response.status;
        } catch (e) {
            return (e as Error).message;
        }
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    log: (line) => console.log(line),
};

export const USAGE = "Usage: ts-node ci/health-check.ts --workload-namespaces '<json list>' [--frontend-url <url>] [--paths '<json list>'] [--timeout <seconds>] [--interval <seconds>]";

export function parseHealthOptions(argv: string[]): HealthOptions {
    const { options, positional } = parseOptions(argv, { values: ["workload-namespaces", "frontend-url", "paths", "timeout", "interval"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const frontendUrl = options["frontend-url"] || undefined;
    if (frontendUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(frontendUrl)) throw new UsageError(`--frontend-url must be an http(s) URL, got ${JSON.stringify(frontendUrl)}`);
    return {
        workloadNamespaces: parseStringList(requireOption(options, "workload-namespaces"), "--workload-namespaces"),
        frontendUrl,
        paths: options.paths === undefined ? ["/healthz", "/"] : parseStringList(options.paths, "--paths"),
        timeoutSeconds: positiveSeconds(options, "timeout", 600),
        intervalSeconds: positiveSeconds(options, "interval", 15),
    };
}

export async function main(argv: string[], deps: HealthDeps = defaultDeps): Promise<number> {
    return (await checkHealth(parseHealthOptions(argv), deps)) ? 0 : 1;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
