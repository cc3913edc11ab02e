/**
 * What CI does for a push, and the release step it runs: the one place of the delivery's decisions (ci/delivery.ts).
 *
 *   npm run -s delivery -- <staging|production> --base <ref> --head <ref> [--registry <repository prefix>]
 *                          [--rebuild <service,...|all>] [--all-layers]
 *   npm run -s delivery -- pin <staging|production> <service>=<tag-or-digest>... [--registry <prefix>] [--copy-from <prefix>]
 *   npm run -s delivery -- record staging --revision <commit>
 *
 * The first form prints one JSON document: `layers` (the Pulumi layers CI runs `up` on, in order), `build` (the
 * services whose images this push builds), `images` (what each workload's overlay pins at --head: what ArgoCD
 * will run), `promote` (production: the staging digests it pins), `sources` (the commit each build is from, its
 * tag) and `verify` (whether CI then waits for ArgoCD and checks health). Findings go to stderr; an error (an
 * untested production pin, a pinned image missing from --registry) exits 1. In a workflow the same values are
 * step outputs, plus `release` (the pin arguments), `deploy` (whether the environment's deploy job has work) and
 * `record` (whether a passed verification is recorded: staging's, what production promotes from).
 * `pin` writes digest pins into the overlays (a tag is resolved to its digest in --registry; production takes
 * only digests staging verified) and prints the release commit's message. `record` tags a commit staging verified.
 * Exit codes: 0 done, 1 refused or failed, 2 wrong command line.
 */
import * as fs from "fs";
import { ENVIRONMENTS, Environment, REPO_ROOT } from "../lib/environment";
import { Git, UsageError, gitIn, listServices, parseOptions, requireOption, resolveEnvironmentOrUsage, runTool, setOutputs } from "../lib/cli-support";
import { Decision, Finding, decide, parsePinArgs, pin, record } from "../ci/delivery";
import { isPromotedFrom } from "../ci/records";
import { Registry, RegistryLocation, ecrRegistry, parseRepositoryPrefix } from "../ci/registry";

const ENVS = ENVIRONMENTS.join("|");
export const USAGE = `Usage:
  npm run -s delivery -- <${ENVS}> --base <ref> --head <ref> [--registry <account>.dkr.ecr.<region>.amazonaws.com/<prefix>] [--rebuild <service,...|all>] [--all-layers]
  npm run -s delivery -- pin <${ENVS}> <service>=<tag-or-digest>... [--registry <prefix>] [--copy-from <prefix>]
  npm run -s delivery -- record staging --revision <commit>`;

export interface DeliveryDeps {
    root: string;
    git: Git;
    registry(location: RegistryLocation): Registry;
    out(text: string): void;
    err(text: string): void;
    env: NodeJS.ProcessEnv;
}

export const defaultDeps: DeliveryDeps = {
    root: REPO_ROOT,
    git: gitIn(REPO_ROOT),
    registry: (location) => ecrRegistry(location),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
};

function environmentArg(name: string | undefined, root: string): Environment {
    if (!name) throw new UsageError("the environment is required");
    return resolveEnvironmentOrUsage(name, root) as Environment;
}

function rebuildList(value: string | undefined, root: string): string[] | undefined {
    if (value === undefined || value.trim() === "") return undefined;
    if (value.trim() === "all") return listServices(root);
    return value.split(/[\s,]+/).filter(Boolean);
}

/** What the release step pins: `<service>=<ref>` per build (its source tag) or promotion (its digest). */
export function releaseArgs(d: Decision): string[] {
    return [...d.build.map((s) => `${s}=${d.sources[s]}`), ...Object.entries(d.promote).map(([s, digest]) => `${s}=${digest}`)];
}

function summary(d: Decision, findings: Finding[]): string {
    const list = (xs: string[]) => (xs.length ? xs.map((x) => `\`${x}\``).join(", ") : "none");
    const lines = [
        `### Delivery to ${d.environment}`,
        "",
        `- Pulumi layers: ${list(d.layers)}`,
        `- images built: ${list(d.build)}`,
        ...(Object.keys(d.promote).length ? [`- promoted from staging: ${list(Object.entries(d.promote).map(([s, g]) => `${s}@${g}`))}`] : []),
        `- verified afterwards: ${d.verify ? "yes" : d.releasePush ? "no: this is the release commit of the run that pushed it, which verifies it" : "no (nothing that runs changed)"}`,
        "",
        "| workload | pinned at this commit |",
        "|---|---|",
        ...Object.entries(d.images).map(([w, ref]) => `| ${w} | \`${ref}\` |`),
    ];
    if (findings.length) lines.push("", ...findings.map((f) => `- **${f.level}**${f.service ? ` ${f.service}` : ""}: ${f.message}`));
    return lines.join("\n") + "\n";
}

function decideCommand(argv: string[], deps: DeliveryDeps): number {
    const { options, flags, positional } = parseOptions(argv, { values: ["base", "head", "registry", "rebuild"], flags: ["all-layers"] });
    if (positional.length > 1) throw new UsageError(`unexpected argument ${positional[1]}`);
    const environment = environmentArg(positional[0], deps.root);
    const { decision, findings } = decide({
        environment,
        base: requireOption(options, "base"),
        head: requireOption(options, "head"),
        git: deps.git,
        root: deps.root,
        registry: options.registry === undefined ? undefined : deps.registry(parseRepositoryPrefix(options.registry)),
        rebuild: rebuildList(options.rebuild, deps.root),
        allLayers: flags.has("all-layers"),
    });
    for (const f of findings) deps.err(`${f.level}: ${f.service ? `${f.service}: ` : ""}${f.message}\n`);
    const { layers, build, images, promote, sources, verify } = decision;
    deps.out(JSON.stringify({ layers, build, images, promote, sources, verify }, null, 2) + "\n");
    if (deps.env.GITHUB_OUTPUT) {
        const release = releaseArgs(decision);
        setOutputs(
            {
                layers: JSON.stringify(layers),
                build: JSON.stringify(build),
                sources: JSON.stringify(sources),
                images: JSON.stringify(images),
                promote: JSON.stringify(promote),
                release: release.join(" "),
                deploy: String(layers.length > 0 || release.length > 0),
                verify: String(verify),
                record: String(verify && isPromotedFrom(environment)),
            },
            deps.env.GITHUB_OUTPUT,
        );
    }
    if (deps.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(deps.env.GITHUB_STEP_SUMMARY, summary(decision, findings));
    return findings.some((f) => f.level === "error") ? 1 : 0;
}

function pinCommand(argv: string[], deps: DeliveryDeps): number {
    const { options, positional } = parseOptions(argv, { values: ["registry", "copy-from"] });
    const environment = environmentArg(positional[0], deps.root);
    const requests = parsePinArgs(positional.slice(1), listServices(deps.root));
    if (options["copy-from"] !== undefined && options.registry === undefined) throw new UsageError("--copy-from needs --registry (where the images are copied to)");
    const result = pin({
        environment,
        requests,
        root: deps.root,
        git: deps.git,
        registry: options.registry === undefined ? undefined : deps.registry(parseRepositoryPrefix(options.registry)),
        copyFrom: options["copy-from"] === undefined ? undefined : parseRepositoryPrefix(options["copy-from"], "--copy-from"),
        log: (line) => deps.err(`${line}\n`),
    });
    if (deps.env.GITHUB_OUTPUT) setOutputs({ files: result.files.join(" "), message: result.message.trimEnd() }, deps.env.GITHUB_OUTPUT);
    else deps.out(result.message);
    return 0;
}

function recordCommand(argv: string[], deps: DeliveryDeps): number {
    const { options, positional } = parseOptions(argv, { values: ["revision"] });
    if (positional.length > 1) throw new UsageError(`unexpected argument ${positional[1]}`);
    const ref = record(deps.git, environmentArg(positional[0], deps.root), requireOption(options, "revision"));
    if (deps.env.GITHUB_OUTPUT) setOutputs({ tag: ref }, deps.env.GITHUB_OUTPUT);
    deps.out(`${ref}\n`);
    return 0;
}

export function main(argv: string[], deps: DeliveryDeps = defaultDeps): number {
    const [command, ...rest] = argv;
    if (command === "pin") return pinCommand(rest, deps);
    if (command === "record") return recordCommand(rest, deps);
    return decideCommand(argv, deps);
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
