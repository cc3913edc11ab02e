/**
 * The Helm charts of the platform's add-ons: repository, chart, pinned version, the application version it ships
 * and where its values.yaml was read. This table is the one source of those facts: each add-on's module
 * (addons/*.ts) builds its values for exactly this version, the tests and the README's chart table
 * (`npm run readme`) are derived from it. An override through `platform:chartVersions` must be checked against
 * that version's values.yaml the same way. Bumping a chart: README "Extending" (bump a chart).
 */

export interface ChartRef {
    /** Helm repository URL. */
    repo: string;
    chart: string;
    version: string;
    /** The version of the application the chart installs (its Chart.yaml appVersion). */
    appVersion: string;
    /** Where the chart's values.yaml was checked (repository and tag). */
    checked: string;
}

export const ADDON_NAMES = [
    "aws-load-balancer-controller",
    "argo-cd",
    "external-secrets",
    "sealed-secrets",
    "kube-prometheus-stack",
    "metrics-server",
    "cluster-autoscaler",
] as const;
export type AddonName = (typeof ADDON_NAMES)[number];

/** Checked 2026-11 (newest stable releases whose sources could be read). */
export const CHARTS: Record<AddonName, ChartRef> = {
    // values.yaml at kubernetes-sigs/aws-load-balancer-controller v3.5.0 (helm/aws-load-balancer-controller),
    // published as aws/eks-charts v0.0.242; IAM policy: docs/install/iam_policy.json at the same tag.
    "aws-load-balancer-controller": { repo: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "3.5.0", appVersion: "v3.5.0", checked: "kubernetes-sigs/aws-load-balancer-controller@v3.5.0" },
    // redis-ha subchart 4.38.0 (DandyDeveloper/charts redis-ha-4.38.0).
    "argo-cd": { repo: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1", appVersion: "v3.4.4", checked: "argoproj/argo-helm@argo-cd-10.1.1" },
    // The chart has a values.schema.json (it rejects wrong types; unknown keys pass).
    "external-secrets": { repo: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0", appVersion: "v2.9.0", checked: "external-secrets/external-secrets@helm-chart-2.9.0" },
    "sealed-secrets": { repo: "https://bitnami-labs.github.io/sealed-secrets", chart: "sealed-secrets", version: "2.18.5", appVersion: "0.36.6", checked: "bitnami-labs/sealed-secrets@helm-v2.18.5" },
    // appVersion = the Prometheus Operator; subcharts grafana 12.11.1 (grafana-community/helm-charts grafana-12.11.1),
    // kube-state-metrics 8.4.0, prometheus-node-exporter 4.56.1.
    "kube-prometheus-stack": { repo: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3", appVersion: "v0.93.1", checked: "prometheus-community/helm-charts@kube-prometheus-stack-88.5.3" },
    "metrics-server": { repo: "https://kubernetes-sigs.github.io/metrics-server/", chart: "metrics-server", version: "3.13.1", appVersion: "0.8.1", checked: "kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1" },
    // The image tag is set per Kubernetes minor (addons/cluster-autoscaler.ts), not from appVersion.
    "cluster-autoscaler": { repo: "https://kubernetes.github.io/autoscaler", chart: "cluster-autoscaler", version: "9.59.0", appVersion: "1.35.0", checked: "kubernetes/autoscaler@cluster-autoscaler-chart-9.59.0" },
};

/** The README's chart table (between the `charts` markers), derived from {@link CHARTS}. */
export function chartTable(): string {
    const rows = ADDON_NAMES.map((n) => `| ${n} | \`${CHARTS[n].chart}\` ${CHARTS[n].version} | ${CHARTS[n].appVersion} | ${CHARTS[n].repo} | \`${CHARTS[n].checked}\` |`);
    return ["| add-on | chart | application | repository | values.yaml checked at |", "|---|---|---|---|---|", ...rows].join("\n");
}
