/** How an add-on's UI is published: a hostname on the environment's shared, WAF-protected HTTPS ALB. */
import { PublicIngressArgs } from "../../lib/alb";

export interface PublicExposure {
    hostname: string;
    /** The load balancer's settings, identical for every Ingress of the group. */
    alb: Pick<PublicIngressArgs, "groupName" | "certificateArn" | "wafAclArn" | "accessLogsBucket">;
}
