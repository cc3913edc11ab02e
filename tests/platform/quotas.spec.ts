/** platform/cluster/quotas.ts: workload namespaces sized from the catalogue, on hand-made workloads with hand-checked figures. */
import * as assert from "assert";
import { podAmount, QUOTA_HEADROOM, workloadNamespaceLimits } from "../../platform/cluster/quotas";
import { ContainerSizing, Sizing, Workload, workloadsIn } from "../../lib/catalogue";

const c = (cpu: string, memory: string, limitCpu: string, limitMemory: string, init?: true): ContainerSizing => ({ requests: { cpu, memory }, limits: { cpu: limitCpu, memory: limitMemory }, ...(init ? { init } : {}) });
const sizing = (min: number, max: number, containers: Record<string, ContainerSizing>, volume?: string): Sizing => ({ replicas: { min, max }, containers, ...(volume ? { volume } : {}) });
const workload = (name: string, controller: Workload["controller"], staging: Sizing): Workload =>
    ({ name, tier: "backend", requires: [], secrets: [], port: 5000, controller, sizing: { staging, production: staging } }) as unknown as Workload;

describe("workload namespace quotas (platform/cluster/quotas.ts)", () => {
    it("a pod reserves the larger of its biggest init container and the sum of its containers (Kubernetes' rule)", () => {
        const s = sizing(1, 1, { migrate: c("300m", "48Mi", "1", "96Mi", true), app: c("100m", "96Mi", "200m", "192Mi"), sidecar: c("50m", "16Mi", "100m", "32Mi") });
        assert.deepStrictEqual(podAmount(s, "requests"), { cpu: 300, memory: 112 });
        assert.deepStrictEqual(podAmount(s, "limits"), { cpu: 1000, memory: 224 });
    });

    it("Deployments at their maximum plus one surge pod, StatefulSets at their replicas, with 25 % headroom rounded up", () => {
        assert.strictEqual(QUOTA_HEADROOM, 1.25);
        const api = workload("api", "Deployment", sizing(1, 2, { migrate: c("20m", "48Mi", "200m", "96Mi", true), app: c("40m", "96Mi", "200m", "192Mi") }));
        const db = workload("db", "StatefulSet", sizing(1, 1, { db: c("100m", "256Mi", "500m", "512Mi") }, "5Gi"));
        const { quota, max } = workloadNamespaceLimits("any", "staging", [api, db]);
        // 3 x 96Mi + 256Mi = 544Mi x 1.25 = 680Mi -> 704Mi (64Mi steps); 3 x 40m + 100m = 220m x 1.25 = 275m -> 300m (50m steps).
        assert.strictEqual(quota["requests.memory"], "704Mi");
        assert.strictEqual(quota["requests.cpu"], "300m");
        // 3 x 192Mi + 512Mi = 1088Mi x 1.25 = 1360Mi -> 1408Mi; 3 x 200m + 500m = 1100m x 1.25 = 1375m -> 1400m.
        assert.strictEqual(quota["limits.memory"], "1408Mi");
        assert.strictEqual(quota["limits.cpu"], "1400m");
        assert.strictEqual(quota.pods, "5", "4 pods x 1.25");
        assert.strictEqual(quota.persistentvolumeclaims, "1");
        assert.strictEqual(quota["requests.storage"], "5Gi");
        assert.strictEqual(quota["services.loadbalancers"], "0");
        // The largest container limit (the db's) is above staging's defaults (250m / 256Mi): it bounds the namespace.
        assert.deepStrictEqual(max, { cpu: "500m", memory: "512Mi" });
    });

    it("grows with the workloads: a bigger maximum raises the quota", () => {
        const small = workloadNamespaceLimits("any", "staging", [workload("api", "Deployment", sizing(1, 2, { app: c("40m", "96Mi", "200m", "192Mi") }))]);
        const large = workloadNamespaceLimits("any", "staging", [workload("api", "Deployment", sizing(1, 10, { app: c("40m", "96Mi", "200m", "192Mi") }))]);
        assert.ok(Number(large.quota.pods) > Number(small.quota.pods));
        assert.ok(parseInt(large.quota["requests.memory"]) > parseInt(small.quota["requests.memory"]));
    });

    it("a namespace without workloads gets room for two default containers, no volume", () => {
        const { quota } = workloadNamespaceLimits("reports", "staging", []);
        assert.strictEqual(quota["requests.memory"], "192Mi", "2 x 64Mi x 1.25 = 160Mi -> 192Mi");
        assert.strictEqual(quota.persistentvolumeclaims, "0");
    });

    it("reads the catalogue by default: the namespace's own workloads only", () => {
        for (const ns of ["data", "backend", "frontend"]) {
            assert.ok(workloadsIn(ns).length > 0, ns);
            assert.deepStrictEqual(workloadNamespaceLimits(ns, "production"), workloadNamespaceLimits(ns, "production", workloadsIn(ns)));
        }
    });
});
