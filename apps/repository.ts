/**
 * ArgoCD's connection to a private Git repository. The credentials are never generated, in Git or in settings: an
 * administrator stores them in Secrets Manager (`<namePrefix>/argocd/repository`, see the README), and an
 * ExternalSecret in ArgoCD's namespace, through the platform's ClusterSecretStore (the workloads' cannot read
 * it), turns them into the repository Secret ArgoCD reads (label
 * argocd.argoproj.io/secret-type: repository). Either credential kind ArgoCD knows works: `username` +
 * `password` (a read-only token), or `githubAppID` + `githubAppInstallationID` + `githubAppPrivateKey`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The credentials' key for the platform's ClusterSecretStore, which prepends the environment's prefix (`<namePrefix>/`). */
export const REPOSITORY_SECRET_KEY = "argocd/repository";
export const REPOSITORY_SECRET_NAME = "gitops-repository";

export interface RepositoryConnectionArgs {
    /** Namespace of ArgoCD. */
    namespace: pulumi.Input<string>;
    repoUrl: pulumi.Input<string>;
    /** The platform's ClusterSecretStore (platform output platformSecretStoreName). */
    secretStoreName: pulumi.Input<string>;
    /** Wait until External Secrets has produced the Secret (fails the update when the administrator has not filled it). */
    waitTimeoutMinutes?: number;
}

export function repositoryExternalSecret(a: { namespace: string; repoUrl: string; secretStoreName: string }) {
    return {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: REPOSITORY_SECRET_NAME, namespace: a.namespace, labels: { "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "pulumi" } },
        spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: a.secretStoreName },
            target: {
                name: REPOSITORY_SECRET_NAME,
                creationPolicy: "Owner",
                template: {
                    engineVersion: "v2",
                    metadata: { labels: { "argocd.argoproj.io/secret-type": "repository" } },
                    // The credentials (whatever keys the administrator stored) plus what ArgoCD needs to match them.
                    mergePolicy: "Merge",
                    data: { type: "git", url: a.repoUrl },
                },
            },
            dataFrom: [{ extract: { key: REPOSITORY_SECRET_KEY } }],
        },
    };
}

export class RepositoryConnection extends pulumi.ComponentResource {
    readonly externalSecret: k8s.apiextensions.CustomResource;

    constructor(name: string, args: RepositoryConnectionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:apps:RepositoryConnection", name, {}, opts);
        const manifest = pulumi
            .all([args.namespace, args.repoUrl, args.secretStoreName])
            .apply(([namespace, repoUrl, secretStoreName]) => repositoryExternalSecret({ namespace, repoUrl, secretStoreName }));
        const wait = args.waitTimeoutMinutes;
        this.externalSecret = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "external-secrets.io/v1",
                kind: "ExternalSecret",
                metadata: manifest.apply((m) => (wait ? { ...m.metadata, annotations: { "pulumi.com/waitFor": "condition=Ready" } } : m.metadata)),
                spec: manifest.apply((m) => m.spec),
            },
            { parent: this, ...(wait ? { customTimeouts: { create: `${wait}m`, update: `${wait}m` } } : {}) },
        );
        this.registerOutputs({});
    }
}
