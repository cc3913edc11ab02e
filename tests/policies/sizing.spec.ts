import * as assert from "assert";
import { FREE_TIER_INSTANCE_TYPES as INFRA_FREE_TIER, PRODUCTION_INSTANCE_TYPES as INFRA_PRODUCTION } from "../../infra/settings";
import { FREE_TIER_INSTANCE_TYPES, instanceTypesAllowed as policy, nodeGroupDefaultInstanceType as defaultType, PRODUCTION_INSTANCE_TYPES } from "../../policies/sizing";
import { PackConfigError } from "../../policies/pack-config";
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
    policyConfig,
    Props,
    runStackPolicy,
    stackResource,
    UNKNOWN,
    withValue,
} from "./util";

const staging = { environment: "staging" };
const production = { environment: "production" };
const args = (type: string, props: Props, config: Record<string, unknown> = staging, name = "capacity") => createResourceValidationArgs(policy, type, props, { config, name });

describe("policy instance-types-allowed", () => {
    it("defaults to the same lists as the infra settings (free tier in staging, t3.small/t3.medium in production)", () => {
        assert.deepStrictEqual(FREE_TIER_INSTANCE_TYPES, INFRA_FREE_TIER);
        assert.deepStrictEqual(PRODUCTION_INSTANCE_TYPES, INFRA_PRODUCTION);
        assert.deepStrictEqual(policyConfig(policy, staging).freeTierInstanceTypes, INFRA_FREE_TIER);
        assert.deepStrictEqual(policyConfig(policy, staging).productionInstanceTypes, INFRA_PRODUCTION);
    });

    it("requires the environment setting (a missing --policy-pack-config must not pick a list silently)", () => {
        assert.throws(() => policyConfig(policy, {}), (e: Error) => e instanceof PackConfigError && /instance-types-allowed\.environment = \(not set\): allowed one of "staging", "production" \(required\)/.test(e.message));
        assert.throws(() => policyConfig(policy, { environment: "dev" }), /instance-types-allowed\.environment = "dev": allowed one of "staging", "production"/);
    });

    describe("compliant capacity passes", () => {
        it("staging: the project's launch template (no type of its own) and t3.small node groups", async () => {
            await assertNoResourceViolations(policy, args(LAUNCH_TEMPLATE, launchTemplate()));
            await assertNoResourceViolations(policy, args(NODE_GROUP, nodeGroup(["t3.small"])));
            await assertNoResourceViolations(policy, args(LAUNCH_TEMPLATE, { ...launchTemplate(), instanceType: "t4g.small" }));
            await assertNoResourceViolations(policy, args("aws:ec2/instance:Instance", { ami: "ami-1", instanceType: "c7i-flex.large" }));
            await assertNoResourceViolations(policy, args(EKS_COMPONENT, eksComponent()));
        });

        it("production: t3.medium node groups", async () => {
            await assertNoResourceViolations(policy, args(NODE_GROUP, nodeGroup(["t3.medium"]), production));
            await assertNoResourceViolations(policy, args(NODE_GROUP, nodeGroup(["t3.small", "t3.medium"]), production));
        });

        it("an instance launched from a template is checked on the template", async () => {
            await assertNoResourceViolations(policy, args("aws:ec2/instance:Instance", { launchTemplate: { id: "lt-1" } }));
        });

        it("a list changed in the config file is the list that applies", async () => {
            await assertNoResourceViolations(policy, args(NODE_GROUP, nodeGroup(["m5.large"]), { ...staging, freeTierInstanceTypes: ["m5.large"] }));
            await assertHasResourceViolation(policy, args(NODE_GROUP, nodeGroup(["t3.small"]), { ...staging, freeTierInstanceTypes: ["m5.large"] }), "freeTierInstanceTypes: m5.large");
        });
    });

    describe("reports each kind of capacity outside the environment's list", () => {
        it("a launch template with m5.large in staging, naming the list and where to change it", async () => {
            const [v] = await assertViolationCount(policy, args(LAUNCH_TEMPLATE, { ...launchTemplate(), instanceType: "m5.large" }, staging, "big-lt"), 1);
            assert.strictEqual(
                v.message,
                'aws:ec2/launchTemplate:LaunchTemplate "big-lt": instanceType is "m5.large", not allowed in staging (freeTierInstanceTypes: t3.micro, t3.small, t4g.micro, t4g.small, t8i.micro, t8i.small, c7i-flex.large, m7i-flex.large). ' +
                    "Fix: use one of these types, or add the type to freeTierInstanceTypes in policies/config/staging.json.",
            );
        });

        it("the same type is judged per environment: t3.medium fails staging, t3.micro fails production", async () => {
            await assertHasResourceViolation(policy, args(NODE_GROUP, nodeGroup(["t3.medium"])), 'instanceTypes[0] is "t3.medium", not allowed in staging');
            await assertHasResourceViolation(policy, args(NODE_GROUP, nodeGroup(["t3.micro"]), production), 'instanceTypes[0] is "t3.micro", not allowed in production (productionInstanceTypes: t3.small, t3.medium)');
        });

        it("each bad entry of a node group's list", async () => {
            const violations = await assertViolationCount(policy, args(NODE_GROUP, nodeGroup(["t3.small", "m5.large", "r6i.xlarge"])), 2);
            assert.match(violations[0].message, /instanceTypes\[1\] is "m5\.large"/);
            assert.match(violations[1].message, /instanceTypes\[2\] is "r6i\.xlarge"/);
        });

        it("a managed node group with neither instanceTypes nor a launch template gets EKS's t3.medium", async () => {
            const bare = withValue(withValue(nodeGroup(), "instanceTypes", undefined), "launchTemplate", undefined);
            await assertHasResourceViolation(policy, args(NODE_GROUP, bare), /instanceTypes is "t3\.medium" \(EKS's default/);
            await assertNoResourceViolations(policy, args(NODE_GROUP, bare, production));
            await assertHasResourceViolation(policy, args("eks:index:ManagedNodeGroup", { cluster: "c" }), /EKS's default/);
        });

        it("instances, spot requests and Auto Scaling overrides", async () => {
            await assertHasResourceViolation(policy, args("aws:ec2/instance:Instance", { ami: "ami-1", instanceType: "m5.large" }), 'instanceType is "m5.large"');
            await assertHasResourceViolation(policy, args("aws:ec2/spotInstanceRequest:SpotInstanceRequest", { instanceType: "c5.large" }), 'instanceType is "c5.large"');
            const asg = { mixedInstancesPolicy: { launchTemplate: { launchTemplateSpecification: { launchTemplateId: "lt-1" }, overrides: [{ instanceType: "t3.small" }, { instanceType: "m5.large" }] } } };
            await assertViolationCount(policy, args("aws:autoscaling/group:Group", asg), 1);
            await assertHasResourceViolation(policy, args("aws:autoscaling/group:Group", asg), 'mixedInstancesPolicy.launchTemplate.overrides[1].instanceType is "m5.large"');
        });

        it("attribute-based Auto Scaling overrides and EKS Auto Mode, which pick types outside any list", async () => {
            const asg = { mixedInstancesPolicy: { launchTemplate: { overrides: [{ instanceRequirements: { vcpuCount: { min: 2 }, memoryMib: { min: 2048 } } }] } } };
            await assertHasResourceViolation(policy, args("aws:autoscaling/group:Group", asg), /overrides\[0\]\.instanceRequirements is \(attribute-based selection\), not allowed in staging .*Fix: name the types with instanceType overrides/);
            await assertHasResourceViolation(policy, args(EKS_COMPONENT, { ...eksComponent(), autoMode: { enabled: true } }), /autoMode\.enabled is \(EKS Auto Mode\), not allowed .*Fix: use managed node groups with explicit instanceTypes/);
            await assertHasResourceViolation(policy, args("aws:eks/cluster:Cluster", { computeConfig: { enabled: true, nodePools: ["general-purpose"] } }, production), /computeConfig\.nodePools is \(EKS Auto Mode\), not allowed in production/);
        });

        it("@pulumi/eks inputs: the default node group (t3.medium unless set) and node groups", async () => {
            const withDefaultGroup = withValue(eksComponent(), "skipDefaultNodeGroup", undefined);
            await assertHasResourceViolation(policy, args(EKS_COMPONENT, withDefaultGroup), /instanceType is "t3\.medium" \(the default of the default node group/);
            await assertNoResourceViolations(policy, args(EKS_COMPONENT, { ...withDefaultGroup, instanceType: "t3.small" }));
            await assertHasResourceViolation(policy, args(EKS_COMPONENT, { ...withDefaultGroup, nodeGroupOptions: { instanceType: "m5.large" } }), 'nodeGroupOptions.instanceType is "m5.large"');
            await assertNoResourceViolations(policy, args(EKS_COMPONENT, { ...withDefaultGroup, fargate: true }));
            await assertHasResourceViolation(policy, args("eks:index:NodeGroupV2", { cluster: "c" }), 'instanceType is "t3.medium" (the default)');
            await assertHasResourceViolation(policy, args("eks:index:NodeGroup", { cluster: "c", instanceType: "m5.large" }), 'instanceType is "m5.large"');
        });
    });

    describe("values unknown during preview", () => {
        it("an unknown launch template type is skipped and left to the engine to report", async () => {
            const violations = await assertSkipsUnknown(policy, args(LAUNCH_TEMPLATE, { ...launchTemplate(), instanceType: UNKNOWN }));
            assert.strictEqual(violations.length, 0);
        });

        it("one unknown entry does not hide a known bad one", async () => {
            const violations = await assertSkipsUnknown(policy, args(NODE_GROUP, nodeGroup([UNKNOWN, "m5.large"])));
            assert.strictEqual(violations.length, 1);
            assert.match(violations[0].message, /instanceTypes\[1\] is "m5\.large"/);
            await assertSkipsUnknown(policy, args(NODE_GROUP, { ...nodeGroup(), instanceTypes: UNKNOWN }));
            await assertSkipsUnknown(policy, args("aws:autoscaling/group:Group", { mixedInstancesPolicy: UNKNOWN }));
        });
    });

    it("does not apply to other types", async () => {
        await assertNotApplicable(policy, args("aws:s3/bucketV2:BucketV2", { bucket: "b" }));
    });
});

describe("policy node-group-default-instance-type (stack)", () => {
    const stagingStack = (resources: ReturnType<typeof stackResource>[], config: Record<string, unknown> = staging) => createStackValidationArgs(defaultType, resources, config);
    const template = (extra: Props = {}) => stackResource(LAUNCH_TEMPLATE, "nodes-lt", { ...launchTemplate(), name: "gitops-staging-nodes", ...extra });
    /** A node group with the template and no instanceTypes: EKS then uses the template's type, or its own default. */
    const group = (launchTemplateRef: Props, name = "nodes-a") => stackResource(NODE_GROUP, name, { ...withValue(nodeGroup(), "instanceTypes", undefined), launchTemplate: launchTemplateRef });

    it("reports a node group whose launch template sets no type in staging (EKS launches t3.medium), naming both and the fix", async () => {
        const args = stagingStack([template(), group({ id: "nodes-lt-id", version: "1" })]);
        const outcome = await assertHasStackViolation(
            defaultType,
            args,
            "nodes-a",
            'aws:eks/nodeGroup:NodeGroup "nodes-a": instanceTypes is "t3.medium" (EKS\'s default: neither instanceTypes nor its launch template aws:ec2/launchTemplate:LaunchTemplate "nodes-lt" sets a type), not allowed in staging (freeTierInstanceTypes: t3.micro, t3.small, t4g.micro, t4g.small, t8i.micro, t8i.small, c7i-flex.large, m7i-flex.large). ' +
                "Fix: set instanceTypes on the node group (or instanceType on the template) to one of these types, or add the type to freeTierInstanceTypes in policies/config/staging.json.",
        );
        assert.strictEqual(outcome.violations.length, 1);
    });

    it("finds the template by name, and through the engine's property dependencies (ids unknown during a first preview)", async () => {
        await assertHasStackViolation(defaultType, stagingStack([template(), group({ name: "gitops-staging-nodes", version: "$Latest" })]), "nodes-a", /instanceTypes is "t3\.medium"/);
        const args = stagingStack([template(), group({ id: UNKNOWN, version: UNKNOWN })]);
        args.resources[1].propertyDependencies = { launchTemplate: [args.resources[0]] };
        await assertHasStackViolation(defaultType, args, "nodes-a", /launch template aws:ec2\/launchTemplate:LaunchTemplate "nodes-lt" sets a type/);
    });

    it("as the engine shows it: instanceTypes unknown in the first preview (EKS chooses), ['t3.medium'] in the state after creation", async () => {
        const ref = { id: "nodes-lt-id", version: "1" };
        const preview = stackResource(NODE_GROUP, "nodes-a", { ...nodeGroup(), instanceTypes: UNKNOWN, launchTemplate: ref });
        await assertHasStackViolation(defaultType, stagingStack([template(), preview]), "nodes-a", /instanceTypes is "t3\.medium" \(EKS's default/);
        const created = stackResource(NODE_GROUP, "nodes-a", { ...nodeGroup(["t3.medium"]), launchTemplate: ref });
        await assertHasStackViolation(defaultType, stagingStack([template(), created]), "nodes-a", /instanceTypes is "t3\.medium" \(EKS's default/);
    });

    it("an instanceTypes that comes from another resource and is unknown in the preview is left to the engine, not guessed", async () => {
        const parameter = stackResource("aws:ssm/parameter:Parameter", "types", { value: "t3.small" });
        const args = stagingStack([template(), parameter, stackResource(NODE_GROUP, "nodes-a", { ...nodeGroup(), instanceTypes: UNKNOWN, launchTemplate: { id: "nodes-lt-id" } })]);
        args.resources[2].propertyDependencies = { instanceTypes: [args.resources[1]] };
        const outcome = await runStackPolicy(defaultType, args);
        assert.deepStrictEqual(outcome.violations, []);
        assert.ok(outcome.unknown, "reported to the engine as a check it could not run");
    });

    it("passes t3.medium where the list allows it (production), a template with its own type, a node group with instanceTypes", async () => {
        const bare = group({ id: "nodes-lt-id" });
        await assertNoStackViolations(defaultType, stagingStack([template(), bare], production));
        // The template's own type is instance-types-allowed's to judge.
        await assertNoStackViolations(defaultType, stagingStack([template({ instanceType: "m5.large" }), bare]));
        // A list the program sets is instance-types-allowed's (on the inputs), not reported twice.
        for (const types of [["t3.small"], ["m5.large"]]) {
            await assertNoStackViolations(defaultType, stagingStack([template(), stackResource(NODE_GROUP, "nodes-b", { ...nodeGroup(types), launchTemplate: { id: "nodes-lt-id" } })]));
        }
        await assertNoStackViolations(defaultType, stagingStack([template(), bare], { ...staging, freeTierInstanceTypes: ["t3.small", "t3.medium"] }));
    });

    it("stays silent on what it cannot see: a template from outside the stack, an id unknown during preview", async () => {
        await assertNoStackViolations(defaultType, stagingStack([template(), group({ id: "lt-from-another-stack" })]));
        const outcome = await runStackPolicy(defaultType, stagingStack([template(), group({ id: UNKNOWN })]));
        assert.deepStrictEqual(outcome.violations, []);
        assert.ok(outcome.unknown, "the unknown id is reported to the engine as a check it could not run");
    });

    it("does not apply to a stack without managed node groups, and takes the same settings as instance-types-allowed", async () => {
        assert.ok((await runStackPolicy(defaultType, stagingStack([template()]))).notApplicable);
        assert.deepStrictEqual(defaultType.configSchema, policy.configSchema);
        assert.throws(() => policyConfig(defaultType, {}), /node-group-default-instance-type\.environment = \(not set\)/);
    });
});
