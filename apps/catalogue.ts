/**
 * The six workloads of this repository and what the apps layer needs to know about each: its tier (which fixes
 * its namespace and sync wave), its ECR image, the workloads it needs running first, and the Secrets Manager
 * secrets its manifests read. The program, the settings and the tests all read this one table.
 */

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

export interface Workload {
    name: WorkloadName;
    tier: Tier;
    /** The ECR repository (infra's ecrRepositoryUrls key) the Application points the image at; none for public images. */
    ecrImage?: string;
    /** Workloads that must be running (and are synced) first. */
    requires: WorkloadName[];
    /** Generated secrets the workload's ExternalSecret objects read. */
    secrets: GeneratedSecret[];
}

export const WORKLOADS: Record<WorkloadName, Workload> = {
    mysql: { name: "mysql", tier: "data", requires: [], secrets: ["mysql"] },
    redis: { name: "redis", tier: "data", requires: [], secrets: ["redis"] },
    // The three services share one database (its schema migrated by whichever starts first) and the session key.
    "user-service": { name: "user-service", tier: "backend", ecrImage: "user-service", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"] },
    "product-service": { name: "product-service", tier: "backend", ecrImage: "product-service", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"] },
    // order-service takes the stock in the order's own database transaction and reads the buyer from the session
    // token: it calls neither of the other services.
    "order-service": { name: "order-service", tier: "backend", ecrImage: "order-service", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"] },
    // The frontend's nginx proxies /api/users, /api/products and /api/orders to the three services.
    frontend: { name: "frontend", tier: "frontend", ecrImage: "frontend", requires: ["user-service", "product-service", "order-service"], secrets: [] },
};

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
