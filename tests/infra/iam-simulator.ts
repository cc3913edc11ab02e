/**
 * A small IAM policy evaluator for the tests: decides a request (action, resource, condition keys) against
 * identity policies, optionally intersected with a permissions boundary, the way AWS documents it
 * (IAM User Guide, "Policy evaluation logic" and "Condition operators"):
 * - an explicit Deny in any policy wins; otherwise an Allow is needed (in the identity policies and, when there is
 *   one, in the boundary);
 * - Action/NotAction and Resource match with `*` and `?` (actions case-insensitively);
 * - all operators of a Condition must hold, all keys of an operator must hold, and a key holds when any of its
 *   values matches (for a negated operator: when none does);
 * - a missing key makes positive operators false and negated ones true; `...IfExists` makes any operator true on a
 *   missing key; `Null` tests presence; `ForAllValues:` holds for a missing key, `ForAnyValue:` does not.
 * It covers the operators this project's policies use and fails on any other, so a new one gets semantics on purpose.
 */
export type PolicyDocument = { Statement: Statement[] };

interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Request {
    action: string;
    /** The resource's ARN, or "*" for actions without resource-level permissions. */
    resource: string;
    /** Condition keys of the request context; multi-valued keys (aws:TagKeys) as lists. */
    context?: Record<string, string | string[]>;
}

export type Decision = "allowed" | "implicitly denied" | "explicitly denied";

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
    const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${escaped}$`, ignoreCase ? "i" : "").test(value);
}

const BASE_OPERATORS: Record<string, { match: (pattern: string, value: string) => boolean; negated: boolean }> = {
    StringEquals: { match: (p, v) => p === v, negated: false },
    StringNotEquals: { match: (p, v) => p === v, negated: true },
    StringLike: { match: (p, v) => glob(p, v, false), negated: false },
    StringNotLike: { match: (p, v) => glob(p, v, false), negated: true },
    ArnEquals: { match: (p, v) => glob(p, v, false), negated: false },
    ArnLike: { match: (p, v) => glob(p, v, false), negated: false },
    ArnNotEquals: { match: (p, v) => glob(p, v, false), negated: true },
    ArnNotLike: { match: (p, v) => glob(p, v, false), negated: true },
    Bool: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};

function lookup(context: Record<string, string | string[]>, key: string): string[] | undefined {
    const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
    return found === undefined ? undefined : list(context[found]);
}

function conditionHolds(operator: string, key: string, expected: string[], context: Record<string, string | string[]>): boolean {
    const present = lookup(context, key);
    if (operator === "Null") return expected.some((e) => (e === "true") === (present === undefined));
    const [qualifier, rest] = operator.includes(":") ? operator.split(":") : [undefined, operator];
    const ifExists = rest.endsWith("IfExists");
    const base = BASE_OPERATORS[ifExists ? rest.slice(0, -"IfExists".length) : rest];
    if (!base) throw new Error(`iam-simulator: the operator ${operator} has no semantics here; add them`);
    const holdsFor = (value: string) => {
        const matched = expected.some((e) => base.match(e, value));
        return base.negated ? !matched : matched;
    };
    if (qualifier === "ForAllValues") return (present ?? []).every(holdsFor);
    if (qualifier === "ForAnyValue") return (present ?? []).some(holdsFor);
    if (qualifier !== undefined) throw new Error(`iam-simulator: the qualifier ${qualifier} has no semantics here`);
    if (present === undefined) return ifExists || base.negated;
    return present.some(holdsFor);
}

function applies(s: Statement, r: Request): boolean {
    const actionMatches = (patterns: string[]) => patterns.some((p) => glob(p, r.action, true));
    if (s.Action !== undefined ? !actionMatches(list(s.Action)) : actionMatches(list(s.NotAction))) return false;
    const resourceMatches = (patterns: string[]) => patterns.some((p) => glob(p, r.resource, false));
    if (s.Resource !== undefined ? !resourceMatches(list(s.Resource)) : resourceMatches(list(s.NotResource))) return false;
    const context = r.context ?? {};
    return Object.entries(s.Condition ?? {}).every(([operator, keys]) => Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, list(values), context)));
}

function decide(policies: PolicyDocument[], r: Request): Decision {
    const statements = policies.flatMap((p) => list(p.Statement)).filter((s) => applies(s, r));
    if (statements.some((s) => s.Effect === "Deny")) return "explicitly denied";
    return statements.some((s) => s.Effect === "Allow") ? "allowed" : "implicitly denied";
}

/** The decision for a principal with these identity policies and, optionally, a permissions boundary. */
export function evaluate(policies: PolicyDocument[], request: Request, boundary?: PolicyDocument): Decision {
    const identity = decide(policies, request);
    if (boundary === undefined || identity === "explicitly denied") return identity;
    const bounded = decide([boundary], request);
    if (bounded === "explicitly denied") return bounded;
    return identity === "allowed" && bounded === "allowed" ? "allowed" : "implicitly denied";
}

/** An identity policy that allows everything (what AdministratorAccess grants). */
export const ALLOW_ALL: PolicyDocument = { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
