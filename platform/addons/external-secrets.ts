/**
 * External Secrets Operator with one ClusterSecretStore for AWS Secrets Manager. The operator's IRSA role may
 * read only this environment's secrets (`<namePrefix>/*`): GetSecretValue for `remoteRef.key`, DescribeSecret for
 * `metadataPolicy: Fetch`. ListSecrets and BatchGetSecretValue (used only by `dataFrom.find`) are not granted:
 * an ExternalSecret names each secret it reads (providers/v1/aws/secretsmanager of the ESO version in charts.ts).
 * The store is created after the release (its CRDs), and only namespaces that need secrets may use it. It prepends
 * the environment's prefix to every key (`prefix` of the AWS provider: `key := prefix + remoteRef.key`), so
 * ExternalSecrets, in the platform and in the workloads' manifests in Git, name secrets relative to it (`mysql`,
 * `grafana/admin`): the same manifests serve every environment and every project name.
 * Values checked against the chart's values.yaml and values.schema.json at the version of charts.ts (its `checked` tag).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { IrsaCluster, IrsaRole } from "../../lib/irsa";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";
import { PLATFORM_NAMESPACES } from "../settings";

export const SECRET_STORE_NAME = "aws-secrets-manager";
export const SERVICE_ACCOUNT = { namespace: PLATFORM_NAMESPACES.externalSecrets, name: "external-secrets" };
export const EXTERNAL_SECRETS_API_VERSION = "external-secrets.io/v1";

export const SIZING = {
    staging: {
        controller: { replicas: 1, resources: resources(25, 64, 200, 192) },
        webhook: { replicas: 1, resources: resources(10, 32, 100, 96) },
        certController: { replicas: 1, resources: resources(10, 32, 100, 96) },
    },
    production: {
        controller: { replicas: 2, resources: resources(50, 128, 500, 256) },
        webhook: { replicas: 2, resources: resources(25, 64, 200, 128) },
        certController: { replicas: 1, resources: resources(25, 64, 200, 128) },
    },
} satisfies Record<Environment, Record<string, { replicas: number; resources: ContainerResources }>>;

/** Least privilege of the store's role: read the secrets under the prefix, nothing else. */
export function secretsReadPolicy(region: pulumi.Input<string>, accountId: pulumi.Input<string>, namePrefix: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadThisEnvironmentsSecrets",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: pulumi.interpolate`arn:aws:secretsmanager:${region}:${accountId}:secret:${namePrefix}/*`,
            },
        ],
    });
}

export interface ExternalSecretsArgs {
    environment: Environment;
    chartVersion: string;
    region: string;
    accountId: pulumi.Input<string>;
    namePrefix: pulumi.Input<string>;
    /** The cluster's OIDC provider and the role path and boundary of its IRSA roles. */
    irsa: IrsaCluster;
    /** Namespaces allowed to use the ClusterSecretStore. */
    storeNamespaces: pulumi.Input<string>[];
    namespace: pulumi.Input<string>;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class ExternalSecrets extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly store: k8s.apiextensions.CustomResource;
    readonly storeName = SECRET_STORE_NAME;

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:ExternalSecrets", name, {}, opts);
        const role = new IrsaRole(
            `${name}-irsa`,
            {
                ...args.irsa,
                serviceAccount: SERVICE_ACCOUNT,
                policy: secretsReadPolicy(args.region, args.accountId, args.namePrefix),
                description: "External Secrets Operator: reads this environment's secrets from AWS Secrets Manager",
            },
            { parent: this },
        );
        const s = SIZING[args.environment];
        const ha = args.environment === "production";
        this.release = addonRelease(
            name,
            {
                addon: "external-secrets",
                version: args.chartVersion,
                releaseName: "external-secrets",
                namespace: args.namespace,
                values: {
                    installCRDs: true,
                    replicaCount: s.controller.replicas,
                    // Two controllers need leader election to not both reconcile.
                    leaderElect: s.controller.replicas > 1,
                    resources: s.controller.resources,
                    serviceAccount: { create: true, name: SERVICE_ACCOUNT.name, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
                    podDisruptionBudget: { enabled: ha, minAvailable: 1 },
                    webhook: {
                        replicaCount: s.webhook.replicas,
                        resources: s.webhook.resources,
                        podDisruptionBudget: { enabled: ha, minAvailable: 1 },
                    },
                    certController: { replicaCount: s.certController.replicas, resources: s.certController.resources },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );

        // The SDK's default credentials are the pod's IRSA role: no auth block, no static keys.
        this.store = new k8s.apiextensions.CustomResource(
            `${name}-store`,
            {
                apiVersion: EXTERNAL_SECRETS_API_VERSION,
                kind: "ClusterSecretStore",
                metadata: { name: SECRET_STORE_NAME },
                spec: {
                    provider: { aws: { service: "SecretsManager", region: args.region, prefix: pulumi.interpolate`${args.namePrefix}/` } },
                    conditions: [{ namespaces: args.storeNamespaces }],
                },
            },
            { parent: this, dependsOn: [this.release] },
        );
        this.registerOutputs({ storeName: SECRET_STORE_NAME });
    }
}

export interface SecretDataRef {
    /** Key in the Kubernetes Secret. */
    secretKey: string;
    /** Secrets Manager name relative to the environment's prefix (the store prepends `<namePrefix>/`). */
    remoteKey: pulumi.Input<string>;
    /** A top-level JSON key of the secret's value, if it is a JSON object. */
    property?: string;
}

export interface ExternalSecretArgs {
    namespace: pulumi.Input<string>;
    /** Name of the Kubernetes Secret written. */
    targetName: string;
    data: SecretDataRef[];
    /** `Owner` (default) creates and owns the Secret; `Merge` adds keys to a Secret that exists (e.g. argocd-secret). */
    creationPolicy?: "Owner" | "Merge";
    /** Labels of the Secret (Owner only). */
    labels?: Record<string, string>;
    refreshInterval?: string;
}

/** An ExternalSecret reading from the platform's ClusterSecretStore. */
export function externalSecret(name: string, args: ExternalSecretArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    const target: Record<string, unknown> = { name: args.targetName, creationPolicy: args.creationPolicy ?? "Owner" };
    if (args.labels && (args.creationPolicy ?? "Owner") === "Owner") target.template = { metadata: { labels: args.labels } };
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: EXTERNAL_SECRETS_API_VERSION,
            kind: "ExternalSecret",
            metadata: { name: args.targetName, namespace: args.namespace },
            spec: {
                refreshInterval: args.refreshInterval ?? "1h",
                secretStoreRef: { kind: "ClusterSecretStore", name: SECRET_STORE_NAME },
                target,
                data: args.data.map((d) => ({
                    secretKey: d.secretKey,
                    remoteRef: d.property === undefined ? { key: d.remoteKey } : { key: d.remoteKey, property: d.property },
                })),
            },
        },
        opts,
    );
}
