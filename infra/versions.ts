/**
 * Kubernetes versions EKS supports, and the managed add-on versions pinned for each. Checked 2026-11 against
 * the EKS user guide (Kubernetes versions; the vpc-cni, CoreDNS and kube-proxy version tables) and add-on
 * versions seen in use for each Kubernetes version. Before an upgrade, confirm with
 * `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>` and override any entry with
 * `infra:addonVersions`. Upgrading the cluster is changing `infra:kubernetesVersion`; the add-ons follow.
 */
import { daysBetween } from "../lib/today";

export interface KubernetesVersion {
    /**
     * EKS's "end of standard support" date. AWS bills extended support (6x the control-plane price) from 00:00 UTC
     * of this day, so the version is in standard support before it and not on it.
     */
    endOfStandardSupport: string;
    addons: Record<AddonName, string>;
}

export const ADDON_NAMES = [
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "amazon-cloudwatch-observability",
] as const;
export type AddonName = (typeof ADDON_NAMES)[number];

export const KUBERNETES_VERSIONS: Record<string, KubernetesVersion> = {
    "1.34": {
        endOfStandardSupport: "2026-12-02",
        addons: {
            "vpc-cni": "v1.21.1-eksbuild.7",
            coredns: "v1.13.2-eksbuild.11",
            "kube-proxy": "v1.34.6-eksbuild.13",
            "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
            "amazon-cloudwatch-observability": "v4.10.3-eksbuild.1",
        },
    },
    "1.35": {
        endOfStandardSupport: "2027-03-27",
        addons: {
            "vpc-cni": "v1.21.1-eksbuild.7",
            coredns: "v1.14.3-eksbuild.3",
            "kube-proxy": "v1.35.3-eksbuild.13",
            "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
            "amazon-cloudwatch-observability": "v4.10.3-eksbuild.1",
        },
    },
    "1.36": {
        endOfStandardSupport: "2027-08-02",
        addons: {
            "vpc-cni": "v1.23.0-eksbuild.1",
            coredns: "v1.14.3-eksbuild.3",
            "kube-proxy": "v1.36.0-eksbuild.14",
            "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
            "amazon-cloudwatch-observability": "v4.10.3-eksbuild.1",
        },
    },
};

export const DEFAULT_KUBERNETES_VERSION = "1.35";

/** From this many days before the end of standard support, the program warns (time to plan the upgrade). */
export const SUPPORT_WARNING_DAYS = 60;

export type SupportPhase = "standard" | "ending" | "ended";

export interface SupportStatus {
    phase: SupportPhase;
    endOfStandardSupport: string;
    /** Days from `today` to the end of standard support (0 on the end day, negative after it). */
    daysLeft: number;
}

/** Where a known version stands on `today` (ISO date); undefined for a version this release does not know. */
export function supportStatus(version: string, today: string): SupportStatus | undefined {
    const known = KUBERNETES_VERSIONS[version];
    if (!known) return undefined;
    const daysLeft = daysBetween(today, known.endOfStandardSupport);
    const phase: SupportPhase = daysLeft <= 0 ? "ended" : daysLeft <= SUPPORT_WARNING_DAYS ? "ending" : "standard";
    return { phase, endOfStandardSupport: known.endOfStandardSupport, daysLeft };
}

/** Known versions, oldest first. */
export function knownKubernetesVersions(): string[] {
    return Object.keys(KUBERNETES_VERSIONS).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}

/** Versions in standard support on `today` (ISO date; the end day itself is not), oldest first. */
export function supportedKubernetesVersions(today: string): string[] {
    return knownKubernetesVersions().filter((v) => supportStatus(v, today)!.phase !== "ended");
}

/** The minor number of a `1.<minor>` version; undefined for anything else. */
export function minorOf(version: string): number | undefined {
    const m = /^1\.(\d+)$/.exec(version);
    return m ? Number(m[1]) : undefined;
}

/** The version one minor after `version` (1.35 -> 1.36), whether or not this release knows it. */
export function nextMinor(version: string): string {
    return `1.${minorOf(version)! + 1}`;
}
