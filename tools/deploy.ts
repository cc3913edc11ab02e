/**
 * The ordered deploy of one environment, on a laptop, with Pulumi's Automation API:
 *
 *   npm run deploy -- <environment> [--preview] [--org <pulumi-org>]
 *   npm run deploy -- <environment> --check [--layers <layer,...>] [--org <pulumi-org>]
 *
 * Runs `pulumi up` (or `preview`) of infra, then platform, then apps, each with the policy pack and the
 * environment's policy config, and stops at the first layer that fails (a later layer reads the earlier one's
 * outputs). It never creates a stack: the administrator's bootstrap does (`pulumi stack init`), so a wrong
 * organization fails before anything changes instead of deploying a second environment into empty stacks.
 * Before the first change it checks every stack for a lock (an update in progress, or one killed before it could
 * release it) and for operations an interrupted update left pending, and says what happened and what to run
 * (README, Recovery); a lock met during the run is explained the same way. `--check` does only that check, of the
 * given layers, and changes nothing: CI's deploy job runs it before its `pulumi up` steps, so a stack a killed run
 * left locked or half-done is explained there instead of failing with Pulumi's raw lock error.
 * The Pulumi CLI is required (the Automation API drives it); its absence is reported before anything runs.
 * Exit codes: 0 done, 1 failed or not started, 2 wrong command line.
 */
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS, LAYERS, Layer } from "../lib/environment";
import { UsageError, parseOptions, parseStringList, resolveEnvironmentOrUsage, runTool } from "../lib/cli-support";
import {
    MISSING_CLI,
    StackDeps,
    StackProblem,
    describeError,
    formatProblem,
    inspectStack,
    localDeps,
    openStacks,
    policyOptions,
    qualifiedStackName,
    recoveryForError,
} from "./stacks";

export type Operation = "up" | "preview" | "check";

export const USAGE = [
    "Usage:",
    `  npm run deploy -- <environment> [--preview] [--org <pulumi-org>]`,
    `  npm run deploy -- <environment> --check [--layers <layer,...>] [--org <pulumi-org>]   (only the lock and pending-operation check)`,
    `Environments: ${ENVIRONMENTS.join(", ")} (one Pulumi.<environment>.yaml each). --org defaults to $PULUMI_ORG, else your default organization.`,
    "Destroy: npm run destroy -- <environment> --dry-run (README, Destroy).",
].join("\n");

export interface Plan {
    operation: Operation;
    environment: string;
    stackName: string;
    layers: Layer[];
}

/** Reads the command line into a plan; usage errors (exit 2) for anything wrong. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv, root: string): Plan {
    const { options, flags, positional } = parseOptions(argv, { values: ["org", "layers"], flags: ["preview", "check"] });
    if (positional.length !== 1) {
        throw new UsageError(positional.length === 0 ? "which environment?" : `one environment, got ${positional.join(" ")}`);
    }
    const environment = resolveEnvironmentOrUsage(positional[0], root);
    const stackName = qualifiedStackName(environment, options.org ?? env.PULUMI_ORG);
    if (flags.has("check") && flags.has("preview")) throw new UsageError("--check or --preview, not both");
    if (options.layers !== undefined && !flags.has("check")) throw new UsageError("--layers goes with --check (a deploy runs every layer, in order)");
    const layers = options.layers === undefined ? [...LAYERS] : parseLayers(options.layers);
    return { operation: flags.has("check") ? "check" : flags.has("preview") ? "preview" : "up", environment, stackName, layers };
}

/** `--layers`: a comma-separated list or the delivery's JSON list (`["platform","apps"]`), in deploy order. */
function parseLayers(value: string): Layer[] {
    const names = value.trim().startsWith("[") ? parseStringList(value, "--layers") : value.split(",").map((l) => l.trim()).filter(Boolean);
    const unknown = names.filter((n) => !(LAYERS as readonly string[]).includes(n));
    if (unknown.length > 0 || names.length === 0) throw new UsageError(`--layers ${JSON.stringify(value)}: allowed one or more of ${LAYERS.join(", ")}`);
    return LAYERS.filter((l) => names.includes(l));
}

/** Files whose absence would make the run fail half-way, found before it starts. */
function missingFiles(plan: Plan, root: string): string[] {
    return [path.join(root, "policies", "PulumiPolicy.yaml"), ...policyOptions(root, plan.environment).policyPackConfigs]
        .filter((file) => !fs.existsSync(file))
        .map((file) => `${path.relative(root, file)} is missing: every ${plan.operation} runs the policy pack with the environment's config.`);
}

const DONE: Record<Operation, string> = { up: "updated", preview: "previewed", check: "checked" };

/** Runs the plan. Returns the exit code. */
export async function run(plan: Plan, deps: StackDeps): Promise<number> {
    const cli = await deps.detectCli();
    if (!cli.found) {
        deps.err(`${MISSING_CLI}\n(${cli.reason})`);
        return 1;
    }
    const problems = plan.operation === "check" ? [] : missingFiles(plan, deps.root);
    if (problems.length > 0) {
        deps.err(`Not started:\n  - ${problems.join("\n  - ")}`);
        return 1;
    }
    deps.out(`Pulumi CLI ${cli.version}: ${plan.operation} of ${plan.layers.join(" -> ")} for ${plan.environment} (stack ${plan.stackName})`);

    let opened: Awaited<ReturnType<typeof openStacks>>;
    const blocked: StackProblem[] = [];
    try {
        opened = await openStacks(plan.layers, plan.stackName, deps);
        for (const [layer, stack] of opened.stacks) {
            const problem = await inspectStack(layer, stack, plan.stackName);
            if (problem) blocked.push(problem);
        }
    } catch (error) {
        deps.err(`Not started: ${describeError(error)}`);
        return 1;
    }
    if (opened.missing.length > 0) {
        deps.err(
            `Not started: no stack ${plan.stackName} for ${opened.missing.join(", ")}. Check --org / PULUMI_ORG; an environment's stacks ` +
                `are created once by an administrator: ${opened.missing.map((l) => `pulumi -C ${l} stack init ${plan.stackName}`).join("; ")} (README, Deploying).`,
        );
        return 1;
    }
    if (blocked.length > 0) {
        deps.err(`Not started: nothing was changed.\n${blocked.map(formatProblem).join("\n")}\n(README, Recovery)`);
        return 1;
    }
    if (plan.operation === "check") {
        deps.out(`✓ ${plan.layers.join(", ")} (stack ${plan.stackName}): none is locked or holds operations an interrupted update left pending.`);
        return 0;
    }

    const onOutput = (text: string) => deps.out(text.replace(/\n$/, ""));
    for (const [i, layer] of plan.layers.entries()) {
        const stack = opened.stacks.get(layer)!;
        deps.out(`\n==> ${layer}: pulumi ${plan.operation} (stack ${plan.stackName})`);
        try {
            const options = { ...policyOptions(deps.root, plan.environment), onOutput };
            if (plan.operation === "up") await stack.up(options);
            else await stack.preview(options);
            deps.out(`✓ ${layer} ${DONE[plan.operation]}`);
        } catch (error) {
            deps.err(`✗ ${layer}: pulumi ${plan.operation} failed: ${describeError(error)}`);
            const remaining = plan.layers.slice(i + 1);
            if (remaining.length > 0) deps.err(`Stopped: ${remaining.join(", ")} not run.`);
            const recovery = recoveryForError(layer, plan.stackName, error);
            deps.err(
                recovery
                    ? `${formatProblem(recovery)}\n(README, Recovery)`
                    : `A failed ${plan.operation} leaves ${layer}'s state consistent: fix the cause and run the command again (an update resumes from what was done).`,
            );
            return 1;
        }
    }
    deps.out(`\nDone: ${plan.layers.join(", ")} ${DONE[plan.operation]} for ${plan.environment}.`);
    return 0;
}

export async function main(argv: string[], deps: StackDeps = localDeps(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
    let plan: Plan;
    try {
        plan = parseCommand(argv, env, deps.root);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        deps.err(`${error.message}\n\n${USAGE}`);
        return 2;
    }
    return run(plan, deps);
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
