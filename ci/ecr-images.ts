/**
 * Whether a pinned image is still in the environment's ECR repository. Staging's repositories are force-deleted
 * with the environment, and the lifecycle policy expires old images: a tag pinned in Git can outlive its image,
 * and ArgoCD would then pull an image that does not exist.
 *
 * Asks `aws ecr describe-images` (the AWS CLI of the runner). In the deploy workflow the aws-account job holds the
 * read-only drift role, narrowed by a session policy to ecr:DescribeImages on this environment's repositories.
 */
import { AwsCli, awsCli } from "../lib/aws-cli";
import { UsageError } from "../lib/cli-support";

export type { AwsCli };
export { awsCli };

export type ImageState = "present" | "missing" | "no-repository";
export type ImageLookup = (service: string, tag: string) => ImageState;

/** The ECR coordinates of `<account>.dkr.ecr.<region>.amazonaws.com/<namePrefix>` (ci-context's repository-prefix). */
export interface EcrLocation {
    accountId: string;
    region: string;
    namePrefix: string;
}

const PREFIX_PATTERN = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/([a-z0-9]+(?:[._-][a-z0-9]+)*)$/;

export function parseRepositoryPrefix(prefix: string): EcrLocation {
    const m = PREFIX_PATTERN.exec(prefix);
    if (!m) {
        throw new UsageError(`--repository-prefix ${JSON.stringify(prefix)}: allowed <12-digit account>.dkr.ecr.<region>.amazonaws.com/<name prefix> (ci-context's repository-prefix)`);
    }
    return { accountId: m[1], region: m[2], namePrefix: m[3] };
}

/**
 * A lookup of `<namePrefix>/<service>:<tag>` in the location's registry. A missing image or repository is an
 * answer; any other failure (no credentials, access denied) throws: guessing would either rebuild everything or,
 * worse, release a pin whose image is gone.
 */
export function ecrImageLookup(location: EcrLocation, aws: AwsCli = awsCli): ImageLookup {
    return (service, tag) => {
        const repository = `${location.namePrefix}/${service}`;
        const r = aws([
            "ecr", "describe-images",
            "--registry-id", location.accountId,
            "--region", location.region,
            "--repository-name", repository,
            "--image-ids", `imageTag=${tag}`,
            "--output", "json",
        ]);
        if (r.status !== 0) {
            if (/ImageNotFoundException/.test(r.stderr)) return "missing";
            if (/RepositoryNotFoundException/.test(r.stderr)) return "no-repository";
            throw new Error(`aws ecr describe-images of ${repository}:${tag} failed (exit ${r.status}): ${r.stderr.trim() || "no message"}`);
        }
        const details = (JSON.parse(r.stdout || "{}").imageDetails ?? []) as { imageTags?: string[] }[];
        return details.some((d) => d.imageTags?.includes(tag)) ? "present" : "missing";
    };
}
