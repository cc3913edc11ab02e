import * as assert from "assert";
import { githubTrustPolicy } from "../../infra/github-ci";
import { irsaTrustPolicy } from "../../lib/irsa";
import { githubOidcTrustPinned as github, irsaTrustPinned as irsa } from "../../policies/iam";
import { EKS_ISSUER, EKS_PROVIDER_ARN, GITHUB_PROVIDER_ARN, githubRole, irsaRole, ROLE, trustPolicy } from "./fixtures";
import { assertHasResourceViolation, assertNoResourceViolations, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";
import { PackPolicy } from "../../policies/all";

const args = (policy: PackPolicy, props: Props, name = "role") => createResourceValidationArgs(policy, ROLE, props, { name });
const SUB = "token.actions.githubusercontent.com:sub";
const AUD = "token.actions.githubusercontent.com:aud";

/** The JSON a pulumi.Output<string> trust policy of the project resolves to. */
function resolve(output: any): Promise<string> {
    return output.promise();
}

describe("policy github-oidc-trust-pinned", () => {
    it("passes the project's CI roles (pull_request and environment subjects) and roles that are not GitHub's", async () => {
        await assertNoResourceViolations(github, args(github, githubRole()));
        await assertNoResourceViolations(github, args(github, githubRole("repo:acme-platform/eks-gitops-platform:pull_request")));
        await assertNoResourceViolations(github, args(github, { assumeRolePolicy: await resolve(githubTrustPolicy(GITHUB_PROVIDER_ARN, "repo:o/r:environment:production")) }));
        await assertNoResourceViolations(github, args(github, irsaRole()));
        await assertNoResourceViolations(github, args(github, { assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }));
    });

    it("reports a wildcard subject under StringLike, naming the role, the statement and the fix", async () => {
        const role = { assumeRolePolicy: trustPolicy(GITHUB_PROVIDER_ARN, { StringLike: { [SUB]: "repo:acme-platform/*" }, StringEquals: { [AUD]: "sts.amazonaws.com" } }) };
        const [v] = await assertViolationCount(github, args(github, role, "ci-deploy"), 1);
        assert.strictEqual(
            v.message,
            'aws:iam/role:Role "ci-deploy": trust policy statement 0 (GitHub OIDC token.actions.githubusercontent.com) constrains token.actions.githubusercontent.com:sub with StringLike, not StringEquals alone. ' +
                'Fix: pin "token.actions.githubusercontent.com:sub" with StringEquals to the exact subject, e.g. repo:<owner>/<repo>:environment:<environment> or repo:<owner>/<repo>:pull_request.',
        );
    });

    it("reports a wildcard even under StringEquals, a missing sub, and a subject that is not a repository", async () => {
        await assertHasResourceViolation(github, args(github, githubRole("repo:acme-platform/eks-gitops-platform:*")), "has a wildcard in token.actions.githubusercontent.com:sub");
        await assertHasResourceViolation(github, args(github, { assumeRolePolicy: trustPolicy(GITHUB_PROVIDER_ARN, { StringEquals: { [AUD]: "sts.amazonaws.com" } }) }), "does not constrain token.actions.githubusercontent.com:sub");
        await assertHasResourceViolation(github, args(github, githubRole("pull_request")), 'pins token.actions.githubusercontent.com:sub to pull_request, not a repo:<owner>/<repo>:... subject');
    });

    it("reports a missing or wrong audience", async () => {
        const noAud = { assumeRolePolicy: trustPolicy(GITHUB_PROVIDER_ARN, { StringEquals: { [SUB]: "repo:o/r:pull_request" } }) };
        await assertHasResourceViolation(github, args(github, noAud), 'does not constrain token.actions.githubusercontent.com:aud. Fix: pin "token.actions.githubusercontent.com:aud" with StringEquals to "sts.amazonaws.com"');
        const wrongAud = { assumeRolePolicy: trustPolicy(GITHUB_PROVIDER_ARN, { StringEquals: { [SUB]: "repo:o/r:pull_request", [AUD]: ["sts.amazonaws.com", "other"] } }) };
        await assertHasResourceViolation(github, args(github, wrongAud), "pins token.actions.githubusercontent.com:aud to sts.amazonaws.com, other");
    });

    it("checks every federated statement, and enterprise issuers too", async () => {
        const doc = {
            Statement: [
                { Effect: "Allow", Principal: { Federated: GITHUB_PROVIDER_ARN }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { [SUB]: "repo:o/r:pull_request", [AUD]: "sts.amazonaws.com" } } },
                { Effect: "Allow", Principal: { Federated: [`${GITHUB_PROVIDER_ARN}/acme`] }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { "ForAnyValue:StringLike": { "token.actions.githubusercontent.com/acme:sub": "repo:o/*" } } },
            ],
        };
        const violations = await assertViolationCount(github, args(github, { assumeRolePolicy: doc }), 2);
        assert.match(violations[0].message, /statement 1 \(GitHub OIDC token\.actions\.githubusercontent\.com\/acme\) constrains token\.actions\.githubusercontent\.com\/acme:sub with ForAnyValue:StringLike/);
        assert.match(violations[1].message, /does not constrain token\.actions\.githubusercontent\.com\/acme:aud/);
    });

    it("an unknown trust policy (provider ARN not known in preview) is skipped", async () => {
        assert.strictEqual((await assertSkipsUnknown(github, args(github, { assumeRolePolicy: UNKNOWN }))).length, 0);
    });
});

describe("policy irsa-trust-pinned", () => {
    it("passes roles built by lib/irsa.ts", async () => {
        await assertNoResourceViolations(irsa, args(irsa, irsaRole()));
        const json = await resolve(irsaTrustPolicy(EKS_PROVIDER_ARN, `https://${EKS_ISSUER}`, { namespace: "shop", name: "orders" }));
        await assertNoResourceViolations(irsa, args(irsa, { assumeRolePolicy: json }));
        await assertNoResourceViolations(irsa, args(irsa, githubRole()));
    });

    it("reports a service-account wildcard, naming the role and the fix", async () => {
        const [v] = await assertViolationCount(irsa, args(irsa, irsaRole("system:serviceaccount:kube-system:*"), "ebs-csi"), 1);
        assert.strictEqual(
            v.message,
            `aws:iam/role:Role "ebs-csi": trust policy statement 0 (IRSA ${EKS_ISSUER}) has a wildcard in ${EKS_ISSUER}:sub (system:serviceaccount:kube-system:*). ` +
                `Fix: pin "${EKS_ISSUER}:sub" with StringEquals to exactly one "system:serviceaccount:<namespace>:<name>" (lib/irsa.ts builds this policy).`,
        );
    });

    it("reports several service accounts, StringLike, a missing sub or aud, and a subject that is not a service account", async () => {
        const many = { assumeRolePolicy: trustPolicy(EKS_PROVIDER_ARN, { StringEquals: { [`${EKS_ISSUER}:sub`]: ["system:serviceaccount:a:x", "system:serviceaccount:b:y"], [`${EKS_ISSUER}:aud`]: "sts.amazonaws.com" } }) };
        await assertHasResourceViolation(irsa, args(irsa, many), "pins 2 subjects");
        const like = { assumeRolePolicy: trustPolicy(EKS_PROVIDER_ARN, { StringLike: { [`${EKS_ISSUER}:sub`]: "system:serviceaccount:a:x" }, StringEquals: { [`${EKS_ISSUER}:aud`]: "sts.amazonaws.com" } }) };
        await assertHasResourceViolation(irsa, args(irsa, like), "with StringLike, not StringEquals alone");
        const open = { assumeRolePolicy: trustPolicy(EKS_PROVIDER_ARN, {}) };
        await assertViolationCount(irsa, args(irsa, open), 2);
        await assertHasResourceViolation(irsa, args(irsa, irsaRole("system:serviceaccounts:kube-system")), 'not system:serviceaccount:<namespace>:<name>');
    });

    it("an unknown trust policy is skipped", async () => {
        await assertSkipsUnknown(irsa, args(irsa, { assumeRolePolicy: UNKNOWN }));
    });
});
