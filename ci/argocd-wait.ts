/**
 * The `verify` job: waits until every ArgoCD Application of the environment is Synced and Healthy at the
 * released commit (or a later one: a newer push may have synced meanwhile). ArgoCD learns of the commit from
 * GitHub's webhook within seconds; with write access the tool also asks for a refresh first (otherwise ArgoCD
 * would notice the commit at its next poll); `--no-refresh` only reads, which is all the read-only identity the
 * verify job uses may do.
 * On timeout it exits non-zero and prints, per Application still not ready, its state and the resources that
 * are out of sync or unhealthy.
 * With `--environment`, it also says whether what ran healthy is the release's images: every Application at the
 * release, or at a later commit whose overlays pin what the release pins. A later commit that pins other images (a
 * rollback merged while this run waited) proves nothing about the release: the step output `verified-revision` is
 * then empty, and the release is not recorded as verified.
 *
 *   ts-node ci/argocd-wait.ts --namespace argocd --applications '["root","user-service"]' \
 *       [--revision <sha> [--environment <env>]] [--timeout 900] [--interval 15] [--no-refresh]
 *
 * Uses kubectl with the current kubeconfig (`aws eks update-kubeconfig`). A synced commit this clone lacks is
 * fetched from origin, with $GITHUB_TOKEN when set (the job's checkout keeps no credentials; a private repository
 * needs them).
 */
import { execFileSync } from "child_process";
import { ENVIRONMENTS, REPO_ROOT } from "../lib/environment";
import { Git, UsageError, gitIn, parseOptions, parseStringList, positiveSeconds, requireOption, runTool, setOutputs } from "../lib/cli-support";
import { imagesAt } from "./pins";

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
    /** The revisions the Application is synced to. */
    revisions: string[];
    /** One line: sync, health, revision. */
    summary: string;
    /** Why it is not ready: operation, conditions, resources. */
    details: string[];
}

/** Whether `actual` is `expected` or a later commit (a newer release synced meanwhile also counts). */
export type RevisionCheck = (expected: string, actual: string) => boolean;

export function assess(name: string, app: Application | undefined, revision: string | undefined, isAtOrAfter: RevisionCheck): Assessment {
    if (!app) return { name, ready: false, revisions: [], summary: `${name}: not found`, details: ["the Application does not exist (yet)"] };
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
    return { name, ready, revisions, summary, details };
}

export interface WaitOptions {
    namespace: string;
    applications: string[];
    revision?: string;
    /** The environment whose overlays' pins a later synced revision must share with `revision` for the release to count as verified. */
    environment?: string;
    timeoutSeconds: number;
    intervalSeconds: number;
    /** Annotate each Application for a refresh first (needs write access to them); default true. */
    refresh?: boolean;
}

export interface WaitDeps {
    list(namespace: string): Promise<Application[]>;
    refresh(namespace: string, name: string): Promise<void>;
    isAtOrAfter: RevisionCheck;
    /** Whether the environment's overlays pin the same images at both commits. */
    samePins(expected: string, actual: string, environment: string): boolean;
    /** GitHub step outputs. */
    outputs(values: Record<string, string>): void;
    sleep(ms: number): Promise<void>;
    now(): number;
    log(line: string): void;
}

export interface WaitResult {
    ready: boolean;
    /** The last assessment of every Application. */
    assessments: Assessment[];
}

/** Polls until every Application is ready or the timeout passes (not ready, with the report logged). */
export async function waitForRelease(o: WaitOptions, deps: WaitDeps): Promise<WaitResult> {
    const deadline = deps.now() + o.timeoutSeconds * 1000;
    for (const name of o.refresh === false ? [] : o.applications) {
        await deps.refresh(o.namespace, name).catch((e) => deps.log(`could not request a refresh of ${name}: ${(e as Error).message}`));
    }
    let last: Assessment[] = [];
    let failure: string | undefined;
    for (;;) {
        let apps: Application[] | undefined;
        try {
            apps = await deps.list(o.namespace);
        } catch (e) {
            deps.log(`listing Applications failed: ${(e as Error).message}`);
        }
        if (apps) {
            const byName = new Map(apps.map((a) => [a.metadata.name, a]));
            try {
                last = o.applications.map((n) => assess(n, byName.get(n), o.revision, deps.isAtOrAfter));
                failure = undefined;
            } catch (e) {
                // A synced commit that cannot be fetched: tried again at the next poll, and named if it never works.
                failure = (e as Error).message;
                deps.log(`comparing the synced revisions with ${o.revision?.slice(0, 12)} failed: ${failure}`);
            }
            const waiting = last.filter((a) => !a.ready);
            if (failure === undefined && waiting.length === 0) {
                deps.log(`All ${o.applications.length} Applications are Synced and Healthy${o.revision ? ` at ${o.revision.slice(0, 12)}` : ""}.`);
                return { ready: true, assessments: last };
            }
            if (failure === undefined) deps.log(`Waiting for ${waiting.length} of ${o.applications.length}: ${waiting.map((a) => a.summary).join("; ")}`);
        }
        if (deps.now() + o.intervalSeconds * 1000 > deadline) break;
        await deps.sleep(o.intervalSeconds * 1000);
    }
    deps.log(`Timed out after ${o.timeoutSeconds}s. Not ready:`);
    for (const a of last.filter((x) => !x.ready)) {
        deps.log(`  ${a.summary}`);
        for (const d of a.details) deps.log(`    - ${d}`);
    }
    if (failure) deps.log(`  (the synced revisions could not be compared with the release: ${failure})`);
    else if (last.length === 0) deps.log("  (the Applications could not be listed at all)");
    return { ready: false, assessments: last };
}

/** {@link waitForRelease}, answering whether every Application got ready. */
export async function waitForApplications(o: WaitOptions, deps: WaitDeps): Promise<boolean> {
    return (await waitForRelease(o, deps)).ready;
}

/**
 * Whether what ran healthy is the release's images: each Application synced to `revision` itself, or to a later
 * commit whose overlays pin the same images in the environment. Logs the commit that replaced them otherwise.
 */
export function releaseRan(revision: string, environment: string, assessments: Assessment[], deps: Pick<WaitDeps, "samePins" | "log">): boolean {
    const synced = [...new Set(assessments.flatMap((a) => a.revisions))].filter((r) => r !== revision);
    const other = synced.find((r) => !deps.samePins(revision, r, environment));
    if (other === undefined) return true;
    deps.log(
        `${revision.slice(0, 12)}'s images did not run: ArgoCD runs ${other.slice(0, 12)}, a later commit whose ${environment} overlays pin other images ` +
            `(a rollback or a release merged while this run waited). Not recorded as verified: that commit's own run verifies it.`,
    );
    return false;
}

function kubectl(args: string[]): string {
    return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * `git fetch origin <sha>` in `root`, authenticated with `token` (GitHub's `x-access-token` basic scheme, passed
 * through the environment so it is neither in the clone's config nor on a command line), never prompting. Throws
 * with git's message when the commit cannot be fetched.
 */
export function fetchCommit(root: string, token: string | undefined): (sha: string) => void {
    return (sha) => {
        const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
        if (token) {
            Object.assign(env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraheader", GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}` });
        }
        try {
            execFileSync("git", ["fetch", "--quiet", "--no-tags", "origin", sha], { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        } catch (e) {
            const stderr = String((e as { stderr?: string }).stderr ?? "").trim();
            throw new Error(`git fetch origin ${sha} failed${stderr ? `: ${stderr}` : ""}${token ? "" : " (no GITHUB_TOKEN: the checkout keeps no credentials, and a private repository needs them)"}`);
        }
    };
}

/** Ancestry and pins of the synced commits, fetched first when this clone does not have them (they may be newer than the checkout). */
export function gitRevisions(git: Git, fetch: (sha: string) => void): Pick<WaitDeps, "isAtOrAfter" | "samePins"> {
    const have = (sha: string) => {
        if (git(["cat-file", "-e", `${sha}^{commit}`]) === undefined) fetch(sha);
    };
    const images = (sha: string, environment: string) => JSON.stringify(Object.entries(imagesAt(git, sha, environment)).sort());
    return {
        isAtOrAfter: (expected, actual) => {
            have(actual);
            return git(["merge-base", "--is-ancestor", expected, actual]) !== undefined;
        },
        samePins: (expected, actual, environment) => {
            have(actual);
            return images(expected, environment) === images(actual, environment);
        },
    };
}

export const defaultDeps: WaitDeps = {
    list: async (namespace) => JSON.parse(kubectl(["get", "applications.argoproj.io", "-n", namespace, "-o", "json"])).items,
    refresh: async (namespace, name) => {
        kubectl(["annotate", "applications.argoproj.io", name, "-n", namespace, "argocd.argoproj.io/refresh=normal", "--overwrite"]);
    },
    ...gitRevisions(gitIn(REPO_ROOT), fetchCommit(REPO_ROOT, process.env.GITHUB_TOKEN || undefined)),
    outputs: (values) => setOutputs(values),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    log: (line) => console.log(line),
};

export const USAGE =
    "Usage: ts-node ci/argocd-wait.ts --namespace <ns> --applications '<json list>' [--revision <sha> [--environment <env>]] [--timeout <seconds>] [--interval <seconds>] [--no-refresh]";

export function parseWaitOptions(argv: string[]): WaitOptions {
    const { options, flags, positional } = parseOptions(argv, { values: ["namespace", "applications", "revision", "environment", "timeout", "interval"], flags: ["no-refresh"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const applications = parseStringList(requireOption(options, "applications"), "--applications");
    if (applications.length === 0) throw new UsageError("--applications is empty: the apps stack exports no Application to wait for");
    if (options.environment !== undefined && !options.revision) throw new UsageError("--environment needs --revision (the release whose pins it compares)");
    if (options.environment !== undefined && !(ENVIRONMENTS as readonly string[]).includes(options.environment)) {
        throw new UsageError(`--environment ${JSON.stringify(options.environment)}: allowed ${ENVIRONMENTS.join(", ")}`);
    }
    return {
        namespace: requireOption(options, "namespace"),
        applications,
        revision: options.revision || undefined,
        environment: options.environment || undefined,
        timeoutSeconds: positiveSeconds(options, "timeout", 900),
        intervalSeconds: positiveSeconds(options, "interval", 15),
        refresh: !flags.has("no-refresh"),
    };
}

export async function main(argv: string[], deps: WaitDeps = defaultDeps): Promise<number> {
    const o = parseWaitOptions(argv);
    const { ready, assessments } = await waitForRelease(o, deps);
    if (!ready) return 1;
    if (o.revision && o.environment) deps.outputs({ "verified-revision": releaseRan(o.revision, o.environment, assessments, deps) ? o.revision : "" });
    return 0;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
