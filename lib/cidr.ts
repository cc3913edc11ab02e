/** IPv4 CIDR arithmetic for settings validation (no dependency: the rules are small and must be exact). */

export interface Cidr {
    /** Network address as an unsigned 32-bit number. */
    base: number;
    prefix: number;
    text: string;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined for anything malformed, or with host bits set. */
export function parseCidr(text: string): Cidr | undefined {
    const m = CIDR_PATTERN.exec(text.trim());
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    if ((base & hostMask(prefix)) !== 0) return undefined;
    return { base, prefix, text: text.trim() };
}

function hostMask(prefix: number): number {
    return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function size(c: Cidr): number {
    return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    const aEnd = a.base + size(a) - 1;
    const bEnd = b.base + size(b) - 1;
    return a.base <= bEnd && b.base <= aEnd;
}

export function isValidCidr(text: string): boolean {
    return parseCidr(text) !== undefined;
}
