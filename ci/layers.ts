/**
 * What a change touches: the Pulumi layers it affects in one environment, and whether it changes what ArgoCD
 * syncs or how CI delivers.
 *
 * A layer is affected when a file it is built from changed; the layers after it are affected too (they read its
 * outputs). Files that only ArgoCD (apps/workloads), the image builds (apps/services), CI or the tests use affect
 * no layer. A file this table does not know affects every layer: deploying too much is safe, too little is not.
 */
import * as path from "path";
import { LAYERS, Layer } from "../lib/environment";
import { Git } from "../lib/cli-support";

/** The delivery itself: the workflows and the code they run. A change deploys no layer, but is verified (the run checks itself). */
const PIPELINE: RegExp[] = [/^\.github\//, /^ci\//, /^tools\/delivery\.ts$/, /^lib\/(cli-support|aws-cli|run-command)\.ts$/];

/** Paths that no layer is built from. */
const NO_LAYER: RegExp[] = [
    /^apps\/workloads\//, // Kustomize manifests: ArgoCD syncs them from Git
    /^apps\/services\//, // service sources: built into images
    ...PIPELINE,
    /^\.ci\//,
    /^tests\//,
    /^tools\//, // the user's commands (plan, bench, deploy)
    /^lib\/offline\//, // the offline engine of the plan and the tests: no layer imports it
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

/** The layers to run, in deploy order: from the earliest affected layer to the last. */
export function affectedLayers(files: string[], environment: string): Layer[] {
    const firsts = files.map((f) => firstAffectedLayer(f, environment)).filter((l): l is Layer => l !== undefined);
    if (firsts.length === 0) return [];
    const from = Math.min(...firsts.map((l) => LAYERS.indexOf(l)));
    return LAYERS.slice(from);
}

/** Whether a file is part of the delivery itself (workflows, CI's helpers, the delivery command). */
export function isPipelineFile(file: string): boolean {
    return PIPELINE.some((p) => p.test(file));
}

/** Whether a file is a manifest ArgoCD syncs. */
export function isWorkloadManifest(file: string): boolean {
    return file.startsWith("apps/workloads/");
}

/** Whether a file is matched by a pathspec of serviceSources: a folder ("dir/") holds it, or it is that file. */
export function inSources(file: string, sources: string[]): boolean {
    return sources.some((source) => (source.endsWith("/") ? file.startsWith(source) : file === source));
}

/** The commit `ref` names, or undefined when it is no commit of this clone (a new branch's zero SHA, a force-pushed-away one). */
export function resolveCommit(git: Git, ref: string): string | undefined {
    if (/^0+$/.test(ref)) return undefined;
    return git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])?.trim() || undefined;
}

/** The files that differ between the merge base of `base` and `head`, and `head` (what a push or pull request changes). */
export function changedFiles(git: Git, base: string, head: string): string[] {
    const out = git(["diff", "--name-only", "--no-renames", `${base}...${head}`]);
    if (out === undefined) throw new Error(`git diff ${base}...${head} failed: are both commits fetched (checkout with fetch-depth: 0)?`);
    return out
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .map((f) => f.split(path.sep).join("/"));
}
