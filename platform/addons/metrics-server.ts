/**
 * metrics-server: the resource metrics API (kubectl top, HorizontalPodAutoscalers). Two replicas with a
 * disruption budget in production, so autoscaling keeps its input during node drains.
 * Values checked against values.yaml at the version of charts.ts (its `checked` tag).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";

export const SIZING: Record<Environment, { replicas: number; resources: ContainerResources }> = {
    staging: { replicas: 1, resources: resources(20, 48, 200, 96) },
    production: { replicas: 2, resources: resources(50, 64, 500, 128) },
};

export interface MetricsServerArgs {
    environment: Environment;
    chartVersion: string;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class MetricsServer extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:MetricsServer", name, {}, opts);
        const s = SIZING[args.environment];
        this.release = addonRelease(
            name,
            {
                addon: "metrics-server",
                version: args.chartVersion,
                releaseName: "metrics-server",
                namespace: "kube-system",
                values: {
                    replicas: s.replicas,
                    resources: s.resources,
                    podDisruptionBudget: s.replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.registerOutputs({});
    }
}
