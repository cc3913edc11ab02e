/**
 * "Today", the one input every date-dependent decision reads (Kubernetes support windows): the ISO date in
 * GITOPS_TODAY when it is set (the tests pin it; `npm run plan -- <env> --today <date>` sets it), otherwise the
 * UTC date of the clock. Nothing else in the project reads the clock to decide anything.
 */
export const TODAY_VARIABLE = "GITOPS_TODAY";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
    if (!ISO_DATE.test(text)) return false;
    const date = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Today as YYYY-MM-DD (UTC). A malformed GITOPS_TODAY is an error naming the variable, never a silent fallback. */
export function today(env: NodeJS.ProcessEnv = process.env, clock: () => Date = () => new Date()): string {
    const pinned = env[TODAY_VARIABLE];
    if (pinned !== undefined && pinned !== "") {
        if (!isIsoDate(pinned)) throw new Error(`${TODAY_VARIABLE} = ${JSON.stringify(pinned)}: allowed a date written YYYY-MM-DD`);
        return pinned;
    }
    return clock().toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (ISO dates; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
