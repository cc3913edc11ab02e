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
    /** IngressClass of the AWS Load Balancer Controller. */
    ingressClass: string;
    /** ALB group every public Ingress joins (one load balancer for the environment). */
    albGroupName: string;
    /** S3 bucket receiving ALB access logs. */
    albAccessLogsBucket: string;
    /** ACM certificate for the public hostnames, or "" when none is set. */
    certificateArn: string;
    /** WAFv2 web ACL public Ingresses attach (alb.ingress.kubernetes.io/wafv2-acl-arn); "" when no hostname is set. */
    wafAclArn: string;
    /** ClusterSecretStore (External Secrets) backed by AWS Secrets Manager. */
    secretStoreName: string;
    /**
     * Prefix of the Secrets Manager names this environment may read, e.g. `gitops-staging/`. The secret store
     * prepends it: ExternalSecrets name secrets relative to it (`mysql`, not `gitops-staging/mysql`).
     */
    secretsPrefix: string;
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
    "argocdWebhookSecretName",
    "workloadNamespaces",
    "storageClassName",
    "grafanaUrl",
    "alarmTopicArn",
];
