/**
 * The requests CI makes in AWS, derived per resource of an environment's graph (infra -> platform -> apps):
 * - deploy (`pulumi up` and destroy): the create, read, update and delete handler permissions of each resource's
 *   CloudFormation type (cfn-handler-permissions.json, from the CloudFormation resource schemas), plus what the
 *   Terraform-based provider calls beyond them (PROVIDER_CALLS), minus permissions of features the layers do not
 *   use (UNUSED, each with its reason); CI's own identity and the boundary only read (an administrator changes them);
 * - drift (`pulumi preview --refresh`): the read handler permissions of every resource;
 * - preview: the provider functions the programs call (PROVIDER_FUNCTIONS).
 * Each permission becomes one request per resource type IAM authorizes for it (iam-data), on this environment's
 * resource (its real name where a policy names resources, its tags), with the context AWS would send.
 */
import * as fs from "fs";
import * as path from "path";
import { PREVIEW_READABLE_TAG } from "../../../infra/github-ci";
import { EKS_CLUSTER_NAME_TAG } from "../../../infra/deploy-policy";
import { isAdministratorOwned } from "../../../infra/identity";
import { EnvironmentRun, MOCK_ACCOUNT_ID, RecordedResource } from "../../../lib/offline";
import { actionShape, arnOf, Vars } from "./arns";
import { Context, PolicyDocument, Request } from "./simulator";

type Handler = "create" | "read" | "update" | "delete";
const CFN: { types: Record<string, Partial<Record<Handler | "list", string[]>>> } = JSON.parse(fs.readFileSync(path.join(__dirname, "cfn-handler-permissions.json"), "utf8"));

export interface NeededRequest extends Request {
    /** The resource and handler it serves, for failure messages. */
    why: string;
}

/** Permissions of CloudFormation handlers for features the layers never use. */
export const UNUSED: Record<string, { actions: string[]; why: string }[]> = {
    "AWS::EC2::VPC": [{ actions: ["ec2:CreateVpcEncryptionControl", "ec2:ModifyVpcTenancy"], why: "no VPC encryption controls, no dedicated tenancy" }],
    "AWS::EC2::Subnet": [{ actions: ["ec2:AssociateSubnetCidrBlock", "ec2:DisassociateSubnetCidrBlock"], why: "no IPv6 CIDR blocks" }],
    "AWS::EC2::VPCGatewayAttachment": [{ actions: ["ec2:AttachVpnGateway", "ec2:DetachVpnGateway"], why: "no VPN gateway" }],
    "AWS::EC2::NatGateway": [
        { actions: ["ec2:AssociateNatGatewayAddress", "ec2:DisassociateNatGatewayAddress", "ec2:AssignPrivateNatGatewayAddress", "ec2:UnassignPrivateNatGatewayAddress"], why: "no secondary NAT addresses" },
    ],
    "AWS::EC2::EIP": [{ actions: ["ec2:AcceptAddressTransfer"], why: "no Elastic IP transfers" }],
    "AWS::EC2::FlowLog": [
        { actions: ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "iam:CreateServiceLinkedRole", "autoscaling:DescribeTags"], why: "S3 and Firehose destinations: flow logs go to a log group through their own role" },
    ],
    "AWS::Logs::LogGroup": [
        {
            actions: ["firehose:TagDeliveryStream", "logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DeleteResourcePolicy", "logs:PutBearerTokenAuthentication"],
            why: "no log delivery to S3 or Firehose, no account-wide Logs resource policy",
        },
        { actions: ["logs:PutIndexPolicy", "logs:DeleteIndexPolicy", "logs:DescribeIndexPolicies"], why: "no field index policies" },
    ],
    "AWS::WAFv2::LoggingConfiguration": [
        { actions: ["firehose:ListDeliveryStreams", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "iam:CreateServiceLinkedRole"], why: "the request log goes to a CloudWatch log group, not Firehose or S3" },
        { actions: ["logs:PutResourcePolicy"], why: "the log delivery is allowed by the administrator's account policy (infra/account-policies.ts): CI never writes account-wide resource policies" },
        { actions: ["iam:DescribeOrganization"], why: "not an IAM action (the schema's; Firewall Manager's organization check), and no organization-wide logging" },
    ],
    "AWS::ECR::Repository": [
        { actions: ["ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy"], why: "no repository policies" },
        { actions: ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"], why: "the AWS managed key aws/ecr: its key policy lets the account's principals use it through ECR" },
    ],
    "AWS::EKS::Cluster": [
        {
            actions: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile", "iam:DeleteInstanceProfile", "iam:RemoveRoleFromInstanceProfile"],
            why: "no EKS Auto Mode",
        },
    ],
    "AWS::IAM::Role": [
        { actions: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], why: "attachments are resources of their own (RolePolicyAttachment)" },
        { actions: ["iam:DeleteRolePermissionsBoundary"], why: "the boundary stays on every role (denied on purpose)" },
    ],
    "AWS::IAM::ManagedPolicy": [{ actions: ["iam:AttachGroupPolicy", "iam:AttachUserPolicy", "iam:DetachGroupPolicy", "iam:DetachUserPolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"], why: "the boundary is attached to nothing" }],
    "AWS::SNS::Topic": [{ actions: ["iam:GetRole", "iam:PassRole"], why: "no delivery status logging roles" }],
    "AWS::SNS::Subscription": [{ actions: ["iam:GetRole", "iam:PassRole"], why: "no Firehose subscriptions" }],
    "AWS::S3::Bucket": [
        { actions: ["iam:PassRole"], why: "no replication" },
        {
            actions: ["s3tables:CreateNamespace", "s3tables:CreateTable", "s3tables:CreateTableBucket", "s3tables:GetTable", "s3tables:PutTableBucketPolicy", "s3tables:PutTableEncryption", "s3tables:PutTablePolicy", "s3tables:GetTableMetadataLocation", "s3tables:UpdateTableMetadataLocation"],
            why: "no S3 metadata tables",
        },
    ],
    "AWS::SecretsManager::Secret": [
        { actions: ["secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication"], why: "no replicas in other regions (denied: a copy outside the environment's region)" },
        { actions: ["secretsmanager:GetRandomPassword"], why: "no generated values: @pulumi/random makes them" },
    ],
    "AWS::EKS::Addon": [{ actions: ["eks:CreatePodIdentityAssociation", "eks:DeletePodIdentityAssociation", "eks:UpdatePodIdentityAssociation"], why: "the add-ons use IRSA, not EKS Pod Identity" }],
};

/**
 * Entries of the schemas that are API operation names, not IAM actions (iam-data knows no such action): S3 authorizes
 * e.g. DeleteBucketCors as s3:PutBucketCORS, which the schemas list too.
 */
export const NOT_IAM_ACTIONS = [
    "s3:REST.PUT.OBJECT",
    "s3:PutBucketReplication",
    "s3:PutObjectLockConfiguration",
    "s3:DeleteBucketAnalyticsConfiguration",
    "s3:DeleteBucketCors",
    "s3:DeleteBucketEncryption",
    "s3:DeleteBucketLifecycle",
    "s3:DeleteBucketMetricsConfiguration",
    "s3:DeleteBucketReplication",
];

/** What the provider calls beyond the CloudFormation handlers (terraform-provider-aws behaviour), per Pulumi type. */
const PROVIDER_CALLS: Record<string, Partial<Record<Handler, string[]>>> = {
    // update_default_version: true sets the new version as the default.
    "aws:ec2/launchTemplate:LaunchTemplate": { update: ["ec2:ModifyLaunchTemplate", "ec2:DescribeLaunchTemplateVersions"], read: ["ec2:DescribeLaunchTemplateVersions"] },
    // Deleting a role first removes it from its instance profiles (EKS made one for the node role).
    "aws:iam/role:Role": { delete: ["iam:ListInstanceProfilesForRole"] },
    "aws:s3/bucket:Bucket": { read: ["s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketRequestPayment"], delete: ["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"] },
};

/** Pulumi types without a CloudFormation type of their own: their requests. */
const OWN_CALLS: Record<string, Partial<Record<Handler, string[]>>> = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { create: ["iam:AttachRolePolicy"], read: ["iam:ListAttachedRolePolicies"], delete: ["iam:DetachRolePolicy"] },
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": { create: ["eks:AssociateAccessPolicy"], read: ["eks:ListAssociatedAccessPolicies"], delete: ["eks:DisassociateAccessPolicy"] },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": { create: ["ecr:PutLifecyclePolicy"], read: ["ecr:GetLifecyclePolicy"], update: ["ecr:PutLifecyclePolicy"], delete: ["ecr:DeleteLifecyclePolicy"] },
    // Staging's repositories, when production promotes from another account (infra/ecr.ts).
    "aws:ecr/repositoryPolicy:RepositoryPolicy": { create: ["ecr:SetRepositoryPolicy"], read: ["ecr:GetRepositoryPolicy"], update: ["ecr:SetRepositoryPolicy"], delete: ["ecr:DeleteRepositoryPolicy"] },
    "aws:secretsmanager/secretVersion:SecretVersion": {
        create: ["secretsmanager:PutSecretValue"],
        read: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        update: ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
        delete: ["secretsmanager:UpdateSecretVersionStage"],
    },
    "aws:ec2/tag:Tag": { create: ["ec2:CreateTags"], read: ["ec2:DescribeTags"], update: ["ec2:CreateTags"], delete: ["ec2:DeleteTags"] },
    "aws:autoscaling/tag:Tag": { create: ["autoscaling:CreateOrUpdateTags"], read: ["autoscaling:DescribeTags", "autoscaling:DescribeAutoScalingGroups"], update: ["autoscaling:CreateOrUpdateTags"], delete: ["autoscaling:DeleteTags"] },
    // An account-wide permission policy (administrator-owned: CI only reads it).
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {
        create: ["logs:PutResourcePolicy"],
        read: ["logs:DescribeResourcePolicies"],
        update: ["logs:PutResourcePolicy"],
        delete: ["logs:DeleteResourcePolicy"],
    },
    // An account setting per region and instance family (no CloudFormation type; the administrator's, CI only reads
    // it); delete sets AWS's default back.
    "aws:ec2/defaultCreditSpecification:DefaultCreditSpecification": {
        create: ["ec2:ModifyDefaultCreditSpecification"],
        read: ["ec2:GetDefaultCreditSpecification"],
        update: ["ec2:ModifyDefaultCreditSpecification"],
        delete: ["ec2:ModifyDefaultCreditSpecification"],
    },
    "pulumi:providers:aws": { read: ["sts:GetCallerIdentity"] },
};

const CFN_TYPES: Record<string, string> = {
    "aws:cloudwatch/logGroup:LogGroup": "AWS::Logs::LogGroup",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "AWS::IAM::OIDCProvider",
    "aws:kms/key:Key": "AWS::KMS::Key",
    "aws:kms/alias:Alias": "AWS::KMS::Alias",
    "aws:ecr/repository:Repository": "AWS::ECR::Repository",
    "aws:iam/policy:Policy": "AWS::IAM::ManagedPolicy",
    "aws:iam/role:Role": "AWS::IAM::Role",
    "aws:iam/rolePolicy:RolePolicy": "AWS::IAM::RolePolicy",
    "aws:ec2/flowLog:FlowLog": "AWS::EC2::FlowLog",
    "aws:eks/accessEntry:AccessEntry": "AWS::EKS::AccessEntry",
    "aws:eks/addon:Addon": "AWS::EKS::Addon",
    "aws:ec2/launchTemplate:LaunchTemplate": "AWS::EC2::LaunchTemplate",
    "aws:eks/nodeGroup:NodeGroup": "AWS::EKS::Nodegroup",
    "aws:sns/topic:Topic": "AWS::SNS::Topic",
    "aws:sns/topicSubscription:TopicSubscription": "AWS::SNS::Subscription",
    "aws:wafv2/webAcl:WebAcl": "AWS::WAFv2::WebACL",
    "aws:s3/bucket:Bucket": "AWS::S3::Bucket",
    // The bucket's configurations are properties of AWS::S3::Bucket in CloudFormation.
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "AWS::S3::Bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "AWS::S3::Bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "AWS::S3::Bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "AWS::S3::Bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "AWS::S3::Bucket",
    "aws:s3/bucketPolicy:BucketPolicy": "AWS::S3::BucketPolicy",
    "aws:secretsmanager/secret:Secret": "AWS::SecretsManager::Secret",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "AWS::CloudWatch::Alarm",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "AWS::WAFv2::LoggingConfiguration",
};

/** The children remote components create (only a real deployment sees them): their CloudFormation types. */
const REMOTE_CHILDREN: Record<string, string[]> = {
    "awsx:ec2:Vpc": ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation"],
    "eks:index:Cluster": ["AWS::EKS::Cluster", "AWS::IAM::OIDCProvider"],
};

/** The action that brings each CloudFormation type's resource into being (its primary resource does not exist yet). */
const CREATING_ACTION: Record<string, string> = {
    "AWS::EC2::VPC": "ec2:CreateVpc",
    "AWS::EC2::Subnet": "ec2:CreateSubnet",
    "AWS::EC2::InternetGateway": "ec2:CreateInternetGateway",
    "AWS::EC2::NatGateway": "ec2:CreateNatGateway",
    "AWS::EC2::EIP": "ec2:AllocateAddress",
    "AWS::EC2::RouteTable": "ec2:CreateRouteTable",
    "AWS::EC2::FlowLog": "ec2:CreateFlowLogs",
    "AWS::EC2::LaunchTemplate": "ec2:CreateLaunchTemplate",
    "AWS::Logs::LogGroup": "logs:CreateLogGroup",
    "AWS::IAM::OIDCProvider": "iam:CreateOpenIDConnectProvider",
    "AWS::KMS::Key": "kms:CreateKey",
    "AWS::KMS::Alias": "kms:CreateAlias",
    "AWS::ECR::Repository": "ecr:CreateRepository",
    "AWS::IAM::ManagedPolicy": "iam:CreatePolicy",
    "AWS::IAM::Role": "iam:CreateRole",
    "AWS::EKS::Cluster": "eks:CreateCluster",
    "AWS::EKS::AccessEntry": "eks:CreateAccessEntry",
    "AWS::EKS::Addon": "eks:CreateAddon",
    "AWS::EKS::Nodegroup": "eks:CreateNodegroup",
    "AWS::SNS::Topic": "sns:CreateTopic",
    "AWS::WAFv2::WebACL": "wafv2:CreateWebACL",
    "AWS::S3::Bucket": "s3:CreateBucket",
    "AWS::SecretsManager::Secret": "secretsmanager:CreateSecret",
    "AWS::CloudWatch::Alarm": "cloudwatch:PutMetricAlarm",
};

/** Provider functions (invokes) the programs call, and the requests each makes; undefined = computed locally. */
const PROVIDER_FUNCTIONS: Record<string, ((inputs: any, facts: EnvironmentFacts) => { action: string; resource: string; context?: Context })[] | undefined> = {
    "aws:index/getCallerIdentity:getCallerIdentity": [() => ({ action: "sts:GetCallerIdentity", resource: "*" })],
    "aws:index/getRegion:getRegion": undefined,
    "aws:index/getPartition:getPartition": undefined,
    "aws:iam/getPolicyDocument:getPolicyDocument": undefined,
    // A static table of the provider: the regional ELB account.
    "aws:elb/getServiceAccount:getServiceAccount": undefined,
    "aws:index/getAvailabilityZones:getAvailabilityZones": [() => ({ action: "ec2:DescribeAvailabilityZones", resource: "*" })],
    "aws:ec2/getSubnet:getSubnet": [() => ({ action: "ec2:DescribeSubnets", resource: "*" })],
    "aws:eks/getAddonVersion:getAddonVersion": [() => ({ action: "eks:DescribeAddonVersions", resource: "*" })],
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": [(i) => ({ action: "iam:GetOpenIDConnectProvider", resource: i.arn })],
    // A secret an operator stored (the alarms' PagerDuty URL), tagged for previews to read.
    "aws:secretsmanager/getSecretVersion:getSecretVersion": [
        (i, f) => ({
            action: "secretsmanager:GetSecretValue",
            resource: `arn:aws:secretsmanager:${f.region}:${f.account}:secret:${i.secretId}-AbCdEf`,
            context: { [`aws:ResourceTag/${PREVIEW_READABLE_TAG}`]: "true" },
        }),
    ],
};

/** One thing the layers manage, as IAM sees it. */
interface Subject {
    label: string;
    cfnType?: string;
    pulumiType: string;
    /** This resource, per IAM resource type (`service:type`): the variables of its ARN. */
    own: Record<string, Vars>;
    /** CI's own identity and the boundary: an administrator changes them, CI only reads them. */
    identity?: boolean;
    /** The resource carries no Environment tag (EKS made it). */
    untagged?: boolean;
    /** The role it passes, and to which service. */
    passRole?: { arn: string; service: string };
    /** The service-linked role its creation needs. */
    serviceLinkedRole?: string;
    /** IAM context of role and attachment actions; context keys of its other requests (a WAF log's destination). */
    iamContext?: Context;
    /** The tags its requests carry, when not the environment's standard tags (one tag of an ec2 Tag resource). */
    requestTags?: Record<string, string>;
    /** The tags its EC2 requests carry: a node group's launches carry its launch template's tag specifications. */
    launchTags?: Record<string, string>;
    /** The EC2 action whose tag specifications tag what it creates (CreateTags' ec2:CreateAction), when not its CREATING_ACTION. */
    createdBy?: string;
}

export interface EnvironmentFacts {
    env: string;
    region: string;
    account: string;
    prefix: string;
    tags: Record<string, string>;
}

/** Ids of the network (from the VPC component's outputs), the cluster key and security group, the launch template. */
interface Related {
    vars: Record<string, Vars>;
    /** The recorded key policy of each KMS key of the graph, by key ARN. */
    keyPolicies: Record<string, PolicyDocument>;
}

const isCiIdentity = (r: RecordedResource) => isAdministratorOwned(r);

function roleArnOf(graph: EnvironmentRun, mockArn: string): string {
    const role = graph.resources.find((r) => r.type === "aws:iam/role:Role" && (r.state.arn === mockArn || r.state.name === mockArn || r.id === mockArn));
    if (!role) throw new Error(`no role ${mockArn} in the graph`);
    return `arn:aws:iam::${MOCK_ACCOUNT_ID}:role${role.inputs.path ?? "/"}${role.state.name}`;
}

function subjectsOf(graph: EnvironmentRun, facts: EnvironmentFacts): { subjects: Subject[]; related: Related } {
    const { prefix } = facts;
    const infra = graph.infra.outputs;
    const vpc = graph.infra.one("awsx:ec2:Vpc").state;
    const keys = graph.infra.ofType("aws:kms/key:Key");
    const key = graph.infra.one("aws:kms/key:Key", "cluster-secrets").state;
    const template = graph.infra.one("aws:ec2/launchTemplate:LaunchTemplate");
    const related: Related = {
        vars: {
            "ec2:vpc": { VpcId: vpc.vpcId },
            "ec2:subnet": { SubnetId: vpc.privateSubnetIds[0] },
            "ec2:security-group": { SecurityGroupId: infra.clusterSecurityGroupId },
            "ec2:launch-template": { LaunchTemplateId: template.id },
            "ec2:image": { ImageId: "ami-0eks0al2023" },
            "kms:key": { KeyId: key.keyId },
            "eks:cluster": { ClusterName: prefix },
            "eks:podidentityassociation": { ClusterName: prefix, UUID: "uuid" },
            "logs:log-group": { LogGroupName: `/aws/eks/${prefix}/cluster` },
        },
        keyPolicies: Object.fromEntries(keys.filter((k) => k.inputs.policy).map((k) => [k.state.arn, JSON.parse(k.inputs.policy)])),
    };
    const subjects: Subject[] = [];
    const clusterRole = graph.infra.ofType("aws:iam/role:Role").find((r) => String(r.inputs.assumeRolePolicy).includes('"eks.amazonaws.com"'))!;
    for (const r of graph.resources) {
        const label = `${r.type} ${r.name}`;
        const identity = isCiIdentity(r);
        // A resource encrypted with one of the environment's keys uses that key, not the cluster's.
        const ownKey = keys.find((k) => [r.inputs.kmsKeyId, r.inputs.kmsKeyArn].includes(k.state.arn) || [r.inputs.kmsKeyId].includes(k.id));
        const s = (own: Record<string, Vars>, extra: Partial<Subject> = {}): Subject => ({
            label,
            pulumiType: r.type,
            cfnType: CFN_TYPES[r.type],
            own: ownKey && !own["kms:key"] ? { ...own, "kms:key": { KeyId: ownKey.state.keyId } } : own,
            identity,
            ...extra,
        });
        switch (r.type) {
            case "awsx:ec2:Vpc":
                for (const cfnType of REMOTE_CHILDREN[r.type]) {
                    subjects.push({
                        label: `${label} (${cfnType})`,
                        pulumiType: r.type,
                        cfnType,
                        own: {
                            "ec2:vpc": { VpcId: vpc.vpcId },
                            "ec2:subnet": { SubnetId: vpc.publicSubnetIds[0] },
                            "ec2:internet-gateway": { InternetGatewayId: "igw-0example" },
                            "ec2:natgateway": { NatGatewayId: "nat-0example" },
                            "ec2:elastic-ip": { AllocationId: vpc.eips?.[0]?.id ?? "eipalloc-0example" },
                            "ec2:route-table": { RouteTableId: "rtb-0example" },
                        },
                    });
                }
                break;
            case "eks:index:Cluster":
                subjects.push({
                    label: `${label} (AWS::EKS::Cluster)`,
                    pulumiType: r.type,
                    cfnType: "AWS::EKS::Cluster",
                    own: { "eks:cluster": { ClusterName: prefix } },
                    passRole: { arn: roleArnOf(graph, clusterRole.state.arn), service: "eks.amazonaws.com" },
                    serviceLinkedRole: "eks.amazonaws.com",
                });
                subjects.push({ label: `${label} (AWS::IAM::OIDCProvider)`, pulumiType: r.type, cfnType: "AWS::IAM::OIDCProvider", own: { "iam:oidc-provider": { OidcProviderName: String(infra.oidcProviderArn).split(":oidc-provider/")[1] } } });
                break;
            case "pulumi:providers:aws":
                subjects.push(s({}));
                break;
            case "aws:cloudwatch/logGroup:LogGroup":
                subjects.push(s({ "logs:log-group": { LogGroupName: r.inputs.name }, "logs:log-stream": { LogGroupName: r.inputs.name, LogStreamName: "example" } }));
                break;
            case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
                subjects.push(s({ "iam:oidc-provider": { OidcProviderName: String(r.state.arn).split(":oidc-provider/")[1] } }));
                break;
            case "aws:kms/key:Key":
                subjects.push(s({ "kms:key": { KeyId: r.state.keyId } }));
                break;
            case "aws:kms/alias:Alias":
                subjects.push(s({ "kms:alias": { Alias: String(r.inputs.name).replace(/^alias\//, "") } }));
                break;
            case "aws:ecr/repository:Repository":
            case "aws:ecr/lifecyclePolicy:LifecyclePolicy":
            case "aws:ecr/repositoryPolicy:RepositoryPolicy":
                subjects.push(s({ "ecr:repository": { RepositoryName: r.inputs.name ?? r.inputs.repository } }));
                break;
            case "aws:iam/policy:Policy":
                subjects.push(s({ "iam:policy": { PolicyNameWithPath: r.state.name } }));
                break;
            case "aws:iam/role:Role":
                subjects.push(s({ "iam:role": { RoleNameWithPath: `${(r.inputs.path ?? "/").slice(1)}${r.state.name}` } }, { iamContext: r.inputs.permissionsBoundary ? { "iam:PermissionsBoundary": r.inputs.permissionsBoundary } : {} }));
                break;
            case "aws:iam/rolePolicy:RolePolicy":
            case "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
                const role = graph.resources.find((x) => x.type === "aws:iam/role:Role" && (x.id === r.inputs.role || x.state.name === r.inputs.role))!;
                const iamContext: Context = role.inputs.permissionsBoundary ? { "iam:PermissionsBoundary": role.inputs.permissionsBoundary } : {};
                if (r.inputs.policyArn) iamContext["iam:PolicyARN"] = r.inputs.policyArn;
                subjects.push(s({ "iam:role": { RoleNameWithPath: `${(role.inputs.path ?? "/").slice(1)}${role.state.name}` } }, { iamContext, identity: identity || isCiIdentity(role) }));
                break;
            }
            case "aws:ec2/flowLog:FlowLog":
                subjects.push(s({ "ec2:vpc-flow-log": { VpcFlowLogId: "fl-0example" }, "ec2:vpc": { VpcId: vpc.vpcId } }, { passRole: { arn: roleArnOf(graph, r.inputs.iamRoleArn), service: "vpc-flow-logs.amazonaws.com" } }));
                break;
            case "aws:eks/accessEntry:AccessEntry":
            case "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": {
                const principal = String(r.inputs.principalArn).split(":role/")[1] ?? "example";
                subjects.push(s({ "eks:access-entry": { ClusterName: r.inputs.clusterName, IamIdentityType: "role", IamIdentityAccountID: MOCK_ACCOUNT_ID, IamIdentityName: principal, UUID: "uuid" }, "eks:cluster": { ClusterName: r.inputs.clusterName } }));
                break;
            }
            case "aws:eks/addon:Addon":
                subjects.push(
                    s(
                        { "eks:addon": { ClusterName: r.inputs.clusterName, AddonName: r.inputs.addonName, UUID: "uuid" }, "eks:cluster": { ClusterName: r.inputs.clusterName } },
                        r.inputs.serviceAccountRoleArn ? { passRole: { arn: roleArnOf(graph, r.inputs.serviceAccountRoleArn), service: "eks.amazonaws.com" } } : {},
                    ),
                );
                break;
            case "aws:ec2/launchTemplate:LaunchTemplate":
                subjects.push(s({ "ec2:launch-template": { LaunchTemplateId: r.id } }));
                break;
            case "aws:eks/nodeGroup:NodeGroup":
                // EKS checks the caller may launch (and tag) instances with the launch template: its tag specifications.
                subjects.push(
                    s(
                        { "eks:nodegroup": { ClusterName: r.inputs.clusterName, NodegroupName: r.inputs.nodeGroupName, UUID: "uuid" }, "eks:cluster": { ClusterName: r.inputs.clusterName }, "ec2:instance": { InstanceId: "i-0node" } },
                        {
                            passRole: { arn: roleArnOf(graph, r.inputs.nodeRoleArn), service: "eks.amazonaws.com" },
                            serviceLinkedRole: "eks-nodegroup.amazonaws.com",
                            launchTags: template.inputs.tagSpecifications.find((t: { resourceType: string }) => t.resourceType === "instance").tags,
                            createdBy: "RunInstances",
                        },
                    ),
                );
                break;
            case "aws:sns/topic:Topic":
                subjects.push(s({ "sns:topic": { TopicName: r.inputs.name } }));
                break;
            case "aws:sns/topicSubscription:TopicSubscription": {
                const topic = graph.resources.find((t) => t.type === "aws:sns/topic:Topic" && t.state.arn === r.inputs.topic)!;
                subjects.push(s({ "sns:topic": { TopicName: topic.inputs.name } }));
                break;
            }
            case "aws:wafv2/webAcl:WebAcl":
                subjects.push(s({ "wafv2:webacl": { Scope: "regional", Name: r.inputs.name, Id: "id" }, "wafv2:managedruleset": { Scope: "regional", Name: "AWSManagedRulesCommonRuleSet", Id: "id" } }));
                break;
            case "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {
                // The mocks' ARN of the ACL is an id: the ACL it names is in the graph.
                const acl = graph.resources.find((x) => x.type === "aws:wafv2/webAcl:WebAcl" && [x.state.arn, x.id].includes(r.inputs.resourceArn));
                if (!acl) throw new Error(`${label}: its web ACL ${r.inputs.resourceArn} is not in the graph`);
                subjects.push(s({ "wafv2:webacl": { Scope: "regional", Name: acl.inputs.name, Id: "id" } }, { iamContext: { "wafv2:LogDestinationResource": r.inputs.logDestinationConfigs[0] } }));
                break;
            }
            case "aws:s3/bucket:Bucket":
            case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
            case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
            case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
            case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
            case "aws:s3/bucketVersioning:BucketVersioning":
            case "aws:s3/bucketPolicy:BucketPolicy": {
                const bucket = r.inputs.bucket;
                subjects.push(s({ "s3:bucket": { BucketName: bucket }, "s3:object": { BucketName: bucket, ObjectName: "alb/AWSLogs/example" } }));
                break;
            }
            case "aws:secretsmanager/secret:Secret":
                subjects.push(s({ "secretsmanager:Secret": { SecretId: `${r.inputs.name}-AbCdEf` } }));
                break;
            case "aws:secretsmanager/secretVersion:SecretVersion": {
                const secret = graph.resources.find((x) => x.type === "aws:secretsmanager/secret:Secret" && x.id === r.inputs.secretId)!;
                subjects.push(s({ "secretsmanager:Secret": { SecretId: `${secret.inputs.name}-AbCdEf` } }));
                break;
            }
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                subjects.push(s({ "cloudwatch:alarm": { AlarmName: r.inputs.name } }));
                break;
            case "aws:ec2/tag:Tag":
                // EKS created the security group: it has only EKS's tags (the cluster's name) until these are applied,
                // one request per tag.
                subjects.push(
                    s(
                        { "ec2:security-group": { SecurityGroupId: r.inputs.resourceId } },
                        { untagged: true, requestTags: { [r.inputs.key]: r.inputs.value }, iamContext: { [`aws:ResourceTag/${EKS_CLUSTER_NAME_TAG}`]: prefix } },
                    ),
                );
                break;
            case "aws:cloudwatch/logResourcePolicy:LogResourcePolicy":
            case "aws:ec2/defaultCreditSpecification:DefaultCreditSpecification":
                subjects.push(s({}));
                break;
            case "aws:autoscaling/tag:Tag":
                subjects.push(s({ "autoscaling:autoScalingGroup": { GroupId: "uuid", GroupFriendlyName: r.inputs.autoscalingGroupName } }, { untagged: true }));
                break;
            default:
                if (r.type.startsWith("aws:") && r.custom) throw new Error(`needs.ts: no IAM model of ${r.type}; add it (CFN_TYPES or OWN_CALLS)`);
        }
    }
    return { subjects, related };
}

function actionsOf(subject: Subject, handler: Handler): string[] {
    const cfn = subject.cfnType ? CFN.types[subject.cfnType]?.[handler] ?? [] : [];
    if (subject.cfnType && !CFN.types[subject.cfnType]) throw new Error(`needs.ts: no handler permissions for ${subject.cfnType} in cfn-handler-permissions.json`);
    const unused = new Set([...NOT_IAM_ACTIONS, ...(subject.cfnType ? UNUSED[subject.cfnType] ?? [] : []).flatMap((u) => u.actions)]);
    const all = [...cfn, ...(PROVIDER_CALLS[subject.pulumiType]?.[handler] ?? []), ...(OWN_CALLS[subject.pulumiType]?.[handler] ?? [])];
    return [...new Set(all.filter((a) => !unused.has(a)))];
}

function regionOf(action: string, facts: EnvironmentFacts): string {
    return ["iam", "sts"].includes(action.split(":")[0]) ? "us-east-1" : facts.region;
}

async function requestsFor(subject: Subject, handler: Handler, action: string, facts: EnvironmentFacts, related: Related): Promise<NeededRequest[]> {
    const why = `${subject.label} (${handler})`;
    const base: Context = { "aws:RequestedRegion": regionOf(action, facts) };
    if (action === "iam:PassRole") {
        if (!subject.passRole) return [];
        return [{ action, resource: subject.passRole.arn, context: { ...base, "iam:PassedToService": subject.passRole.service }, why }];
    }
    if (action === "iam:CreateServiceLinkedRole") {
        if (!subject.serviceLinkedRole) return [];
        return [{ action, resource: `arn:aws:iam::${facts.account}:role/aws-service-role/${subject.serviceLinkedRole}/AWSServiceRole`, context: { ...base, "iam:AWSServiceName": subject.serviceLinkedRole }, why }];
    }
    const shape = await actionShape(action);
    const service = action.split(":")[0];
    const tags = (prefix: string, of: Record<string, string> = facts.tags) => Object.fromEntries(Object.entries(of).map(([k, v]) => [`aws:${prefix}/${k}`, v]));
    const requested = (service === "ec2" ? subject.launchTags : undefined) ?? subject.requestTags ?? facts.tags;
    const newTags: Context = { ...tags("RequestTag", requested), "aws:TagKeys": Object.keys(requested) };
    // EC2 tags at creation: the resource has none yet, and the request names the action creating it.
    const creatingEc2 = subject.createdBy ?? (subject.cfnType && CREATING_ACTION[subject.cfnType]?.startsWith("ec2:") ? CREATING_ACTION[subject.cfnType].slice(4) : undefined);
    const tagOnCreate = action === "ec2:CreateTags" && handler === "create" && creatingEc2 !== undefined;
    if (shape.wildcardOnly) return [{ action, resource: "*", context: { ...base, ...(handler === "create" ? newTags : {}) }, why }];
    const own = Object.keys(subject.own).filter((k) => k.startsWith(`${service}:`)).map((k) => k.slice(service.length + 1));
    const types = shape.required.length > 0 ? shape.required : shape.optional.filter((t) => own.includes(t));
    if (types.length === 0) return [{ action, resource: "*", context: base, why: `${why}, no resource of its own` }];
    const creating = subject.cfnType !== undefined && CREATING_ACTION[subject.cfnType] === action;
    const out: NeededRequest[] = [];
    for (const type of types) {
        const key = `${service}:${type}`;
        // The role a resource uses is the one it passes (EKS reads it before it accepts it); without one, nothing to read.
        if (key === "iam:role" && !subject.own[key]) {
            if (!subject.passRole) continue;
            out.push({ action, resource: subject.passRole.arn, context: { ...base, ...tags("ResourceTag") }, why });
            continue;
        }
        const mine = subject.own[key];
        const vars = { Region: facts.region, Account: facts.account, ...(mine ?? related.vars[key] ?? {}) };
        const resource = await arnOf(service, type, vars);
        // The resource this request creates has no tags yet (they come with the request); the others carry ours.
        const isNew = (creating && mine !== undefined) || (tagOnCreate && mine !== undefined) || (action === "ec2:RunInstances" && ["instance", "network-interface", "volume"].includes(type));
        const awsOwned = type === "image" || type === "managedruleset";
        const context: Context = { ...base, ...(subject.iamContext ?? {}), ...newTags, ...(tagOnCreate && mine !== undefined ? { "ec2:CreateAction": creatingEc2! } : {}) };
        if (!isNew && !awsOwned && !(subject.untagged && mine !== undefined)) Object.assign(context, tags("ResourceTag"));
        // A key of the graph is decided by its own (recorded) key policy too.
        const keyPolicy = key === "kms:key" ? related.keyPolicies[resource] : undefined;
        out.push({ action, resource, context, why, ...(keyPolicy ? { resourcePolicy: keyPolicy } : {}) });
    }
    return out;
}

export interface Needs {
    deploy: NeededRequest[];
    drift: NeededRequest[];
    preview: NeededRequest[];
}

/** Every request deploy, drift and preview make for this environment's graph. */
export async function neededRequests(graph: EnvironmentRun, facts: EnvironmentFacts): Promise<Needs> {
    const { subjects, related } = subjectsOf(graph, facts);
    const deploy: NeededRequest[] = [];
    const drift: NeededRequest[] = [];
    for (const subject of subjects) {
        const handlers: Handler[] = subject.identity ? ["read"] : ["create", "read", "update", "delete"];
        for (const handler of handlers) for (const action of actionsOf(subject, handler)) deploy.push(...(await requestsFor(subject, handler, action, facts, related)));
        for (const action of actionsOf(subject, "read")) drift.push(...(await requestsFor(subject, "read", action, facts, related)));
    }
    const preview: NeededRequest[] = [];
    for (const layer of [graph.infra, graph.platform, graph.apps]) {
        for (const call of layer?.calls ?? []) {
            if (!(call.token in PROVIDER_FUNCTIONS)) throw new Error(`needs.ts: no IAM model of the provider function ${call.token}; add it to PROVIDER_FUNCTIONS`);
            for (const make of PROVIDER_FUNCTIONS[call.token] ?? []) {
                const { action, resource, context } = make(call.inputs, facts);
                preview.push({ action, resource, context: { "aws:RequestedRegion": regionOf(action, facts), ...context }, why: `${layer!.layer}: ${call.token}` });
            }
        }
    }
    // Previews and refreshes run the same programs: their lookups are the drift check's too, and deploy's.
    return { deploy: [...deploy, ...preview], drift: [...drift, ...preview], preview };
}
