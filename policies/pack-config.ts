/**
 * The policy pack's configuration, in the format `pulumi preview --policy-pack-config <file>` reads:
 *
 *   { "all": "advisory",                                   // optional: one level for every policy
 *     "<policy>": "disabled",                              // a level
 *     "<policy>": { "enforcementLevel": "mandatory", "<setting>": <value>, ... } }
 *
 * resolvePackConfig() reconciles a file with the pack the way the engine does (each policy's own level and
 * its configSchema defaults, then `all`, then the policy's entry, merged setting by setting) and validates the
 * result against each configSchema. It is stricter than the engine in one way, on purpose: an unknown policy
 * name or setting is an error (a typo would otherwise silently keep the default).
 */
import * as fs from "fs";
import * as path from "path";
import { EnforcementLevel } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { PackPolicy } from "./all";

export type { EnforcementLevel };

export type PolicyConfigEntry = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
export type PackConfig = Record<string, PolicyConfigEntry>;

export interface ResolvedPolicyConfig {
    enforcementLevel: EnforcementLevel;
    /** The settings the policy's getConfig() returns. */
    properties: Record<string, unknown>;
}

export const ENFORCEMENT_LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The level of a policy that sets none (the PolicyPack default). */
export const PACK_DEFAULT_LEVEL: EnforcementLevel = "advisory";

/** policies/config: one file per environment. */
export const CONFIG_DIR = path.join(__dirname, "config");

export interface ConfigProblem {
    key: string;
    value: unknown;
    allowed: string;
}

export class PackConfigError extends Error {
    constructor(
        readonly source: string,
        readonly problems: ConfigProblem[],
    ) {
        super(`Invalid policy pack configuration (${source}):\n${problems.map((p) => `  - ${p.key} = ${render(p.value)}: allowed ${p.allowed}.`).join("\n")}`);
        this.name = "PackConfigError";
    }
}

function render(value: unknown): string {
    return value === undefined ? "(not set)" : JSON.stringify(value);
}

/** The environments that have a config file. */
export function configEnvironments(dir = CONFIG_DIR): string[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.slice(0, -".json".length))
        .sort();
}

/** Reads policies/config/<env>.json (the file the CLI gets with --policy-pack-config). */
export function loadPackConfig(env: string, dir = CONFIG_DIR): PackConfig {
    const file = path.join(dir, `${env}.json`);
    if (!/^[a-z0-9-]+$/.test(env) || !fs.existsSync(file)) {
        throw new PackConfigError(file, [{ key: "environment", value: env, allowed: `one of ${configEnvironments(dir).join(", ")} (a file in ${dir})` }]);
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        throw new PackConfigError(file, [{ key: "(file)", value: (error as Error).message, allowed: "a JSON object" }]);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new PackConfigError(file, [{ key: "(file)", value: parsed, allowed: "a JSON object of policy names" }]);
    }
    return parsed as PackConfig;
}

/** Reconciles a config with the pack's policies and validates it; throws a PackConfigError naming every problem. */
export function resolvePackConfig(policies: readonly PackPolicy[], config: PackConfig = {}, source = "policy pack config"): Map<string, ResolvedPolicyConfig> {
    const problems: ConfigProblem[] = [];
    const byName = new Map(policies.map((p) => [p.name, p]));
    const result = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const defaults: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (schema.default !== undefined) defaults[key] = structuredClone(schema.default);
        }
        result.set(p.name, { enforcementLevel: p.enforcementLevel ?? PACK_DEFAULT_LEVEL, properties: defaults });
    }

    const levelOf = (key: string, value: unknown): EnforcementLevel | undefined => {
        if (value === undefined) return undefined;
        if (ENFORCEMENT_LEVELS.includes(value as EnforcementLevel)) return value as EnforcementLevel;
        problems.push({ key, value, allowed: `an enforcement level: ${ENFORCEMENT_LEVELS.join(", ")}` });
        return undefined;
    };

    const all = config.all;
    if (all !== undefined) {
        const entry = typeof all === "string" ? { enforcementLevel: all } : all;
        if (entry === null || typeof entry !== "object" || Object.keys(entry).some((k) => k !== "enforcementLevel")) {
            problems.push({ key: "all", value: all, allowed: 'an enforcement level, or { "enforcementLevel": <level> } (settings belong to a policy)' });
        } else {
            const level = levelOf("all.enforcementLevel", entry.enforcementLevel);
            if (level) for (const resolved of result.values()) resolved.enforcementLevel = level;
        }
    }

    for (const [name, entry] of Object.entries(config)) {
        if (name === "all") continue;
        const policy = byName.get(name);
        if (!policy) {
            problems.push({ key: name, value: entry, allowed: `a policy of the pack (${[...byName.keys()].join(", ")}) or "all"` });
            continue;
        }
        const resolved = result.get(name)!;
        if (typeof entry === "string") {
            resolved.enforcementLevel = levelOf(name, entry) ?? resolved.enforcementLevel;
            continue;
        }
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            problems.push({ key: name, value: entry, allowed: "an enforcement level or an object of settings" });
            continue;
        }
        const { enforcementLevel, ...settings } = entry;
        resolved.enforcementLevel = levelOf(`${name}.enforcementLevel`, enforcementLevel) ?? resolved.enforcementLevel;
        const schema = policy.configSchema?.properties ?? {};
        for (const [key, value] of Object.entries(settings)) {
            if (!(key in schema)) {
                const known = Object.keys(schema);
                problems.push({ key: `${name}.${key}`, value, allowed: known.length ? `a setting of ${name} (${known.join(", ")})` : `nothing: ${name} takes no settings` });
                continue;
            }
            resolved.properties[key] = value;
        }
    }

    for (const p of policies) {
        const properties = result.get(p.name)!.properties;
        for (const key of p.configSchema?.required ?? []) {
            if (properties[key] === undefined) {
                problems.push({ key: `${p.name}.${key}`, value: undefined, allowed: `${describeSchema(p.configSchema!.properties[key])} (required)` });
            }
        }
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (properties[key] !== undefined) checkValue(schema, properties[key], `${p.name}.${key}`, problems);
        }
    }

    if (problems.length > 0) throw new PackConfigError(source, problems);
    return result;
}

/** What a (subset of JSON) schema accepts, in words. */
export function describeSchema(schema: PolicyConfigJSONSchema): string {
    if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
    switch (schema.type) {
        case "array": {
            const items = typeof schema.items === "object" && !Array.isArray(schema.items) ? describeSchema(schema.items) : "any value";
            const extra = [schema.uniqueItems ? "no duplicates" : "", schema.minItems ? `at least ${schema.minItems}` : ""].filter(Boolean).join(", ");
            return `a list, each ${items}${extra ? ` (${extra})` : ""}`;
        }
        case "string":
            return schema.pattern ? `a string matching ${schema.pattern}` : "a non-empty string";
        case "integer":
        case "number": {
            const what = schema.type === "integer" ? "a whole number" : "a number";
            if (schema.minimum !== undefined && schema.maximum !== undefined) return `${what} from ${schema.minimum} to ${schema.maximum}`;
            if (schema.minimum !== undefined) return `${what} of at least ${schema.minimum}`;
            if (schema.maximum !== undefined) return `${what} of at most ${schema.maximum}`;
            return what;
        }
        case "object": {
            const keys = Object.keys(schema.properties ?? {});
            return keys.length ? `an object with ${keys.join(", ")}${schema.required?.length ? ` (required: ${schema.required.join(", ")})` : ""}` : "an object";
        }
        default:
            return `a ${schema.type ?? "value"}`;
    }
}

function typeMatches(type: string, value: unknown): boolean {
    switch (type) {
        case "array":
            return Array.isArray(value);
        case "object":
            return value !== null && typeof value === "object" && !Array.isArray(value);
        case "integer":
            return Number.isInteger(value);
        case "null":
            return value === null;
        default:
            return typeof value === type;
    }
}

/** Validates the JSON Schema keywords the pack's schemas use (type, enum, items, lengths, ranges, pattern, uniqueness). */
function checkValue(schema: PolicyConfigJSONSchema, value: unknown, key: string, problems: ConfigProblem[]): void {
    const fail = () => problems.push({ key, value, allowed: describeSchema(schema) });
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    if (types.length > 0 && !types.some((t) => typeMatches(t, value))) return void fail();
    if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return void fail();
    if (typeof value === "number") {
        if ((schema.minimum !== undefined && value < schema.minimum) || (schema.maximum !== undefined && value > schema.maximum)) return void fail();
    }
    if (typeof value === "string") {
        if ((schema.minLength !== undefined && value.length < schema.minLength) || (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))) return void fail();
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && schema.properties) {
        const entries = value as Record<string, unknown>;
        const properties = schema.properties;
        if ((schema.required ?? []).some((k) => entries[k] === undefined) || Object.keys(entries).some((k) => !(k in properties))) return void fail();
        for (const [k, v] of Object.entries(entries)) {
            const property = properties[k];
            if (typeof property === "object") checkValue(property, v, `${key}.${k}`, problems);
        }
    }
    if (Array.isArray(value)) {
        if (schema.minItems !== undefined && value.length < schema.minItems) return void fail();
        if (schema.maxItems !== undefined && value.length > schema.maxItems) return void fail();
        if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return void fail();
        if (typeof schema.items === "object" && !Array.isArray(schema.items)) {
            const items = schema.items;
            value.forEach((v, i) => checkValue(items, v, `${key}[${i}]`, problems));
        }
    }
}
