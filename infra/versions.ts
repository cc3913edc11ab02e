/**
 * Kubernetes versions EKS supports, and the managed add-on versions pinned for each. Checked 2026-11 against
 * the EKS user guide (Kubernetes versions; the vpc-cni, CoreDNS and kube-proxy version tables) and add-on
 * versions seen in use for each Kubernetes version. Before an upgrade, confirm with
 * `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>` and override any entry with
 * `infra:addonVersions`. Upgrading the cluster is changing `infra:kubernetesVersion`; the add-ons follow.
 */

export interface KubernetesVersion {
    /** Last day of standard support: after it EKS charges extended support (6x the control-plane price). */
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

/** Versions in standard support on `today` (ISO date), oldest first. */
export function supportedKubernetesVersions(today: string): string[] {
    return Object.entries(KUBERNETES_VERSIONS)
        .filter(([, v]) => v.endOfStandardSupport >= today)
        .map(([k]) => k)
        .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}
