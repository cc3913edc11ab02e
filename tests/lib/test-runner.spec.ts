/**
 * `npm test`'s runner (tests/run.ts): its closing counts read a crashed or empty run as failing, the jobs it runs
 * at a lower priority, and its temporary directory, in memory only where there is room for it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closingCounts, JOBS, scratchDirectory } from "../run";

describe("npm test's runner (tests/run.ts)", () => {
    it("counts a job by its closing line, and one that crashed or ran nothing as a failure", () => {
        assert.deepStrictEqual(closingCounts("...\n12 passed, 1 failed, 2 skipped\n", 1), { passed: 12, failed: 1, skipped: 2 });
        assert.deepStrictEqual(closingCounts("shop: 140 passed, 0 failed\n", 0), { passed: 140, failed: 0, skipped: 0 });
        assert.deepStrictEqual(closingCounts("12 passed, 0 failed, 0 skipped\n", 1), { passed: 12, failed: 1, skipped: 0 }, "a non-zero exit without a failing test");
        assert.deepStrictEqual(closingCounts("Error: cannot find module\n", 1), { passed: 0, failed: 1, skipped: 0 });
        assert.deepStrictEqual(closingCounts("0 passed, 0 failed, 0 skipped\n", 0), { passed: 0, failed: 1, skipped: 0 }, "a run of nothing");
    });

    it("runs the jobs of pure computation at a lower priority, never the unit job nor the shop's, which has timeouts", () => {
        assert.deepStrictEqual(JOBS.filter((j) => j.background).map((j) => j.name), ["typecheck", "drill"]);
    });

    it("keeps its temporary files in the system's temporary directory when the memory file system is missing", () => {
        const dir = scratchDirectory(path.join(os.tmpdir(), "no-such-memory-file-system"));
        try {
            assert.strictEqual(path.dirname(dir), os.tmpdir());
            assert.match(path.basename(dir), /^gitops-tests-/);
            assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o755, "others may pass through it (nginx's workers run as nobody)");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
