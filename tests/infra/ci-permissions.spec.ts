/**
 * What the CI roles may do in AWS, decided by evaluating the policies the infra layer deploys (tests/infra/
 * iam-simulator.ts) against requests: the requests `pulumi up` of the three layers makes must pass, and the
 * escalations a compromised CI run would try must not. Runs on each environment's whole graph (infra -> platform
 * -> apps), so a role, attachment or service a layer adds is checked against what CI may deploy.
 */
import * as assert from "assert";
import { environmentGraph, EnvironmentRun, LayerRun, MOCK_ACCOUNT_ID, RecordedResource } from "../../lib/offline";
import { ALLOW_ALL, Decision, evaluate, PolicyDocument, Request } from "./iam-simulator";
import { MANAGED_POLICY_ACTIONS } from "./managed-policy-actions";

const ACCT = MOCK_ACCOUNT_ID;
const REGION = "us-east-1";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const ENVS = ["staging", "production"] as const;
const other = { staging: "production", production: "staging" } as const;
const isCiRole = (r: RecordedResource) => /-ci-(preview|deploy|drift)$/.test(String(r.inputs.name ?? ""));

/** The IAM view of an environment's graph: roles with their inline policies and attachments. */
class IamGraph {
    constructor(readonly graph: EnvironmentRun) {}
    get infra(): LayerRun {
        return this.graph.infra;
    }
    roles(): RecordedResource[] {
        return this.graph.resources.filter((r) => r.type === ROLE);
    }
    ciRole(env: string, kind: string): RecordedResource {
        const found = this.roles().find((r) => r.inputs.name === `gitops-${env}-ci-${kind}`);
        assert.ok(found, `role gitops-${env}-ci-${kind}`);
        return found!;
    }
    /** The roles the layers create for AWS services and pods (every role but CI's). */
    workloadRoles(): RecordedResource[] {
        return this.roles().filter((r) => !isCiRole(r));
    }
    private ofRole(type: string, role: RecordedResource): RecordedResource[] {
        return this.graph.resources.filter((p) => p.type === type && (p.inputs.role === role.id || p.inputs.role === role.state.name));
    }
    inlinePolicies(role: RecordedResource): PolicyDocument[] {
        return this.ofRole(ROLE_POLICY, role).map((p) => JSON.parse(p.inputs.policy));
    }
    attachedPolicies(role: RecordedResource): string[] {
        return this.ofRole(ATTACHMENT, role).map((a) => a.inputs.policyArn);
    }
    boundary(): PolicyDocument {
        return JSON.parse(this.infra.one("aws:iam/policy:Policy").inputs.policy);
    }
    /** The ARN AWS gives a role: its path is part of it. */
    arnOf(role: RecordedResource): string {
        return `arn:aws:iam::${ACCT}:role${role.inputs.path ?? "/"}${role.state.name}`;
    }
    roleByMockArn(arn: string): RecordedResource {
        const found = this.roles().find((r) => r.state.arn === arn);
        assert.ok(found, `role ${arn}`);
        return found!;
    }
}

for (const env of ENVS) {
    const prefix = `gitops-${env}`;
    const workloadRole = (name: string, envPrefix = prefix) => `arn:aws:iam::${ACCT}:role/${envPrefix}/${name}`;
    const ciRoleArn = (kind: string) => `arn:aws:iam::${ACCT}:role/${prefix}-ci-${kind}`;
    const githubProvider = `arn:aws:iam::${ACCT}:oidc-provider/token.actions.githubusercontent.com`;
    describe(`CI and workload IAM (${env})`, () => {
        let g: IamGraph;
        let boundaryArn: string;
        before(async () => {
            g = new IamGraph(await environmentGraph(env));
            boundaryArn = g.infra.outputs.permissionsBoundaryArn;
        });

        describe(`CI deploy role (${env}): what pulumi up may do`, () => {
            let deploy: PolicyDocument[];
            before(() => {
                deploy = g.inlinePolicies(g.ciRole(env, "deploy"));
                assert.strictEqual(deploy.length, 1);
                assert.deepStrictEqual(g.attachedPolicies(g.ciRole(env, "deploy")), [], "no managed policy: the inline policy is all it may do");
            });
            // AWS puts the region of every request in its context (us-east-1 for the global IAM and STS).
        const decide = (action: string, resource: string, context?: Request["context"]): Decision =>
            evaluate(deploy, { action, resource, context: { "aws:RequestedRegion": REGION, ...context } });
            const bounded = () => ({ "iam:PermissionsBoundary": boundaryArn });
            const assertDecision = (expected: Decision | "denied", action: string, resource: string, context?: Request["context"]) => {
                const decision = decide(action, resource, context);
                const ok = expected === "denied" ? decision !== "allowed" : decision === expected;
                assert.ok(ok, `${action} on ${resource} ${JSON.stringify(context ?? {})}: ${decision}, expected ${expected}`);
            };

            it("creates, changes, tags, passes and deletes roles under /<prefix>/ that carry the workload boundary", () => {
                assert.strictEqual(boundaryArn, `arn:aws:iam::${ACCT}:policy/${prefix}-workload-boundary`);
                for (const action of ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DetachRolePolicy", "iam:DeleteRole"]) {
                    assertDecision("allowed", action, workloadRole("any-role"), bounded());
                }
                for (const action of ["iam:TagRole", "iam:UntagRole", "iam:GetRole", "iam:ListAttachedRolePolicies"]) assertDecision("allowed", action, workloadRole("any-role"));
            });

            it("can create every role of the three layers, with its inline policies and managed policy attachments", () => {
                const roles = g.workloadRoles();
                assert.ok(roles.length >= 9, `${roles.length} roles`);
                for (const role of roles) {
                    const context = { "iam:PermissionsBoundary": role.inputs.permissionsBoundary };
                    assertDecision("allowed", "iam:CreateRole", g.arnOf(role), context);
                    if (g.inlinePolicies(role).length > 0) assertDecision("allowed", "iam:PutRolePolicy", g.arnOf(role), context);
                    for (const policyArn of g.attachedPolicies(role)) assertDecision("allowed", "iam:AttachRolePolicy", g.arnOf(role), { ...context, "iam:PolicyARN": policyArn });
                }
            });

            it("cannot create a role without the boundary, with another one, outside the path, or under another environment's path", () => {
                assertDecision("denied", "iam:CreateRole", workloadRole("escalate"));
                assertDecision("denied", "iam:CreateRole", workloadRole("escalate"), { "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess" });
                assertDecision("denied", "iam:CreateRole", `arn:aws:iam::${ACCT}:role/escalate`, bounded());
                assertDecision("denied", "iam:CreateRole", workloadRole("escalate", `gitops-${other[env]}`), bounded());
                assertDecision("denied", "iam:PutRolePolicy", workloadRole("unbounded"));
                assertDecision("denied", "iam:UpdateAssumeRolePolicy", `arn:aws:iam::${ACCT}:role/someone-elses-role`);
            });

            it("attaches no managed policy beyond the ones the layers attach (no AdministratorAccess on a pod's role)", () => {
                for (const name of ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess", "ReadOnlyAccess", "SecretsManagerReadWrite"]) {
                    assertDecision("denied", "iam:AttachRolePolicy", workloadRole("irsa"), { ...bounded(), "iam:PolicyARN": `arn:aws:iam::aws:policy/${name}` });
                }
                assertDecision("denied", "iam:AttachRolePolicy", workloadRole("irsa"), { ...bounded(), "iam:PolicyARN": `arn:aws:iam::${ACCT}:policy/${prefix}-workload-boundary` });
            });

            it("keeps the workload boundary on every role: cannot remove it or swap it", () => {
                assertDecision("explicitly denied", "iam:DeleteRolePermissionsBoundary", workloadRole("irsa"), bounded());
                assertDecision("explicitly denied", "iam:PutRolePermissionsBoundary", workloadRole("irsa"), { "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess" });
                assertDecision("allowed", "iam:PutRolePermissionsBoundary", workloadRole("irsa"), bounded());
            });

            it("passes each role only to the service that uses it", () => {
                const infra = g.infra;
                const passes: [string, string][] = [
                    ...infra.ofType("aws:eks/nodeGroup:NodeGroup").map((n): [string, string] => [n.inputs.nodeRoleArn, "eks.amazonaws.com"]),
                    ...infra.ofType("aws:eks/addon:Addon").filter((a) => a.inputs.serviceAccountRoleArn).map((a): [string, string] => [a.inputs.serviceAccountRoleArn, "eks.amazonaws.com"]),
                    ...infra.ofType("aws:ec2/flowLog:FlowLog").map((f): [string, string] => [f.inputs.iamRoleArn, "vpc-flow-logs.amazonaws.com"]),
                ];
                assert.ok(passes.length >= 5);
                for (const [mockArn, service] of passes) assertDecision("allowed", "iam:PassRole", g.arnOf(g.roleByMockArn(mockArn)), { "iam:PassedToService": service });
                for (const service of ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "cloudformation.amazonaws.com"]) {
                    assertDecision("denied", "iam:PassRole", workloadRole("irsa"), { "iam:PassedToService": service });
                }
                assertDecision("denied", "iam:PassRole", ciRoleArn("deploy"), { "iam:PassedToService": "ec2.amazonaws.com" });
            });

            it("cannot change its own identity, the workload boundary or the GitHub OIDC provider", () => {
                for (const kind of ["deploy", "preview", "drift"]) {
                    for (const action of ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PutRolePermissionsBoundary"]) {
                        assertDecision("explicitly denied", action, ciRoleArn(kind), { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" });
                    }
                }
                for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy"]) assertDecision("explicitly denied", action, boundaryArn);
                for (const action of ["iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider"]) assertDecision("explicitly denied", action, githubProvider);
            });

            it("applies a change of infra:tags to its own identity, but never the tags the program owns", () => {
                for (const resource of [ciRoleArn("deploy"), ciRoleArn("preview")]) {
                    assertDecision("allowed", "iam:TagRole", resource, { "aws:TagKeys": ["CostCenter"] });
                    assertDecision("allowed", "iam:UntagRole", resource, { "aws:TagKeys": ["CostCenter"] });
                    for (const key of ["Environment", "Project", "ManagedBy"]) assertDecision("denied", "iam:TagRole", resource, { "aws:TagKeys": ["CostCenter", key] });
                }
                assertDecision("allowed", "iam:TagPolicy", boundaryArn, { "aws:TagKeys": ["CostCenter"] });
                assertDecision("allowed", "iam:TagOpenIDConnectProvider", githubProvider, { "aws:TagKeys": ["CostCenter"] });
                assertDecision("denied", "iam:UntagPolicy", boundaryArn, { "aws:TagKeys": ["Environment"] });
            });

            it("manages the cluster's IRSA OIDC provider, no other identity provider", () => {
                const clusterProvider = g.infra.outputs.oidcProviderArn;
                for (const action of ["iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"]) assertDecision("allowed", action, clusterProvider);
                assertDecision("denied", "iam:CreateOpenIDConnectProvider", `arn:aws:iam::${ACCT}:oidc-provider/accounts.google.com`);
                assertDecision("denied", "iam:CreateSAMLProvider", `arn:aws:iam::${ACCT}:saml-provider/corp`);
                assertDecision("denied", "iam:CreateUser", `arn:aws:iam::${ACCT}:user/backdoor`);
                assertDecision("denied", "iam:CreateAccessKey", `arn:aws:iam::${ACCT}:user/admin`);
            });

            it("pushes images to every repository under <prefix>/ (also one a new service adds), and to no other", () => {
                const repository = (path: string) => `arn:aws:ecr:${REGION}:${ACCT}:repository/${path}`;
                for (const url of Object.values<string>(g.infra.outputs.ecrRepositoryUrls)) {
                    for (const action of ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:DescribeImages"]) assertDecision("allowed", action, repository(url.split("/").slice(1).join("/")));
                }
                assertDecision("allowed", "ecr:CreateRepository", repository(`${prefix}/brand-new-service`));
                assertDecision("allowed", "ecr:PutImage", repository(`${prefix}/brand-new-service`));
                assertDecision("allowed", "ecr:GetAuthorizationToken", "*");
                assertDecision("denied", "ecr:PutImage", repository(`gitops-${other[env]}/user-service`));
                assertDecision("denied", "ecr:PutImage", repository("someone-else/image"));
            });

            it("in an account shared with the other environment, never acts on its tagged resources nor tags anything as it", () => {
                const instance = `arn:aws:ec2:${REGION}:${ACCT}:instance/i-0123456789abcdef0`;
                assertDecision("allowed", "ec2:TerminateInstances", instance, { "aws:ResourceTag/Environment": env });
                assertDecision("allowed", "ec2:TerminateInstances", instance, {});
                assertDecision("allowed", "ec2:DescribeInstances", "*");
                assertDecision("explicitly denied", "ec2:TerminateInstances", instance, { "aws:ResourceTag/Environment": other[env] });
                assertDecision("explicitly denied", "eks:DeleteCluster", `arn:aws:eks:${REGION}:${ACCT}:cluster/gitops-${other[env]}`, { "aws:ResourceTag/Environment": other[env] });
                assertDecision("explicitly denied", "ec2:CreateTags", instance, { "aws:RequestTag/Environment": other[env] });
                assertDecision("allowed", "ec2:CreateTags", instance, { "aws:RequestTag/Environment": env });
            });

            it(`stays in ${REGION} (IAM and STS are global)`, () => {
                assertDecision("allowed", "ec2:CreateVpc", "*", { "aws:RequestedRegion": REGION });
                assertDecision("explicitly denied", "ec2:CreateVpc", "*", { "aws:RequestedRegion": "eu-west-1" });
                assertDecision("allowed", "iam:GetRole", workloadRole("irsa"), { "aws:RequestedRegion": "us-east-1" });
            });

            it("fits the 10,240 characters IAM allows for a role's inline policies", () => {
                const size = deploy.reduce((n, p) => n + JSON.stringify(p).length, 0);
                assert.ok(size < 10240, `${size} characters`);
            });
        });

        describe(`workload boundary (${env}): the most any role of the layers can do`, () => {
            let boundary: PolicyDocument;
            before(() => {
                boundary = g.boundary();
            });
            const asAdmin = (action: string, resource = "*") => evaluate([ALLOW_ALL], { action, resource }, boundary);

            it("stops a role with AdministratorAccess from IAM writes, organization and account changes", () => {
                for (const action of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole", "iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion"]) {
                    assert.strictEqual(asAdmin(action), "explicitly denied", action);
                }
                assert.strictEqual(asAdmin("iam:UpdateAssumeRolePolicy", `arn:aws:iam::${ACCT}:role/${prefix}-ci-deploy`), "explicitly denied");
                assert.strictEqual(asAdmin("iam:SetDefaultPolicyVersion", boundaryArn), "explicitly denied");
                for (const action of ["organizations:LeaveOrganization", "account:CloseAccount", "sts:AssumeRole"]) assert.notStrictEqual(asAdmin(action), "allowed", action);
                assert.strictEqual(asAdmin("iam:CreateServiceLinkedRole"), "allowed", "EKS and the load balancer controller create their service-linked roles");
            });

            it("allows every action of the AWS managed policies the layers attach", () => {
                const attached = new Set(g.workloadRoles().flatMap((r) => g.attachedPolicies(r)));
                assert.ok(attached.size >= 8, [...attached].join(", "));
                for (const arn of attached) {
                    const actions = MANAGED_POLICY_ACTIONS[arn];
                    assert.ok(actions, `${arn} is attached by a layer: record its actions in tests/infra/managed-policy-actions.ts`);
                    for (const action of actions) assert.strictEqual(asAdmin(action), "allowed", `${arn}: ${action}`);
                }
            });

            it("allows every action of the layers' inline role policies (load balancer controller, External Secrets, autoscaler, flow logs)", () => {
                const actions = new Set(
                    g.workloadRoles().flatMap((r) => g.inlinePolicies(r).flatMap((p) => p.Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) => [s.Action].flat()))),
                );
                assert.ok(actions.size > 20, `${actions.size} actions`);
                for (const action of actions) assert.strictEqual(asAdmin(action), "allowed", action);
            });
        });

        describe(`CI preview and drift roles (${env})`, () => {
            const secret = (name: string, envPrefix = prefix) => `arn:aws:secretsmanager:${REGION}:${ACCT}:secret:${envPrefix}/${name}-AbCdEf`;
            const readable = { "secretsmanager:ResourceTag/ci-preview-readable": "true" };

            it("preview (unreviewed pull requests): ViewOnlyAccess, and only the secrets an operator tagged ci-preview-readable=true", () => {
                const role = g.ciRole(env, "preview");
                assert.deepStrictEqual(g.attachedPolicies(role), ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]);
                const read = (resource: string, context?: Request["context"]) => evaluate(g.inlinePolicies(role), { action: "secretsmanager:GetSecretValue", resource, context });
                assert.strictEqual(read(secret("alarms/pagerduty-url"), readable), "allowed");
                assert.notStrictEqual(read(secret("alarms/pagerduty-url")), "allowed");
                assert.notStrictEqual(read(secret("argocd/admin"), { "secretsmanager:ResourceTag/ci-preview-readable": "false" }), "allowed");
                assert.notStrictEqual(read(secret("alarms/pagerduty-url", `gitops-${other[env]}`), readable), "allowed");
            });

            it("drift (preview --refresh): ReadOnlyAccess, and the values of every secret the layers keep under <prefix>/", () => {
                const role = g.ciRole(env, "drift");
                assert.deepStrictEqual(g.attachedPolicies(role), ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
                const read = (resource: string) => evaluate(g.inlinePolicies(role), { action: "secretsmanager:GetSecretValue", resource });
                const secrets = g.graph.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret");
                assert.ok(secrets.length > 0);
                for (const s of secrets) assert.strictEqual(read(`${s.state.arn}`), "allowed", s.state.name);
                assert.notStrictEqual(read(secret("argocd/admin", `gitops-${other[env]}`)), "allowed");
                assert.notStrictEqual(evaluate(g.inlinePolicies(role), { action: "secretsmanager:PutSecretValue", resource: secret("argocd/admin") }), "allowed");
            });
        });
    });
}
