/**
 * The offline plan: `npm run plan -- <env> [--json] [--layer infra|platform|apps]`.
 *
 * Runs infra, platform and apps of an environment under Pulumi mocks (the mock kit), with the real settings
 * file, feeding each layer's outputs to the next as StackReference outputs; then prints what each layer would
 * create, what the policy pack says (with the environment's policy config) and what it costs per month.
 * No cloud account, no Pulumi CLI. Exit codes: 0 fine, 1 a mandatory policy violation, 2 a user error
 * (unknown environment or flag, invalid settings).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { ENVIRONMENTS, isEnvironment, REPO_ROOT } from "../lib/environment";
import { loadPackConfig, PackConfig, PolicyReport, runPack } from "../policies/offline";
import { EnvironmentRun, Layer, LAYERS, runEnvironment } from "../lib/offline";
import { parseOptions, UsageError } from "../lib/cli-support";
import { isIsoDate, today, TODAY_VARIABLE } from "../lib/today";
import { CostEstimate, estimateCost, ManifestObject } from "./cost";
import { countNodes, PlanNode, renderTree, resourceTree } from "./plan-tree";
import { PRICES } from "./prices";

export const USAGE = `usage: npm run plan -- <environment> [--json] [--layer <${LAYERS.join("|")}>] [--config <key>=<value>]... [--today <YYYY-MM-DD>]
  environments: ${ENVIRONMENTS.join(", ")}
  --today plans as on that day (the Kubernetes support window); default: ${TODAY_VARIABLE} or the UTC date
  --config overrides one setting of the environment's settings file for this plan (JSON values are parsed),
  e.g. --config infra:availabilityZoneCount=3`;

export const REMOTE_NOTE =
    "Remote components (awsx:ec2:Vpc, eks:index:Cluster) are shown with their inputs only: their children (subnets, " +
    "route tables, NAT gateways, the EKS cluster resource, its security groups and OIDC provider) are created by their " +
    "providers and appear only in a real `pulumi preview`.";

export interface PlanOptions {
    env: string;
    json: boolean;
    layer?: Layer;
    /** Settings overriding the environment's settings file, to try a change before committing it. */
    config?: Record<string, unknown>;
    /** Replaces policies/config/<env>.json (tests use it to provoke a violation). */
    packConfig?: PackConfig;
    /** Plan as on this day (ISO date): sets GITOPS_TODAY, the one input of date-dependent checks. */
    today?: string;
}

export function parseArgs(argv: string[]): PlanOptions {
    const { options, lists, flags, positional } = parseOptions(argv, { values: ["layer", "today"], lists: ["config"], flags: ["json"] });
    if (positional.length === 0) throw new UsageError("which environment?");
    if (positional.length > 1) throw new UsageError(`unexpected argument ${positional[1]}`);
    const env = positional[0];
    if (!isEnvironment(env)) throw new UsageError(`unknown environment ${env}`);
    const layer = options.layer;
    if (layer !== undefined && !(LAYERS as readonly string[]).includes(layer)) throw new UsageError(`--layer takes one of ${LAYERS.join(", ")}, not ${layer}`);
    const config: Record<string, unknown> = {};
    for (const setting of lists.config) {
        const eq = setting.indexOf("=");
        const namespace = setting.slice(0, Math.max(0, setting.indexOf(":")));
        if (eq <= 0 || !SETTING_NAMESPACES.includes(namespace)) {
            throw new UsageError(`--config takes <namespace:key>=<value> with a namespace of ${SETTING_NAMESPACES.join(", ")}, not ${setting}`);
        }
        config[setting.slice(0, eq)] = parseValue(setting.slice(eq + 1));
    }
    if (options.today !== undefined && !isIsoDate(options.today)) throw new UsageError(`--today takes a date written YYYY-MM-DD, not ${options.today}`);
    return { env, json: flags.has("json"), layer: layer as Layer | undefined, config, ...(options.today ? { today: options.today } : {}) };
}

/** Namespaces of the settings files (a key of another namespace would be ignored by every layer). */
const SETTING_NAMESPACES: string[] = ["aws", ...LAYERS];

/** Errors a user fixes in a settings file or on the command line: a message, not a stack trace. */
const USER_ERRORS = ["SettingsError", "PackConfigError", "LayerContractError"];

/** The message of a user error, without the SDK's "error serializing property" chain around errors thrown in an apply. */
export function userMessage(error: Error): string {
    return error.message.replace(/^(error serializing property "[^"]*": )+/, "");
}

function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

export interface LayerPlan {
    layer: Layer;
    resourceCount: number;
    tree: PlanNode[];
}

export interface PlanResult {
    environment: string;
    /** The day the plan was made for (lib/today). */
    today: string;
    layers: LayerPlan[];
    /** What the programs warned about (settings a person should act on), prefixed with their layer. */
    warnings: string[];
    notes: string[];
    policies: {
        violations: PolicyReport["violations"];
        mandatory: number;
        advisory: number;
    };
    cost: CostEstimate;
    /** 1 when a mandatory policy is violated. */
    exitCode: 0 | 1;
}

export async function plan(options: PlanOptions): Promise<PlanResult> {
    if (options.today === undefined) return planToday(options);
    // The programs read "today" from the environment variable: set it for this plan only.
    const previous = process.env[TODAY_VARIABLE];
    process.env[TODAY_VARIABLE] = options.today;
    try {
        return await planToday(options);
    } finally {
        if (previous === undefined) delete process.env[TODAY_VARIABLE];
        else process.env[TODAY_VARIABLE] = previous;
    }
}

async function planToday(options: PlanOptions): Promise<PlanResult> {
    const day = today();
    const through = options.layer ?? "apps";
    const shown = options.layer ? [options.layer] : LAYERS.slice(0, LAYERS.indexOf(through) + 1);
    // kubectl renders the workloads on the other core while the layers evaluate.
    const workloads: Promise<{ objects: ManifestObject[]; note?: string }> = shown.includes("apps") ? renderWorkloads(options.env) : Promise.resolve({ objects: [] });
    const graph = await runEnvironment(options.env, { through, config: options.config });
    const runs = shown.map((layer) => graph[layer]!);
    const resources = runs.flatMap((r) => r.resources);

    const report = await runPack(resources, options.packConfig ?? loadPackConfig(options.env));
    const rendered = await workloads;
    const notes = [REMOTE_NOTE, ...(rendered.note ? [rendered.note] : [])];
    const cost = estimateCost(
        {
            resources,
            loadBalancers: loadBalancers(graph, shown),
            availabilityZones: graph.infra.outputs.privateSubnetIds.length,
            region: graph.infra.outputs.region,
            manifests: rendered.objects,
        },
        PRICES,
    );

    return {
        environment: options.env,
        today: day,
        warnings: runs.flatMap((run) => run.warnings.map((w) => (w.startsWith(`${run.layer}:`) ? w : `${run.layer}: ${w}`))),
        layers: runs.map((run) => {
            const tree = resourceTree(run.resources);
            return { layer: run.layer, resourceCount: countNodes(tree), tree };
        }),
        notes,
        policies: { violations: report.violations, mandatory: report.mandatory.length, advisory: report.advisory.length },
        cost,
        exitCode: report.mandatory.length > 0 ? 1 : 0,
    };
}

/** An ALB for the platform's UIs when ArgoCD or Grafana is exposed, another for the workloads' public Ingresses (lib/alb.ts). */
function loadBalancers(graph: EnvironmentRun, shown: Layer[]): number {
    const platform = Boolean(graph.platform && (graph.platform.outputs.argocdServerUrl || graph.platform.outputs.grafanaUrl)) && shown.includes("platform");
    const workloads = Boolean(graph.apps?.outputs.frontendUrl) && shown.includes("apps");
    return Number(platform) + Number(workloads);
}

/** The workloads ArgoCD syncs from Git (for their persistent volumes), rendered with kubectl kustomize. */
async function renderWorkloads(env: string): Promise<{ objects: ManifestObject[]; note?: string }> {
    const root = path.join(REPO_ROOT, "apps", "workloads");
    const overlays = fs
        .readdirSync(root)
        .sort()
        .map((name) => path.join(root, name, "overlays", env))
        .filter((overlay) => fs.existsSync(overlay));
    const render = (overlay: string) =>
        new Promise<string>((resolve, reject) => execFile("kubectl", ["kustomize", overlay], { encoding: "utf8" }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
    try {
        const rendered = await Promise.all(overlays.map(render));
        return { objects: rendered.flatMap((yaml) => parseAllDocuments(yaml).map((d) => d.toJS()).filter((o) => o)) };
    } catch (error) {
        return { objects: [], note: `Workload volumes are not counted: kubectl kustomize failed (${(error as Error).message.split("\n")[0]}).` };
    }
}

const money = (n: number) => `$${n.toFixed(2)}`;

export function formatPlan(result: PlanResult): string {
    const out: string[] = [`Offline plan of ${result.environment} (no cloud account; Pulumi mocks)`, ""];
    for (const layer of result.layers) {
        out.push(`== ${layer.layer}: ${layer.resourceCount} resources ==`);
        out.push(...renderTree(layer.tree));
        out.push("");
    }
    for (const note of result.notes) out.push(`Note: ${note}`);
    out.push("");

    if (result.warnings.length > 0) {
        out.push(`== warnings (${result.warnings.length}) ==`);
        for (const w of result.warnings) out.push(`  - ${w}`);
        out.push("");
    }

    out.push(`== policies: ${result.policies.mandatory} mandatory, ${result.policies.advisory} advisory violation(s) ==`);
    const byPolicy = new Map<string, typeof result.policies.violations>();
    for (const v of result.policies.violations) byPolicy.set(v.policyName, [...(byPolicy.get(v.policyName) ?? []), v]);
    if (byPolicy.size === 0) out.push("No violations.");
    for (const [policy, violations] of byPolicy) {
        out.push(`[${violations[0].enforcementLevel}] ${policy}`);
        for (const v of violations) out.push(`  - ${v.resourceType ? `${v.resourceType} ${v.resourceName}: ` : ""}${v.message}`);
    }
    out.push("");

    const c = result.cost;
    out.push(`== monthly cost estimate (${c.currency}, ${c.region}, prices ${c.priceChecked}: ${c.priceSource}) ==`);
    const width = Math.max(...c.lines.map((l) => l.item.length));
    for (const l of c.lines) out.push(`${l.item.padEnd(width)}  ${money(l.monthlyUsd).padStart(10)}  ${l.basis}`);
    out.push(`${"Total".padEnd(width)}  ${money(c.totalUsd).padStart(10)}`);
    out.push(`Not estimated: ${c.notEstimated.join("; ")}.`);
    out.push("");
    out.push(result.exitCode === 1 ? "Result: a mandatory policy is violated (exit 1)." : "Result: no mandatory policy violation.");
    return out.join("\n");
}

/** The JSON document of `--json`: the same content as the text. */
export function planJson(result: PlanResult): string {
    return JSON.stringify(result, null, 2);
}

export async function main(
    argv: string[],
    write: (s: string) => void = (s) => process.stdout.write(s),
    writeError: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
    let options: PlanOptions;
    try {
        options = parseArgs(argv);
    } catch (error) {
        writeError(`${(error as Error).message}\n${USAGE}\n`);
        return 2;
    }
    let result: PlanResult;
    try {
        result = await plan(options);
    } catch (error) {
        const e = error as Error;
        if (USER_ERRORS.includes(e.name)) {
            writeError(`${userMessage(e)}\n`);
            return 2;
        }
        throw e;
    }
    write(`${options.json ? planJson(result) : formatPlan(result)}\n`);
    return result.exitCode;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error) => {
            console.error(error);
            process.exit(3);
        },
    );
}
