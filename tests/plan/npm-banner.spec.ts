/**
 * `npm run plan -- staging --json | jq` fails: npm prints its run-script banner on stdout before the plan (npm 11,
 * unless -s or npm's own --json). npm has no setting that keeps it off stdout for one script, so the plan documents
 * -s and --out and, when it sees the banner went to a pipe, says so on stderr. (Not in the extension drill's suites:
 * one cold start is enough.)
 */
import * as assert from "assert";
import { execFile } from "child_process";
import { REPO_ROOT } from "../../lib/environment";
import { NPM_BANNER_HINT, npmBannerOnStdout, USAGE } from "../../tools/plan";
import { withoutNpmSettings } from "./fixture";

describe("the plan under npm without -s", () => {
    it("npm's banner comes first on stdout, the document after it, and the plan says on stderr how to get the document alone", function (done) {
        this.timeout(120000);
        execFile("npm", ["run", "plan", "--", "staging", "--layer", "infra", "--json"], { cwd: REPO_ROOT, env: withoutNpmSettings(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            assert.ifError(error);
            assert.match(stdout, /^\n> eks-gitops-platform@\S+ plan\n> /, "npm's banner on stdout: what breaks `| jq`");
            assert.strictEqual(JSON.parse(stdout.slice(stdout.indexOf("\n{") + 1)).layers[0].layer, "infra");
            assert.ok(stderr.includes(NPM_BANNER_HINT), stderr);
            done();
        });
    });

    it("knows when npm printed its banner: `npm run plan` without -s or npm's own --json", () => {
        assert.strictEqual(npmBannerOnStdout({ npm_lifecycle_event: "plan" }), true);
        assert.strictEqual(npmBannerOnStdout({ npm_lifecycle_event: "plan", npm_config_loglevel: "silent" }), false);
        assert.strictEqual(npmBannerOnStdout({ npm_lifecycle_event: "plan", npm_config_json: "true" }), false);
        assert.strictEqual(npmBannerOnStdout({ npm_lifecycle_event: "test" }), false, "another script (npm test) printed its own banner, not before the plan");
        assert.strictEqual(npmBannerOnStdout({}), false, "node tools/ts-run.js tools/plan.ts: no npm");
    });

    it("the usage says it first", () => {
        assert.match(USAGE.split("\n")[2], /^ {2}Piping the output \(--json \| jq\): run npm with -s \(npm run -s plan -- \.\.\.\), or use --out\./);
    });
});
