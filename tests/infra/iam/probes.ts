/**
 * What a compromised CI run of one environment would try against the other environment of a shared account,
 * another region, or IAM: every probe must be denied. Reads are probed for every CI role and every role CI can
 * create; writes and escalations for the deploy role and the roles it can create (preview and drift carry AWS's
 * read-only managed policies, which grant no writes).
 * Resources of the other environment carry its tags where the layers tag them (nodes, volumes, ENIs, load
 * balancers, Auto Scaling groups, the cluster security group: node-groups.ts, addons.ts, cluster.ts,
 * aws-load-balancer-controller.ts); by-name resources are probed without tags too (S3 ignores tags; an operator's
 * hand-made secret has none).
 */
import { EKS_CLUSTER_NAME_TAG } from "../../../infra/deploy-policy";
import { CI_SECRETS_FOLDER, PROMOTION_READS } from "../../../infra/identity";
import { PROMOTES_FROM } from "../../../lib/environment";
import { Context, Request } from "./simulator";
import { EnvironmentFacts } from "./needs";

export type ProbeKind = "read" | "write";
export interface Probe extends Request {
    kind: ProbeKind;
    why: string;
    /**
     * The principals whose need this is (denied to every other): production's deploy role reads staging's images to
     * promote them; the deploy role reads CI's own secrets. The delivery's needs show they are allowed.
     */
    allowedFor?: string[];
    /**
     * Only these principals are probed: the deploy role's positive tag conditions (launch templates, EC2 tags) are
     * its own; the boundary of the roles the layers create keeps the negative guard, because the controllers and
     * EKS's cluster role tag what they create with tags of their own (README: what a shared account cannot separate).
     */
    appliesTo?: string[];
}

export const OTHER_REGION = "eu-west-1";

export function probes(own: EnvironmentFacts, other: EnvironmentFacts): Probe[] {
    const A = own.account;
    const R = own.region;
    const P = other.prefix;
    const out: Probe[] = [];
    const tagged = (tags: Record<string, string>): Context => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
    const theirs = tagged(other.tags);
    const region = (r: string): Context => ({ "aws:RequestedRegion": r });
    const add = (kind: ProbeKind, why: string, actions: string[], resource: string, context: Context = {}, allowedFor?: (action: string) => string[] | undefined) => {
        for (const action of actions) out.push({ kind, why, action, resource, context: { ...region(["iam", "sts", "organizations", "account"].includes(action.split(":")[0]) ? "us-east-1" : R), ...context }, ...(allowedFor?.(action) ? { allowedFor: allowedFor(action) } : {}) });
    };
    const deployOnly = (from: number) => out.slice(from).forEach((p) => (p.appliesTo = ["deploy"]));
    // This environment promotes the other's images (production from staging): its deploy role reads them, nothing else.
    const promotion = PROMOTES_FROM[own.env as keyof typeof PROMOTES_FROM] === other.env ? (action: string) => (PROMOTION_READS.includes(action) ? ["deploy"] : undefined) : undefined;

    // The other environment's data (its release App's key among it).
    for (const name of ["apps/mysql", "grafana/admin", "argocd/github-webhook", "pagerduty/routing-key", `${CI_SECRETS_FOLDER}/release-app`]) {
        const secret = `arn:aws:secretsmanager:${R}:${A}:secret:${P}/${name}-AbCdEf`;
        add("read", `its secret ${name} (untagged, as an operator's)`, ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], secret);
        add("read", `its secret ${name} (tagged, readable by previews)`, ["secretsmanager:GetSecretValue"], secret, { ...theirs, "aws:ResourceTag/ci-preview-readable": "true" });
        add("write", `its secret ${name}`, ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy", "secretsmanager:UpdateSecret"], secret, theirs);
    }
    const bucket = `arn:aws:s3:::${P}-alb-${A}-${R}`;
    add("read", "its ALB access logs", ["s3:GetObject", "s3:GetObjectVersion"], `${bucket}/alb/AWSLogs/${A}/elasticloadbalancing/log.gz`, theirs);
    add("read", "its ALB log bucket", ["s3:ListBucket", "s3:GetBucketPolicy"], bucket, theirs);
    add("write", "its ALB log bucket (S3 ignores tags without ABAC)", ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketAcl", "s3:PutLifecycleConfiguration"], bucket, theirs);
    add("write", "its ALB access logs", ["s3:DeleteObject", "s3:PutObject"], `${bucket}/alb/AWSLogs/${A}/log.gz`, theirs);
    for (const group of [`/aws/eks/${P}/cluster`, `/aws/containerinsights/${P}/application`, `/aws/vpc/${P}/flow-logs`]) {
        const arn = `arn:aws:logs:${R}:${A}:log-group:${group}`;
        add("read", `its logs ${group}`, ["logs:FilterLogEvents", "logs:StartQuery", "logs:GetLogGroupFields"], arn, theirs);
        add("read", `its log events ${group}`, ["logs:GetLogEvents"], `${arn}:log-stream:example`, theirs);
        add("write", `its log group ${group}`, ["logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"], arn, theirs);
        add("write", `its log stream ${group}`, ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DeleteLogStream"], `${arn}:log-stream:example`, theirs);
    }
    const key = `arn:aws:kms:${R}:${A}:key/their-key`;
    add("read", "its KMS key", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], key, theirs);
    add("read", "an untagged KMS key (nobody's to use)", ["kms:Decrypt"], key);
    add("write", "its KMS key", ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:DisableKey", "kms:Encrypt"], key, theirs);
    add("write", "an untagged KMS key: claiming it by tagging it", ["kms:TagResource", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], key, { "aws:RequestTag/Environment": own.env, "aws:TagKeys": ["Environment"] });
    add("write", "its key alias", ["kms:DeleteAlias", "kms:UpdateAlias"], `arn:aws:kms:${R}:${A}:alias/${P}-eks-secrets`);
    for (const image of [`${P}/user-service`, `${P}/frontend`]) {
        const repo = `arn:aws:ecr:${R}:${A}:repository/${image}`;
        add("read", `its images ${image}`, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages"], repo, theirs, promotion);
        add("read", `its images ${image} (were the repository untagged)`, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"], repo, {}, promotion);
        add("write", `its repository ${image}`, ["ecr:PutImage", "ecr:BatchDeleteImage", "ecr:DeleteRepository", "ecr:SetRepositoryPolicy", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:TagResource", "ecr:PutLifecyclePolicy", "ecr:PutImageTagMutability"], repo, theirs);
    }
    add("read", "its parameters", ["ssm:GetParameter", "ssm:GetParametersByPath"], `arn:aws:ssm:${R}:${A}:parameter/${P}/example`);

    // The other environment's cluster and nodes.
    const cluster = `arn:aws:eks:${R}:${A}:cluster/${P}`;
    add("read", "its cluster", ["eks:DescribeCluster", "eks:ListAccessEntries"], cluster, theirs);
    add("write", "its cluster: an admin access entry", ["eks:CreateAccessEntry", "eks:UpdateClusterConfig", "eks:DeleteCluster", "eks:CreateAddon", "eks:AssociateIdentityProviderConfig", "eks:CreatePodIdentityAssociation"], cluster, theirs);
    add("write", "its cluster (were it untagged)", ["eks:CreateAccessEntry", "eks:DeleteCluster"], cluster);
    add("write", "its cluster-admin access entry", ["eks:AssociateAccessPolicy"], `arn:aws:eks:${R}:${A}:access-entry/${P}/role/${A}/intruder/uuid`, theirs);
    add("write", "its node groups", ["eks:UpdateNodegroupConfig", "eks:DeleteNodegroup", "eks:UpdateNodegroupVersion"], `arn:aws:eks:${R}:${A}:nodegroup/${P}/${P}-general-1/uuid`, theirs);
    const instance = `arn:aws:ec2:${R}:${A}:instance/i-0their`;
    add("read", "its nodes' consoles", ["ec2:GetConsoleOutput", "ec2:GetConsoleScreenshot"], instance, theirs);
    add("write", "its nodes", ["ec2:TerminateInstances", "ec2:StopInstances", "ec2:RebootInstances", "ec2:ModifyInstanceAttribute", "ec2:AssociateIamInstanceProfile", "ec2:ReplaceIamInstanceProfileAssociation"], instance, theirs);
    add("write", "a shell on its nodes", ["ssm:SendCommand", "ssm:StartSession", "ec2-instance-connect:SendSSHPublicKey", "ec2-instance-connect:SendSerialConsoleSSHPublicKey"], instance, theirs);
    add("write", "untagging its nodes (to escape the tag guard)", ["ec2:DeleteTags"], instance, { ...theirs, "aws:TagKeys": ["Environment"] });
    const volume = `arn:aws:ec2:${R}:${A}:volume/vol-0their`;
    add("write", "its volumes (MySQL's data)", ["ec2:CreateSnapshot", "ec2:DeleteVolume", "ec2:DetachVolume", "ec2:AttachVolume", "ec2:ModifyVolume", "ec2:CopyVolumes"], volume, theirs);
    // Snapshot ARNs carry no account.
    const snapshot = `arn:aws:ec2:${R}::snapshot/snap-0their`;
    add("write", "its snapshots (share or restore them)", ["ec2:ModifySnapshotAttribute", "ec2:DeleteSnapshot", "ec2:CopySnapshot", "ec2:CreateVolume", "ec2:LockSnapshot"], snapshot, theirs);
    add("read", "its snapshots' blocks", ["ebs:GetSnapshotBlock", "ebs:ListSnapshotBlocks"], snapshot, theirs);
    const eni = `arn:aws:ec2:${R}:${A}:network-interface/eni-0their`;
    add("write", "its pods' network interfaces", ["ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:AssignPrivateIpAddresses", "ec2:DetachNetworkInterface"], eni, theirs);
    const asg = `arn:aws:autoscaling:${R}:${A}:autoScalingGroup:uuid:autoScalingGroupName/eks-${P}-general-1-uuid`;
    add("write", "its node groups' Auto Scaling groups", ["autoscaling:UpdateAutoScalingGroup", "autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:DeleteAutoScalingGroup", "autoscaling:CreateOrUpdateTags"], asg, theirs);
    const sg = `arn:aws:ec2:${R}:${A}:security-group/sg-0their`;
    add("write", "its cluster security group", ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:ModifySecurityGroupRules"], sg, theirs);
    add("write", "its network", ["ec2:DeleteSubnet", "ec2:ModifySubnetAttribute"], `arn:aws:ec2:${R}:${A}:subnet/subnet-0their`, theirs);
    add("write", "its routes", ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:DeleteRouteTable"], `arn:aws:ec2:${R}:${A}:route-table/rtb-0their`, theirs);
    add("write", "its VPC", ["ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:CreateFlowLogs"], `arn:aws:ec2:${R}:${A}:vpc/vpc-0their`, theirs);
    add("write", "its NAT gateway and addresses", ["ec2:DeleteNatGateway"], `arn:aws:ec2:${R}:${A}:natgateway/nat-0their`, theirs);
    add("write", "its Elastic IPs", ["ec2:ReleaseAddress", "ec2:DisassociateAddress"], `arn:aws:ec2:${R}:${A}:elastic-ip/eipalloc-0their`, theirs);
    add("write", "its launch template", ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate"], `arn:aws:ec2:${R}:${A}:launch-template/lt-0their`, theirs);
    const positive = out.length;
    add("write", "a launch template without an Environment tag (nobody's)", ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate"], `arn:aws:ec2:${R}:${A}:launch-template/lt-0untagged`);
    add("write", "claiming an untagged instance, volume or launch template by tagging it", ["ec2:CreateTags"], `arn:aws:ec2:${R}:${A}:instance/i-0untagged`, { "aws:RequestTag/Environment": own.env, "aws:TagKeys": ["Environment"] });
    add("write", "claiming an untagged volume by tagging it", ["ec2:CreateTags"], `arn:aws:ec2:${R}:${A}:volume/vol-0untagged`, { "aws:RequestTag/Environment": own.env, "aws:TagKeys": ["Environment"] });
    add("write", "tagging or untagging an untagged resource", ["ec2:CreateTags", "ec2:DeleteTags"], `arn:aws:ec2:${R}:${A}:launch-template/lt-0untagged`, { "aws:RequestTag/CostCenter": "x", "aws:TagKeys": ["CostCenter"] });
    add("write", "claiming its cluster security group (EKS's tag names its cluster)", ["ec2:CreateTags", "ec2:DeleteTags"], sg, { [`aws:ResourceTag/${EKS_CLUSTER_NAME_TAG}`]: P, "aws:RequestTag/Environment": own.env, "aws:TagKeys": ["Environment"] });
    deployOnly(positive);

    // The other environment's load balancers (the controller's default tags).
    const alb = `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/k8s-${P}-abc/0123456789abcdef`;
    add("write", "its ALB", ["elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets"], alb, theirs);
    add("write", "its ALB's WAF", ["wafv2:DisassociateWebACL", "wafv2:AssociateWebACL"], alb, theirs);
    const listener = `arn:aws:elasticloadbalancing:${R}:${A}:listener/app/k8s-${P}-abc/0123456789abcdef/0123456789abcdef`;
    add("write", "its listeners (re-route its traffic)", ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteListener"], listener, theirs);
    add("write", "its listener rules", ["elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule"], `arn:aws:elasticloadbalancing:${R}:${A}:listener-rule/app/k8s-${P}-abc/0123456789abcdef/0123456789abcdef/0123456789abcdef`, theirs);
    add("write", "its target groups", ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:DeleteTargetGroup"], `arn:aws:elasticloadbalancing:${R}:${A}:targetgroup/k8s-${P}-abc/0123456789abcdef`, theirs);
    add("write", "its WAF ACL", ["wafv2:UpdateWebACL", "wafv2:DeleteWebACL"], `arn:aws:wafv2:${R}:${A}:regional/webacl/${P}-public/id`, theirs);
    add("write", "its alarm topic", ["sns:Subscribe", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:Publish", "sns:AddPermission"], `arn:aws:sns:${R}:${A}:${P}-alarms`, theirs);
    add("write", "its alarms", ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DisableAlarmActions", "cloudwatch:SetAlarmState"], `arn:aws:cloudwatch:${R}:${A}:alarm:${P}-node-count-low`, theirs);

    // The other environment's identity.
    const role = `arn:aws:iam::${A}:role/${P}/nodes-role`;
    const theirBoundary = `arn:aws:iam::${A}:policy/${P}-workload-boundary`;
    add("write", "its roles", ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:DetachRolePolicy"], role, { "iam:PermissionsBoundary": theirBoundary, ...theirs });
    add("write", "its roles: passing them", ["iam:PassRole"], role, { "iam:PassedToService": "eks.amazonaws.com", ...theirs });
    add("write", "a role under its path, with its boundary", ["iam:CreateRole"], `arn:aws:iam::${A}:role/${P}/intruder`, { "iam:PermissionsBoundary": theirBoundary });
    add("write", "its CI roles", ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy"], `arn:aws:iam::${A}:role/${P}-ci-deploy`, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", ...theirs });
    add("write", "assuming its CI roles", ["sts:AssumeRole", "sts:TagSession"], `arn:aws:iam::${A}:role/${P}-ci-deploy`, theirs);
    add("write", "its boundary", ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"], theirBoundary, theirs);
    const theirOidc = `arn:aws:iam::${A}:oidc-provider/oidc.eks.${R}.amazonaws.com/id/THEIRS`;
    add("write", "its cluster's OIDC provider", ["iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider"], theirOidc, theirs);
    add("write", "an untagged cluster OIDC provider: claiming it", ["iam:TagOpenIDConnectProvider", "iam:AddClientIDToOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"], theirOidc, { "aws:RequestTag/Environment": own.env, "aws:TagKeys": ["Environment"] });

    // Its WAF request log: the web ACL is this environment's, the log group the other's.
    const ownAcl = `arn:aws:wafv2:${R}:${A}:regional/webacl/${own.prefix}-public/id`;
    add("write", "logging its own web ACL into the other environment's WAF log group", ["wafv2:PutLoggingConfiguration"], ownAcl, { ...tagged(own.tags), "wafv2:LogDestinationResource": `arn:aws:logs:${R}:${A}:log-group:aws-waf-logs-${P}` });
    add("write", "logging its own web ACL into another log group", ["wafv2:PutLoggingConfiguration"], ownAcl, { ...tagged(own.tags), "wafv2:LogDestinationResource": `arn:aws:logs:${R}:${A}:log-group:/aws/eks/${P}/cluster` });

    // Marking something as the other environment's, or creating it so.
    const ownInstance = `arn:aws:ec2:${R}:${A}:instance/i-0own`;
    const asOther: Context = { "aws:RequestTag/Environment": other.env, "aws:TagKeys": ["Environment"] };
    add("write", "tagging its own resource as the other environment's", ["ec2:CreateTags"], ownInstance, { ...tagged(own.tags), ...asOther });
    add("write", "launching nodes tagged as the other environment's", ["ec2:RunInstances"], `arn:aws:ec2:${R}:${A}:instance/*`, asOther);
    add("write", "a key tagged as the other environment's", ["kms:CreateKey"], "*", asOther);
    add("write", "a launch template tagged as the other environment's, or untagged", ["ec2:CreateLaunchTemplate"], `arn:aws:ec2:${R}:${A}:launch-template/*`, asOther);
    add("write", "an untagged launch template", ["ec2:CreateLaunchTemplate"], `arn:aws:ec2:${R}:${A}:launch-template/*`);
    deployOnly(out.length - 1);
    add("write", "a secret tagged as the other environment's", ["secretsmanager:TagResource"], `arn:aws:secretsmanager:${R}:${A}:secret:${own.prefix}/apps/mysql-AbCdEf`, { ...tagged(own.tags), ...asOther });

    // Another region, even with this environment's names.
    const away: Context = { "aws:RequestedRegion": OTHER_REGION };
    add("write", `launching instances in ${OTHER_REGION}`, ["ec2:RunInstances"], `arn:aws:ec2:${OTHER_REGION}:${A}:instance/*`, { ...away, "aws:RequestTag/Environment": own.env });
    add("write", `a VPC in ${OTHER_REGION}`, ["ec2:CreateVpc"], `arn:aws:ec2:${OTHER_REGION}:${A}:vpc/*`, { ...away, "aws:RequestTag/Environment": own.env });
    add("write", `a cluster in ${OTHER_REGION}`, ["eks:CreateCluster"], "*", { ...away, "aws:RequestTag/Environment": own.env });
    add("write", `its own cluster name in ${OTHER_REGION}`, ["eks:CreateNodegroup", "eks:CreateAccessEntry"], `arn:aws:eks:${OTHER_REGION}:${A}:cluster/${own.prefix}`, { ...away, ...tagged(own.tags) });
    add("write", `its own secrets in ${OTHER_REGION}`, ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue"], `arn:aws:secretsmanager:${OTHER_REGION}:${A}:secret:${own.prefix}/apps/mysql-AbCdEf`, away);
    add("write", `a bucket in ${OTHER_REGION}`, ["s3:CreateBucket"], `arn:aws:s3:::${own.prefix}-alb-${A}-${OTHER_REGION}`, away);
    add("write", `keys and logs in ${OTHER_REGION}`, ["kms:CreateKey"], "*", { ...away, "aws:RequestTag/Environment": own.env });
    add("write", `log groups in ${OTHER_REGION}`, ["logs:CreateLogGroup"], `arn:aws:logs:${OTHER_REGION}:${A}:log-group:/aws/eks/${own.prefix}/cluster`, away);
    add("read", `reads in ${OTHER_REGION}`, ["ec2:DescribeInstances", "logs:DescribeLogGroups"], "*", away);
    add("write", `copies of its own key and secrets in ${OTHER_REGION}`, ["kms:ReplicateKey"], `arn:aws:kms:${R}:${A}:key/own-key`, { ...tagged(own.tags), "kms:ReplicaRegion": OTHER_REGION });
    add("write", `copies of its own secrets in ${OTHER_REGION}`, ["secretsmanager:ReplicateSecretToRegions"], `arn:aws:secretsmanager:${R}:${A}:secret:${own.prefix}/apps/mysql-AbCdEf`, { ...tagged(own.tags), "secretsmanager:AddReplicaRegions": [OTHER_REGION] });

    // Escalation: more than the boundary, other identities, the account.
    const mine = `arn:aws:iam::${A}:role/${own.prefix}/escalate`;
    const boundary = `arn:aws:iam::${A}:policy/${own.prefix}-workload-boundary`;
    add("write", "a role without the boundary", ["iam:CreateRole", "iam:PutRolePolicy"], mine);
    add("write", "a role with another boundary", ["iam:CreateRole", "iam:PutRolePermissionsBoundary"], mine, { "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess" });
    add("write", "a role outside the path", ["iam:CreateRole"], `arn:aws:iam::${A}:role/escalate`, { "iam:PermissionsBoundary": boundary });
    add("write", "removing the boundary", ["iam:DeleteRolePermissionsBoundary"], mine, { "iam:PermissionsBoundary": boundary });
    for (const policy of ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess", "SecretsManagerReadWrite", "AmazonSSMFullAccess"]) {
        add("write", `attaching ${policy}`, ["iam:AttachRolePolicy"], mine, { "iam:PermissionsBoundary": boundary, "iam:PolicyARN": `arn:aws:iam::aws:policy/${policy}` });
    }
    for (const service of ["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "cloudformation.amazonaws.com", "ssm.amazonaws.com"]) {
        add("write", `passing a role to ${service}`, ["iam:PassRole"], mine, { "iam:PassedToService": service });
    }
    add("write", "service-linked roles of other services", ["iam:CreateServiceLinkedRole"], `arn:aws:iam::${A}:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM`, { "iam:AWSServiceName": "ssm.amazonaws.com" });
    add("write", "changing its own boundary", ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion"], boundary);
    for (const kind of ["deploy", "preview", "drift"]) {
        add("write", `changing its own CI role (${kind})`, ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole"], `arn:aws:iam::${A}:role/${own.prefix}-ci-${kind}`, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" });
    }
    add("write", "the GitHub OIDC provider", ["iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider"], `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`);
    add("write", "other identity providers", ["iam:CreateOpenIDConnectProvider"], `arn:aws:iam::${A}:oidc-provider/accounts.google.com`, { "aws:RequestTag/Environment": own.env });
    add("write", "SAML providers", ["iam:CreateSAMLProvider"], `arn:aws:iam::${A}:saml-provider/corp`);
    add("write", "users and keys", ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"], `arn:aws:iam::${A}:user/backdoor`);
    add("write", "the organization and the account", ["organizations:LeaveOrganization", "account:CloseAccount", "account:PutAlternateContact"], "*");
    // Account-wide settings of both environments: the administrator's (infra/account-policies.ts).
    add("write", "the account's default CPU credits of a family (the other environment's nodes too)", ["ec2:ModifyDefaultCreditSpecification"], "*");
    add("write", "the account's log resource policies (WAF's delivery of both)", ["logs:PutResourcePolicy", "logs:DeleteResourcePolicy"], "*");

    // CI's own secrets (the release App's key pushes to the branch past its protection): the deploy role's only.
    const ciSecret = `arn:aws:secretsmanager:${R}:${A}:secret:${own.prefix}/${CI_SECRETS_FOLDER}/release-app-AbCdEf`;
    add("read", "its own release App's key", ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], ciSecret, {}, () => ["deploy"]);
    add("read", "its own release App's key (tagged, readable by previews)", ["secretsmanager:GetSecretValue"], ciSecret, { ...tagged(own.tags), "aws:ResourceTag/ci-preview-readable": "true" }, () => ["deploy"]);
    return out;
}
