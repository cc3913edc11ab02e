/**
 * The workloads ArgoCD syncs, rendered offline: `kubectl kustomize` of each Application's overlay with the
 * Application's `spec.source.kustomize` applied the way ArgoCD's repo-server applies it (argo-cd
 * util/kustomize/kustomize.go: `kustomize edit set image` for images, the patches appended to the kustomization's
 * `patches`, `kustomize edit add component` for components), on a temporary copy of the tree. Every object keeps
 * the file it comes from (kustomize's origin annotation, removed again), so a policy finding names the file to fix.
 * The offline plan and the tests share this one renderer. Each overlay's render is kept by content (kubectl, every
 * file of the workloads' tree, the overlay and the Application's options): an unchanged tree is not rendered again,
 * and the overlays of different workloads that still need kubectl are rendered in one invocation.
 */
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { CORE_SCHEMA, loadAll } from "js-yaml";
import { parse, stringify } from "yaml";
import type { KustomizeOverrides } from "../apps/application";
import { WORKLOADS_PATH } from "./catalogue";
import { REPO_ROOT } from "./environment";

const run = promisify(execFile);

export const APPLICATION_TYPE = "kubernetes:argoproj.io/v1alpha1:Application";
const ORIGIN_ANNOTATION = "config.kubernetes.io/origin";

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [key: string]: any;
}

/** Rendering failed: kubectl is missing, or an overlay does not build. A user error (the message says which overlay). */
export class WorkloadRenderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "WorkloadRenderError";
    }
}

let invocations = 0;

/** How many times this process ran `kubectl kustomize` (the renders' cost is mostly kubectl's start). */
export function kustomizeInvocations(): number {
    return invocations;
}

/** `kubectl kustomize <dir>`, parsed. Fails with kubectl's message; says what to install when kubectl is missing. */
export async function kustomizeBuild(dir: string, root = REPO_ROOT): Promise<KubeObject[]> {
    let stdout: string;
    invocations++;
    try {
        ({ stdout } = await run("kubectl", ["kustomize", dir], { maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === "ENOENT") throw new WorkloadRenderError("rendering the workloads needs kubectl (1.27 or newer, which bundles kustomize v5) on the PATH");
        throw new WorkloadRenderError(`kubectl kustomize ${path.relative(root, dir)} failed: ${(e.stderr ?? e.message).trim()}`);
    }
    return parseObjects(stdout);
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

export interface RenderOptions {
    /** The repository whose apps/workloads is rendered (default: this checkout). */
    root?: string;
}

/** Applies an Application's Kustomize options to the overlay's kustomization in `dir`, as ArgoCD does. */
function applyOverrides(dir: string, overlay: string, overrides: KustomizeOverrides, origins: boolean): void {
    const file = path.join(dir, "kustomization.yaml");
    if (!fs.existsSync(file)) throw new WorkloadRenderError(`${overlay} has no kustomization.yaml`);
    const k = parse(fs.readFileSync(file, "utf8")) ?? {};
    if (overrides.images?.length) k.images = setImages(k.images ?? [], overrides.images);
    if (overrides.patches?.length) k.patches = [...(k.patches ?? []), ...overrides.patches];
    for (const c of overrides.components ?? []) {
        if (!fs.existsSync(path.join(dir, c, "kustomization.yaml"))) throw new WorkloadRenderError(`component ${c} does not exist from ${overlay}`);
        k.components = [...new Set([...(k.components ?? []), c])];
    }
    if (origins) k.buildMetadata = [...new Set([...(k.buildMetadata ?? []), "originAnnotations"])];
    fs.writeFileSync(file, stringify(k));
}

/**
 * Renders an overlay (repository-relative) with an Application's Kustomize options, on a copy of apps/workloads
 * (deleted afterwards; its path is returned to resolve the origin annotations).
 */
async function renderCopy(overlay: string, overrides: KustomizeOverrides, root: string, origins: boolean): Promise<{ objects: KubeObject[]; tmp: string }> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "workloads-"));
    try {
        fs.cpSync(path.join(root, WORKLOADS_PATH), path.join(tmp, WORKLOADS_PATH), { recursive: true });
        const dir = path.join(tmp, overlay);
        if (!fs.existsSync(dir)) throw new WorkloadRenderError(`${overlay} does not exist`);
        applyOverrides(dir, overlay, overrides, origins);
        return { objects: await kustomizeBuild(dir, tmp), tmp };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** What an Application syncs: its name, the overlay (repository-relative), the Kustomize options it adds, and where. */
export interface WorkloadSource {
    application: string;
    path: string;
    kustomize: KustomizeOverrides;
    /** The namespace it deploys to (spec.destination.namespace): the policies judge its objects by it. */
    namespace?: string;
}

/** The sources of the ArgoCD Applications among recorded resources (those with a Kustomize path; Helm sources are not rendered here). */
export function applicationSources(resources: readonly { type: string; inputs: Record<string, any> }[]): WorkloadSource[] {
    return resources
        .filter((r) => r.type === APPLICATION_TYPE && typeof r.inputs.spec?.source?.path === "string" && r.inputs.spec.source.chart === undefined)
        .map((r) => {
            const namespace = r.inputs.spec.destination?.namespace;
            return { application: String(r.inputs.metadata?.name), path: r.inputs.spec.source.path, kustomize: r.inputs.spec.source.kustomize ?? {}, ...(typeof namespace === "string" ? { namespace } : {}) };
        });
}

/** A rendered object and where it comes from. */
export interface RenderedObject {
    object: KubeObject;
    application: string;
    /** The namespace the Application deploys to (its spec.destination.namespace), when it names one. */
    destinationNamespace?: string;
    /** The overlay the Application syncs (repository-relative). */
    overlay: string;
    /** The file the object is defined in (repository-relative). */
    file: string;
    /** `<file>, rendered from <overlay>`: what a finding names. */
    source: string;
}

/** The file of an object from its origin annotation (relative to the overlay), repository-relative; then drops the annotation. */
function takeOrigin(o: KubeObject, overlayDir: string, tmp: string, overlay: string): string {
    const annotations = o.metadata.annotations ?? {};
    const origin = annotations[ORIGIN_ANNOTATION] ? parse(annotations[ORIGIN_ANNOTATION]) : undefined;
    delete annotations[ORIGIN_ANNOTATION];
    if (o.metadata.annotations && Object.keys(o.metadata.annotations).length === 0) delete o.metadata.annotations;
    // Generated objects (configMapGenerator) name the kustomization that generates them.
    const relative = origin?.path ?? origin?.configuredIn;
    if (typeof relative !== "string") return path.posix.join(overlay, "kustomization.yaml");
    return path.relative(tmp, path.resolve(overlayDir, relative)).split(path.sep).join("/");
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
 * A key for the workloads' tree of a checkout: kubectl's identity and every file of the tree (an overlay may use any
 * base or component in it). Undefined (no caching) when a kustomization names a remote resource, whose content is
 * not in the tree.
 */
function treeKey(root: string): string | undefined {
    const kubectl = kubectlIdentity();
    if (!kubectl) return undefined;
    const hash = crypto.createHash("sha256").update(kubectl).update("\0");
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
    return fs.existsSync(path.join(root, WORKLOADS_PATH)) && walk(path.join(root, WORKLOADS_PATH)) ? hash.digest("hex") : undefined;
}

/** One overlay's objects and the file each comes from: what is rendered once per tree, overlay and options. */
interface OverlayRender {
    object: KubeObject;
    file: string;
}

/** An overlay (repository-relative) with an Application's Kustomize options. */
interface RenderRequest {
    overlay: string;
    overrides: KustomizeOverrides;
}

/**
 * Renders of this process, by key, as JSON: the staging and production plans, the tests and the drill ask for the
 * same overlay many times; each caller gets its own copy to change.
 */
const rendersInProcess = new Map<string, Promise<string>>();

function requestKey(tree: string, r: RenderRequest): string {
    return crypto.createHash("sha256").update(tree).update("\0").update(r.overlay).update("\0").update(JSON.stringify(r.overrides)).digest("hex");
}

const cacheFile = (key: string) => path.join(cacheDir(), "render", key.slice(0, 2), `${key}.json`);

function keep(key: string, json: string): void {
    const file = cacheFile(key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole, then renamed: a concurrent run never reads half a file.
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, json);
    fs.renameSync(partial, file);
}

/**
 * Each request's objects: from this process's renders, else the cache on disk, else kubectl (then kept in both).
 * What kubectl still has to render starts now, from the tree as it is now (the key's content): the copies are
 * taken before this returns.
 */
function renderRequests(requests: readonly RenderRequest[], tree: string | undefined, root: string): Promise<OverlayRender[]>[] {
    const keys = requests.map((r) => (tree === undefined ? undefined : requestKey(tree, r)));
    const missing: number[] = [];
    keys.forEach((key, i) => {
        if (key !== undefined && rendersInProcess.has(key)) return;
        let json: string | undefined;
        try {
            if (key !== undefined) json = fs.readFileSync(cacheFile(key), "utf8");
        } catch {
            // not rendered yet
        }
        if (json === undefined) missing.push(i);
        else rendersInProcess.set(key!, Promise.resolve(json));
    });
    // Requests asked for twice in this call are rendered once.
    const distinct = missing.filter((i, n) => keys[i] === undefined || missing.findIndex((j) => keys[j] === keys[i]) === n);
    const rendered = renderBatches(distinct.map((i) => requests[i]), root);
    const fresh = new Map<number, Promise<OverlayRender[]>>();
    distinct.forEach((i, n) => {
        const key = keys[i];
        if (key === undefined) {
            fresh.set(i, rendered[n]);
            return;
        }
        const json = rendered[n].then((objects) => {
            const text = JSON.stringify(objects);
            keep(key, text);
            return text;
        });
        rendersInProcess.set(key, json);
        // A failure is not kept: the next caller gets kubectl's message anew.
        json.catch(() => rendersInProcess.delete(key));
    });
    return requests.map((_, i) => fresh.get(i) ?? rendersInProcess.get(keys[i]!)!.then((json) => JSON.parse(json) as OverlayRender[]));
}

/** The workload folder of an overlay (`apps/workloads/<workload>/...`), if it is one. */
function workloadOf(overlay: string): string | undefined {
    const parts = path.posix.normalize(overlay.split(path.sep).join("/")).split("/");
    const prefix = WORKLOADS_PATH.split(path.sep);
    return parts.length > prefix.length + 1 && prefix.every((p, i) => parts[i] === p) && parts[prefix.length] !== ".." ? parts[prefix.length] : undefined;
}

/**
 * Whether everything an overlay can read stays in its workload's folder: no kustomization of the folder, and no
 * component the Application adds, names a path outside it (`../` out of it, an absolute path) or a remote one.
 * Only such overlays are rendered together: their objects' origins then name their own workload.
 */
function selfContained(root: string, r: RenderRequest, workload: string): boolean {
    const folder = path.join(root, WORKLOADS_PATH, workload);
    const inside = (from: string, p: string) => !path.relative(folder, path.resolve(from, p)).startsWith("..");
    const escapes = (from: string, value: unknown): boolean => {
        if (typeof value === "string") return value.includes("://") || ((value.startsWith("../") || value.startsWith("/")) && !inside(from, value));
        if (Array.isArray(value)) return value.some((v) => escapes(from, v));
        if (value && typeof value === "object") return Object.values(value).some((v) => escapes(from, v));
        return false;
    };
    if ((r.overrides.components ?? []).some((c) => escapes(path.join(root, r.overlay), c.startsWith(".") ? c : `./${c}`))) return false;
    const walk = (dir: string): boolean =>
        fs.readdirSync(dir, { withFileTypes: true }).every((e) => {
            const file = path.join(dir, e.name);
            if (e.isDirectory()) return walk(file);
            if (!/^kustomization\.ya?ml$|^Kustomization$/.test(e.name)) return true;
            try {
                return !escapes(dir, parse(fs.readFileSync(file, "utf8")));
            } catch {
                return false; // kubectl reports it, alone
            }
        });
    return fs.existsSync(folder) && walk(folder);
}

/**
 * kubectl starts slowly (a tenth of a second of CPU for any overlay), so the overlays of different workloads are
 * rendered together: one kustomization listing them, its objects told apart by the workload folder of their origin.
 * Each batch holds one overlay per workload, each self-contained. What cannot be told apart, or fails, is rendered
 * on its own from the same copy of the tree, so the result, and an error's message, are those of rendering each
 * overlay alone. Every copy is taken before this returns, and removed before any of its renders settles.
 */
function renderBatches(requests: readonly RenderRequest[], root: string): Promise<OverlayRender[]>[] {
    const batches: { batchable: boolean; members: number[] }[] = [];
    requests.forEach((r, i) => {
        const workload = workloadOf(r.overlay);
        const batchable = workload !== undefined && selfContained(root, r, workload);
        const batch = batchable ? batches.find((b) => b.batchable && b.members.every((j) => workloadOf(requests[j].overlay) !== workload)) : undefined;
        if (batch) batch.members.push(i);
        else batches.push({ batchable, members: [i] });
    });
    const results: Promise<OverlayRender[]>[] = new Array(requests.length);
    for (const { members: batch } of batches) {
        if (batch.length === 1) {
            results[batch[0]] = renderOverlayAlone(requests[batch[0]], root);
            continue;
        }
        const settled = renderTogetherOrAlone(batch.map((i) => requests[i]), root);
        batch.forEach((i, n) => (results[i] = settled.then((all) => (all[n].status === "fulfilled" ? all[n].value : Promise.reject(all[n].reason)))));
    }
    return results;
}

async function renderOverlayAlone(r: RenderRequest, root: string): Promise<OverlayRender[]> {
    const { objects, tmp } = await renderCopy(r.overlay, r.overrides, root, true);
    return objects.map((object) => ({ object, file: takeOrigin(object, path.join(tmp, r.overlay), tmp, r.overlay) }));
}

/**
 * The batch in one invocation, from a copy of the tree taken now; else each overlay alone from that same copy.
 * Settles when every render ended and the copy is gone.
 */
async function renderTogetherOrAlone(requests: readonly RenderRequest[], root: string): Promise<PromiseSettledResult<OverlayRender[]>[]> {
    const snapshot = fs.mkdtempSync(path.join(os.tmpdir(), "workloads-"));
    fs.cpSync(path.join(root, WORKLOADS_PATH), path.join(snapshot, WORKLOADS_PATH), { recursive: true });
    try {
        const together = await renderTogether(requests, snapshot).catch(() => undefined);
        if (together) return together.map((value) => ({ status: "fulfilled", value }));
        return await Promise.allSettled(requests.map((r) => renderOverlayAlone(r, snapshot)));
    } finally {
        fs.rmSync(snapshot, { recursive: true, force: true });
    }
}

/** Overlays of different workloads in one `kubectl kustomize`; undefined when an object's workload is not clear. */
async function renderTogether(requests: readonly RenderRequest[], root: string): Promise<OverlayRender[][] | undefined> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "workloads-"));
    try {
        const workloads = path.join(tmp, WORKLOADS_PATH);
        fs.cpSync(path.join(root, WORKLOADS_PATH), workloads, { recursive: true });
        const aggregate = path.join(workloads, "kustomization.yaml");
        if (fs.existsSync(aggregate) || fs.existsSync(path.join(workloads, "kustomization.yml")) || fs.existsSync(path.join(workloads, "Kustomization"))) return undefined;
        for (const r of requests) applyOverrides(path.join(tmp, r.overlay), r.overlay, r.overrides, false);
        const resources = requests.map((r) => path.posix.relative(WORKLOADS_PATH.split(path.sep).join("/"), r.overlay.split(path.sep).join("/")));
        fs.writeFileSync(aggregate, stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources, buildMetadata: ["originAnnotations"] }));
        const objects = await kustomizeBuild(workloads, tmp);
        const byWorkload = new Map(requests.map((r, n) => [workloadOf(r.overlay)!, n]));
        const rendered: OverlayRender[][] = requests.map(() => []);
        for (const object of objects) {
            const origin = object.metadata.annotations?.[ORIGIN_ANNOTATION];
            const where = origin ? parse(origin) : undefined;
            const relative = where?.repo ? undefined : (where?.path ?? where?.configuredIn);
            const n = typeof relative === "string" ? byWorkload.get(relative.split("/")[0]) : undefined;
            if (n === undefined) return undefined;
            rendered[n].push({ object, file: takeOrigin(object, workloads, tmp, requests[n].overlay) });
        }
        return rendered;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * Every Application's overlay rendered as ArgoCD renders it, side by side; each overlay kept by content (kubectl,
 * the workloads' tree, the overlay and its options). A failing render does not cut the others short: each is waited
 * for (its copy of the tree deleted) before the first failure is reported, so a process that exits on the error
 * leaves no copy behind.
 */
export async function renderWorkloads(sources: readonly WorkloadSource[], options: RenderOptions = {}): Promise<RenderedObject[]> {
    const root = options.root ?? REPO_ROOT;
    const renders = renderRequests(sources.map((s) => ({ overlay: s.path, overrides: s.kustomize })), treeKey(root), root);
    const settled = await Promise.allSettled(
        sources.map(async (s, i) => {
            try {
                const rendered = await renders[i];
                const destination = s.namespace === undefined ? {} : { destinationNamespace: s.namespace };
                return rendered.map(({ object, file }): RenderedObject => ({ object, application: s.application, ...destination, overlay: s.path, file, source: `${file}, rendered from ${s.path}` }));
            } catch (error) {
                if (error instanceof WorkloadRenderError) throw new WorkloadRenderError(`Application ${s.application}: ${error.message}`);
                throw error;
            }
        }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return settled.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
}
