/**
 * The workload renders the plan waits for (lib/workloads.ts): each render works on its own copy of apps/workloads in
 * the temporary directory. When one fails, every other is waited for and every copy removed before the error is
 * reported: the plan exits on it (exit 2), and a copy left behind would stay in /tmp for good.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderWorkloads, WorkloadRenderError, WorkloadSource } from "../../lib/workloads";
import { WORKLOAD_NAMES } from "../../lib/catalogue";

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
