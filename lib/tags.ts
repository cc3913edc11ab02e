/** The tags every taggable resource carries (set as provider default tags, so nothing can forget them). */
export function standardTags(environment: string, project: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, Environment: environment, Project: project, ManagedBy: "pulumi" };
}

/** Tags the program sets itself on every resource: `<layer>:tags` cannot override them. */
export const RESERVED_TAGS = ["Environment", "Project", "ManagedBy"];

/** The characters AWS accepts in a tag key, 1 to 128 of them. */
export const TAG_KEY_PATTERN = /^[\w .:/=+@-]{1,128}$/;

/** An extra tag (`<layer>:tags`) AWS accepts and the program does not set itself. */
export function isValidExtraTag(key: string, value: string): boolean {
    return TAG_KEY_PATTERN.test(key) && value.length <= 256 && !RESERVED_TAGS.includes(key);
}

export const EXTRA_TAGS_ALLOWED = `tag values up to 256 characters under keys other than ${RESERVED_TAGS.join(", ")}`;

/**
 * The tag that marks an AWS resource a cluster's controllers made (`kubernetes.io/cluster/<cluster>: owned`): the EBS
 * CSI driver puts it on every volume it provisions (infra/addons.ts), and destroy finds what is left by it.
 */
export function clusterOwnedTagKey(clusterName: string): string {
    return `kubernetes.io/cluster/${clusterName}`;
}
