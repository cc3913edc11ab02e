/**
 * EC2 instance types this project knows how to size: the free-tier-eligible types and the production class.
 * Used to pick the AMI architecture, a memory-aware pods-per-node limit, and node allocatable memory for
 * capacity checks. Figures from the EC2 instance-type specifications (vCPU, memory, ENIs, IPv4 per ENI),
 * checked 2026-11.
 */

export type Architecture = "x86_64" | "arm64";

export interface InstanceTypeSpec {
    vcpu: number;
    /** Physical memory in MiB. */
    memoryMiB: number;
    architecture: Architecture;
    maxEnis: number;
    ipv4PerEni: number;
    /** Burstable types: the CPU share per vCPU earned as credits (above it, unlimited mode bills surplus credits). */
    baselinePercent?: number;
}

export const INSTANCE_TYPES: Record<string, InstanceTypeSpec> = {
    "t3.micro": { vcpu: 2, memoryMiB: 1024, architecture: "x86_64", maxEnis: 2, ipv4PerEni: 2, baselinePercent: 10 },
    "t3.small": { vcpu: 2, memoryMiB: 2048, architecture: "x86_64", maxEnis: 3, ipv4PerEni: 4, baselinePercent: 20 },
    "t3.medium": { vcpu: 2, memoryMiB: 4096, architecture: "x86_64", maxEnis: 3, ipv4PerEni: 6, baselinePercent: 20 },
    "t3.large": { vcpu: 2, memoryMiB: 8192, architecture: "x86_64", maxEnis: 3, ipv4PerEni: 12, baselinePercent: 30 },
    "t4g.micro": { vcpu: 2, memoryMiB: 1024, architecture: "arm64", maxEnis: 2, ipv4PerEni: 2, baselinePercent: 10 },
    "t4g.small": { vcpu: 2, memoryMiB: 2048, architecture: "arm64", maxEnis: 3, ipv4PerEni: 4, baselinePercent: 20 },
    "t4g.medium": { vcpu: 2, memoryMiB: 4096, architecture: "arm64", maxEnis: 3, ipv4PerEni: 6, baselinePercent: 20 },
    // Intel burstable, free-tier eligible like t3.micro/t3.small, with the same network limits.
    "t8i.micro": { vcpu: 2, memoryMiB: 1024, architecture: "x86_64", maxEnis: 2, ipv4PerEni: 2 },
    "t8i.small": { vcpu: 2, memoryMiB: 2048, architecture: "x86_64", maxEnis: 3, ipv4PerEni: 4 },
    "c7i-flex.large": { vcpu: 2, memoryMiB: 4096, architecture: "x86_64", maxEnis: 3, ipv4PerEni: 10 },
    "m7i-flex.large": { vcpu: 2, memoryMiB: 8192, architecture: "x86_64", maxEnis: 3, ipv4PerEni: 10 },
};

/** t2/t3/t3a/t4g/t8i: the families with CPU credits. */
export function isBurstable(instanceType: string): boolean {
    return /^t\d[a-z]*\./.test(instanceType);
}

export type CpuCreditMode = "standard" | "unlimited";

/** The CPU-credit mode instances of a family start in when nobody set the account's default (EC2 user guide). */
export const AWS_DEFAULT_CPU_CREDITS: Record<string, CpuCreditMode> = { t2: "standard", t3: "unlimited", t3a: "unlimited", t4g: "unlimited", t8i: "unlimited" };

/**
 * Pods per node the VPC CNI allows: secondary IPs without prefix delegation (t3.micro 4, t3.small 11), /28 prefixes
 * with it (16 per IP slot, cap 110: t3.micro and t4g.micro 34, t3.small and larger 110).
 */
export function cniMaxPods(spec: InstanceTypeSpec, prefixDelegation: boolean): number {
    const perEni = prefixDelegation ? (spec.ipv4PerEni - 1) * 16 : spec.ipv4PerEni - 1;
    return Math.min(110, spec.maxEnis * perEni + 2);
}

/**
 * Memory the scheduler can hand to pods on one node (AL2023 EKS AMI, nodeadm): usable memory (about 7.5 % goes
 * to the kernel and firmware) minus kube-reserved minus the 100 MiB hard eviction threshold. nodeadm computes
 * kube-reserved from the ENI-based pod count (255 MiB + 11 MiB per pod), not from the 110 pods that prefix
 * delegation allows, so memory requests, not pod slots, are what limits small nodes.
 */
export function allocatableMemoryMiB(spec: InstanceTypeSpec): number {
    const usable = Math.floor(spec.memoryMiB * 0.925);
    return usable - (255 + 11 * cniMaxPods(spec, false)) - 100;
}

/**
 * CPU the scheduler can hand to pods (millicores): kube-reserved is 6 % of the first core, 1 % of the second,
 * 0.5 % of cores 3-4 and 0.25 % above.
 */
export function allocatableCpuMillis(spec: InstanceTypeSpec): number {
    const steps = [60, 10, 5, 5];
    let reserved = 0;
    for (let core = 0; core < spec.vcpu; core++) reserved += core < steps.length ? steps[core] : 2.5;
    return spec.vcpu * 1000 - Math.ceil(reserved);
}
