/**
 * The workload renders the plan waits for (lib/workloads.ts): each render works on its own copy of apps/workloads in
 * the temporary directory. When one fails, every other is waited for and every copy removed before the error is
 * reported: the plan exits on it (exit 2), and a copy left behind would stay in /tmp for good.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { WORKLOAD_NAMES } from "../../lib/catalogue";
import { ENVIRONMENTS, REPO_ROOT } from "../../lib/environment";
import { environmentGraph } from "../../lib/offline";
import { applicationSources, kustomizeInvocations, RenderedObject, renderWorkloads, WorkloadRenderError, WorkloadSource } from "../../lib/workloads";

describe("workload renders (lib/workloads.ts)", () => {
    it("one Application that cannot render: the error names it, once every other render ended and every copy is gone", async () => {
        // Renders in a temporary directory of their own, so the suites running beside this one do not count.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "renders-"));
        const previous = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        try {
            // The missing overlay fails at once, while kubectl still renders the others from their copies.
            const sources: WorkloadSource[] = [
                { application: "ghost", path: "apps/workloads/ghost/overlays/staging", kustomize: {} },
                ...WORKLOAD_NAMES.slice(0, 2).map((w) => ({ application: w, path: `apps/workloads/${w}/overlays/staging`, kustomize: {} })),
            ];
            await assert.rejects(renderWorkloads(sources), (e: Error) => {
                assert.ok(e instanceof WorkloadRenderError);
                assert.strictEqual(e.message, "Application ghost: apps/workloads/ghost/overlays/staging does not exist");
                assert.deepStrictEqual(fs.readdirSync(tmp), [], "no copy of apps/workloads is left when the error is reported");
                return true;
            });
        } finally {
            if (previous === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = previous;
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

describe("workload renders together (lib/workloads.ts)", () => {
    // A cache of its own: what this suite renders is rendered here, not read from an earlier run.
    let cache: string;
    let previous: string | undefined;
    before(() => {
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "render-cache-"));
        previous = process.env.GITOPS_CACHE_DIR;
        process.env.GITOPS_CACHE_DIR = cache;
    });
    after(() => {
        if (previous === undefined) delete process.env.GITOPS_CACHE_DIR;
        else process.env.GITOPS_CACHE_DIR = previous;
        fs.rmSync(cache, { recursive: true, force: true });
    });

    /** apps/workloads of this checkout in a directory of its own; `marker` makes its content (the renders' key) its own. */
    function copyOfWorkloads(marker: string): string {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "renders-"));
        fs.cpSync(path.join(REPO_ROOT, "apps", "workloads"), path.join(root, "apps", "workloads"), { recursive: true });
        fs.writeFileSync(path.join(root, "apps", "workloads", "MARKER"), marker);
        return root;
    }

    for (const env of ENVIRONMENTS) {
        it(`${env}: every Application's overlay in one kubectl invocation, each object and its file as when its overlay is rendered alone`, async () => {
            const graph = await environmentGraph(env);
            const sources = applicationSources(graph.apps!.resources);
            assert.strictEqual(new Set(sources.map((s) => s.path.split("/")[2])).size, sources.length, "one Application per workload");
            const [together, alone] = [copyOfWorkloads(`together ${env}`), copyOfWorkloads(`alone ${env}`)];
            try {
                const before = kustomizeInvocations();
                const batched = await renderWorkloads(sources, { root: together });
                assert.strictEqual(kustomizeInvocations() - before, 1, "one kubectl invocation");
                // One after the other: calls side by side would be rendered together too.
                const each: RenderedObject[] = [];
                for (const s of sources) each.push(...(await renderWorkloads([s], { root: alone })));
                assert.strictEqual(kustomizeInvocations() - before, 1 + sources.length);
                assert.ok(batched.length > sources.length * 3);
                assert.deepStrictEqual(batched, each);
                // Kept: the same tree renders again without kubectl.
                await renderWorkloads(sources, { root: together });
                assert.strictEqual(kustomizeInvocations() - before, 1 + sources.length);
            } finally {
                fs.rmSync(together, { recursive: true, force: true });
                fs.rmSync(alone, { recursive: true, force: true });
            }
        });
    }

    it("two Applications of one workload, and an overlay that fails with others: each rendered alone, the error naming its Application", async () => {
        const root = copyOfWorkloads("two of one workload");
        try {
            const frontend = "apps/workloads/frontend/overlays/staging";
            const sources: WorkloadSource[] = [
                { application: "frontend", path: frontend, kustomize: {} },
                { application: "frontend-public", path: frontend, kustomize: { components: ["../../components/ingress"] } },
                { application: "redis", path: "apps/workloads/redis/overlays/staging", kustomize: {} },
            ];
            const rendered = await renderWorkloads(sources, { root });
            assert.deepStrictEqual([...new Set(rendered.filter((r) => r.object.kind === "Ingress").map((r) => r.application))], ["frontend-public"]);
            assert.ok(rendered.some((r) => r.application === "frontend" && r.object.kind === "Deployment"));
            assert.ok(rendered.some((r) => r.application === "redis" && r.object.kind === "StatefulSet"));
            const file = path.join(root, "apps/workloads/redis/overlays/staging/kustomization.yaml");
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("../../base", "../../basis"));
            await assert.rejects(renderWorkloads([sources[0], { ...sources[2], application: "cache" }], { root }), /^WorkloadRenderError: Application cache: kubectl kustomize apps\/workloads\/redis\/overlays\/staging failed: .*basis/s);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("an overlay that reads another workload's folder is rendered alone: each object stays with its Application", async () => {
        const root = copyOfWorkloads("reads another workload");
        try {
            const overlay = "apps/workloads/redis/overlays/cache";
            fs.mkdirSync(path.join(root, overlay), { recursive: true });
            fs.writeFileSync(path.join(root, overlay, "kustomization.yaml"), "namePrefix: cache-\nresources:\n  - ../../../mysql/base\n");
            const sources: WorkloadSource[] = [
                { application: "cache", path: overlay, kustomize: {} },
                { application: "mysql", path: "apps/workloads/mysql/overlays/staging", kustomize: {} },
            ];
            const rendered = await renderWorkloads(sources, { root });
            const names = (application: string) => rendered.filter((r) => r.application === application).map((r) => `${r.object.kind}/${r.object.metadata.name}`);
            assert.ok(names("cache").length > 0 && names("cache").every((n) => n.includes("/cache-")), names("cache").join(", "));
            assert.ok(names("mysql").length > 0 && names("mysql").every((n) => !n.includes("/cache-")), names("mysql").join(", "));
            assert.ok(rendered.filter((r) => r.application === "cache").every((r) => r.file.startsWith("apps/workloads/mysql/base/")));
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("renders the tree as it was when asked: a change made while kubectl runs is neither in the result nor kept for it", async () => {
        const root = copyOfWorkloads("changed while rendering");
        try {
            const sources: WorkloadSource[] = ["mysql", "redis"].map((w) => ({ application: w, path: `apps/workloads/${w}/overlays/staging`, kustomize: {} }));
            const file = path.join(root, "apps/workloads/redis/overlays/staging/kustomization.yaml");
            const original = fs.readFileSync(file, "utf8");
            const pending = renderWorkloads(sources, { root });
            fs.writeFileSync(file, `${original}\nnamePrefix: changed-\n`);
            const asked = await pending;
            fs.writeFileSync(file, original);
            const again = await renderWorkloads(sources, { root });
            assert.ok(asked.every((r) => !r.object.metadata.name.startsWith("changed-")));
            assert.deepStrictEqual(again, asked);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
