/**
 * What the apps layer reads from infra and platform, checked against what the workload manifests in Git assume.
 * Kustomize cannot read Pulumi outputs, so Git holds a few names platform also chooses (the secret store, the
 * storage class, the namespaces); if they drift apart the update stops here, naming both sides, instead of
 * ArgoCD failing later in the cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { InfraOutputs } from "../infra/contract";
import { PlatformOutputs } from "../platform/contract";
import { LayerOutputs } from "../lib/layer-reference";
import { MANIFEST_SECRET_STORE, MANIFEST_STORAGE_CLASS, WORKLOADS, WorkloadName, namespaceOf } from "../lib/catalogue";

/** The infra outputs this layer reads. */
export const INFRA_INPUTS = ["project", "region", "kubeconfig", "ecrRepositoryUrls", "githubRepository", "publicSubnetIds", "logsAndSecretsKeyArn"] as const;
export type InfraInputs = Pick<InfraOutputs, (typeof INFRA_INPUTS)[number]>;

/** The platform outputs this layer reads. */
export const PLATFORM_INPUTS = [
    "argocdNamespace",
    "ingressClass",
    "albGroupName",
    "albAccessLogsBucket",
    "certificateArn",
    "wafAclArn",
    "secretStoreName",
    "secretsPrefix",
    "platformSecretStoreName",
    "workloadNamespaces",
    "storageClassName",
] as const;
export type PlatformInputs = Pick<PlatformOutputs, (typeof PLATFORM_INPUTS)[number]>;

export class LayerContractError extends Error {
    constructor(readonly problems: string[]) {
        super(`The apps layer cannot use the infra/platform outputs of this stack:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "LayerContractError";
    }
}

export interface Needs {
    workloads: WorkloadName[];
    frontendHostname?: string;
}

/** Every mismatch between the outputs and what the enabled workloads need, in words (empty when all is well). */
export function contractProblems(infra: Pick<InfraInputs, "ecrRepositoryUrls">, platform: PlatformInputs, needs: Needs): string[] {
    const problems: string[] = [];
    const namespaces = new Map<string, WorkloadName[]>();
    for (const w of needs.workloads) namespaces.set(namespaceOf(w), [...(namespaces.get(namespaceOf(w)) ?? []), w]);
    for (const [ns, users] of namespaces) {
        if (!platform.workloadNamespaces.includes(ns)) {
            problems.push(`platform's workloadNamespaces (${platform.workloadNamespaces.join(", ") || "none"}) lacks "${ns}", the namespace of ${users.join(", ")}`);
        }
    }
    if (platform.secretStoreName !== MANIFEST_SECRET_STORE) {
        problems.push(`platform's secretStoreName is "${platform.secretStoreName}" but the workloads' ExternalSecrets use the ClusterSecretStore "${MANIFEST_SECRET_STORE}"`);
    }
    if (needs.workloads.some((w) => WORKLOADS[w].tier === "data") && platform.storageClassName !== MANIFEST_STORAGE_CLASS) {
        problems.push(`platform's storageClassName is "${platform.storageClassName}" but the mysql and redis volume claims use "${MANIFEST_STORAGE_CLASS}"`);
    }
    if (!platform.secretsPrefix) problems.push("platform's secretsPrefix is empty: generated secrets must be named under it");
    if (!platform.argocdNamespace) problems.push("platform's argocdNamespace is empty");
    for (const w of needs.workloads) {
        const image = WORKLOADS[w].ecrImage;
        if (image && !infra.ecrRepositoryUrls[image]) {
            problems.push(`infra's ecrRepositoryUrls has no "${image}" repository (the image of ${w}); add it to infra:ecrRepositories`);
        }
    }
    if (needs.frontendHostname) {
        const missing = (["certificateArn", "wafAclArn", "albGroupName", "albAccessLogsBucket", "ingressClass"] as const).filter((k) => !platform[k]);
        if (missing.length > 0) {
            problems.push(`apps:frontendHostname is set (${needs.frontendHostname}) but platform's ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} empty: the public Ingress needs a certificate, a WAF ACL, an ALB group and an access-logs bucket`);
        }
    }
    return problems;
}

/** The outputs, resolved together and checked: resources built from them are not created when a check fails. */
export function checkedInputs(infra: LayerOutputs<InfraInputs>, platform: LayerOutputs<PlatformInputs>, needs: Needs): pulumi.Output<PlatformInputs & Pick<InfraInputs, "ecrRepositoryUrls" | "githubRepository">> {
    const record: Record<string, pulumi.Output<unknown>> = Object.fromEntries(PLATFORM_INPUTS.map((k) => [k, platform[k]]));
    const platformValues = pulumi.all(record) as unknown as pulumi.Output<PlatformInputs>;
    return pulumi.all([platformValues, infra.ecrRepositoryUrls, infra.githubRepository]).apply(([p, ecrRepositoryUrls, githubRepository]) => {
        const problems = contractProblems({ ecrRepositoryUrls }, p, needs);
        if (problems.length > 0) throw new LayerContractError(problems);
        return { ...p, ecrRepositoryUrls, githubRepository };
    });
}
