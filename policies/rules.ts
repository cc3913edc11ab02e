/**
 * The Checkov rules (bridgecrewio/checkov, read 2026-12) for what this platform creates (EKS and its nodes, ECR,
 * KMS, CloudWatch Logs, S3, WAF, Secrets Manager, Kubernetes workloads), and what answers each: the policy of this
 * pack that enforces it (its findings name the rule), the settings validation that does, or why it is not adopted.
 * Where a policy lets a finding pass on purpose, exceptions.ts says so; the README's rule table lists exactly these.
 *
 * Left out as not applicable: PodSecurityPolicy rules (the API is gone), control-plane and kubelet flags (EKS runs
 * the control plane), Tiller, the dashboard, NGINX ingress snippets, git-sync, and RBAC rules (the AppProject
 * admits no Role or binding from Git; the layers create none).
 */

export type RuleArea = "EKS" | "EC2/VPC" | "ECR" | "KMS" | "CloudWatch Logs" | "S3" | "WAF/ALB" | "Secrets Manager" | "Kubernetes";

export interface CheckovRule {
    id: string;
    title: string;
    area: RuleArea;
    /** The pack's policy that enforces it. */
    policy?: string;
    /** Held before the pack runs, by settings validation (what and where). */
    settings?: string;
    /** Deliberately not adopted, and why. */
    notAdopted?: string;
}

const rule = (area: RuleArea, id: string, title: string, policy: string): CheckovRule => ({ id, title, area, policy });
const bySettings = (area: RuleArea, id: string, title: string, settings: string): CheckovRule => ({ id, title, area, settings });
const notAdopted = (area: RuleArea, id: string, title: string, reason: string): CheckovRule => ({ id, title, area, notAdopted: reason });

export const CHECKOV_RULES: CheckovRule[] = [
    rule("EKS", "CKV_AWS_37", "EKS control plane logging enabled for all log types", "eks-control-plane-logging"),
    rule("EKS", "CKV_AWS_38", "EKS public endpoint not accessible to 0.0.0.0/0", "eks-public-endpoint-restricted"),
    rule("EKS", "CKV_AWS_39", "EKS public endpoint disabled", "eks-public-endpoint-restricted"),
    rule("EKS", "CKV_AWS_58", "EKS cluster has secrets encryption enabled", "eks-secrets-encryption"),
    rule("EKS", "CKV_AWS_100", "EKS node group has no implicit SSH access from 0.0.0.0/0", "eks-node-groups-no-remote-access"),
    bySettings("EKS", "CKV_AWS_339", "EKS clusters run a supported Kubernetes version", "infra:kubernetesVersion, checked against EKS standard support on the plan's day (infra/versions.ts, lib/today.ts): the pack holds no copy of the dated table"),
    rule("EC2/VPC", "CKV_AWS_79", "Instance Metadata Service version 1 is not enabled", "imdsv2-required"),
    rule("EC2/VPC", "CKV_AWS_341", "Launch template metadata response hop limit is not greater than 1", "imds-hop-limit"),
    rule("EC2/VPC", "CKV_AWS_88", "EC2 instance (launch template) has no public IP", "no-public-ip-on-nodes"),
    rule("EC2/VPC", "CKV_AWS_8", "Launch configuration and instance EBS volumes are encrypted", "ebs-gp3-encrypted"),
    rule("EC2/VPC", "CKV_AWS_130", "VPC subnets do not assign public IPs by default", "subnets-no-public-ip"),
    rule("EC2/VPC", "CKV2_AWS_11", "VPC flow logging is enabled in all VPCs", "vpc-flow-logs"),
    rule("ECR", "CKV_AWS_163", "ECR image scanning on push is enabled", "ecr-repositories-hardened"),
    rule("ECR", "CKV_AWS_51", "ECR image tags are immutable", "ecr-repositories-hardened"),
    rule("ECR", "CKV_AWS_136", "ECR repositories are encrypted with KMS", "ecr-repositories-hardened"),
    rule("ECR", "CKV_AWS_32", "ECR repository policy is not public", "resource-policies-not-public"),
    rule("KMS", "CKV_AWS_7", "Customer-managed KMS keys rotate", "kms-keys-hardened"),
    rule("KMS", "CKV_AWS_227", "KMS key is enabled", "kms-keys-hardened"),
    rule("KMS", "CKV2_AWS_64", "KMS key policy is defined", "kms-keys-hardened"),
    rule("KMS", "CKV_AWS_33", "KMS key policy has no wildcard (*) principal", "resource-policies-not-public"),
    rule("CloudWatch Logs", "CKV_AWS_66", "CloudWatch log groups specify a retention", "cloudwatch-log-groups-hardened"),
    rule("CloudWatch Logs", "CKV_AWS_158", "CloudWatch log groups are encrypted with KMS", "cloudwatch-log-groups-hardened"),
    notAdopted(
        "CloudWatch Logs",
        "CKV_AWS_338",
        "CloudWatch log groups retain logs for at least a year",
        "retention is a setting per environment (infra:flowLogRetentionDays, infra:clusterLogRetentionDays, platform:wafLogRetentionDays; 14 days in staging, 90 in production " +
            "by default), what investigating an incident needs, and a year of logs multiplies their storage cost; cloudwatch-log-groups-hardened holds each environment's " +
            "minimum instead (minimumRetentionDays in the environment's policies/config file)",
    ),
    rule("S3", "CKV2_AWS_6", "S3 bucket has a public access block", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_53", "S3 public access block blocks public ACLs", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_54", "S3 public access block blocks public policies", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_55", "S3 public access block ignores public ACLs", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_56", "S3 public access block restricts public buckets", "s3-buckets-hardened"),
    rule("S3", "CKV2_AWS_65", "S3 bucket ACLs are disabled", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_19", "S3 bucket data is encrypted at rest", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_145", "S3 bucket is encrypted with KMS by default", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_379", "S3 bucket policy enforces secure transport", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_21", "S3 bucket has versioning enabled", "s3-buckets-hardened"),
    rule("S3", "CKV2_AWS_61", "S3 bucket has a lifecycle configuration", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_300", "S3 lifecycle aborts failed multipart uploads", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_18", "S3 bucket has access logging enabled", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_144", "S3 bucket has cross-region replication", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_143", "S3 bucket has object lock enabled", "s3-buckets-hardened"),
    rule("S3", "CKV2_AWS_62", "S3 bucket has event notifications", "s3-buckets-hardened"),
    rule("S3", "CKV_AWS_70", "S3 bucket policy does not allow any principal", "resource-policies-not-public"),
    rule("WAF/ALB", "CKV2_AWS_31", "WAFv2 web ACL has a logging configuration", "waf-web-acls-hardened"),
    rule("WAF/ALB", "CKV_AWS_175", "WAF web ACL has rules", "waf-web-acls-hardened"),
    rule("WAF/ALB", "CKV_AWS_342", "WAF rules have actions", "waf-web-acls-hardened"),
    rule("WAF/ALB", "CKV_AWS_192", "WAF blocks Log4j message lookups (CVE-2021-44228)", "waf-web-acls-hardened"),
    rule("WAF/ALB", "CKV2_AWS_28", "Public-facing ALBs are protected by WAF", "public-ingresses-hardened"),
    rule("WAF/ALB", "CKV_AWS_91", "ALB has access logging enabled", "public-ingresses-hardened"),
    rule("WAF/ALB", "CKV_AWS_131", "ALB drops invalid HTTP headers", "public-ingresses-hardened"),
    rule("Secrets Manager", "CKV_AWS_149", "Secrets Manager secret is encrypted with a customer-managed KMS key", "secrets-manager-hardened"),
    rule("Secrets Manager", "CKV2_AWS_57", "Secrets Manager secrets rotate automatically", "secrets-manager-hardened"),
    rule("Secrets Manager", "CKV_AWS_304", "Secrets Manager secrets rotate within 90 days", "secrets-manager-hardened"),
    rule("Kubernetes", "CKV_K8S_8", "Liveness probe configured", "workload-probes"),
    rule("Kubernetes", "CKV_K8S_9", "Readiness probe configured", "workload-probes"),
    rule("Kubernetes", "CKV_K8S_10", "CPU requests set", "workload-resources"),
    rule("Kubernetes", "CKV_K8S_11", "CPU limits set", "workload-resources"),
    rule("Kubernetes", "CKV_K8S_12", "Memory requests set", "workload-resources"),
    rule("Kubernetes", "CKV_K8S_13", "Memory limits set", "workload-resources"),
    rule("Kubernetes", "CKV_K8S_14", "Image tag fixed, not latest or blank", "workload-images-pinned"),
    notAdopted("Kubernetes", "CKV_K8S_15", "Image pull policy Always", "images are pinned by digest or by an immutable ECR tag (workload-images-pinned), so IfNotPresent runs the same image; Always would only add a registry call to every start and fail starts while ECR is unreachable"),
    rule("Kubernetes", "CKV_K8S_16", "Container not privileged", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_17", "No host PID namespace", "workload-host-isolation"),
    rule("Kubernetes", "CKV_K8S_18", "No host IPC namespace", "workload-host-isolation"),
    rule("Kubernetes", "CKV_K8S_19", "No host network namespace", "workload-host-isolation"),
    rule("Kubernetes", "CKV_K8S_20", "No allowPrivilegeEscalation", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_21", "Default namespace not used", "workload-identity"),
    rule("Kubernetes", "CKV_K8S_22", "Read-only root filesystem", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_23", "No root containers", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_25", "No added capabilities", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_26", "No hostPort", "workload-host-isolation"),
    rule("Kubernetes", "CKV_K8S_27", "Docker daemon socket not exposed (no hostPath at all)", "workload-host-isolation"),
    rule("Kubernetes", "CKV_K8S_28", "NET_RAW dropped (ALL capabilities dropped)", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_29", "Security context on pods", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_30", "Security context on containers", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_31", "Seccomp profile RuntimeDefault", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_35", "Secrets as files, not environment variables", "workload-secrets-as-files"),
    rule("Kubernetes", "CKV_K8S_37", "Capabilities minimised", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_38", "Service account tokens mounted only where necessary", "workload-identity"),
    rule("Kubernetes", "CKV_K8S_39", "No CAP_SYS_ADMIN", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_40", "Containers run as a high UID (10000 or more)", "workload-pod-security"),
    rule("Kubernetes", "CKV_K8S_41", "Default service account not used", "workload-identity"),
    rule("Kubernetes", "CKV_K8S_43", "Image by digest", "workload-images-pinned"),
];
