/**
 * Which service images a push must build for an environment: those whose sources changed since the commit
 * their pinned image was built from (the overlay's newTag is that commit's SHA).
 *
 *   ts-node tools/images-to-build.ts --environment staging [--head <commit>]
 *
 * Comparing with the pinned release rather than with the previous push keeps a run correct when an earlier run
 * failed or was superseded: nothing that changed since the last release is left unbuilt. Output `services`:
 * a JSON list. Needs the full history (checkout with fetch-depth: 0).
 */
import { ENVIRONMENTS } from "../lib/environment";
import { Git, SERVICES_DIR, UsageError, gitIn, listServices, parseOptions, requireOption, resolveEnvironmentOrUsage, runTool, setOutputs } from "./cli-support";
import { readImageTag } from "./overlay-images";

export interface BuildDecision {
    service: string;
    build: boolean;
    reason: string;
}

export function decideBuilds(services: string[], head: string, git: Git, pinnedTag: (service: string) => string | undefined): BuildDecision[] {
    return services.map((service) => {
        const tag = pinnedTag(service);
        if (tag === undefined) return { service, build: true, reason: "no image pinned yet" };
        if (git(["rev-parse", "--verify", "--quiet", `${tag}^{commit}`]) === undefined) {
            return { service, build: true, reason: `pinned tag ${tag} is not a commit of this repository` };
        }
        const diff = git(["diff", "--name-only", tag, head, "--", `${SERVICES_DIR}/${service}/`]);
        if (diff === undefined) throw new Error(`git diff ${tag} ${head} failed`);
        return diff.trim() === ""
            ? { service, build: false, reason: `image ${tag} is current` }
            : { service, build: true, reason: `sources changed since ${tag}` };
    });
}

export const USAGE = `Usage: ts-node tools/images-to-build.ts --environment <${ENVIRONMENTS.join("|")}> [--head <commit>]`;

export function main(argv: string[], git: Git = gitIn(), services: string[] = listServices()): number {
    const { options, positional } = parseOptions(argv, { values: ["environment", "head"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const environment = resolveEnvironmentOrUsage(requireOption(options, "environment"));
    const decisions = decideBuilds(services, options.head ?? "HEAD", git, (s) => readImageTag(s, environment));
    for (const d of decisions) console.error(`${d.service}: ${d.build ? "build" : "skip"} (${d.reason})`);
    setOutputs({ services: JSON.stringify(decisions.filter((d) => d.build).map((d) => d.service)) });
    return 0;
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
