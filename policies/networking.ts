/**
 * Networking: pods and nodes live in private subnets only, no node gets a public IP, and Kubernetes
 * LoadBalancer Services are internal unless a setting names them. The internet reaches workloads through the
 * platform's ALB (Ingress), never straight at a node.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { asBool, asList, checking, Checks, describeResource, isNonEmptyString, judgedNamespace, listText, Props, resourcesByReference, stringListSetting, validateTypes } from "./common";
import { exceptionsSetting, ExceptionsConfig, findings } from "./exceptions";

const ELB_ROLE_TAG = "kubernetes.io/role/elb";

/** Where each type (or component) places nodes or pods: property path -> subnet ids. */
const SUBNET_CONSUMERS: Record<string, (p: Props, add: (where: string, ids: () => unknown) => void) => void> = {
    "aws:eks/nodeGroup:NodeGroup": (p, add) => add("subnetIds", () => p.subnetIds),
    "aws:eks/fargateProfile:FargateProfile": (p, add) => add("subnetIds", () => p.subnetIds),
    "aws:autoscaling/group:Group": (p, add) => add("vpcZoneIdentifiers", () => p.vpcZoneIdentifiers),
    "aws:ec2/launchTemplate:LaunchTemplate": (p, add) => {
        const interfaces = asList(p.networkInterfaces);
        for (let i = 0; i < interfaces.length; i++) add(`networkInterfaces[${i}].subnetId`, () => interfaces[i].subnetId);
    },
    "eks:index:ManagedNodeGroup": (p, add) => add("subnetIds", () => p.subnetIds),
    "eks:index:NodeGroup": (p, add) => add("nodeSubnetIds", () => p.nodeSubnetIds),
    "eks:index:NodeGroupV2": (p, add) => add("nodeSubnetIds", () => p.nodeSubnetIds),
    "eks:index:Cluster": (p, add) => {
        add("nodeSubnetIds", () => p.nodeSubnetIds);
        add("nodeGroupOptions.nodeSubnetIds", () => p.nodeGroupOptions?.nodeSubnetIds);
        add("fargate.subnetIds", () => (typeof p.fargate === "object" ? p.fargate?.subnetIds : undefined));
    },
};

/**
 * Public subnets of the stack, each with the reason it is public: mapPublicIpOnLaunch, a route table with a
 * route to an internet gateway, the kubernetes.io/role/elb tag, or a component's list of public subnets.
 */
export function publicSubnets(resources: PolicyResource[], checks: Checks): Map<string, string> {
    const subject = (r: PolicyResource) => describeResource(r.type, r.name);
    const internetRouteTables = new Map<string, string>();
    for (const r of resources) {
        checks.run(() => {
            const p = r.props;
            if (r.type === "aws:ec2/route:Route" && isInternetGateway(p.gatewayId)) {
                internetRouteTables.set(p.routeTableId, `its route table ${p.routeTableId} routes to ${p.gatewayId} (${subject(r)})`);
            } else if (r.type === "aws:ec2/routeTable:RouteTable") {
                checks.each(
                    () => p.routes,
                    (route: Props) => {
                        if (isInternetGateway(route.gatewayId)) internetRouteTables.set(p.id, `its route table ${p.id} (${subject(r)}) routes to ${route.gatewayId}`);
                    },
                );
            }
        });
    }
    const found = new Map<string, string>();
    const mark = (id: unknown, reason: string) => {
        if (isNonEmptyString(id) && !found.has(id)) found.set(id, reason);
    };
    for (const r of resources) {
        checks.run(() => {
            const p = r.props;
            switch (r.type) {
                case "aws:ec2/subnet:Subnet":
                    checks.run(() => {
                        if (asBool(p.mapPublicIpOnLaunch) === true) mark(p.id, `${subject(r)} sets mapPublicIpOnLaunch`);
                    });
                    checks.run(() => {
                        const tags = { ...(p.tagsAll ?? {}), ...(p.tags ?? {}) };
                        if (tags[ELB_ROLE_TAG] !== undefined) mark(p.id, `${subject(r)} is tagged ${ELB_ROLE_TAG} (internet-facing load balancers)`);
                    });
                    break;
                case "aws:ec2/routeTableAssociation:RouteTableAssociation":
                    if (internetRouteTables.has(p.routeTableId)) mark(p.subnetId, internetRouteTables.get(p.routeTableId)!);
                    break;
                case "awsx:ec2:Vpc":
                    checks.each(() => p.publicSubnetIds, (id) => mark(id, `${subject(r)} lists it in publicSubnetIds`));
                    break;
                case "eks:index:Cluster":
                    checks.each(() => p.publicSubnetIds, (id) => mark(id, `${subject(r)} is given it as a public subnet (publicSubnetIds)`));
                    break;
            }
        });
    }
    return found;
}

function isInternetGateway(id: unknown): boolean {
    return typeof id === "string" && id.startsWith("igw-");
}

export const nodesInPrivateSubnets: StackValidationPolicy = {
    name: "nodes-in-private-subnets",
    description:
        "Node groups, launch templates, Auto Scaling groups and Fargate profiles (and @pulumi/eks node inputs) use private subnets only. " +
        "A subnet is public when it maps public IPs on launch, routes to an internet gateway, carries kubernetes.io/role/elb, or a VPC component lists it as public. " +
        "Nodes in a public subnet are one security-group mistake away from the internet.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const consumers = args.resources.filter((r) => r.type in SUBNET_CONSUMERS);
        if (consumers.length === 0) args.notApplicable("no node groups, launch templates, Auto Scaling groups or Fargate profiles");
        checking((checks) => {
            const publicIds = publicSubnets(args.resources, checks);
            for (const r of consumers) {
                checks.run(() =>
                    SUBNET_CONSUMERS[r.type](r.props, (where, read) =>
                        checks.each(
                            () => asList(read() as string[]),
                            (id: string) => {
                                const reason = publicIds.get(id);
                                if (reason === undefined) return;
                                report(
                                    `${describeResource(r.type, r.name)}: ${where} includes ${id}, a public subnet (${reason}). ` +
                                        "Fix: place nodes and pods in private subnets only (the VPC's privateSubnetIds).",
                                    r.urn,
                                );
                            },
                        ),
                    ),
                );
            }
        });
    },
};

/** Inputs that give a node a public IP; `default` is what applies when the input is not set. */
const PUBLIC_IP_INPUTS: Record<string, (p: Props, check: (path: string, value: unknown, whenUnset?: string) => void, checks: Checks) => void> = {
    "aws:ec2/launchTemplate:LaunchTemplate": (p, check, checks) =>
        checks.each(
            () => p.networkInterfaces,
            (ni: Props, i) => check(`networkInterfaces[${i}].associatePublicIpAddress`, ni.associatePublicIpAddress),
        ),
    "aws:ec2/instance:Instance": (p, check) => check("associatePublicIpAddress", p.associatePublicIpAddress),
    "aws:ec2/launchConfiguration:LaunchConfiguration": (p, check) => check("associatePublicIpAddress", p.associatePublicIpAddress),
    // @pulumi/eks gives nodes public IPs unless told otherwise: these must say false.
    "eks:index:Cluster": (p, check, checks) => {
        checks.run(() => check("nodeAssociatePublicIpAddress", p.nodeAssociatePublicIpAddress, "@pulumi/eks defaults to true"));
        checks.run(() => check("nodeGroupOptions.nodeAssociatePublicIpAddress", p.nodeGroupOptions?.nodeAssociatePublicIpAddress));
    },
    "eks:index:NodeGroup": (p, check) => check("nodeAssociatePublicIpAddress", p.nodeAssociatePublicIpAddress, "@pulumi/eks defaults to true"),
    "eks:index:NodeGroupV2": (p, check) => check("nodeAssociatePublicIpAddress", p.nodeAssociatePublicIpAddress, "@pulumi/eks defaults to true"),
};

export const noPublicIpOnNodes: ResourceValidationPolicy = {
    name: "no-public-ip-on-nodes",
    description:
        "No node gets a public IP: launch template network interfaces, instances and launch configurations do not associate one, and @pulumi/eks node inputs say false explicitly (their default is true). " +
        "Nodes reach the internet through NAT; nothing on the internet should reach them (CKV_AWS_88).",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(Object.keys(PUBLIC_IP_INPUTS), (props, args, report, checks) => {
        const subject = describeResource(args.type, args.name);
        PUBLIC_IP_INPUTS[args.type](
            props,
            (path, value, whenUnset) => {
                const on = asBool(value);
                if (on === true || (on === undefined && whenUnset !== undefined)) {
                    const actual = on === undefined ? `not set (${whenUnset})` : JSON.stringify(value);
                    const fix = args.type === "aws:ec2/launchTemplate:LaunchTemplate" ? '"false" (LaunchTemplate takes the string)' : "false";
                    report(`${subject}: ${path} is ${actual}, so nodes get a public IP. Fix: set ${path} to ${fix}.`);
                }
            },
            checks,
        );
    }),
};

export interface LoadBalancersConfig {
    allowedPublicServices: string[];
}

export const SCHEME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-scheme";
export const INTERNAL_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-internal";

export const internalLoadBalancers: ResourceValidationPolicy = {
    name: "internal-load-balancers",
    description:
        "Kubernetes Services of type LoadBalancer are internal (annotated scheme internal) unless allowedPublicServices names them. " +
        "Public traffic enters through the platform's ALB with its WAF; an internet-facing NLB per Service would bypass it. " +
        "The annotation is required because the default scheme depends on which controller handles the Service.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedPublicServices: {
                ...stringListSetting("Services (namespace/name) that may have an internet-facing load balancer.", []),
                items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" },
            },
        },
    },
    validateResource: validateTypes(["kubernetes:core/v1:Service"], (props, args, report) => {
        if (props.spec?.type !== "LoadBalancer") return;
        const annotations: Props = props.metadata?.annotations ?? {};
        const scheme = annotations[SCHEME_ANNOTATION];
        const internal = scheme === "internal" || (scheme === undefined && (asBool(annotations[INTERNAL_ANNOTATION]) === true || annotations[INTERNAL_ANNOTATION] === "0.0.0.0/0"));
        if (internal) return;
        // The namespace it is allowed by: its Application's destination when ArgoCD syncs it (an overlay cannot claim another's entry).
        const id = `${judgedNamespace(props, args) ?? "default"}/${props.metadata?.name ?? args.name}`;
        const allowed = args.getConfig<LoadBalancersConfig>().allowedPublicServices;
        if (allowed.includes(id)) return;
        const why = scheme === undefined ? `has no ${SCHEME_ANNOTATION} annotation` : `sets ${SCHEME_ANNOTATION} to ${JSON.stringify(scheme)}`;
        report(
            `${describeResource(args.type, args.name)}: LoadBalancer Service ${id} ${why}, so it may get an internet-facing load balancer. ` +
                `Fix: annotate it ${SCHEME_ANNOTATION}: internal, or add "${id}" to allowedPublicServices in policies/config/<environment>.json (allowed now: ${listText(allowed)}).`,
        );
    }),
};

export const subnetsNoPublicIp: ResourceValidationPolicy = {
    name: "subnets-no-public-ip",
    description:
        "Subnets do not give instances public IPs by default (mapPublicIpOnLaunch, CKV_AWS_130; awsx VPCs set it on their public subnets): whatever starts there is " +
        "reachable from the internet unless its security groups say otherwise. The public subnets of the internet-facing ALB and the NAT gateways are a documented exception.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { exceptions: exceptionsSetting("subnets-no-public-ip") } },
    validateResource: validateTypes(["aws:ec2/subnet:Subnet", "awsx:ec2:Vpc"], (props, args, report, checks) => {
        const finding = findings(args, report, args.getConfig<ExceptionsConfig>().exceptions);
        const subject = describeResource(args.type, args.name);
        if (args.type === "awsx:ec2:Vpc") {
            // awsx creates a public and a private subnet per AZ when no specs are given.
            const specs = props.subnetSpecs === undefined ? [{ type: "Public" }] : asList<Props>(props.subnetSpecs);
            checks.run(() => {
                if (specs.some((s) => String(s.type).toLowerCase() === "public")) {
                    finding("CKV_AWS_130", `public subnets of ${args.name}`, `${subject}: its public subnets map a public IP to every instance started in them (CKV_AWS_130). Fix: start nothing but load balancers and NAT gateways there, or use Private and Isolated subnets only.`);
                }
            });
            return;
        }
        checks.run(() => {
            if (asBool(props.mapPublicIpOnLaunch) !== true) return;
            const tags: Props = { ...(props.tagsAll ?? {}), ...(props.tags ?? {}) };
            const isPublic = tags[ELB_ROLE_TAG] !== undefined || String(tags.SubnetType ?? "").toLowerCase() === "public";
            finding("CKV_AWS_130", `${isPublic ? "public subnet" : "subnet"} ${args.name}`, `${subject}: mapPublicIpOnLaunch is true, so every instance started in it gets a public IP (CKV_AWS_130). Fix: set mapPublicIpOnLaunch to false.`);
        });
    }),
};

/** The VPCs of a stack with their ids: plain VPCs, and the VPC inside an awsx component (its vpcId output). */
const VPC_IDS: Record<string, (p: Props) => unknown> = { "aws:ec2/vpc:Vpc": (p) => p.id, "awsx:ec2:Vpc": (p) => p.vpcId };

export const vpcFlowLogs: StackValidationPolicy = {
    name: "vpc-flow-logs",
    description:
        "Every VPC records all its traffic (accepted and rejected) with a VPC flow log (CKV2_AWS_11): who talked to what, from where, is known after an incident, " +
        "and traffic a security group rejected shows an attempt.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const vpcs = args.resources.filter((r) => r.type in VPC_IDS);
        if (vpcs.length === 0) args.notApplicable("no VPCs");
        checking((checks) => {
            const { byKey: logged, unknown } = resourcesByReference(args.resources, "aws:ec2/flowLog:FlowLog", (p) => p.vpcId, checks);
            for (const vpc of vpcs) {
                checks.run(() => {
                    const id = VPC_IDS[vpc.type](vpc.props);
                    const subject = describeResource(vpc.type, vpc.name);
                    const flowLog = isNonEmptyString(id) ? logged.get(id) : undefined;
                    if (flowLog === undefined) {
                        if (!unknown) report(`${subject}: VPC ${String(id)} has no flow log (CKV2_AWS_11). Fix: add an aws.ec2.FlowLog with vpcId set to it, trafficType "ALL", to a CloudWatch log group with a retention.`, vpc.urn);
                        return;
                    }
                    if (flowLog.props.trafficType !== "ALL") {
                        report(`${subject}: its flow log ${flowLog.name} records ${JSON.stringify(flowLog.props.trafficType)} traffic only. Fix: set trafficType to "ALL".`, vpc.urn);
                    }
                });
            }
        });
    },
};

export const NETWORKING_POLICIES = [nodesInPrivateSubnets, noPublicIpOnNodes, internalLoadBalancers, subnetsNoPublicIp, vpcFlowLogs];
