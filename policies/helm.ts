/**
 * Helm: every chart is pinned to one exact version. Without a version (or with a range) each preview may
 * install whatever the repository publishes that day, so the same commit deploys different software.
 *
 * Checked on what reaches the analyzer with the chart's inputs: the v3 Release (a custom resource) and the v4
 * Chart (a remote component, whose inputs are always sent). The v3 Chart of the Node SDK is a local component:
 * its inputs reach the analyzer only since @pulumi/pulumi 3.202 and not with PULUMI_NODEJS_SKIP_COMPONENT_INPUTS
 * (an open upstream change would stop sending them by default). So it is checked when its inputs arrived, and
 * otherwise reported as not applicable instead of as an unpinned chart; its rendered objects are checked by the
 * other policies either way.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeResource, isNonEmptyString, Props, validateTypes } from "./common";

export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_V3 = "kubernetes:helm.sh/v3:Chart";
export const HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart";
/** The Helm types whose chart inputs (chart, version, values) policies can read. */
export const HELM_TYPES = [HELM_RELEASE, HELM_CHART_V3, HELM_CHART_V4];

/** An exact chart version (SemVer 2, optional leading v): no ranges, wildcards or "latest". */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** A chart read from a file or a .tgz URL is pinned by that file, not by a version. */
function isChartFile(chart: string): boolean {
    return /^(\.{1,2}\/|\/|file:\/\/)/.test(chart) || /\.tgz$/.test(chart);
}

/** Whether a local v3 Chart's inputs were sent: it always has `chart` or `path` when they were. */
export function chartInputsArrived(props: Props): boolean {
    return props.chart !== undefined || props.path !== undefined;
}

export const helmChartVersionPinned: ResourceValidationPolicy = {
    name: "helm-chart-version-pinned",
    description:
        "Helm releases and charts (v3 Release, v4 Chart, and v3 Chart when its inputs reach the analyzer) pin an exact chart version (not a range, not unset): " +
        "the same commit always deploys the same chart, and upgrades are reviewed changes.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(HELM_TYPES, (props: Props, args, report) => {
        if (args.type === HELM_CHART_V3) {
            if (!chartInputsArrived(props)) {
                args.notApplicable("the inputs of this local component did not reach the analyzer (PULUMI_NODEJS_SKIP_COMPONENT_INPUTS, or @pulumi/pulumi < 3.202)");
            }
            // v3 Chart takes a local chart as `path`.
            if (props.path !== undefined && props.chart === undefined) return;
        }
        const chart = props.chart;
        if (isNonEmptyString(chart) && isChartFile(chart)) return;
        const version = props.version;
        if (isNonEmptyString(version) && EXACT_VERSION.test(version.trim())) return;
        const actual = version === undefined || version === "" ? "not set (the newest chart would be installed)" : `${JSON.stringify(version)}, not an exact version`;
        report(`${describeResource(args.type, args.name)}: chart ${JSON.stringify(chart)} version is ${actual}. Fix: set version to an exact chart version such as "1.2.3" (checked against that version's values.yaml).`);
    }),
};

export const HELM_POLICIES = [helmChartVersionPinned];
