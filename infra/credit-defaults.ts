/**
 * The account's default CPU-credit mode per burstable instance family and region: what EKS managed nodes start in
 * (they ignore a launch template's CreditSpecification). One value per family, account and region: in an account
 * shared by staging and production, both environments' nodes of a family run whichever mode was set last, so the
 * setting is an administrator's (infra/account-policies.ts), CI only reads it, and the settings warn when the two
 * environments ask for different modes of a family they both run.
 */
import { AWS_DEFAULT_CPU_CREDITS, isBurstable } from "../lib/instance-types";
import type { CpuCredits } from "./settings";

/** The families whose account default the provider can set (aws.ec2.DefaultCreditSpecification's instanceFamily). */
export const SETTABLE_CREDIT_FAMILIES = ["t2", "t3", "t3a", "t4g"];

export interface CreditDefault {
    family: string;
    cpuCredits: CpuCredits;
}

export interface NodeCredits {
    instanceTypes: string[];
    cpuCredits: CpuCredits;
}

const burstableFamilies = (instanceTypes: string[]) => [...new Set(instanceTypes.filter(isBurstable).map((t) => t.split(".")[0]))];

/**
 * The account defaults nodes of these types need, where the wanted mode differs from AWS's default, and the families
 * whose default cannot be set here (their nodes run AWS's default).
 */
export function creditDefaults(nodes: NodeCredits): { set: CreditDefault[]; unsettable: string[] } {
    const wanted = burstableFamilies(nodes.instanceTypes).filter((family) => AWS_DEFAULT_CPU_CREDITS[family] !== nodes.cpuCredits);
    return {
        set: wanted.filter((f) => SETTABLE_CREDIT_FAMILIES.includes(f)).map((family) => ({ family, cpuCredits: nodes.cpuCredits })),
        unsettable: wanted.filter((f) => !SETTABLE_CREDIT_FAMILIES.includes(f)),
    };
}

/** Families both environments run whose account default they would set apart (sharing an account and a region). */
export function creditConflicts(own: NodeCredits, peer: NodeCredits): string[] {
    if (own.cpuCredits === peer.cpuCredits) return [];
    const theirs = burstableFamilies(peer.instanceTypes);
    return burstableFamilies(own.instanceTypes).filter((f) => theirs.includes(f) && SETTABLE_CREDIT_FAMILIES.includes(f));
}
