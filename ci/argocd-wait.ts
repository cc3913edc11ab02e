/**
 * The `verify` job: waits until every ArgoCD Application of the environment is Synced and Healthy at the
 * released commit. ArgoCD learns of the commit from GitHub's webhook within seconds; with write access the tool
 * also asks for a refresh first (otherwise ArgoCD would notice the commit at its next poll); `--no-refresh` only
 * reads, which is all the read-only identity the verify job uses may do.
 * On timeout it exits non-zero and prints, per Application still not ready, its state and the resources that
 * are out of sync or unhealthy.
 *
 *   ts-node ci/argocd-wait.ts --namespace argocd --applications '["root","user-service"]' \
 *       [--revision <sha>] [--timeout 900] [--interval 15] [--no-refresh]
 *
 * Uses kubectl with the current kubeconfig (`aws eks update-kubeconfig`).
 */
import { execFileSync } from "child_process";
import { REPO_ROOT } from "../lib/environment";
import { Git, UsageError, gitIn, parseOptions, parseStringList, positiveSeconds, requireOption, runTool } from "../lib/cli-support";

interface ResourceStatus {
    group?: string;
    kind: string;
    namespace?: string;
    name: string;
    status?: string;
    health?: { status?: string; message?: string };
}

/** The parts of an argoproj.io/v1alpha1 Application this tool reads. */
export interface Application {
    metadata: { name: string };
    status?: {
        sync?: { status?: string; revision?: string; revisions?: string[] };
        health?: { status?: string; message?: string };
        operationState?: { phase?: string; message?: string };
        conditions?: { type: string; message?: string }[];
        resources?: ResourceStatus[];
    };
}

export interface Assessment {
    name: string;
    ready: boolean;
    /** One line: sync, health, revision. */
    summary: string;
    /** Why it is not ready: operation, conditions, resources. */
    details: string[];
}

/** Whether `actual` is `expected` or a later commit (a newer release synced meanwhile also counts). */
export type RevisionCheck = (expected: string, actual: string) => boolean;

export function assess(name: string, app: Application | undefined, revision: string | undefined, isAtOrAfter: RevisionCheck): Assessment {
    if (!app) return { name, ready: false, summary: `${name}: not found`, details: ["the Application does not exist (yet)"] };
    const s = app.status ?? {};
    const sync = s.sync?.status ?? "Unknown";
    const health = s.health?.status ?? "Unknown";
    const revisions = s.sync?.revisions ?? (s.sync?.revision ? [s.sync.revision] : []);
    const atRevision = revision === undefined || revisions.some((r) => r === revision || isAtOrAfter(revision, r));
    const ready = sync === "Synced" && health === "Healthy" && atRevision;
    const shown = revisions.map((r) => r.slice(0, 12)).join(",") || "none";
    const summary = `${name}: sync ${sync}, health ${health}, revision ${shown}${revision && !atRevision ? ` (waiting for ${revision.slice(0, 12)})` : ""}`;
    const details: string[] = [];
    if (!ready) {
        if (s.health?.message) details.push(`health: ${s.health.message}`);
        const op = s.operationState;
        if (op?.phase && op.phase !== "Succeeded") details.push(`last sync ${op.phase}${op.message ? `: ${op.message}` : ""}`);
        for (const c of s.conditions ?? []) details.push(`${c.type}: ${c.message ?? ""}`.trim());
        for (const r of s.resources ?? []) {
            const rHealth = r.health?.status;
            const bad = (r.status !== undefined && r.status !== "Synced") || (rHealth !== undefined && rHealth !== "Healthy");
            if (!bad) continue;
            const id = `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
            details.push(`${id}: ${r.status ?? "?"}${rHealth ? `, ${rHealth}` : ""}${r.health?.message ? ` (${r.health.message})` : ""}`);
        }
    }
    return { name, ready, summary, details };
}

export interface WaitOptions {
    namespace: string;
    applications: string[];
    revision?: string;
    timeoutSeconds: number;
    intervalSeconds: number;
    /** Annotate each Application for a refresh first (needs write access to them); default true. */
    refresh?: boolean;
}

export interface WaitDeps {
    list(namespace: string): Promise<Application[]>;
    refresh(namespace: string, name: string): Promise<void>;
    isAtOrAfter: RevisionCheck;
    sleep(ms: number): Promise<void>;
    now(): number;
    log(line: string): void;
}

/** Polls until every Application is ready (true) or the timeout passes (false, with the report logged). */
export async function waitForApplications(o: WaitOptions, deps: WaitDeps): Promise<boolean> {
    const deadline = deps.now() + o.timeoutSeconds * 1000;
    for (const name of o.refresh === false ? [] : o.applications) {
        await deps.refresh(o.namespace, name).catch((e) => deps.log(`could not request a refresh of ${name}: ${(e as Error).message}`));
    }
    let last: Assessment[] = [];
    for (;;) {
        let apps: Application[] | undefined;
        try {
            apps = await deps.list(o.namespace);
        } catch (e) {
            deps.log(`listing Applications failed: ${(e as Error).message}`);
        }
        if (apps) {
            const byName = new Map(apps.map((a) => [a.metadata.name, a]));
            last = o.applications.map((n) => assess(n, byName.get(n), o.revision, deps.isAtOrAfter));
            const waiting = last.filter((a) => !a.ready);
            if (waiting.length === 0) {
                deps.log(`All ${o.applications.length} Applications are Synced and Healthy${o.revision ? ` at ${o.revision.slice(0, 12)}` : ""}.`);
                return true;
            }
            deps.log(`Waiting for ${waiting.length} of ${o.applications.length}: ${waiting.map((a) => a.summary).join("; ")}`);
        }
        if (deps.now() + o.intervalSeconds * 1000 > deadline) break;
        await deps.sleep(o.intervalSeconds * 1000);
    }
    deps.log(`Timed out after ${o.timeoutSeconds}s. Not ready:`);
    for (const a of last.filter((x) => !x.ready)) {
        deps.log(`  ${a.summary}`);
        for (const d of a.details) deps.log(`    - ${d}`);
    }
    if (last.length === 0) deps.log("  (the Applications could not be listed at all)");
    return false;
}

function kubectl(args: string[]): string {
    return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** `git merge-base --is-ancestor`, fetching the newer commit first when this clone does not have it. */
export function gitRevisionCheck(git: Git = gitIn(REPO_ROOT)): RevisionCheck {
    return (expected, actual) => {
        if (git(["cat-file", "-e", `${actual}^{commit}`]) === undefined) git(["fetch", "--quiet", "origin", actual]);
        return git(["merge-base", "--is-ancestor", expected, actual]) !== undefined;
    };
}

export const defaultDeps: WaitDeps = {
    list: async (namespace) => JSON.parse(kubectl(["get", "applications.argoproj.io", "-n", namespace, "-o", "json"])).items,
    refresh: async (namespace, name) => {
        kubectl(["annotate", "applications.argoproj.io", name, "-n", namespace, "argocd.argoproj.io/refresh=normal", "--overwrite"]);
    },
    isAtOrAfter: gitRevisionCheck(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    log: (line) => console.log(line),
};

export const USAGE = "Usage: ts-node ci/argocd-wait.ts --namespace <ns> --applications '<json list>' [--revision <sha>] [--timeout <seconds>] [--interval <seconds>] [--no-refresh]";

export function parseWaitOptions(argv: string[]): WaitOptions {
    const { options, flags, positional } = parseOptions(argv, { values: ["namespace", "applications", "revision", "timeout", "interval"], flags: ["no-refresh"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const applications = parseStringList(requireOption(options, "applications"), "--applications");
    if (applications.length === 0) throw new UsageError("--applications is empty: the apps stack exports no Application to wait for");
    return {
        namespace: requireOption(options, "namespace"),
        applications,
        revision: options.revision || undefined,
        timeoutSeconds: positiveSeconds(options, "timeout", 900),
        intervalSeconds: positiveSeconds(options, "interval", 15),
        refresh: !flags.has("no-refresh"),
    };
}

export async function main(argv: string[], deps: WaitDeps = defaultDeps): Promise<number> {
    return (await waitForApplications(parseWaitOptions(argv), deps)) ? 0 : 1;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
