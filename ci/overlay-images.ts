/**
 * A release is a Git commit: the image tag of each service, per environment, is pinned in
 * apps/workloads/<service>/overlays/<env>/kustomization.yaml (`images:` newTag), which ArgoCD syncs.
 * This module reads and edits that pin with the `yaml` package (comments and layout kept), never with sed.
 *
 *   ts-node ci/overlay-images.ts --environment staging --tag <commit-sha> --services '["user-service","frontend"]'
 *
 * Sets newTag of the service's image entry in each overlay and prints the files it changed (output `files`,
 * space-separated). Only the tag: the repository (newName, which holds the account id) is set by the apps layer's
 * Application from infra's ecrRepositoryUrls. A missing overlay or image entry is an error: silently adding an
 * entry for an image name the manifests do not use would deploy nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { ENVIRONMENTS, REPO_ROOT } from "../lib/environment";
import { UsageError, overlayKustomizationPath, parseOptions, parseStringList, requireOption, resolveEnvironmentOrUsage, runTool, setOutputs } from "../lib/cli-support";

/** An image tag ECR accepts; releases use the full commit SHA. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Whether an `images:` entry is the service's image: by name, or by the last path segment of name or newName. */
function isServiceImage(entry: YAMLMap, service: string): boolean {
    const name = String(entry.get("name") ?? "");
    const newName = String(entry.get("newName") ?? "");
    return name === service || name.endsWith(`/${service}`) || newName.endsWith(`/${service}`);
}

function imageEntries(doc: Document): YAMLMap[] {
    const images = doc.get("images");
    if (!isSeq(images)) return [];
    return (images as YAMLSeq).items.filter((i): i is YAMLMap => isMap(i));
}

/** The service's image entry in an overlay's kustomization, or undefined. */
export function findImageEntry(doc: Document, service: string): YAMLMap | undefined {
    const matches = imageEntries(doc).filter((e) => isServiceImage(e, service));
    if (matches.length > 1) throw new Error(`more than one images: entry matches ${service}`);
    return matches[0];
}

/** The tag pinned for a service in an environment, or undefined when there is no overlay, entry or tag. */
export function readImageTag(service: string, environment: string, root: string = REPO_ROOT): string | undefined {
    const file = overlayKustomizationPath(service, environment, root);
    if (!fs.existsSync(file)) return undefined;
    const entry = findImageEntry(parseDocument(fs.readFileSync(file, "utf8")), service);
    const tag = entry?.get("newTag");
    return tag === undefined || tag === null ? undefined : String(tag);
}

/** Pins `tag` for the service in its overlay's text. Returns the new text, unchanged when the pin already holds. */
export function pinImage(text: string, service: string, tag: string): string {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0].message}`);
    const entry = findImageEntry(doc, service);
    if (!entry) throw new Error(`no images: entry for ${service} (an entry whose name or newName ends with ${service})`);
    if (String(entry.get("newTag") ?? "") === tag && !entry.has("digest")) return text;
    entry.set("newTag", tag);
    // Kustomize reads `digest` before `newTag`: a stale digest would keep the old image.
    if (entry.has("digest")) entry.delete("digest");
    return doc.toString();
}

export interface PinResult {
    service: string;
    file: string;
    changed: boolean;
}

export function pinImages(services: string[], environment: string, tag: string, root: string = REPO_ROOT): PinResult[] {
    if (!TAG_PATTERN.test(tag)) throw new UsageError(`--tag ${JSON.stringify(tag)} is not an image tag (letters, digits, _ . -, at most 128)`);
    return services.map((service) => {
        const file = overlayKustomizationPath(service, environment, root);
        if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} does not exist: ${service} has no ${environment} overlay to release into`);
        const before = fs.readFileSync(file, "utf8");
        let after: string;
        try {
            after = pinImage(before, service, tag);
        } catch (error) {
            throw new Error(`${path.relative(root, file)}: ${(error as Error).message}`);
        }
        if (after !== before) fs.writeFileSync(file, after);
        return { service, file: path.relative(root, file).split(path.sep).join("/"), changed: after !== before };
    });
}

export const USAGE = `Usage: ts-node ci/overlay-images.ts --environment <${ENVIRONMENTS.join("|")}> --tag <tag> --services '<json list>'`;

export function main(argv: string[], root: string = REPO_ROOT): number {
    const { options, positional } = parseOptions(argv, { values: ["environment", "tag", "services"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const environment = resolveEnvironmentOrUsage(requireOption(options, "environment"), root);
    const services = parseStringList(requireOption(options, "services"), "--services");
    const results = pinImages(services, environment, requireOption(options, "tag"), root);
    for (const r of results) console.error(`${r.file}: ${r.changed ? `${r.service} pinned to ${options.tag}` : "already pinned"}`);
    setOutputs({ files: results.filter((r) => r.changed).map((r) => r.file).join(" ") });
    return 0;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
