/**
 * The Kubernetes upgrade of one environment, one minor version at a time:
 *
 *   npm run upgrade -- <environment> --to <minor> --dry-run [--json] [--from <minor>]
 *   npm run upgrade -- <environment> --to <minor> [--from <minor>]
 *
 * The dry run prints the plan, in the order the deploy applies it: the control plane, then the EKS add-ons to
 * their versions of infra/versions.ts (vpc-cni and kube-proxy before the nodes roll, the others after), then the
 * node groups onto the new version's AMI, then the charts that follow the Kubernetes version (the cluster
 * autoscaler's image, platform/addons/cluster-autoscaler.ts). Without --dry-run it also writes the new
 * infra:kubernetesVersion into Pulumi.<environment>.yaml, for a reviewed pull request: CI previews and deploys it.
 *
 * `--from` defaults to the settings file's version (what CI deployed from it). It refuses what the program refuses
 * (infra/settings.ts kubernetesVersionChangeProblem: a skipped minor version, a downgrade) and a target outside
 * EKS standard support on today (lib/today.ts, supportStatus), naming what is allowed.
 * Exit codes: 0 planned (or written), 2 refused or a wrong command line.
 */
import * as fs from "fs";
import { Scalar, YAMLMap, isMap, isScalar, parseDocument } from "yaml";
import { Environment, ENVIRONMENTS, REPO_ROOT, settingsFilePath } from "../lib/environment";
import { INSTANCE_TYPES } from "../lib/instance-types";
import { UsageError, parseOptions, requireOption, resolveEnvironmentOrUsage, runTool } from "../lib/cli-support";
import { settingsFileSource } from "../lib/settings-file";
import { today as todayInput } from "../lib/today";
import { NETWORK_ADDONS } from "../infra/addons";
import { InfraSettings, kubernetesVersionChangeProblem, loadInfraSettings } from "../infra/settings";
import { ADDON_NAMES, DEFAULT_KUBERNETES_VERSION, knownKubernetesVersions, minorOf, nextMinor, supportStatus, supportedKubernetesVersions } from "../infra/versions";
import { IMAGE_TAGS, imageTag } from "../platform/addons/cluster-autoscaler";

export const USAGE = [
    "Usage:",
    "  npm run upgrade -- <environment> --to <minor> --dry-run [--json] [--from <minor>]",
    "  npm run upgrade -- <environment> --to <minor> [--from <minor>]     (writes infra:kubernetesVersion into Pulumi.<environment>.yaml)",
    `Environments: ${ENVIRONMENTS.join(", ")}. --from defaults to the settings file's infra:kubernetesVersion.`,
].join("\n");

export interface Change {
    name: string;
    from: string;
    to: string;
}

export interface UpgradeStep {
    id: "control-plane" | "add-ons" | "node-groups" | "charts";
    title: string;
    changes: Change[];
    detail: string[];
}

export interface UpgradePlan {
    environment: Environment;
    from: string;
    to: string;
    clusterName: string;
    today: string;
    endOfStandardSupport: string;
    steps: UpgradeStep[];
    warnings: string[];
    /** How the plan is applied and checked. */
    next: string[];
}

/** An upgrade the program would refuse: exit 2 with what is allowed. */
export class UpgradeRefused extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UpgradeRefused";
    }
}

export interface UpgradeInput {
    environment: Environment;
    to: string;
    from?: string;
    today: string;
    root: string;
}

const settingsWith = (input: UpgradeInput, version: string, deployed?: string): InfraSettings =>
    loadInfraSettings(input.environment, {
        source: settingsFileSource(input.environment, input.root, { "infra:kubernetesVersion": version }),
        today: input.today,
        dryRun: true,
        deployedKubernetesVersion: deployed,
    });

/** The version the settings file holds (or the release's default): what CI deployed from it. */
export function settingsVersion(environment: Environment, root: string): string {
    return settingsFileSource(environment, root).get("infra:kubernetesVersion") ?? DEFAULT_KUBERNETES_VERSION;
}

export function upgradePlan(input: UpgradeInput): UpgradePlan {
    const { environment, to, today } = input;
    const from = input.from ?? settingsVersion(environment, input.root);
    const supported = supportedKubernetesVersions(today);
    const next = nextMinor(from);
    const allowed = supported.includes(next)
        ? `from ${from} the one upgrade allowed is ${next} (EKS standard support on ${today}: ${supported.join(", ")})`
        : `no upgrade from ${from}: ${next} is not a version this release knows in EKS standard support on ${today} (${supported.join(", ") || "none"}): update infra/versions.ts`;
    const status = supportStatus(to, today);
    if (!status) throw new UpgradeRefused(`--to ${to}: this release knows ${knownKubernetesVersions().join(", ")}; ${allowed}.`);
    if (status.phase === "ended") throw new UpgradeRefused(`--to ${to}: it left EKS standard support on ${status.endOfStandardSupport} (extended support bills 6x the control plane); ${allowed}.`);
    const change = kubernetesVersionChangeProblem(from, to, environment);
    if (change) throw new UpgradeRefused(`--to ${to} from ${from}: allowed ${change.allowed}.`);
    if (!(minorOf(to)! > minorOf(from)!)) throw new UpgradeRefused(`--to ${to}: ${environment} already runs ${from}; ${allowed}.`);
    if (!(to in IMAGE_TAGS)) throw new UpgradeRefused(`--to ${to}: no cluster-autoscaler image is pinned for it (platform/addons/cluster-autoscaler.ts knows ${Object.keys(IMAGE_TAGS).join(", ")}): add it first.`);

    const target = settingsWith(input, to, from);
    let before: InfraSettings | undefined;
    try {
        before = settingsWith(input, from);
    } catch {
        // A version this release no longer knows: its add-on versions are not in the table.
    }
    const warnings: string[] = [...target.warnings];
    const overrides = settingsFileSource(environment, input.root).get("infra:addonVersions");
    if (overrides) warnings.push(`infra:addonVersions overrides ${Object.keys(JSON.parse(overrides)).join(", ")}: they stay as set; check each supports Kubernetes ${to} (aws eks describe-addon-versions --kubernetes-version ${to} --addon-name <name>).`);

    const cluster = target.namePrefix;
    const arch = INSTANCE_TYPES[target.nodeGroup.instanceTypes[0]]?.architecture ?? "x86_64";
    const addon = (name: (typeof ADDON_NAMES)[number]): Change => ({ name, from: before?.addonVersions[name] ?? "(not in this release's table)", to: target.addonVersions[name] });
    const later = ADDON_NAMES.filter((n) => !NETWORK_ADDONS.includes(n));
    const steps: UpgradeStep[] = [
        {
            id: "control-plane",
            title: `control plane ${from} -> ${to}`,
            changes: [{ name: "infra:kubernetesVersion", from, to }],
            detail: [
                `pulumi up of infra updates the EKS control plane of ${cluster} first (EKS takes 10 to 25 minutes; the AWS provider waits up to 60)`,
                `before: the cluster's upgrade insights (APIs ${to} removes that something still calls): aws eks list-insights --region ${target.region} --cluster-name ${cluster} --filter categories=UPGRADE_READINESS`,
            ],
        },
        {
            id: "add-ons",
            title: "EKS add-ons to their versions for the new Kubernetes version (infra/versions.ts)",
            changes: ADDON_NAMES.map(addon),
            detail: [`${NETWORK_ADDONS.join(" and ")} update before the node groups roll, ${later.join(", ")} after them (the program's dependency order)`],
        },
        {
            id: "node-groups",
            title: `node groups onto ${to}: ${target.availabilityZoneCount} group(s), one per AZ`,
            changes: [{ name: "aws:eks/nodeGroup version", from, to }],
            detail: [
                `each group moves to EKS's newest Amazon Linux 2023 (${arch}) AMI release for ${to}, one node at a time (maxUnavailable 1), draining each node within its pods' disruption budgets`,
                `that release: aws ssm get-parameter --region ${target.region} --name /aws/service/eks/optimized-ami/${to}/amazon-linux-2023/${arch}/standard/recommended/release_version --query Parameter.Value --output text`,
                "the nodes never run newer than the control plane: they follow it in the same update",
            ],
        },
        {
            id: "charts",
            title: "charts that follow the Kubernetes version (pulumi up of platform, after infra)",
            changes: [{ name: "cluster-autoscaler image", from: IMAGE_TAGS[from] ?? "(not pinned)", to: imageTag(to) }],
            detail: ["the cluster autoscaler's image matches the Kubernetes minor version (platform/addons/cluster-autoscaler.ts); the other charts do not depend on it"],
        },
    ];
    const file = `Pulumi.${environment}.yaml`;
    return {
        environment,
        from,
        to,
        clusterName: cluster,
        today,
        endOfStandardSupport: status.endOfStandardSupport,
        steps,
        warnings: [...warnings, ...(status.phase === "ending" ? [`${to} itself leaves standard support on ${status.endOfStandardSupport} (in ${status.daysLeft} days): plan the next upgrade.`] : [])],
        next: [
            `set infra:kubernetesVersion: "${to}" in ${file} (npm run upgrade -- ${environment} --to ${to} writes it) and open a pull request to ${environment}: its preview shows these changes`,
            `merging deploys infra, then platform (the deploy job's timeout covers the program's waits: tools/timeouts.ts)`,
            `then check: kubectl get nodes (every node at v${to}), aws eks describe-cluster --name ${cluster} --query cluster.version`,
            `the next minor version is another run of this, once ${to} is deployed`,
        ],
    };
}

export function formatPlan(plan: UpgradePlan): string {
    const lines = [`Upgrade of ${plan.environment} (cluster ${plan.clusterName}) from Kubernetes ${plan.from} to ${plan.to} (standard support until ${plan.endOfStandardSupport}), in this order:`];
    plan.steps.forEach((step, i) => {
        lines.push(`  ${i + 1}. ${step.title}`);
        const width = Math.max(...step.changes.map((c) => c.name.length));
        for (const c of step.changes) lines.push(`       ${c.name.padEnd(width)}  ${c.from} -> ${c.to}${c.from === c.to ? "  (unchanged)" : ""}`);
        for (const d of step.detail) lines.push(`       ${d}`);
    });
    if (plan.warnings.length > 0) lines.push("Warnings:", ...plan.warnings.map((w) => `  - ${w}`));
    lines.push("Then:", ...plan.next.map((n) => `  - ${n}`));
    return lines.join("\n");
}

/** Writes infra:kubernetesVersion into the settings file, keeping its comments and layout (quoted: 1.30 is not 1.3). */
export function writeVersion(environment: Environment, version: string, root: string): string {
    const file = settingsFilePath(environment, root);
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    const config = doc.get("config");
    if (!isMap(config)) throw new Error(`${file}: no config: map`);
    const value = new Scalar(version);
    value.type = Scalar.QUOTE_DOUBLE;
    const map = config as YAMLMap;
    const existing = map.items.find((p) => isScalar(p.key) && p.key.value === "infra:kubernetesVersion");
    if (existing) existing.value = value;
    else {
        // After the last infra: key, so it stays in the infra section.
        const last = map.items.reduce((at, p, i) => (isScalar(p.key) && String(p.key.value).startsWith("infra:") ? i : at), -1);
        map.items.splice(last + 1, 0, doc.createPair("infra:kubernetesVersion", value));
    }
    fs.writeFileSync(file, doc.toString());
    return file;
}

export interface UpgradeDeps {
    root: string;
    env: NodeJS.ProcessEnv;
    out(text: string): void;
    err(text: string): void;
}

export function main(argv: string[], deps: UpgradeDeps = { root: REPO_ROOT, env: process.env, out: (t) => console.log(t), err: (t) => console.error(t) }): number {
    try {
        const { options, flags, positional } = parseOptions(argv, { values: ["to", "from"], flags: ["dry-run", "json"] });
        if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "which environment?" : `one environment, got ${positional.join(" ")}`);
        const environment = resolveEnvironmentOrUsage(positional[0], deps.root) as Environment;
        const to = requireOption(options, "to");
        for (const [name, value] of [["to", to], ["from", options.from]] as const) {
            if (value !== undefined && minorOf(value) === undefined) throw new UsageError(`--${name} ${JSON.stringify(value)}: allowed a Kubernetes minor version such as 1.36`);
        }
        if (flags.has("json") && !flags.has("dry-run")) throw new UsageError("--json goes with --dry-run");
        const plan = upgradePlan({ environment, to, from: options.from, today: todayInput(deps.env), root: deps.root });
        deps.out(flags.has("json") ? JSON.stringify(plan, null, 2) : formatPlan(plan));
        if (!flags.has("dry-run")) deps.out(`\nWrote infra:kubernetesVersion: "${to}" into ${writeVersion(environment, to, deps.root)}: commit it and open a pull request to ${environment}.`);
        return 0;
    } catch (error) {
        if (error instanceof UpgradeRefused || error instanceof UsageError || (error as Error).name === "SettingsError") {
            deps.err(`Refused: ${(error as Error).message}${error instanceof UsageError ? `\n\n${USAGE}` : ""}`);
            return 2;
        }
        throw error;
    }
}

if (require.main === module) runTool(USAGE, () => main(process.argv.slice(2)));
