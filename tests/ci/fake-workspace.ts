/**
 * The Automation API's workspace replaced by a fake for tools/deploy.ts and tools/destroy.ts: no Pulumi CLI, no
 * cloud. It records every stack opened and every operation run, fails the layers it is told to with the errors the
 * Automation API builds from the CLI's real stderr (createCommandError: a lock becomes a ConcurrentUpdateError), and
 * answers exports, outputs and the last update from fixtures.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { CliStatus, LastUpdate, LayerStack, PendingOperation, StackDeps, StateResource } from "../../tools/stacks";

// The Automation API's own error factory and result type (not in its typings): the errors a real run would throw.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCommandError } = require("@pulumi/pulumi/automation/errors");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CommandResult } = require("@pulumi/pulumi/automation/cmd");

/** The error the Automation API throws for a `pulumi` command that wrote `stderr` and exited 255. */
export function cliError(stderr: string): Error {
    return createCommandError(new CommandResult("", stderr, 255));
}

/** What the Pulumi CLI writes when another update holds the stack (Pulumi Cloud). */
export const LOCKED_STDERR = "error: [409] Conflict: Another update is currently in progress.\nTo learn more about possible reasons and resolution, visit https://www.pulumi.com/docs/common-errors/#conflict\n";

export interface Call {
    layer: string;
    op: string;
    stackName?: string;
    workDir?: string;
    options?: any;
}

export interface FakeOptions {
    cli?: CliStatus;
    /** Layers whose operation fails, with the CLI's stderr (default: "error: <layer> exploded"). */
    failOn?: Record<string, string>;
    missingStacks?: string[];
    root?: string;
    /** State resources per layer (what `exportStack` returns). */
    state?: Record<string, StateResource[]>;
    pending?: Record<string, PendingOperation[]>;
    lastUpdate?: Record<string, LastUpdate>;
    outputs?: Record<string, Record<string, unknown>>;
}

export function fakeWorkspace(o: FakeOptions = {}) {
    const calls: Call[] = [];
    const out: string[] = [];
    const err: string[] = [];
    const deps: StackDeps = {
        root: o.root ?? REPO_ROOT,
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        detectCli: async () => o.cli ?? { found: true, version: "3.270.0" },
        openStack: async ({ layer, stackName, workDir }) => {
            calls.push({ layer, op: "open", stackName, workDir });
            if (o.missingStacks?.includes(layer)) return undefined;
            const op = (name: string) => async (options: any) => {
                calls.push({ layer, op: name, options });
                const stderr = o.failOn?.[layer];
                if (stderr !== undefined) throw cliError(stderr || `error: ${layer} exploded\n`);
                return {};
            };
            const stack: LayerStack = {
                up: op("up"),
                preview: op("preview"),
                destroy: op("destroy"),
                exportStack: async () => ({ deployment: { resources: o.state?.[layer] ?? [], pending_operations: o.pending?.[layer] } }),
                outputs: async () => Object.fromEntries(Object.entries(o.outputs?.[layer] ?? {}).map(([k, value]) => [k, { value }])),
                info: async () => o.lastUpdate?.[layer] ?? { kind: "update", result: "succeeded", startTime: "2026-11-20T10:00:00.000Z" },
            };
            return stack;
        },
    };
    return { deps, calls, out, err, ops: () => calls.filter((c) => c.op !== "open").map((c) => `${c.op} ${c.layer}`) };
}

const tempRoots: string[] = [];
after(() => tempRoots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

/** A copy of the repository's settings files, the policy pack marker and configs, to vary them without touching the real ones. */
export function tempRoot(edit: (root: string) => void = () => undefined): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-root-"));
    tempRoots.push(root);
    for (const env of ["staging", "production"]) fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${env}.yaml`), path.join(root, `Pulumi.${env}.yaml`));
    fs.mkdirSync(path.join(root, "policies", "config"), { recursive: true });
    fs.writeFileSync(path.join(root, "policies", "PulumiPolicy.yaml"), "runtime: nodejs\n");
    for (const env of ["staging", "production"]) fs.writeFileSync(path.join(root, "policies", "config", `${env}.json`), "{}\n");
    edit(root);
    return root;
}

/** Adds settings to a temporary root's settings file (under `config:`). */
export function withSettings(root: string, env: string, settings: Record<string, unknown>): void {
    const file = path.join(root, `Pulumi.${env}.yaml`);
    const lines = Object.entries(settings).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join("\n");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^config:\n/m, `config:\n${lines}\n`));
}
