/**
 * The root settings files (`Pulumi.<env>.yaml`) read as the Pulumi CLI passes them to programs: one flat map of
 * fully qualified keys to strings (objects and lists as JSON). The one reader the offline engine, the tools and CI
 * use, so every path reports a bad file the same way.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT, settingsFilePath } from "./environment";
import { SettingsSource } from "./settings";

/** Objects and lists are passed to programs as JSON, scalars as their text. */
export function toConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Reads an environment's settings file into the flat map Pulumi passes to programs ({} when it is missing). */
export function readSettingsFile(env: string, file: string = settingsFilePath(env)): Record<string, string> {
    if (!fs.existsSync(file)) return {};
    const doc = parse(fs.readFileSync(file, "utf8")) ?? {};
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries<unknown>(doc.config ?? {})) {
        if (value !== null && typeof value === "object" && "secure" in (value as object)) {
            throw new Error(`${path.basename(file)}: ${key} holds a secure: value; settings files hold no secrets`);
        }
        config[key] = toConfigString(value);
    }
    return config;
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
