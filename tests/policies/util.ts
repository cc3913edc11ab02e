/**
 * Helpers of the policy specs, in the style of pulumi/pulumi-policy-aws (src/tests/util.ts): build the
 * validation arguments the engine would pass (props behind unknownCheckingProxy, the policy's config
 * reconciled with its configSchema defaults, stackTags, notApplicable), run one policy, and assert on what it
 * reported. Every reported message must name the resource (type and name) and say how to fix it.
 */
import * as assert from "assert";
import { ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { PackPolicy } from "../../policies/all";
import { NOTICE_SINK, SyncingApplication } from "../../policies/common";
import { EXCEPTION_SINK, ExceptedFinding } from "../../policies/exceptions";
import { NotApplicableError, OfflineResource, policyProps, PREVIEW_UNKNOWN, resourceValidationArgs, stackValidationArgs } from "../../policies/offline";
import { resolvePackConfig } from "../../policies/pack-config";

export type Props = Record<string, any>;

/** A value unknown during preview (the engine's marker). */
export const UNKNOWN = PREVIEW_UNKNOWN;

/** The settings the pack requires (what every policies/config/<env>.json sets), for a staging stack. */
export const REQUIRED_SETTINGS = {
    "instance-types-allowed": { environment: "staging" },
    "node-group-default-instance-type": { environment: "staging" },
    "argocd-pinned-revision": { environment: "staging" },
    "cloudwatch-log-groups-hardened": { minimumRetentionDays: 14 },
};

export interface ArgsOptions {
    name?: string;
    /** The policy's settings, as in a --policy-pack-config file; defaults come from its configSchema. */
    config?: Record<string, unknown>;
    /** The resource's provider, e.g. { type: "pulumi:providers:aws", props: { defaultTags: "..." } }. */
    provider?: { type: string; name?: string; props: Props };
    /** The ArgoCD Application that syncs it (a rendered manifest), as the offline runner passes it. */
    application?: SyncingApplication;
}

/** The policy's config as the engine would pass it: configSchema defaults with `config` over them. */
export function policyConfig(policy: PackPolicy, config: Record<string, unknown> = {}): Record<string, unknown> {
    return resolvePackConfig([policy], { [policy.name]: config }).get(policy.name)!.properties;
}

/** Arguments of a resource validation of `type` with inputs `props` (default name "test"). */
export function createResourceValidationArgs(policy: PackPolicy, type: string, props: Props, options: ArgsOptions = {}): ResourceValidationArgs {
    const p = options.provider;
    const provider = p && { type: p.type, name: p.name ?? "provider", urn: `urn:pulumi:test::test::${p.type}::${p.name ?? "provider"}`, props: policyProps(p.props) };
    const application = options.application ? { application: options.application } : {};
    return resourceValidationArgs({ type, name: options.name ?? "test", inputs: props, ...application }, policyConfig(policy, options.config), provider, { stack: "test", project: "test" });
}

/** A stack of resources for a stack validation, as the engine passes it (each resource's state). */
export function createStackValidationArgs(policy: PackPolicy, resources: OfflineResource[], config: Record<string, unknown> = {}): StackValidationArgs {
    return stackValidationArgs(resources, policyConfig(policy, config), { stack: "test", project: "test" });
}

/** A resource of a synthetic stack; `state` defaults to the inputs, `id` to `<name>-id`. */
export function stackResource(type: string, name: string, state: Props, extra: Partial<OfflineResource> = {}): OfflineResource {
    return { type, name, inputs: state, state, id: `${name}-id`, custom: !/^(awsx|eks):/.test(type), ...extra };
}

export interface PolicyViolation {
    message: string;
    urn?: string;
}

export interface Outcome {
    violations: PolicyViolation[];
    /** Set when the policy stopped on a value unknown during preview (the engine reports it as advisory). */
    unknown?: UnknownValueError;
    notApplicable: boolean;
}

/** Runs a resource policy as the engine does, catching unknown values and "not applicable". */
export async function runResourcePolicy(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Outcome> {
    const outcome: Outcome = { violations: [], notApplicable: false };
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    for (const validate of validations) {
        await capture(outcome, () => validate(args, (message, urn) => outcome.violations.push({ message, urn })));
    }
    return outcome;
}

export async function runStackPolicy(policy: StackValidationPolicy, args: StackValidationArgs): Promise<Outcome> {
    const outcome: Outcome = { violations: [], notApplicable: false };
    await capture(outcome, () => policy.validateStack(args, (message, urn) => outcome.violations.push({ message, urn })));
    return outcome;
}

async function capture(outcome: Outcome, run: () => void | Promise<void>): Promise<void> {
    try {
        await run();
    } catch (error) {
        if (error instanceof UnknownValueError) outcome.unknown = error;
        else if (error instanceof NotApplicableError) outcome.notApplicable = true;
        else throw error;
    }
}

function show(outcome: Outcome): string {
    const lines = outcome.violations.map((v) => `  - ${v.message}${v.urn ? ` (${v.urn})` : ""}`);
    if (outcome.unknown) lines.push(`  (stopped on unknown: ${outcome.unknown.message})`);
    if (outcome.notApplicable) lines.push("  (not applicable)");
    return lines.length ? lines.join("\n") : "  (nothing reported)";
}

/** Every message names the resource ("<type> \"<name>\"") and the fix. */
function assertWellFormed(outcome: Outcome, type: string, name: string): void {
    for (const v of outcome.violations) {
        assert.ok(v.message.includes(`${type} "${name}"`), `message should name ${type} "${name}": ${v.message}`);
        assert.match(v.message, /Fix: \S/, `message should say how to fix it: ${v.message}`);
    }
}

export async function assertNoResourceViolations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<void> {
    const outcome = await runResourcePolicy(policy, args);
    assert.ok(!outcome.notApplicable, `${policy.name} should apply to ${args.type}`);
    assert.ok(!outcome.unknown, `${policy.name} stopped on an unknown value: ${outcome.unknown?.message}`);
    assert.strictEqual(outcome.violations.length, 0, `expected no violations of ${policy.name}, got:\n${show(outcome)}`);
}

/** Asserts a violation whose message matches `want` (a substring or a pattern); returns all of them. */
export async function assertHasResourceViolation(policy: ResourceValidationPolicy, args: ResourceValidationArgs, want: string | RegExp): Promise<PolicyViolation[]> {
    const outcome = await runResourcePolicy(policy, args);
    assertWellFormed(outcome, args.type, args.name);
    const found = outcome.violations.some((v) => (typeof want === "string" ? v.message.includes(want) : want.test(v.message)));
    assert.ok(found, `expected a violation of ${policy.name} matching ${want}, got:\n${show(outcome)}`);
    return outcome.violations;
}

/** Asserts exactly `count` violations (each well formed). */
export async function assertViolationCount(policy: ResourceValidationPolicy, args: ResourceValidationArgs, count: number): Promise<PolicyViolation[]> {
    const outcome = await runResourcePolicy(policy, args);
    assertWellFormed(outcome, args.type, args.name);
    assert.strictEqual(outcome.violations.length, count, `expected ${count} violation(s) of ${policy.name}, got:\n${show(outcome)}`);
    return outcome.violations;
}

export async function assertNotApplicable(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<void> {
    const outcome = await runResourcePolicy(policy, args);
    assert.ok(outcome.notApplicable, `${policy.name} should not apply to ${args.type}:\n${show(outcome)}`);
    assert.strictEqual(outcome.violations.length, 0);
}

/**
 * Asserts that an unknown value does not crash the policy: it stops on the unknown (which the engine reports)
 * and reports nothing it cannot know. Returns what it still reported from known values.
 */
export async function assertSkipsUnknown(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<PolicyViolation[]> {
    const outcome = await runResourcePolicy(policy, args);
    assert.ok(outcome.unknown, `${policy.name} should report the unknown value to the engine, got:\n${show(outcome)}`);
    assertWellFormed(outcome, args.type, args.name);
    return outcome.violations;
}

export async function assertNoStackViolations(policy: StackValidationPolicy, args: StackValidationArgs): Promise<void> {
    const outcome = await runStackPolicy(policy, args);
    assert.ok(!outcome.unknown, `${policy.name} stopped on an unknown value: ${outcome.unknown?.message}`);
    assert.strictEqual(outcome.violations.length, 0, `expected no violations of ${policy.name}, got:\n${show(outcome)}`);
}

/** Asserts a stack violation on the resource `name` (by URN) whose message matches `want`. */
export async function assertHasStackViolation(policy: StackValidationPolicy, args: StackValidationArgs, name: string, want: string | RegExp): Promise<Outcome> {
    const outcome = await runStackPolicy(policy, args);
    const resource = args.resources.find((r) => r.name === name);
    assert.ok(resource, `no resource ${name} in the stack`);
    const mine = outcome.violations.filter((v) => v.urn === resource!.urn);
    for (const v of mine) {
        assert.ok(v.message.includes(`${resource!.type} "${name}"`), `message should name ${resource!.type} "${name}": ${v.message}`);
        assert.match(v.message, /Fix: \S/, `message should say how to fix it: ${v.message}`);
    }
    const found = mine.some((v) => (typeof want === "string" ? v.message.includes(want) : want.test(v.message)));
    assert.ok(found, `expected a violation of ${policy.name} on ${name} matching ${want}, got:\n${show(outcome)}`);
    return outcome;
}

/** A deep copy of props with one path replaced, e.g. withValue(lt, "metadataOptions.httpTokens", "optional"). */
export function withValue(props: Props, path: string, value: unknown): Props {
    const copy = structuredClone(props);
    const keys = path.split(".");
    let node: any = copy;
    for (const key of keys.slice(0, -1)) {
        node[key] ??= {};
        node = node[key];
    }
    if (value === undefined) delete node[keys[keys.length - 1]];
    else node[keys[keys.length - 1]] = value;
    return copy;
}

/**
 * Runs a policy with the offline runner's channels attached: what it reported, what documented exceptions let pass,
 * and its notices (what the plan lists as warnings).
 */
export async function runWithExceptions(policy: PackPolicy, args: ResourceValidationArgs | StackValidationArgs): Promise<Outcome & { excepted: ExceptedFinding[]; notices: string[] }> {
    const excepted: ExceptedFinding[] = [];
    const notices: string[] = [];
    Object.assign(args, { [EXCEPTION_SINK]: (f: ExceptedFinding) => excepted.push(f), [NOTICE_SINK]: (message: string) => notices.push(message) });
    const outcome = "validateStack" in policy ? await runStackPolicy(policy, args as StackValidationArgs) : await runResourcePolicy(policy as ResourceValidationPolicy, args as ResourceValidationArgs);
    return { ...outcome, excepted, notices };
}
