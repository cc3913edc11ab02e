/** platform/cluster/quotas.ts: workload namespaces sized from the catalogue, on hand-checked figures. */
import * as assert from "assert";
import { podAmount, QUOTA_HEADROOM, workloadNamespaceLimits } from "../../platform/cluster/quotas";
import { Sizing, WORKLOADS } from "../../lib/catalogue";

describe("workload namespace quotas (from lib/catalogue.ts)", () => {
    it("a pod reserves the larger of its biggest init container and the sum of its containers (Kubernetes' rule)", () => {
        const sizing: Sizing = {
            replicas: { min: 1, max: 1 },
            containers: {
                migrate: { init: true, requests: { cpu: "300m", memory: "48Mi" }, limits: { cpu: "1", memory: "96Mi" } },
                app: { requests: { cpu: "100m", memory: "96Mi" }, limits: { cpu: "200m", memory: "192Mi" } },
                sidecar: { requests: { cpu: "50m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
            },
        };
        assert.deepStrictEqual(podAmount(sizing, "requests"), { cpu: 300, memory: 112 });
        assert.deepStrictEqual(podAmount(sizing, "limits"), { cpu: 1000, memory: 224 });
    });

    it("staging backend: three services at 2 pods + 1 surge, 96Mi/40m each (the migration is smaller), with 25 % headroom", () => {
        const { quota, max } = workloadNamespaceLimits("backend", "staging");
        assert.strictEqual(QUOTA_HEADROOM, 1.25);
        // 3 services x 3 pods x 96Mi = 864Mi x 1.25 = 1080Mi -> 1088Mi (64Mi steps); 9 x 40m = 360m x 1.25 = 450m.
        assert.strictEqual(quota["requests.memory"], "1088Mi");
        assert.strictEqual(quota["requests.cpu"], "450m");
        // 9 x 192Mi = 1728Mi x 1.25 = 2160Mi -> 2176Mi; 9 x 200m = 1800m x 1.25 = 2250m.
        assert.strictEqual(quota["limits.memory"], "2176Mi");
        assert.strictEqual(quota["limits.cpu"], "2250m");
        assert.strictEqual(quota.pods, "12");
        assert.strictEqual(quota.persistentvolumeclaims, "0", "no workload of backend claims a volume");
        // The largest container limit of the namespace is below the defaults: the defaults bound it.
        assert.deepStrictEqual(max, { cpu: "250m", memory: "256Mi" });
    });

    it("production data: the StatefulSets' volumes and their largest container", () => {
        const { quota, max } = workloadNamespaceLimits("data", "production");
        assert.strictEqual(quota.persistentvolumeclaims, "2");
        assert.strictEqual(quota["requests.storage"], "25Gi", "20Gi MySQL + 5Gi Redis");
        assert.deepStrictEqual(max, { cpu: "1000m", memory: "1536Mi" }, "MySQL's limits");
    });

    it("grows with the catalogue: a bigger maximum in one service raises its namespace only", () => {
        const service = WORKLOADS["user-service"];
        const before = { backend: workloadNamespaceLimits("backend", "production"), data: workloadNamespaceLimits("data", "production") };
        const original = service.sizing;
        try {
            (service as { sizing: typeof original }).sizing = { ...original, production: { ...original.production, replicas: { min: 2, max: 10 } } };
            assert.ok(Number(workloadNamespaceLimits("backend", "production").quota.pods) > Number(before.backend.quota.pods));
            assert.deepStrictEqual(workloadNamespaceLimits("data", "production"), before.data);
        } finally {
            (service as { sizing: typeof original }).sizing = original;
        }
    });

    it("a namespace without catalogue workloads gets room for two default containers, no volume", () => {
        const { quota } = workloadNamespaceLimits("reports", "staging");
        assert.strictEqual(quota["requests.memory"], "192Mi", "2 x 64Mi x 1.25 = 160Mi -> 192Mi");
        assert.strictEqual(quota.persistentvolumeclaims, "0");
    });
});
