/**
 * Does the environment fit its nodes? The sum of every pod's requests (the EKS add-ons' daemonsets on each node and
 * their controllers, the platform's Helm releases, the workloads rendered from Git) against the allocatable memory
 * and CPU of the node groups infra creates (lib/instance-types: AL2023 kube-reserved and eviction threshold).
 * Staging runs on free-tier t3.small nodes, so this is what keeps a new request from leaving pods Pending.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../lib/environment";
import { allocatableCpuMillis, allocatableMemoryMiB, INSTANCE_TYPES } from "../lib/instance-types";
import { kustomizeBuild } from "./apps/kustomize";
import { cpuMillis, memoryMiB } from "./apps/checks";
import { environmentGraph, EnvironmentRun } from "../lib/offline";
import { platformRequests, quantity, Requests } from "./platform/helpers";

/**
 * Requests of what the EKS managed add-ons run, from their default manifests and charts (this repository does not
 * set them; estimates checked 2026-11): per node, aws-node 25m, kube-proxy 100m, ebs-csi-node 3 containers of
 * 10m/40Mi, the CloudWatch agent 250m/128Mi and Fluent Bit 50m/25Mi; per replica, CoreDNS 100m/70Mi, the EBS CSI
 * controller 6 containers of 10m/40Mi, and the CloudWatch operator 100m/64Mi (one replica).
 */
const ADDON_DAEMONSETS_PER_NODE: Requests = { cpu: 25 + 100 + 30 + 250 + 50, memory: 120 + 128 + 25 };
const COREDNS_AND_EBS_PER_REPLICA: Requests = { cpu: 100 + 60, memory: 70 + 240 };
const CLOUDWATCH_OPERATOR: Requests = { cpu: 100, memory: 64 };

/** Headroom kept free at the desired size: a rolling update's surge and request drift. */
const HEADROOM = 0.85;

interface Workload {
    name: string;
    perPod: Requests;
    minReplicas: number;
    maxReplicas: number;
}

async function workloads(env: string): Promise<Workload[]> {
    const root = path.join(REPO_ROOT, "apps", "workloads");
    const objects = (await Promise.all(fs.readdirSync(root).map((w) => kustomizeBuild(path.join(root, w, "overlays", env))))).flat();
    const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
    return objects
        .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
        .map((o) => {
            const containers = [...(o.spec.template.spec.initContainers ?? []).filter((c: any) => c.restartPolicy === "Always"), ...o.spec.template.spec.containers];
            const perPod = containers.reduce(
                (sum: Requests, c: any) => ({ cpu: sum.cpu + cpuMillis(c.resources.requests.cpu), memory: sum.memory + memoryMiB(c.resources.requests.memory) }),
                { cpu: 0, memory: 0 },
            );
            const hpa = hpas.find((h) => h.metadata.namespace === o.metadata.namespace && h.spec.scaleTargetRef.name === o.metadata.name);
            const replicas = o.spec.replicas ?? 1;
            return { name: o.metadata.name, perPod, minReplicas: hpa?.spec.minReplicas ?? replicas, maxReplicas: hpa?.spec.maxReplicas ?? replicas };
        });
}

function nodeExporterPerNode(graph: EnvironmentRun): Requests {
    const stack = graph.platform!.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "kube-prometheus-stack")!;
    const r = stack.inputs.values["prometheus-node-exporter"].resources.requests;
    return { cpu: quantity(r.cpu), memory: quantity(r.memory) };
}

for (const env of ["staging", "production"] as const) {
    describe(`capacity (${env}): every pod's requests fit the node groups`, () => {
        let graph: EnvironmentRun;
        let apps: Workload[];
        let nodeType: string;
        let perNode: { allocatable: Requests; daemonsets: Requests };
        let nodes: { min: number; desired: number; max: number };
        let fixed: Requests;

        before(async () => {
            graph = await environmentGraph(env);
            apps = await workloads(env);
            const groups = graph.infra.ofType("aws:eks/nodeGroup:NodeGroup");
            nodeType = groups[0].inputs.instanceTypes[0];
            const sum = (k: "minSize" | "desiredSize" | "maxSize") => groups.reduce((n, g) => n + g.inputs.scalingConfig[k], 0);
            nodes = { min: sum("minSize"), desired: sum("desiredSize"), max: sum("maxSize") };
            const spec = INSTANCE_TYPES[nodeType];
            const exporter = nodeExporterPerNode(graph);
            perNode = {
                allocatable: { cpu: allocatableCpuMillis(spec), memory: allocatableMemoryMiB(spec) },
                daemonsets: { cpu: ADDON_DAEMONSETS_PER_NODE.cpu + exporter.cpu, memory: ADDON_DAEMONSETS_PER_NODE.memory + exporter.memory },
            };
            const replicas = env === "production" ? 2 : 1;
            const platform = platformRequests(graph.platform!);
            fixed = {
                cpu: platform.cpu + replicas * COREDNS_AND_EBS_PER_REPLICA.cpu + CLOUDWATCH_OPERATOR.cpu,
                memory: platform.memory + replicas * COREDNS_AND_EBS_PER_REPLICA.memory + CLOUDWATCH_OPERATOR.memory,
            };
        });

        const demand = (count: number, scale: "minReplicas" | "maxReplicas"): Requests => ({
            cpu: fixed.cpu + count * perNode.daemonsets.cpu + apps.reduce((n, w) => n + w[scale] * w.perPod.cpu, 0),
            memory: fixed.memory + count * perNode.daemonsets.memory + apps.reduce((n, w) => n + w[scale] * w.perPod.memory, 0),
        });
        const supply = (count: number): Requests => ({ cpu: count * perNode.allocatable.cpu, memory: count * perNode.allocatable.memory });

        it("the six workloads are counted", () => {
            assert.deepStrictEqual(apps.map((w) => w.name).sort(), ["frontend", "mysql", "order-service", "product-service", "redis", "user-service"]);
        });

        it("at the desired size, everything fits with 15 % to spare", () => {
            const need = demand(nodes.desired, "minReplicas");
            const have = supply(nodes.desired);
            assert.ok(need.memory <= HEADROOM * have.memory, `memory: ${need.memory.toFixed(0)} MiB requested of ${have.memory} MiB on ${nodes.desired} x ${nodeType}`);
            assert.ok(need.cpu <= HEADROOM * have.cpu, `cpu: ${need.cpu}m requested of ${have.cpu}m on ${nodes.desired} x ${nodeType}`);
        });

        it("at the maximum size, the workloads fit at their autoscalers' maximum", () => {
            const need = demand(nodes.max, "maxReplicas");
            const have = supply(nodes.max);
            assert.ok(need.memory <= have.memory, `memory: ${need.memory.toFixed(0)} MiB of ${have.memory} MiB on ${nodes.max} x ${nodeType}`);
            assert.ok(need.cpu <= have.cpu, `cpu: ${need.cpu}m of ${have.cpu}m on ${nodes.max} x ${nodeType}`);
        });

        it("the minimum size is a floor the autoscaler may reach only when pods allow it, not a size everything fits in", () => {
            // Documented behaviour, checked so the numbers in the README stay true: the autoscaler removes a node
            // only when its pods fit elsewhere, so a minimum below the demand is safe, and cheaper when idle.
            assert.ok(nodes.min <= nodes.desired && nodes.desired <= nodes.max);
            const perNodeFree = perNode.allocatable.memory - perNode.daemonsets.memory;
            assert.ok(perNodeFree > 0.5 * perNode.allocatable.memory, `daemonsets take ${perNode.daemonsets.memory} MiB of ${perNode.allocatable.memory} MiB per node`);
        });
    });
}
