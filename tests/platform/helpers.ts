/** Helpers of the platform specs: runs of the layer, its releases, IRSA trust policies and pod requests. */
import * as assert from "assert";
import { environmentGraph, LayerFailure, LayerRun, RecordedResource, runLayer, runLayerExpectingFailure, stackName } from "../../lib/offline";
import { policyDocument } from "../helpers";
import { releaseDemand, requestedAt, Requests } from "../../tools/capacity";

export const ENVS = ["staging", "production"] as const;
export type Env = (typeof ENVS)[number];

export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100";

/** The platform of the environment's whole graph (infra outputs served through the StackReference). */
export async function platformOf(env: Env): Promise<LayerRun> {
    return (await environmentGraph(env)).platform!;
}

async function infraReference(env: Env, organization?: string) {
    const infra = (await environmentGraph(env)).infra;
    const name = stackName("infra", env, organization);
    return { stackOutputs: { [name]: infra.outputs }, secretOutputs: { [name]: infra.secretOutputs } };
}

/**
 * The platform with settings overrides, reading the outputs of a real infra run (served under `organization`'s
 * stack name when given: what platform:organization points the StackReference to).
 */
export async function runPlatform(env: Env, config: Record<string, unknown>, organization?: string): Promise<LayerRun> {
    return runLayer("platform", { env, config, ...(await infraReference(env, organization)) });
}

export async function runPlatformExpectingFailure(env: Env, config: Record<string, unknown>): Promise<LayerFailure> {
    return runLayerExpectingFailure("platform", { env, config, ...(await infraReference(env)) });
}

export function release(run: LayerRun, chart: string): RecordedResource {
    const found = run.ofType(RELEASE).filter((r) => r.inputs.chart === chart);
    assert.strictEqual(found.length, 1, `one release of ${chart}`);
    return found[0];
}

/** The `sub` an IRSA role trusts, after checking the trust pins the cluster's issuer and the STS audience. */
export function irsaSubject(run: LayerRun, roleArn: string, infra: { oidcProviderArn: string; oidcProviderUrl: string }): string {
    const role = run.ofType("aws:iam/role:Role").find((r) => r.state.arn === roleArn);
    assert.ok(role, `role ${roleArn}`);
    const statements = policyDocument(role!.inputs.assumeRolePolicy).Statement;
    assert.strictEqual(statements.length, 1);
    const issuer = infra.oidcProviderUrl.replace("https://", "");
    assert.deepStrictEqual(statements[0].Principal, { Federated: infra.oidcProviderArn });
    assert.strictEqual(statements[0].Action, "sts:AssumeRoleWithWebIdentity");
    const condition = statements[0].Condition;
    assert.deepStrictEqual(Object.keys(condition), ["StringEquals"], "exact match only, no StringLike");
    assert.strictEqual(condition.StringEquals[`${issuer}:aud`], "sts.amazonaws.com");
    return condition.StringEquals[`${issuer}:sub`];
}

/** The inline policy of an IRSA role. */
export function inlinePolicy(run: LayerRun, roleArn: string): { Statement: any[] } {
    const role = run.ofType("aws:iam/role:Role").find((r) => r.state.arn === roleArn)!;
    const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
    assert.strictEqual(policies.length, 1, "one inline policy");
    return policyDocument(policies[0].inputs.policy);
}

/**
 * What the releases' pods request in all, replicas included, daemonsets excluded: the plan's capacity model
 * (tools/capacity.ts RELEASE_PODS), after checking every container of every release sets its requests and a
 * memory limit.
 */
export function platformRequests(run: LayerRun): Requests {
    const demand = releaseDemand(run.resources);
    assert.deepStrictEqual(demand.unset, [], "every release container sets CPU and memory requests");
    const walk = (node: unknown, at: string): void => {
        if (node === null || typeof node !== "object") return;
        const r = node as { requests?: { cpu?: unknown; memory?: unknown }; limits?: { memory?: unknown } };
        if (r.requests?.cpu !== undefined && r.requests?.memory !== undefined) assert.ok(r.limits?.memory, `${at}: memory limit set: ${JSON.stringify(node)}`);
        for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
    };
    for (const rel of run.ofType(RELEASE)) walk(rel.inputs.values, rel.inputs.chart);
    return requestedAt({ ...demand, perNode: [], scaled: [] }, 0, "minReplicas");
}

// The kubernetes-models packages are ES modules only: a real dynamic import (TypeScript would turn `import()`
// into `require()` under CommonJS).
const esmImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;
const MODEL_MODULES: Record<string, string> = {
    v1: "kubernetes-models/v1",
    "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
    "storage.k8s.io/v1": "kubernetes-models/storage.k8s.io/v1",
    "external-secrets.io/v1": "@kubernetes-models/external-secrets/external-secrets.io/v1",
};

/** Validates an object against the JSON schema of its kind (Kubernetes and External Secrets schemas, offline). */
export async function validateObject(object: { apiVersion: string; kind: string; [key: string]: unknown }): Promise<void> {
    const module = MODEL_MODULES[object.apiVersion];
    assert.ok(module, `no schema module for ${object.apiVersion}`);
    const Model = (await esmImport(module))[object.kind];
    assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}`);
    new Model(object).validate();
}

/** A recorded Kubernetes resource as the object sent to the cluster. */
export function objectOf(resource: RecordedResource, apiVersion?: string, kind?: string): { apiVersion: string; kind: string; [key: string]: unknown } {
    const { apiVersion: a, kind: k, ...rest } = resource.inputs;
    return { apiVersion: apiVersion ?? a, kind: kind ?? k, ...rest };
}

/** Pulumi's marker of a secret value in the inputs the mocks record. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function isSecret(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** The plain value of a recorded input that may be a secret. */
export function reveal<T = any>(value: unknown): T {
    return (isSecret(value) ? value.value : value) as T;
}
