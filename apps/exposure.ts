/**
 * The frontend's public exposure, when `apps:frontendHostname` is set. The Ingress and the NetworkPolicy that
 * lets the ALB in are in Git, as a Kustomize component of the frontend
 * (apps/workloads/frontend/components/ingress) that only the Application enables. What Git must not hold or cannot
 * know (the hostname, the workloads' IngressClass, the public subnets' CIDRs) comes from platform and infra
 * outputs, and the Application adds it with Kustomize patches; the class's parameters carry the load balancer's
 * settings (certificate, WAF ACL, access logs, group). So no account id or ARN is in Git, and the Ingress exists
 * only in an environment with a hostname.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { publicIngressAnnotations } from "../lib/alb";
import { FRONTEND_INGRESS_COMPONENT } from "../lib/catalogue";
import { KustomizeOverrides } from "./application";

export interface ExposureValues {
    hostname: string;
    ingressClass: string;
    /** The Ingress's annotations: the load balancer's (identical for every Ingress of the ALB group) and its own. */
    annotations: Record<string, string>;
    /** CIDRs of the public subnets, where the ALB's nodes (the only clients of the frontend pods) live. */
    albSubnetCidrs: string[];
}

/**
 * The frontend Ingress's own annotations: HTTP and HTTPS listeners, its health check and rule order. The
 * workloads' IngressClass (platform's `ingressClass`) fixes the rest (internet-facing, IP targets, TLS 1.2/1.3, the
 * certificate, WAF ACL, access logs and the workloads' ALB group), so the Ingress cannot change it.
 */
export function frontendIngressAnnotations(): Record<string, string> {
    return publicIngressAnnotations({ groupOrder: 20, healthcheckPath: "/healthz" });
}

/** JSON-pointer escaping of an annotation key (`/` becomes `~1`). */
function annotationPath(key: string): string {
    return `/metadata/annotations/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

/** The Application's Kustomize additions: the Ingress component, and patches with the environment's values. */
export function frontendOverrides(v: ExposureValues): KustomizeOverrides {
    const ingress = [
        { op: "replace", path: "/spec/ingressClassName", value: v.ingressClass },
        { op: "replace", path: "/spec/rules/0/host", value: v.hostname },
        ...Object.entries(v.annotations).map(([key, value]) => ({ op: "add", path: annotationPath(key), value })),
    ];
    const fromAlb = [{ op: "replace", path: "/spec/ingress/0/from", value: v.albSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } })) }];
    return {
        components: [FRONTEND_INGRESS_COMPONENT],
        patches: [
            { target: { kind: "Ingress", name: "frontend" }, patch: JSON.stringify(ingress) },
            { target: { kind: "NetworkPolicy", name: "frontend-from-alb" }, patch: JSON.stringify(fromAlb) },
        ],
    };
}

/** The CIDR blocks of the given subnets (the ALB's public subnets), in order. */
export function subnetCidrs(subnetIds: pulumi.Input<string[]>, provider: aws.Provider): pulumi.Output<string[]> {
    return pulumi.output(subnetIds).apply((ids) => pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, { provider }).cidrBlock)));
}

export function frontendUrl(hostname: string | undefined): string {
    return hostname ? `https://${hostname}` : "";
}
