/**
 * Sizing: every EC2 capacity the stacks can launch uses an instance type from the environment's list. Staging
 * runs on free-tier-eligible types (accounts created after 2025-07-15; "eligible" still spends credits),
 * production on the types the platform was capacity-planned for. Both lists are settings of the policies.
 * instance-types-allowed checks each resource; node-group-default-instance-type (a stack policy) the one case a
 * single resource cannot show: a node group whose launch template sets no type, so EKS picks its default.
 */
import { PolicyConfigSchema, PolicyResource, ResourceValidationPolicy, StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { Checks, checking, describeResource, ENVIRONMENT_SETTING, Environment, asList, isNonEmptyString, listText, Props, stringListSetting, validateTypes } from "./common";

export const FREE_TIER_INSTANCE_TYPES = ["t3.micro", "t3.small", "t4g.micro", "t4g.small", "t8i.micro", "t8i.small", "c7i-flex.large", "m7i-flex.large"];
export const PRODUCTION_INSTANCE_TYPES = ["t3.small", "t3.medium"];

/** What @pulumi/eks node groups and EKS managed node groups launch when no type is given. */
const DEFAULT_NODE_INSTANCE_TYPE = "t3.medium";

export interface InstanceTypesConfig {
    environment: Environment;
    freeTierInstanceTypes: string[];
    productionInstanceTypes: string[];
}

/** Reports one capacity: where it is set (a property path), the type it launches, and how to fix it if not the usual. */
type CapacityCheck = (where: string, instanceType: unknown, note?: string, fix?: string) => void;

const AUTO_MODE_FIX = "use managed node groups with explicit instanceTypes (Auto Mode picks instance types itself, outside any list)";

/** Where each resource type (or component) sets the instance types it launches. */
const CAPACITY: Record<string, (props: Props, check: CapacityCheck, checks: Checks) => void> = {
    "aws:ec2/launchTemplate:LaunchTemplate": (p, check, checks) => {
        // Without instanceType the template leaves the choice to the node group or Auto Scaling group using it.
        checks.run(() => {
            if (p.instanceType !== undefined) check("instanceType", p.instanceType);
        });
    },
    "aws:ec2/instance:Instance": (p, check) => instanceType(p, check),
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": (p, check) => instanceType(p, check),
    "aws:eks/nodeGroup:NodeGroup": (p, check, checks) => managedNodeGroupTypes(p, check, checks),
    "eks:index:ManagedNodeGroup": (p, check, checks) => managedNodeGroupTypes(p, check, checks),
    "aws:autoscaling/group:Group": (p, check, checks) => {
        checks.each(
            () => p.mixedInstancesPolicy?.launchTemplate?.overrides,
            (override: Props, i) => {
                const where = `mixedInstancesPolicy.launchTemplate.overrides[${i}]`;
                if (override.instanceType !== undefined) check(`${where}.instanceType`, override.instanceType);
                else if (override.instanceRequirements !== undefined) {
                    check(`${where}.instanceRequirements`, "(attribute-based selection)", "", "name the types with instanceType overrides (with instanceRequirements EC2 picks the types, outside any list)");
                }
            },
        );
    },
    "eks:index:NodeGroup": (p, check) => check("instanceType", p.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE, defaultNote(p.instanceType)),
    "eks:index:NodeGroupV2": (p, check) => check("instanceType", p.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE, defaultNote(p.instanceType)),
    "eks:index:Cluster": (p, check, checks) => {
        checks.run(() => {
            if (p.autoMode?.enabled === true) {
                check("autoMode.enabled", "(EKS Auto Mode)", "", AUTO_MODE_FIX);
            }
        });
        checks.run(() => {
            // @pulumi/eks creates a default node group unless told not to (or Fargate / Auto Mode replace it).
            if (p.skipDefaultNodeGroup === true || (p.fargate !== undefined && p.fargate !== false) || p.autoMode?.enabled === true) return;
            const type = p.nodeGroupOptions?.instanceType ?? p.instanceType;
            check(p.nodeGroupOptions?.instanceType !== undefined ? "nodeGroupOptions.instanceType" : "instanceType", type ?? DEFAULT_NODE_INSTANCE_TYPE, defaultNote(type, " of the default node group (set skipDefaultNodeGroup to manage node groups yourself)"));
        });
    },
    "aws:eks/cluster:Cluster": (p, check, checks) => {
        checks.run(() => {
            if (p.computeConfig?.enabled === true && asList(p.computeConfig?.nodePools).length > 0) {
                check("computeConfig.nodePools", "(EKS Auto Mode)", "", AUTO_MODE_FIX);
            }
        });
    },
};

/** An instance's type; one launched from a template without its own type is checked on the template. */
function instanceType(p: Props, check: CapacityCheck): void {
    if (p.instanceType === undefined && p.launchTemplate !== undefined) return;
    check("instanceType", p.instanceType);
}

function defaultNote(given: unknown, what = ""): string {
    return given === undefined ? ` (the default${what})` : "";
}

/** A node group that names no instance type itself. */
function hasNoInstanceTypes(p: Props): boolean {
    return p.instanceTypes === undefined || asList(p.instanceTypes).length === 0;
}

/** An EKS managed node group: its instanceTypes, or its launch template's type, or EKS's default t3.medium. */
function managedNodeGroupTypes(p: Props, check: CapacityCheck, checks: Checks): void {
    checks.run(() => {
        if (hasNoInstanceTypes(p)) {
            // A template's instanceType is checked on the template; a template without one is for the stack policy
            // node-group-default-instance-type (the template is another resource).
            if (p.launchTemplate === undefined) check("instanceTypes", DEFAULT_NODE_INSTANCE_TYPE, " (EKS's default when neither instanceTypes nor a launch template sets one)");
            return;
        }
        checks.each(() => p.instanceTypes, (type, i) => check(`instanceTypes[${i}]`, type));
    });
}

/** The settings of both instance-type policies (each policy has its own entry in policies/config/<env>.json). */
const INSTANCE_TYPES_SCHEMA: PolicyConfigSchema = {
    properties: {
        environment: ENVIRONMENT_SETTING,
        freeTierInstanceTypes: stringListSetting("Instance types allowed in staging: the free-tier-eligible types.", FREE_TIER_INSTANCE_TYPES),
        productionInstanceTypes: stringListSetting("Instance types allowed in production.", PRODUCTION_INSTANCE_TYPES),
    },
    required: ["environment"],
};

/** The list that applies and its setting's name. */
function allowedList(config: InstanceTypesConfig): { listName: string; allowed: string[] } {
    return config.environment === "production"
        ? { listName: "productionInstanceTypes", allowed: config.productionInstanceTypes }
        : { listName: "freeTierInstanceTypes", allowed: config.freeTierInstanceTypes };
}

export const instanceTypesAllowed: ResourceValidationPolicy = {
    name: "instance-types-allowed",
    description:
        "EC2 capacity (launch templates, instances, managed and @pulumi/eks node groups, Auto Scaling overrides) uses an allowed instance type: " +
        "the free-tier list in staging, the production list in production. Keeps the bill predictable and nodes within what the platform was sized for.",
    enforcementLevel: "mandatory",
    configSchema: INSTANCE_TYPES_SCHEMA,
    validateResource: validateTypes(Object.keys(CAPACITY), (props, args, report, checks) => {
        const config = args.getConfig<InstanceTypesConfig>();
        const { listName, allowed } = allowedList(config);
        const check: CapacityCheck = (where, instanceType, note = "", fix) => {
            if (fix === undefined && isNonEmptyString(instanceType) && allowed.includes(instanceType)) return;
            report(
                `${describeResource(args.type, args.name)}: ${where} is ${fix === undefined ? JSON.stringify(instanceType) : instanceType}${note}, not allowed in ${config.environment} ` +
                    `(${listName}: ${listText(allowed)}). Fix: ${fix ?? `use one of these types, or add the type to ${listName} in policies/config/${config.environment}.json`}.`,
            );
        };
        CAPACITY[args.type](props, (where, type, note, fix) => checks.run(() => check(where, type, note, fix)), checks);
    }),
};

const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

/**
 * The launch template a node group uses, among the stack's resources: the engine's record of what its
 * launchTemplate input came from, else the template whose id or name it gives. Undefined when the template is not
 * in this stack (created elsewhere: nothing here can tell its type).
 */
function launchTemplateOf(group: PolicyResource, templates: PolicyResource[]): PolicyResource | undefined {
    const sources = (group.propertyDependencies?.launchTemplate ?? []).filter((r) => r.type === LAUNCH_TEMPLATE);
    if (sources.length === 1) return sources[0];
    const ref: Props = group.props.launchTemplate;
    const id = ref.id;
    const name = ref.name;
    return templates.find((t) => (isNonEmptyString(id) && t.props.id === id) || (isNonEmptyString(name) && t.props.name === name));
}

/**
 * Whether a node group (as a stack policy sees it: its state) runs on EKS's default type. Before creation EKS has not
 * chosen yet: instanceTypes is unknown in the preview, unless the program set it from another resource. After
 * creation the state holds what EKS chose, ["t3.medium"]. Other lists were set by the program, and
 * instance-types-allowed judges them on the inputs.
 */
function runsDefaultType(group: PolicyResource): boolean {
    let types: unknown;
    try {
        types = group.props.instanceTypes;
    } catch (error) {
        if (!(error instanceof UnknownValueError) || (group.propertyDependencies?.instanceTypes ?? []).length > 0) throw error;
        return true;
    }
    const list = asList(types as string[] | undefined);
    return list.length === 0 || (list.length === 1 && list[0] === DEFAULT_NODE_INSTANCE_TYPE);
}

export const nodeGroupDefaultInstanceType: StackValidationPolicy = {
    name: "node-group-default-instance-type",
    description:
        "A managed node group with a launch template, but no instanceTypes and no instanceType in the template, launches EKS's default t3.medium: " +
        "that type must be on the environment's list like any other (the same settings as instance-types-allowed). A stack policy, because the " +
        "type would be on the launch template, another resource.",
    enforcementLevel: "mandatory",
    configSchema: INSTANCE_TYPES_SCHEMA,
    validateStack: (args, report) => {
        const groups = args.resources.filter((r) => r.type === NODE_GROUP);
        if (groups.length === 0) args.notApplicable("no EKS managed node groups");
        const config = args.getConfig<InstanceTypesConfig>();
        const { listName, allowed } = allowedList(config);
        const templates = args.resources.filter((r) => r.type === LAUNCH_TEMPLATE);
        checking((checks) => {
            for (const group of groups) {
                checks.run(() => {
                    // Without a template, instance-types-allowed reports the default on the node group itself.
                    if (group.props.launchTemplate === undefined || allowed.includes(DEFAULT_NODE_INSTANCE_TYPE)) return;
                    const template = launchTemplateOf(group, templates);
                    if (template === undefined || template.props.instanceType !== undefined || !runsDefaultType(group)) return;
                    report(
                        `${describeResource(group.type, group.name)}: instanceTypes is "${DEFAULT_NODE_INSTANCE_TYPE}" (EKS's default: neither instanceTypes nor its launch template ` +
                            `${describeResource(template.type, template.name)} sets a type), not allowed in ${config.environment} (${listName}: ${listText(allowed)}). ` +
                            `Fix: set instanceTypes on the node group (or instanceType on the template) to one of these types, or add the type to ${listName} in policies/config/${config.environment}.json.`,
                        group.urn,
                    );
                });
            }
        });
    },
};

export const SIZING_POLICIES = [instanceTypesAllowed, nodeGroupDefaultInstanceType];
