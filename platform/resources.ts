/**
 * Container requests and limits. Every add-on sizes its pods per environment from these helpers: staging runs on
 * free-tier t3.small nodes (about 1.4 GiB allocatable each), so the platform's requests are kept small there
 * (the sum is checked by a test); production runs on t3.medium nodes.
 */

export interface ContainerResources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/** Requests (millicores, MiB) and limits (millicores, MiB). */
export function resources(cpuMillis: number, memoryMiB: number, cpuLimitMillis: number, memoryLimitMiB: number): ContainerResources {
    return {
        requests: { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi` },
        limits: { cpu: `${cpuLimitMillis}m`, memory: `${memoryLimitMiB}Mi` },
    };
}

