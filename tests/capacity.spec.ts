/**
 * Does the environment fit its nodes? The plan's capacity model (tools/capacity.ts) over both environments' whole
 * graphs and their workloads as ArgoCD renders them, and the model's arithmetic on hand-made demands: the failures
 * and warnings a user relies on.
 */
import * as assert from "assert";
import { ADDON_NAMES as EKS_ADDONS } from "../infra/versions";
import { allocatableCpuMillis, allocatableMemoryMiB, INSTANCE_TYPES } from "../lib/instance-types";
import { environmentGraph, EnvironmentRun, runEnvironment } from "../lib/offline";
import { applicationSources, KubeObject, renderWorkloads } from "../lib/workloads";
import { ADDON_NAMES as CHARTS } from "../platform/charts";
import { checkCapacity, Demand, environmentCapacity, HEADROOM_TARGET, NodePool, podRequests, workloadDemand } from "../tools/capacity";

async function rendered(graph: EnvironmentRun): Promise<KubeObject[]> {
    return (await renderWorkloads(applicationSources(graph.apps!.resources))).map((r) => r.object);
}

for (const env of ["staging", "production"] as const) {
    describe(`capacity (${env}): every pod's requests against the node groups`, () => {
        let graph: EnvironmentRun;
        let report: NonNullable<ReturnType<typeof environmentCapacity>>;
        before(async () => {
            graph = await environmentGraph(env);
            report = environmentCapacity(graph.resources, await rendered(graph))!;
        });

        it("counts every EKS add-on, every platform release and every workload the Applications deploy", () => {
            const sources = [...report.demand.fixed, ...report.demand.perNode, ...report.demand.scaled].map((g) => g.source);
            for (const addon of EKS_ADDONS) assert.ok(sources.includes(`EKS add-on ${addon}`), addon);
            for (const chart of CHARTS) assert.ok(sources.some((s) => s.startsWith(`${chart}: `)), chart);
            const workloads = graph.apps!.ofType("kubernetes:argoproj.io/v1alpha1:Application").map((a) => a.inputs.metadata.name);
            for (const w of workloads) assert.ok(report.demand.scaled.some((s) => s.source.endsWith(`/${w}`)), `workload ${w}`);
            assert.deepStrictEqual(report.demand.unset, [], "every container sets its requests");
        });

        it("the node pool is infra's node groups: their first instance type and summed sizes", () => {
            const groups = graph.infra.ofType("aws:eks/nodeGroup:NodeGroup");
            const spec = INSTANCE_TYPES[groups[0].inputs.instanceTypes[0]];
            assert.strictEqual(report.pool.desired, groups.reduce((n, g) => n + g.inputs.scalingConfig.desiredSize, 0));
            assert.deepStrictEqual(report.pool.allocatable, { cpu: allocatableCpuMillis(spec), memory: allocatableMemoryMiB(spec) });
        });

        it(`at the desired size, everything fits with ${HEADROOM_TARGET * 100} % to spare; at the maximum size, the autoscalers' maximum fits`, () => {
            assert.deepStrictEqual(report.failures, []);
            assert.deepStrictEqual(report.warnings, []);
            assert.ok(report.minimum.fits && report.maximum.fits);
            assert.ok(Math.min(report.minimum.headroom.memory, report.minimum.headroom.cpu) >= HEADROOM_TARGET, JSON.stringify(report.minimum));
            assert.ok(report.minimum.nodesNeeded! <= report.pool.desired);
        });
    });
}

describe("capacity: configurations that do not fit", () => {
    it("the README's t3.micro example fails at the minimum, naming the shortfall, the nodes it needs and the pods too large for the type", async () => {
        const graph = await runEnvironment("staging", {
            config: { "infra:nodeGroup": { instanceTypes: ["t3.micro"], minSize: 1, desiredSize: 3, maxSize: 4 }, "infra:nodeAvailabilityZoneCount": 2 },
        });
        const report = environmentCapacity(graph.resources, await rendered(graph))!;
        assert.strictEqual(report.pool.desired, 6);
        assert.ok(!report.minimum.fits);
        const allocatable = 6 * allocatableMemoryMiB(INSTANCE_TYPES["t3.micro"]);
        assert.match(report.failures.join("\n"), new RegExp(`do not fit the desired 6 x t3\\.micro: memory \\d+ MiB requested of ${allocatable} MiB allocatable \\(short by \\d+ MiB\\): it needs \\d+ nodes`));
        assert.match(report.failures.join("\n"), /pods larger than what a t3\.micro node has left after its daemonsets .* never schedule: .*kube-prometheus-stack: prometheus/);
        assert.match(report.warnings.join("\n"), /at the autoscalers' maximum, the pods do not fit the maximum 8 x t3\.micro/);
    });
});

describe("capacity model: the arithmetic, on hand-made demands", () => {
    // 1000m and 1000 MiB allocatable per node keep every figure checkable by hand.
    const pool = (desired: number, maxNodes: number): NodePool => ({ instanceType: "test.node", min: 1, desired, max: maxNodes, allocatable: { cpu: 1000, memory: 1000 } });
    const demand = (over: Partial<Demand>): Demand => ({ fixed: [], perNode: [], scaled: [], unset: [], ...over });
    const daemon = { source: "daemon", perPod: { cpu: 100, memory: 100 }, replicas: 1 };

    it("daemonsets count on every node; the minimum uses the autoscalers' minimum, the maximum their maximum", () => {
        const d = demand({ fixed: [{ source: "ctl", perPod: { cpu: 200, memory: 300 }, replicas: 2 }], perNode: [daemon], scaled: [{ source: "web", perPod: { cpu: 100, memory: 200 }, minReplicas: 1, maxReplicas: 5 }] });
        const r = checkCapacity(d, pool(2, 3));
        // minimum: 2 x 300 + 2 nodes x 100 + 1 x 200 = 1000 MiB of 2000; cpu 400 + 200 + 100 = 700m of 2000m
        assert.deepStrictEqual(r.minimum.requested, { cpu: 700, memory: 1000 });
        assert.strictEqual(r.minimum.headroom.memory, 0.5);
        // maximum: 600 + 3 x 100 + 5 x 200 = 1900 MiB of 3000
        assert.deepStrictEqual(r.maximum.requested, { cpu: 1200, memory: 1900 });
        assert.deepStrictEqual([r.failures, r.warnings], [[], []]);
    });

    it("not fitting at the minimum is a failure with the shortfall and the nodes needed", () => {
        const d = demand({ fixed: [{ source: "ctl", perPod: { cpu: 100, memory: 700 }, replicas: 2 }], perNode: [daemon] });
        const r = checkCapacity(d, pool(1, 4));
        // 1400 + 100 = 1500 MiB on 1 node (1000): short by 500; 2 nodes: 1600 of 2000 fit
        assert.deepStrictEqual(r.failures, [
            "at the autoscalers' minimum, the pods do not fit the desired 1 x test.node: memory 1500 MiB requested of 1000 MiB allocatable (short by 500 MiB): it needs 2 nodes; raise infra:nodeGroup (sizes per node AZ) or a larger instance type",
        ]);
        assert.strictEqual(r.minimum.nodesNeeded, 2);
    });

    it("not fitting at the maximum is a warning only; little headroom at the minimum warns too", () => {
        const d = demand({ perNode: [daemon], scaled: [{ source: "web", perPod: { cpu: 100, memory: 450 }, minReplicas: 1, maxReplicas: 10 }] });
        const r = checkCapacity(d, pool(1, 2));
        assert.deepStrictEqual(r.failures, []);
        // minimum: 100 + 450 = 550 of 1000 (45 % free); maximum: 2 x 100 + 10 x 450 = 4700 of 2000
        assert.deepStrictEqual(r.warnings, [
            "at the autoscalers' maximum, the pods do not fit the maximum 2 x test.node: memory 4700 MiB requested of 2000 MiB allocatable (short by 2700 MiB); pods would stay Pending at peak (raise maxSize in infra:nodeGroup (sizes per node AZ) or a larger instance type)",
        ]);
        const tight = checkCapacity(demand({ perNode: [daemon], scaled: [{ source: "web", perPod: { cpu: 100, memory: 800 }, minReplicas: 1, maxReplicas: 1 }] }), pool(1, 1));
        assert.match(tight.warnings[0], /keep 10 % of memory and 80 % of CPU free, under 15 %/);
    });

    it("a pod larger than a node's room after its daemonsets never schedules, whatever the node count", () => {
        const r = checkCapacity(demand({ perNode: [daemon], scaled: [{ source: "db", perPod: { cpu: 100, memory: 950 }, minReplicas: 1, maxReplicas: 1 }] }), pool(5, 5));
        assert.ok(r.minimum.fits, "the sum fits");
        assert.match(r.failures[0], /pods larger than what a test\.node node has left after its daemonsets \(900 MiB, 900m\) never schedule: db \(950 MiB, 100m per pod\)/);
    });

    it("a pod's requests: app containers plus native sidecars, or the largest init container plus the sidecars before it", () => {
        const c = (name: string, cpu: string, memory: string, restartPolicy?: string) => ({ name, resources: { requests: { cpu, memory } }, ...(restartPolicy ? { restartPolicy } : {}) });
        const spec = { initContainers: [c("sidecar", "50m", "64Mi", "Always"), c("migrate", "1", "1Gi")], containers: [c("app", "250m", "256Mi"), c("proxy", "0.1", "32Mi")] };
        // apps: 50 + 250 + 100 = 400m, 64 + 256 + 32 = 352 MiB; init: migrate + sidecar = 1050m, 1088 MiB
        assert.deepStrictEqual(podRequests(spec, "pod", []), { cpu: 1050, memory: 1088 });
    });

    it("containers without requests: the limit, else the namespace's LimitRange default, else zero with a warning", () => {
        const deployment = (ns: string, resources: object) => ({ kind: "Deployment", metadata: { name: "d", namespace: ns }, spec: { replicas: 2, template: { spec: { containers: [{ name: "c", resources }] } } } });
        const limitRange = { kind: "LimitRange", metadata: { namespace: "ranged" }, spec: { limits: [{ type: "Container", defaultRequest: { cpu: "50m", memory: "64Mi" } }] } };
        const hpa = { kind: "HorizontalPodAutoscaler", metadata: { name: "d", namespace: "limited" }, spec: { scaleTargetRef: { kind: "Deployment", name: "d" }, minReplicas: 3, maxReplicas: 7 } };
        const d = workloadDemand([deployment("limited", { limits: { cpu: "200m", memory: "128Mi" } }), deployment("ranged", {}), deployment("bare", {}), hpa], [limitRange]);
        assert.deepStrictEqual(
            d.scaled.map((s) => [s.source, s.perPod, s.minReplicas, s.maxReplicas]),
            [
                ["deployment limited/d", { cpu: 200, memory: 128 }, 3, 7],
                ["deployment ranged/d", { cpu: 50, memory: 64 }, 2, 2],
                ["deployment bare/d", { cpu: 0, memory: 0 }, 2, 2],
            ],
        );
        assert.deepStrictEqual(d.unset, ["deployment bare/d: c"]);
        assert.match(checkCapacity(d, pool(1, 1)).warnings.join("\n"), /deployment bare\/d: c sets no CPU or memory request: counted as zero/);
    });
});
