/**
 * The root settings files (`Pulumi.<env>.yaml`) read as the Pulumi CLI passes them to programs: one flat map of
 * fully qualified keys to strings (objects and lists as JSON). The one reader the offline engine, the tools and CI
 * use, so every path reports a bad file the same way: a {@link SettingsFileError} naming the file and the line.
 */
import * as fs from "fs";
import * as path from "path";
import { isMap, parseDocument } from "yaml";
import { REPO_ROOT, settingsFilePath } from "./environment";
import { SettingsSource } from "./settings";

/** A settings file that cannot be read as settings: its YAML, its shape or a secret in it. Fixed by the user. */
export class SettingsFileError extends Error {
    constructor(
        readonly file: string,
        readonly line: number | undefined,
        problem: string,
    ) {
        super(`${file}${line !== undefined ? `:${line}` : ""}: ${problem}`);
        this.name = "SettingsFileError";
    }
}

/** Objects and lists are passed to programs as JSON, scalars as their text. */
export function toConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Reads an environment's settings file into the flat map Pulumi passes to programs ({} when it is missing). */
export function readSettingsFile(env: string, file: string = settingsFilePath(env)): Record<string, string> {
    if (!fs.existsSync(file)) return {};
    const text = fs.readFileSync(file, "utf8");
    // Settings files live at the root of a checkout: the name says which one.
    const shown = path.basename(file);
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : text.slice(0, offset).split("\n").length);
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        // The parser's message ends with its own position and an excerpt: the file and line say it once.
        throw new SettingsFileError(shown, e.linePos?.[0]?.line ?? lineOf(e.pos[0]), `not valid YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
    }
    const root = doc.contents;
    const config = isMap(root) ? root.get("config", true) : undefined;
    if (!isMap(root) || config === undefined) {
        throw new SettingsFileError(shown, undefined, "has no `config:` section: every setting (aws:region, infra:*, platform:*, apps:*) goes under a top-level `config:` key");
    }
    if (!isMap(config)) {
        throw new SettingsFileError(shown, lineOf((config as { range?: number[] }).range?.[0]), "`config:` must be a mapping of <namespace:key>: <value>");
    }
    const js = (doc.toJS() as { config: Record<string, unknown> }).config;
    const lines = new Map(config.items.map((pair) => [String((pair.key as { value?: unknown })?.value ?? pair.key), lineOf((pair.key as { range?: number[] })?.range?.[0])]));
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(js)) {
        if (value !== null && typeof value === "object" && "secure" in (value as object)) {
            throw new SettingsFileError(shown, lines.get(key), `${key} holds a secure: value; settings files hold no secrets (store them in AWS Secrets Manager)`);
        }
        if (value === null) throw new SettingsFileError(shown, lines.get(key), `${key} has no value (remove the key to use its default)`);
        values[key] = toConfigString(value);
    }
    return values;
}

/** The line of each top-level key of a settings file's `config:` (for messages that point at a setting). */
export function settingLines(file: string): Map<string, number> {
    if (!fs.existsSync(file)) return new Map();
    const text = fs.readFileSync(file, "utf8");
    const config = parseDocument(text).get("config", true);
    if (!isMap(config)) return new Map();
    const lines = new Map<string, number>();
    for (const pair of config.items) {
        const start = (pair.key as { range?: number[] } | null)?.range?.[0];
        if (start !== undefined) lines.set(String((pair.key as { value?: unknown }).value), text.slice(0, start).split("\n").length);
    }
    return lines;
}

/** A settings source over an environment's settings file in a checkout (`root`), with overrides (undefined removes a key). */
export function settingsFileSource(env: string, root: string = REPO_ROOT, overrides: Record<string, unknown> = {}): SettingsSource {
    const config = readSettingsFile(env, settingsFilePath(env, root));
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete config[key];
        else config[key] = toConfigString(value);
    }
    return { get: (key) => config[key], keys: () => Object.keys(config) };
}
