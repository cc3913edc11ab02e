/**
 * The Helm charts of the platform's add-ons: repository, chart and pinned version. Each add-on's module
 * (addons/*.ts) builds its values for exactly this version; the comment beside each entry names the chart
 * version whose values.yaml was read (tag in the chart's source repository) and when. An override through
 * `platform:chartVersions` must be checked against that version's values.yaml the same way.
 */

export interface ChartRef {
    /** Helm repository URL. */
    repo: string;
    chart: string;
    version: string;
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
    // App v3.5.0. values.yaml at kubernetes-sigs/aws-load-balancer-controller v3.5.0 (helm/aws-load-balancer-controller),
    // published as aws/eks-charts v0.0.242; IAM policy: docs/install/iam_policy.json at the same tag.
    "aws-load-balancer-controller": { repo: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "3.5.0", checked: "kubernetes-sigs/aws-load-balancer-controller@v3.5.0" },
    // Argo CD v3.4.4; redis-ha subchart 4.38.0 (DandyDeveloper/charts redis-ha-4.38.0).
    "argo-cd": { repo: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1", checked: "argoproj/argo-helm@argo-cd-10.1.1" },
    // ESO v2.9.0 (the chart has a values.schema.json: unknown top-level keys fail the install).
    "external-secrets": { repo: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0", checked: "external-secrets/external-secrets@helm-chart-2.9.0" },
    // Controller 0.36.6.
    "sealed-secrets": { repo: "https://bitnami-labs.github.io/sealed-secrets", chart: "sealed-secrets", version: "2.18.5", checked: "bitnami-labs/sealed-secrets@helm-v2.18.5" },
    // Prometheus Operator v0.93.1; subcharts grafana 12.11.1 (grafana-community/helm-charts grafana-12.11.1),
    // kube-state-metrics 8.4.0, prometheus-node-exporter 4.56.1.
    "kube-prometheus-stack": { repo: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3", checked: "prometheus-community/helm-charts@kube-prometheus-stack-88.5.3" },
    // metrics-server 0.8.1.
    "metrics-server": { repo: "https://kubernetes-sigs.github.io/metrics-server/", chart: "metrics-server", version: "3.13.1", checked: "kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1" },
    // App 1.35.0; the image tag is set per Kubernetes minor (addons/cluster-autoscaler.ts).
    "cluster-autoscaler": { repo: "https://kubernetes.github.io/autoscaler", chart: "cluster-autoscaler", version: "9.59.0", checked: "kubernetes/autoscaler@cluster-autoscaler-chart-9.59.0" },
};
