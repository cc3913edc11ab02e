/**
 * The public edge: every WAFv2 web ACL has rules that act (CKV_AWS_175, CKV_AWS_342), blocks Log4Shell with AWS's
 * known-bad-inputs rule group (CKV_AWS_192), and logs every request (CKV2_AWS_31) to a destination WAF accepts,
 * with the session headers redacted. Every internet-facing ALB Ingress (a Kubernetes Ingress, from Git or a
 * Pulumi program, or one in Helm values) attaches a WAF ACL (CKV2_AWS_28) and the load balancer logs its access
 * and drops invalid headers (CKV_AWS_91, CKV_AWS_131).
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { asList, Checks, checking, describeResource, isNonEmptyString, Props, resourcesByReference, validateTypes } from "./common";
import { HELM_TYPES } from "./helm";

const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
const LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";
export const KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet";
/** Headers whose values (sessions, tokens) must not reach the request log. */
export const HEADERS_TO_REDACT = ["authorization", "cookie"];

/** The ACL's rules as registered (rules, or the JSON of ruleJson). */
function rulesOf(acl: Props): Props[] {
    if (acl.rules !== undefined) return asList<Props>(acl.rules);
    if (typeof acl.ruleJson === "string") {
        try {
            return asList<Props>(JSON.parse(acl.ruleJson));
        } catch {
            return [];
        }
    }
    return [];
}

export const wafWebAclsHardened: StackValidationPolicy = {
    name: "waf-web-acls-hardened",
    description:
        "WAFv2 web ACLs have rules (CKV_AWS_175), each with an action (CKV_AWS_342), include AWS's known-bad-inputs rule group without counting its Log4j rules " +
        "(CKV_AWS_192), and log every request (CKV2_AWS_31) to a CloudWatch log group, bucket or stream named aws-waf-logs-*, with the Authorization and Cookie headers " +
        "redacted: the internet edge keeps a record of what it let in and blocked, without the sessions it carried.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const acls = args.resources.filter((r) => r.type === WEB_ACL);
        if (acls.length === 0) args.notApplicable("no WAFv2 web ACLs");
        checking((checks) => {
            const logging = resourcesByReference(args.resources, LOGGING, (p) => p.resourceArn, checks);
            for (const acl of acls) {
                const subject = describeResource(acl.type, acl.name);
                const urn = acl.urn;
                checks.run(() => {
                    const rules = rulesOf(acl.props);
                    if (rules.length === 0) {
                        report(`${subject}: has no rules, so it only applies its default action (CKV_AWS_175). Fix: add rules (AWS managed rule groups and a rate limit).`, urn);
                        return;
                    }
                    for (const rule of rules) {
                        if (rule.action === undefined && rule.overrideAction === undefined) {
                            report(`${subject}: rule ${JSON.stringify(rule.name)} has neither action nor overrideAction (CKV_AWS_342). Fix: give it an action (block, count, ...) or, for a rule group, overrideAction { none: {} }.`, urn);
                        }
                    }
                    const badInputs = rules.find((r) => r.statement?.managedRuleGroupStatement?.name === KNOWN_BAD_INPUTS && r.statement?.managedRuleGroupStatement?.vendorName === "AWS");
                    const counted = asList<Props>(badInputs?.statement?.managedRuleGroupStatement?.ruleActionOverrides)
                        .filter((o) => String(o.name).startsWith("Log4JRCE") && o.actionToUse?.count !== undefined)
                        .map((o) => o.name);
                    if (badInputs === undefined || badInputs.overrideAction?.count !== undefined || counted.length > 0) {
                        const why = badInputs === undefined ? `does not include AWS's ${KNOWN_BAD_INPUTS}` : `only counts ${counted.length > 0 ? counted.join(", ") : `the ${KNOWN_BAD_INPUTS} group`}`;
                        report(`${subject}: ${why}, so Log4Shell (CVE-2021-44228) lookups pass (CKV_AWS_192). Fix: add the AWS ${KNOWN_BAD_INPUTS} rule group with overrideAction { none: {} } and no count override of its Log4JRCE rules.`, urn);
                    }
                });
                checks.run(() => {
                    const arn = acl.props.arn;
                    const config = isNonEmptyString(arn) ? logging.byKey.get(arn) : undefined;
                    if (config === undefined) {
                        if (logging.unknown) return;
                        report(`${subject}: logs no requests (CKV2_AWS_31). Fix: add an aws.wafv2.WebAclLoggingConfiguration for it, to a CloudWatch log group named aws-waf-logs-* with a retention.`, urn);
                        return;
                    }
                    const destinations = asList<string>(config.props.logDestinationConfigs);
                    const wrong = destinations.filter((d) => !/:(log-group:|deliverystream\/|::)aws-waf-logs-/.test(String(d)));
                    if (destinations.length === 0 || wrong.length > 0) {
                        report(`${subject}: its logging configuration ${config.name} sends to ${destinations.join(", ") || "nowhere"}; WAF delivers only to destinations named aws-waf-logs-*. Fix: log to a CloudWatch log group named aws-waf-logs-<prefix>.`, urn);
                    }
                    const redacted = asList<Props>(config.props.redactedFields).map((f) => String(f.singleHeader?.name ?? "").toLowerCase());
                    const missing = HEADERS_TO_REDACT.filter((h) => !redacted.includes(h));
                    if (missing.length > 0) {
                        report(`${subject}: its request log keeps the ${missing.join(" and ")} header(s), which carry sessions and tokens. Fix: add redactedFields { singleHeader: { name: "${missing[0]}" } } for each to ${config.name}.`, urn);
                    }
                });
            }
        });
    },
};

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const INGRESS_CLASS_PARAMS = "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams";
const ANNOTATION = "alb.ingress.kubernetes.io/";

/**
 * The parameters of an IngressClass (lib/alb.ts): the controller applies them to every Ingress of the class, over
 * the Ingress's own annotations, so an internet-facing class must carry the WAF and the attributes itself.
 */
function checkPublicClassParams(spec: Props, where: string, report: (message: string) => void): void {
    if (spec.scheme !== "internet-facing") return;
    if (!isNonEmptyString(spec.wafv2AclArn)) {
        report(`${where} is internet-facing without a WAF ACL (CKV2_AWS_28). Fix: set spec.wafv2AclArn to the platform's wafAclArn, or the scheme to internal while nothing is public (lib/alb.ts albClassParams does).`);
    }
    const attributes = asList<Props>(spec.loadBalancerAttributes).map((a) => `${a.key}=${a.value}`);
    if (!attributes.includes("access_logs.s3.enabled=true")) {
        report(`${where}: its load balancer logs no access (CKV_AWS_91). Fix: add access_logs.s3.enabled=true and the platform's albAccessLogsBucket to spec.loadBalancerAttributes.`);
    }
    if (!attributes.includes("routing.http.drop_invalid_header_fields.enabled=true")) {
        report(`${where}: its load balancer forwards invalid HTTP header fields (CKV_AWS_131). Fix: add routing.http.drop_invalid_header_fields.enabled=true to spec.loadBalancerAttributes.`);
    }
}

/** Checks one set of ALB annotations of an internet-facing Ingress. */
function checkPublicAnnotations(annotations: Props, where: string, report: (message: string) => void): void {
    if (annotations[`${ANNOTATION}scheme`] !== "internet-facing") return;
    if (!isNonEmptyString(annotations[`${ANNOTATION}wafv2-acl-arn`])) {
        report(`${where} is internet-facing without a WAF ACL (CKV2_AWS_28). Fix: annotate it ${ANNOTATION}wafv2-acl-arn with the platform's wafAclArn, or use an IngressClass whose parameters carry it (lib/alb.ts).`);
    }
    const attributes = String(annotations[`${ANNOTATION}load-balancer-attributes`] ?? "");
    if (!attributes.includes("access_logs.s3.enabled=true")) {
        report(`${where}: its load balancer logs no access (CKV_AWS_91). Fix: set ${ANNOTATION}load-balancer-attributes to include access_logs.s3.enabled=true and the platform's albAccessLogsBucket.`);
    }
    if (!attributes.includes("routing.http.drop_invalid_header_fields.enabled=true")) {
        report(`${where}: its load balancer forwards invalid HTTP header fields (CKV_AWS_131). Fix: add routing.http.drop_invalid_header_fields.enabled=true to ${ANNOTATION}load-balancer-attributes.`);
    }
}

/** Every annotation map in chart values that sets an ALB scheme, with its path. */
function albAnnotationsInValues(values: unknown, path: string, checks: Checks, found: (path: string, annotations: Props) => void): void {
    if (values === null || typeof values !== "object") return;
    if (Array.isArray(values)) {
        values.forEach((v, i) => checks.run(() => albAnnotationsInValues(v, `${path}[${i}]`, checks, found)));
        return;
    }
    const node = values as Props;
    if (node[`${ANNOTATION}scheme`] !== undefined) found(path, node);
    for (const key of Object.keys(node)) checks.run(() => albAnnotationsInValues(node[key], `${path}.${key}`, checks, found));
}

export const publicIngressesHardened: ResourceValidationPolicy = {
    name: "public-ingresses-hardened",
    description:
        "Every internet-facing ALB Ingress, a Kubernetes Ingress, one in Helm chart values or an IngressClass's parameters (which the controller applies to its Ingresses), attaches a WAFv2 ACL (CKV2_AWS_28) and sets the load balancer attributes " +
        "that log its access to S3 (CKV_AWS_91) and drop invalid header fields (CKV_AWS_131): nothing reaches the internet without the platform's edge.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([INGRESS, INGRESS_CLASS_PARAMS, ...HELM_TYPES], (props, args, report, checks) => {
        const subject = describeResource(args.type, args.name);
        if (args.type === INGRESS_CLASS_PARAMS) {
            checkPublicClassParams(props.spec ?? {}, `${subject}: IngressClassParams ${props.metadata?.name ?? args.name}`, report);
            return;
        }
        if (args.type === INGRESS) {
            checkPublicAnnotations(props.metadata?.annotations ?? {}, `${subject}: Ingress ${props.metadata?.name ?? args.name}`, report);
            return;
        }
        checks.run(() => albAnnotationsInValues(props.values, "values", checks, (path, annotations) => checkPublicAnnotations(annotations, `${subject}: the Ingress of Helm value ${path}`, report)));
    }),
};

export const WAF_POLICIES = [wafWebAclsHardened, publicIngressesHardened];
