/**
 * External Secrets Operator with two ClusterSecretStores for AWS Secrets Manager, each with its own IAM role, so
 * a workload can never read a platform secret:
 * - the workloads' store `aws-secrets-manager`: only the workload namespaces may use it, it prepends
 *   `<namePrefix>/apps/` to every key and its role reads only `<namePrefix>/apps/*` (the apps layer's generated
 *   credentials: `mysql` is `<namePrefix>/apps/mysql`);
 * - the platform's store `aws-secrets-manager-platform`: only the platform namespaces (argocd, monitoring) may use
 *   it, it prepends `<namePrefix>/`, and its role reads `<namePrefix>/*` except the workloads' `apps/` part and CI's
 *   own `ci/` part (Grafana's login, ArgoCD's webhook and SSO secrets, PagerDuty keys, the repository credentials;
 *   never the release App's key, which pushes past branch protection).
 * Each store authenticates as its own service account (`auth.jwt.serviceAccountRef`): the controller requests a
 * token for it and calls AssumeRoleWithWebIdentity with that account's IRSA role. The controller itself has no
 * AWS identity, and may request tokens for these two service accounts only (a Role with resourceNames instead of
 * the chart's cluster-wide `serviceaccounts/token`). Roles grant GetSecretValue for `remoteRef.key` and
 * DescribeSecret for `metadataPolicy: Fetch`; ListSecrets and BatchGetSecretValue (only `dataFrom.find` uses them)
 * are not granted: an ExternalSecret names each secret it reads (providers/v1/aws of the ESO version in charts.ts).
 * Manifests in Git and the platform name secrets relative to their store (`mysql`, `grafana/admin`): the same
 * manifests serve every environment and project name, and can name no other environment's secret.
 * Values checked against the chart's values.yaml and values.schema.json at the version of charts.ts (its `checked` tag).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CI_SECRETS_FOLDER, WORKLOAD_SECRETS_FOLDER } from "../../infra/identity";
import { Environment } from "../../lib/environment";
import { IrsaCluster, IrsaRole, ServiceAccountRef } from "../../lib/irsa";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";
import { PLATFORM_NAMESPACES } from "../settings";

/** The workloads' store: the name the manifests in apps/workloads use. */
export const SECRET_STORE_NAME = "aws-secrets-manager";
export const PLATFORM_SECRET_STORE_NAME = "aws-secrets-manager-platform";
export const SERVICE_ACCOUNT = { namespace: PLATFORM_NAMESPACES.externalSecrets, name: "external-secrets" };
/** The identities the two stores authenticate as (IRSA), in the operator's namespace. */
export const STORE_SERVICE_ACCOUNTS = {
    platform: { namespace: PLATFORM_NAMESPACES.externalSecrets, name: "secrets-platform" },
    workloads: { namespace: PLATFORM_NAMESPACES.externalSecrets, name: "secrets-workloads" },
} satisfies Record<string, ServiceAccountRef>;
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

/** The Secrets Manager prefix each store prepends: the platform's is the environment's, the workloads' its `apps/` part. */
export function storePrefixes(namePrefix: pulumi.Input<string>): { platform: pulumi.Output<string>; workloads: pulumi.Output<string> } {
    return { platform: pulumi.interpolate`${namePrefix}/`, workloads: pulumi.interpolate`${namePrefix}/${WORKLOAD_SECRETS_FOLDER}/` };
}

const READ = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"];

/** The workloads' store role: read `<namePrefix>/apps/*`, nothing else. */
export function workloadSecretsReadPolicy(region: pulumi.Input<string>, accountId: pulumi.Input<string>, namePrefix: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadTheWorkloadsSecrets", Effect: "Allow", Action: READ, Resource: pulumi.interpolate`arn:aws:secretsmanager:${region}:${accountId}:secret:${namePrefix}/${WORKLOAD_SECRETS_FOLDER}/*` }],
    });
}

/** The platform's store role: read `<namePrefix>/*` but the workloads' part and CI's. */
export function platformSecretsReadPolicy(region: pulumi.Input<string>, accountId: pulumi.Input<string>, namePrefix: pulumi.Input<string>): pulumi.Output<string> {
    const secrets = pulumi.interpolate`arn:aws:secretsmanager:${region}:${accountId}:secret:${namePrefix}`;
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadThePlatformsSecrets", Effect: "Allow", Action: READ, Resource: pulumi.interpolate`${secrets}/*` },
            { Sid: "NotTheWorkloadsSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: pulumi.interpolate`${secrets}/${WORKLOAD_SECRETS_FOLDER}/*` },
            { Sid: "NotCiSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: pulumi.interpolate`${secrets}/${CI_SECRETS_FOLDER}/*` },
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
    /** Namespaces allowed to use the platform's store (ArgoCD, monitoring). */
    platformNamespaces: pulumi.Input<string>[];
    /** Namespaces allowed to use the workloads' store. */
    workloadNamespaces: pulumi.Input<string>[];
    namespace: pulumi.Input<string>;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class ExternalSecrets extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** The platform's store (the platform's ExternalSecrets wait for it). */
    readonly store: k8s.apiextensions.CustomResource;
    readonly workloadStore: k8s.apiextensions.CustomResource;
    readonly storeName = PLATFORM_SECRET_STORE_NAME;
    readonly workloadStoreName = SECRET_STORE_NAME;
    /** What the workloads' store prepends (`<namePrefix>/apps/`): where the apps layer names its secrets. */
    readonly workloadSecretsPrefix: pulumi.Output<string>;

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:ExternalSecrets", name, {}, opts);
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
                    // No AWS identity of its own: each store names the service account it authenticates as.
                    serviceAccount: { create: true, name: SERVICE_ACCOUNT.name },
                    // Tokens only for the stores' service accounts (the Role below), not for any account of the cluster.
                    rbac: { serviceAccountTokenCreate: false },
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

        const tokens = new StoreTokens(`${name}-tokens`, { namespace: args.namespace, controller: SERVICE_ACCOUNT.name, accounts: Object.values(STORE_SERVICE_ACCOUNTS).map((a) => a.name) }, { parent: this });
        const prefixes = storePrefixes(args.namePrefix);
        this.workloadSecretsPrefix = prefixes.workloads;
        const store = (kind: "platform" | "workloads", storeName: string, prefix: pulumi.Output<string>, namespaces: pulumi.Input<string>[], policy: pulumi.Output<string>) => {
            const account = STORE_SERVICE_ACCOUNTS[kind];
            const role = new IrsaRole(
                `${name}-${kind}-irsa`,
                { ...args.irsa, serviceAccount: account, policy, description: `External Secrets, store ${storeName}: reads the ${kind === "platform" ? "platform's" : "workloads'"} secrets of this environment` },
                { parent: this },
            );
            const serviceAccount = new k8s.core.v1.ServiceAccount(
                `${name}-${kind}`,
                {
                    metadata: { name: account.name, namespace: args.namespace, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
                    // Only the controller uses it, through token requests; no pod mounts it.
                    automountServiceAccountToken: false,
                },
                { parent: this, dependsOn: [this.release] },
            );
            // The SDK's web identity credentials from the store's own service account: no static keys.
            return new k8s.apiextensions.CustomResource(
                `${name}-${kind}-store`,
                {
                    apiVersion: EXTERNAL_SECRETS_API_VERSION,
                    kind: "ClusterSecretStore",
                    metadata: { name: storeName },
                    spec: {
                        provider: {
                            aws: {
                                service: "SecretsManager",
                                region: args.region,
                                prefix,
                                auth: { jwt: { serviceAccountRef: { name: account.name, namespace: args.namespace } } },
                            },
                        },
                        conditions: [{ namespaces }],
                    },
                },
                { parent: this, dependsOn: [this.release, serviceAccount, tokens] },
            );
        };
        this.store = store("platform", PLATFORM_SECRET_STORE_NAME, prefixes.platform, args.platformNamespaces, platformSecretsReadPolicy(args.region, args.accountId, args.namePrefix));
        this.workloadStore = store("workloads", SECRET_STORE_NAME, prefixes.workloads, args.workloadNamespaces, workloadSecretsReadPolicy(args.region, args.accountId, args.namePrefix));
        this.registerOutputs({ storeName: this.storeName, workloadStoreName: this.workloadStoreName });
    }
}

interface StoreTokensArgs {
    namespace: pulumi.Input<string>;
    /** The operator's service account. */
    controller: string;
    /** The service accounts it may request tokens for. */
    accounts: string[];
}

/** Lets the operator request tokens for the stores' service accounts, and for no other. */
class StoreTokens extends pulumi.ComponentResource {
    constructor(name: string, args: StoreTokensArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:StoreTokens", name, {}, opts);
        const role = new k8s.rbac.v1.Role(
            name,
            { metadata: { name: "external-secrets-store-tokens", namespace: args.namespace }, rules: [{ apiGroups: [""], resources: ["serviceaccounts/token"], resourceNames: args.accounts, verbs: ["create"] }] },
            { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
            name,
            {
                metadata: { name: "external-secrets-store-tokens", namespace: args.namespace },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: args.controller, namespace: args.namespace }],
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}

export interface SecretDataRef {
    /** Key in the Kubernetes Secret. */
    secretKey: string;
    /** Secrets Manager name relative to the environment's prefix (the platform's store prepends `<namePrefix>/`). */
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

/** An ExternalSecret of a platform namespace, reading from the platform's ClusterSecretStore. */
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
                secretStoreRef: { kind: "ClusterSecretStore", name: PLATFORM_SECRET_STORE_NAME },
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
