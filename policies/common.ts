/**
 * Helpers shared by the policy modules: how a validation picks its resource types, how checks survive values
 * that are unknown during preview, how messages name a resource, and how the odd shapes of provider inputs
 * (string booleans, JSON strings, one-or-many lists) are read. The pack depends on @pulumi/policy only, so
 * resource types are plain strings here, not SDK classes.
 */
import { PolicyResource, ResourceValidation, ResourceValidationArgs, ReportViolation, UnknownValueError } from "@pulumi/policy";

export type Props = Record<string, any>;

export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The `environment` setting of the policies whose rule differs per environment (set by policies/config/<env>.json). */
export const ENVIRONMENT_SETTING = {
    type: "string" as const,
    enum: [...ENVIRONMENTS],
    description: "The environment the stack belongs to; policies/config/<environment>.json sets it.",
};

/** A list-of-strings setting with a default. */
export function stringListSetting(description: string, defaults: readonly string[]) {
    return {
        type: "array" as const,
        items: { type: "string" as const, minLength: 1 },
        uniqueItems: true,
        description,
        default: [...defaults],
    };
}

/** How every message names a resource: its type and its Pulumi name. */
export function describeResource(type: string, name: string): string {
    return `${type} "${name}"`;
}

/**
 * Runs the independent checks of one validation. A check that reads a value unknown during preview stops at
 * that value; the other checks still run and report. At the end the first unknown is rethrown, so the engine
 * reports which value it could not check (an advisory "can't run policy during preview" message) instead of
 * the policy crashing or silently passing. During `pulumi up` the same inputs are known and checked.
 */
export class Checks {
    private unknown?: UnknownValueError;

    run(check: () => void): void {
        try {
            check();
        } catch (error) {
            if (!(error instanceof UnknownValueError)) throw error;
            this.unknown ??= error;
        }
    }

    /** Runs `check` for every element of a list; an unknown list or element skips only what it covers. */
    each<T>(read: () => T[] | undefined, check: (item: T, index: number) => void): void {
        this.run(() => {
            const items = read();
            if (items === undefined || items === null) return;
            const list = asList(items) as T[];
            for (let i = 0; i < list.length; i++) this.run(() => check(list[i], i));
        });
    }

    finish(): void {
        if (this.unknown) throw this.unknown;
    }
}

/** Runs `body` with a {@link Checks} and finishes it. */
export function checking(body: (checks: Checks) => void): void {
    const checks = new Checks();
    checks.run(() => body(checks));
    checks.finish();
}

export type TypedValidation = (props: Props, args: ResourceValidationArgs, report: ReportViolation, checks: Checks) => void;

/**
 * A resource validation for the listed types. Other types are reported not applicable (what the engine does
 * itself for a single-type validation, whose type it reads from `__pulumiType`).
 */
export function validateTypes(types: readonly string[], validate: TypedValidation): ResourceValidation {
    const validation: ResourceValidation & { __pulumiType?: string } = (args, report) => {
        if (!types.includes(args.type)) {
            args.notApplicable(`applies to ${types.join(", ")}`);
        }
        checking((checks) => validate(args.props, args, report, checks));
    };
    if (types.length === 1) validation.__pulumiType = types[0];
    return validation;
}

/** Provider booleans: `true`/`false`, and the strings "true"/"false" of LaunchTemplate (where "false" is truthy). */
export function asBool(value: unknown): boolean | undefined {
    if (typeof value === "boolean") return value;
    if (typeof value === "string") {
        const v = value.trim().toLowerCase();
        if (v === "true") return true;
        if (v === "false") return false;
    }
    return undefined;
}

/**
 * The resources of `type` by the id they point at (`read`: a FlowLog's vpcId, a logging configuration's ACL ARN),
 * and whether preview left one unattributed: a stack policy must then not call a missing link missing.
 */
export function resourcesByReference(resources: readonly PolicyResource[], type: string, read: (props: Props) => unknown, checks: Checks): { byKey: Map<string, PolicyResource>; unknown: boolean } {
    const byKey = new Map<string, PolicyResource>();
    let unknown = false;
    for (const r of resources.filter((x) => x.type === type)) {
        let known = false;
        checks.run(() => {
            const key = read(r.props);
            known = true;
            if (isNonEmptyString(key)) byKey.set(key, r);
        });
        if (!known) unknown = true;
    }
    return { byKey, unknown };
}

/** A value that may be one item or a list, as a list (`undefined` is the empty list). */
export function asList<T>(value: T | T[] | undefined | null): T[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
}

/** A JSON document given as a string (most providers) or as an object; undefined when it does not parse. */
export function parseJson(value: unknown): any {
    if (typeof value !== "string") return value ?? undefined;
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

export function isNonEmptyString(value: unknown): value is string {
    return typeof value === "string" && value.trim().length > 0;
}

/** `a, b, c` for messages. */
export function listText(values: readonly unknown[]): string {
    return values.length === 0 ? "(none)" : values.map((v) => String(v)).join(", ");
}

/** A Kubernetes object's name: metadata.name, or the Pulumi name when the provider generates it. */
export function kubernetesName(props: Props, fallback: string): string {
    const name = props.metadata?.name;
    return isNonEmptyString(name) ? name : fallback;
}

/**
 * The ArgoCD Application that syncs an object rendered from Git, and the namespace it deploys to
 * (`spec.destination.namespace`). The offline runner sets it on the validation arguments of every rendered manifest
 * (offline.ts `manifestResources`); the engine sets none, since a Pulumi-registered object has no Application.
 */
export interface SyncingApplication {
    name: string;
    namespace?: string;
}

/** The property of the validation arguments where the offline runner puts the syncing Application. */
export const SYNCED_BY = "gitopsSyncedBy";

export function syncedBy(args: object): SyncingApplication | undefined {
    return (args as Record<string, unknown>)[SYNCED_BY] as SyncingApplication | undefined;
}

/**
 * The namespace a policy grants an object the rights of: for an object an Application syncs, the Application's
 * destination (an overlay cannot claim a platform namespace, or another workload's, to get its secrets or its load
 * balancer: objects-in-application-namespace refuses the claim itself); otherwise the object's own metadata.namespace.
 */
export function judgedNamespace(props: Props, args: object): unknown {
    const application = syncedBy(args);
    return isNonEmptyString(application?.namespace) ? application.namespace : props.metadata?.namespace;
}

/** The property of the validation arguments where the offline runner puts its notice channel (the engine sets none). */
export const NOTICE_SINK = "gitopsNoticeSink";

export type NoticeSink = (message: string) => void;

/**
 * How a policy says what is no violation but what a person should act on (`npm run plan` lists it as a warning, the
 * offline report under `notices`). The engine has no channel for it: a real `pulumi preview` says nothing.
 */
export function notices(args: object): NoticeSink {
    const sink = (args as Record<string, unknown>)[NOTICE_SINK] as NoticeSink | undefined;
    return (message) => sink?.(message);
}
