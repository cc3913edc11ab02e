/**
 * The mock kit: runs a layer (infra, platform or apps) under Pulumi mocks, in a fresh module scope, with the
 * settings of an environment, and returns what it registered and exported. No cloud, no Pulumi CLI.
 *
 *   const run = await runLayer("infra", { env: "staging" });           // settings from Pulumi.staging.yaml
 *   const run = await runLayer("infra", { env: "staging", config: { "infra:availabilityZoneCount": 3 } });
 *   const failure = await runLayerExpectingFailure("infra", { env: "staging", config: {...} });
 *   const graph = await runEnvironment("production");                 // infra -> platform -> apps, chained
 *   run.ofType("aws:eks/nodeGroup:NodeGroup"); run.one("aws:kms/key:Key"); run.outputs.vpcId
 *
 * `config` values are merged over the settings file (undefined removes a key); objects and lists are passed as
 * JSON, as the CLI does. `stackOutputs` serves StackReferences by full name (`<org>/<project>/<stack>`).
 * Runs are serialised: the Pulumi runtime is process-global.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Layer, LAYERS, REPO_ROOT, settingsFilePath } from "../environment";
import { readSettingsFile, toConfigString } from "../settings-file";
import { createMocks, MockContext, RecordedCall, RecordedResource, RegistrationOptions } from "./mocks";

export { MOCK_ACCOUNT_ID, RecordedCall, RecordedResource } from "./mocks";

export { LAYERS, Layer, readSettingsFile };
export const MOCK_ORGANIZATION = "acme";

export type ConfigOverrides = Record<string, unknown>;

export interface RunOptions {
    /** The stack name (normally the environment). */
    env: string;
    /** Settings merged over the environment's settings file; `undefined` removes a key. */
    config?: ConfigOverrides;
    /** Read Pulumi.<env>.yaml (default true); false starts from no settings at all. */
    settingsFile?: boolean;
    /** Outputs served to StackReferences, by full stack name. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** Names of secret outputs per stack name. */
    secretOutputs?: Record<string, string[]>;
    /** Evaluate as `pulumi preview` (default) or as `pulumi up` (false). */
    preview?: boolean;
    organization?: string;
    /** The checkout whose programs and settings file run (default: this repository); the plan's --base uses another. */
    root?: string;
    /** The mock account already has a GitHub OIDC provider with these tags (another stack of the account created it). */
    githubOidcProvider?: { tags: Record<string, string> };
}

export interface LayerRun {
    layer: Layer;
    env: string;
    resources: RecordedResource[];
    calls: RecordedCall[];
    /** The stack outputs, resolved to plain values. */
    outputs: Record<string, any>;
    /** Names of the outputs that are secret. */
    secretOutputs: string[];
    /** What the program reported with pulumi.log.warn (settings warnings among them), in order. */
    warnings: string[];
    /** Wall time of the evaluation (module load to last registration), in ms. */
    durationMs: number;
    ofType(type: string): RecordedResource[];
    /** The only resource of a type (and name, if given); throws when there is not exactly one. */
    one(type: string, name?: string): RecordedResource;
}

export interface LayerFailure {
    error: Error;
    resources: RecordedResource[];
}

export function buildConfig(options: RunOptions): Record<string, string> {
    const config = options.settingsFile === false ? {} : readSettingsFile(options.env, settingsFilePath(options.env, options.root ?? REPO_ROOT));
    for (const [key, value] of Object.entries(options.config ?? {})) {
        if (value === undefined) delete config[key];
        else config[key] = toConfigString(value);
    }
    return config;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier run finished (the Pulumi runtime is one per process). */
function serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
}

/** Drops the layers' modules of a checkout from the require cache so the next load is a fresh program. */
function forgetProgramModules(root: string): void {
    for (const file of Object.keys(require.cache)) {
        if (!file.startsWith(root + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
        const top = path.relative(root, file).split(path.sep)[0];
        if ((LAYERS as readonly string[]).includes(top)) delete require.cache[file];
    }
}

let evaluated = 0;

/** How many times this process evaluated a layer's program (kept runs are not evaluated again). */
export function evaluations(): number {
    return evaluated;
}

async function evaluate(layer: Layer, options: RunOptions): Promise<{ run?: LayerRun; failure?: LayerFailure }> {
    evaluated++;
    const config = buildConfig(options);
    const ctx: MockContext = {
        region: config["aws:region"] ?? "us-east-1",
        stackOutputs: options.stackOutputs ?? {},
        self: stackName(layer, options.env, options.organization),
        secretOutputs: options.secretOutputs ?? {},
        resources: [],
        calls: [],
        pendingOptions: new Map(),
        githubOidcProvider: options.githubOidcProvider,
    };
    await pulumi.runtime.setMocks(createMocks(ctx), layer, options.env, options.preview ?? true, options.organization ?? MOCK_ORGANIZATION);
    recordRegistrationOptions(ctx);
    pulumi.runtime.setAllConfig(config, []);
    const root = options.root ?? REPO_ROOT;
    forgetProgramModules(root);

    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    // Warnings go to the run (a real preview shows them as diagnostics), not to the console.
    const warnings: string[] = [];
    const log = pulumi.log as { warn: (message: string) => Promise<void> };
    const originalWarn = log.warn;
    log.warn = (message: string) => {
        warnings.push(message);
        return Promise.resolve();
    };
    const restoreStacks = withoutStackTraces();
    const started = process.hrtime.bigint();
    try {
        let exported: Record<string, unknown>;
        try {
            exported = require(path.join(root, layer, "index.ts"));
        } catch (error) {
            await settle();
            return { failure: { error: error as Error, resources: ctx.resources } };
        }
        const outputs: Record<string, any> = {};
        const secretOutputs: string[] = [];
        try {
            for (const [key, value] of Object.entries(exported)) {
                const out = pulumi.output(value) as any;
                outputs[key] = await out.promise();
                if (await out.isSecret) secretOutputs.push(key);
            }
        } catch (error) {
            // An output that cannot resolve (a check inside an apply refused the run): the program failed.
            await settle().catch(() => undefined);
            return { failure: { error: asError(rejections[0] ?? error), resources: ctx.resources } };
        }
        await settle();
        if (rejections.length > 0) {
            return { failure: { error: asError(rejections[0]), resources: ctx.resources } };
        }
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        return { run: makeRun(layer, options.env, ctx, outputs, secretOutputs, warnings, durationMs) };
    } finally {
        restoreStacks();
        process.off("unhandledRejection", onRejection);
        log.warn = originalWarn;
    }
}

/** Set to 1 to keep stack traces in the programs' evaluation (to debug a program that throws). */
export const STACKS_VARIABLE = "GITOPS_OFFLINE_STACKS";

/**
 * The SDK captures a stack trace for every resource (its source position, sent to the engine) and for every
 * promise of its RPCs (leak reports): under mocks nobody reads them, and formatting them (with ts-node's source
 * maps above all) is most of an evaluation's time. Errors the programs throw keep their message; set
 * GITOPS_OFFLINE_STACKS=1 to keep their stacks too. Returns the function that restores both.
 */
function withoutStackTraces(): () => void {
    if (process.env[STACKS_VARIABLE] === "1") return () => undefined;
    const resource = pulumi.Resource as unknown as { callsites: () => unknown[] };
    const callsites = resource.callsites;
    const limit = Error.stackTraceLimit;
    resource.callsites = () => [];
    Error.stackTraceLimit = 0;
    return () => {
        resource.callsites = callsites;
        Error.stackTraceLimit = limit;
    };
}

/**
 * The mocks see a resource's type, name and inputs only; its options (protect, parent, dependsOn, ...) are read
 * here from the registration request before the mock monitor handles it.
 */
function recordRegistrationOptions(ctx: MockContext): void {
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        ctx.pendingOptions.set(`${req.getType()}::${req.getName()}`, {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            parent: req.getParent() || undefined,
            protect: req.getProtect() ?? false,
            dependsOn: req.getDependenciesList(),
            ignoreChanges: req.getIgnorechangesList(),
            retainOnDelete: req.getRetainondelete() ?? false,
            remote: req.getRemote(),
            customTimeouts: customTimeouts(req.getCustomtimeouts()),
            aliases: aliases(req),
        });
        return register(req, callback);
    };
}

/** The `aliases` option: each alias's URN, or its parent's URN and name (`<parent URN>::<name>`) when given as a spec. */
function aliases(req: any): string[] | undefined {
    const list = (req.getAliasesList?.() ?? []).map((a: any) => (a.getUrn?.() ? a.getUrn() : `${a.getSpec?.()?.getParenturn?.() ?? ""}::${a.getSpec?.()?.getName?.() ?? ""}`));
    return list.length > 0 ? list : undefined;
}

function customTimeouts(t: any): RegistrationOptions["customTimeouts"] {
    if (!t) return undefined;
    const set = Object.entries({ create: t.getCreate(), update: t.getUpdate(), delete: t.getDelete() }).filter(([, v]) => v);
    return set.length > 0 ? Object.fromEntries(set) : undefined;
}

/** Waits until every resource registration and RPC of the program has finished. */
async function settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await (pulumi.runtime as any).waitForRPCs();
}

function asError(reason: unknown): Error {
    return reason instanceof Error ? reason : new Error(String(reason));
}

function makeRun(layer: Layer, env: string, ctx: MockContext, outputs: Record<string, any>, secretOutputs: string[], warnings: string[], durationMs: number): LayerRun {
    const resources = ctx.resources;
    return {
        layer,
        env,
        resources,
        calls: ctx.calls,
        outputs,
        secretOutputs,
        warnings,
        durationMs,
        ofType: (type) => resources.filter((r) => r.type === type),
        one(type, name) {
            const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
            if (found.length !== 1) {
                throw new Error(`expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
            }
            return found[0];
        },
    };
}

/** Runs a layer; rejects with the program's error if it fails. */
export function runLayer(layer: Layer, options: RunOptions): Promise<LayerRun> {
    const key = runKey(layer, options);
    const kept = key === undefined ? undefined : runs.get(key);
    if (kept) return kept.then(copyOfRun);
    const run = serialised(async () => {
        const { run, failure } = await evaluate(layer, options);
        if (failure) throw failure.error;
        return run!;
    });
    if (key !== undefined) {
        runs.set(key, run);
        run.catch(() => runs.delete(key));
        return run.then(copyOfRun);
    }
    return run;
}

/**
 * Successful runs of this checkout's programs, by everything they read: the layer, the stack, the settings as
 * built (the file and the overrides), every settings file of the checkout, the stack references' outputs, the
 * options and the process's environment.
 * The tests ask for the same graph many times (a run is a tenth of a second of CPU); each caller gets its own
 * copy to change (SDK objects among the inputs, such as a component's role, are shared). The programs' code is
 * taken as fixed for the life of the process. Another checkout (`root`, the plan's --base) is always evaluated:
 * its files may change between runs.
 */
const runs = new Map<string, Promise<LayerRun>>();

/** Set to 0 to evaluate every run (npm run bench times evaluations, not the keeping). */
export const KEEP_VARIABLE = "GITOPS_OFFLINE_KEEP";

function runKey(layer: Layer, options: RunOptions): string | undefined {
    if (process.env[KEEP_VARIABLE] === "0") return undefined;
    if (options.root !== undefined && path.resolve(options.root) !== REPO_ROOT) return undefined;
    let config: Record<string, string>;
    try {
        config = buildConfig(options);
    } catch {
        return undefined; // the run reports the bad settings file
    }
    const environment = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1));
    // Every settings file of the checkout: a program may read another environment's (infra reads its peer's).
    const settingsFiles = fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f)).sort().map((f) => [f, fs.readFileSync(path.join(REPO_ROOT, f), "utf8")]);
    return JSON.stringify([layer, options.env, config, settingsFiles, options.stackOutputs ?? {}, options.secretOutputs ?? {}, options.preview ?? true, options.organization ?? MOCK_ORGANIZATION, options.githubOidcProvider ?? null, environment]);
}

function copyOfRun(run: LayerRun): LayerRun {
    return makeRun(run.layer, run.env, { resources: copyOf(run.resources), calls: copyOf(run.calls) } as MockContext, copyOf(run.outputs), [...run.secretOutputs], [...run.warnings], run.durationMs);
}

/** Plain objects and arrays copied all the way down; anything else (an SDK object, a function) shared. */
function copyOf<T>(value: T): T {
    if (Array.isArray(value)) return value.map(copyOf) as T;
    if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = copyOf(v);
    return copy as T;
}

/** Runs a layer that must fail; rejects if it succeeds. Returns the error and what was registered before it. */
export function runLayerExpectingFailure(layer: Layer, options: RunOptions): Promise<LayerFailure> {
    return serialised(async () => {
        const { failure } = await evaluate(layer, options);
        if (!failure) throw new Error(`expected ${layer} (${options.env}) to fail, but it succeeded`);
        return failure;
    });
}

export interface EnvironmentRun {
    env: string;
    infra: LayerRun;
    platform?: LayerRun;
    apps?: LayerRun;
    /** Every resource of every layer that ran, in order. */
    resources: RecordedResource[];
}

export interface EnvironmentOptions {
    /** Per-layer settings overrides (all layers read the same settings file). */
    config?: ConfigOverrides;
    /** Stop after this layer (default: the last layer that exists in the repository). */
    through?: Layer;
    /** The checkout to run (default: this repository). */
    root?: string;
}

/** The StackReference name a layer uses for another layer of the same environment. */
export function stackName(layer: Layer, env: string, organization = MOCK_ORGANIZATION): string {
    return `${organization}/${layer}/${env}`;
}

/** Whether a layer has a program yet (layers land one issue at a time). */
export function layerExists(layer: Layer): boolean {
    return layerExistsIn(REPO_ROOT, layer);
}

function layerExistsIn(root: string, layer: Layer): boolean {
    return fs.existsSync(path.join(root, layer, "index.ts"));
}

/**
 * Runs infra -> platform -> apps for one environment, serving each layer's outputs (with their secrecy) to the
 * next through StackReferences: the whole graph of an environment, as a real deployment would build it.
 */
export async function runEnvironment(env: string, options: EnvironmentOptions = {}): Promise<EnvironmentRun> {
    const last = options.through ?? [...LAYERS].reverse().find((l) => layerExistsIn(options.root ?? REPO_ROOT, l))!;
    const stackOutputs: Record<string, Record<string, unknown>> = {};
    const secretOutputs: Record<string, string[]> = {};
    const result: Partial<EnvironmentRun> & { env: string; resources: RecordedResource[] } = { env, resources: [] };
    for (const layer of LAYERS) {
        const run = await runLayer(layer, { env, config: options.config, stackOutputs, secretOutputs, root: options.root });
        (result as any)[layer] = run;
        result.resources.push(...run.resources);
        stackOutputs[stackName(layer, env)] = run.outputs;
        secretOutputs[stackName(layer, env)] = run.secretOutputs;
        if (layer === last) break;
    }
    return result as EnvironmentRun;
}

const cache = new Map<string, Promise<EnvironmentRun>>();

/** {@link runEnvironment} with the committed settings, evaluated once per process and shared by tests. */
export function environmentGraph(env: string): Promise<EnvironmentRun> {
    if (!cache.has(env)) cache.set(env, runEnvironment(env));
    return cache.get(env)!;
}
