/**
 * The offline runner: runs the pack over recorded resources the way the engine does during a preview, with
 * no Pulumi CLI and no pack server. Used by the tests and by `npm run plan`.
 *
 *   const config = loadPackConfig("staging");                 // policies/config/staging.json
 *   const report = await runPack(graph.resources, config);    // resources as the mock kit records them
 *   report.mandatory                                          // violations that would block `pulumi up`
 *   console.log(formatReport(report));
 *
 * As the engine does, resource policies see each resource's `inputs` (with its provider resolved from the
 * `urn::id` reference), stack policies see every resource's `state` (inputs and outputs; `id` included for
 * custom resources, as bridged providers return it), every value goes through unknownCheckingProxy (so a
 * value unknown during preview skips the check that reads it and is listed in `skipped`), and the config
 * file is reconciled with each policy's configSchema (see pack-config.ts).
 *
 * Manifests are resources too: `manifestResources(rendered)` turns the Kubernetes objects ArgoCD would sync
 * (rendered from Git by lib/workloads.ts) into resources of the same types a Pulumi program registers, so the
 * pack's Kubernetes policies judge both with one implementation. Their findings name the file the object comes
 * from (`source`), and each knows the Application that syncs it (`application`: the namespace-based policies judge
 * it by the Application's destination, common.ts `judgedNamespace`). Findings a documented exception lets pass
 * (exceptions.ts) are listed in `excepted`, what a person should act on without it being a violation in `notices`.
 *
 * What a config file cannot know, the environment's graph tells the runner: infra's ECR repositories whose tags are
 * immutable are added to workload-images-pinned's immutableTagRepositories (`resolveForEnvironment`). The engine
 * has no graph: a real preview judges by the config file alone, which is stricter, never looser.
 */
import {
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    UnknownValueError,
    unknownCheckingProxy,
} from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { ALL_POLICIES, PackPolicy } from "./all";
import { NOTICE_SINK, SYNCED_BY, SyncingApplication } from "./common";
import { EXCEPTION_SINK, ExceptedFinding } from "./exceptions";
import { loadPackConfig, PackConfig, resolvePackConfig, ResolvedPolicyConfig } from "./pack-config";
import { environmentImmutableRepositories, workloadImagesPinned } from "./workloads";

export { loadPackConfig, PackConfig };

/** One resource of a stack: the mock kit's RecordedResource satisfies it. */
export interface OfflineResource {
    type: string;
    name: string;
    /** What the program passed (what resource policies validate). */
    inputs: Record<string, any>;
    /** Inputs and outputs (what stack policies validate); defaults to `inputs`. */
    state?: Record<string, any>;
    id?: string;
    /** False for components (local or remote); stack policies then get no `id` in the state. Default true. */
    custom?: boolean;
    /** Provider reference `urn::id` (resolved to the recorded `pulumi:providers:*` resource). */
    provider?: string;
    urn?: string;
    parent?: string;
    protect?: boolean;
    ignoreChanges?: string[];
    dependsOn?: string[];
    /** Where the resource is defined when no Pulumi program registers it: a manifest file and the overlay that renders it. */
    source?: string;
    /** The ArgoCD Application that syncs it (rendered manifests), with the namespace it deploys to. */
    application?: SyncingApplication;
}

export type ReportedLevel = "advisory" | "mandatory";

export interface PolicyViolation {
    policyName: string;
    enforcementLevel: ReportedLevel;
    /** The resource in violation; undefined for a stack-wide violation. */
    resourceType?: string;
    resourceName?: string;
    urn?: string;
    /** The file the resource comes from (rendered manifests); the message names it too. */
    source?: string;
    message: string;
}

/** A finding a documented exception let pass: what it would have said, and why it passes. */
export interface ExceptedViolation extends ExceptedFinding {
    policyName: string;
    resourceType?: string;
    resourceName?: string;
    source?: string;
}

/** A check a policy could not run because a value is unknown (the CLI shows these as advisory messages). */
export interface SkippedCheck {
    policyName: string;
    resourceType?: string;
    resourceName?: string;
    urn?: string;
    message: string;
}

/** What a policy says a person should act on, without it being a violation (the plan lists these as warnings). */
export interface PolicyNotice {
    policyName: string;
    resourceType?: string;
    resourceName?: string;
    source?: string;
    /** Names the resource, and the file for a rendered manifest. */
    message: string;
}

export interface PolicyReport {
    violations: PolicyViolation[];
    mandatory: PolicyViolation[];
    advisory: PolicyViolation[];
    skipped: SkippedCheck[];
    /** Findings documented exceptions let pass (policies/exceptions.ts), with their reasons. */
    excepted: ExceptedViolation[];
    /** What policies say a person should act on (a service never released), each once. */
    notices: PolicyNotice[];
    /** Policy name -> resources it applied to (stack policies: 1 when they ran). Disabled policies are absent. */
    evaluated: Record<string, number>;
}

export interface RunPackOptions {
    /** The policies to run (default: the whole pack). */
    policies?: readonly PackPolicy[];
    /** Used to build URNs of resources that have none. */
    stack?: string;
    project?: string;
    stackTags?: Record<string, string>;
    /** Where the config came from, for error messages. */
    configSource?: string;
    /**
     * The environment's whole graph (every layer that ran), which tells what the config cannot know (the environment's
     * ECR repositories); default: `resources`. The plan passes it when it checks fewer layers (--layer).
     */
    environment?: readonly OfflineResource[];
}

/** What `args.notApplicable()` throws; the runner counts the policy as not applying to the resource. */
export class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

const throwNotApplicable = (reason?: string): never => {
    // Thrown for most (policy, resource) pairs and never shown: no stack trace to capture.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const error = new NotApplicableError(reason);
    Error.stackTraceLimit = limit;
    throw error;
};

/** The engine's marker for a value unknown during preview (unknownCheckingProxy treats it as unknown). */
export const PREVIEW_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Turns values as the mocks record them into what a policy receives: preview unknowns become the engine's
 * unknown marker, secrets are unwrapped, and live resource references (which the engine would send as ids)
 * become unknown, since offline they have no value.
 */
export function toPolicyValue(value: unknown): any {
    if (pulumi.isUnknown(value) || pulumi.Resource.isInstance(value)) return PREVIEW_UNKNOWN;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map(toPolicyValue);
    if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) return value;
    const v = value as Record<string, unknown>;
    if (v[SIG_KEY] === SECRET_SIG) return toPolicyValue(v.value);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) {
        if (item !== undefined) out[key] = toPolicyValue(item);
    }
    return out;
}

/** Each recorded value tree converted once: every policy of the pack reads the same resources. */
const converted = new WeakMap<object, any>();

/** Values as a policy sees them: converted by {@link toPolicyValue}, behind unknownCheckingProxy. */
export function policyProps(values: Record<string, unknown>): Record<string, any> {
    let value = converted.get(values);
    if (value === undefined) {
        value = toPolicyValue(values);
        converted.set(values, value);
    }
    return unknownCheckingProxy(value);
}

function urnOf(r: OfflineResource, options: RunPackOptions): string {
    return r.urn ?? `urn:pulumi:${options.stack ?? "stack"}::${options.project ?? "project"}::${r.type}::${r.name}`;
}

function optionsOf(r: OfflineResource): PolicyResourceOptions {
    return {
        protect: r.protect ?? false,
        ignoreChanges: r.ignoreChanges ?? [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

function isTypeOf(type: string, resourceClass: any): boolean {
    const pulumiType = resourceClass?.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType.length > 0) return type === pulumiType;
    return typeof resourceClass?.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

/** Finds the `pulumi:providers:*` resource a `urn::id` reference points at. */
function providerOf(r: OfflineResource, byUrn: Map<string, OfflineResource>, options: RunPackOptions): PolicyProviderResource | undefined {
    if (!r.provider) return undefined;
    const cut = r.provider.lastIndexOf("::");
    const provider = byUrn.get(cut > 0 ? r.provider.slice(0, cut) : r.provider);
    if (!provider) return undefined;
    return { type: provider.type, name: provider.name, urn: urnOf(provider, options), props: policyProps(provider.inputs) };
}

/** The arguments the engine passes to a resource validation (exported for the tests' helpers). */
export function resourceValidationArgs(
    r: OfflineResource,
    config: Record<string, unknown>,
    provider?: PolicyProviderResource,
    options: RunPackOptions = {},
): ResourceValidationArgs {
    const props = policyProps(r.inputs);
    const args: ResourceValidationArgs = {
        type: r.type,
        props,
        urn: urnOf(r, options),
        name: r.name,
        opts: optionsOf(r),
        stackTags: new Map(Object.entries(options.stackTags ?? {})),
        isType: (cls) => isTypeOf(r.type, cls),
        asType: (cls: any) => (isTypeOf(r.type, cls) ? (props as any) : undefined),
        getConfig: <T extends object>() => structuredClone(config) as T,
        notApplicable: throwNotApplicable,
    };
    if (provider) args.provider = provider;
    if (r.application) Object.assign(args, { [SYNCED_BY]: r.application });
    return args;
}

/** The arguments the engine passes to a stack validation: every resource's state, with parents and dependencies linked. */
export function stackValidationArgs(resources: readonly OfflineResource[], config: Record<string, unknown>, options: RunPackOptions = {}): StackValidationArgs {
    const byUrn = new Map(resources.map((r) => [urnOf(r, options), r]));
    const policyResources = resources.map((r): PolicyResource => {
        const state: Record<string, unknown> = { ...(r.state ?? r.inputs) };
        if (r.custom !== false && r.id && state.id === undefined) state.id = r.id;
        const props = policyProps(state);
        const resource: PolicyResource = {
            type: r.type,
            props,
            urn: urnOf(r, options),
            name: r.name,
            opts: optionsOf(r),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: (cls: any) => (isTypeOf(r.type, cls) ? (props as any) : undefined),
        };
        const provider = providerOf(r, byUrn, options);
        if (provider) resource.provider = provider;
        return resource;
    });
    const policyByUrn = new Map(policyResources.map((p) => [p.urn, p]));
    resources.forEach((r, i) => {
        if (r.parent && policyByUrn.has(r.parent)) policyResources[i].parent = policyByUrn.get(r.parent);
        policyResources[i].dependencies = (r.dependsOn ?? []).map((u) => policyByUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
    });
    return {
        resources: policyResources,
        stackTags: new Map(Object.entries(options.stackTags ?? {})),
        getConfig: <T extends object>() => structuredClone(config) as T,
        notApplicable: throwNotApplicable,
    };
}

function isStackPolicy(p: PackPolicy): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

/**
 * Runs the pack (or `options.policies`) over a stack's resources with a config in the --policy-pack-config
 * format. Rejects with a PackConfigError when the config does not fit the pack.
 */
export async function runPack(resources: readonly OfflineResource[], config: PackConfig, options: RunPackOptions = {}): Promise<PolicyReport> {
    const policies = options.policies ?? ALL_POLICIES;
    const resolved = resolveForEnvironment(policies, config, options.environment ?? resources, options.configSource);
    const byUrn = new Map(resources.map((r) => [urnOf(r, options), r]));
    const report: PolicyReport = { violations: [], mandatory: [], advisory: [], skipped: [], excepted: [], notices: [], evaluated: {} };
    const noticed = new Set<string>();

    for (const policy of policies) {
        const { enforcementLevel, properties } = resolved.get(policy.name) as ResolvedPolicyConfig;
        if (enforcementLevel === "disabled") continue;
        // As the engine does: a remediation policy that still finds a violation reports it as mandatory.
        const level: ReportedLevel = enforcementLevel === "advisory" ? "advisory" : "mandatory";
        report.evaluated[policy.name] = 0;
        const record = (message: string, r?: OfflineResource, urn?: string) => {
            const v: PolicyViolation = { policyName: policy.name, enforcementLevel: level, message: withSource(message, r), ...about(r), ...(urn ? { urn } : {}) };
            report.violations.push(v);
            report[level].push(v);
        };
        const except = (finding: ExceptedFinding, r?: OfflineResource) => report.excepted.push({ policyName: policy.name, ...finding, ...about(r) });
        const notice = (r: OfflineResource) => (message: string) => {
            const n: PolicyNotice = { policyName: policy.name, ...about(r), message: withSource(message, r) };
            const key = JSON.stringify([n.policyName, n.resourceType, n.resourceName, n.message]);
            if (noticed.has(key)) return;
            noticed.add(key);
            report.notices.push(n);
        };
        const skip = (error: UnknownValueError, r?: OfflineResource) =>
            report.skipped.push({ policyName: policy.name, message: error.message, ...(r ? { resourceType: r.type, resourceName: r.name, urn: urnOf(r, options) } : {}) });

        if (isStackPolicy(policy)) {
            const args = withSink(stackValidationArgs(resources, properties, options), (f) => except(f, f.urn ? byUrn.get(f.urn) : undefined));
            const applied = await runValidation(() => policy.validateStack(args, (message, urn) => record(message, urn ? byUrn.get(urn) : undefined, urn)), (e) => skip(e));
            if (applied) report.evaluated[policy.name] = 1;
            continue;
        }
        const validations = asValidations(policy);
        for (const r of resources) {
            const urn = urnOf(r, options);
            let applied = false;
            for (const validate of validations) {
                const args = Object.assign(withSink(resourceValidationArgs(r, properties, providerOf(r, byUrn, options), options), (f) => except(f, r)), { [NOTICE_SINK]: notice(r) });
                applied = (await runValidation(() => validate(args, (message) => record(message, r, urn)), (e) => skip(e, r))) || applied;
            }
            if (applied) report.evaluated[policy.name]++;
        }
    }
    return report;
}

/**
 * The pack's config resolved for an environment: the config file reconciled with the policies' schemas (pack-config.ts),
 * then what only the environment's graph knows: its own ECR repositories whose tags are immutable (IMMUTABLE, which
 * ecr-repositories-hardened requires of each) join workload-images-pinned's immutableTagRepositories, so a tag CI
 * pushed there pins its image and a tag of another account's registry does not.
 */
export function resolveForEnvironment(policies: readonly PackPolicy[], config: PackConfig, environment: readonly OfflineResource[], source?: string): Map<string, ResolvedPolicyConfig> {
    const resolved = resolvePackConfig(policies, config, source);
    const images = resolved.get(workloadImagesPinned.name);
    if (images) {
        const configured = (images.properties.immutableTagRepositories as string[] | undefined) ?? [];
        images.properties.immutableTagRepositories = [...new Set([...configured, ...environmentImmutableRepositories(environment)])];
    }
    return resolved;
}

/** The resource fields of a finding. */
function about(r?: OfflineResource): { resourceType?: string; resourceName?: string; source?: string } {
    return r ? { resourceType: r.type, resourceName: r.name, ...(r.source ? { source: r.source } : {}) } : {};
}

/** A finding about a rendered manifest says which file to fix. */
function withSource(message: string, r?: OfflineResource): string {
    return r?.source ? `${message} (${r.source})` : message;
}

/** Gives a policy the channel for excepted findings (the engine passes no such property; see exceptions.ts). */
function withSink<T extends object>(args: T, sink: (finding: ExceptedFinding) => void): T {
    return Object.assign(args, { [EXCEPTION_SINK]: sink });
}

function asValidations(policy: ResourceValidationPolicy) {
    const v = policy.validateResource;
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Runs one validation; false when it was not applicable. Unknown values are recorded, anything else propagates. */
async function runValidation(run: () => void | Promise<void>, onUnknown: (e: UnknownValueError) => void): Promise<boolean> {
    try {
        await run();
        return true;
    } catch (error) {
        if (error instanceof NotApplicableError) return false;
        if (error instanceof UnknownValueError) {
            onUnknown(error);
            return true;
        }
        throw error;
    }
}

/** A readable summary: one line per violation, skipped check and excepted finding. */
export function formatReport(report: PolicyReport): string {
    const where = (x: { resourceType?: string; resourceName?: string }) => (x.resourceType ? `${x.resourceType} "${x.resourceName}"` : "(stack)");
    const lines = [
        `${report.mandatory.length} mandatory, ${report.advisory.length} advisory violation(s); ${report.skipped.length} check(s) skipped on unknown values; ${report.excepted.length} finding(s) excepted; ${report.notices.length} notice(s)`,
        ...report.violations.map((v) => `  [${v.enforcementLevel}] ${v.policyName} ${where(v)}: ${v.message}`),
        ...report.skipped.map((s) => `  [skipped] ${s.policyName} ${where(s)}: ${s.message}`),
        ...report.excepted.map((e) => `  [excepted: ${e.exceptionId}] ${e.policyName} ${where(e)}${e.source ? ` (${e.source})` : ""}: ${e.rule} ${e.subject}`),
        ...report.notices.map((n) => `  [notice] ${n.policyName} ${where(n)}: ${n.message}`),
    ];
    return lines.join("\n");
}

/** A Kubernetes object rendered from Git, with the file it comes from and the Application that syncs it. */
export interface RenderedManifest {
    object: Record<string, any>;
    /** e.g. "apps/workloads/user-service/base/deployment.yaml, rendered from apps/workloads/user-service/overlays/staging". */
    source: string;
    /** The ArgoCD Application that syncs it (lib/workloads.ts RenderedObject). */
    application?: string;
    /** The namespace that Application deploys to (its spec.destination.namespace). */
    destinationNamespace?: string;
}

/** The Pulumi type token of a Kubernetes object: `kubernetes:<group or core>/<version>:<Kind>`. */
export function kubernetesType(apiVersion: string, kind: string): string {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
    return `kubernetes:${group}/${version}:${kind}`;
}

/**
 * Rendered manifests as resources the pack checks like Pulumi-registered ones: the type a Pulumi program would
 * register, named `<namespace>/<name>` (the namespace the object names, else its Application's), the object as its
 * inputs, its file as its source, and the Application that syncs it.
 */
export function manifestResources(manifests: readonly RenderedManifest[], stack = "manifests"): OfflineResource[] {
    return manifests.map(({ object, source, application, destinationNamespace }) => {
        const type = kubernetesType(String(object.apiVersion), String(object.kind));
        const namespace = object.metadata?.namespace ?? destinationNamespace;
        const name = namespace ? `${namespace}/${object.metadata?.name}` : String(object.metadata?.name);
        const syncing = application ? { application: { name: application, ...(destinationNamespace ? { namespace: destinationNamespace } : {}) } } : {};
        return { type, name, inputs: object, state: object, custom: true, source, ...syncing, urn: `urn:pulumi:${stack}::manifests::${type}::${name}` };
    });
}
