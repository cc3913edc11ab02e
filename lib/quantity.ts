/** Kubernetes resource quantities as numbers: CPU in millicores, memory in MiB, storage in GiB. */

/** Millicores of a CPU quantity ("250m", "1", "0.5"). */
export function cpuMillis(q: string | number): number {
    const s = String(q);
    return s.endsWith("m") ? Number(s.slice(0, -1)) : Math.round(Number(s) * 1000);
}

/** MiB of a memory quantity ("96Mi", "1Gi", "512M"). */
export function memoryMiB(q: string | number): number {
    const s = String(q);
    const units: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, K: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576 };
    const m = /^(\d+(?:\.\d+)?)([KMGT]i?)?$/.exec(s);
    if (!m) throw new Error(`not a memory quantity: ${s}`);
    return Number(m[1]) * (m[2] ? units[m[2]] : 1 / 1048576);
}

/** GiB of a storage quantity ("20Gi", "500Mi", "1Ti"; a number is bytes). */
export function gibibytes(quantity: string | number): number {
    if (typeof quantity === "number") return quantity / 2 ** 30;
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(String(quantity).trim());
    if (!m) throw new Error(`not a storage quantity: ${quantity}`);
    const factor: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12, "": 1 };
    return (Number(m[1]) * factor[m[2] ?? ""]) / 2 ** 30;
}
