/**
 * Rendering the workload manifests offline: `kubectl kustomize` of an overlay as it is in Git, and of an overlay
 * with an Application's `spec.source.kustomize` applied the way ArgoCD's repo-server applies it
 * (argo-cd util/kustomize/kustomize.go: `kustomize edit set image` for images, the patches appended to the
 * kustomization's `patches`, `kustomize edit add component` for components), on a copy of the tree.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { parse, parseAllDocuments, stringify } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { KustomizeOverrides } from "../../apps/application";
import { WORKLOADS_PATH } from "../../apps/catalogue";
import { KubeObject } from "./schemas";

const run = promisify(execFile);

/** `kubectl kustomize <dir>`, parsed. Fails with kubectl's message; says what to install when kubectl is missing. */
export async function kustomizeBuild(dir: string): Promise<KubeObject[]> {
    let stdout: string;
    try {
        ({ stdout } = await run("kubectl", ["kustomize", dir], { maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === "ENOENT") throw new Error("the manifest tests need kubectl (1.27 or newer, which bundles kustomize v5) on the PATH");
        throw new Error(`kubectl kustomize ${path.relative(REPO_ROOT, dir)} failed: ${e.stderr ?? e.message}`);
    }
    return parseAllDocuments(stdout)
        .map((d) => d.toJS() as KubeObject)
        .filter((o) => o !== null);
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

/** Renders `apps/workloads/<workload>/overlays/<env>` with an Application's Kustomize options, as ArgoCD would. */
export async function renderAsArgoCD(overlay: string, overrides: KustomizeOverrides): Promise<KubeObject[]> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "apps-argocd-"));
    try {
        fs.cpSync(path.join(REPO_ROOT, WORKLOADS_PATH), path.join(tmp, WORKLOADS_PATH), { recursive: true });
        const dir = path.join(tmp, overlay);
        const file = path.join(dir, "kustomization.yaml");
        const k = parse(fs.readFileSync(file, "utf8"));
        if (overrides.images?.length) k.images = setImages(k.images ?? [], overrides.images);
        if (overrides.patches?.length) k.patches = [...(k.patches ?? []), ...overrides.patches];
        for (const c of overrides.components ?? []) {
            if (!fs.existsSync(path.join(dir, c, "kustomization.yaml"))) throw new Error(`component ${c} does not exist from ${overlay}`);
            k.components = [...new Set([...(k.components ?? []), c])];
        }
        fs.writeFileSync(file, stringify(k));
        return await kustomizeBuild(dir);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
