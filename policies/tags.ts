/**
 * Tags (advisory): every taggable AWS resource carries Environment, Project and ManagedBy, from its own tags
 * or from its provider's defaultTags (how this project sets them). Cost reports and cleanup rely on them.
 *
 * "Taggable" is decided from what the engine shows a policy: a custom `aws:` resource is taggable when its
 * type is in TAGGABLE_AWS_TYPES (types that accept `tags` and honour provider default tags), or when its
 * inputs carry a `tags` map. The list covers what this platform creates and the usual neighbours; a type
 * missing from it is still checked as soon as it is given tags.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { checking, describeResource, listText, parseJson, Props, stringListSetting } from "./common";

export const REQUIRED_TAGS = ["Environment", "Project", "ManagedBy"];

export const TAGGABLE_AWS_TYPES = [
    "aws:acm/certificate:Certificate",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:ebs/volume:Volume",
    "aws:ec2/eip:Eip",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/instance:Instance",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ecr/repository:Repository",
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/addon:Addon",
    "aws:eks/cluster:Cluster",
    "aws:eks/fargateProfile:FargateProfile",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/user:User",
    "aws:kms/key:Key",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:route53/zone:Zone",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:secretsmanager/secret:Secret",
    "aws:sns/topic:Topic",
    "aws:sqs/queue:Queue",
    "aws:wafv2/ipSet:IpSet",
    "aws:wafv2/webAcl:WebAcl",
];

export interface RequiredTagsConfig {
    requiredTags: string[];
}

/** The tags a provider adds to every taggable resource: defaultTags.tags (a JSON string in provider inputs). */
function providerDefaultTags(provider: { type: string; props: Props } | undefined): Record<string, unknown> {
    if (provider === undefined || provider.type !== "pulumi:providers:aws") return {};
    return parseJson(provider.props.defaultTags)?.tags ?? {};
}

const isTaggable = (type: string, props: Props) =>
    type.startsWith("aws:") && (TAGGABLE_AWS_TYPES.includes(type) || (props.tags !== null && typeof props.tags === "object" && !Array.isArray(props.tags)));

export const requiredTags: ResourceValidationPolicy = {
    name: "required-tags",
    description:
        "Taggable AWS resources carry Environment, Project and ManagedBy, in their own tags or their provider's defaultTags: cost allocation, ownership and cleanup depend on them.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            requiredTags: stringListSetting("Tag keys every taggable AWS resource must carry.", REQUIRED_TAGS),
        },
    },
    validateResource: (args, report) =>
        checking((checks) => {
            if (!isTaggable(args.type, args.props)) args.notApplicable("applies to taggable AWS resources");
            const defaults = providerDefaultTags(args.provider);
            const own: Props = args.props.tags ?? {};
            const missing: string[] = [];
            for (const key of args.getConfig<RequiredTagsConfig>().requiredTags) {
                checks.run(() => {
                    const value = own[key] ?? defaults[key];
                    if (typeof value !== "string" || value.trim() === "") missing.push(key);
                });
            }
            if (missing.length > 0) {
                report(
                    `${describeResource(args.type, args.name)}: missing tags ${listText(missing)} (neither its tags nor its provider's defaultTags set them). ` +
                        "Fix: set them in the aws provider's defaultTags (as every layer does with standardTags), or in the resource's tags.",
                );
            }
        }),
};

export const TAG_POLICIES = [requiredTags];
