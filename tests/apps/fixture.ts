/**
 * Running the apps program under the mock kit. With the platform layer present and working, the base run of an
 * environment is the real chain infra -> platform -> apps (`environmentGraph`, shared with the other suites);
 * otherwise apps reads a real infra run and a realistic platform fixture. Variants (other settings, other platform
 * outputs) run apps alone on the same infra and platform outputs.
 */
import { PlatformOutputs } from "../../platform/contract";
import { ConfigOverrides, environmentGraph, LayerFailure, layerExists, LayerRun, MOCK_ACCOUNT_ID, runEnvironment, runLayer, runLayerExpectingFailure, stackName } from "../kit";

export const ENVS = ["staging", "production"] as const;
export type Env = (typeof ENVS)[number];

export interface AppsBase {
    env: Env;
    /** Where the platform outputs came from. */
    source: "graph" | "fixture";
    infra: Record<string, any>;
    infraSecretOutputs: string[];
    platform: PlatformOutputs;
    apps: LayerRun;
}

/** What a deployed platform layer of this repository exports (used while platform cannot run). */
export function platformFixture(env: string, infra: Record<string, any>): PlatformOutputs {
    const prefix = infra.namePrefix as string;
    return {
        environment: env,
        argocdNamespace: "argocd",
        argocdServerUrl: "",
        ingressClass: "alb",
        albGroupName: prefix,
        albAccessLogsBucket: `${prefix}-alb-access-logs-${MOCK_ACCOUNT_ID}`,
        certificateArn: "",
        wafAclArn: `arn:aws:wafv2:${infra.region}:${MOCK_ACCOUNT_ID}:regional/webacl/${prefix}/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9`,
        secretStoreName: "aws-secrets-manager",
        secretsPrefix: `${prefix}/`,
        workloadNamespaces: ["frontend", "backend", "data"],
        storageClassName: "gp3",
        grafanaUrl: "",
        alarmTopicArn: `arn:aws:sns:${infra.region}:${MOCK_ACCOUNT_ID}:${prefix}-alarms`,
    };
}

/** A certificate for the hostnames of an environment (what platform:certificateArn would hold). */
export function certificateArn(infra: Record<string, any>): string {
    return `arn:aws:acm:${infra.region}:${MOCK_ACCOUNT_ID}:certificate/11111111-2222-3333-4444-555555555555`;
}

const bases = new Map<Env, Promise<AppsBase>>();

/** The apps run of an environment with its committed settings (evaluated once per process). */
export function appsBase(env: Env): Promise<AppsBase> {
    if (!bases.has(env)) bases.set(env, loadBase(env));
    return bases.get(env)!;
}

async function loadBase(env: Env): Promise<AppsBase> {
    if (layerExists("platform")) {
        try {
            const graph = await environmentGraph(env);
            if (graph.platform && graph.apps) {
                return { env, source: "graph", infra: graph.infra.outputs, infraSecretOutputs: graph.infra.secretOutputs, platform: graph.platform.outputs as PlatformOutputs, apps: graph.apps };
            }
        } catch (error) {
            // Only a platform that cannot run yet falls back to the fixture; an apps failure is a failure.
            const platformRuns = await runEnvironment(env, { through: "platform" }).then(
                () => true,
                () => false,
            );
            if (platformRuns) throw error;
        }
    }
    const infra = await runLayer("infra", { env });
    const platform = platformFixture(env, infra.outputs);
    const apps = await runLayer("apps", {
        env,
        stackOutputs: { [stackName("infra", env)]: infra.outputs, [stackName("platform", env)]: platform as unknown as Record<string, unknown> },
        secretOutputs: { [stackName("infra", env)]: infra.secretOutputs },
    });
    return { env, source: "fixture", infra: infra.outputs, infraSecretOutputs: infra.secretOutputs, platform, apps };
}

export interface Variant {
    /** apps settings merged over the environment's settings file (undefined removes a key). */
    config?: ConfigOverrides;
    /** platform outputs replacing the base's. */
    platform?: Partial<PlatformOutputs>;
}

async function variantOptions(env: Env, variant: Variant) {
    const base = await appsBase(env);
    return {
        env,
        config: variant.config,
        stackOutputs: {
            [stackName("infra", env)]: base.infra,
            [stackName("platform", env)]: { ...base.platform, ...variant.platform } as unknown as Record<string, unknown>,
        },
        secretOutputs: { [stackName("infra", env)]: base.infraSecretOutputs },
    };
}

/** apps alone, on the base's infra and platform outputs, with other settings or platform outputs. */
export async function runApps(env: Env, variant: Variant = {}): Promise<LayerRun> {
    return runLayer("apps", await variantOptions(env, variant));
}

export async function runAppsExpectingFailure(env: Env, variant: Variant = {}): Promise<LayerFailure> {
    return runLayerExpectingFailure("apps", await variantOptions(env, variant));
}

const publicRuns = new Map<Env, Promise<LayerRun>>();

/** apps with a public frontend (`shop-<env>.example.com`, platform with a certificate), evaluated once per process. */
export function publicFrontendRun(env: Env): Promise<LayerRun> {
    if (!publicRuns.has(env)) {
        publicRuns.set(
            env,
            appsBase(env).then((base) => runApps(env, { config: { "apps:frontendHostname": publicHostname(env) }, platform: { certificateArn: certificateArn(base.infra) } })),
        );
    }
    return publicRuns.get(env)!;
}

export function publicHostname(env: Env): string {
    return `shop-${env}.example.com`;
}
