/**
 * Sizing: every EC2 capacity the stacks can launch uses an instance type from the environment's list. Staging
 * runs on free-tier-eligible types (accounts created after 2025-07-15; "eligible" still spends credits),
 * production on the types the platform was capacity-planned for. Both lists are settings of the policy.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Checks, describeResource, ENVIRONMENT_SETTING, Environment, asList, isNonEmptyString, listText, Props, stringListSetting, validateTypes } from "./common";

export const FREE_TIER_INSTANCE_TYPES = ["t3.micro", "t3.small", "t4g.micro", "t4g.small", "c7i-flex.large", "m7i-flex.large"];
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

/** An EKS managed node group: its instanceTypes, or its launch template's type, or EKS's default t3.medium. */
function managedNodeGroupTypes(p: Props, check: CapacityCheck, checks: Checks): void {
    checks.run(() => {
        if (p.instanceTypes === undefined || asList(p.instanceTypes).length === 0) {
            // The launch template's instanceType is checked on the template itself.
            if (p.launchTemplate === undefined) check("instanceTypes", DEFAULT_NODE_INSTANCE_TYPE, " (EKS's default when neither instanceTypes nor a launch template sets one)");
            return;
        }
        checks.each(() => p.instanceTypes, (type, i) => check(`instanceTypes[${i}]`, type));
    });
}

export const instanceTypesAllowed: ResourceValidationPolicy = {
    name: "instance-types-allowed",
    description:
        "EC2 capacity (launch templates, instances, managed and @pulumi/eks node groups, Auto Scaling overrides) uses an allowed instance type: " +
        "the free-tier list in staging, the production list in production. Keeps the bill predictable and nodes within what the platform was sized for.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            environment: ENVIRONMENT_SETTING,
            freeTierInstanceTypes: stringListSetting("Instance types allowed in staging: the free-tier-eligible types.", FREE_TIER_INSTANCE_TYPES),
            productionInstanceTypes: stringListSetting("Instance types allowed in production.", PRODUCTION_INSTANCE_TYPES),
        },
        required: ["environment"],
    },
    validateResource: validateTypes(Object.keys(CAPACITY), (props, args, report, checks) => {
        const config = args.getConfig<InstanceTypesConfig>();
        const listName = config.environment === "production" ? "productionInstanceTypes" : "freeTierInstanceTypes";
        const allowed = config[listName];
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

export const SIZING_POLICIES = [instanceTypesAllowed];
