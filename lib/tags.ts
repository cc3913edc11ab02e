/** The tags every taggable resource carries (set as provider default tags, so nothing can forget them). */
export function standardTags(environment: string, project: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, Environment: environment, Project: project, ManagedBy: "pulumi" };
}

export const REQUIRED_TAG_KEYS = ["Environment", "Project", "ManagedBy"] as const;
