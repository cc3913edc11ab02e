/**
 * Sealed Secrets controller: decrypts SealedSecrets committed to Git into Secrets. Named
 * `sealed-secrets-controller` (kubeseal's default) in its own restricted namespace:
 * `kubeseal --controller-namespace sealed-secrets`. The controller keeps its key pair in that namespace; it runs
 * as one replica (it has no leader election).
 * Values checked against values.yaml at the version of charts.ts (its `checked` tag).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";

export const CONTROLLER_NAME = "sealed-secrets-controller";

export const SIZING: Record<Environment, { replicas: number; resources: ContainerResources }> = {
    staging: { replicas: 1, resources: resources(10, 32, 100, 96) },
    production: { replicas: 1, resources: resources(25, 64, 200, 128) },
};

export interface SealedSecretsArgs {
    environment: Environment;
    chartVersion: string;
    namespace: pulumi.Input<string>;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class SealedSecrets extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: SealedSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:SealedSecrets", name, {}, opts);
        this.release = addonRelease(
            name,
            {
                addon: "sealed-secrets",
                version: args.chartVersion,
                releaseName: "sealed-secrets",
                namespace: args.namespace,
                values: {
                    fullnameOverride: CONTROLLER_NAME,
                    resources: SIZING[args.environment].resources,
                    // The chart's defaults lack these two fields of the restricted Pod Security profile.
                    podSecurityContext: { enabled: true, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                    containerSecurityContext: {
                        enabled: true,
                        readOnlyRootFilesystem: true,
                        runAsNonRoot: true,
                        runAsUser: 1001,
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                    },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.registerOutputs({});
    }
}
