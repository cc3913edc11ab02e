/**
 * The apps layer's settings: `apps:*` in Pulumi.<env>.yaml, with per-environment defaults in code.
 * `loadAppsSettings` validates everything before any resource is registered.
 */
import { Environment } from "../lib/environment";
import { SettingsReader, SettingsSource, pulumiSettingsSource } from "../lib/settings";
import { WORKLOAD_NAMES, WORKLOADS, WorkloadName } from "../lib/catalogue";

export interface SyncWindow {
    kind: "allow" | "deny";
    /** Cron schedule (5 fields) at which the window opens. */
    schedule: string;
    /** How long it stays open (Go duration: 1h, 30m, 1h30m). */
    duration: string;
    /** Applications it applies to ("*" for all). */
    applications: string[];
    /** Whether manual syncs are allowed while the window blocks automated ones. */
    manualSync: boolean;
    timeZone: string;
}

export interface AppsSettings {
    environment: Environment;
    /** Pulumi organization of the infra and platform stacks this layer reads. */
    organization?: string;
    /** The Git repository ArgoCD syncs; undefined = https://github.com/<infra's githubRepository>.git. */
    repoUrl?: string;
    /** Whether ArgoCD needs credentials to read the repository (from Secrets Manager, through External Secrets). */
    repoPrivate: boolean;
    /** The branch or tag every Application tracks. */
    targetRevision: string;
    /** The workloads that get an Application, in catalogue order. */
    workloads: WorkloadName[];
    /** Public hostname of the frontend; undefined keeps it private (no Ingress). */
    frontendHostname?: string;
    syncWindows: SyncWindow[];
    /** Wait, during `pulumi up`, until each Application is synced (data stores also healthy) before creating the next wave. */
    waitForSync: boolean;
    syncTimeoutMinutes: number;
    /** Protect the generated credentials (and keep deleted secrets recoverable for 30 days). */
    protect: boolean;
}

export const SYNC_WINDOW_KEYS = ["kind", "schedule", "duration", "applications", "manualSync", "timeZone"];

const HOSTNAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const REPO_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/[A-Za-z0-9._~/-]+$/;
const ORGANIZATION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const CRON_FIELD = /^[0-9A-Za-z*/,-]+$/;
const DURATION = /^(?=\d)(\d+h)?(\d+m)?$/;
const TIME_ZONE = /^(UTC|[A-Za-z_]+(\/[A-Za-z0-9_+-]+)+)$/;

/** ArgoCD reads hex strings of 7 to 40 characters (and 64) as commit SHAs, not branch names. */
const COMMIT_SHA = /^([0-9a-f]{7,40}|[0-9a-f]{64})$/i;

/**
 * A Git branch or tag name ArgoCD resolves as such: git's ref-name rules, not HEAD, not something ArgoCD reads as a
 * commit SHA, and none of the characters it reads as a version range (`*`, `^`, `~`, `<`, `>`, `=`, `|`, `,`).
 */
export function isBranchOrTag(value: string): boolean {
    if (value.length === 0 || value.length > 255) return false;
    if (!/^[A-Za-z0-9._+/-]+$/.test(value)) return false;
    if (value.toUpperCase() === "HEAD" || COMMIT_SHA.test(value)) return false;
    if (value.includes("..") || value.includes("//")) return false;
    if (/^[/.-]/.test(value) || /[/.]$/.test(value)) return false;
    return value.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}

export function isHostname(value: string): boolean {
    return HOSTNAME.test(value);
}

/** An https URL without credentials, query or fragment. */
export function isRepoUrl(value: string): boolean {
    return REPO_URL.test(value) && !value.includes("..");
}

export function loadAppsSettings(environment: Environment, source: SettingsSource = pulumiSettingsSource()): AppsSettings {
    const r = new SettingsReader("apps", source);

    const organization = r.optionalString("organization", "a Pulumi organization name", (v) => ORGANIZATION.test(v));
    const repoUrl = r.optionalString(
        "repoUrl",
        "an https URL of a Git repository without credentials (https://github.com/<owner>/<name>.git); credentials of a private repository live in Secrets Manager",
        isRepoUrl,
    );
    const repoPrivate = r.bool("repoPrivate", false);
    const targetRevision = r.string(
        "targetRevision",
        environment,
        "a Git branch or tag name (not HEAD, not a commit SHA, not a version range), e.g. staging, production, release-1.4",
        isBranchOrTag,
    );
    const workloads = readWorkloads(r);
    const frontendHostname = r.optionalString("frontendHostname", "a lowercase DNS name such as shop.example.com (no wildcard, no scheme)", isHostname);
    if (frontendHostname && !workloads.includes("frontend")) {
        r.fail("frontendHostname", frontendHostname, "a hostname only when apps:workloads includes frontend");
    }
    const syncWindows = readSyncWindows(r, workloads);
    const waitForSync = r.bool("waitForSync", true);
    const syncTimeoutMinutes = r.int("syncTimeoutMinutes", 15, 1, 120);
    const protect = r.bool("protect", environment === "production");

    r.finish();

    return {
        environment,
        organization,
        repoUrl,
        repoPrivate,
        targetRevision,
        workloads,
        frontendHostname,
        syncWindows,
        waitForSync,
        syncTimeoutMinutes,
        protect,
    };
}

function readWorkloads(r: SettingsReader): WorkloadName[] {
    const allowed = `a non-empty list of workloads of this repository (${WORKLOAD_NAMES.join(", ")})`;
    const listed = r.stringList("workloads", [...WORKLOAD_NAMES], allowed, (v) => (WORKLOAD_NAMES as readonly string[]).includes(v));
    if (listed.length === 0) {
        r.fail("workloads", listed, allowed);
        return [...WORKLOAD_NAMES];
    }
    const names = WORKLOAD_NAMES.filter((n) => listed.includes(n));
    const missing = names.flatMap((n) => WORKLOADS[n].requires.filter((req) => !names.includes(req)).map((req) => `${n} needs ${req}`));
    if (missing.length > 0) r.fail("workloads", listed, `a list that includes what each workload needs (${missing.join("; ")})`);
    return names;
}

function readSyncWindows(r: SettingsReader, workloads: WorkloadName[]): SyncWindow[] {
    const { present, value } = r.structured("syncWindows");
    if (!present) return [];
    if (!Array.isArray(value)) {
        r.fail("syncWindows", value, "a list of sync windows ({kind, schedule, duration, applications, manualSync, timeZone})");
        return [];
    }
    return value.flatMap((raw, i): SyncWindow[] => {
        const at = `syncWindows[${i}]`;
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            r.fail(at, raw, "an object with kind, schedule and duration");
            return [];
        }
        const w = raw as Record<string, unknown>;
        r.checkKeys(at, w, SYNC_WINDOW_KEYS);
        const kind = r.checkOneOf(`${at}.kind`, w.kind, ["allow", "deny"] as const);
        const schedule = check(r, `${at}.schedule`, w.schedule, "a cron schedule of 5 fields, e.g. \"0 22 * * 5\"", (v) => {
            const fields = v.trim().split(/\s+/);
            return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
        });
        const duration = check(r, `${at}.duration`, w.duration, "a duration such as 1h, 30m or 1h30m", (v) => DURATION.test(v) && !/^(0+h)?(0+m)?$/.test(v));
        const applications =
            w.applications === undefined
                ? ["*"]
                : r.checkStringList(`${at}.applications`, w.applications, `a list of "*" or enabled workloads (${workloads.join(", ")})`, (v) =>
                      v === "*" || (workloads as string[]).includes(v),
                  );
        const manualSync = w.manualSync === undefined ? false : typeof w.manualSync === "boolean" ? w.manualSync : r.fail(`${at}.manualSync`, w.manualSync, "true or false");
        const timeZone = w.timeZone === undefined ? "UTC" : check(r, `${at}.timeZone`, w.timeZone, "an IANA time zone such as UTC or Europe/Paris", (v) => TIME_ZONE.test(v));
        if (!kind || !schedule || !duration || !applications || manualSync === undefined || !timeZone) return [];
        return [{ kind, schedule: schedule.trim().split(/\s+/).join(" "), duration, applications, manualSync, timeZone }];
    });
}

function check(r: SettingsReader, name: string, value: unknown, allowed: string, valid: (v: string) => boolean): string | undefined {
    if (typeof value !== "string" || !valid(value)) return r.fail(name, value, allowed);
    return value;
}
