/**
 * The offline plan: `npm run plan -- <env> [--base <git-ref>] [--json | --markdown] [--out <file>] [--layer ...]`.
 *
 * Runs infra, platform and apps of an environment under Pulumi mocks (the offline engine), with the real settings
 * file, feeding each layer's outputs to the next as StackReference outputs; renders the workloads as ArgoCD would;
 * then answers what a reviewer asks: does it pass the policy pack, do the pods fit the nodes, what does it cost a
 * month, what should a person act on (warnings, the fork checklist), and with --base what the change adds,
 * removes and changes (resources, and the objects ArgoCD would sync) and what it costs more or less. No cloud
 * account, no Pulumi CLI.
 * Exit codes: 0 fine; 1 a mandatory policy violation or pods that do not fit at the minimum; 2 a user error
 * (arguments, settings, a settings file that is not valid YAML), with a message and no stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS, Environment, isEnvironment, REPO_ROOT, settingsFilePath } from "../lib/environment";
import { parseOptions, UsageError } from "../lib/cli-support";
import { Layer, LAYERS } from "../lib/offline";
import { WorkloadRenderError } from "../lib/workloads";
import { settingLines, settingsFileSource } from "../lib/settings-file";
import { isIsoDate, today, TODAY_VARIABLE } from "../lib/today";
import { loadPackConfig, manifestResources, PackConfig, PolicyReport, runPack } from "../policies/offline";
import { forkChecklist } from "./fork-checklist";
import { checkoutBase, resolveCommit } from "./plan-base";
import { costDelta, diffResources } from "./plan-diff";
import { evaluateSide, planSide, SideRun } from "./plan-environment";
import { errorMarkdown, planMarkdown } from "./plan-markdown";
import { PlanResult } from "./plan-result";
import { applicationUrns, diffWorkloads } from "./plan-workloads";
import { formatPlan } from "./plan-text";

export { formatPlan, planMarkdown };
export type { PlanResult };

export const USAGE = `usage: npm run -s plan -- <environment> [--base <git-ref>] [--json | --markdown] [--out <file>] [--layer <${LAYERS.join("|")}>] [--config <key>=<value>]... [--today <YYYY-MM-DD>]
  environments: ${ENVIRONMENTS.join(", ")}
  Piping the output (--json | jq): run npm with -s (npm run -s plan -- ...), or use --out. Without -s, npm prints
  its own banner ("> eks-gitops-platform@... plan") on stdout, before the plan, and jq fails on it.
  --base      compares with the environment at that git ref (its code and settings): what is added, removed and
              changed (resources, and the workloads ArgoCD would sync), and the cost per line and in total
  --json      the plan as one JSON document; --markdown as a pull-request comment (summary, changes, policies,
              cost, a Mermaid diagram)
  --out       writes the plan to that file instead of stdout (checked before the plan runs)
  --layer     only that layer (the layers before it still run, to feed it)
  --config    overrides one setting of the environment's settings file for this plan (JSON values are parsed),
              e.g. --config infra:availabilityZoneCount=3
  --today     plans as on that day (the Kubernetes support window); default: ${TODAY_VARIABLE} or the UTC date`;

export const REMOTE_NOTE =
    "Remote components (awsx:ec2:Vpc, eks:index:Cluster) are shown with their inputs only: their children (subnets, " +
    "route tables, NAT gateways, the EKS cluster resource, its security groups and OIDC provider) are created by their " +
    "providers and appear only in a real `pulumi preview`.";

export type OutputFormat = "text" | "json" | "markdown";

export interface PlanOptions {
    env: string;
    /** How main prints the plan (default text). */
    format?: OutputFormat;
    /** Compare with the environment at this git ref. */
    base?: string;
    /** Write the output to this file instead of stdout. */
    out?: string;
    layer?: Layer;
    /** Settings overriding the environment's settings file, to try a change before committing it (head side only). */
    config?: Record<string, unknown>;
    /** Replaces policies/config/<env>.json (tests use it to provoke a violation). */
    packConfig?: PackConfig;
    /** Plan as on this day (ISO date): sets GITOPS_TODAY, the one input of date-dependent checks. */
    today?: string;
    /** The checkout to plan (default: this repository); --base refs are resolved in it. */
    root?: string;
}

/**
 * Whether npm printed its run-script banner on this process's stdout: run as `npm run plan` (npm names the script in
 * npm_lifecycle_event) without -s (npm passes --silent on as npm_config_loglevel=silent) nor npm's own --json (which
 * sends the banner to stderr). npm has no setting that keeps the banner off stdout for one script only.
 */
export function npmBannerOnStdout(env: NodeJS.ProcessEnv): boolean {
    return env.npm_lifecycle_event === "plan" && env.npm_config_loglevel !== "silent" && env.npm_config_json !== "true";
}

export const NPM_BANNER_HINT =
    "note: npm printed its banner on stdout, ahead of the plan: for the JSON (or markdown) alone, run `npm run -s plan -- ...` or write it with --out <file>\n";

/** Namespaces of the settings files (a key of another namespace would be ignored by every layer). */
const SETTING_NAMESPACES: string[] = ["aws", ...LAYERS];

export function parseArgs(argv: string[]): PlanOptions {
    const { options, lists, flags, positional } = parseOptions(argv, { values: ["layer", "today", "base", "out"], lists: ["config"], flags: ["json", "markdown"] });
    if (positional.length === 0) throw new UsageError("which environment?");
    if (positional.length > 1) throw new UsageError(`unexpected argument ${positional[1]}`);
    const env = positional[0];
    if (!isEnvironment(env)) throw new UsageError(`unknown environment ${env}`);
    const layer = options.layer;
    if (layer !== undefined && !(LAYERS as readonly string[]).includes(layer)) throw new UsageError(`--layer takes one of ${LAYERS.join(", ")}, not ${layer}`);
    if (flags.has("json") && flags.has("markdown")) throw new UsageError("--json and --markdown are two forms of the same plan: choose one");
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
    if (options.base === "") throw new UsageError("--base takes a git ref, e.g. origin/staging");
    if (options.out === "") throw new UsageError("--out takes a file name");
    if (options.out !== undefined) checkWritable(options.out);
    return {
        env,
        format: flags.has("json") ? "json" : flags.has("markdown") ? "markdown" : "text",
        layer: layer as Layer | undefined,
        config,
        ...(options.base !== undefined ? { base: options.base } : {}),
        ...(options.out !== undefined ? { out: options.out } : {}),
        ...(options.today ? { today: options.today } : {}),
    };
}

/**
 * The --out target, checked before the plan runs (seconds of work a typo would waste): an existing directory to
 * write in, and not a directory itself. Write errors later (a full disk) are user errors too, in main.
 */
export function checkWritable(file: string): void {
    const target = path.resolve(file);
    const dir = path.dirname(target);
    const stat = (p: string) => fs.statSync(p, { throwIfNoEntry: false });
    const at = stat(target);
    if (at?.isDirectory()) throw new UsageError(`--out ${file}: is a directory; give a file name`);
    const parent = stat(dir);
    if (!parent) throw new UsageError(`--out ${file}: the directory ${dir} does not exist`);
    if (!parent.isDirectory()) throw new UsageError(`--out ${file}: ${dir} is not a directory`);
    try {
        fs.accessSync(at ? target : dir, fs.constants.W_OK);
    } catch {
        throw new UsageError(`--out ${file}: ${at ? "the file" : `the directory ${dir}`} is not writable`);
    }
}

function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** Errors a user fixes in a settings file or on the command line: a message, not a stack trace. */
const USER_ERRORS = ["SettingsError", "SettingsFileError", "PackConfigError", "LayerContractError", "UsageError", "BaseError", "WorkloadRenderError"];

/** The message of a user error, without the SDK's "error serializing property" chain around errors thrown in an apply. */
export function userMessage(error: Error): string {
    return error.message.replace(/^(error serializing property "[^"]*": )+/, "");
}

/**
 * A settings error with where each rejected key is: its line in the settings file, or --config. Keys the file
 * does not set (a default that no longer validates) stay as they are.
 */
export function locateSettings(message: string, problems: { key: string }[], file: string, overridden: string[]): string {
    const lines = settingLines(file);
    const name = path.basename(file);
    let located = message;
    for (const key of new Set(problems.map((p) => p.key))) {
        // infra:nodeGroup.minSize is set by the file's infra:nodeGroup.
        const top = key.split(".")[0];
        const where = overridden.includes(top) ? "--config" : lines.has(top) ? `${name}:${lines.get(top)}` : undefined;
        if (where) located = located.split(`${key} = `).join(`${key} (${where}) = `);
    }
    return located;
}

/** The base side could not be planned: there is nothing to compare with. */
class BaseError extends Error {
    constructor(ref: string, commit: string, cause: Error) {
        super(`the base ${ref} (${commit.slice(0, 12)}) cannot be planned: ${userMessage(cause)}`);
        this.name = "BaseError";
    }
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

/**
 * The policy findings of the head side: the pack over the recorded resources and over every workload ArgoCD would
 * sync (the objects rendered once for the side, each naming the file it comes from). A workload that cannot be
 * rendered is a user error: ArgoCD could not sync it either.
 */
async function policyFindings(head: SideRun, env: string, config: PackConfig): Promise<PolicyReport> {
    const workloads = await head.rendered;
    if (workloads.error) throw new WorkloadRenderError(workloads.error);
    // The whole graph tells what the config cannot (the environment's ECR repositories), also with --layer.
    return runPack([...head.resources, ...manifestResources(workloads.rendered, env)], config, { environment: head.graph.resources });
}

async function planToday(options: PlanOptions): Promise<PlanResult> {
    const day = today();
    const root = options.root ?? REPO_ROOT;
    const env = options.env as Environment;
    // A ref that names no commit fails first; then git writes the base's tree while the head's layers evaluate.
    const commit = options.base !== undefined ? await resolveCommit(options.base, root) : undefined;
    const checkout = options.base !== undefined ? checkoutBase(options.base, root, commit) : undefined;
    checkout?.catch(() => undefined);
    let base: Awaited<NonNullable<typeof checkout>> | undefined;
    try {
        const head = await evaluateSide({ env, layer: options.layer, config: options.config, root });
        let baseRun: SideRun | undefined;
        if (checkout) {
            base = await checkout;
            try {
                baseRun = await evaluateSide({ env, layer: options.layer, root: base.root });
            } catch (error) {
                throw new BaseError(base.ref, base.commit, error as Error);
            }
        }
        // The pack runs while kubectl renders the workloads.
        const report = await policyFindings(head, env, options.packConfig ?? loadPackConfig(env, path.join(root, "policies", "config")));
        const headPlan = await planSide(head);
        const basePlan = baseRun ? await planSide(baseRun) : undefined;
        const checklist = forkChecklist(env, settingsFileSource(env, root, options.config), day);

        const failures = [
            ...(report.mandatory.length > 0 ? [`${report.mandatory.length} mandatory policy violation(s) (below)`] : []),
            ...(headPlan.capacity?.failures ?? []).map((f) => `capacity: ${f}`),
        ];
        const result: PlanResult = {
            environment: env,
            today: day,
            region: headPlan.region,
            failures,
            exitCode: failures.length > 0 ? 1 : 0,
            warnings: [...headPlan.warnings, ...checklist, ...report.notices.map((n) => `${n.policyName}: ${n.message}`)],
            layers: headPlan.layers,
            notes: [REMOTE_NOTE, ...(headPlan.capacityNote && !head.graph.apps ? [headPlan.capacityNote] : [])],
            policies: { violations: report.violations, mandatory: report.mandatory.length, advisory: report.advisory.length, excepted: report.excepted },
            cost: headPlan.cost,
            ...(headPlan.capacity ? { capacity: headPlan.capacity } : {}),
            ...(headPlan.capacityNote ? { capacityNote: headPlan.capacityNote } : {}),
        };
        if (basePlan && base) {
            const byLayer = (run: SideRun) => Object.fromEntries(run.shown.map((l) => [l, run.graph[l]!.resources]));
            result.base = { ref: base.ref, commit: base.commit, cost: basePlan.cost, ...(basePlan.capacity ? { capacity: basePlan.capacity } : {}), layers: basePlan.layers };
            result.changes = diffResources(byLayer(basePlan.run), byLayer(head), head.shown);
            // The workloads when both sides render them (the apps layer is in the plan).
            if (head.graph.apps && basePlan.run.graph.apps) {
                if (basePlan.rendered.error) {
                    result.warnings.push(`workloads: the base's workloads could not be rendered, so they are not compared: ${basePlan.rendered.error}`);
                } else {
                    const urns = { ...applicationUrns(basePlan.run.graph.apps.resources), ...applicationUrns(head.graph.apps.resources) };
                    result.workloadChanges = diffWorkloads(basePlan.rendered.rendered, headPlan.rendered.rendered, urns);
                }
            }
            result.costDelta = costDelta(basePlan.cost, headPlan.cost);
        }
        return result;
    } finally {
        // Also when the head failed before the base was used: the tree git wrote goes.
        (base ?? (await checkout?.catch(() => undefined)))?.remove();
    }
}

/** The JSON document of `--json`: the same content as the text. */
export function planJson(result: PlanResult): string {
    return JSON.stringify(result, null, 2);
}

export function render(result: PlanResult, format: OutputFormat = "text"): string {
    return format === "json" ? `${planJson(result)}\n` : format === "markdown" ? planMarkdown(result) : `${formatPlan(result)}\n`;
}

export async function main(
    argv: string[],
    write: (s: string) => void = (s) => process.stdout.write(s),
    writeError: (s: string) => void = (s) => process.stderr.write(s),
    /** What the command line cannot set (tests plan a temporary checkout). */
    overrides: Pick<PlanOptions, "root" | "packConfig"> = {},
    /** Where stdout goes and how the process was started (npm's variables). */
    stdout: { isTTY: boolean; env: NodeJS.ProcessEnv } = { isTTY: Boolean(process.stdout.isTTY), env: process.env },
): Promise<number> {
    let options: PlanOptions;
    try {
        options = { ...parseArgs(argv), ...overrides };
    } catch (error) {
        writeError(`${(error as Error).message}\n${USAGE}\n`);
        return 2;
    }
    // A pipe reading the document gets npm's banner first: say how to avoid it, before the plan's seconds of work.
    if (options.format !== "text" && options.out === undefined && !stdout.isTTY && npmBannerOnStdout(stdout.env)) writeError(NPM_BANNER_HINT);
    /** Prints or writes the output; the exit code, or 2 when the file cannot be written (a message, no stack trace). */
    const output = (text: string, exitCode: number): number => {
        if (options.out === undefined) {
            write(text);
            return exitCode;
        }
        try {
            fs.writeFileSync(options.out, text);
        } catch (error) {
            writeError(`--out ${options.out}: the plan (exit ${exitCode}) cannot be written: ${(error as Error).message}\n`);
            return 2;
        }
        writeError(`plan of ${options.env} written to ${options.out} (exit ${exitCode})\n`);
        return exitCode;
    };
    let result: PlanResult;
    try {
        result = await plan(options);
    } catch (error) {
        const e = error as Error;
        if (!USER_ERRORS.includes(e.name)) throw e;
        const problems = (e as { problems?: { key: string }[] }).problems;
        const message = e.name === "SettingsError" && problems
            ? locateSettings(userMessage(e), problems, settingsFilePath(options.env, options.root ?? REPO_ROOT), Object.keys(options.config ?? {}))
            : userMessage(e);
        writeError(`${message}\n`);
        // A pull-request comment says why there is no plan, in place of the last one.
        if (options.format === "markdown") output(errorMarkdown(options.env, message, 2), 2);
        return 2;
    }
    return output(render(result, options.format), result.exitCode);
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
