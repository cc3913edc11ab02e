/**
 * The platform layer's public contract: the outputs apps (and CI) read through a StackReference.
 * Named once here; platform/index.ts exports exactly these, the README documents them, a test checks both.
 */
export interface PlatformOutputs {
    environment: string;
    /** Namespace of ArgoCD (where Application and AppProject objects live). */
    argocdNamespace: string;
    /** https URL of the ArgoCD server when it is exposed through the ALB, otherwise "". */
    argocdServerUrl: string;
    /** The workloads' IngressClass (`alb`): only workload namespaces may use it; its parameters fix the ALB's settings. */
    ingressClass: string;
    /** The ALB group of the workloads' public Ingresses (the platform's UIs have their own load balancer). */
    albGroupName: string;
    /** S3 bucket receiving ALB access logs. */
    albAccessLogsBucket: string;
    /** ACM certificate for the public hostnames, or "" when none is set. */
    certificateArn: string;
    /** WAFv2 web ACL public Ingresses attach (alb.ingress.kubernetes.io/wafv2-acl-arn); "" when no hostname is set. */
    wafAclArn: string;
    /** The workloads' ClusterSecretStore (External Secrets, AWS Secrets Manager): only workload namespaces may use it. */
    secretStoreName: string;
    /**
     * Prefix of the workloads' Secrets Manager names, e.g. `gitops-staging/apps/`: the workloads' store prepends it
     * and may read nothing else, so ExternalSecrets name secrets relative to it (`mysql`).
     */
    secretsPrefix: string;
    /** The platform's ClusterSecretStore (prefix `<namePrefix>/`, not its `apps/` part): only ArgoCD's and monitoring's namespaces may use it. */
    platformSecretStoreName: string;
    /** Secrets Manager name of the generated GitHub webhook secret (paste its value into the repository's webhook). */
    argocdWebhookSecretName: string;
    /** Namespaces prepared for the workloads (Pod Security restricted, default-deny, quotas). */
    workloadNamespaces: string[];
    /** Default StorageClass (gp3, encrypted). */
    storageClassName: string;
    /** https URL of Grafana when exposed, otherwise "". */
    grafanaUrl: string;
    /** SNS topic of the CloudWatch alarms. */
    alarmTopicArn: string;
}

export const PLATFORM_OUTPUT_NAMES: readonly (keyof PlatformOutputs)[] = [
    "environment",
    "argocdNamespace",
    "argocdServerUrl",
    "ingressClass",
    "albGroupName",
    "albAccessLogsBucket",
    "certificateArn",
    "wafAclArn",
    "secretStoreName",
    "secretsPrefix",
    "platformSecretStoreName",
    "argocdWebhookSecretName",
    "workloadNamespaces",
    "storageClassName",
    "grafanaUrl",
    "alarmTopicArn",
];
