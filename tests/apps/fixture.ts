/**
 * Running the apps program under the mock kit. The base run of an environment is the real chain
 * infra -> platform -> apps (`environmentGraph`, shared with the other suites). Variants (other settings, other
 * platform outputs) run apps alone on the same infra and platform outputs.
 */
import { PlatformOutputs } from "../../platform/contract";
import { ConfigOverrides, environmentGraph, LayerFailure, LayerRun, MOCK_ACCOUNT_ID, runLayer, runLayerExpectingFailure, stackName } from "../../lib/offline";

export const ENVS = ["staging", "production"] as const;
export type Env = (typeof ENVS)[number];

export interface AppsBase {
    env: Env;
    infra: Record<string, any>;
    infraSecretOutputs: string[];
    platform: PlatformOutputs;
    /** platform's run (what it creates, e.g. in the workload namespaces). */
    platformRun: LayerRun;
    apps: LayerRun;
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
    const graph = await environmentGraph(env);
    if (!graph.platform || !graph.apps) throw new Error(`the ${env} graph did not run platform and apps`);
    return { env, infra: graph.infra.outputs, infraSecretOutputs: graph.infra.secretOutputs, platform: graph.platform.outputs as PlatformOutputs, platformRun: graph.platform, apps: graph.apps };
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
const publicPlatforms = new Map<Env, Promise<LayerRun>>();

/**
 * platform when the frontend is public: with a certificate, and seeing apps:frontendHostname in the same settings
 * file, it creates the WAF ACL the workloads' IngressClass attaches (evaluated once per process).
 */
export function publicPlatformRun(env: Env): Promise<LayerRun> {
    if (!publicPlatforms.has(env)) {
        publicPlatforms.set(
            env,
            appsBase(env).then((base) =>
                runLayer("platform", {
                    env,
                    config: { "apps:frontendHostname": publicHostname(env), "platform:certificateArn": certificateArn(base.infra) },
                    stackOutputs: { [stackName("infra", env)]: base.infra },
                    secretOutputs: { [stackName("infra", env)]: base.infraSecretOutputs },
                }),
            ),
        );
    }
    return publicPlatforms.get(env)!;
}

/** platform's outputs when the frontend is public (see {@link publicPlatformRun}). */
export async function publicPlatformOutputs(env: Env): Promise<PlatformOutputs> {
    return (await publicPlatformRun(env)).outputs as PlatformOutputs;
}

/** apps with a public frontend (`shop-<env>.example.com`, platform with a certificate and its WAF), evaluated once per process. */
export function publicFrontendRun(env: Env): Promise<LayerRun> {
    if (!publicRuns.has(env)) {
        publicRuns.set(
            env,
            publicPlatformOutputs(env).then((platform) => runApps(env, { config: { "apps:frontendHostname": publicHostname(env) }, platform })),
        );
    }
    return publicRuns.get(env)!;
}

export function publicHostname(env: Env): string {
    return `shop-${env}.example.com`;
}
