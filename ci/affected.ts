/**
 * What a change touches: the Pulumi layers to preview for one environment and the service images to build.
 *
 *   ts-node ci/affected.ts --environment staging --base <sha> [--head <sha>]
 *
 * A layer is affected when a file it is built from changed; the layers after it are affected too (they read its
 * outputs). Files that only ArgoCD (apps/workloads), the image builds (apps/services), CI or the tests use affect
 * no layer. A file this table does not know affects every layer: previewing too much is safe, too little is not.
 * Outputs (GitHub step outputs, or printed): layers (JSON list, in deploy order) and services (JSON list: the services
 * whose image sources changed, see serviceSources; python-kit is not a service, a change there means every Python one).
 */
import * as path from "path";
import { ENVIRONMENTS, LAYERS, Layer } from "../lib/environment";
import { Git, UsageError, gitIn, listServices, parseOptions, requireOption, resolveEnvironmentOrUsage, runTool, serviceSources, setOutputs } from "../lib/cli-support";

/** Paths that no layer is built from. */
const NO_LAYER: RegExp[] = [
    /^apps\/workloads\//, // Kustomize manifests: ArgoCD syncs them from Git
    /^apps\/services\//, // service sources: built into images
    /^\.github\//,
    /^\.ci\//,
    /^tests\//,
    /^tools\//, // the user's commands (plan, bench, deploy)
    /^ci\//, // CI's helpers
    /^lib\/offline\//, // the offline engine of the plan and the tests: no layer imports it
    /^lib\/cli-support\.ts$/, // shared by tools/ and ci/ only
    /^docs\//,
    /^[^/]+\.md$/,
    /^\.gitignore$/,
    /^\.mocharc\.json$/,
    /^LICENSE$/,
];

/**
 * The first layer a changed file affects in `environment`, or undefined for none. Another environment's
 * settings file affects nothing here.
 */
export function firstAffectedLayer(file: string, environment: string): Layer | undefined {
    const settingsFile = /^Pulumi\.([^/]+)\.ya?ml$/.exec(file);
    if (settingsFile) return settingsFile[1] === environment ? "infra" : undefined;
    if (NO_LAYER.some((p) => p.test(file))) return undefined;
    if (file.startsWith("platform/")) return "platform";
    if (file.startsWith("apps/")) return "apps";
    // infra/, lib/, policies/, the root Pulumi.yaml, package.json, package-lock.json, tsconfig.json, anything new.
    return "infra";
}

/** The layers to preview, in deploy order: from the earliest affected layer to the last. */
export function affectedLayers(files: string[], environment: string): Layer[] {
    const firsts = files.map((f) => firstAffectedLayer(f, environment)).filter((l): l is Layer => l !== undefined);
    if (firsts.length === 0) return [];
    const from = Math.min(...firsts.map((l) => LAYERS.indexOf(l)));
    return LAYERS.slice(from);
}

/** Whether a file is matched by a pathspec of serviceSources: a folder ("dir/") holds it, or it is that file. */
function inSource(file: string, source: string): boolean {
    return source.endsWith("/") ? file.startsWith(source) : file === source;
}

/**
 * The services whose sources changed, in the order of `services`: their folder (apps/services/<service>/), and for
 * the Python services the shared apps/services/python-kit/ (a change there rebuilds the three of them).
 */
export function changedServices(files: string[], services: string[], sourcesOf: (service: string) => string[] = (s) => serviceSources(s)): string[] {
    return services.filter((s) => sourcesOf(s).some((source) => files.some((f) => inSource(f, source))));
}

/** The files that differ between the merge base of `base` and `head`, and `head` (what a pull request changes). */
export function changedFiles(git: Git, base: string, head: string): string[] {
    const out = git(["diff", "--name-only", "--no-renames", `${base}...${head}`]);
    if (out === undefined) throw new Error(`git diff ${base}...${head} failed: are both commits fetched (checkout with fetch-depth: 0)?`);
    return out
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .map((f) => f.split(path.sep).join("/"));
}

export const USAGE = `Usage: ts-node ci/affected.ts --environment <${ENVIRONMENTS.join("|")}> --base <commit> [--head <commit>]`;

export function main(argv: string[], git: Git = gitIn(), services: string[] = listServices(), log: (line: string) => void = console.error): number {
    const { options, positional } = parseOptions(argv, { values: ["environment", "base", "head"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const environment = resolveEnvironmentOrUsage(requireOption(options, "environment"));
    const files = changedFiles(git, requireOption(options, "base"), options.head ?? "HEAD");
    const layers = affectedLayers(files, environment);
    const built = changedServices(files, services);
    log(`${files.length} changed file(s); layers to preview in ${environment}: ${layers.join(", ") || "none"}; images to build: ${built.join(", ") || "none"}`);
    setOutputs({ layers: JSON.stringify(layers), services: JSON.stringify(built) });
    return 0;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
