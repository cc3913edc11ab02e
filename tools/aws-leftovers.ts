/**
 * What the cluster's controllers made in AWS and a destroy must see gone before the next layer goes, found with the
 * AWS CLI (an injectable `AwsCli`, so tests answer from fixtures):
 *
 * - the AWS Load Balancer Controller's load balancers, target groups and security groups: in the environment's
 *   VPC and tagged `elbv2.k8s.aws/cluster=<cluster>` (the controller tags everything it creates so). They must be
 *   gone before the platform layer deletes the controller, or nothing deletes them and they block the VPC;
 * - the network interfaces left in the VPC (detached ones, and the load balancers' own) and the EBS volumes the
 *   CSI driver made for the cluster (tagged `kubernetes.io/cluster/<cluster>=owned`, infra/addons.ts): the ones still
 *   attached, detaching or being deleted must settle before infra deletes the subnets; detached volumes that stay
 *   (claims with reclaimPolicy Retain) are what stays behind.
 *
 * Only describe calls the deploy role may make (ec2:Describe*, elasticloadbalancing:Describe*); nothing is deleted.
 */
import { AwsCli, awsJson } from "../lib/aws-cli";
import { clusterOwnedTagKey } from "../lib/tags";

/** The tag the AWS Load Balancer Controller puts on every load balancer, target group and security group it creates. */
export const LOAD_BALANCER_CONTROLLER_CLUSTER_TAG = "elbv2.k8s.aws/cluster";

/** Where to look: the environment's cluster, VPC and region (infra's outputs). */
export interface AwsScope {
    region: string;
    vpcId: string;
    clusterName: string;
}

export interface Leftover {
    kind: "load balancer" | "target group" | "security group" | "network interface" | "volume";
    id: string;
    /** What it is, for a person (name, state, the claim it was made for). */
    detail: string;
    /** The command that removes it by hand. */
    remove: string;
}

type Tags = { Key: string; Value: string }[] | undefined;
const tag = (tags: Tags, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** The controller's load balancers, target groups and security groups of this cluster still in the VPC. */
export function controllerLoadBalancers(aws: AwsCli, scope: AwsScope): Leftover[] {
    const r = ["--region", scope.region];
    const lbs = awsJson<{ LoadBalancers?: { LoadBalancerArn: string; LoadBalancerName: string; VpcId?: string; State?: { Code?: string } }[] }>(aws, ["elbv2", "describe-load-balancers", ...r])
        .LoadBalancers?.filter((lb) => lb.VpcId === scope.vpcId) ?? [];
    const tgs = awsJson<{ TargetGroups?: { TargetGroupArn: string; TargetGroupName: string; VpcId?: string }[] }>(aws, ["elbv2", "describe-target-groups", ...r])
        .TargetGroups?.filter((tg) => tg.VpcId === scope.vpcId) ?? [];
    const ours = clusterTagged(aws, scope, [...lbs.map((lb) => lb.LoadBalancerArn), ...tgs.map((tg) => tg.TargetGroupArn)]);
    const sgs =
        awsJson<{ SecurityGroups?: { GroupId: string; GroupName: string }[] }>(aws, [
            "ec2", "describe-security-groups", ...r,
            "--filters", `Name=vpc-id,Values=${scope.vpcId}`, `Name=tag:${LOAD_BALANCER_CONTROLLER_CLUSTER_TAG},Values=${scope.clusterName}`,
        ]).SecurityGroups ?? [];
    return [
        ...lbs.filter((lb) => ours.has(lb.LoadBalancerArn)).map((lb): Leftover => ({
            kind: "load balancer",
            id: lb.LoadBalancerArn,
            detail: `${lb.LoadBalancerName} (${lb.State?.Code ?? "unknown state"})`,
            remove: `aws elbv2 delete-load-balancer --region ${scope.region} --load-balancer-arn ${lb.LoadBalancerArn}`,
        })),
        ...tgs.filter((tg) => ours.has(tg.TargetGroupArn)).map((tg): Leftover => ({
            kind: "target group",
            id: tg.TargetGroupArn,
            detail: tg.TargetGroupName,
            remove: `aws elbv2 delete-target-group --region ${scope.region} --target-group-arn ${tg.TargetGroupArn}`,
        })),
        ...sgs.map((sg): Leftover => ({
            kind: "security group",
            id: sg.GroupId,
            detail: sg.GroupName,
            remove: `aws ec2 delete-security-group --region ${scope.region} --group-id ${sg.GroupId}`,
        })),
    ];
}

/** The ARNs among `arns` that carry the controller's tag for this cluster (describe-tags takes 20 ARNs a call). */
function clusterTagged(aws: AwsCli, scope: AwsScope, arns: string[]): Set<string> {
    const tagged = new Set<string>();
    for (let i = 0; i < arns.length; i += 20) {
        const answer = awsJson<{ TagDescriptions?: { ResourceArn: string; Tags?: Tags }[] }>(aws, [
            "elbv2", "describe-tags", "--region", scope.region, "--resource-arns", ...arns.slice(i, i + 20),
        ]);
        for (const d of answer.TagDescriptions ?? []) if (tag(d.Tags, LOAD_BALANCER_CONTROLLER_CLUSTER_TAG) === scope.clusterName) tagged.add(d.ResourceArn);
    }
    return tagged;
}

/** Network interfaces and cluster volumes in the VPC: what is still settling, and the detached volumes that stay. */
export function vpcLeftovers(aws: AwsCli, scope: AwsScope): { settling: Leftover[]; detachedVolumes: Leftover[] } {
    const r = ["--region", scope.region];
    const enis =
        awsJson<{ NetworkInterfaces?: { NetworkInterfaceId: string; Status: string; Description?: string; RequesterId?: string }[] }>(aws, [
            "ec2", "describe-network-interfaces", ...r, "--filters", `Name=vpc-id,Values=${scope.vpcId}`,
        ]).NetworkInterfaces ?? [];
    // Detached interfaces (a CNI leak, or on their way out) and the load balancers' own block the subnets; the nodes'
    // and the control plane's go with infra.
    const blocking = enis.filter((e) => e.Status === "available" || e.RequesterId === "amazon-elb" || e.Description?.startsWith("ELB "));
    const volumes =
        awsJson<{ Volumes?: { VolumeId: string; State: string; Size?: number; Tags?: Tags }[] }>(aws, [
            "ec2", "describe-volumes", ...r, "--filters", `Name=tag:${clusterOwnedTagKey(scope.clusterName)},Values=owned`,
        ]).Volumes ?? [];
    const volume = (v: (typeof volumes)[number]): Leftover => {
        const claim = tag(v.Tags, "kubernetes.io/created-for/pvc/name");
        const namespace = tag(v.Tags, "kubernetes.io/created-for/pvc/namespace");
        return {
            kind: "volume",
            id: v.VolumeId,
            detail: `${v.Size ?? "?"} GiB, ${v.State}${claim ? `, made for the claim ${namespace}/${claim}` : ""}`,
            remove: `aws ec2 delete-volume --region ${scope.region} --volume-id ${v.VolumeId}   (snapshot it first if the data matters: aws ec2 create-snapshot --volume-id ${v.VolumeId})`,
        };
    };
    return {
        settling: [
            ...blocking.map((e): Leftover => ({
                kind: "network interface",
                id: e.NetworkInterfaceId,
                detail: `${e.Status}${e.Description ? `, ${e.Description}` : ""}`,
                remove: `aws ec2 delete-network-interface --region ${scope.region} --network-interface-id ${e.NetworkInterfaceId}`,
            })),
            ...volumes.filter((v) => v.State !== "available").map(volume),
        ],
        detachedVolumes: volumes.filter((v) => v.State === "available").map(volume),
    };
}

export interface WaitOptions {
    timeoutSeconds: number;
    intervalSeconds: number;
    sleep(seconds: number): Promise<void>;
    /** Seconds on a monotonic clock. */
    now(): number;
    out(text: string): void;
}

export interface WaitResult {
    done: boolean;
    remaining: Leftover[];
    /** Seconds waited. */
    waited: number;
}

/**
 * Polls `check` until it reports nothing remaining and the answer is settled (the same answer twice in a row, so a
 * resource in the middle of being deleted is not mistaken for one that stays), or until the timeout.
 */
export async function waitUntilSettled(what: string, check: () => { remaining: Leftover[]; fingerprint: string }, o: WaitOptions): Promise<WaitResult> {
    const start = o.now();
    let previous: string | undefined;
    for (;;) {
        const { remaining, fingerprint } = check();
        const waited = Math.round(o.now() - start);
        if (remaining.length === 0 && fingerprint === previous) return { done: true, remaining, waited };
        if (waited >= o.timeoutSeconds) return { done: remaining.length === 0, remaining, waited };
        if (remaining.length > 0) o.out(`  ${what}: ${remaining.length} left after ${waited} s (${remaining.map((l) => `${l.kind} ${l.detail}`).join("; ")})`);
        previous = fingerprint;
        await o.sleep(o.intervalSeconds);
    }
}
