/**
 * The delivery's decisions, one place for all of them (tools/delivery.ts is the command; the workflows run it):
 * - decide: for a push (or pull request) `base..head` to an environment, which Pulumi layers run, which images
 *   are built, what each workload's overlay pins (what ArgoCD runs), which staging digests production promotes,
 *   and whether the environment is verified afterwards;
 * - pin: the release step, writing digest pins (and the release record of each) into the overlays;
 * - record: marking a staging commit as verified (its sync and health check passed).
 *
 * Build once: a service's image is built by the run that first sees its sources' latest change unreleased (the
 * push that changed them; or the next run, if that push's run failed or was superseded), tagged with the commit
 * the sources are from, and pinned by digest. Never because HEAD differs from a pin: a release commit, or the
 * revert of one, builds nothing. Production builds nothing: it promotes the digests staging verified.
 */
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS, Environment, LAYERS, Layer } from "../lib/environment";
import { Git, UsageError, listServices, serviceSources } from "../lib/cli-support";
import { affectedLayers, changedFiles, inSources, isPipelineFile, isWorkloadManifest, resolveCommit } from "./layers";
import { DIGEST_PATTERN, TAG_PATTERN, UNRELEASED_DIGEST, imagesAt, overlayFile, overlaysAt, servicePin, withDigest } from "./pins";
import { PROMOTES_FROM, ReleasedPin, isPromotedFrom, isReleasePush, isReleased, releaseMessage, releaseRecords, verifiedCommitOf, verifiedRevisions, verifiedTag } from "./records";
import { Registry, RegistryLocation } from "./registry";

export interface Decision {
    environment: Environment;
    base: string;
    head: string;
    /** Pulumi layers to `up`, in order. */
    layers: Layer[];
    /** Services whose images this push builds. */
    build: string[];
    /** The commit each built image's sources are from: its tag, and the origin its release records. */
    sources: Record<string, string>;
    /** What each workload's overlay pins at head: what ArgoCD will run. */
    images: Record<string, string>;
    /** Production: the staging digests to copy and pin, by service. */
    promote: Record<string, string>;
    /** Whether the run waits for ArgoCD and checks the environment's health (false: nothing that runs changed). */
    verify: boolean;
    /** The push is the delivery's own release commit: the run that pushed it deploys and verifies it. */
    releasePush: boolean;
}

export interface Finding {
    level: "error" | "warning" | "info";
    service?: string;
    message: string;
}

export interface DecideOptions {
    environment: Environment;
    base: string;
    head: string;
    git: Git;
    /** The working tree at head (the service layout). */
    root: string;
    /** When given, every pin that is not built or promoted now is looked up there. */
    registry?: Registry;
    /** Services to build again from head's sources although they were released (asked for by hand). */
    rebuild?: string[];
    /** Run every layer, whatever changed (asked for by hand, e.g. after an environment was re-created). */
    allLayers?: boolean;
}

const short = (sha: string) => sha.slice(0, 12);

/** The newest commit of head's history that changed what the service's image is built from. */
function lastSourceCommit(git: Git, head: string, sources: string[]): string | undefined {
    const out = git(["log", "-1", "--format=%H", head, "--", ...sources]);
    if (out === undefined) throw new Error(`git log ${head} failed: is the commit fetched (checkout with fetch-depth: 0)?`);
    return out.trim() || undefined;
}

export function checkServices(names: string[], services: string[], what: string): void {
    const unknown = names.filter((n) => !services.includes(n));
    if (unknown.length > 0) throw new UsageError(`${what}: unknown service${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${services.join(", ")})`);
}

export function decide(o: DecideOptions): { decision: Decision; findings: Finding[] } {
    const findings: Finding[] = [];
    const note = (level: Finding["level"], message: string, service?: string) => findings.push({ level, message, ...(service ? { service } : {}) });
    const services = listServices(o.root);
    const rebuild = o.rebuild ?? [];
    checkServices(rebuild, services, "--rebuild");
    const source = PROMOTES_FROM[o.environment];
    if (source && rebuild.length > 0) throw new UsageError(`--rebuild: ${o.environment} builds nothing, it promotes the digests ${source} verified`);

    const head = resolveCommit(o.git, o.head);
    if (!head) throw new Error(`--head ${o.head} is not a commit of this clone (checkout with fetch-depth: 0)`);
    const base = resolveCommit(o.git, o.base);
    let files: string[] = [];
    if (base) files = changedFiles(o.git, base, head);
    else note("warning", `--base ${o.base} is not a commit of this clone (a new branch, or a force push): every layer runs`);
    const layers = o.allLayers || !base ? [...LAYERS] : affectedLayers(files, o.environment);
    const overlays = overlaysAt(o.git, head, o.environment);
    const records = releaseRecords(o.git, head, o.environment);

    const build: string[] = [];
    const sources: Record<string, string> = {};
    if (!source) {
        for (const service of services) {
            const paths = serviceSources(service, o.root);
            const from = lastSourceCommit(o.git, head, paths);
            if (!from) continue;
            const again = rebuild.includes(service);
            if (!again && isReleased(records, o.environment, service, from)) continue;
            build.push(service);
            sources[service] = from;
            const why = again
                ? `rebuild asked for: from the current sources (${short(from)}), which may differ from the image pinned now`
                : files.some((f) => inSources(f, paths))
                  ? `sources changed in this push (${short(from)})`
                  : servicePin(overlays, service)?.digest === UNRELEASED_DIGEST
                    ? `never released (from ${short(from)})`
                    : `sources changed at ${short(from)} and were never released (that push's run failed or was superseded)`;
            note("info", `build: ${why}`, service);
        }
    }

    const promote: Record<string, string> = {};
    if (source) {
        const verified = verifiedRevisions(o.git);
        const staging = overlaysAt(o.git, head, source);
        // What the source environment's overlays pinned where this range starts (the merge base: what a pull request
        // or push brings), to tell a pin the range moves from one it only carries along.
        const from = base ? o.git(["merge-base", base, head])?.trim() : undefined;
        const stagingBefore = from ? overlaysAt(o.git, from, source) : undefined;
        for (const service of services) {
            const staged = servicePin(staging, service)?.digest;
            const pinned = servicePin(overlays, service)?.digest;
            if (!staged || staged === UNRELEASED_DIGEST) {
                if (!pinned || pinned === UNRELEASED_DIGEST) note("warning", `${source} has not released it yet: ${o.environment} has no image of it to run`, service);
                continue;
            }
            if (staged === pinned) continue;
            // A range that moves the source's pin promotes it, even to a digest promoted before: a rollback merged
            // from the source, or the revert of a promotion (which moves the source's pin back). A pin the range only
            // carries along is promoted once: after that, the environment's own pin moving away from it (the revert
            // of its release commit, a pin by hand) is a decision the delivery keeps.
            const moved = stagingBefore !== undefined && files.includes(overlayFile(service, source)) && servicePin(stagingBefore, service)?.digest !== staged;
            if (!moved && isReleased(records, o.environment, service, staged)) {
                note("info", `${source}'s ${staged} was promoted before and ${o.environment}'s pin moved since (a rollback or a pin by hand): not promoted again`, service);
                continue;
            }
            const proof = verifiedCommitOf(o.git, service, staged, verified);
            if (!proof) {
                note("error", `refused: ${source} pins ${staged}, which ${source} has not verified (no verified ${source} commit pins it). Promote after ${source}'s health check passed, or revert`, service);
                continue;
            }
            promote[service] = staged;
            const again = isReleased(records, o.environment, service, staged) ? `, again: this range moves ${source}'s pin back to it (a rollback)` : "";
            note("info", `promote ${staged} (verified in ${source} at ${short(proof)}${again})`, service);
        }
        // What head pins is what ArgoCD syncs as soon as it is pushed, promoted or not: it must have passed too.
        for (const service of services) {
            const pinned = servicePin(overlays, service);
            if (!pinned || pinned.digest === UNRELEASED_DIGEST) continue;
            if (!pinned.digest) {
                note("error", `refused: ${o.environment} pins it by tag (${pinned.newTag ?? "none"}), not by a digest ${source} verified`, service);
            } else if (!verifiedCommitOf(o.git, service, pinned.digest, verified)) {
                note("error", `refused: ${o.environment} pins ${pinned.digest}, which did not pass ${source} (no verified ${source} commit pins it)`, service);
            }
        }
    }

    if (o.registry) {
        for (const service of services) {
            if (build.includes(service) || service in promote) continue;
            const digest = servicePin(overlays, service)?.digest;
            if (!digest || digest === UNRELEASED_DIGEST) continue;
            const found = o.registry.find(service, { digest });
            if (typeof found === "object") continue;
            const where = `${o.registry.location.prefix}/${service}@${digest}`;
            const fix = source
                ? `pin a digest ${source} verified that ${o.environment}'s registry holds (npm run delivery -- pin ${o.environment} ${service}=<digest>), or revert to one`
                : `revert to, or pin (npm run delivery -- pin ${o.environment} ${service}=<tag-or-digest>), an image that exists, or build it again from the current sources on purpose (run the deploy workflow by hand with rebuild: ${service})`;
            note("error", `the pinned image ${where} is ${found === "missing" ? "not in the registry (expired, or the registry was re-created)" : "in no repository (its ECR repository does not exist)"}; it is not rebuilt from other code: ${fix}`, service);
        }
    }

    // The push of a release commit (pins only, each recorded by its trailers) changes manifests, but the run that
    // pushed it deploys and verifies exactly that commit: its own run verifies nothing twice. A revert of a release
    // has no trailer, so it gets a run of its own; anything still to build or promote is done as always.
    const releasePush =
        !!base && rebuild.length === 0 && !o.allLayers && files.length > 0 && files.every((f) => isWorkloadManifest(f)) && isReleasePush(o.git, base, head, o.environment);
    if (releasePush) note("info", `${short(head)} is the delivery's release commit: the run that pushed it deploys and verifies it`);
    const verify =
        layers.length > 0 ||
        build.length > 0 ||
        Object.keys(promote).length > 0 ||
        !base ||
        rebuild.length > 0 ||
        (!releasePush && files.some((f) => isWorkloadManifest(f) || isPipelineFile(f)));
    const images = imagesAt(o.git, head, o.environment, overlays);
    const decision: Decision = { environment: o.environment, base: o.base, head, layers, build, sources, images, promote, verify, releasePush };
    return { decision, findings };
}

export interface PinRequest {
    service: string;
    /** A digest (sha256:...) or, resolved in the registry, an image tag. */
    ref: string;
}

/** `<service>=<tag-or-digest>` arguments; unknown services and malformed references are named. */
export function parsePinArgs(args: string[], services: string[]): PinRequest[] {
    if (args.length === 0) throw new UsageError("pin: give at least one <service>=<tag-or-digest>");
    const requests = args.map((arg) => {
        const eq = arg.indexOf("=");
        if (eq <= 0) throw new UsageError(`pin: ${JSON.stringify(arg)} is not <service>=<tag-or-digest>`);
        const [service, ref] = [arg.slice(0, eq), arg.slice(eq + 1)];
        if (!DIGEST_PATTERN.test(ref) && (ref.startsWith("sha256:") || !TAG_PATTERN.test(ref))) {
            throw new UsageError(`pin: ${service}=${JSON.stringify(ref)}: allowed a digest (sha256:<64 hex>) or an image tag (letters, digits, _ . -, at most 128)`);
        }
        return { service, ref };
    });
    checkServices(requests.map((r) => r.service), services, "pin");
    const twice = requests.map((r) => r.service).filter((s, i, all) => all.indexOf(s) !== i);
    if (twice.length > 0) throw new UsageError(`pin: ${twice[0]} is given twice`);
    return requests;
}

export interface PinOptions {
    environment: Environment;
    requests: PinRequest[];
    root: string;
    git: Git;
    /** The environment's registry: each image must be there (a tag is resolved to its digest there). */
    registry?: Registry;
    /** Copy each digest from this registry first when the environment's does not hold it (promotion). */
    copyFrom?: RegistryLocation;
    log?: (line: string) => void;
}

export interface PinResult {
    pins: ReleasedPin[];
    /** Overlay files the pins changed, relative to the repository. */
    files: string[];
    message: string;
}

/**
 * Writes the pins. Production takes only digests that passed staging (refused otherwise, naming the service); with
 * a registry, every image must be in it (copied there first with copyFrom), so a pin never points at nothing.
 */
export function pin(o: PinOptions): PinResult {
    const log = o.log ?? (() => undefined);
    const source = PROMOTES_FROM[o.environment];
    const verified = source ? verifiedRevisions(o.git) : [];
    const pins: ReleasedPin[] = [];
    for (const { service, ref } of o.requests) {
        const isDigest = DIGEST_PATTERN.test(ref);
        if (source && !isDigest) throw new UsageError(`pin: ${o.environment} pins the digests ${source} verified, not tags (${service}=${ref})`);
        if (!isDigest && !o.registry) throw new UsageError(`pin: ${service}=${ref} is a tag: give --registry to resolve it to its digest (pins are digests)`);
        if (source && !verifiedCommitOf(o.git, service, ref, verified)) {
            throw new Error(`refused: ${service} ${ref} did not pass ${source} (no verified ${source} commit pins it): ${o.environment} runs only what ${source} verified`);
        }
        let digest = ref;
        if (o.registry) {
            let found = o.registry.find(service, isDigest ? { digest: ref } : { tag: ref });
            if (typeof found !== "object" && isDigest && o.copyFrom && o.copyFrom.prefix !== o.registry.location.prefix) {
                log(`${service}: copying ${ref} from ${o.copyFrom.prefix} to ${o.registry.location.prefix}`);
                o.registry.copyFrom(o.copyFrom, service, ref);
                found = o.registry.find(service, { digest: ref });
            }
            if (typeof found !== "object") throw new Error(`${service}: ${o.registry.location.prefix}/${service} has no image ${ref}${found === "no-repository" ? " (no such repository)" : ""}: nothing pinned`);
            digest = found.digest;
        }
        pins.push({ service, digest, origin: ref });
    }
    const files: string[] = [];
    for (const p of pins) {
        const file = overlayFile(p.service, o.environment);
        const full = path.join(o.root, file);
        if (!fs.existsSync(full)) throw new Error(`${file} does not exist: ${p.service} has no ${o.environment} overlay to pin`);
        const before = fs.readFileSync(full, "utf8");
        let after: string;
        try {
            after = withDigest(before, p.service, p.digest);
        } catch (error) {
            throw new Error(`${file}: ${(error as Error).message}`);
        }
        if (after !== before) {
            fs.writeFileSync(full, after);
            files.push(file);
        }
        log(`${file}: ${p.service} ${after !== before ? `pinned to ${p.digest}` : "already pinned"}`);
    }
    return { pins, files, message: releaseMessage(o.environment, pins) };
}

/** Tags `revision` as verified in the environment (the one production promotes from). Returns the tag's ref. */
export function record(git: Git, environment: Environment, revision: string): string {
    if (!isPromotedFrom(environment)) {
        const from = ENVIRONMENTS.filter(isPromotedFrom);
        throw new UsageError(`record: only ${from.join(", ")} verifications are recorded (what ${ENVIRONMENTS.filter((e) => PROMOTES_FROM[e]).join(", ")} promotes from)`);
    }
    const commit = resolveCommit(git, revision);
    if (!commit) throw new Error(`record: ${revision} is not a commit of this clone`);
    const ref = verifiedTag(commit);
    const existing = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])?.trim();
    if (existing === commit) return ref;
    if (git(["update-ref", ref, commit, ""]) === undefined) throw new Error(`record: could not create ${ref}`);
    return ref;
}
