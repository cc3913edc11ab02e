/**
 * How an add-on's UI is published: a hostname on the platform's own WAF-protected HTTPS load balancer, through
 * the platform's IngressClass (lib/alb.ts), whose parameters fix the load balancer's settings.
 */
export interface PublicExposure {
    hostname: string;
    /** The platform's IngressClass (`alb-platform`): only platform namespaces may use it. */
    ingressClass: string;
}
