/** Helpers of the platform specs: runs of the layer, its releases, IRSA trust policies and pod requests. */
import * as assert from "assert";
import { environmentGraph, LayerFailure, LayerRun, RecordedResource, runLayer, runLayerExpectingFailure, stackName } from "../../lib/offline";
import { policyDocument } from "../helpers";

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

/** Millicores or MiB of a Kubernetes quantity (`250m`, `2`, `128Mi`, `1Gi`). */
export function quantity(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Mi|Gi)?$/.exec(q);
    assert.ok(m, `quantity ${q}`);
    const n = Number(m![1]);
    return m![2] === "m" || m![2] === "Mi" ? n : m![2] === "Gi" ? n * 1024 : n * 1000;
}

export interface Requests {
    cpu: number;
    memory: number;
}

const add = (a: Requests, b: Requests, times = 1): Requests => ({ cpu: a.cpu + times * b.cpu, memory: a.memory + times * b.memory });
const requestsOf = (resources: any): Requests => {
    assert.ok(resources?.requests?.cpu && resources?.requests?.memory, `requests set: ${JSON.stringify(resources)}`);
    assert.ok(resources?.limits?.memory, `memory limit set: ${JSON.stringify(resources)}`);
    return { cpu: quantity(resources.requests.cpu), memory: quantity(resources.requests.memory) };
};
const ZERO: Requests = { cpu: 0, memory: 0 };

/**
 * What a release's pods request in all, replicas included, daemonsets excluded, read from its Helm values the
 * way each chart uses them (the paths are the charts' own, see platform/charts.ts for the versions).
 */
export function releaseRequests(rel: RecordedResource): Requests {
    const v = rel.inputs.values;
    switch (rel.inputs.chart) {
        case "aws-load-balancer-controller":
            return add(ZERO, requestsOf(v.resources), v.replicaCount);
        case "external-secrets":
            return [
                [v.resources, v.replicaCount],
                [v.webhook.resources, v.webhook.replicaCount],
                [v.certController.resources, v.certController.replicaCount],
            ].reduce((sum, [res, n]) => add(sum, requestsOf(res), n), ZERO);
        case "sealed-secrets":
            return requestsOf(v.resources);
        case "metrics-server":
            return add(ZERO, requestsOf(v.replicas === undefined ? undefined : v.resources), v.replicas);
        case "cluster-autoscaler":
            return add(ZERO, requestsOf(v.resources), v.replicaCount);
        case "argo-cd": {
            let sum = ZERO;
            for (const c of ["controller", "repoServer", "server", "applicationSet"]) sum = add(sum, requestsOf(v[c].resources), v[c].replicas);
            // The chart runs one notifications controller.
            if (v.notifications?.enabled) sum = add(sum, requestsOf(v.notifications.resources));
            if (v.redis.enabled) sum = add(sum, requestsOf(v.redis.resources));
            const ha = v["redis-ha"];
            if (ha?.enabled) {
                for (const c of [ha.redis, ha.sentinel, ha.splitBrainDetection]) sum = add(sum, requestsOf(c.resources), ha.replicas);
                sum = add(sum, requestsOf(ha.haproxy.resources), ha.haproxy.replicas);
            }
            return sum;
        }
        case "kube-prometheus-stack": {
            const reloader = requestsOf(v.prometheusOperator.prometheusConfigReloader.resources);
            let sum = requestsOf(v.prometheusOperator.resources);
            sum = add(sum, add(requestsOf(v.prometheus.prometheusSpec.resources), reloader), v.prometheus.prometheusSpec.replicas);
            sum = add(sum, add(requestsOf(v.alertmanager.alertmanagerSpec.resources), reloader), v.alertmanager.alertmanagerSpec.replicas);
            // Grafana runs two sidecars (dashboards and datasources) beside it.
            sum = add(sum, add(requestsOf(v.grafana.resources), requestsOf(v.grafana.sidecar.resources), 2), v.grafana.replicas);
            return add(sum, requestsOf(v["kube-state-metrics"].resources));
        }
    }
    throw new Error(`no request model for ${rel.inputs.chart}`);
}

export function platformRequests(run: LayerRun): Requests {
    return run.ofType(RELEASE).reduce((sum, rel) => add(sum, releaseRequests(rel)), ZERO);
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
