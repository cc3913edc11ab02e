/**
 * The apps layer's public contract (read by CI: the sync and health checks).
 * Named once here; apps/index.ts exports exactly these, the README documents them, a test checks both.
 */
export interface AppsOutputs {
    environment: string;
    /** The AppProject every Application belongs to. */
    appProjectName: string;
    /** Names of the ArgoCD Applications, in sync-wave order. */
    applicationNames: string[];
    /** https URL of the frontend when it has a hostname, otherwise "". */
    frontendUrl: string;
}

export const APPS_OUTPUT_NAMES: readonly (keyof AppsOutputs)[] = ["environment", "appProjectName", "applicationNames", "frontendUrl"];
