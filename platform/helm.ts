/**
 * A Helm release of one add-on, pinned to its chart version (charts.ts, or the platform:chartVersions override).
 * Releases wait until their workloads are ready, and are cleaned up when an upgrade fails.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AddonName, CHARTS } from "./charts";

export interface AddonReleaseArgs {
    addon: AddonName;
    /** The chart version to install (settings.chartVersions[addon]). */
    version: string;
    /** Release name: fixed, so the names of what the chart creates (services, service accounts) are known. */
    releaseName: string;
    namespace: pulumi.Input<string>;
    values: pulumi.Input<Record<string, unknown>>;
    /** Seconds to wait for the release's workloads to become ready. */
    timeoutSeconds?: number;
}

export function addonRelease(name: string, args: AddonReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const chart = CHARTS[args.addon];
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            chart: chart.chart,
            version: args.version,
            repositoryOpts: { repo: chart.repo },
            namespace: args.namespace,
            // Namespaces are created by this program, with their Pod Security labels.
            createNamespace: false,
            values: args.values,
            timeout: args.timeoutSeconds ?? 600,
            cleanupOnFail: true,
            maxHistory: 10,
            waitForJobs: true,
        },
        opts,
    );
}
