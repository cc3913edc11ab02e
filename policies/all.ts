/**
 * Every policy of the pack, in one list: the pack's index.ts serves it, and the tests and the offline plan
 * (offline.ts) run it without the pack's server.
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ARGOCD_POLICIES } from "./argocd";
import { CLUSTER_POLICIES } from "./cluster";
import { ECR_POLICIES } from "./ecr";
import { HELM_POLICIES } from "./helm";
import { IAM_POLICIES } from "./iam";
import { KMS_POLICIES } from "./kms";
import { LOG_POLICIES } from "./logs";
import { ISOLATION_POLICIES } from "./isolation";
import { NAMESPACE_POLICIES } from "./namespaces";
import { NETWORKING_POLICIES } from "./networking";
import { RESOURCE_POLICY_POLICIES } from "./resource-policies";
import { S3_POLICIES } from "./s3";
import { SECRET_POLICIES } from "./secrets";
import { SIZING_POLICIES } from "./sizing";
import { STORAGE_POLICIES } from "./storage";
import { TAG_POLICIES } from "./tags";
import { WAF_POLICIES } from "./waf";
import { WORKLOAD_POLICIES } from "./workloads";

export type PackPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const PACK_NAME = "gitops-platform";

export const ALL_POLICIES: PackPolicy[] = [
    ...SIZING_POLICIES,
    ...STORAGE_POLICIES,
    ...NETWORKING_POLICIES,
    ...CLUSTER_POLICIES,
    ...ECR_POLICIES,
    ...IAM_POLICIES,
    ...KMS_POLICIES,
    ...RESOURCE_POLICY_POLICIES,
    ...LOG_POLICIES,
    ...SECRET_POLICIES,
    ...S3_POLICIES,
    ...WAF_POLICIES,
    ...HELM_POLICIES,
    ...ARGOCD_POLICIES,
    ...NAMESPACE_POLICIES,
    ...WORKLOAD_POLICIES,
    ...TAG_POLICIES,
    ...ISOLATION_POLICIES,
];
