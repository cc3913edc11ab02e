/**
 * Which service images a push must build for an environment: those whose sources changed since the commit
 * their pinned image was built from (the overlay's newTag is that commit's SHA; sources: the service's folder, and
 * apps/services/python-kit for the Python services, see serviceSources), and those whose pinned image is
 * no longer in the environment's ECR repository (staging's repositories go with the environment; the lifecycle
 * policy expires old images).
 *
 *   ts-node ci/images-to-build.ts --environment staging [--head <commit>] [--repository-prefix <ci-context's repository-prefix>]
 *
 * Comparing with the pinned release rather than with the previous push keeps a run correct when an earlier run
 * failed or was superseded: nothing that changed since the last release is left unbuilt. With
 * --repository-prefix, each pin Git considers current is also looked up in ECR (AWS credentials needed);
 * without it, Git alone decides. Output `services`: a JSON list. Needs the full history (checkout with fetch-depth: 0).
 */
import { ENVIRONMENTS } from "../lib/environment";
import { Git, UsageError, gitIn, listServices, parseOptions, requireOption, resolveEnvironmentOrUsage, runTool, serviceSources, setOutputs } from "../lib/cli-support";
import { ImageLookup, ecrImageLookup, parseRepositoryPrefix } from "./ecr-images";
import { readImageTag } from "./overlay-images";

export interface BuildDecision {
    service: string;
    build: boolean;
    reason: string;
}

export function decideBuilds(
    services: string[],
    head: string,
    git: Git,
    pinnedTag: (service: string) => string | undefined,
    image?: ImageLookup,
    sourcesOf: (service: string) => string[] = (s) => serviceSources(s),
): BuildDecision[] {
    return services.map((service) => {
        const tag = pinnedTag(service);
        if (tag === undefined) return { service, build: true, reason: "no image pinned yet" };
        if (git(["rev-parse", "--verify", "--quiet", `${tag}^{commit}`]) === undefined) {
            return { service, build: true, reason: `pinned tag ${tag} is not a commit of this repository` };
        }
        // Its folder, and python-kit/ for a Python service: a change to the shared kit rebuilds the three.
        const diff = git(["diff", "--name-only", tag, head, "--", ...sourcesOf(service)]);
        if (diff === undefined) throw new Error(`git diff ${tag} ${head} failed`);
        if (diff.trim() !== "") return { service, build: true, reason: `sources changed since ${tag}` };
        // Only a pin Git calls current needs the registry: everything else is rebuilt anyway.
        const state = image?.(service, tag);
        if (state === "missing") return { service, build: true, reason: `pinned image ${tag} is missing from ECR` };
        if (state === "no-repository") return { service, build: true, reason: `its ECR repository does not exist (pinned ${tag})` };
        return { service, build: false, reason: `image ${tag} is current${state === "present" ? " and in ECR" : ""}` };
    });
}

export const USAGE = `Usage: ts-node ci/images-to-build.ts --environment <${ENVIRONMENTS.join("|")}> [--head <commit>] [--repository-prefix <account>.dkr.ecr.<region>.amazonaws.com/<name prefix>]`;

export function main(argv: string[], git: Git = gitIn(), services: string[] = listServices(), lookup: typeof ecrImageLookup = ecrImageLookup, log: (line: string) => void = console.error): number {
    const { options, positional } = parseOptions(argv, { values: ["environment", "head", "repository-prefix"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const environment = resolveEnvironmentOrUsage(requireOption(options, "environment"));
    const prefix = options["repository-prefix"];
    const image = prefix === undefined ? undefined : lookup(parseRepositoryPrefix(prefix));
    if (!image) log("ECR not checked (no --repository-prefix): Git alone decides");
    const decisions = decideBuilds(services, options.head ?? "HEAD", git, (s) => readImageTag(s, environment), image);
    for (const d of decisions) log(`${d.service}: ${d.build ? "build" : "skip"} (${d.reason})`);
    setOutputs({ services: JSON.stringify(decisions.filter((d) => d.build).map((d) => d.service)) });
    return 0;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
