/**
 * What `npm run deploy`, `destroy` and `upgrade` share about the layers' stacks: the Automation API behind a small
 * interface (so tests pass a fake workspace), the Pulumi CLI check, and how a stack that is locked or was left
 * half-done by an interrupted update is recognised and explained (README, Recovery).
 */
import * as path from "path";
import { DestroyOptions, LocalWorkspace, PreviewOptions, PulumiCommand, StackNotFoundError, UpOptions } from "@pulumi/pulumi/automation";
import { Layer, REPO_ROOT } from "../lib/environment";

/** A resource of a state export (`pulumi stack export`), as far as these tools read it. */
export interface StateResource {
    urn: string;
    type: string;
    protect?: boolean;
    retainOnDelete?: boolean;
    id?: string;
}

/** An operation an interrupted update left in the state (`deployment.pending_operations`). */
export interface PendingOperation {
    resource: { urn: string; type?: string };
    type: string;
}

export interface StateExport {
    deployment?: { resources?: StateResource[]; pending_operations?: PendingOperation[] };
}

/** The last update of a stack (`pulumi stack history`, newest entry). */
export interface LastUpdate {
    kind: string;
    result: string;
    startTime: Date | string;
}

/** What these tools use of an Automation API Stack (tests pass a fake). */
export interface LayerStack {
    up(options: UpOptions): Promise<unknown>;
    preview(options: PreviewOptions): Promise<unknown>;
    destroy(options: DestroyOptions): Promise<unknown>;
    exportStack(): Promise<StateExport>;
    outputs(): Promise<Record<string, { value: unknown; secret?: boolean }>>;
    /** The newest entry of the stack's history; undefined for a stack never updated. */
    info(): Promise<LastUpdate | undefined>;
}

export type CliStatus = { found: true; version: string } | { found: false; reason: string };

export interface StackDeps {
    /** Finds the `pulumi` CLI (and checks its version is one the Automation API supports). */
    detectCli(): Promise<CliStatus>;
    /** Selects a layer's existing stack; undefined when it does not exist (these tools never create one). */
    openStack(args: { layer: Layer; stackName: string; workDir: string }): Promise<LayerStack | undefined>;
    out(text: string): void;
    err(text: string): void;
    root: string;
}

export const MISSING_CLI = [
    "The Pulumi CLI is required: this script drives it through the Automation API.",
    "Install it (https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`), make sure `pulumi` is on your PATH,",
    "log in (`pulumi login`), and run the command again. Nothing was changed.",
].join("\n");

/** The stack name the tools use: `<org>/<environment>`, or the environment alone (the CLI's default organization). */
export function qualifiedStackName(environment: string, org: string | undefined): string {
    return org ? `${org}/${environment}` : environment;
}

/** Opens the stacks of `layers` (in order) before anything runs; `missing` lists the layers that have none. */
export async function openStacks(layers: readonly Layer[], stackName: string, deps: StackDeps): Promise<{ stacks: Map<Layer, LayerStack>; missing: Layer[] }> {
    const stacks = new Map<Layer, LayerStack>();
    const missing: Layer[] = [];
    for (const layer of layers) {
        const stack = await deps.openStack({ layer, stackName, workDir: path.join(deps.root, layer) });
        if (stack) stacks.set(layer, stack);
        else missing.push(layer);
    }
    return { stacks, missing };
}

/** Why a stack cannot be changed safely right now, and what to run. */
export interface StackProblem {
    layer: Layer;
    what: string;
    run: string[];
}

/**
 * Checks a stack before changing it: an update still marked in progress (another run holds the lock, or one was
 * killed without releasing it), and operations an interrupted update left pending (resources in an unknown state).
 */
export async function inspectStack(layer: Layer, stack: LayerStack, stackName: string): Promise<StackProblem | undefined> {
    const last = await stack.info();
    if (last?.result === "in-progress") {
        return lockedStack(layer, stackName, `its last ${last.kind} (started ${new Date(last.startTime).toISOString()}) is still marked in progress`);
    }
    const pending = (await stack.exportStack()).deployment?.pending_operations ?? [];
    if (pending.length > 0) return pendingOperations(layer, stackName, pending);
    return undefined;
}

function lockedStack(layer: Layer, stackName: string, what: string): StackProblem {
    return {
        layer,
        what: `${layer} (stack ${stackName}) is locked: ${what}. Either another update is running (a deploy or destroy job of this environment, or someone's npm run deploy), or one was killed (a cancelled or timed-out job, a lost runner) before it could release the lock.`,
        run: [
            "Wait for a running update to finish: never cancel one that is alive (the deploy-<environment> concurrency group in GitHub Actions shows it; Pulumi Cloud shows the stack's active update).",
            `When nothing runs any more: pulumi -C ${layer} cancel --yes -s ${stackName}   (releases the lock; with a DIY backend, delete the lock file the error names under .pulumi/locks/)`,
            `Then: pulumi -C ${layer} refresh --yes -s ${stackName}   (reads what the killed update really did), and run the command again.`,
        ],
    };
}

function pendingOperations(layer: Layer, stackName: string, pending: PendingOperation[]): StackProblem {
    const creates = pending.filter((p) => p.type === "creating");
    const run = [
        `Check in AWS (or the cluster) what each operation really did, then: pulumi -C ${layer} refresh --yes -s ${stackName}   (reconciles the state, clears pending updates and deletes)`,
    ];
    if (creates.length > 0) {
        run.push(
            `For each pending create: if the resource exists, adopt it: pulumi -C ${layer} refresh --yes -s ${stackName} --import-pending-creates <urn> <id>; ` +
                `if it does not: pulumi -C ${layer} refresh --yes -s ${stackName} --clear-pending-creates`,
        );
    }
    run.push(`Last resort: pulumi -C ${layer} stack export -s ${stackName} --file state.json, remove "pending_operations", pulumi -C ${layer} stack import -s ${stackName} --file state.json`);
    return {
        layer,
        what:
            `${layer} (stack ${stackName}) has ${pending.length} operation(s) an interrupted update left pending, in an unknown state:\n` +
            pending.map((p) => `      ${p.resource.urn} (interrupted while ${p.type})`).join("\n") +
            "\n    An update with them would create duplicates of resources that may already exist.",
        run,
    };
}

/** The recovery advice for an error an operation failed with, when it is a lock or pending operations. */
export function recoveryForError(layer: Layer, stackName: string, error: unknown): StackProblem | undefined {
    const name = (error as { name?: string })?.name;
    const text = describeError(error);
    if (name === "ConcurrentUpdateError" || /Another update is currently in progress|the stack is currently locked by/.test(text)) {
        return lockedStack(layer, stackName, "Pulumi refused to start because another update holds the stack");
    }
    if (/pending operations/i.test(text)) {
        const urns = [...text.matchAll(/\* (urn:pulumi:\S+), interrupted while (\w+)/g)].map((m) => ({ resource: { urn: m[1] }, type: m[2] }));
        return pendingOperations(layer, stackName, urns);
    }
    return undefined;
}

export function formatProblem(problem: StackProblem): string {
    return [`  - ${problem.what}`, ...problem.run.map((r) => `    ${r}`)].join("\n");
}

/** Pulumi's own error text (the end of its stderr), else the error's message. */
export function describeError(error: unknown): string {
    const e = error as { message?: string; commandResult?: { stderr?: string } };
    const stderr = e?.commandResult?.stderr?.trim();
    return stderr ? stderr.split("\n").slice(-20).join("\n") : String(e?.message ?? error);
}

/** The policy pack and an environment's config: every up and preview runs them. */
export function policyOptions(root: string, environment: string): { policyPacks: string[]; policyPackConfigs: string[] } {
    return { policyPacks: [path.join(root, "policies")], policyPackConfigs: [path.join(root, "policies", "config", `${environment}.json`)] };
}

/** The real dependencies: the `pulumi` CLI on the PATH and LocalWorkspace stacks in each layer's folder. */
export function localDeps(root: string = REPO_ROOT): StackDeps {
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
                const stack = await LocalWorkspace.selectStack({ stackName, workDir }, { pulumiCommand: command });
                return {
                    up: (o) => stack.up(o),
                    preview: (o) => stack.preview(o),
                    destroy: (o) => stack.destroy(o),
                    exportStack: async () => (await stack.exportStack()) as StateExport,
                    outputs: () => stack.outputs(),
                    info: () => stack.info(),
                };
            } catch (error) {
                if (error instanceof StackNotFoundError) return undefined;
                throw error;
            }
        },
    };
}
