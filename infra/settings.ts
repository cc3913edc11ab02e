/**
 * The infra layer's settings: `infra:*` (and `aws:region`) in Pulumi.<env>.yaml, with per-environment
 * defaults in code. `loadInfraSettings` validates everything before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { Environment, PROMOTES_FROM, promotesTo } from "../lib/environment";
import { isValidCidr, overlaps, parseCidr, size } from "../lib/cidr";
import { AWS_DEFAULT_CPU_CREDITS, INSTANCE_TYPES } from "../lib/instance-types";
import { SettingsProblem, SettingsReader, SettingsSource, pulumiSettingsSource } from "../lib/settings";
import { EXTRA_TAGS_ALLOWED, isValidExtraTag } from "../lib/tags";
import { today as todayInput } from "../lib/today";
import { ADDON_NAMES, AddonName, DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS, knownKubernetesVersions, minorOf, nextMinor, supportStatus, supportedKubernetesVersions } from "./versions";
import { WORKLOAD_NAMES, WORKLOADS } from "../lib/catalogue";
import { creditConflicts, creditDefaults } from "./credit-defaults";

/** Free-tier-eligible EC2 types (accounts created after 2025-07-15); "eligible" still spends credits. */
export const FREE_TIER_INSTANCE_TYPES = ["t3.micro", "t3.small", "t4g.micro", "t4g.small", "t8i.micro", "t8i.small", "c7i-flex.large", "m7i-flex.large"];
export const PRODUCTION_INSTANCE_TYPES = ["t3.small", "t3.medium"];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Control-plane log types; the first three are required (who did what, and how they authenticated). */
export const CLUSTER_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
export const REQUIRED_CLUSTER_LOG_TYPES = ["api", "audit", "authenticator"];

export type NatGatewayStrategy = "Single" | "OnePerAz";
export type CapacityType = "ON_DEMAND" | "SPOT";

/** One managed node group is created per availability zone with these sizes (so each AZ keeps its nodes). */
export interface NodeGroupSettings {
    instanceTypes: string[];
    /** Per availability zone. */
    minSize: number;
    desiredSize: number;
    maxSize: number;
    diskSizeGiB: number;
    capacityType: CapacityType;
    /**
     * CPU credits of burstable (t3/t4g) nodes: `standard` throttles at the baseline, `unlimited` bursts and bills the
     * surplus (per vCPU-hour). Ignored for other families.
     */
    cpuCredits: CpuCredits;
}

export type CpuCredits = "standard" | "unlimited";

/**
 * The other end of the image promotion (production copies what staging verified from staging's registry): the
 * account it lives in, when another, and its name prefix. Production reads staging's repositories
 * (`infra:promotionSource`); staging's repositories let production's deploy role read them when production is in
 * another account (`infra:promotionTarget`).
 */
export interface PromotionPeer {
    /** The other environment's account; undefined: this account (a shared account, no repository policy needed). */
    accountId?: string;
    /** Its `<project>-<environment>`. */
    namePrefix: string;
}

export const GITHUB_PROVIDER_MODES = ["auto", "create", "existing"] as const;
export type GithubProviderMode = (typeof GITHUB_PROVIDER_MODES)[number];

export interface InfraSettings {
    /** Valid settings a person should act on (a Kubernetes version leaving support); index.ts reports them. */
    warnings: string[];
    environment: Environment;
    /** Short project name; resources are named `<project>-<environment>-...`. */
    project: string;
    namePrefix: string;
    region: string;
    vpcCidr: string;
    availabilityZoneCount: number;
    /** AZs the node groups run in (the first ones of the VPC): the cluster's subnets still span every AZ. */
    nodeAvailabilityZoneCount: number;
    natGatewayStrategy: NatGatewayStrategy;
    publicSubnetMask: number;
    privateSubnetMask: number;
    /** Kubernetes service CIDR; must not overlap the VPC. */
    serviceCidr: string;
    flowLogRetentionDays: number;
    kubernetesVersion: string;
    clusterLogTypes: string[];
    clusterLogRetentionDays: number;
    /** CIDRs allowed to reach the public API endpoint; empty turns the public endpoint off. */
    endpointPublicAccessCidrs: string[];
    /** IAM principals (roles or users) given cluster-admin access entries. */
    adminPrincipalArns: string[];
    nodeGroup: NodeGroupSettings;
    allowedInstanceTypes: string[];
    addonVersions: Record<AddonName, string>;
    ecrRepositories: string[];
    ecrKeepImages: number;
    githubRepository: string;
    /**
     * Who owns the account's GitHub OIDC provider (one per account): `auto` creates it unless another stack's is
     * there, `create` always creates it, `existing` always reuses it (github-ci.ts).
     */
    githubOidcProvider: GithubProviderMode;
    /** Production: staging's registry, whose images it promotes (read-only). Undefined in an environment that promotes nothing. */
    promotionSource?: PromotionPeer;
    /** Staging: production, which promotes its images. Undefined in an environment nobody promotes from. */
    promotionTarget?: PromotionPeer;
    protect: boolean;
    tags: Record<string, string>;
}

interface EnvironmentDefaults {
    availabilityZoneCount: number;
    /** Undefined: every AZ of the VPC. */
    nodeAvailabilityZoneCount?: number;
    natGatewayStrategy: NatGatewayStrategy;
    flowLogRetentionDays: number;
    clusterLogRetentionDays: number;
    nodeGroup: NodeGroupSettings;
    allowedInstanceTypes: string[];
}

export const ENVIRONMENT_DEFAULTS: Record<Environment, EnvironmentDefaults> = {
    staging: {
        availabilityZoneCount: 2,
        // Nodes in one AZ (cost; EBS volumes and the NAT gateway are there too). EKS needs subnets in two AZs for
        // the control plane, and the ALB in two public subnets: the VPC keeps two.
        nodeAvailabilityZoneCount: 1,
        natGatewayStrategy: "Single",
        flowLogRetentionDays: 14,
        clusterLogRetentionDays: 14,
        // Standard credits: a free-tier staging never bills CPU bursts; production bursts rather than throttles.
        // Three t3.small in the one node AZ: what every pod requests fits with 15 % to spare (tools/capacity.ts).
        nodeGroup: { instanceTypes: ["t3.small"], minSize: 1, desiredSize: 3, maxSize: 4, diskSizeGiB: 20, capacityType: "ON_DEMAND", cpuCredits: "standard" },
        allowedInstanceTypes: FREE_TIER_INSTANCE_TYPES,
    },
    production: {
        availabilityZoneCount: 3,
        natGatewayStrategy: "OnePerAz",
        flowLogRetentionDays: 90,
        clusterLogRetentionDays: 90,
        nodeGroup: { instanceTypes: ["t3.medium"], minSize: 1, desiredSize: 2, maxSize: 4, diskSizeGiB: 40, capacityType: "ON_DEMAND", cpuCredits: "unlimited" },
        allowedInstanceTypes: PRODUCTION_INSTANCE_TYPES,
    },
};

/** One repository per image the workload catalogue builds (lib/catalogue.ts: the workloads with an ECR image). */
const DEFAULT_ECR_REPOSITORIES = [...new Set(WORKLOAD_NAMES.flatMap((n) => (WORKLOADS[n].ecrImage ? [WORKLOADS[n].ecrImage!] : [])))];

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const PRINCIPAL_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const ADDON_VERSION_PATTERN = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;
const REPOSITORY_NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** The repository named in the committed settings files: a fork must name its own before deploying. */
export const TEMPLATE_GITHUB_REPOSITORY = "acme-platform/eks-gitops-platform";

export interface LoadOptions {
    source?: SettingsSource;
    /** True for `pulumi preview`; a deployment (`pulumi up`) refuses the template's placeholder repository. */
    dryRun?: boolean;
    /** ISO date used to decide which Kubernetes versions are in standard support (default: lib/today). */
    today?: string;
    /**
     * The version the cluster runs (the stack's output `kubernetesVersion`), when the caller knows it: a change of
     * infra:kubernetesVersion is then checked against it ({@link kubernetesVersionChangeProblem}). The program learns
     * it from its own stack's previous outputs (infra/deployed-version.ts); the upgrade tool from the command line.
     */
    deployedKubernetesVersion?: string;
    /**
     * The settings of the environment at the other end of the promotion (Pulumi.<env>.yaml of the checkout), to
     * compare what both set account-wide when they share an account: the nodes' CPU-credit defaults. Without it,
     * nothing is compared.
     */
    peer?: SettingsSource;
}

export function loadInfraSettings(environment: Environment, options: LoadOptions = {}): InfraSettings {
    const source = options.source ?? pulumiSettingsSource();
    const today = options.today ?? todayInput();
    const dryRun = options.dryRun ?? pulumi.runtime.isDryRun();
    const r = new SettingsReader("infra", source);
    const d = ENVIRONMENT_DEFAULTS[environment];

    const region = r.awsRegion();

    const project = r.string("project", "gitops", "2 to 20 lowercase letters, digits and dashes, starting with a letter", (v) => NAME_PATTERN.test(v));

    const vpcCidr = r.string("vpcCidr", "10.0.0.0/16", "an IPv4 CIDR from /16 to /24 in a private range (10/8, 172.16/12, 192.168/16)", (v) => {
        const c = parseCidr(v);
        return c !== undefined && c.prefix >= 16 && c.prefix <= 24 && isPrivate(v);
    });
    const availabilityZoneCount = r.int("availabilityZoneCount", d.availabilityZoneCount, 2, 6);
    const nodeAvailabilityZoneCount = readNodeAvailabilityZoneCount(r, environment, d, availabilityZoneCount);
    const natGatewayStrategy = r.oneOf<NatGatewayStrategy>("natGatewayStrategy", ["Single", "OnePerAz"], d.natGatewayStrategy);
    const publicSubnetMask = r.int("publicSubnetMask", 24, 16, 28);
    const privateSubnetMask = r.int("privateSubnetMask", 19, 16, 28);
    const serviceCidr = r.string("serviceCidr", "172.20.0.0/16", "an IPv4 CIDR from /12 to /24 in 10/8, 172.16/12 or 192.168/16", (v) => {
        const c = parseCidr(v);
        return c !== undefined && c.prefix >= 12 && c.prefix <= 24 && isPrivate(v);
    });
    checkSubnetLayout(r, vpcCidr, serviceCidr, availabilityZoneCount, publicSubnetMask, privateSubnetMask);

    const flowLogRetentionDays = retention(r, "flowLogRetentionDays", d.flowLogRetentionDays);

    const kubernetesVersion = readKubernetesVersion(r, source, today, dryRun);
    const versionChange = kubernetesVersionChangeProblem(options.deployedKubernetesVersion, kubernetesVersion, environment);
    if (versionChange) r.fail("kubernetesVersion", versionChange.value, versionChange.allowed);
    const clusterLogTypes = r.stringList(
        "clusterLogTypes",
        [...CLUSTER_LOG_TYPES],
        `a list of ${CLUSTER_LOG_TYPES.join(", ")} that includes ${REQUIRED_CLUSTER_LOG_TYPES.join(", ")}`,
        (v) => (CLUSTER_LOG_TYPES as readonly string[]).includes(v),
    );
    if (!REQUIRED_CLUSTER_LOG_TYPES.every((t) => clusterLogTypes.includes(t))) {
        r.fail("clusterLogTypes", clusterLogTypes, `a list that includes ${REQUIRED_CLUSTER_LOG_TYPES.join(", ")}`);
    }
    const clusterLogRetentionDays = retention(r, "clusterLogRetentionDays", d.clusterLogRetentionDays);
    const endpointPublicAccessCidrs = r.stringList(
        "endpointPublicAccessCidrs",
        [],
        "a list of at most 40 IPv4 CIDRs, each /8 or narrower (an empty list turns the public endpoint off)",
        (v) => isValidCidr(v) && parseCidr(v)!.prefix >= 8,
    );
    // EKS takes at most 40 CIDRs; with /8 or narrower they cannot add up to the whole internet.
    if (endpointPublicAccessCidrs.length > 40) {
        r.fail("endpointPublicAccessCidrs", endpointPublicAccessCidrs, "a list of at most 40 IPv4 CIDRs (the EKS limit)");
    }
    const adminPrincipalArns = r.stringList(
        "adminPrincipalArns",
        [],
        "a list of IAM role or user ARNs (arn:aws:iam::<account>:role/<name>)",
        (v) => PRINCIPAL_ARN_PATTERN.test(v),
    );

    const allowedInstanceTypes = r.stringList(
        "allowedInstanceTypes",
        d.allowedInstanceTypes,
        `a list of instance types this project can size (${Object.keys(INSTANCE_TYPES).join(", ")})`,
        (v) => v in INSTANCE_TYPES,
    );
    const nodeGroup = readNodeGroup(r, environment, d.nodeGroup, allowedInstanceTypes, nodeAvailabilityZoneCount);

    const addonVersions = readAddonVersions(r, kubernetesVersion);

    const ecrRepositories = r.stringList(
        "ecrRepositories",
        DEFAULT_ECR_REPOSITORIES,
        "a list of repository names (lowercase letters, digits, and . _ - between them)",
        (v) => REPOSITORY_NAME_PATTERN.test(v),
    );
    const ecrKeepImages = r.int("ecrKeepImages", 5, 1, 1000);
    const githubRepository = r.requiredString(
        "githubRepository",
        "the GitHub repository that runs CI, as owner/name (required: CI's identity trusts only this repository)",
        (v) => GITHUB_REPOSITORY_PATTERN.test(v),
    );
    if (!dryRun && githubRepository === TEMPLATE_GITHUB_REPOSITORY) {
        r.fail("githubRepository", githubRepository, "your own repository (owner/name) before deploying: CI's roles would trust the template's placeholder");
    }
    const githubOidcProvider = r.oneOf<GithubProviderMode>("githubOidcProvider", GITHUB_PROVIDER_MODES, "auto");
    const promotionSource = readPromotionPeer(r, "promotionSource", environment, PROMOTES_FROM[environment], project);
    const promotionTarget = readPromotionPeer(r, "promotionTarget", environment, promotesTo(environment), project);
    // The other end of the promotion in this account: what both set account-wide is compared.
    const peerEnd = promotionSource ?? promotionTarget;
    warnCredits(r, environment, region!, nodeGroup, peerEnd !== undefined && peerEnd.accountId === undefined ? options.peer : undefined, today);
    const protect = r.bool("protect", environment === "production");
    const tags = r.stringMap("tags", {}, isValidExtraTag, EXTRA_TAGS_ALLOWED);

    const warnings = r.finish();

    return {
        warnings,
        environment,
        project,
        namePrefix: `${project}-${environment}`,
        region: region!,
        vpcCidr,
        availabilityZoneCount,
        nodeAvailabilityZoneCount,
        natGatewayStrategy,
        publicSubnetMask,
        privateSubnetMask,
        serviceCidr,
        flowLogRetentionDays,
        kubernetesVersion,
        clusterLogTypes,
        clusterLogRetentionDays,
        endpointPublicAccessCidrs,
        adminPrincipalArns,
        nodeGroup,
        allowedInstanceTypes,
        addonVersions,
        ecrRepositories,
        ecrKeepImages,
        githubRepository,
        githubOidcProvider,
        promotionSource,
        promotionTarget,
        protect,
        tags,
    };
}

const ACCOUNT_PATTERN = /^\d{12}$/;

/**
 * `infra:promotionSource` (where an environment promotes from) or `infra:promotionTarget` (who promotes from it):
 * `{accountId, namePrefix}`, both optional; defaults: this account and `<infra:project>-<the other environment>`.
 * Set only in the environment at that end of the promotion.
 */
function readPromotionPeer(r: SettingsReader, name: "promotionSource" | "promotionTarget", environment: Environment, other: Environment | undefined, project: string): PromotionPeer | undefined {
    const raw = r.object(name);
    if (other === undefined) {
        if (raw !== undefined) {
            const role = name === "promotionSource" ? "promotes images from another environment" : "another environment promotes images from";
            r.fail(name, raw, `no value in ${environment}: only an environment that ${role} has one (${Object.entries(PROMOTES_FROM).filter(([, from]) => from).map(([to, from]) => `${to} promotes from ${from}`).join("; ")})`);
        }
        return undefined;
    }
    const value = raw ?? {};
    r.checkKeys(name, value, ["accountId", "namePrefix"]);
    let accountId: string | undefined;
    if (value.accountId !== undefined) {
        if (typeof value.accountId === "string" && ACCOUNT_PATTERN.test(value.accountId)) accountId = value.accountId;
        else r.fail(`${name}.accountId`, value.accountId, `the 12-digit id of ${other}'s AWS account, as a quoted string ("012345678901"); unset when ${other} is in this account`);
    }
    const fallback = `${project}-${other}`;
    let namePrefix = fallback;
    if (value.namePrefix !== undefined) {
        const projectOf = typeof value.namePrefix === "string" && value.namePrefix.endsWith(`-${other}`) ? value.namePrefix.slice(0, -`-${other}`.length) : undefined;
        if (projectOf !== undefined && NAME_PATTERN.test(projectOf)) namePrefix = value.namePrefix as string;
        else r.fail(`${name}.namePrefix`, value.namePrefix, `${other}'s name prefix, <its infra:project>-${other} (default ${fallback})`);
    }
    if (name === "promotionTarget" && accountId === undefined && value.namePrefix !== undefined) {
        r.fail(`${name}.namePrefix`, value.namePrefix, `only with ${r.key(name)}.accountId: in this account ${other}'s own deploy policy grants its reads, no repository policy names it`);
    }
    return { accountId, namePrefix };
}

/**
 * CPU credits the nodes cannot get, or would impose on the other environment: an account default per family and
 * region (infra/credit-defaults.ts). `peerSource`: the other environment's settings, when both share the account.
 */
function warnCredits(r: SettingsReader, environment: Environment, region: string, nodes: NodeGroupSettings, peerSource: SettingsSource | undefined, today: string): void {
    for (const family of creditDefaults(nodes).unsettable) {
        r.warn(
            "nodeGroup.cpuCredits",
            `${nodes.cpuCredits} cannot be set for ${family} nodes (managed node groups ignore a launch template's credit specification and the account default of ${family} cannot be set here): they run in AWS's default, ${AWS_DEFAULT_CPU_CREDITS[family] ?? "unknown"}`,
        );
    }
    if (peerSource === undefined) return;
    const other = PROMOTES_FROM[environment] ?? promotesTo(environment)!;
    let theirs: InfraSettings;
    try {
        theirs = loadInfraSettings(other, { source: peerSource, dryRun: true, today });
    } catch {
        return; // The other environment's own run reports its settings' problems.
    }
    if (theirs.region !== region) return;
    const peer = theirs.nodeGroup;
    const key = PROMOTES_FROM[environment] ? "infra:promotionSource.accountId" : "infra:promotionTarget.accountId";
    for (const family of creditConflicts(nodes, peer)) {
        // Only two modes: the environment asking for the one that is not AWS's default sets the account's default.
        const [setter, mode, follower] = AWS_DEFAULT_CPU_CREDITS[family] === nodes.cpuCredits ? [other, peer.cpuCredits, environment] : [environment, nodes.cpuCredits, other];
        r.warn(
            "nodeGroup.cpuCredits",
            `${environment} asks for ${nodes.cpuCredits} credits on its ${family} nodes, ${other} for ${peer.cpuCredits}, in one account (${key} unset): the ${family} default is one per account and region, and ${setter} sets it to ${mode}, so ${follower}'s ${family} nodes run ${mode} too. Give both environments the same infra:nodeGroup.cpuCredits, or put ${other} in an account of its own (${key})`,
        );
    }
}

/**
 * The Kubernetes version, set or default, checked against the support table on `today`. A version this release
 * does not know always fails. One that has left standard support (on or after its end day) fails a real
 * `pulumi up` (EKS would bill extended support without anyone choosing it) and is a warning in previews and the
 * offline plan; from SUPPORT_WARNING_DAYS before the end, a warning says when.
 */
function readKubernetesVersion(r: SettingsReader, source: SettingsSource, today: string, dryRun: boolean): string {
    const version = r.string("kubernetesVersion", DEFAULT_KUBERNETES_VERSION);
    const unset = source.get(r.key("kubernetesVersion")) === undefined;
    const defaultNote = unset ? " (the value is the default of this release: set infra:kubernetesVersion)" : "";
    const supported = supportedKubernetesVersions(today);
    const inSupport =
        supported.length > 0
            ? `a Kubernetes version in EKS standard support on ${today}: ${supported.join(", ")}`
            : `a Kubernetes version in EKS standard support on ${today}, and none of the versions this release knows (${knownKubernetesVersions().join(", ")}) is: update infra/versions.ts`;
    const status = supportStatus(version, today);
    if (status === undefined) {
        r.fail("kubernetesVersion", version, `${inSupport} (this release knows ${knownKubernetesVersions().join(", ")})${defaultNote}`);
    } else if (status.phase === "ended") {
        if (dryRun) {
            r.warn("kubernetesVersion", `${version} left EKS standard support on ${status.endOfStandardSupport}: EKS bills extended support (6x the control plane); \`pulumi up\` refuses it until you upgrade to ${supported.join(" or ") || "a newer version (update infra/versions.ts)"}${defaultNote}`);
        } else {
            r.fail("kubernetesVersion", version, `${inSupport}; ${version} left standard support on ${status.endOfStandardSupport}${defaultNote}`);
        }
    } else if (status.phase === "ending") {
        r.warn("kubernetesVersion", `${version} leaves EKS standard support on ${status.endOfStandardSupport} (in ${status.daysLeft} days): plan the upgrade${defaultNote}`);
    }
    return version;
}

/**
 * Whether infra:kubernetesVersion may move from the version the cluster runs (`deployed`; undefined before the first
 * deployment, when anything known is fine) to `target`. EKS upgrades a control plane one minor version at a time and
 * never downgrades it; a lower version would also leave the nodes (which follow the control plane here) newer than
 * the control plane, which the Kubernetes version skew policy forbids. undefined when the change is allowed.
 */
export function kubernetesVersionChangeProblem(deployed: string | undefined, target: string, environment = "<environment>"): SettingsProblem | undefined {
    const from = deployed === undefined ? undefined : minorOf(deployed);
    const to = minorOf(target);
    if (from === undefined || to === undefined || to === from || to === from + 1) return undefined;
    const allowed = `${deployed} (what the cluster runs) or ${nextMinor(deployed!)} (one minor version up)`;
    const why =
        to > from
            ? `EKS upgrades the control plane one minor version at a time: ${target} skips ${Array.from({ length: to - from - 1 }, (_, i) => `1.${from + 1 + i}`).join(", ")}; ` +
              `deploy ${nextMinor(deployed!)} first (npm run upgrade -- ${environment} --to ${nextMinor(deployed!)})`
            : `EKS never downgrades a control plane, and nodes at ${deployed} would be newer than a ${target} control plane`;
    return { key: "infra:kubernetesVersion", value: target, allowed: `${allowed}. ${why}` };
}

function isPrivate(text: string): boolean {
    const c = parseCidr(text)!;
    return ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].some((r) => {
        const range = parseCidr(r)!;
        return c.prefix >= range.prefix && overlaps(c, range);
    });
}

function retention(r: SettingsReader, name: string, fallback: number): number {
    return r.intIn(name, fallback, LOG_RETENTION_DAYS, "a CloudWatch Logs retention in days");
}

/** The VPC must hold a public and a private subnet per AZ, and must not overlap the service CIDR. */
function checkSubnetLayout(r: SettingsReader, vpcText: string, serviceText: string, azs: number, publicMask: number, privateMask: number): void {
    const vpc = parseCidr(vpcText);
    const service = parseCidr(serviceText);
    if (!vpc || !service) return;
    if (overlaps(vpc, service)) {
        r.fail("serviceCidr", serviceText, `a CIDR that does not overlap infra:vpcCidr (${vpcText})`);
    }
    for (const [name, mask] of [["publicSubnetMask", publicMask], ["privateSubnetMask", privateMask]] as const) {
        if (mask <= vpc.prefix) r.fail(name, mask, `a prefix length longer than the VPC's /${vpc.prefix}`);
    }
    const needed = azs * (2 ** (32 - publicMask) + 2 ** (32 - privateMask));
    if (publicMask > vpc.prefix && privateMask > vpc.prefix && needed > size(vpc)) {
        r.fail(
            "vpcCidr",
            vpcText,
            `a CIDR holding ${azs} public /${publicMask} and ${azs} private /${privateMask} subnets (${needed} addresses; /${vpc.prefix} has ${size(vpc)}): use a larger VPC or smaller subnets`,
        );
    }
}

/** Node AZs: one to all of the VPC's; production keeps at least two (a zone's outage leaves nodes running). */
function readNodeAvailabilityZoneCount(r: SettingsReader, environment: Environment, d: EnvironmentDefaults, azs: number): number {
    const min = environment === "production" ? 2 : 1;
    const value = r.int("nodeAvailabilityZoneCount", Math.min(d.nodeAvailabilityZoneCount ?? azs, azs), 1, 6);
    if (value < min || value > azs) {
        r.fail("nodeAvailabilityZoneCount", value, `a whole number from ${min} to infra:availabilityZoneCount (${azs})${environment === "production" ? ": production runs nodes in at least two AZs" : ""}`);
    }
    return Math.min(Math.max(value, 1), azs);
}

const NODE_GROUP_KEYS = ["instanceTypes", "minSize", "desiredSize", "maxSize", "diskSizeGiB", "capacityType", "cpuCredits"];

function readNodeGroup(
    r: SettingsReader,
    environment: Environment,
    defaults: NodeGroupSettings,
    allowedInstanceTypes: string[],
    azCount: number,
): NodeGroupSettings {
    const raw = r.object("nodeGroup") ?? {};
    r.checkKeys("nodeGroup", raw, NODE_GROUP_KEYS);
    const has = (k: string) => raw[k] !== undefined;

    const instanceTypes = has("instanceTypes")
        ? r.checkStringList(
              "nodeGroup.instanceTypes",
              raw.instanceTypes,
              `a list of instance types allowed in ${environment} (infra:allowedInstanceTypes: ${allowedInstanceTypes.join(", ")})`,
              (v) => allowedInstanceTypes.includes(v),
          ) ?? defaults.instanceTypes
        : defaults.instanceTypes;
    if (!has("instanceTypes")) {
        const outside = instanceTypes.filter((t) => !allowedInstanceTypes.includes(t));
        if (outside.length > 0) {
            r.fail("nodeGroup.instanceTypes", instanceTypes, `instance types from infra:allowedInstanceTypes (${allowedInstanceTypes.join(", ")}): set infra:nodeGroup.instanceTypes`);
        }
    }
    const specs = instanceTypes.map((t) => INSTANCE_TYPES[t]).filter((s) => s !== undefined);
    if (new Set(specs.map((s) => s.architecture)).size > 1) {
        r.fail("nodeGroup.instanceTypes", instanceTypes, "instance types of one CPU architecture (a node group has one AMI)");
    }

    const minSize = has("minSize") ? r.checkInt("nodeGroup.minSize", raw.minSize, 0, 100) ?? defaults.minSize : defaults.minSize;
    const desiredSize = has("desiredSize") ? r.checkInt("nodeGroup.desiredSize", raw.desiredSize, 0, 100) ?? defaults.desiredSize : defaults.desiredSize;
    const maxSize = has("maxSize") ? r.checkInt("nodeGroup.maxSize", raw.maxSize, 1, 100) ?? defaults.maxSize : defaults.maxSize;
    if (!(minSize <= desiredSize && desiredSize <= maxSize)) {
        r.fail("nodeGroup", { minSize, desiredSize, maxSize }, "sizes with minSize <= desiredSize <= maxSize");
    }
    if (environment === "production" && minSize < 1) {
        r.fail("nodeGroup.minSize", minSize, `at least 1 in production: one node group per availability zone (${azCount}), each keeping a node`);
    }
    const diskSizeGiB = has("diskSizeGiB") ? r.checkInt("nodeGroup.diskSizeGiB", raw.diskSizeGiB, 20, 1000) ?? defaults.diskSizeGiB : defaults.diskSizeGiB;
    const capacityType = has("capacityType")
        ? r.checkOneOf<CapacityType>("nodeGroup.capacityType", raw.capacityType, ["ON_DEMAND", "SPOT"]) ?? defaults.capacityType
        : defaults.capacityType;
    const cpuCredits = has("cpuCredits") ? r.checkOneOf<CpuCredits>("nodeGroup.cpuCredits", raw.cpuCredits, ["standard", "unlimited"]) ?? defaults.cpuCredits : defaults.cpuCredits;
    return { instanceTypes, minSize, desiredSize, maxSize, diskSizeGiB, capacityType, cpuCredits };
}

function readAddonVersions(r: SettingsReader, kubernetesVersion: string): Record<AddonName, string> {
    const pinned = (KUBERNETES_VERSIONS[kubernetesVersion] ?? KUBERNETES_VERSIONS[DEFAULT_KUBERNETES_VERSION]).addons;
    const overrides = r.object("addonVersions") ?? {};
    r.checkKeys("addonVersions", overrides, ADDON_NAMES);
    const versions = { ...pinned };
    for (const name of ADDON_NAMES) {
        const v = overrides[name];
        if (v === undefined) continue;
        if (typeof v === "string" && ADDON_VERSION_PATTERN.test(v)) versions[name] = v;
        else r.fail(`addonVersions.${name}`, v, "an EKS add-on version such as v1.20.4-eksbuild.1");
    }
    return versions;
}
