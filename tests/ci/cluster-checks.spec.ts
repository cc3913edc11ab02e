/** ci/argocd-wait.ts and ci/health-check.ts (the deploy workflow's verify job) with kubectl, HTTP and the clock faked. */
import * as assert from "assert";
import { Application, WaitDeps, assess, main as waitMain, parseWaitOptions, waitForApplications } from "../../ci/argocd-wait";
import { HealthDeps, Workload, checkHealth, parseHealthOptions, workloadReadiness } from "../../ci/health-check";

const REV = "1111111111111111111111111111111111111111";
const NEWER = "2222222222222222222222222222222222222222";

function app(name: string, sync: string, health: string, revision = REV, extra: Partial<NonNullable<Application["status"]>> = {}): Application {
    return { metadata: { name }, status: { sync: { status: sync, revision }, health: { status: health }, ...extra } };
}

/** A fake clock that advances on sleep, and a kubectl that answers from a script of snapshots (the last repeats). */
function waitDeps(snapshots: Application[][]) {
    let now = 0;
    let polls = 0;
    const lines: string[] = [];
    const refreshed: string[] = [];
    const outputs: Record<string, string> = {};
    const deps: WaitDeps = {
        list: async () => snapshots[Math.min(polls++, snapshots.length - 1)],
        refresh: async (_ns, name) => {
            refreshed.push(name);
        },
        isAtOrAfter: (expected, actual) => expected === REV && actual === NEWER,
        samePins: () => true,
        outputs: (values) => Object.assign(outputs, values),
        sleep: async (ms) => {
            now += ms;
        },
        now: () => now,
        log: (l) => lines.push(l),
    };
    return { deps, lines, refreshed, outputs, polls: () => polls, elapsed: () => now };
}

const OPTIONS = { namespace: "argocd", applications: ["root", "user-service"], revision: REV, timeoutSeconds: 60, intervalSeconds: 10 };

describe("argocd-wait (verify)", () => {
    it("asks ArgoCD to refresh each Application, then succeeds once all are Synced and Healthy at the release", async () => {
        const f = waitDeps([
            [app("root", "Synced", "Healthy"), app("user-service", "OutOfSync", "Progressing")],
            [app("root", "Synced", "Healthy"), app("user-service", "Synced", "Progressing")],
            [app("root", "Synced", "Healthy"), app("user-service", "Synced", "Healthy")],
        ]);
        assert.strictEqual(await waitForApplications(OPTIONS, f.deps), true);
        assert.deepStrictEqual(f.refreshed, ["root", "user-service"]);
        assert.strictEqual(f.polls(), 3);
        assert.match(f.lines.at(-1)!, /All 2 Applications are Synced and Healthy at 111111111111/);
    });

    it("--no-refresh only reads (the read-only identity of the verify job): no refresh is asked for", async () => {
        const f = waitDeps([[app("root", "Synced", "Healthy"), app("user-service", "Synced", "Healthy")]]);
        assert.strictEqual(await waitForApplications(parseWaitOptions(["--namespace", "argocd", "--applications", '["root","user-service"]', "--revision", REV, "--no-refresh"]), f.deps), true);
        assert.deepStrictEqual(f.refreshed, []);
        assert.strictEqual(parseWaitOptions(["--namespace", "argocd", "--applications", '["root"]']).refresh, true);
    });

    it("an Application Synced and Healthy at an older commit is not done: it must reach the release (or a later commit)", async () => {
        const old = waitDeps([[app("root", "Synced", "Healthy"), app("user-service", "Synced", "Healthy", "0000000000000000000000000000000000000000")]]);
        assert.strictEqual(await waitForApplications(OPTIONS, old.deps), false);
        assert.match(old.lines.join("\n"), /user-service: sync Synced, health Healthy, revision 000000000000 \(waiting for 111111111111\)/);
        const newer = waitDeps([[app("root", "Synced", "Healthy", NEWER), app("user-service", "Synced", "Healthy", NEWER)]]);
        assert.strictEqual(await waitForApplications(OPTIONS, newer.deps), true);
    });

    it("times out with a non-zero exit, printing each unready Application, its last sync and its failing resources", async () => {
        const degraded = app("user-service", "Synced", "Degraded", REV, {
            health: { status: "Degraded", message: "Deployment has not progressed" },
            operationState: { phase: "Failed", message: "one or more objects failed to apply" },
            conditions: [{ type: "SyncError", message: "ImagePullBackOff" }],
            resources: [
                { kind: "Service", namespace: "backend", name: "user-service", status: "Synced", health: { status: "Healthy" } },
                { kind: "Deployment", namespace: "backend", name: "user-service", status: "Synced", health: { status: "Degraded", message: "progress deadline exceeded" } },
                { kind: "ExternalSecret", namespace: "backend", name: "user-service-credentials", status: "OutOfSync" },
            ],
        });
        const f = waitDeps([[app("root", "Synced", "Healthy"), degraded]]);
        assert.strictEqual(await waitForApplications(OPTIONS, f.deps), false);
        assert.ok(f.elapsed() <= 60_000, "gives up at the timeout");
        const report = f.lines.join("\n");
        assert.match(report, /Timed out after 60s\. Not ready:/);
        assert.match(report, /health: Deployment has not progressed/);
        assert.match(report, /last sync Failed: one or more objects failed to apply/);
        assert.match(report, /SyncError: ImagePullBackOff/);
        assert.match(report, /Deployment backend\/user-service: Synced, Degraded \(progress deadline exceeded\)/);
        assert.match(report, /ExternalSecret backend\/user-service-credentials: OutOfSync/);
        assert.doesNotMatch(report, /Service backend\/user-service: Synced, Healthy/, "healthy resources are not listed");
        assert.doesNotMatch(report, /^ {2}root:/m, "ready Applications are not listed");
    });

    it("reports an Application that does not exist, and keeps polling through a failed listing", async () => {
        const f = waitDeps([[app("root", "Synced", "Healthy")]]);
        const failing = { ...f.deps, list: async () => Promise.reject(new Error("Unauthorized")) };
        assert.strictEqual(await waitForApplications(OPTIONS, failing), false);
        assert.match(f.lines.join("\n"), /listing Applications failed: Unauthorized[\s\S]*could not be listed at all/);
        assert.strictEqual(await waitForApplications(OPTIONS, f.deps), false);
        assert.match(f.lines.join("\n"), /user-service: not found/);
        assert.strictEqual(assess("x", undefined, undefined, () => false).ready, false);
    });

    it("main exits 0 / 1, and rejects a bad command line", async () => {
        const ok = waitDeps([[app("root", "Synced", "Healthy"), app("user-service", "Synced", "Healthy")]]);
        assert.strictEqual(await waitMain(["--namespace", "argocd", "--applications", '["root","user-service"]', "--timeout", "30"], ok.deps), 0);
        const bad = waitDeps([[app("root", "OutOfSync", "Healthy")]]);
        assert.strictEqual(await waitMain(["--namespace", "argocd", "--applications", '["root"]', "--timeout", "30"], bad.deps), 1);
        assert.throws(() => parseWaitOptions(["--namespace", "argocd", "--applications", "[]"]), /--applications is empty/);
        assert.throws(() => parseWaitOptions(["--namespace", "argocd", "--applications", "root"]), /JSON list of strings/);
        assert.throws(() => parseWaitOptions(["--applications", '["root"]']), /--namespace is required/);
        assert.throws(() => parseWaitOptions(["--namespace", "a", "--applications", '["r"]', "--timeout", "0"]), /--timeout must be a whole number/);
        assert.throws(() => parseWaitOptions(["--namespace", "a", "--applications", '["r"]', "--environment", "staging"]), /--environment needs --revision/);
        assert.throws(() => parseWaitOptions(["--namespace", "a", "--applications", '["r"]', "--revision", REV, "--environment", "dev"]), /allowed staging, production/);
        assert.deepStrictEqual(ok.outputs, {}, "without --environment no verified revision is said");
    });

    it("a synced commit that cannot be compared (not fetchable) is retried each poll and named when the wait gives up", async () => {
        const f = waitDeps([[app("root", "Synced", "Healthy", NEWER), app("user-service", "Synced", "Healthy", NEWER)]]);
        const failing: WaitDeps = { ...f.deps, isAtOrAfter: () => { throw new Error(`git fetch origin ${NEWER} failed: Authentication failed`); } };
        assert.strictEqual(await waitForApplications(OPTIONS, failing), false);
        const report = f.lines.join("\n");
        assert.match(report, /comparing the synced revisions with 111111111111 failed: git fetch origin 2{40} failed: Authentication failed/);
        assert.match(report, /\(the synced revisions could not be compared with the release: git fetch origin 2{40} failed/);
        assert.ok(f.polls() > 1, "retried");
    });
});

function deployment(ns: string, name: string, replicas: number, ready: number, updated = ready): Workload {
    return { kind: "Deployment", metadata: { namespace: ns, name }, spec: { replicas }, status: { readyReplicas: ready, updatedReplicas: updated, availableReplicas: ready } };
}

function healthDeps(workloads: Workload[][], answers: (number | string)[]) {
    let now = 0;
    let round = 0;
    const urls: string[] = [];
    const lines: string[] = [];
    const deps: HealthDeps = {
        listWorkloads: async () => workloads[Math.min(round, workloads.length - 1)],
        get: async (url) => {
            urls.push(url);
            return answers[Math.min(round, answers.length - 1)];
        },
        sleep: async (ms) => {
            now += ms;
            round++;
        },
        now: () => now,
        log: (l) => lines.push(l),
    };
    return { deps, urls, lines };
}

const PLATFORM_READY = [
    deployment("argocd", "argocd-server", 2, 2),
    deployment("kube-system", "coredns", 2, 2),
    { kind: "DaemonSet", metadata: { namespace: "kube-system", name: "aws-node" }, status: { desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 } },
    { kind: "StatefulSet", metadata: { namespace: "monitoring", name: "prometheus" }, spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1 } },
    deployment("backend", "user-service", 2, 0), // a workload namespace: not the platform's business
];

describe("health-check", () => {
    const base = { workloadNamespaces: ["backend", "frontend", "data"], paths: ["/healthz", "/"], timeoutSeconds: 60, intervalSeconds: 15 };

    it("passes when every platform workload is ready and the frontend answers 200 through its Ingress", async () => {
        const f = healthDeps([PLATFORM_READY], [200]);
        assert.strictEqual(await checkHealth({ ...base, frontendUrl: "https://shop.example.com/" }, f.deps), true);
        assert.deepStrictEqual(f.urls, ["https://shop.example.com/healthz", "https://shop.example.com/"]);
    });

    it("without a frontend URL (not exposed) it checks the platform only, and says so", async () => {
        const f = healthDeps([PLATFORM_READY], [500]);
        assert.strictEqual(await checkHealth({ ...base, frontendUrl: undefined }, f.deps), true);
        assert.deepStrictEqual(f.urls, []);
        assert.match(f.lines[0], /not exposed/);
    });

    it("waits for a rollout and a new load balancer, then fails at the timeout naming what is not ready", async () => {
        const rolling = healthDeps([[deployment("argocd", "argocd-server", 2, 1), ...PLATFORM_READY.slice(1)], PLATFORM_READY], ["getaddrinfo ENOTFOUND shop.example.com", 200]);
        assert.strictEqual(await checkHealth({ ...base, frontendUrl: "https://shop.example.com" }, rolling.deps), true);

        const broken = healthDeps([[deployment("argocd", "argocd-server", 2, 1), ...PLATFORM_READY.slice(1)]], [503]);
        assert.strictEqual(await checkHealth({ ...base, frontendUrl: "https://shop.example.com" }, broken.deps), false);
        const report = broken.lines.join("\n");
        assert.match(report, /Not healthy after 60s/);
        assert.match(report, /Deployment argocd\/argocd-server: 1\/2 ready/);
        assert.match(report, /GET https:\/\/shop\.example\.com\/healthz: HTTP 503/);
        assert.doesNotMatch(report, /backend\/user-service/);
    });

    it("an empty cluster is not healthy", async () => {
        const f = healthDeps([[]], [200]);
        assert.strictEqual(await checkHealth({ ...base, frontendUrl: undefined, timeoutSeconds: 10 }, f.deps), false);
        assert.match(f.lines.join("\n"), /no platform workload found/);
    });

    it("readiness per kind: replicas ready and updated; a DaemonSet on every node", () => {
        assert.strictEqual(workloadReadiness(deployment("a", "d", 2, 2, 1)).ready, false, "an old ReplicaSet still serves");
        assert.strictEqual(workloadReadiness(deployment("a", "d", 0, 0)).ready, true, "scaled to zero");
        assert.strictEqual(workloadReadiness({ kind: "DaemonSet", metadata: { namespace: "a", name: "x" }, status: { desiredNumberScheduled: 3, numberReady: 2 } }).ready, false);
        assert.strictEqual(workloadReadiness({ kind: "StatefulSet", metadata: { namespace: "a", name: "x" }, spec: { replicas: 2 }, status: { readyReplicas: 2, updatedReplicas: 2 } }).ready, true);
    });

    it("parses its command line and rejects bad values", () => {
        const o = parseHealthOptions(["--workload-namespaces", '["backend"]', "--frontend-url", ""]);
        assert.strictEqual(o.frontendUrl, undefined);
        assert.deepStrictEqual(o.paths, ["/healthz", "/"]);
        assert.throws(() => parseHealthOptions(["--workload-namespaces", '["b"]', "--frontend-url", "shop.example.com"]), /http\(s\) URL/);
        assert.throws(() => parseHealthOptions([]), /--workload-namespaces is required/);
    });
});
