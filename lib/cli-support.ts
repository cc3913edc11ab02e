/**
 * What the CI tools share: argument errors with exit code 2, GitHub step outputs, running git, and the
 * service layout (apps/services/<service>, apps/services/python-kit, apps/workloads/<service>/overlays/<env>/kustomization.yaml).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { WORKLOADS_PATH } from "./catalogue";
import { REPO_ROOT, resolveEnvironment } from "./environment";

/** A wrong command line: the tool prints the message and its usage and exits with code 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Runs a tool's main, mapping a usage error to exit code 2 and any other error to 1. */
export function runTool(usage: string, main: () => Promise<number> | number): void {
    Promise.resolve()
        .then(main)
        .then(
            (code) => {
                process.exitCode = code;
            },
            (error: unknown) => {
                if (error instanceof UsageError) {
                    console.error(`${error.message}\n\n${usage}`);
                    process.exitCode = 2;
                } else {
                    console.error(error instanceof Error ? error.message : String(error));
                    process.exitCode = 1;
                }
            },
        );
}

export interface ParsedOptions {
    /** `--name value` (or `--name=value`) of the single-valued options; the last one given wins. */
    options: Record<string, string>;
    /** Every value of the repeatable options, in order (`--config a=1 --config b=2`); [] when not given. */
    lists: Record<string, string[]>;
    /** The bare flags given (`--json`). */
    flags: Set<string>;
    positional: string[];
}

/**
 * Reads `--name value` options, repeatable `--name value` lists and bare flags from argv. Anything else that
 * starts with a dash is a usage error, so a typo never passes as a positional argument.
 */
export function parseOptions(argv: string[], known: { values?: string[]; lists?: string[]; flags?: string[] }): ParsedOptions {
    const options: Record<string, string> = {};
    const lists: Record<string, string[]> = Object.fromEntries((known.lists ?? []).map((name) => [name, []]));
    const flags = new Set<string>();
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (!arg.startsWith("-") || arg === "-") {
            positional.push(arg);
            continue;
        }
        if (!arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
        const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
        if (known.flags?.includes(name) && inline === undefined) {
            flags.add(name);
        } else if (known.values?.includes(name) || known.lists?.includes(name)) {
            const value = inline ?? argv[++i];
            if (value === undefined) throw new UsageError(`--${name} needs a value`);
            if (known.lists?.includes(name)) lists[name].push(value);
            else options[name] = value;
        } else {
            throw new UsageError(`unknown option --${name}`);
        }
    }
    return { options, lists, flags, positional };
}

/** The environment (a known one, with its settings file), or a usage error listing the known ones. */
export function resolveEnvironmentOrUsage(name: string, root: string = REPO_ROOT): string {
    try {
        return resolveEnvironment(name, root);
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

export function requireOption(options: Record<string, string>, name: string): string {
    const value = options[name];
    if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
    return value;
}

/** A whole number of seconds above 0 from `--name`, or the fallback when it is not given. */
export function positiveSeconds(options: Record<string, string>, name: string, fallback: number): number {
    if (options[name] === undefined) return fallback;
    const n = Number(options[name]);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a whole number of seconds above 0, got ${JSON.stringify(options[name])}`);
    return n;
}

/** Parses a JSON list of strings (how workflows pass lists between jobs). */
export function parseStringList(text: string, what: string): string[] {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        throw new UsageError(`${what} must be a JSON list of strings, got ${JSON.stringify(text)}`);
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new UsageError(`${what} must be a JSON list of strings, got ${JSON.stringify(text)}`);
    }
    return value;
}

/**
 * Step outputs: appended to $GITHUB_OUTPUT in a workflow (multi-line safe), printed otherwise so the tool is
 * usable by hand.
 */
export function setOutputs(outputs: Record<string, string>, file = process.env.GITHUB_OUTPUT): void {
    const lines = Object.entries(outputs).map(([key, value]) => {
        if (!value.includes("\n")) return `${key}=${value}`;
        const delimiter = `EOF_${key.toUpperCase().replace(/\W/g, "_")}_${Date.now()}`;
        return `${key}<<${delimiter}\n${value}\n${delimiter}`;
    });
    if (file) fs.appendFileSync(file, lines.join("\n") + "\n");
    else console.log(lines.join("\n"));
}

/** Runs git in the repository; returns stdout, or undefined when git exits non-zero. */
export type Git = (args: string[]) => string | undefined;

export function gitIn(root: string = REPO_ROOT): Git {
    return (args) => {
        try {
            return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        } catch {
            return undefined;
        }
    };
}

export const SERVICES_DIR = "apps/services";
/**
 * The Python services' shared code (service_kit.py, gunicorn.conf.py, requirements, the kit's tests) and their one
 * Dockerfile, in apps/services: not a service itself.
 */
export const PYTHON_KIT = "python-kit";

/*
 * Every image is built with the build context apps/services and one rule (the workflows apply it too):
 *   docker build --file <serviceDockerfile(service)> --build-arg SERVICE=<service> apps/services
 * A service with a Dockerfile of its own (the frontend) builds with it; a Python service holds only what differs
 * (app.py, tests/) and builds with python-kit/Dockerfile.
 */

/** The services this repository builds: the folders of apps/services with a Dockerfile or an app.py (a Python service), but python-kit; sorted. */
export function listServices(root: string = REPO_ROOT): string[] {
    const dir = path.join(root, SERVICES_DIR);
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== PYTHON_KIT && ["Dockerfile", "app.py"].some((f) => fs.existsSync(path.join(dir, e.name, f))))
        .map((e) => e.name)
        .sort();
}

/** Whether a service builds with its own Dockerfile (otherwise with the Python kit's). */
function hasOwnDockerfile(service: string, root: string): boolean {
    return fs.existsSync(path.join(root, SERVICES_DIR, service, "Dockerfile"));
}

/** The Dockerfile a service's image is built with, relative to the repository (the context is always apps/services). */
export function serviceDockerfile(service: string, root: string = REPO_ROOT): string {
    return `${SERVICES_DIR}/${hasOwnDockerfile(service, root) ? service : PYTHON_KIT}/Dockerfile`;
}

/**
 * What a service's image is built from, as git pathspecs relative to the repository (folders end with "/"): its
 * folder, the context's .dockerignore and, for a Python service, python-kit/. A change to any of them rebuilds it.
 */
export function serviceSources(service: string, root: string = REPO_ROOT): string[] {
    const own = [`${SERVICES_DIR}/${service}/`, `${SERVICES_DIR}/.dockerignore`];
    return hasOwnDockerfile(service, root) ? own : [...own, `${SERVICES_DIR}/${PYTHON_KIT}/`];
}

/** The Kustomize overlay whose `images:` pins a service's image in an environment. */
export function overlayKustomizationPath(service: string, environment: string, root: string = REPO_ROOT): string {
    return path.join(root, WORKLOADS_PATH, service, "overlays", environment, "kustomization.yaml");
}
