/**
 * CI job timeouts derived from the program's own waits, so no job is killed while Pulumi is still inside an
 * operation (a kill is what leaves a stack locked with pending operations; README, Recovery):
 *
 * - per layer, the longest chain of waits through the resources' dependencies (Pulumi runs independent resources
 *   in parallel, dependent ones in order), from the program graph (lib/offline): each Helm release's `timeout`,
 *   each Application's `customTimeouts` (the sync wait; the finalizer on delete), and the provider defaults of the
 *   resources that take minutes and set none (the EKS cluster, node groups and add-ons, the VPC's NAT gateways,
 *   a namespace's deletion);
 * - the destroy's own waits (tools/destroy-plan.ts) and the `--timeout` of CI's waiting helpers;
 * - plus the fixed cost of a job's setup and of each Pulumi command.
 *
 * A job's budget is the sum over its steps, rounded up to 5 minutes; tests/ci/timeouts.spec.ts checks every
 * workflow job's `timeout-minutes` (and that its AWS credentials outlive it) against this module.
 *
 *   npx ts-node --swc tools/timeouts.ts     prints every job's timeout, derived and as set
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ENVIRONMENTS, Environment, LAYERS, Layer, REPO_ROOT } from "../lib/environment";
import { EnvironmentRun, LayerRun, RecordedResource, environmentGraph } from "../lib/offline";
import { destroyPlan } from "./destroy-plan";
import { protectSettings } from "./destroy";

/** Minutes of a resource's create, update and delete. */
export interface Waits {
    create: number;
    update: number;
    delete: number;
}

/**
 * The providers' default waits for the resource types whose operations take minutes and that the program gives no
 * timeout of its own (checked 2026-12: terraform-provider-aws internal/service/eks cluster.go, node_group.go,
 * addon.go and ec2 NAT gateway; pulumi-kubernetes' await of a namespace's deletion).
 */
export const PROVIDER_WAITS: Record<string, Waits> = {
    // A remote component: its aws.eks.Cluster child waits 30 / 60 / 15 minutes.
    "eks:index:Cluster": { create: 30, update: 60, delete: 15 },
    "aws:eks/nodeGroup:NodeGroup": { create: 60, update: 60, delete: 60 },
    "aws:eks/addon:Addon": { create: 20, update: 20, delete: 40 },
    // A remote component: its NAT gateways wait 10 / 10 / 30 minutes.
    "awsx:ec2:Vpc": { create: 10, update: 10, delete: 30 },
    "kubernetes:core/v1:Namespace": { create: 0, update: 0, delete: 10 },
};

/** A job's checkout, Node.js, `npm ci`, credentials and the Pulumi CLI. */
export const SETUP_MINUTES = 10;
/** Each Pulumi command's own work besides the waits: plugins, running the program, the policy pack, an up's preview. */
export const PULUMI_COMMAND_MINUTES = 5;
/** A job without any of the program's waits (tests, builds, previews) must still end within this. */
export const MAX_MINUTES_WITHOUT_WAITS = 60;
/** The longest a job runs on a GitHub-hosted runner. */
export const GITHUB_HOSTED_JOB_LIMIT_MINUTES = 360;

const minutes = (duration: string | undefined): number | undefined => {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration ?? "");
    return m && duration ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) + Number(m[3] ?? 0) / 60 : undefined;
};

/** How long the program lets one resource's operations take. */
export function resourceWaits(r: RecordedResource): Waits {
    const base = r.type === "kubernetes:helm.sh/v3:Release" ? { create: r.inputs.timeout / 60, update: r.inputs.timeout / 60, delete: r.inputs.timeout / 60 } : PROVIDER_WAITS[r.type] ?? { create: 0, update: 0, delete: 0 };
    const t = r.customTimeouts;
    return { create: minutes(t?.create) ?? base.create, update: minutes(t?.update) ?? base.update, delete: minutes(t?.delete) ?? base.delete };
}

/**
 * The longest chain of waits of a layer for an up (each resource created or updated after what it depends on) or a
 * destroy (each deleted after what depends on it). A dependency on a component is one on everything under it, and a
 * resource also waits for its parents' dependencies (the safe reading of a component's dependsOn).
 */
export function criticalPathMinutes(run: LayerRun, operation: "up" | "destroy"): number {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const children = new Map<string, RecordedResource[]>();
    for (const r of run.resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const descendants = (urn: string): string[] => (children.get(urn) ?? []).flatMap((c) => [c.urn, ...descendants(c.urn)]);
    const depsCache = new Map<string, Set<string>>();
    const deps = (r: RecordedResource): Set<string> => {
        if (!depsCache.has(r.urn)) {
            const direct = r.dependsOn.flatMap((urn) => [urn, ...descendants(urn)]);
            const parent = r.parent ? byUrn.get(r.parent) : undefined;
            depsCache.set(r.urn, new Set([...direct, ...(parent ? deps(parent) : [])].filter((u) => u !== r.urn && byUrn.has(u))));
        }
        return depsCache.get(r.urn)!;
    };
    const wait = (r: RecordedResource) => (operation === "up" ? Math.max(resourceWaits(r).create, resourceWaits(r).update) : resourceWaits(r).delete);
    const next = new Map<string, string[]>();
    for (const r of run.resources) {
        for (const d of deps(r)) {
            // up: d before r; destroy: r before d.
            const [from, to] = operation === "up" ? [d, r.urn] : [r.urn, d];
            next.set(from, [...(next.get(from) ?? []), to]);
        }
    }
    const longest = new Map<string, number>();
    const after = (urn: string): number => {
        if (!longest.has(urn)) longest.set(urn, wait(byUrn.get(urn)!) + Math.max(0, ...(next.get(urn) ?? []).map(after)));
        return longest.get(urn)!;
    };
    return Math.max(0, ...run.resources.map((r) => after(r.urn)));
}

/** Per layer and operation, the longest chain of waits over the environments' graphs. */
export type ProgramWaits = Record<"up" | "destroy", Record<Layer, number>>;

export function programWaits(graphs: EnvironmentRun[]): ProgramWaits {
    const over = (operation: "up" | "destroy") =>
        Object.fromEntries(LAYERS.map((layer) => [layer, Math.max(0, ...graphs.map((g) => (g[layer] ? criticalPathMinutes(g[layer]!, operation) : 0)))])) as Record<Layer, number>;
    return { up: over("up"), destroy: over("destroy") };
}

/** What the program's destroy waits, end to end (its steps of tools/destroy-plan.ts), over the environments. */
export function destroyMinutes(graphs: EnvironmentRun[], waits: ProgramWaits, root: string = REPO_ROOT): number {
    return Math.max(
        ...graphs.map((graph) => {
            const plan = destroyPlan({ environment: graph.env as Environment, stackName: graph.env, allowProduction: true, protect: protectSettings(graph.env as Environment, root), graph });
            return plan.steps.reduce((sum, step) => sum + (step.kind === "destroy" ? waits.destroy[step.layer] + PULUMI_COMMAND_MINUTES : step.kind === "wait" ? step.timeoutSeconds / 60 : 0), 0);
        }),
    );
}

export interface WorkflowStep {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}

export interface WorkflowJob {
    uses?: string;
    steps?: WorkflowStep[];
    "timeout-minutes"?: number;
}

export interface Budget {
    programWaits: ProgramWaits;
    destroy: number;
}

/** What one step waits, in minutes; undefined for a step that runs none of the program's waits. */
export function stepWaitMinutes(step: WorkflowStep, budget: Budget): number | undefined {
    if (step.uses?.split("@")[0] === "pulumi/actions" && step.with?.command !== undefined) {
        const layer = String(step.with["work-dir"]) as Layer;
        const command = String(step.with.command);
        if (command === "up" || command === "destroy") return budget.programWaits[command][layer] + PULUMI_COMMAND_MINUTES;
        return undefined;
    }
    const run = step.run ?? "";
    if (/npm run (--silent )?destroy\b|tools\/destroy\.ts\b/.test(run) && !/--dry-run/.test(run)) return budget.destroy;
    if (/ci\/(argocd-wait|health-check)\.ts/.test(run)) {
        const timeout = /--timeout (\d+)/.exec(run);
        if (!timeout) throw new Error(`${step.name ?? run}: pass --timeout explicitly, so the job's budget can read it`);
        return Number(timeout[1]) / 60;
    }
    return undefined;
}

/** Seconds of the AWS credentials a job asks for (configure-aws-credentials' role-duration-seconds, default 3600), by step. */
export const DEFAULT_AWS_SESSION_SECONDS = 3600;

export function awsSessionSeconds(job: WorkflowJob): number[] {
    return (job.steps ?? []).filter((s) => s.uses?.split("@")[0] === "aws-actions/configure-aws-credentials").map((s) => Number(s.with?.["role-duration-seconds"] ?? DEFAULT_AWS_SESSION_SECONDS));
}

/** Seconds of the Pulumi Cloud tokens a job asks for (pulumi/auth-actions' token-expiration; undefined: not asked for). */
export function pulumiTokenSeconds(job: WorkflowJob): (number | undefined)[] {
    return (job.steps ?? []).filter((s) => s.uses?.split("@")[0] === "pulumi/auth-actions").map((s) => (s.with?.["token-expiration"] === undefined ? undefined : Number(s.with["token-expiration"])));
}

export interface JobBudget {
    /** The job's timeout-minutes the program's waits call for; undefined for a job without any of them. */
    minutes?: number;
    waits: { step: string; minutes: number }[];
}

export function jobBudget(job: WorkflowJob, budget: Budget): JobBudget {
    const waits = (job.steps ?? []).flatMap((s) => {
        const m = stepWaitMinutes(s, budget);
        return m === undefined ? [] : [{ step: s.name ?? s.run ?? s.uses ?? "", minutes: m }];
    });
    if (waits.length === 0) return { waits };
    const total = SETUP_MINUTES + waits.reduce((sum, w) => sum + w.minutes, 0);
    return { minutes: Math.ceil(total / 5) * 5, waits };
}

/** The budget of the committed settings: both environments' graphs (shared with the tests through environmentGraph). */
export async function committedBudget(): Promise<Budget> {
    const graphs = await Promise.all(ENVIRONMENTS.map((env) => environmentGraph(env)));
    const waits = programWaits(graphs);
    return { programWaits: waits, destroy: destroyMinutes(graphs, waits) };
}

export const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");

/** Every job of every workflow: [file, job id, job]. */
export function workflowJobs(dir: string = WORKFLOWS_DIR): [string, string, WorkflowJob][] {
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .flatMap((file) => Object.entries<WorkflowJob>(parse(fs.readFileSync(path.join(dir, file), "utf8")).jobs ?? {}).map(([id, job]) => [file, id, job] as [string, string, WorkflowJob]));
}

/**
 * The README's table of every job's timeout, how it is derived, and the lifetimes of the credentials it asks for
 * (README, Recovery; `npm run readme` renders it).
 */
export async function timeoutsTable(budget?: Budget): Promise<string> {
    const b = budget ?? (await committedBudget());
    const layers = (op: "up" | "destroy") => LAYERS.map((l) => `${l} ${b.programWaits[op][l]}`).join(", ");
    const seconds = (xs: (number | undefined)[]) => (xs.length === 0 ? "—" : xs.map((x) => (x === undefined ? "not asked" : `${x} s`)).join(", "));
    const rows = workflowJobs()
        .filter(([, , job]) => !job.uses)
        .map(([file, id, job]) => {
            const jb = jobBudget(job, b);
            const from = jb.minutes === undefined ? `no program waits (at most ${MAX_MINUTES_WITHOUT_WAITS})` : `${SETUP_MINUTES} setup + ${jb.waits.map((w) => `${w.minutes} ${w.step}`).join(" + ")}`;
            return `| \`${file}\` ${id} | ${job["timeout-minutes"] ?? "none"} | ${from} | ${seconds(awsSessionSeconds(job))} | ${seconds(pulumiTokenSeconds(job))} |`;
        });
    return [
        `The longest chain of waits of each layer, in minutes: \`pulumi up\` ${layers("up")}; \`pulumi destroy\` ${layers("destroy")}; ` +
            `the whole destroy with its own waits ${b.destroy}. Each job: ${SETUP_MINUTES} minutes of setup, ${PULUMI_COMMAND_MINUTES} more per Pulumi command, rounded up to 5.`,
        "",
        "| job | timeout-minutes | from | AWS credentials | Pulumi token |",
        "|---|---:|---|---|---|",
        ...rows,
    ].join("\n");
}

if (require.main === module) {
    committedBudget().then((budget) => {
        console.log(`program waits (minutes, longest chain): up ${JSON.stringify(budget.programWaits.up)}, destroy ${JSON.stringify(budget.programWaits.destroy)}; whole destroy ${budget.destroy}`);
        for (const [file, id, job] of workflowJobs()) {
            if (job.uses) continue;
            const b = jobBudget(job, budget);
            const set = job["timeout-minutes"];
            const want = b.minutes === undefined ? `no program waits (at most ${MAX_MINUTES_WITHOUT_WAITS})` : `${b.minutes} (${SETUP_MINUTES} setup + ${b.waits.map((w) => `${w.minutes} ${w.step}`).join(" + ")})`;
            console.log(`${file} ${id}: timeout-minutes ${set ?? "(none)"}, derived ${want}`);
        }
    });
}
