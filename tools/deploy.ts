/**
 * The ordered deploy and destroy of one environment, on a laptop or in CI, with Pulumi's Automation API:
 *
 *   npm run deploy  -- <environment> [--preview] [--org <pulumi-org>]
 *   npm run destroy -- <environment> [--allow-production-destroy] [--org <pulumi-org>]
 *   ts-node tools/deploy.ts leftovers <environment> --state <pulumi stack export of infra> [--org <pulumi-org>]
 *
 * deploy runs `pulumi up` (or `preview`) of infra, then platform, then apps, each with the policy pack and the
 * environment's policy config, and stops at the first layer that fails (a later layer reads the earlier one's
 * outputs). It never creates a stack: the administrator's bootstrap does (`pulumi stack init`), so a wrong
 * organization fails before anything changes instead of deploying a second environment into empty stacks.
 * destroy runs apps, then platform, then infra (ArgoCD's finalizers delete the workloads and their load
 * balancers before the cluster and VPC go); infra with --exclude-protected, because the CI identity is protected
 * (the deploy role may not delete its own role and policy): what stays is listed with how an administrator
 * removes it last. `leftovers` prints that list from a state export (the destroy workflow uses it).
 * The Pulumi CLI is required (the Automation API drives it); its absence is reported before anything runs.
 * Exit codes: 0 done, 1 failed, 2 wrong command line.
 */
import * as fs from "fs";
import * as path from "path";
import { DestroyOptions, LocalWorkspace, PreviewOptions, PulumiCommand, StackNotFoundError, UpOptions } from "@pulumi/pulumi/automation";
import { ENVIRONMENTS, LAYERS, Layer, REPO_ROOT } from "../lib/environment";
import { loadInfraSettings } from "../infra/settings";
import { UsageError, parseOptions, requireOption, resolveEnvironmentOrUsage } from "../lib/cli-support";
import { settingsFileSource } from "../lib/settings-file";

export type Operation = "up" | "preview" | "destroy";

/** A resource of a state export (`pulumi stack export`), as far as the leftovers report reads it. */
export interface StateResource {
    urn: string;
    type: string;
    protect?: boolean;
}

/** What this script uses of an Automation API Stack (so tests can pass a fake). */
export interface LayerStack {
    up(options: UpOptions): Promise<unknown>;
    preview(options: PreviewOptions): Promise<unknown>;
    destroy(options: DestroyOptions): Promise<unknown>;
    exportStack(): Promise<{ deployment?: { resources?: StateResource[] } }>;
}

export type CliStatus = { found: true; version: string } | { found: false; reason: string };

export interface DeployDeps {
    /** Finds the `pulumi` CLI (and checks its version is one the Automation API supports). */
    detectCli(): Promise<CliStatus>;
    /** Selects a layer's existing stack; undefined when it does not exist (this script never creates one). */
    openStack(args: { layer: Layer; stackName: string; workDir: string }): Promise<LayerStack | undefined>;
    out(text: string): void;
    err(text: string): void;
    root: string;
}

export const USAGE = [
    "Usage:",
    `  npm run deploy  -- <environment> [--preview] [--org <pulumi-org>]`,
    `  npm run destroy -- <environment> [--allow-production-destroy] [--org <pulumi-org>]`,
    `  ts-node tools/deploy.ts leftovers <environment> --state <file of pulumi stack export> [--org <pulumi-org>]`,
    `Environments: ${ENVIRONMENTS.join(", ")} (one Pulumi.<environment>.yaml each). --org defaults to $PULUMI_ORG, else your default organization.`,
].join("\n");

export const MISSING_CLI = [
    "The Pulumi CLI is required: this script drives it through the Automation API.",
    "Install it (https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`), make sure `pulumi` is on your PATH,",
    "log in (`pulumi login`), and run the command again. Nothing was changed.",
].join("\n");

export interface Plan {
    operation: Operation;
    environment: string;
    stackName: string;
    layers: Layer[];
}

/** The command line of `leftovers`: which environment's stack, and its infra state export. */
export interface LeftoversCommand {
    environment: string;
    stackName: string;
    stateFile: string;
}

/** Reads the command line into a plan (or the leftovers report); usage errors (exit 2) for anything wrong. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv, root: string): Plan | LeftoversCommand {
    const [command, ...rest] = argv;
    if (command !== "deploy" && command !== "destroy" && command !== "leftovers") {
        throw new UsageError(`unknown command ${JSON.stringify(command ?? "")}: deploy, destroy or leftovers`);
    }
    const { options, flags, positional } = parseOptions(rest, {
        values: command === "leftovers" ? ["org", "state"] : ["org"],
        flags: command === "deploy" ? ["preview"] : command === "destroy" ? ["allow-production-destroy"] : [],
    });
    if (positional.length !== 1) {
        throw new UsageError(positional.length === 0 ? "which environment?" : `one environment, got ${positional.join(" ")}`);
    }
    const environment = resolveEnvironmentOrUsage(positional[0], root);
    const org = options.org ?? env.PULUMI_ORG;
    const stackName = org ? `${org}/${environment}` : environment;
    if (command === "leftovers") return { environment, stackName, stateFile: requireOption(options, "state") };

    if (command === "destroy") {
        if (environment === "production" && !flags.has("allow-production-destroy")) {
            throw new UsageError(
                "Refusing to destroy production without --allow-production-destroy. Production's VPC, cluster and KMS key are " +
                    "protected (infra:protect): first set `infra:protect: false` in Pulumi.production.yaml and apply it " +
                    "(npm run deploy -- production), then run npm run destroy -- production --allow-production-destroy.",
            );
        }
        return { operation: "destroy", environment, stackName, layers: [...LAYERS].reverse() };
    }
    return { operation: flags.has("preview") ? "preview" : "up", environment, stackName, layers: [...LAYERS] };
}

/** The policy pack and this environment's config: every up and preview runs them. */
export function policyOptions(root: string, environment: string): { policyPacks: string[]; policyPackConfigs: string[] } {
    return { policyPacks: [path.join(root, "policies")], policyPackConfigs: [path.join(root, "policies", "config", `${environment}.json`)] };
}

/** Problems that would make the run fail half-way, found before it starts. */
function preflight(plan: Plan, root: string): string[] {
    const problems: string[] = [];
    if (plan.operation === "destroy") {
        const protect = loadInfraSettings(plan.environment as (typeof ENVIRONMENTS)[number], { source: settingsFileSource(plan.environment, root), dryRun: true }).protect;
        if (protect) {
            problems.push(
                `infra:protect is true for ${plan.environment}: destroy leaves protected resources, so it would delete apps and platform ` +
                    `and keep the VPC, cluster and KMS key (and what they depend on) running. Set \`infra:protect: false\` in ` +
                    `Pulumi.${plan.environment}.yaml, apply it with npm run deploy -- ${plan.environment}, then destroy.`,
            );
        }
    } else {
        for (const file of [path.join(root, "policies", "PulumiPolicy.yaml"), ...policyOptions(root, plan.environment).policyPackConfigs]) {
            if (!fs.existsSync(file)) problems.push(`${path.relative(root, file)} is missing: every ${plan.operation} runs the policy pack with the environment's config.`);
        }
    }
    return problems;
}

const DONE: Record<Operation, string> = { up: "updated", preview: "previewed", destroy: "destroyed" };

/** Destroy leaves the infra layer's protected resources (the CI identity) and what they depend on. */
export function destroyOptions(layer: Layer): Pick<DestroyOptions, "excludeProtected"> {
    return layer === "infra" ? { excludeProtected: true } : {};
}

/** The resources a destroyed stack still holds: everything but the stack itself and its providers. */
export function leftoverResources(resources: StateResource[] | undefined): StateResource[] {
    return (resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
}

/** What the infra destroy left, and how an administrator removes it; "" when nothing is left. */
export function leftoversReport(environment: string, stackName: string, resources: StateResource[] | undefined): string {
    const left = leftoverResources(resources);
    if (left.length === 0) return "";
    const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
    return [
        `infra of ${environment} (stack ${stackName}) still holds ${left.length} resource(s) that CI does not delete:`,
        ...left.map((r) => `  - ${r.type} ${name(r.urn)} (${r.protect ? "protected" : "kept: a protected resource depends on it"})`),
        "The CI identity (GitHub OIDC provider, CI roles and their policies) is protected: the deploy role may not delete",
        "its own identity, so destroy excludes protected resources and what they depend on. An administrator removes them",
        "last, with the account's administrator credentials (not a CI role):",
        `  pulumi -C infra state unprotect --all --yes -s ${stackName}`,
        `  pulumi -C infra destroy --yes -s ${stackName}`,
        "If another environment of the same account reuses this stack's GitHub OIDC provider (infra:githubOidcProvider auto or",
        "existing), destroy that environment first or keep the provider. Then `pulumi -C <layer> stack rm -s <stack>` removes the empty stacks.",
    ].join("\n");
}

/**
 * Opens every layer's stack before anything runs. up and preview need all three: a missing one (a wrong --org or
 * PULUMI_ORG, or no bootstrap yet) stops the run before any change. destroy skips a layer that has none.
 */
async function openStacks(plan: Plan, deps: DeployDeps): Promise<{ stacks: Map<Layer, LayerStack>; missing: Layer[] }> {
    const stacks = new Map<Layer, LayerStack>();
    const missing: Layer[] = [];
    for (const layer of plan.layers) {
        const stack = await deps.openStack({ layer, stackName: plan.stackName, workDir: path.join(deps.root, layer) });
        if (stack) stacks.set(layer, stack);
        else missing.push(layer);
    }
    return { stacks, missing };
}

/** Runs the plan. Returns the exit code. */
export async function run(plan: Plan, deps: DeployDeps): Promise<number> {
    const cli = await deps.detectCli();
    if (!cli.found) {
        deps.err(`${MISSING_CLI}\n(${cli.reason})`);
        return 1;
    }
    const problems = preflight(plan, deps.root);
    if (problems.length > 0) {
        deps.err(`Not started:\n  - ${problems.join("\n  - ")}`);
        return 1;
    }
    deps.out(`Pulumi CLI ${cli.version}: ${plan.operation} of ${plan.layers.join(" -> ")} for ${plan.environment} (stack ${plan.stackName})`);

    let opened: Awaited<ReturnType<typeof openStacks>>;
    try {
        opened = await openStacks(plan, deps);
    } catch (error) {
        deps.err(`Not started: ${describeError(error)}`);
        return 1;
    }
    if (plan.operation !== "destroy" && opened.missing.length > 0) {
        deps.err(
            `Not started: no stack ${plan.stackName} for ${opened.missing.join(", ")}. Check --org / PULUMI_ORG; an environment's stacks ` +
                `are created once by an administrator: ${opened.missing.map((l) => `pulumi -C ${l} stack init ${plan.stackName}`).join("; ")} (README, Deploying).`,
        );
        return 1;
    }

    const onOutput = (text: string) => deps.out(text.replace(/\n$/, ""));
    let leftovers = false;
    for (const [i, layer] of plan.layers.entries()) {
        const remaining = plan.layers.slice(i + 1);
        const stack = opened.stacks.get(layer);
        if (!stack) {
            deps.out(`\n${layer}: no stack ${plan.stackName}, nothing to destroy`);
            continue;
        }
        deps.out(`\n==> ${layer}: pulumi ${plan.operation} (stack ${plan.stackName})`);
        try {
            if (plan.operation === "up") await stack.up({ ...policyOptions(deps.root, plan.environment), onOutput });
            else if (plan.operation === "preview") await stack.preview({ ...policyOptions(deps.root, plan.environment), onOutput });
            else await stack.destroy({ ...destroyOptions(layer), onOutput });
            deps.out(`✓ ${layer} ${DONE[plan.operation]}`);
        } catch (error) {
            deps.err(`✗ ${layer}: pulumi ${plan.operation} failed: ${describeError(error)}`);
            if (remaining.length > 0) deps.err(`Stopped: ${remaining.join(", ")} not run.`);
            return 1;
        }
        if (plan.operation === "destroy" && destroyOptions(layer).excludeProtected) {
            try {
                const report = leftoversReport(plan.environment, plan.stackName, (await stack.exportStack()).deployment?.resources);
                if (report) deps.out(`\n${report}`);
                leftovers = report !== "";
            } catch (error) {
                // The destroy itself succeeded: say what could not be listed, and where to look.
                deps.err(`Could not list what infra still holds (pulumi -C infra stack --show-urns -s ${plan.stackName}): ${describeError(error)}`);
                leftovers = true;
            }
        }
    }
    deps.out(`\nDone: ${plan.layers.join(", ")} ${DONE[plan.operation]} for ${plan.environment}${leftovers ? ", except the protected resources infra keeps" : ""}.`);
    return 0;
}

/** Prints the leftovers report of a state export (the destroy workflow's last step). */
export function printLeftovers(command: LeftoversCommand, deps: Pick<DeployDeps, "out" | "err">): number {
    let state: { deployment?: { resources?: StateResource[] } };
    try {
        state = JSON.parse(fs.readFileSync(command.stateFile, "utf8"));
    } catch (error) {
        deps.err(`cannot read the state export ${command.stateFile}: ${(error as Error).message}`);
        return 1;
    }
    const report = leftoversReport(command.environment, command.stackName, state.deployment?.resources);
    deps.out(report || `infra of ${command.environment} (stack ${command.stackName}) holds no resource any more.`);
    return 0;
}

function describeError(error: unknown): string {
    const e = error as { message?: string; commandResult?: { stderr?: string } };
    const stderr = e.commandResult?.stderr?.trim();
    return stderr ? stderr.split("\n").slice(-20).join("\n") : String(e.message ?? error);
}

/** The real dependencies: the `pulumi` CLI on the PATH and LocalWorkspace stacks in each layer's folder. */
export function localDeps(root: string = REPO_ROOT): DeployDeps {
    let command: PulumiCommand | undefined;
    return {
        root,
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
        async detectCli() {
            try {
                command = await PulumiCommand.get();
                return { found: true, version: command.version?.toString() ?? "unknown" };
            } catch (error) {
                const message = String((error as Error).message ?? error);
                return { found: false, reason: /ENOENT|not found/i.test(message) ? "`pulumi` was not found on the PATH" : message };
            }
        },
        async openStack({ stackName, workDir }) {
            try {
                return await LocalWorkspace.selectStack({ stackName, workDir }, { pulumiCommand: command });
            } catch (error) {
                if (error instanceof StackNotFoundError) return undefined;
                throw error;
            }
        },
    };
}

export async function main(argv: string[], deps: DeployDeps = localDeps(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
    let command: Plan | LeftoversCommand;
    try {
        command = parseCommand(argv, env, deps.root);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        deps.err(`${error.message}\n\n${USAGE}`);
        return 2;
    }
    return "stateFile" in command ? printLeftovers(command, deps) : run(command, deps);
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (error) => {
            console.error(error);
            process.exitCode = 1;
        },
    );
}
