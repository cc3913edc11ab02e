/**
 * The platform layer's settings: `platform:*` (and `aws:region`) in Pulumi.<env>.yaml, with per-environment
 * defaults in code. `loadPlatformSettings` validates everything before any resource is registered.
 */
import { LOG_RETENTION_DAYS } from "../infra/settings";
import { Environment } from "../lib/environment";
import { SettingsReader, SettingsSource, pulumiSettingsSource } from "../lib/settings";
import { WORKLOAD_SECRETS_FOLDER } from "../infra/identity";
import { isValidCidr, parseCidr } from "../lib/cidr";
import { EXTRA_TAGS_ALLOWED, isValidExtraTag } from "../lib/tags";
import { ADDON_NAMES, AddonName, CHARTS } from "./charts";
import { TIERS } from "../lib/catalogue";

/** Namespaces the platform owns (or Kubernetes does): workloads cannot use these names. */
export const PLATFORM_NAMESPACES = {
    argocd: "argocd",
    externalSecrets: "external-secrets",
    sealedSecrets: "sealed-secrets",
    monitoring: "monitoring",
    /** node-exporter needs host access (hostNetwork, hostPID, hostPath): a privileged namespace of its own. */
    nodeExporter: "node-exporter",
    /** The AWS Load Balancer Controller, metrics-server and the cluster autoscaler run where EKS add-ons do. */
    system: "kube-system",
} as const;

const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "amazon-cloudwatch", ...Object.values(PLATFORM_NAMESPACES)];

/** The namespaces of the workload catalogue's tiers (lib/catalogue.ts), in its order. */
export const DEFAULT_WORKLOAD_NAMESPACES = [...new Set(Object.values(TIERS).map((t) => t.namespace))];

/** OpenID Connect single sign-on for ArgoCD (the local admin account is turned off when it is set). */
export interface ArgocdSso {
    /** Name shown on the login button. */
    name: string;
    /** https URL of the OIDC issuer. */
    issuer: string;
    clientId: string;
    /** Secrets Manager name, relative to the environment's prefix, holding the client secret. */
    clientSecretKey: string;
}

export interface PlatformSettings {
    environment: Environment;
    region: string;
    /** Organization of the infra stack reference; undefined = the organization running the update. */
    organization?: string;
    workloadNamespaces: string[];
    /** ACM certificate (same region) for the public hostnames. */
    certificateArn?: string;
    argocdHostname?: string;
    /** The SSO group given ArgoCD's admin role (everyone else is read-only). */
    argocdAdminGroup: string;
    argocdSso?: ArgocdSso;
    grafanaHostname?: string;
    /**
     * Whether anything of the environment is public (a platform hostname, or apps:frontendHostname): the WAF web
     * ACL, billed monthly, exists only then.
     */
    publicEdge: boolean;
    /** Sources allowed to reach the platform's load balancer (ArgoCD, Grafana); empty = the internet. */
    uiAccessCidrs: string[];
    prometheusRetentionDays: number;
    /** gp3 volume of each Prometheus replica; 0 keeps the data on the node (emptyDir). */
    prometheusVolumeGiB: number;
    /** Secrets Manager name (relative to the prefix) of the Alertmanager PagerDuty Events v2 routing key. */
    alertmanagerPagerDutySecret?: string;
    alarmEmail?: string;
    /** Secrets Manager name (relative to the prefix) of a PagerDuty CloudWatch integration URL. */
    alarmPagerDutyUrlSecret?: string;
    /** Requests from one IP in 5 minutes above which the WAF blocks it. */
    wafRateLimit: number;
    /** Days CloudWatch Logs keeps the WAF's request log. */
    wafLogRetentionDays: number;
    albAccessLogRetentionDays: number;
    chartVersions: Record<AddonName, string>;
    protect: boolean;
    tags: Record<string, string>;
}

interface EnvironmentDefaults {
    prometheusRetentionDays: number;
    prometheusVolumeGiB: number;
    albAccessLogRetentionDays: number;
    wafLogRetentionDays: number;
}

export const ENVIRONMENT_DEFAULTS: Record<Environment, EnvironmentDefaults> = {
    staging: { prometheusRetentionDays: 3, prometheusVolumeGiB: 0, albAccessLogRetentionDays: 30, wafLogRetentionDays: 14 },
    production: { prometheusRetentionDays: 15, prometheusVolumeGiB: 50, albAccessLogRetentionDays: 365, wafLogRetentionDays: 90 },
};

const ORGANIZATION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME_PATTERN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN_PATTERN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;
/** A Secrets Manager name below the environment's prefix: no leading slash, Secrets Manager's characters. */
const SECRET_KEY_PATTERN = /^[A-Za-z0-9_+=.@-][A-Za-z0-9/_+=.@-]{0,200}$/;
const CHART_VERSION_PATTERN = /^\d+\.\d+\.\d+$/;
const GROUP_PATTERN = /^[^,\s][^,]{0,127}$/;
/** The workloads' part of the environment's secrets (`<prefix>/apps/...`): the platform's settings may not name it. */
const WORKLOAD_SECRETS = `${WORKLOAD_SECRETS_FOLDER}/`;
/** Each CIDR becomes a rule per listener (80, 443) in the load balancer's security group (60 rules by default). */
const MAX_UI_ACCESS_CIDRS = 25;

const SSO_KEYS = ["name", "issuer", "clientId", "clientSecretKey"];

export interface LoadOptions {
    source?: SettingsSource;
}

export function loadPlatformSettings(environment: Environment, options: LoadOptions = {}): PlatformSettings {
    const source = options.source ?? pulumiSettingsSource();
    const r = new SettingsReader("platform", source);
    const d = ENVIRONMENT_DEFAULTS[environment];

    const region = r.awsRegion();

    const organization = r.optionalString("organization", "a Pulumi organization name (letters, digits, . _ -)", (v) => ORGANIZATION_PATTERN.test(v));

    const workloadNamespaces = r.stringList(
        "workloadNamespaces",
        DEFAULT_WORKLOAD_NAMESPACES,
        `a non-empty list of Kubernetes namespace names (lowercase letters, digits, dashes), none of ${RESERVED_NAMESPACES.join(", ")}`,
        (v) => NAMESPACE_PATTERN.test(v) && !RESERVED_NAMESPACES.includes(v),
    );
    if (workloadNamespaces.length === 0) r.fail("workloadNamespaces", workloadNamespaces, "a non-empty list of namespace names");

    const certificateArn = r.optionalString(
        "certificateArn",
        `an ACM certificate ARN in ${region ?? "aws:region"} (arn:aws:acm:<region>:<account>:certificate/<id>)`,
        (v) => {
            const m = CERTIFICATE_ARN_PATTERN.exec(v);
            return m !== null && (region === undefined || m[1] === region);
        },
    );
    // An invalid certificate ARN is reported on its own; a missing one is reported on each hostname.
    const certificateSet = (source.get(r.key("certificateArn")) ?? "") !== "";
    const hostname = (name: string) => {
        const host = r.optionalString(name, "a DNS hostname such as argocd.example.com (lowercase)", (v) => HOSTNAME_PATTERN.test(v));
        if (host !== undefined && !certificateSet) {
            r.fail(name, host, "a hostname only together with platform:certificateArn (an ACM certificate covering it): the ALB serves HTTPS only");
        }
        return host;
    };
    const argocdHostname = hostname("argocdHostname");
    const grafanaHostname = hostname("grafanaHostname");
    if (argocdHostname !== undefined && argocdHostname === grafanaHostname) {
        r.fail("grafanaHostname", grafanaHostname, "a hostname different from platform:argocdHostname");
    }

    // The frontend's hostname is the apps layer's setting (validated there); the same settings file feeds both.
    const publicEdge = argocdHostname !== undefined || grafanaHostname !== undefined || (source.get("apps:frontendHostname") ?? "") !== "";

    const argocdAdminGroup = r.string("argocdAdminGroup", "platform-admins", "an SSO group name (no commas)", (v) => GROUP_PATTERN.test(v));
    const argocdSso = readSso(r, argocdHostname);
    const uiAccessCidrs = r.stringList(
        "uiAccessCidrs",
        [],
        `a list of at most ${MAX_UI_ACCESS_CIDRS} IPv4 CIDRs, each /8 or narrower (empty: the platform's load balancer accepts the internet)`,
        (v) => isValidCidr(v) && parseCidr(v)!.prefix >= 8,
    );
    if (uiAccessCidrs.length > MAX_UI_ACCESS_CIDRS) r.fail("uiAccessCidrs", uiAccessCidrs, `a list of at most ${MAX_UI_ACCESS_CIDRS} IPv4 CIDRs (each is a security group rule per listener)`);
    // ArgoCD's local admin login must not face the internet: SSO turns it off, CIDRs keep everyone else out.
    if (argocdHostname !== undefined && argocdSso === undefined && uiAccessCidrs.length === 0) {
        r.fail(
            "argocdHostname",
            argocdHostname,
            "a hostname only with platform:argocdSso (single sign-on; the local admin login is then off) or platform:uiAccessCidrs (the sources allowed to reach the platform's load balancer): without either, ArgoCD's local admin login would face the internet",
        );
    }

    const prometheusRetentionDays = r.int("prometheusRetentionDays", d.prometheusRetentionDays, 1, 365);
    const prometheusVolumeGiB = r.int("prometheusVolumeGiB", d.prometheusVolumeGiB, 0, 1000);
    if (environment === "production" && prometheusVolumeGiB < 10) {
        r.fail("prometheusVolumeGiB", prometheusVolumeGiB, "at least 10 in production (metrics survive a Prometheus restart on a gp3 volume)");
    }

    const secretKey = (name: string, what: string) =>
        r.optionalString(name, `the name of a Secrets Manager secret holding ${what}, relative to the environment's prefix (e.g. pagerduty/routing-key), not under ${WORKLOAD_SECRETS} (the workloads' secrets)`, (v) =>
            isPlatformSecretKey(v),
        );
    const alertmanagerPagerDutySecret = secretKey("alertmanagerPagerDutySecret", "a PagerDuty Events API v2 routing key");
    const alarmEmail = r.optionalString("alarmEmail", "an e-mail address", (v) => EMAIL_PATTERN.test(v));
    const alarmPagerDutyUrlSecret = secretKey("alarmPagerDutyUrlSecret", "a PagerDuty CloudWatch integration URL (https://events.pagerduty.com/...)");

    const wafRateLimit = r.int("wafRateLimit", 2000, 10, 2_000_000_000);
    const wafLogRetentionDays = r.intIn("wafLogRetentionDays", d.wafLogRetentionDays, LOG_RETENTION_DAYS, "a CloudWatch Logs retention in days");
    const albAccessLogRetentionDays = r.int("albAccessLogRetentionDays", d.albAccessLogRetentionDays, 1, 3650);
    const chartVersions = readChartVersions(r);
    const protect = r.bool("protect", environment === "production");
    const tags = r.stringMap("tags", {}, isValidExtraTag, EXTRA_TAGS_ALLOWED);

    r.finish();

    return {
        environment,
        region: region!,
        organization,
        workloadNamespaces,
        certificateArn,
        argocdHostname,
        argocdAdminGroup,
        argocdSso,
        grafanaHostname,
        publicEdge,
        uiAccessCidrs,
        prometheusRetentionDays,
        prometheusVolumeGiB,
        alertmanagerPagerDutySecret,
        alarmEmail,
        alarmPagerDutyUrlSecret,
        wafRateLimit,
        wafLogRetentionDays,
        albAccessLogRetentionDays,
        chartVersions,
        protect,
        tags,
    };
}

/** A Secrets Manager name for the platform's store: relative, valid, and outside the workloads' `apps/` part (which its role may not read). */
function isPlatformSecretKey(v: string): boolean {
    return SECRET_KEY_PATTERN.test(v) && !v.startsWith(WORKLOAD_SECRETS) && !v.split("/").includes("..");
}

function readSso(r: SettingsReader, argocdHostname: string | undefined): ArgocdSso | undefined {
    const raw = r.object("argocdSso");
    if (raw === undefined) return undefined;
    r.checkKeys("argocdSso", raw, SSO_KEYS);
    const str = (k: string, allowed: string, valid: (v: string) => boolean, fallback?: string): string => {
        const v = raw[k] ?? fallback;
        if (typeof v !== "string" || !valid(v)) {
            r.fail(`argocdSso.${k}`, v, allowed);
            return "";
        }
        return v;
    };
    const sso: ArgocdSso = {
        name: str("name", "a display name", (v) => v.trim() !== "", "SSO"),
        issuer: str("issuer", "the https URL of an OpenID Connect issuer", (v) => /^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(v)),
        clientId: str("clientId", "the OIDC client ID", (v) => /^\S{1,256}$/.test(v)),
        clientSecretKey: str("clientSecretKey", `a Secrets Manager name relative to the environment's prefix, not under ${WORKLOAD_SECRETS} (the workloads' secrets)`, isPlatformSecretKey, "argocd/oidc-client-secret"),
    };
    if (argocdHostname === undefined) {
        r.fail("argocdSso", raw, "SSO only together with platform:argocdHostname (the identity provider redirects back to https://<hostname>/auth/callback)");
    }
    return sso;
}

function readChartVersions(r: SettingsReader): Record<AddonName, string> {
    const pinned = Object.fromEntries(ADDON_NAMES.map((n) => [n, CHARTS[n].version])) as Record<AddonName, string>;
    const overrides = r.object("chartVersions") ?? {};
    for (const [name, v] of Object.entries(overrides)) {
        if (!(ADDON_NAMES as readonly string[]).includes(name)) {
            r.fail(`chartVersions.${name}`, v, `add-on names of platform:chartVersions: ${ADDON_NAMES.join(", ")}`);
        } else if (typeof v !== "string" || !CHART_VERSION_PATTERN.test(v)) {
            r.fail(`chartVersions.${name}`, v, "an exact chart version such as 1.2.3 (no ranges: every release is pinned)");
        } else {
            pinned[name as AddonName] = v;
        }
    }
    return pinned;
}
