/**
 * What the delivery remembers, in Git only (so every decision can be checked offline, in a pull request, and on a
 * scratch repository):
 * - Release records: every pin a release writes carries a trailer `Delivery-Pin: <env> <service> <origin>` in its
 *   commit, the origin being what was released: for staging the commit the image's sources are from (its ECR tag),
 *   for production the staging digest it promotes. "Was this released?" is then a question about the branch's
 *   history, not about the pin: a revert of a release commit moves the pin back but keeps the record in history,
 *   so CI never builds or promotes that change again (the rollback holds); a source change whose run failed or was
 *   superseded has no record yet, so the next run releases it.
 * - Verified staging commits: after staging's sync and health check pass with the images a commit pins (not a later
 *   commit's other pins: a rollback merged meanwhile), CI's record job tags it `verified/staging/<sha>` (with the
 *   release App, which a tag ruleset makes the only identity allowed to create them). An image passed staging when a verified commit's staging overlay pins its digest; production accepts
 *   nothing else.
 */
import { Git } from "../lib/cli-support";
import { PROMOTES_FROM as PROMOTES_FROM_ENVIRONMENT } from "../lib/environment";
import { DIGEST_PATTERN, fileAt, overlayFile, pinAt, pinIn, withDigest } from "./pins";

export const PIN_TRAILER = "Delivery-Pin";
/** Where staging's verifications are recorded: one lightweight tag per verified commit. */
export const VERIFIED_TAG_PREFIX = "refs/tags/verified/staging/";
/** The environment an environment promotes from (production runs only what staging verified): lib/environment.ts. */
export const PROMOTES_FROM: Record<string, string | undefined> = PROMOTES_FROM_ENVIRONMENT;

/** Whether another environment promotes from this one (its verifications are then recorded). */
export function isPromotedFrom(environment: string): boolean {
    return Object.values(PROMOTES_FROM).includes(environment);
}

export function pinTrailer(environment: string, service: string, origin: string): string {
    return `${PIN_TRAILER}: ${environment} ${service} ${origin}`;
}

export interface ReleasedPin {
    service: string;
    digest: string;
    /** What was released: the source commit (an image tag) or the promoted digest. */
    origin: string;
}

/**
 * The commit message of a release: what it pins and, as trailers, what each pin releases. Never a skip instruction
 * (`[skip ci]` and the like): GitHub would then run no workflow for the push, nor for a pull request whose head is
 * this commit or its revert (a promotion, a rollback), and their required checks would never report.
 */
export function releaseMessage(environment: string, pins: ReleasedPin[]): string {
    const subject = `release(${environment}): ${pins.map((p) => p.service).join(", ")}`;
    const body = pins.map((p) => pinLine(p.service, p.digest, p.origin));
    return `${subject}\n\n${body.join("\n")}\n\n${pins.map((p) => pinTrailer(environment, p.service, p.origin)).join("\n")}\n`;
}

function pinLine(service: string, digest: string, origin: string): string {
    return `${service}: ${digest}${origin !== digest ? ` (from ${origin})` : ""}`;
}

/** The services a commit message records releases of in the environment (its `Delivery-Pin` trailers), with their origins. */
export function releasedIn(message: string, environment: string): Map<string, string> {
    const prefix = `${PIN_TRAILER}: ${environment} `;
    const released = new Map<string, string>();
    for (const line of message.split("\n").map((l) => l.trim())) {
        if (!line.startsWith(prefix)) continue;
        const [service, origin] = line.slice(prefix.length).split(" ");
        if (service && origin) released.set(service, origin);
    }
    return released;
}

/**
 * Whether `commit` is a release commit of the delivery for the environment: one parent, and it changes nothing but
 * the digest pins of the environment's overlays its `Delivery-Pin` trailers name, each to the digest its message
 * says it pinned. A revert of a release (no trailer), a merge, or a commit that changes anything else is not.
 */
export function isReleaseCommit(git: Git, commit: string, environment: string): boolean {
    const parents = git(["rev-list", "--parents", "-n", "1", commit])?.trim().split(" ").slice(1) ?? [];
    if (parents.length !== 1) return false;
    const message = git(["log", "-1", "--format=%B", commit]) ?? "";
    const released = releasedIn(message, environment);
    if (released.size === 0) return false;
    const files = (git(["diff-tree", "--no-commit-id", "--name-only", "--no-renames", "-r", parents[0], commit]) ?? "").split("\n").filter(Boolean);
    if (files.length === 0) return false;
    return files.every((file) => {
        const service = [...released.keys()].find((s) => overlayFile(s, environment) === file);
        if (!service) return false;
        const [before, after] = [fileAt(git, parents[0], file), fileAt(git, commit, file)];
        if (before === undefined || after === undefined) return false;
        try {
            const digest = pinIn(after, service)?.digest;
            // Pinned what its message says, and nothing but the pin changed (the pin step's own edit of the file).
            return !!digest && message.includes(`\n${pinLine(service, digest, released.get(service)!)}\n`) && withDigest(before, service, digest) === after;
        } catch {
            return false; // not YAML, no images: entry: not the pin step's edit
        }
    });
}

/**
 * Whether `base..head` holds only release commits of the environment: the push of the release commit a deploy run
 * made. That run deploys and verifies it, so the push's own run has nothing more to do.
 */
export function isReleasePush(git: Git, base: string, head: string, environment: string): boolean {
    const commits = (git(["rev-list", `${base}..${head}`]) ?? "").split("\n").filter(Boolean);
    return commits.length > 0 && commits.every((c) => isReleaseCommit(git, c, environment));
}

/** Every release record of the environment in `head`'s history (one git call): the `Delivery-Pin` trailer lines. */
export function releaseRecords(git: Git, head: string, environment: string): Set<string> {
    const prefix = `${PIN_TRAILER}: ${environment} `;
    const out = git(["log", "--format=%B", "--fixed-strings", `--grep=${prefix}`, head]);
    if (out === undefined) throw new Error(`git log ${head} failed: is the commit fetched (checkout with fetch-depth: 0)?`);
    return new Set(out.split("\n").map((l) => l.trim()).filter((l) => l.startsWith(prefix)));
}

/** Whether the records hold a release of `origin` for the service in the environment. */
export function isReleased(records: Set<string>, environment: string, service: string, origin: string): boolean {
    return records.has(pinTrailer(environment, service, origin));
}

export function verifiedTag(revision: string): string {
    return `${VERIFIED_TAG_PREFIX}${revision}`;
}

/** The staging commits CI verified (the targets of the verified tags). */
export function verifiedRevisions(git: Git): string[] {
    const out = git(["for-each-ref", "--format=%(objectname)", VERIFIED_TAG_PREFIX]);
    if (out === undefined) throw new Error("git for-each-ref failed");
    return [...new Set(out.split("\n").map((l) => l.trim()).filter(Boolean))];
}

/**
 * The verified staging commit whose staging overlay pins `digest` for the service, or undefined: the proof that
 * the image passed staging. One `git grep` over every verified commit, then the match's pin is parsed (a digest
 * in a comment does not count).
 */
export function verifiedCommitOf(git: Git, service: string, digest: string, revisions: string[] = verifiedRevisions(git)): string | undefined {
    if (!DIGEST_PATTERN.test(digest) || revisions.length === 0) return undefined;
    const file = overlayFile(service, "staging");
    const out = git(["grep", "-l", "--fixed-strings", digest, ...revisions, "--", file]) ?? "";
    const candidates = out.split("\n").map((l) => l.slice(0, l.indexOf(":"))).filter(Boolean);
    return candidates.find((rev) => pinAt(git, rev, service, "staging")?.digest === digest);
}
