/**
 * For each AWS managed policy the layers attach, one action of every AWS service (and every IAM action) it grants:
 * the workload boundary must allow them, or a role would silently lose what AWS's policy gives it. A policy
 * attached by the layers that is missing here fails the boundary test: add it with an action per service it uses
 * (the policy's document is in the AWS Managed Policy Reference).
 */
export const MANAGED_POLICY_ACTIONS: Record<string, string[]> = {
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy": [
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:CreateSecurityGroup",
        "elasticloadbalancing:CreateLoadBalancer",
        "iam:CreateServiceLinkedRole",
        "kms:DescribeKey",
    ],
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy": ["ec2:DescribeInstances", "eks:DescribeCluster", "eks-auth:AssumeRoleForPodIdentity"],
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly": ["ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"],
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore": ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ec2messages:GetMessages"],
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy": ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface"],
    "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy": ["ec2:CreateVolume", "ec2:AttachVolume", "ec2:CreateSnapshot"],
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy": ["cloudwatch:PutMetricData", "logs:PutLogEvents", "ssm:GetParameter", "xray:PutTraceSegments", "ec2:DescribeTags"],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules"],
};
