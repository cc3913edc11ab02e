import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { albClassParams } from "../../lib/alb";
import { OfflineResource } from "../../policies/offline";
import { KNOWN_BAD_INPUTS, publicIngressesHardened as ingresses, wafWebAclsHardened as policy } from "../../policies/waf";
import {
    assertHasResourceViolation,
    assertHasStackViolation,
    assertNoResourceViolations,
    assertNoStackViolations,
    assertNotApplicable,
    assertSkipsUnknown,
    assertViolationCount,
    createResourceValidationArgs,
    createStackValidationArgs,
    Props,
    runStackPolicy,
    stackResource,
    UNKNOWN,
} from "./util";

const ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/gitops-staging-public/1";
const managed = (name: string, priority: number, extra: Props = {}) => ({ name, priority, overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { vendorName: "AWS", name, ...extra } }, visibilityConfig: {} });
const RULES = [managed("AWSManagedRulesCommonRuleSet", 10), managed(KNOWN_BAD_INPUTS, 20), { name: "RateLimitPerIp", priority: 30, action: { block: {} }, statement: { rateBasedStatement: { limit: 2000 } } }];

function acl(rules: unknown = RULES, logging: Props | null = {}): OfflineResource[] {
    const resources = [stackResource("aws:wafv2/webAcl:WebAcl", "waf", { name: "gitops-staging-public", scope: "REGIONAL", rules, arn: ACL_ARN })];
    if (logging !== null) {
        resources.push(
            stackResource("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf-logging", {
                resourceArn: ACL_ARN,
                logDestinationConfigs: ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-gitops-staging"],
                redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
                ...logging,
            }),
        );
    }
    return resources;
}
const args = (resources: OfflineResource[]) => createStackValidationArgs(policy, resources);

describe("policy waf-web-acls-hardened", () => {
    it("passes the platform's ACL shape with its request log", async () => {
        await assertNoStackViolations(policy, args(acl()));
        // A Firehose or S3 destination named aws-waf-logs-* is fine too.
        await assertNoStackViolations(policy, args(acl(RULES, { logDestinationConfigs: ["arn:aws:s3:::aws-waf-logs-archive"] })));
    });

    it("reports an ACL that logs nothing (CKV2_AWS_31), or to a destination WAF refuses, or with session headers in the log", async () => {
        await assertHasStackViolation(policy, args(acl(RULES, null)), "waf", 'aws:wafv2/webAcl:WebAcl "waf": logs no requests (CKV2_AWS_31). Fix: add an aws.wafv2.WebAclLoggingConfiguration');
        await assertHasStackViolation(policy, args(acl(RULES, { logDestinationConfigs: ["arn:aws:logs:us-east-1:123456789012:log-group:waf"] })), "waf", "WAF delivers only to destinations named aws-waf-logs-*");
        await assertHasStackViolation(policy, args(acl(RULES, { redactedFields: [{ singleHeader: { name: "authorization" } }] })), "waf", "its request log keeps the cookie header(s)");
    });

    it("reports no rules (CKV_AWS_175), a rule without action (CKV_AWS_342), no Log4j protection or a counted one (CKV_AWS_192)", async () => {
        await assertHasStackViolation(policy, args(acl([])), "waf", "has no rules, so it only applies its default action (CKV_AWS_175)");
        await assertHasStackViolation(policy, args(acl([...RULES, { name: "Bare", priority: 40, statement: {} }])), "waf", 'rule "Bare" has neither action nor overrideAction (CKV_AWS_342)');
        await assertHasStackViolation(policy, args(acl(RULES.filter((r) => r.name !== KNOWN_BAD_INPUTS))), "waf", `does not include AWS's ${KNOWN_BAD_INPUTS}, so Log4Shell (CVE-2021-44228) lookups pass (CKV_AWS_192)`);
        const counted = [managed(KNOWN_BAD_INPUTS, 20, { ruleActionOverrides: [{ name: "Log4JRCE_HEADER", actionToUse: { count: {} } }] })];
        await assertHasStackViolation(policy, args(acl(counted)), "waf", "only counts Log4JRCE_HEADER");
        await assertHasStackViolation(policy, args(acl([{ ...managed(KNOWN_BAD_INPUTS, 20), overrideAction: { count: {} } }])), "waf", `only counts the ${KNOWN_BAD_INPUTS} group`);
    });

    it("a logging configuration whose ACL is unknown in preview is not taken for missing", async () => {
        const outcome = await runStackPolicy(policy, args(acl(RULES, { resourceArn: UNKNOWN })));
        assert.ok(outcome.unknown);
        assert.deepStrictEqual(outcome.violations, []);
    });

    it("is not applicable without web ACLs", async () => {
        assert.ok((await runStackPolicy(policy, args([stackResource("aws:s3/bucket:Bucket", "b", {})]))).notApplicable);
    });
});

describe("policy public-ingresses-hardened", () => {
    const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
    // An Ingress that sets its load balancer by annotations (one that does not use the platform's classes).
    const annotations = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/wafv2-acl-arn": ACL_ARN,
        "alb.ingress.kubernetes.io/load-balancer-attributes": "access_logs.s3.enabled=true,access_logs.s3.bucket=logs,access_logs.s3.prefix=alb,routing.http.drop_invalid_header_fields.enabled=true",
    };
    const resolved = (a: Record<string, unknown>, changes: Props = {}) => {
        const out: Props = { ...a, ...changes };
        for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
        return out;
    };
    const ingress = (a: Props) => createResourceValidationArgs(ingresses, INGRESS, { metadata: { name: "frontend", namespace: "frontend", annotations: a }, spec: { ingressClassName: "alb" } }, { name: "frontend/frontend" });

    it("passes a public Ingress with the WAF and the attributes, and internal ones without a WAF", async () => {
        await assertNoResourceViolations(ingresses, ingress(resolved(annotations)));
        await assertNoResourceViolations(ingresses, ingress({ "alb.ingress.kubernetes.io/scheme": "internal" }));
    });

    it("reports a public Ingress without WAF (CKV2_AWS_28), access logs (CKV_AWS_91) or dropping invalid headers (CKV_AWS_131)", async () => {
        const violations = await assertViolationCount(ingresses, ingress(resolved(annotations, { "alb.ingress.kubernetes.io/wafv2-acl-arn": undefined, "alb.ingress.kubernetes.io/load-balancer-attributes": undefined })), 3);
        assert.strictEqual(
            violations[0].message,
            'kubernetes:networking.k8s.io/v1:Ingress "frontend/frontend": Ingress frontend is internet-facing without a WAF ACL (CKV2_AWS_28). Fix: annotate it alb.ingress.kubernetes.io/wafv2-acl-arn with the platform\'s wafAclArn, or use an IngressClass whose parameters carry it (lib/alb.ts).',
        );
        assert.match(violations[1].message, /\(CKV_AWS_91\)/);
        assert.match(violations[2].message, /\(CKV_AWS_131\)/);
    });

    it("finds public Ingresses in Helm chart values", async () => {
        const release = (values: Props) => createResourceValidationArgs(ingresses, "kubernetes:helm.sh/v3:Release", { chart: "argo-cd", values }, { name: "argocd" });
        await assertNoResourceViolations(ingresses, release({ server: { ingress: { enabled: true, annotations: resolved(annotations) } } }));
        await assertHasResourceViolation(ingresses, release({ server: { ingress: { annotations: { "alb.ingress.kubernetes.io/scheme": "internet-facing" } } } }), 'the Ingress of Helm value values.server.ingress.annotations is internet-facing without a WAF ACL');
    });

    describe("IngressClassParams (the controller applies them over an Ingress's own annotations)", () => {
        const PARAMS = "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams";
        const spec = (wafAclArn: string | undefined) =>
            albClassParams({ group: "gitops-staging", namespaces: ["frontend"], wafAclArn, accessLogsBucket: "logs", certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/x" });
        const params = async (value: Props) => createResourceValidationArgs(ingresses, PARAMS, { metadata: { name: "alb" }, spec: value }, { name: "alb" });
        it("passes the public class lib/alb.ts builds, and the internal class it builds while no WAF exists", async () => {
            const publicSpec = await promiseOf(spec(ACL_ARN));
            assert.strictEqual(publicSpec.scheme, "internet-facing");
            await assertNoResourceViolations(ingresses, await params(publicSpec));
            const internal = await promiseOf(spec(undefined));
            assert.strictEqual(internal.scheme, "internal");
            assert.strictEqual(internal.wafv2AclArn, undefined);
            await assertNoResourceViolations(ingresses, await params(internal));
        });
        it("reports an internet-facing class without WAF, access logs or dropping invalid headers", async () => {
            const bare = { ...(await promiseOf(spec(ACL_ARN))), wafv2AclArn: undefined, loadBalancerAttributes: [] };
            const violations = await assertViolationCount(ingresses, await params(bare), 3);
            assert.match(violations[0].message, /IngressClassParams alb is internet-facing without a WAF ACL \(CKV2_AWS_28\)\. Fix: set spec\.wafv2AclArn/);
            assert.match(violations[1].message, /\(CKV_AWS_91\)/);
            assert.match(violations[2].message, /\(CKV_AWS_131\)/);
        });
    });

    it("unknown annotations are skipped; other kinds are not its business", async () => {
        await assertSkipsUnknown(ingresses, ingress(UNKNOWN as unknown as Props));
        await assertNotApplicable(ingresses, createResourceValidationArgs(ingresses, "kubernetes:core/v1:Service", {}));
    });
});

/** The value of an Output built outside a program (lib/alb.ts's builders return Outputs). */
function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return (o as unknown as { promise(): Promise<T> }).promise();
}
