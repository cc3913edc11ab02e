/**
 * Annotations of a public Ingress served by the AWS Load Balancer Controller (ingress class `alb`), shared by the
 * platform's Ingresses (ArgoCD, Grafana) and the workloads'. Every public Ingress of an environment joins one ALB
 * group (one load balancer to pay for); settings that belong to the load balancer (scheme, listeners, TLS policy,
 * WAF, access logs, attributes) must be identical on every member of the group, so they are built here only.
 * Reference: the controller's Ingress annotations (kubernetes-sigs/aws-load-balancer-controller v3.5.0, docs/guide/ingress/annotations.md).
 */
import * as pulumi from "@pulumi/pulumi";

export const ALB_INGRESS_CLASS = "alb";
/** TLS 1.3 and 1.2 only. */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** Key prefix of the access logs in the bucket. */
export const ALB_ACCESS_LOGS_PREFIX = "alb";

export interface PublicIngressArgs {
    /** The environment's ALB group (`albGroupName` of the platform layer). */
    groupName: pulumi.Input<string>;
    /** ACM certificate of the hostnames (`certificateArn`). */
    certificateArn: pulumi.Input<string>;
    /** WAFv2 web ACL (`wafAclArn`). */
    wafAclArn: pulumi.Input<string>;
    /** Bucket of the access logs (`albAccessLogsBucket`). */
    accessLogsBucket: pulumi.Input<string>;
    /** Order of this Ingress's rules in the group (lower first); rules are per host, so order rarely matters. */
    groupOrder?: number;
    /** Protocol from the ALB to the pods; HTTPS for backends that serve TLS themselves. */
    backendProtocol?: "HTTP" | "HTTPS";
    healthcheckPath?: string;
}

/** Attributes of the load balancer itself: access logs to S3, and invalid header fields dropped. */
export function albLoadBalancerAttributes(accessLogsBucket: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`access_logs.s3.enabled=true,access_logs.s3.bucket=${accessLogsBucket},access_logs.s3.prefix=${ALB_ACCESS_LOGS_PREFIX},routing.http.drop_invalid_header_fields.enabled=true`;
}

/**
 * An internet-facing HTTPS Ingress in the environment's group: HTTP only redirects to HTTPS, the WAF ACL is
 * attached, pods are targets directly (IP mode).
 */
export function publicAlbAnnotations(args: PublicIngressArgs): Record<string, pulumi.Input<string>> {
    const annotations: Record<string, pulumi.Input<string>> = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/group.name": args.groupName,
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": args.certificateArn,
        "alb.ingress.kubernetes.io/ssl-policy": ALB_SSL_POLICY,
        "alb.ingress.kubernetes.io/wafv2-acl-arn": args.wafAclArn,
        "alb.ingress.kubernetes.io/load-balancer-attributes": albLoadBalancerAttributes(args.accessLogsBucket),
        "alb.ingress.kubernetes.io/backend-protocol": args.backendProtocol ?? "HTTP",
    };
    if (args.groupOrder !== undefined) annotations["alb.ingress.kubernetes.io/group.order"] = String(args.groupOrder);
    if (args.healthcheckPath !== undefined) annotations["alb.ingress.kubernetes.io/healthcheck-path"] = args.healthcheckPath;
    return annotations;
}
