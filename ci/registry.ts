/**
 * The environment's image registry (ECR): is an image there, which digest a tag names, and copying an image from
 * another environment's registry (promotion). Staging's repositories go with the environment and the lifecycle
 * policy expires old images, so a pin in Git can outlive its image: the delivery reports that instead of building
 * the pinned service again from other (newer) code.
 *
 * Uses the runner's AWS CLI (`aws ecr describe-images`) and, to copy, `skopeo copy --all --preserve-digests`
 * (installed on GitHub's ubuntu-24.04 runners): the digest in production is the digest staging verified.
 */
import { UsageError } from "../lib/cli-support";
import { Runner, run } from "../lib/run-command";
import { DIGEST_PATTERN } from "./pins";

export type { Runner };
export { run };

/** Where an environment's images live: `<account>.dkr.ecr.<region>.amazonaws.com/<namePrefix>` (ci-context's repository-prefix). */
export interface RegistryLocation {
    prefix: string;
    accountId: string;
    region: string;
    namePrefix: string;
}

const PREFIX_PATTERN = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/([a-z0-9]+(?:[._-][a-z0-9]+)*)$/;

export function parseRepositoryPrefix(prefix: string, option = "--registry"): RegistryLocation {
    const m = PREFIX_PATTERN.exec(prefix);
    if (!m) {
        throw new UsageError(`${option} ${JSON.stringify(prefix)}: allowed <12-digit account>.dkr.ecr.<region>.amazonaws.com/<name prefix> (ci-context's repository-prefix)`);
    }
    return { prefix, accountId: m[1], region: m[2], namePrefix: m[3] };
}

/** What the registry holds for an image: its digest, or why not. */
export type Lookup = { digest: string } | "missing" | "no-repository";

export interface Registry {
    location: RegistryLocation;
    /** The image of the service by tag or digest. A missing image or repository is an answer; any other failure throws. */
    find(service: string, ref: { tag: string } | { digest: string }): Lookup;
    /** Copies `<from>/<service>@<digest>` here, keeping the digest. */
    copyFrom(from: RegistryLocation, service: string, digest: string): void;
}

/** The tag a promoted image gets in the registry it is copied to (ECR keeps untagged images poorly; tags are immutable). */
export function promotedTag(digest: string): string {
    return digest.replace(":", "-");
}

export function ecrRegistry(location: RegistryLocation, runner: Runner = run): Registry {
    return {
        location,
        find(service, ref) {
            const repository = `${location.namePrefix}/${service}`;
            const id = "tag" in ref ? `imageTag=${ref.tag}` : `imageDigest=${ref.digest}`;
            const r = runner("aws", ["ecr", "describe-images", "--registry-id", location.accountId, "--region", location.region, "--repository-name", repository, "--image-ids", id, "--output", "json"]);
            if (r.status !== 0) {
                if (/ImageNotFoundException/.test(r.stderr)) return "missing";
                if (/RepositoryNotFoundException/.test(r.stderr)) return "no-repository";
                // Guessing would either release a pin whose image is gone or report a present image as missing.
                throw new Error(`aws ecr describe-images of ${repository} (${id}) failed (exit ${r.status}): ${r.stderr.trim() || "no message"}`);
            }
            const details = (JSON.parse(r.stdout || "{}").imageDetails ?? []) as { imageDigest?: string; imageTags?: string[] }[];
            const found = details.find((d) => ("tag" in ref ? d.imageTags?.includes(ref.tag) : d.imageDigest === ref.digest));
            return found?.imageDigest && DIGEST_PATTERN.test(found.imageDigest) ? { digest: found.imageDigest } : "missing";
        },
        copyFrom(from, service, digest) {
            const source = `docker://${from.prefix}/${service}@${digest}`;
            const target = `docker://${location.prefix}/${service}:${promotedTag(digest)}`;
            const r = runner("skopeo", ["copy", "--all", "--preserve-digests", "--retry-times", "3", source, target]);
            if (r.status !== 0) throw new Error(`skopeo copy ${source} ${target} failed (exit ${r.status}): ${r.stderr.trim() || "no message"}`);
        },
    };
}
