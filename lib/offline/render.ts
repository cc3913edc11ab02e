/**
 * Rendering the workload manifests offline: `kubectl kustomize` of an overlay as it is in Git, and of an overlay
 * with an Application's `spec.source.kustomize` applied the way ArgoCD's repo-server applies it
 * (argo-cd util/kustomize/kustomize.go: `kustomize edit set image` for images, the patches appended to the
 * kustomization's `patches`, `kustomize edit add component` for components), on a copy of the tree.
 * The plan and the tests render through here, so both see the objects ArgoCD would apply.
 */
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CORE_SCHEMA, loadAll } from "js-yaml";
import { parse, stringify } from "yaml";
import type { KustomizeOverrides } from "../../apps/application";
import { WORKLOADS_PATH } from "../../apps/catalogue";
import { REPO_ROOT } from "../environment";

export type { KustomizeOverrides };

/** A Kubernetes object as rendered (the fields the engine reads are typed, the rest is open). */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [key: string]: any;
}

/** `kubectl kustomize <dir>`, parsed. Fails with kubectl's message; says what to install when kubectl is missing. */
export function kustomizeBuild(dir: string, root: string = REPO_ROOT): Promise<KubeObject[]> {
    return new Promise((resolve, reject) =>
        execFile("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error) {
                const e = error as NodeJS.ErrnoException;
                if (e.code === "ENOENT") reject(new Error("rendering the workloads needs kubectl (1.27 or newer, which bundles kustomize v5) on the PATH"));
                else reject(new Error(`kubectl kustomize ${path.relative(root, dir) || dir} failed: ${(stderr || e.message).trim()}`));
                return;
            }
            resolve(parseObjects(stdout));
        }),
    );
}

/**
 * kubectl's multi-document output, with YAML 1.2's core schema (dates stay strings, as `yaml` reads them);
 * js-yaml takes a fifth of `yaml`'s time on these documents.
 */
function parseObjects(yaml: string): KubeObject[] {
    return (loadAll(yaml, undefined, { schema: CORE_SCHEMA }) as (KubeObject | null)[]).filter((o): o is KubeObject => o !== null && o !== undefined);
}

export interface KustomizeImage {
    name: string;
    newName?: string;
    newTag?: string;
    digest?: string;
}

/** kustomize's image.Split: the tag or digest is searched after the registry part. */
function splitImage(image: string): { name: string; tag?: string; digest?: string } {
    const slash = image.indexOf("/");
    const offset = slash > 0 ? slash : 0;
    const search = image.slice(offset);
    const at = search.indexOf("@");
    const colon = search.indexOf(":");
    if (at < 0 && colon < 0) return { name: image };
    if (at >= 0 && (at < colon || colon < 0)) return { name: image.slice(0, offset + at), digest: image.slice(offset + at + 1) };
    if (at >= 0 && colon >= 0) return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1, offset + at), digest: image.slice(offset + at + 1) };
    return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1) };
}

/**
 * `kustomize edit set image <args>` on a kustomization's images (kustomize v5 commands/edit/set/setimage.go):
 * an argument replaces the whole entry of its name, except that `*` as new name, tag or digest keeps the entry's.
 */
export function setImages(existing: KustomizeImage[], args: string[]): KustomizeImage[] {
    const byName = new Map<string, KustomizeImage>();
    for (const arg of args) {
        const eq = arg.indexOf("=");
        const [key, value] = eq >= 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : ["", arg];
        const { name, tag, digest } = splitImage(value);
        byName.set(key || name, key ? { name: key, newName: name, newTag: tag, digest } : { name, newTag: tag, digest });
    }
    for (const im of existing) {
        const arg = byName.get(im.name);
        if (!arg) {
            byName.set(im.name, im);
            continue;
        }
        byName.set(im.name, {
            ...arg,
            newName: arg.newName === "*" ? im.newName : arg.newName,
            newTag: arg.newTag === "*" ? im.newTag : arg.newTag,
            digest: arg.digest === "*" ? im.digest : arg.digest,
        });
    }
    const clean = (v?: string) => (v === "*" || v === "" ? undefined : v);
    return [...byName.values()]
        .map((i) => Object.fromEntries(Object.entries({ name: i.name, newName: clean(i.newName), newTag: clean(i.newTag), digest: clean(i.digest) }).filter(([, v]) => v !== undefined)) as unknown as KustomizeImage)
        .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Applies an Application's overrides to the kustomization of `dir` (in a copy of the tree). */
function applyOverrides(dir: string, overlay: string, overrides: KustomizeOverrides): void {
    const file = path.join(dir, "kustomization.yaml");
    const k = parse(fs.readFileSync(file, "utf8"));
    if (overrides.images?.length) k.images = setImages(k.images ?? [], overrides.images);
    if (overrides.patches?.length) k.patches = [...(k.patches ?? []), ...overrides.patches];
    for (const c of overrides.components ?? []) {
        if (!fs.existsSync(path.join(dir, c, "kustomization.yaml"))) throw new Error(`component ${c} does not exist from ${overlay}`);
        k.components = [...new Set([...(k.components ?? []), c])];
    }
    fs.writeFileSync(file, stringify(k));
}

/** One Application to render: its path in the repository and its Kustomize overrides. */
export interface ApplicationSource {
    name: string;
    path: string;
    kustomize?: KustomizeOverrides;
}

/** Where the tools keep what they computed once (GITOPS_CACHE_DIR moves it: npm run bench times empty caches). */
export function cacheDir(): string {
    return process.env.GITOPS_CACHE_DIR || path.join(REPO_ROOT, "node_modules", ".cache", "eks-gitops-platform");
}

/** The kubectl on the PATH, by path, size and modification time (a new kubectl renders anew). */
function kubectlIdentity(): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const file = path.join(dir, process.platform === "win32" ? "kubectl.exe" : "kubectl");
        try {
            const stat = fs.statSync(file);
            if (stat.isFile()) return `${file}\0${stat.size}\0${stat.mtimeMs}`;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/**
 * A key for the renders of a checkout: kubectl's identity, every file of the workloads' tree and the sources.
 * Undefined (no caching) when a kustomization names a remote resource, whose content is not in the tree.
 */
function renderKey(root: string, sources: ApplicationSource[]): string | undefined {
    const kubectl = kubectlIdentity();
    if (!kubectl) return undefined;
    const hash = crypto.createHash("sha256").update(kubectl).update(JSON.stringify(sources));
    const walk = (dir: string): boolean => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const file = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                if (!walk(file)) return false;
                continue;
            }
            const content = fs.readFileSync(file);
            if (/^kustomization\.ya?ml$/.test(entry.name) && content.includes("://")) return false;
            hash.update(path.relative(root, file)).update("\0").update(content).update("\0");
        }
        return true;
    };
    return walk(path.join(root, WORKLOADS_PATH)) ? hash.digest("hex") : undefined;
}

/**
 * Renders several overlays of a checkout as ArgoCD would, each with its Application's overrides, on one copy of
 * the workloads' tree (each Application edits only its own overlay's kustomization), in parallel. The objects are
 * kept by content (kubectl, the tree, the overrides): an unchanged tree is not rendered again.
 */
export async function renderApplications(sources: ApplicationSource[], root: string = REPO_ROOT): Promise<Map<string, KubeObject[]>> {
    const key = renderKey(root, sources);
    const cached = key === undefined ? undefined : path.join(cacheDir(), "render", `${key}.json`);
    if (cached && fs.existsSync(cached)) return new Map(JSON.parse(fs.readFileSync(cached, "utf8")));
    const rendered = await renderUncached(sources, root);
    if (cached) {
        fs.mkdirSync(path.dirname(cached), { recursive: true });
        const partial = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(partial, JSON.stringify([...rendered]));
        fs.renameSync(partial, cached);
    }
    return rendered;
}

async function renderUncached(sources: ApplicationSource[], root: string): Promise<Map<string, KubeObject[]>> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-render-"));
    try {
        fs.cpSync(path.join(root, WORKLOADS_PATH), path.join(tmp, WORKLOADS_PATH), { recursive: true });
        const dirs = sources.map((s) => {
            const dir = path.join(tmp, s.path);
            if (s.kustomize && Object.keys(s.kustomize).length > 0) applyOverrides(dir, s.path, s.kustomize);
            return dir;
        });
        const rendered = await Promise.all(dirs.map((dir) => kustomizeBuild(dir, tmp)));
        return new Map(sources.map((s, i) => [s.name, rendered[i]]));
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Renders `apps/workloads/<workload>/overlays/<env>` with an Application's Kustomize options, as ArgoCD would. */
export async function renderAsArgoCD(overlay: string, overrides: KustomizeOverrides, root: string = REPO_ROOT): Promise<KubeObject[]> {
    return (await renderApplications([{ name: overlay, path: overlay, kustomize: overrides }], root)).get(overlay)!;
}

/** The sources of the Applications an apps run recorded (ArgoCD's `spec.source`), for {@link renderApplications}. */
export function applicationSources(resources: readonly { type: string; inputs: Record<string, any> }[]): ApplicationSource[] {
    return resources
        .filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:Application")
        .map((r) => ({ name: String(r.inputs.metadata?.name), source: r.inputs.spec?.source }))
        .filter((a) => typeof a.source?.path === "string" && a.source.path.startsWith(`${WORKLOADS_PATH}/`))
        .map((a) => ({ name: a.name, path: a.source.path, kustomize: a.source.kustomize }));
}
