/**
 * Image pins: what a workload's overlay (apps/workloads/<workload>/overlays/<env>/kustomization.yaml, `images:`)
 * says ArgoCD runs. A service's pin is an immutable digest (`digest: sha256:...`, no `newTag`), so no tag can ever
 * be re-pointed under a running workload; the registry (ECR, with the account id) is added by the Application, never
 * written here. Public images (MySQL, Redis) keep their version tags. Read and edited with the `yaml` package
 * (comments and layout kept), from the working tree or from any commit (`git show <rev>:<file>`).
 */
import { Document, isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { WORKLOAD_NAMES, WORKLOADS, WORKLOADS_PATH, WorkloadName, overlayPath } from "../lib/catalogue";
import { Git } from "../lib/cli-support";

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
/** An ECR tag (what CI tags builds with: the commit their sources are from). */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** The pin of a service that was never released: an obvious placeholder, never an image (the first release replaces it). */
export const UNRELEASED_DIGEST = `sha256:${"0".repeat(64)}`;

export interface Pin {
    name: string;
    newName?: string;
    newTag?: string;
    digest?: string;
}

export function overlayFile(workload: string, environment: string): string {
    return `${overlayPath(workload as WorkloadName, environment)}/kustomization.yaml`;
}

/** Whether an `images:` entry is the image `image`: by name, or by the last path segment of name or newName. */
function isImage(entry: YAMLMap, image: string): boolean {
    const name = String(entry.get("name") ?? "");
    const newName = String(entry.get("newName") ?? "");
    return name === image || name.endsWith(`/${image}`) || newName.endsWith(`/${image}`);
}

function entries(doc: Document): YAMLMap[] {
    const images = doc.get("images");
    if (!isSeq(images)) return [];
    return (images as YAMLSeq).items.filter((i): i is YAMLMap => isMap(i));
}

function toPin(entry: YAMLMap): Pin {
    const text = (key: string) => (entry.get(key) === undefined || entry.get(key) === null ? undefined : String(entry.get(key)));
    return Object.fromEntries(Object.entries({ name: text("name") ?? "", newName: text("newName"), newTag: text("newTag"), digest: text("digest") }).filter(([, v]) => v !== undefined)) as unknown as Pin;
}

function parse(text: string): Document {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0].message}`);
    return doc;
}

function findEntry(doc: Document, image: string): YAMLMap | undefined {
    const matches = entries(doc).filter((e) => isImage(e, image));
    if (matches.length > 1) throw new Error(`more than one images: entry matches ${image}`);
    return matches[0];
}

/** The pin of `image` in a kustomization's text, or undefined when it has no entry for it. */
export function pinIn(text: string, image: string): Pin | undefined {
    const entry = findEntry(parse(text), image);
    return entry && toPin(entry);
}

/** Pins `digest` for `image`: sets `digest`, drops `newTag` (one truth). Returns the new text (unchanged when it holds). */
export function withDigest(text: string, image: string, digest: string): string {
    if (!DIGEST_PATTERN.test(digest)) throw new Error(`${JSON.stringify(digest)} is not a digest (sha256:<64 hex>)`);
    const doc = parse(text);
    const entry = findEntry(doc, image);
    // Adding an entry for a name the manifests do not use would deploy nothing: refuse instead.
    if (!entry) throw new Error(`no images: entry for ${image} (an entry whose name or newName ends with ${image})`);
    if (String(entry.get("digest") ?? "") === digest && !entry.has("newTag")) return text;
    entry.set("digest", digest);
    entry.delete("newTag");
    return doc.toString();
}

/** The image reference a pin renders to, without the registry the Application adds: `name[:tag][@digest]`. */
export function reference(pin: Pin): string {
    return `${pin.newName ?? pin.name}${pin.newTag ? `:${pin.newTag}` : ""}${pin.digest ? `@${pin.digest}` : ""}`;
}

/** The image of a workload its pin is about: its ECR image, or the only `images:` entry of a public one. */
export function workloadPin(text: string, workload: WorkloadName): Pin | undefined {
    const image = WORKLOADS[workload].ecrImage;
    if (image) return pinIn(text, image);
    const all = entries(parse(text));
    return all.length === 1 ? toPin(all[0]) : undefined;
}

/** A file at a commit (`git show <rev>:<file>`), or undefined when the commit has no such file. */
export function fileAt(git: Git, rev: string, file: string): string | undefined {
    return git(["show", `${rev}:${file}`]);
}

/** The pin of a service's image in overlays read with overlaysAt. */
export function servicePin(overlays: Map<string, string>, service: string): Pin | undefined {
    const text = overlays.get(service);
    return text === undefined ? undefined : pinIn(text, service);
}

/** The pin of a service's image in an environment's overlay at a commit. */
export function pinAt(git: Git, rev: string, service: string, environment: string): Pin | undefined {
    const text = fileAt(git, rev, overlayFile(service, environment));
    return text === undefined ? undefined : pinIn(text, service);
}

/**
 * Every overlay of an environment at a commit, in one git call (`git grep` of every line prints `<rev>:<file>:<line>`):
 * workload -> kustomization text.
 */
export function overlaysAt(git: Git, rev: string, environment: string): Map<string, string> {
    const out = git(["grep", "--no-color", "--full-name", "-e", "", "--null", rev, "--", overlayFile("*", environment)]) ?? "";
    const lines = new Map<string, string[]>();
    for (const record of out.split("\n")) {
        // With --null: `<rev>:<file>\0<line>`.
        const nul = record.indexOf("\0");
        if (nul < 0) continue;
        const file = record.slice(record.indexOf(":") + 1, nul);
        const workload = file.slice(WORKLOADS_PATH.length + 1).split("/")[0];
        if (!lines.has(workload)) lines.set(workload, []);
        lines.get(workload)!.push(record.slice(nul + 1));
    }
    return new Map([...lines].map(([w, l]) => [w, l.join("\n") + "\n"]));
}

/** What every workload's overlay pins at a commit: workload -> image reference (what ArgoCD will run). */
export function imagesAt(git: Git, rev: string, environment: string, overlays: Map<string, string> = overlaysAt(git, rev, environment)): Record<string, string> {
    const images: Record<string, string> = {};
    for (const workload of WORKLOAD_NAMES) {
        const text = overlays.get(workload);
        const pin = text === undefined ? undefined : workloadPin(text, workload);
        if (pin) images[workload] = reference(pin);
    }
    return images;
}
