/**
 * Typed, validated settings shared by the three layers.
 *
 * Each layer reads its own namespace (`infra:`, `platform:`, `apps:`) of the stack's settings file with a
 * {@link SettingsReader}. Every problem (a malformed value, a value outside what is allowed, a key nobody
 * reads) is collected, and {@link SettingsReader.finish} throws one {@link SettingsError} that names each key,
 * its value and what is allowed. Layers call it before registering any resource.
 */
import * as pulumi from "@pulumi/pulumi";

/** One rejected setting. */
export interface SettingsProblem {
    /** Fully qualified key, e.g. `infra:vpcCidr`. */
    key: string;
    value: unknown;
    /** What would have been accepted, in words. */
    allowed: string;
}

export class SettingsError extends Error {
    constructor(readonly problems: SettingsProblem[]) {
        super(
            problems.length === 1
                ? `Invalid setting ${describe(problems[0])}`
                : `Invalid settings:\n${problems.map((p) => `  - ${describe(p)}`).join("\n")}`,
        );
        this.name = "SettingsError";
    }
}

function describe(p: SettingsProblem): string {
    return `${p.key} = ${render(p.value)}: allowed ${p.allowed}.`;
}

export function render(value: unknown): string {
    if (value === undefined) return "(not set)";
    if (typeof value === "string") return JSON.stringify(value);
    return JSON.stringify(value);
}

/** Where settings come from: the Pulumi configuration in the CLI, a plain map in tools. */
export interface SettingsSource {
    /** Raw string value of a fully qualified key, as Pulumi passes it (objects as JSON). */
    get(key: string): string | undefined;
    /** Every fully qualified key that is set. */
    keys(): string[];
}

/** An AWS region name (`eu-west-1`, `us-gov-west-1`). */
export const REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** The settings of the running Pulumi program (the stack's settings file, as the CLI passes it). */
export function pulumiSettingsSource(): SettingsSource {
    return {
        get: (key) => pulumi.runtime.getConfig(key),
        keys: () => Object.keys(pulumi.runtime.allConfig()),
    };
}

/**
 * Reads one namespace of settings. Every getter records a problem instead of throwing, so a user sees all
 * mistakes at once; call {@link finish} before using the values.
 */
export class SettingsReader {
    private readonly problems: SettingsProblem[] = [];
    private readonly warnings: string[] = [];
    private readonly read = new Set<string>();

    constructor(
        readonly namespace: string,
        private readonly source: SettingsSource = pulumiSettingsSource(),
    ) {}

    key(name: string): string {
        return `${this.namespace}:${name}`;
    }

    /** Records a problem with a setting. Returns undefined so callers can `return reader.fail(...)`. */
    fail(name: string, value: unknown, allowed: string): undefined {
        this.problems.push({ key: this.key(name), value, allowed });
        return undefined;
    }

    /**
     * Records a warning about a setting: valid, but a person should act (a version leaving support). Warnings are
     * returned by {@link finish}; layers report them as Pulumi warnings, which a preview shows and the offline plan lists.
     */
    warn(name: string, message: string): void {
        this.warnings.push(`${this.key(name)}: ${message}`);
    }

    /** Records a problem with a key from another namespace (e.g. `aws:region`). */
    failKey(key: string, value: unknown, allowed: string): undefined {
        this.problems.push({ key, value, allowed });
        return undefined;
    }

    /** `aws:region`, which every layer reads: required, a region name. */
    awsRegion(): string | undefined {
        const region = this.source.get("aws:region");
        if (region === undefined || !REGION_PATTERN.test(region)) {
            return this.failKey("aws:region", region, "an AWS region name such as eu-west-1 (set it in the settings file)");
        }
        return region;
    }

    get ok(): boolean {
        return this.problems.length === 0;
    }

    private raw(name: string): string | undefined {
        this.read.add(name);
        return this.source.get(this.key(name));
    }

    /**
     * A parsed JSON value (objects and lists are passed as JSON by Pulumi); plain strings stay strings. For settings
     * whose shape a layer validates itself (the key counts as read).
     */
    structured(name: string): { present: boolean; value?: unknown } {
        const raw = this.raw(name);
        if (raw === undefined) return { present: false };
        try {
            return { present: true, value: JSON.parse(raw) };
        } catch {
            return { present: true, value: raw };
        }
    }

    string(name: string, fallback: string, allowed = "a non-empty string", valid?: (v: string) => boolean): string {
        const raw = this.raw(name);
        if (raw === undefined) return fallback;
        if (raw.trim() === "" || (valid && !valid(raw))) {
            this.fail(name, raw, allowed);
            return fallback;
        }
        return raw;
    }

    optionalString(name: string, allowed = "a non-empty string", valid?: (v: string) => boolean): string | undefined {
        const raw = this.raw(name);
        if (raw === undefined || raw === "") return undefined;
        if (valid && !valid(raw)) return this.fail(name, raw, allowed);
        return raw;
    }

    /** A required string: missing or invalid is a problem. */
    requiredString(name: string, allowed: string, valid?: (v: string) => boolean): string {
        const raw = this.raw(name);
        if (raw === undefined || raw.trim() === "" || (valid && !valid(raw))) {
            this.fail(name, raw, allowed);
            return "";
        }
        return raw;
    }

    oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
        return this.string(name, fallback, `one of ${choices.join(", ")}`, (v) =>
            (choices as readonly string[]).includes(v),
        ) as T;
    }

    int(name: string, fallback: number, min: number, max: number): number {
        const { present, value } = this.structured(name);
        if (!present) return fallback;
        return this.checkInt(name, value, min, max) ?? fallback;
    }

    /** Validates a value read from a structured setting; `name` may be a path such as `nodeGroup.minSize`. */
    checkInt(name: string, value: unknown, min: number, max: number): number | undefined {
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            return this.fail(name, value, `a whole number from ${min} to ${max}`);
        }
        return value;
    }

    /** A whole number from a fixed set (e.g. the retention periods CloudWatch accepts). */
    intIn(name: string, fallback: number, values: readonly number[], what: string): number {
        const { present, value } = this.structured(name);
        if (!present) return fallback;
        if (typeof value !== "number" || !values.includes(value)) {
            this.fail(name, value, `${what}: one of ${values.join(", ")}`);
            return fallback;
        }
        return value;
    }

    checkOneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
        if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
            return this.fail(name, value, `one of ${choices.join(", ")}`);
        }
        return value as T;
    }

    bool(name: string, fallback: boolean): boolean {
        const { present, value } = this.structured(name);
        if (!present) return fallback;
        if (typeof value !== "boolean") {
            this.fail(name, value, "true or false");
            return fallback;
        }
        return value;
    }

    stringList(name: string, fallback: string[], allowed = "a list of non-empty strings", valid?: (v: string) => boolean): string[] {
        const { present, value } = this.structured(name);
        if (!present) return fallback;
        return this.checkStringList(name, value, allowed, valid) ?? fallback;
    }

    checkStringList(name: string, value: unknown, allowed: string, valid?: (v: string) => boolean): string[] | undefined {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "" || (valid && !valid(v)))) {
            return this.fail(name, value, allowed);
        }
        if (new Set(value).size !== value.length) return this.fail(name, value, `${allowed}, without duplicates`);
        return value as string[];
    }

    /** A structured value (object); `undefined` when not set. */
    object(name: string): Record<string, unknown> | undefined {
        const { present, value } = this.structured(name);
        if (!present) return undefined;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            return this.fail(name, value, "an object (a YAML mapping)");
        }
        return value as Record<string, unknown>;
    }

    /** Rejects keys of a structured setting that the layer does not know. */
    checkKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
        for (const k of Object.keys(value)) {
            if (!known.includes(k)) this.fail(`${name}.${k}`, value[k], `keys of ${this.key(name)}: ${known.join(", ")}`);
        }
    }

    /** A map of string to string (e.g. tags); `fallback` when not set. */
    stringMap(name: string, fallback: Record<string, string>, valid?: (k: string, v: string) => boolean, allowed = "a mapping of strings to strings"): Record<string, string> {
        const obj = this.object(name);
        if (obj === undefined) return fallback;
        const result: Record<string, string> = {};
        for (const [k, v] of Object.entries(obj)) {
            if (typeof v !== "string" || (valid && !valid(k, v))) this.fail(`${name}.${k}`, v, allowed);
            else result[k] = v;
        }
        return result;
    }

    /**
     * Throws one {@link SettingsError} listing every problem, including keys of this namespace that no code
     * reads (a typo in a settings file must not be silently ignored). Without problems, returns the warnings
     * (the layer reports them with {@link reportWarnings}).
     */
    finish(): string[] {
        const prefix = `${this.namespace}:`;
        const unknown = this.source
            .keys()
            .filter((k) => k.startsWith(prefix) && !this.read.has(k.slice(prefix.length)))
            .sort();
        for (const key of unknown) {
            this.problems.push({
                key,
                value: this.source.get(key),
                allowed: `only known settings of ${this.namespace} (${[...this.read].sort().join(", ")}); check the spelling`,
            });
        }
        if (this.problems.length > 0) throw new SettingsError(this.problems);
        return [...this.warnings];
    }
}

/** Reports settings warnings as Pulumi warnings: `pulumi preview`/`up` show them, the offline engine records them. */
export function reportWarnings(warnings: readonly string[]): void {
    for (const warning of warnings) void pulumi.log.warn(warning);
}
