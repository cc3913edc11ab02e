/**
 * The ordered deploy and destroy of one environment, on a laptop or in CI, with Pulumi's Automation API:
 *
 *   npm run deploy  -- <environment> [--preview] [--org <pulumi-org>]
 *   npm run destroy -- <environment> [--allow-production-destroy] [--org <pulumi-org>]
 *
 * deploy runs `pulumi up` (or `preview`) of infra, then platform, then apps, each with the policy pack and the
 * environment's policy config, and stops at the first layer that fails (a later layer reads the earlier one's
 * outputs). destroy runs apps, then platform, then infra (ArgoCD's finalizers delete the workloads and their
 * load balancers before the cluster and VPC go). The Pulumi CLI is required (the Automation API drives it); its
 * absence is reported before anything runs. Exit codes: 0 done, 1 failed, 2 wrong command line.
 */
import * as fs from "fs";
import * as path from "path";
import { DestroyOptions, LocalWorkspace, PreviewOptions, PulumiCommand, StackNotFoundError, UpOptions } from "@pulumi/pulumi/automation";
import { ENVIRONMENTS, REPO_ROOT } from "../lib/environment";
import { loadInfraSettings } from "../infra/settings";
import { UsageError, parseOptions, resolveEnvironmentOrUsage } from "./cli-support";
import { settingsFileSource } from "./ci-context";

export const LAYERS = ["infra", "platform", "apps"] as const;
export type Layer = (typeof LAYERS)[number];
export type Operation = "up" | "preview" | "destroy";

/** What this script uses of an Automation API Stack (so tests can pass a fake). */
export interface LayerStack {
    up(options: UpOptions): Promise<unknown>;
    preview(options: PreviewOptions): Promise<unknown>;
    destroy(options: DestroyOptions): Promise<unknown>;
}

export type CliStatus = { found: true; version: string } | { found: false; reason: string };

export interface DeployDeps {
    /** Finds the `pulumi` CLI (and checks its version is one the Automation API supports). */
    detectCli(): Promise<CliStatus>;
    /** Selects (or, with `create`, creates) a layer's stack; undefined when it does not exist and `create` is false. */
    openStack(args: { layer: Layer; stackName: string; workDir: string; create: boolean }): Promise<LayerStack | undefined>;
    out(text: string): void;
    err(text: string): void;
    root: string;
}

export const USAGE = [
    "Usage:",
    `  npm run deploy  -- <environment> [--preview] [--org <pulumi-org>]`,
    `  npm run destroy -- <environment> [--allow-production-destroy] [--org <pulumi-org>]`,
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

/** Reads the command line into a plan; usage errors (exit 2) for anything wrong. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv, root: string): Plan {
    const [command, ...rest] = argv;
    if (command !== "deploy" && command !== "destroy") throw new UsageError(`unknown command ${JSON.stringify(command ?? "")}: deploy or destroy`);
    const { options, flags, positional } = parseOptions(rest, {
        values: ["org"],
        flags: command === "deploy" ? ["preview"] : ["allow-production-destroy"],
    });
    if (positional.length !== 1) {
        throw new UsageError(positional.length === 0 ? "which environment?" : `one environment, got ${positional.join(" ")}`);
    }
    const environment = resolveEnvironmentOrUsage(positional[0], root);
    const org = options.org ?? env.PULUMI_ORG;
    const stackName = org ? `${org}/${environment}` : environment;

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
                `infra:protect is true for ${plan.environment}: pulumi cannot delete its protected VPC, cluster and KMS key, and the run ` +
                    `would stop after apps and platform are gone. Set \`infra:protect: false\` in Pulumi.${plan.environment}.yaml, apply it ` +
                    `with npm run deploy -- ${plan.environment}, then destroy.`,
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

    const onOutput = (text: string) => deps.out(text.replace(/\n$/, ""));
    for (const [i, layer] of plan.layers.entries()) {
        const remaining = plan.layers.slice(i + 1);
        deps.out(`\n==> ${layer}: pulumi ${plan.operation} (stack ${plan.stackName})`);
        try {
            const stack = await deps.openStack({ layer, stackName: plan.stackName, workDir: path.join(deps.root, layer), create: plan.operation === "up" });
            if (!stack) {
                if (plan.operation === "destroy") {
                    deps.out(`${layer}: no stack ${plan.stackName}, nothing to destroy`);
                    continue;
                }
                throw new Error(`no stack ${plan.stackName}: deploy the environment first (npm run deploy -- ${plan.environment})`);
            }
            if (plan.operation === "up") await stack.up({ ...policyOptions(deps.root, plan.environment), onOutput });
            else if (plan.operation === "preview") await stack.preview({ ...policyOptions(deps.root, plan.environment), onOutput });
            else await stack.destroy({ onOutput });
            deps.out(`✓ ${layer} ${DONE[plan.operation]}`);
        } catch (error) {
            deps.err(`✗ ${layer}: pulumi ${plan.operation} failed: ${describeError(error)}`);
            if (remaining.length > 0) deps.err(`Stopped: ${remaining.join(", ")} not run.`);
            return 1;
        }
    }
    deps.out(`\nDone: ${plan.layers.join(", ")} ${DONE[plan.operation]} for ${plan.environment}.`);
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
        async openStack({ stackName, workDir, create }) {
            const args = { stackName, workDir };
            const opts = { pulumiCommand: command };
            if (create) return LocalWorkspace.createOrSelectStack(args, opts);
            try {
                return await LocalWorkspace.selectStack(args, opts);
            } catch (error) {
                if (error instanceof StackNotFoundError) return undefined;
                throw error;
            }
        },
    };
}

export async function main(argv: string[], deps: DeployDeps = localDeps(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
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

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (error) => {
            console.error(error);
            process.exitCode = 1;
        },
    );
}
