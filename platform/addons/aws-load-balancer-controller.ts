/**
 * AWS Load Balancer Controller: turns Ingresses into Application Load Balancers (and Services of type
 * LoadBalancer into NLBs), with its IRSA role. It registers mutating webhooks for Services and Pods, so every
 * release that creates Services is installed after it (dependsOn on `release`).
 * - Two IngressClasses with IngressClassParams (lib/alb.ts): the platform's (`alb-platform`, ArgoCD and Grafana,
 *   platform namespaces only, its own ALB, optionally limited to source CIDRs) and the workloads' (`alb`, workload
 *   namespaces only, their ALB). The `kubernetes.io/ingress.class` and `group.name` annotations are turned off, so
 *   no Ingress can leave its class's group or join another's.
 * - Every AWS resource it creates (load balancers, target groups, listeners, rules, security groups) carries the
 *   standard tags (`defaultTags`, the controller's highest-priority tags): the environment guards of the other
 *   environment's IAM policies read Environment.
 * Values checked against the chart's values.yaml at the version of charts.ts (its `checked` tag).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../../lib/environment";
import { IrsaCluster, IrsaRole } from "../../lib/irsa";
import { ALB_INGRESS_CLASS, albClassParams, AlbClassArgs, INGRESS_CLASS_CONTROLLER, PLATFORM_INGRESS_CLASS } from "../../lib/alb";
import { addonRelease } from "../helm";
import { ContainerResources, resources } from "../resources";
import { AWS_LOAD_BALANCER_CONTROLLER_POLICY } from "./aws-load-balancer-controller-iam-policy";

export const SERVICE_ACCOUNT = { namespace: "kube-system", name: "aws-load-balancer-controller" };

/** Two replicas in production keep the webhooks answering during a node drain. */
export const SIZING: Record<Environment, { replicas: number; resources: ContainerResources }> = {
    staging: { replicas: 1, resources: resources(50, 96, 200, 256) },
    production: { replicas: 2, resources: resources(100, 128, 500, 384) },
};

export interface AwsLoadBalancerControllerArgs {
    environment: Environment;
    chartVersion: string;
    clusterName: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    region: string;
    /** The cluster's OIDC provider and the role path and boundary of its IRSA roles. */
    irsa: IrsaCluster;
    /** The standard tags, on everything the controller creates in AWS. */
    tags: pulumi.Input<Record<string, string>>;
}

export class AwsLoadBalancerController extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: AwsLoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:AwsLoadBalancerController", name, {}, opts);
        const role = new IrsaRole(
            `${name}-irsa`,
            {
                ...args.irsa,
                serviceAccount: SERVICE_ACCOUNT,
                policy: JSON.stringify(AWS_LOAD_BALANCER_CONTROLLER_POLICY),
                description: "AWS Load Balancer Controller: manages the ALBs and NLBs of the cluster's Ingresses and Services",
            },
            { parent: this },
        );
        this.roleArn = role.arn;
        const sizing = SIZING[args.environment];
        this.release = addonRelease(
            name,
            {
                addon: "aws-load-balancer-controller",
                version: args.chartVersion,
                releaseName: "aws-load-balancer-controller",
                namespace: SERVICE_ACCOUNT.namespace,
                values: {
                    clusterName: args.clusterName,
                    region: args.region,
                    // Given explicitly: IMDSv2 with hop limit 1 keeps pods from discovering them from the node.
                    vpcId: args.vpcId,
                    replicaCount: sizing.replicas,
                    resources: sizing.resources,
                    serviceAccount: {
                        create: true,
                        name: SERVICE_ACCOUNT.name,
                        annotations: { "eks.amazonaws.com/role-arn": role.arn },
                    },
                    ingressClass: ALB_INGRESS_CLASS,
                    // Both classes and their parameters are created below, after the controller's CRDs and webhooks.
                    createIngressClassResource: false,
                    ingressClassParams: { create: false },
                    // An Ingress gets its load balancer only through its class's parameters.
                    disableIngressClassAnnotation: true,
                    disableIngressGroupNameAnnotation: true,
                    defaultTags: args.tags,
                    // Load balancers are internal unless an Ingress or Service asks for internet-facing.
                    defaultLoadBalancerScheme: "internal",
                    defaultTargetType: "ip",
                    podDisruptionBudget: sizing.replicas > 1 ? { maxUnavailable: 1 } : {},
                    securityContext: {
                        readOnlyRootFilesystem: true,
                        runAsNonRoot: true,
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                },
            },
            { parent: this },
        );
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

export interface IngressClassesArgs {
    /** The platform's class: its namespaces, group and settings. */
    platform: AlbClassArgs;
    /** The workloads' class. */
    workloads: AlbClassArgs;
    /** The controller (its CRD and webhook validate the parameters). */
    controller: pulumi.Resource;
}

/** The platform's and the workloads' IngressClasses with their IngressClassParams. */
export class IngressClasses extends pulumi.ComponentResource {
    readonly classes: k8s.networking.v1.IngressClass[];

    constructor(name: string, args: IngressClassesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:IngressClasses", name, {}, opts);
        const ingressClass = (className: string, params: AlbClassArgs) => {
            const parameters = new k8s.apiextensions.CustomResource(
                `${name}-${className}`,
                { apiVersion: "elbv2.k8s.aws/v1beta1", kind: "IngressClassParams", metadata: { name: className }, spec: albClassParams(params) },
                { parent: this, dependsOn: [args.controller] },
            );
            return new k8s.networking.v1.IngressClass(
                `${name}-${className}`,
                {
                    metadata: { name: className },
                    spec: { controller: INGRESS_CLASS_CONTROLLER, parameters: { apiGroup: "elbv2.k8s.aws", kind: "IngressClassParams", name: parameters.metadata.name } },
                },
                { parent: this, dependsOn: [parameters] },
            );
        };
        this.classes = [ingressClass(PLATFORM_INGRESS_CLASS, args.platform), ingressClass(ALB_INGRESS_CLASS, args.workloads)];
        this.registerOutputs({});
    }
}
