/**
 * Public HTTPS Ingresses served by the AWS Load Balancer Controller, split into two IngressClasses so workloads
 * can never join, or override the listener rules of, the platform's load balancer:
 * - `alb-platform`: the platform's UIs (ArgoCD, Grafana), only from the platform's namespaces, one ALB (group
 *   `<prefix>-platform`), optionally reachable only from listed CIDRs;
 * - `alb`: the workloads' public Ingresses, only from the workload namespaces, their own ALB (group `<prefix>`).
 * Each class's IngressClassParams fixes what belongs to the load balancer (group, scheme, IP targets, TLS policy,
 * HTTP->HTTPS redirect, certificate, WAF ACL, access logs, source CIDRs): the controller then ignores the
 * Ingresses' annotations for these, and refuses an Ingress of a namespace its class does not select. The
 * controller also refuses the `kubernetes.io/ingress.class` and `group.name` annotations (the only ways around a
 * class). An Ingress sets only what is its own: listen ports, backend protocol, health check path, rule order.
 * Reference: kubernetes-sigs/aws-load-balancer-controller v3.5.0, docs/guide/ingress/ingress_class.md and
 * annotations.md, apis/elbv2/v1beta1/ingressclassparams_types.go.
 */
import * as pulumi from "@pulumi/pulumi";

/** The workloads' IngressClass (the frontend's manifest in Git names it). */
export const ALB_INGRESS_CLASS = "alb";
/** The platform's IngressClass (ArgoCD, Grafana). */
export const PLATFORM_INGRESS_CLASS = "alb-platform";
export const INGRESS_CLASS_CONTROLLER = "ingress.k8s.aws/alb";
/** TLS 1.3 and 1.2 only. */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** Key prefix of the access logs in the bucket. */
export const ALB_ACCESS_LOGS_PREFIX = "alb";

/** The ALB groups: the platform's and the workloads' load balancers. */
export function albGroupNames(namePrefix: pulumi.Input<string>): { platform: pulumi.Output<string>; workloads: pulumi.Output<string> } {
    return { platform: pulumi.interpolate`${namePrefix}-platform`, workloads: pulumi.output(namePrefix) };
}

/** Attributes of the load balancer itself: access logs to S3, and invalid header fields dropped. */
export function albLoadBalancerAttributes(accessLogsBucket: pulumi.Input<string>): pulumi.Output<{ key: string; value: string }[]> {
    return pulumi.output(accessLogsBucket).apply((bucket) => [
        { key: "access_logs.s3.enabled", value: "true" },
        { key: "access_logs.s3.bucket", value: bucket },
        { key: "access_logs.s3.prefix", value: ALB_ACCESS_LOGS_PREFIX },
        { key: "routing.http.drop_invalid_header_fields.enabled", value: "true" },
    ]);
}

export interface AlbClassArgs {
    group: pulumi.Input<string>;
    /** The namespaces whose Ingresses may use the class. */
    namespaces: pulumi.Input<string[]>;
    /** ACM certificate of the hostnames; without it the class serves no HTTPS listener (settings require one with any hostname). */
    certificateArn?: pulumi.Input<string>;
    /**
     * The WAF web ACL; it exists (and is billed) only while a hostname is public. Without it the class is internal:
     * nothing reaches the internet that bypasses the WAF.
     */
    wafAclArn?: pulumi.Input<string>;
    accessLogsBucket: pulumi.Input<string>;
    /** Sources allowed to reach the load balancer; undefined = the internet. */
    inboundCidrs?: string[];
}

/** The IngressClassParams spec of a public, WAF-protected, HTTPS-only class. */
export function albClassParams(a: AlbClassArgs): pulumi.Output<Record<string, unknown>> {
    return pulumi.all([a.group, a.namespaces, a.certificateArn, a.wafAclArn, albLoadBalancerAttributes(a.accessLogsBucket)]).apply(([group, namespaces, certificateArn, wafAclArn, attributes]): Record<string, unknown> => ({
        group: { name: group },
        // kubernetes.io/metadata.name is set by Kubernetes itself: a namespace cannot claim another's name.
        namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }] },
        scheme: wafAclArn ? "internet-facing" : "internal",
        targetType: "ip",
        sslPolicy: ALB_SSL_POLICY,
        sslRedirectPort: "443",
        ...(certificateArn ? { certificateArn: [certificateArn] } : {}),
        ...(wafAclArn ? { wafv2AclArn: wafAclArn } : {}),
        loadBalancerAttributes: attributes,
        ...(a.inboundCidrs && a.inboundCidrs.length > 0 ? { inboundCIDRs: a.inboundCidrs } : {}),
    }));
}

export interface PublicIngressArgs {
    /** Order of this Ingress's rules in its group (lower first); rules are per host, so order rarely matters. */
    groupOrder?: number;
    /** Protocol from the ALB to the pods; HTTPS for backends that serve TLS themselves. */
    backendProtocol?: "HTTP" | "HTTPS";
    healthcheckPath?: string;
}

/** What a public Ingress sets itself (its class sets the rest): HTTP and HTTPS listeners, its backend, its checks. */
export function publicIngressAnnotations(args: PublicIngressArgs = {}): Record<string, string> {
    const annotations: Record<string, string> = {
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/backend-protocol": args.backendProtocol ?? "HTTP",
    };
    if (args.groupOrder !== undefined) annotations["alb.ingress.kubernetes.io/group.order"] = String(args.groupOrder);
    if (args.healthcheckPath !== undefined) annotations["alb.ingress.kubernetes.io/healthcheck-path"] = args.healthcheckPath;
    return annotations;
}

/** The log group of the WAF web ACL's request log (platform creates it; WAF delivers only to names with this prefix). */
export function wafLogGroupName(namePrefix: string): string {
    return `aws-waf-logs-${namePrefix}`;
}
