/**
 * Where the layers put the IAM roles they create. infra creates a permissions boundary and exports it with a role
 * path; every role of every layer carries both. The CI deploy role may only create, change and pass roles under
 * that path that carry that boundary, so nothing it deploys can hold more than the boundary allows.
 */
import * as pulumi from "@pulumi/pulumi";

/** Spreads into `aws.iam.RoleArgs` (and `IrsaRoleArgs`): the same names. */
export interface RolePlacement {
    /** `/<namePrefix>/` (infra output `iamRolePath`). */
    path: pulumi.Input<string>;
    /** ARN of the `<namePrefix>-workload-boundary` policy (infra output `permissionsBoundaryArn`). */
    permissionsBoundary: pulumi.Input<string>;
}

/** The path of an environment's roles. */
export function rolePath(namePrefix: string): string {
    return `/${namePrefix}/`;
}
