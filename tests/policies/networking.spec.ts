import * as assert from "assert";
import { internalLoadBalancers as lbs, noPublicIpOnNodes as publicIp, nodesInPrivateSubnets as subnets, subnetsNoPublicIp, vpcFlowLogs } from "../../policies/networking";
import { OfflineResource } from "../../policies/offline";
import { EKS_COMPONENT, eksComponent, LAUNCH_TEMPLATE, launchTemplate, NODE_GROUP, nodeGroup } from "./fixtures";
import {
    assertHasResourceViolation,
    assertHasStackViolation,
    assertNoResourceViolations,
    assertNoStackViolations,
    assertNotApplicable,
    assertSkipsUnknown,
    assertViolationCount,
    createResourceValidationArgs,
    createStackValidationArgs,
    Props,
    runStackPolicy,
    runWithExceptions,
    stackResource,
    UNKNOWN,
    withValue,
} from "./util";

/** The VPC component as the kit records it (its state lists the subnets), and a node group in a private subnet. */
function baseStack(): OfflineResource[] {
    return [
        stackResource("awsx:ec2:Vpc", "network-vpc", { vpcId: "vpc-1", publicSubnetIds: ["subnet-pub0", "subnet-pub1"], privateSubnetIds: ["subnet-prv0", "subnet-prv1"] }),
        stackResource(NODE_GROUP, "nodes-1", nodeGroup()),
    ];
}

/** What a real preview shows instead of the component's state: subnets, route tables, routes and associations. */
function plainVpc(): OfflineResource[] {
    return [
        stackResource("aws:ec2/subnet:Subnet", "public-a", { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24", mapPublicIpOnLaunch: true }, { id: "subnet-a" }),
        stackResource("aws:ec2/subnet:Subnet", "elb-b", { vpcId: "vpc-1", cidrBlock: "10.0.1.0/24", tags: { "kubernetes.io/role/elb": "1" } }, { id: "subnet-b" }),
        stackResource("aws:ec2/subnet:Subnet", "routed-c", { vpcId: "vpc-1", cidrBlock: "10.0.2.0/24", mapPublicIpOnLaunch: false }, { id: "subnet-c" }),
        stackResource("aws:ec2/subnet:Subnet", "inline-d", { vpcId: "vpc-1", cidrBlock: "10.0.3.0/24" }, { id: "subnet-d" }),
        stackResource("aws:ec2/subnet:Subnet", "private-e", { vpcId: "vpc-1", cidrBlock: "10.0.32.0/19", mapPublicIpOnLaunch: false, tags: { "kubernetes.io/role/internal-elb": "1" } }, { id: "subnet-e" }),
        stackResource("aws:ec2/routeTable:RouteTable", "public-rt", { vpcId: "vpc-1" }, { id: "rtb-public" }),
        stackResource("aws:ec2/route:Route", "public-default", { routeTableId: "rtb-public", destinationCidrBlock: "0.0.0.0/0", gatewayId: "igw-1" }),
        stackResource("aws:ec2/routeTableAssociation:RouteTableAssociation", "routed-c", { subnetId: "subnet-c", routeTableId: "rtb-public" }),
        stackResource("aws:ec2/routeTable:RouteTable", "inline-rt", { vpcId: "vpc-1", routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-1" }] }, { id: "rtb-inline" }),
        stackResource("aws:ec2/routeTableAssociation:RouteTableAssociation", "inline-d", { subnetId: "subnet-d", routeTableId: "rtb-inline" }),
        stackResource("aws:ec2/routeTable:RouteTable", "private-rt", { vpcId: "vpc-1", routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: "nat-1" }] }, { id: "rtb-private" }),
        stackResource("aws:ec2/routeTableAssociation:RouteTableAssociation", "private-e", { subnetId: "subnet-e", routeTableId: "rtb-private" }),
    ];
}

const stackArgs = (resources: OfflineResource[]) => createStackValidationArgs(subnets, resources);

describe("policy nodes-in-private-subnets", () => {
    it("passes node groups in the VPC's private subnets", async () => {
        await assertNoStackViolations(subnets, stackArgs(baseStack()));
        await assertNoStackViolations(subnets, stackArgs([...plainVpc(), stackResource(NODE_GROUP, "ng", { ...nodeGroup(), subnetIds: ["subnet-e"] })]));
    });

    it("reports a node group in a public subnet of the VPC component, on that resource, with the reason and the fix", async () => {
        const stack = [...baseStack(), stackResource(NODE_GROUP, "public-ng", { ...nodeGroup(), subnetIds: ["subnet-prv0", "subnet-pub1"] })];
        const outcome = await assertHasStackViolation(subnets, stackArgs(stack), "public-ng", "subnetIds includes subnet-pub1, a public subnet");
        assert.strictEqual(outcome.violations.length, 1);
        assert.strictEqual(
            outcome.violations[0].message,
            'aws:eks/nodeGroup:NodeGroup "public-ng": subnetIds includes subnet-pub1, a public subnet (awsx:ec2:Vpc "network-vpc" lists it in publicSubnetIds). ' +
                "Fix: place nodes and pods in private subnets only (the VPC's privateSubnetIds).",
        );
    });

    it("classifies plain subnets: mapPublicIpOnLaunch, the kubernetes.io/role/elb tag, a route (or inline route) to an internet gateway", async () => {
        const consumers = ["subnet-a", "subnet-b", "subnet-c", "subnet-d"].map((id) => stackResource(NODE_GROUP, `ng-${id}`, { ...nodeGroup(), subnetIds: [id] }));
        const args = stackArgs([...plainVpc(), ...consumers]);
        await assertHasStackViolation(subnets, args, "ng-subnet-a", 'aws:ec2/subnet:Subnet "public-a" sets mapPublicIpOnLaunch');
        await assertHasStackViolation(subnets, args, "ng-subnet-b", "is tagged kubernetes.io/role/elb");
        await assertHasStackViolation(subnets, args, "ng-subnet-c", "its route table rtb-public routes to igw-1");
        await assertHasStackViolation(subnets, args, "ng-subnet-d", "routes to igw-1");
        const outcome = await runStackPolicy(subnets, args);
        assert.strictEqual(outcome.violations.length, 4);
    });

    it("checks launch templates, Auto Scaling groups, Fargate profiles and @pulumi/eks node inputs", async () => {
        const stack = [
            ...baseStack(),
            stackResource(LAUNCH_TEMPLATE, "lt", withValue(launchTemplate(), "networkInterfaces", [{ deviceIndex: 0, subnetId: "subnet-pub0", associatePublicIpAddress: "false" }])),
            stackResource("aws:autoscaling/group:Group", "asg", { vpcZoneIdentifiers: ["subnet-pub0"], maxSize: 1, minSize: 1 }),
            stackResource("aws:eks/fargateProfile:FargateProfile", "fargate", { clusterName: "c", subnetIds: ["subnet-pub1"], selectors: [{ namespace: "x" }] }),
            stackResource(EKS_COMPONENT, "cluster", { ...eksComponent(), nodeSubnetIds: ["subnet-pub0"] }),
            stackResource("eks:index:ManagedNodeGroup", "mng", { subnetIds: ["subnet-pub0"] }),
            stackResource("eks:index:NodeGroupV2", "ngv2", { nodeSubnetIds: ["subnet-pub1"] }),
        ];
        const args = stackArgs(stack);
        await assertHasStackViolation(subnets, args, "lt", "networkInterfaces[0].subnetId includes subnet-pub0");
        await assertHasStackViolation(subnets, args, "asg", "vpcZoneIdentifiers includes subnet-pub0");
        await assertHasStackViolation(subnets, args, "fargate", "subnetIds includes subnet-pub1");
        await assertHasStackViolation(subnets, args, "cluster", "nodeSubnetIds includes subnet-pub0");
        await assertHasStackViolation(subnets, args, "mng", "subnetIds includes subnet-pub0");
        await assertHasStackViolation(subnets, args, "ngv2", "nodeSubnetIds includes subnet-pub1");
    });

    it("subnets the cluster component is given as public count as public", async () => {
        const stack = [stackResource(EKS_COMPONENT, "cluster", eksComponent()), stackResource(NODE_GROUP, "ng", { ...nodeGroup(), subnetIds: ["subnet-pub0"] })];
        await assertHasStackViolation(subnets, stackArgs(stack), "ng", 'eks:index:Cluster "cluster" is given it as a public subnet');
    });

    it("unknown subnet ids are skipped (and reported to the engine); known ones are still checked", async () => {
        const stack = [
            ...baseStack(),
            stackResource(NODE_GROUP, "unknown-ng", { ...nodeGroup(), subnetIds: [UNKNOWN] }),
            stackResource("aws:ec2/subnet:Subnet", "unknown-subnet", { mapPublicIpOnLaunch: true }, { id: UNKNOWN }),
            stackResource(NODE_GROUP, "public-ng", { ...nodeGroup(), subnetIds: ["subnet-pub0"] }),
        ];
        const outcome = await runStackPolicy(subnets, stackArgs(stack));
        assert.ok(outcome.unknown, "the unknown ids are reported to the engine");
        assert.deepStrictEqual(
            outcome.violations.map((v) => v.urn?.split("::").pop()),
            ["public-ng"],
        );
    });

    it("is not applicable to a stack without nodes", async () => {
        const outcome = await runStackPolicy(subnets, stackArgs([stackResource("aws:s3/bucketV2:BucketV2", "b", {})]));
        assert.ok(outcome.notApplicable);
    });
});

describe("policy no-public-ip-on-nodes", () => {
    const args = (type: string, props: Props, name = "nodes") => createResourceValidationArgs(publicIp, type, props, { name });

    it("passes the project's launch template (associatePublicIpAddress \"false\") and eks inputs that say false", async () => {
        await assertNoResourceViolations(publicIp, args(LAUNCH_TEMPLATE, launchTemplate()));
        await assertNoResourceViolations(publicIp, args(EKS_COMPONENT, eksComponent()));
        await assertNoResourceViolations(publicIp, args("eks:index:NodeGroupV2", { nodeAssociatePublicIpAddress: false }));
        await assertNoResourceViolations(publicIp, args("aws:ec2/instance:Instance", { instanceType: "t3.small" }));
    });

    it("reports a launch template interface with \"true\" (string) or true, with the string fix", async () => {
        const lt = withValue(launchTemplate(), "networkInterfaces", [{ deviceIndex: 0, associatePublicIpAddress: "true" }]);
        const [v] = await assertViolationCount(publicIp, args(LAUNCH_TEMPLATE, lt, "nodes-lt"), 1);
        assert.strictEqual(
            v.message,
            'aws:ec2/launchTemplate:LaunchTemplate "nodes-lt": networkInterfaces[0].associatePublicIpAddress is "true", so nodes get a public IP. ' +
                'Fix: set networkInterfaces[0].associatePublicIpAddress to "false" (LaunchTemplate takes the string).',
        );
        await assertViolationCount(publicIp, args(LAUNCH_TEMPLATE, withValue(launchTemplate(), "networkInterfaces", [{ deviceIndex: 0, associatePublicIpAddress: true }])), 1);
    });

    it("reports instances, launch configurations, and @pulumi/eks inputs left to their default (true)", async () => {
        await assertHasResourceViolation(publicIp, args("aws:ec2/instance:Instance", { associatePublicIpAddress: true }), "associatePublicIpAddress is true");
        await assertHasResourceViolation(publicIp, args("aws:ec2/launchConfiguration:LaunchConfiguration", { associatePublicIpAddress: true }), "Fix: set associatePublicIpAddress to false");
        await assertHasResourceViolation(publicIp, args(EKS_COMPONENT, withValue(eksComponent(), "nodeAssociatePublicIpAddress", undefined)), "nodeAssociatePublicIpAddress is not set (@pulumi/eks defaults to true)");
        await assertHasResourceViolation(publicIp, args(EKS_COMPONENT, { ...eksComponent(), nodeGroupOptions: { nodeAssociatePublicIpAddress: true } }), "nodeGroupOptions.nodeAssociatePublicIpAddress is true");
        await assertHasResourceViolation(publicIp, args("eks:index:NodeGroup", {}), "@pulumi/eks defaults to true");
    });

    it("an unknown flag is skipped, the other interfaces still checked", async () => {
        const lt = withValue(launchTemplate(), "networkInterfaces", [{ associatePublicIpAddress: UNKNOWN }, { associatePublicIpAddress: "true" }]);
        const violations = await assertSkipsUnknown(publicIp, args(LAUNCH_TEMPLATE, lt));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /networkInterfaces\[1\]/);
    });

    it("does not apply to other types", async () => {
        await assertNotApplicable(publicIp, args(NODE_GROUP, nodeGroup()));
    });
});

describe("policy internal-load-balancers", () => {
    const SERVICE = "kubernetes:core/v1:Service";
    const service = (annotations: Record<string, string> | undefined, type = "LoadBalancer") => ({
        metadata: { name: "api", namespace: "shop", ...(annotations ? { annotations } : {}) },
        spec: { type, selector: { app: "api" }, ports: [{ port: 443 }] },
    });
    const args = (props: Props, config: Record<string, unknown> = {}) => createResourceValidationArgs(lbs, SERVICE, props, { name: "api-svc", config });

    it("passes internal load balancers (either annotation) and Services of other types", async () => {
        await assertNoResourceViolations(lbs, args(service({ "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal" })));
        await assertNoResourceViolations(lbs, args(service({ "service.beta.kubernetes.io/aws-load-balancer-internal": "true" })));
        await assertNoResourceViolations(lbs, args(service(undefined, "ClusterIP")));
    });

    it("reports a LoadBalancer Service without the annotation (the default depends on the controller) and an internet-facing one", async () => {
        const [v] = await assertViolationCount(lbs, args(service(undefined)), 1);
        assert.strictEqual(
            v.message,
            'kubernetes:core/v1:Service "api-svc": LoadBalancer Service shop/api has no service.beta.kubernetes.io/aws-load-balancer-scheme annotation, so it may get an internet-facing load balancer. ' +
                'Fix: annotate it service.beta.kubernetes.io/aws-load-balancer-scheme: internal, or add "shop/api" to allowedPublicServices in policies/config/<environment>.json (allowed now: (none)).',
        );
        await assertHasResourceViolation(lbs, args(service({ "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" })), 'sets service.beta.kubernetes.io/aws-load-balancer-scheme to "internet-facing"');
        await assertHasResourceViolation(lbs, args(service({ "service.beta.kubernetes.io/aws-load-balancer-internal": "false" })), "has no service.beta.kubernetes.io/aws-load-balancer-scheme annotation");
    });

    it("allows the Services the setting names (namespace/name), and rejects a malformed entry", async () => {
        await assertNoResourceViolations(lbs, args(service({ "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" }), { allowedPublicServices: ["shop/api"] }));
        await assertHasResourceViolation(lbs, args(service(undefined), { allowedPublicServices: ["other/api"] }), "allowed now: other/api");
        assert.throws(() => args(service(undefined), { allowedPublicServices: ["api"] }), /internal-load-balancers\.allowedPublicServices\[0\] = "api": allowed a string matching/);
    });

    it("unknown annotations are skipped", async () => {
        const violations = await assertSkipsUnknown(lbs, args({ ...service(undefined), metadata: { name: "api", annotations: UNKNOWN } }));
        assert.strictEqual(violations.length, 0);
    });
});

describe("policy subnets-no-public-ip", () => {
    const subnetsPolicy = subnetsNoPublicIp;
    const subnet = (name: string, props: Props) => createResourceValidationArgs(subnetsPolicy, "aws:ec2/subnet:Subnet", props, { name });

    it("passes subnets that map no public IP", async () => {
        await assertNoResourceViolations(subnetsPolicy, subnet("private-a", { vpcId: "vpc-1", mapPublicIpOnLaunch: false }));
        await assertNoResourceViolations(subnetsPolicy, subnet("private-b", { vpcId: "vpc-1" }));
        await assertNoResourceViolations(subnetsPolicy, createResourceValidationArgs(subnetsPolicy, "awsx:ec2:Vpc", { subnetSpecs: [{ type: "Private" }, { type: "Isolated" }] }, { name: "vpc" }));
    });

    it("reports a private subnet that maps public IPs (CKV_AWS_130), also as the string \"true\"", async () => {
        const [v] = await assertViolationCount(subnetsPolicy, subnet("app-a", { vpcId: "vpc-1", mapPublicIpOnLaunch: "true" }), 1);
        assert.strictEqual(v.message, 'aws:ec2/subnet:Subnet "app-a": mapPublicIpOnLaunch is true, so every instance started in it gets a public IP (CKV_AWS_130). Fix: set mapPublicIpOnLaunch to false.');
    });

    it("lets the public subnets of the ALB and NAT pass as the documented exception, listed by the runner", async () => {
        const vpc = await runWithExceptions(subnetsPolicy, createResourceValidationArgs(subnetsPolicy, "awsx:ec2:Vpc", { subnetSpecs: [{ type: "Public" }, { type: "Private" }] }, { name: "network-vpc" }));
        assert.deepStrictEqual([vpc.violations, vpc.excepted.map((e) => [e.exceptionId, e.subject])], [[], [["public-subnets-map-public-ip", "public subnets of network-vpc"]]]);
        // awsx creates public subnets when no specs are given.
        const defaults = await runWithExceptions(subnetsPolicy, createResourceValidationArgs(subnetsPolicy, "awsx:ec2:Vpc", {}, { name: "vpc" }));
        assert.strictEqual(defaults.excepted.length, 1);
        const elb = await runWithExceptions(subnetsPolicy, subnet("public-a", { mapPublicIpOnLaunch: true, tags: { "kubernetes.io/role/elb": "1" } }));
        assert.deepStrictEqual(elb.excepted.map((e) => e.subject), ["public subnet public-a"]);
        // Without the exception, a public subnet is a finding like any other.
        await assertHasResourceViolation(subnetsPolicy, createResourceValidationArgs(subnetsPolicy, "awsx:ec2:Vpc", {}, { name: "vpc", config: { exceptions: [] } }), "its public subnets map a public IP");
    });

    it("an unknown flag is skipped", async () => {
        await assertSkipsUnknown(subnetsPolicy, subnet("a", { mapPublicIpOnLaunch: UNKNOWN }));
    });
});

describe("policy vpc-flow-logs", () => {
    const flowLog = (vpcId: unknown, trafficType = "ALL") => stackResource("aws:ec2/flowLog:FlowLog", "flow", { vpcId, trafficType, logDestinationType: "cloud-watch-logs" });
    const vpcArgs = (resources: OfflineResource[]) => createStackValidationArgs(vpcFlowLogs, resources);

    it("passes VPCs (awsx components and plain VPCs) with a flow log of all traffic", async () => {
        await assertNoStackViolations(vpcFlowLogs, vpcArgs([...baseStack(), flowLog("vpc-1")]));
        await assertNoStackViolations(vpcFlowLogs, vpcArgs([stackResource("aws:ec2/vpc:Vpc", "plain", { cidrBlock: "10.0.0.0/16" }, { id: "vpc-9" }), flowLog("vpc-9")]));
    });

    it("reports a VPC without a flow log (CKV2_AWS_11) and one that records only part of its traffic", async () => {
        await assertHasStackViolation(vpcFlowLogs, vpcArgs(baseStack()), "network-vpc", 'awsx:ec2:Vpc "network-vpc": VPC vpc-1 has no flow log (CKV2_AWS_11). Fix: add an aws.ec2.FlowLog');
        await assertHasStackViolation(vpcFlowLogs, vpcArgs([...baseStack(), flowLog("vpc-2")]), "network-vpc", "has no flow log");
        await assertHasStackViolation(vpcFlowLogs, vpcArgs([...baseStack(), flowLog("vpc-1", "REJECT")]), "network-vpc", 'records "REJECT" traffic only. Fix: set trafficType to "ALL".');
    });

    it("a flow log whose VPC is unknown in preview is not taken for missing", async () => {
        const outcome = await runStackPolicy(vpcFlowLogs, vpcArgs([...baseStack(), flowLog(UNKNOWN)]));
        assert.ok(outcome.unknown);
        assert.deepStrictEqual(outcome.violations, []);
    });

    it("is not applicable without VPCs", async () => {
        assert.ok((await runStackPolicy(vpcFlowLogs, vpcArgs([stackResource(NODE_GROUP, "ng", nodeGroup())]))).notApplicable);
    });
});
