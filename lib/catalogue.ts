/**
 * The workloads of this repository and what the layers need to know about each: its tier (which fixes its
 * namespace and sync wave), its ECR image, the workloads it needs running first, the Secrets Manager secrets its
 * manifests read, and its sizing per environment (replicas, each container's requests and limits, its volume).
 * This one table drives the apps layer (Applications, their order, the AppProject's namespaces), the platform's
 * workload namespaces (their quotas and limit ranges are sized from it), infra's default ECR repositories, and the
 * tests' expectations; the overlays in Git must declare exactly its sizing (a test compares every container).
 * Adding a workload: README "Extending".
 */
import type { Environment } from "./environment";

export const WORKLOAD_NAMES = ["mysql", "redis", "user-service", "product-service", "order-service", "frontend"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export type Tier = "data" | "backend" | "frontend";

/** Namespaces (created and labelled by platform) and ArgoCD sync waves: data first, then services, then the frontend. */
export const TIERS: Record<Tier, { namespace: string; syncWave: number }> = {
    data: { namespace: "data", syncWave: 0 },
    backend: { namespace: "backend", syncWave: 1 },
    frontend: { namespace: "frontend", syncWave: 2 },
};

/**
 * Secrets Manager secrets the apps layer generates, by short name (the full name is platform's secretsPrefix + this):
 * the data stores' credentials, and the key the services sign and check session tokens with.
 */
export const GENERATED_SECRETS = ["mysql", "redis", "session"] as const;
export type GeneratedSecret = (typeof GENERATED_SECRETS)[number];

/** A container's requests and limits, as Kubernetes quantities. */
export interface ContainerSizing {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
    /** An init container (it runs before the others; Kubernetes reserves the larger of it and the rest). */
    init?: boolean;
}

/** What one workload runs in one environment: the envelope its namespace's quota is sized for. */
export interface Sizing {
    /** Pods: the HorizontalPodAutoscaler's minimum and maximum (Deployments); a StatefulSet's replicas (min = max). */
    replicas: { min: number; max: number };
    /** Every container of the pod, by name. */
    containers: Record<string, ContainerSizing>;
    /** The volume each pod claims (StatefulSets), e.g. "5Gi". */
    volume?: string;
}

/** Extra pods a Deployment's rolling update starts (`maxSurge` of every base Deployment; a test checks it). */
export const ROLLING_SURGE = 1;

const size = (cpu: string, memory: string, limitCpu: string, limitMemory: string, init?: true): ContainerSizing => ({
    requests: { cpu, memory },
    limits: { cpu: limitCpu, memory: limitMemory },
    ...(init ? { init } : {}),
});

/** The schema migration the Python services run before they serve (the kit's init container, the same everywhere). */
const MIGRATE = size("20m", "48Mi", "200m", "96Mi", true);

/** The three Python services are sized alike. */
const PYTHON_SERVICE: Record<Environment, Sizing> = {
    staging: { replicas: { min: 1, max: 2 }, containers: { migrate: MIGRATE, app: size("40m", "96Mi", "200m", "192Mi") } },
    production: { replicas: { min: 2, max: 5 }, containers: { migrate: MIGRATE, app: size("100m", "192Mi", "400m", "384Mi") } },
};

export interface Workload {
    name: WorkloadName;
    tier: Tier;
    /** The ECR repository (infra's ecrRepositoryUrls key) the Application points the image at; none for public images. */
    ecrImage?: string;
    /** Workloads it connects to, which must be running (and synced) first: its NetworkPolicies allow exactly these. */
    requires: WorkloadName[];
    /** Generated secrets the workload's ExternalSecret objects read. */
    secrets: GeneratedSecret[];
    /** The port its Service serves (what the workloads that require it connect to). */
    port: number;
    /** The controller of its pods in the overlays (a data store keeps its volume: a StatefulSet). */
    controller: "Deployment" | "StatefulSet";
    /** Replicas, containers and volume per environment (the overlays declare exactly this). */
    sizing: Record<Environment, Sizing>;
}

export const WORKLOADS: Record<WorkloadName, Workload> = {
    mysql: {
        name: "mysql",
        tier: "data",
        requires: [],
        secrets: ["mysql"],
        port: 3306,
        controller: "StatefulSet",
        sizing: {
            staging: { replicas: { min: 1, max: 1 }, containers: { mysql: size("100m", "256Mi", "500m", "512Mi") }, volume: "5Gi" },
            production: { replicas: { min: 1, max: 1 }, containers: { mysql: size("250m", "1Gi", "1", "1536Mi") }, volume: "20Gi" },
        },
    },
    redis: {
        name: "redis",
        tier: "data",
        requires: [],
        secrets: ["redis"],
        port: 6379,
        controller: "StatefulSet",
        sizing: {
            staging: { replicas: { min: 1, max: 1 }, containers: { redis: size("25m", "48Mi", "100m", "128Mi") }, volume: "1Gi" },
            production: { replicas: { min: 1, max: 1 }, containers: { redis: size("100m", "256Mi", "250m", "384Mi") }, volume: "5Gi" },
        },
    },
    // The three services share one database (its schema migrated by whichever starts first) and the session key.
    "user-service": { name: "user-service", tier: "backend", ecrImage: "user-service", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"], port: 5000, controller: "Deployment", sizing: PYTHON_SERVICE },
    "product-service": { name: "product-service", tier: "backend", ecrImage: "product-service", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"], port: 5000, controller: "Deployment", sizing: PYTHON_SERVICE },
    // order-service takes the stock in the order's own database transaction and reads the buyer from the session
    // token: it calls neither of the other services.
    "order-service": { name: "order-service", tier: "backend", ecrImage: "order-service", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"], port: 5000, controller: "Deployment", sizing: PYTHON_SERVICE },
    // The frontend's nginx proxies /api/users, /api/products and /api/orders to the three services.
    frontend: {
        name: "frontend",
        tier: "frontend",
        ecrImage: "frontend",
        requires: ["user-service", "product-service", "order-service"],
        secrets: [],
        port: 8080,
        controller: "Deployment",
        sizing: {
            staging: { replicas: { min: 1, max: 2 }, containers: { web: size("20m", "32Mi", "200m", "64Mi"), metrics: size("5m", "16Mi", "50m", "32Mi") } },
            production: { replicas: { min: 2, max: 4 }, containers: { web: size("50m", "64Mi", "250m", "128Mi"), metrics: size("10m", "16Mi", "50m", "32Mi") } },
        },
    },
};

/** The workloads of a namespace, in catalogue order. */
export function workloadsIn(namespace: string): Workload[] {
    return WORKLOAD_NAMES.map((n) => WORKLOADS[n]).filter((w) => TIERS[w.tier].namespace === namespace);
}

/** Pods of a workload at full scale: its maximum, plus a rolling update's surge for a Deployment. */
export function podsAtFullScale(w: Workload, environment: Environment): number {
    return w.sizing[environment].replicas.max + (w.controller === "Deployment" ? ROLLING_SURGE : 0);
}

export function namespaceOf(name: WorkloadName): string {
    return TIERS[WORKLOADS[name].tier].namespace;
}

export function syncWaveOf(name: WorkloadName): number {
    return TIERS[WORKLOADS[name].tier].syncWave;
}

/** Workload names in sync-wave order (data, backend, frontend), keeping the catalogue order inside a wave. */
export function inWaveOrder(names: readonly WorkloadName[]): WorkloadName[] {
    return WORKLOAD_NAMES.filter((n) => names.includes(n)).sort((a, b) => syncWaveOf(a) - syncWaveOf(b));
}

/** Where the manifests live in the repository. */
export const WORKLOADS_PATH = "apps/workloads";

/** The directory an Application syncs: the workload's overlay for the environment. */
export function overlayPath(name: WorkloadName, environment: string): string {
    return `${WORKLOADS_PATH}/${name}/overlays/${environment}`;
}

/** The Kustomize component (relative to the frontend's overlay) that adds the public Ingress. */
export const FRONTEND_INGRESS_COMPONENT = "../../components/ingress";

/**
 * Names the manifests in Git use for things platform creates: Kustomize cannot read Pulumi outputs, so the program
 * checks that platform's outputs still match them (a mismatch stops the update with both names).
 */
export const MANIFEST_SECRET_STORE = "aws-secrets-manager";
export const MANIFEST_STORAGE_CLASS = "gp3";

/** The database and user the services share; the passwords are generated (credentials.ts). */
export const DATABASE_NAME = "shop";
export const DATABASE_USER = "shop";
