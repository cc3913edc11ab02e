/**
 * The environment is the stack name. Only the environments that have a settings file at the repository root
 * (`Pulumi.<env>.yaml`, shared by the three projects through `stackConfigDir`) exist.
 */
import * as fs from "fs";
import * as path from "path";
import { SettingsError } from "./settings";

export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The environment each environment promotes images from (production runs only what staging verified). */
export const PROMOTES_FROM: Record<Environment, Environment | undefined> = { staging: undefined, production: "staging" };

/** The environment that promotes from this one, if any (staging's images go to production). */
export function promotesTo(environment: Environment): Environment | undefined {
    return ENVIRONMENTS.find((e) => PROMOTES_FROM[e] === environment);
}

/** The Pulumi projects, in deploy order: each reads the previous one's outputs (destroy runs them reversed). */
export const LAYERS = ["infra", "platform", "apps"] as const;
export type Layer = (typeof LAYERS)[number];

/** The repository root: where the settings files live. */
export const REPO_ROOT = path.resolve(__dirname, "..");

export function settingsFilePath(env: string, root: string = REPO_ROOT): string {
    return path.join(root, `Pulumi.${env}.yaml`);
}

export function isEnvironment(name: string): name is Environment {
    return (ENVIRONMENTS as readonly string[]).includes(name);
}

/**
 * Resolves the environment from the stack name. Fails, before any resource exists, for a stack that is not one
 * of the known environments or whose settings file is missing.
 */
export function resolveEnvironment(stack: string, root: string = REPO_ROOT): Environment {
    const allowed = `one of the known environments (${ENVIRONMENTS.join(", ")}), each with its settings file Pulumi.<environment>.yaml at the repository root`;
    if (!isEnvironment(stack)) {
        throw new SettingsError([{ key: "stack name", value: stack, allowed }]);
    }
    const file = settingsFilePath(stack, root);
    if (!fs.existsSync(file)) {
        throw new SettingsError([
            { key: "stack name", value: stack, allowed: `${allowed}; ${path.basename(file)} is missing` },
        ]);
    }
    return stack;
}
