/**
 * The ordered destroy of one environment, on a laptop or in CI (the destroy workflow runs this):
 *
 *   npm run destroy -- <environment> --dry-run [--json] [--allow-production-destroy]
 *   npm run destroy -- <environment> [--allow-production-destroy] [--org <pulumi-org>]
 *
 * The dry run prints the steps (tools/destroy-plan.ts), what would refuse them and what stays; it needs no cloud
 * account and no Pulumi CLI. The real destroy prints the same plan, then takes exactly its steps: it checks the
 * stacks (no lock, no pending operation, nothing protected left by a protect change not yet deployed), destroys
 * apps, waits for the controller-made load balancers, destroys platform, waits for the VPC's interfaces and volumes,
 * destroys infra without its protected CI identity, and lists what stays. It stops at the first step that fails,
 * naming what remains and how to remove it. Waits ask AWS through the AWS CLI (tools/aws-leftovers.ts).
 * Exit codes: 0 done (dry run: the destroy would start), 1 refused or failed, 2 wrong command line.
 */
import { Environment, ENVIRONMENTS, Layer, REPO_ROOT } from "../lib/environment";
import { AwsCli, awsCli } from "../lib/aws-cli";
import { UsageError, parseOptions, resolveEnvironmentOrUsage, runTool } from "../lib/cli-support";
import { EnvironmentRun, environmentGraph, runEnvironment } from "../lib/offline";
import { settingsFileSource } from "../lib/settings-file";
import { loadAppsSettings } from "../apps/settings";
import { loadInfraSettings } from "../infra/settings";
import { loadPlatformSettings } from "../platform/settings";
import { AwsScope, Leftover, WaitResult, controllerLoadBalancers, vpcLeftovers, waitUntilSettled } from "./aws-leftovers";
import { RELEASE_APP_SECRET } from "../ci/ci-context";
import { REPOSITORY_SECRET_KEY } from "../apps/repository";
import { NOTIFICATIONS_SECRET } from "../platform/addons/argocd";
import { DestroyPlan, DestroyStep, ResourceRef, StoredSecrets, WAIT_INTERVAL_SECONDS, destroyPlan, formatPlan } from "./destroy-plan";
import {
    LayerStack,
    MISSING_CLI,
    StackDeps,
    StackProblem,
    StateResource,
    describeError,
    formatProblem,
    inspectStack,
    localDeps,
    openStacks,
    qualifiedStackName,
    recoveryForError,
} from "./stacks";

export const USAGE = [
    "Usage:",
    "  npm run destroy -- <environment> --dry-run [--json] [--allow-production-destroy]",
    "  npm run destroy -- <environment> [--allow-production-destroy] [--org <pulumi-org>]",
    `Environments: ${ENVIRONMENTS.join(", ")}. --org defaults to $PULUMI_ORG, else your default organization.`,
].join("\n");

export interface DestroyDeps extends StackDeps {
    /** The environment's program graph with its committed settings (lib/offline). */
    graph(environment: Environment): Promise<EnvironmentRun>;
    aws: AwsCli;
    sleep(seconds: number): Promise<void>;
    /** Seconds on a monotonic clock. */
    now(): number;
}

export interface DestroyCommand {
    environment: Environment;
    stackName: string;
    dryRun: boolean;
    json: boolean;
    allowProduction: boolean;
}

export function parseCommand(argv: string[], env: NodeJS.ProcessEnv, root: string): DestroyCommand {
    const { options, flags, positional } = parseOptions(argv, { values: ["org"], flags: ["dry-run", "json", "allow-production-destroy"] });
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "which environment?" : `one environment, got ${positional.join(" ")}`);
    const environment = resolveEnvironmentOrUsage(positional[0], root) as Environment;
    if (flags.has("json") && !flags.has("dry-run")) throw new UsageError("--json goes with --dry-run");
    return {
        environment,
        stackName: qualifiedStackName(environment, options.org ?? env.PULUMI_ORG),
        dryRun: flags.has("dry-run"),
        json: flags.has("json"),
        allowProduction: flags.has("allow-production-destroy"),
    };
}

/** The `<layer>:protect` settings of the environment's settings file. */
export function protectSettings(environment: Environment, root: string): Record<Layer, boolean> {
    const source = settingsFileSource(environment, root);
    return {
        infra: loadInfraSettings(environment, { source, dryRun: true }).protect,
        platform: loadPlatformSettings(environment, { source }).protect,
        apps: loadAppsSettings(environment, source).protect,
    };
}

/**
 * The secrets an administrator stores by hand in the environment's Secrets Manager (README, GitHub settings; the
 * platform's settings that name secrets): the release App's key, the notifications App's, a private repository's
 * credential, and those the settings name (PagerDuty, ArgoCD's SSO client secret).
 */
export function storedSecrets(environment: Environment, root: string): StoredSecrets {
    const source = settingsFileSource(environment, root);
    const infra = loadInfraSettings(environment, { source, dryRun: true });
    const platform = loadPlatformSettings(environment, { source });
    const full = (key: string) => `${infra.namePrefix}/${key}`;
    const named: [string, string | undefined, string][] = [
        ["platform:alertmanagerPagerDutySecret", platform.alertmanagerPagerDutySecret, "Alertmanager's PagerDuty routing key"],
        ["platform:alarmPagerDutyUrlSecret", platform.alarmPagerDutyUrlSecret, "the alarms' PagerDuty integration URL"],
        ["platform:argocdSso.clientSecretKey", platform.argocdSso?.clientSecretKey, "ArgoCD's single sign-on client secret"],
    ];
    return {
        region: infra.region,
        secrets: [
            { name: full(RELEASE_APP_SECRET), what: "the release GitHub App's key" },
            { name: full(NOTIFICATIONS_SECRET), what: "the notifications GitHub App's key" },
            { name: full(REPOSITORY_SECRET_KEY), what: "ArgoCD's credential for a private repository, apps:repoPrivate" },
            ...named.filter(([, key]) => key !== undefined).map(([setting, key, what]) => ({ name: full(key!), what: `${what}, ${setting}` })),
        ],
        unset: named.filter(([, key]) => key === undefined).map(([setting]) => setting),
    };
}

export async function buildPlan(command: DestroyCommand, deps: DestroyDeps): Promise<DestroyPlan> {
    return destroyPlan({
        environment: command.environment,
        stackName: command.stackName,
        allowProduction: command.allowProduction,
        protect: protectSettings(command.environment, deps.root),
        graph: await deps.graph(command.environment),
        stored: storedSecrets(command.environment, deps.root),
    });
}

/** Protected resources in the stacks' state that the plan does not expect: a protect change not deployed yet. */
function unexpectedProtection(layer: Layer, resources: StateResource[], plan: DestroyPlan): StackProblem | undefined {
    const expected = (r: StateResource) => layer === "infra" && plan.keptByInfra.some((k) => k.type === r.type && urnName(r.urn) === k.name);
    const kept = resources.filter((r) => r.protect && !expected(r));
    if (kept.length === 0) return undefined;
    return {
        layer,
        what: `${layer} (stack ${plan.stackName}) still protects ${kept.map((r) => `${urnName(r.urn)} (${r.type})`).join(", ")} in its state: the change of ${layer}:protect is not deployed yet.`,
        run: [`Deploy the settings first (CI, or npm run deploy -- ${plan.environment}), then destroy.`],
    };
}

const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** The resources a stack still holds after its destroy: everything but the stack itself and its providers. */
export function leftoverResources(resources: StateResource[] | undefined): StateResource[] {
    return (resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
}

/** Runs the plan's steps against the stacks and AWS. Returns the exit code. */
export async function execute(plan: DestroyPlan, deps: DestroyDeps): Promise<number> {
    const cli = await deps.detectCli();
    if (!cli.found) {
        deps.err(`${MISSING_CLI}\n(${cli.reason})`);
        return 1;
    }
    const layers: Layer[] = ["apps", "platform", "infra"];
    let stacks: Map<Layer, LayerStack>;
    let scope: AwsScope | undefined;
    const problems: StackProblem[] = [];
    try {
        const opened = await openStacks(layers, plan.stackName, deps);
        stacks = opened.stacks;
        for (const [layer, stack] of stacks) {
            const problem = (await inspectStack(layer, stack, plan.stackName)) ?? unexpectedProtection(layer, (await stack.exportStack()).deployment?.resources ?? [], plan);
            if (problem) problems.push(problem);
        }
        const outputs = stacks.has("infra") ? await stacks.get("infra")!.outputs() : {};
        const value = (name: string) => outputs[name]?.value as string | undefined;
        if (value("clusterName") && value("vpcId") && value("region")) scope = { clusterName: value("clusterName")!, vpcId: value("vpcId")!, region: value("region")! };
    } catch (error) {
        deps.err(`Not started: ${describeError(error)}`);
        return 1;
    }
    if (problems.length > 0) {
        deps.err(`Not started (step 2, the stacks): nothing was changed.\n${problems.map(formatProblem).join("\n")}\n(README, Recovery)`);
        return 1;
    }

    const onOutput = (text: string) => deps.out(text.replace(/\n$/, ""));
    let detachedVolumes: Leftover[] = [];
    for (const [i, step] of plan.steps.entries()) {
        deps.out(`\n==> ${i + 1}/${plan.steps.length} ${step.kind} ${step.title}`);
        const stop = (message: string) => {
            deps.err(message);
            const rest = plan.steps.slice(i + 1).map((s, j) => `${i + 2 + j}. ${s.kind} ${s.title}`);
            if (rest.length > 0) deps.err(`Stopped at step ${i + 1}; not run:\n  ${rest.join("\n  ")}\nRun the destroy again once the cause is fixed: the steps already done are not repeated.`);
            return 1;
        };
        if (step.kind === "check") {
            deps.out("✓ checked");
        } else if (step.kind === "destroy") {
            const stack = stacks.get(step.layer);
            if (!stack) {
                deps.out(`${step.layer}: no stack ${plan.stackName}, nothing to destroy`);
                continue;
            }
            try {
                const targets = step.targets ? await targetUrns(stack, step.targets) : undefined;
                if (targets?.length === 0) {
                    deps.out(`nothing of it is in ${step.layer}'s state`);
                    continue;
                }
                await stack.destroy({ onOutput, ...(step.excludeProtected ? { excludeProtected: true } : {}), ...(targets ? { target: targets, targetDependents: true } : {}) });
                deps.out(`✓ ${step.layer} destroyed${targets ? ` (${targets.length} target(s) and their dependents)` : ""}`);
            } catch (error) {
                const recovery = recoveryForError(step.layer, plan.stackName, error);
                return stop(`✗ ${step.layer}: pulumi destroy failed: ${describeError(error)}${recovery ? `\n${formatProblem(recovery)}` : ""}`);
            }
        } else if (step.kind === "wait") {
            if (!scope) {
                deps.out("skipped: infra has no outputs (clusterName, vpcId, region), so nothing of the cluster was deployed");
                continue;
            }
            let result: WaitResult;
            try {
                result = await waitFor(step, scope, deps, (volumes) => (detachedVolumes = volumes));
            } catch (error) {
                return stop(`✗ could not ask AWS: ${describeError(error)}`);
            }
            if (!result.done) {
                return stop(
                    `✗ after ${result.waited} s, ${result.remaining.length} remain:\n` +
                        result.remaining.map((l) => `  - ${l.kind} ${l.id}: ${l.detail}\n      ${l.remove}`).join("\n") +
                        "\nFind what still uses them (a Service of type LoadBalancer or an Ingress outside the layers, a node being drained), or delete them as shown.",
                );
            }
            deps.out(`✓ settled after ${result.waited} s`);
        } else {
            deps.out(await report(plan, stacks.get("infra"), detachedVolumes, deps));
        }
    }
    deps.out(`\nDone: ${plan.environment} destroyed, but for what stays (above).`);
    return 0;
}

function waitFor(step: Extract<DestroyStep, { kind: "wait" }>, scope: AwsScope, deps: DestroyDeps, keepVolumes: (v: Leftover[]) => void): Promise<WaitResult> {
    const options = { timeoutSeconds: step.timeoutSeconds, intervalSeconds: WAIT_INTERVAL_SECONDS, sleep: deps.sleep, now: deps.now, out: deps.out };
    const ids = (l: Leftover[]) => l.map((x) => x.id).sort().join(",");
    if (step.wait === "load-balancers") {
        return waitUntilSettled("load balancers", () => {
            const remaining = controllerLoadBalancers(deps.aws, scope);
            return { remaining, fingerprint: ids(remaining) };
        }, options);
    }
    return waitUntilSettled("interfaces and volumes", () => {
        const { settling, detachedVolumes } = vpcLeftovers(deps.aws, scope);
        keepVolumes(detachedVolumes);
        return { remaining: settling, fingerprint: `${ids(settling)}|${ids(detachedVolumes)}` };
    }, options);
}

/** The URNs of the plan's targets in a stack's state (matched by type and name). */
async function targetUrns(stack: LayerStack, targets: ResourceRef[]): Promise<string[]> {
    const resources = (await stack.exportStack()).deployment?.resources ?? [];
    return resources.filter((r) => targets.some((t) => t.type === r.type && t.name === urnName(r.urn))).map((r) => r.urn);
}

async function report(plan: DestroyPlan, infra: LayerStack | undefined, detachedVolumes: Leftover[], deps: DestroyDeps): Promise<string> {
    const lines: string[] = [];
    if (infra) {
        try {
            const left = leftoverResources((await infra.exportStack()).deployment?.resources);
            if (left.length > 0) {
                lines.push(`infra (stack ${plan.stackName}) still holds ${left.length} resource(s):`);
                lines.push(...left.map((r) => `  - ${r.type} ${urnName(r.urn)} (${r.protect ? "protected" : "kept: a protected resource depends on it"})`));
            }
        } catch (error) {
            // The destroy itself succeeded: say what could not be listed, and where to look.
            deps.err(`Could not list what infra still holds (pulumi -C infra stack --show-urns -s ${plan.stackName}): ${describeError(error)}`);
        }
    }
    if (detachedVolumes.length > 0) {
        lines.push(`${detachedVolumes.length} detached volume(s) of the cluster stay (reclaimPolicy Retain):`);
        lines.push(...detachedVolumes.map((v) => `  - ${v.id}: ${v.detail}\n      ${v.remove}`));
    }
    lines.push("What stays, for an administrator to remove last:");
    for (const stay of plan.stays) lines.push(`  - ${stay.what}`, ...stay.remove.map((r) => `      ${r}`));
    return lines.join("\n");
}

/** The real dependencies: the Pulumi CLI, the offline engine for the plan, the AWS CLI for the waits. */
export function localDestroyDeps(root: string = REPO_ROOT): DestroyDeps {
    return {
        ...localDeps(root),
        graph: (environment) => runEnvironment(environment),
        aws: awsCli,
        sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
        now: () => Number(process.hrtime.bigint() / 1_000_000n) / 1000,
    };
}

/** The README's sample (README, Destroy; `npm run readme`): what `npm run destroy -- <env> --dry-run` prints for the committed settings. */
export async function dryRunSample(environment: Environment = "staging", root: string = REPO_ROOT): Promise<string> {
    const printed: string[] = [];
    const deps: DestroyDeps = { ...localDestroyDeps(root), graph: environmentGraph, out: (t) => printed.push(t), err: (t) => printed.push(t) };
    await main([environment, "--dry-run"], deps, {});
    return ["```", `$ npm run destroy -- ${environment} --dry-run`, ...printed, "```"].join("\n");
}

export async function main(argv: string[], deps: DestroyDeps = localDestroyDeps(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
    let command: DestroyCommand;
    let plan: DestroyPlan;
    try {
        command = parseCommand(argv, env, deps.root);
        plan = await buildPlan(command, deps);
    } catch (error) {
        if (!(error instanceof UsageError) && (error as Error).name !== "SettingsError") throw error;
        deps.err(`${(error as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (command.dryRun) {
        deps.out(command.json ? JSON.stringify(plan, null, 2) : formatPlan(plan));
        return plan.blockers.length > 0 ? 1 : 0;
    }
    deps.out(formatPlan(plan));
    if (command.environment === "production" && !command.allowProduction) {
        deps.err(`\nRefusing to destroy production without --allow-production-destroy. Nothing was changed.\n\n${USAGE}`);
        return 2;
    }
    if (plan.blockers.length > 0) {
        deps.err("\nNot started (step 1, the settings): nothing was changed.");
        return 1;
    }
    return execute(plan, deps);
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
