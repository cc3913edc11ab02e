/**
 * `npm run plan -- staging --json | jq` fails: npm prints its run-script banner on stdout before the plan (npm 11,
 * unless -s or npm's own --json). npm has no setting that keeps it off stdout for one script, so the plan documents
 * -s and --out and, when npm's variables say the banner went to a pipe, says so on stderr. npm itself runs here on a
 * one-line script (what it prints and the variables it sets); the plan's answer to them runs in this process.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, NPM_BANNER_HINT, npmBannerOnStdout, USAGE } from "../../tools/plan";
import { withoutNpmSettings } from "./fixture";

/** `npm run <args>` in a package whose `plan` script prints the environment npm gives it, as JSON. */
function npmRun(args: string[]): Promise<{ stdout: string; env: NodeJS.ProcessEnv }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "npm-banner-"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "eks-gitops-platform", version: "0.1.0", private: true, scripts: { plan: "node -e \"process.stdout.write(JSON.stringify(process.env))\"" } }));
    return new Promise((resolve, reject) =>
        execFile("npm", ["run", ...args], { cwd: dir, env: withoutNpmSettings() }, (error, stdout) => {
            fs.rmSync(dir, { recursive: true, force: true });
            if (error) return reject(error);
            resolve({ stdout, env: JSON.parse(stdout.slice(stdout.indexOf("{"))) });
        }),
    );
}

describe("the plan under npm without -s", () => {
    it("npm prints its banner on stdout, ahead of the script's output, unless -s or npm's --json; its variables say which", async function () {
        this.timeout(60_000);
        const [plain, silent, json] = await Promise.all([npmRun(["plan"]), npmRun(["-s", "plan"]), npmRun(["--json", "plan"])]);
        assert.match(plain.stdout, /^\n> eks-gitops-platform@0\.1\.0 plan\n> node -e /, "what breaks `| jq`");
        assert.ok(silent.stdout.startsWith("{") && json.stdout.startsWith("{"), "no banner on stdout");
        assert.deepStrictEqual([plain, silent, json].map((r) => npmBannerOnStdout(r.env)), [true, false, false]);
        assert.strictEqual(npmBannerOnStdout({ npm_lifecycle_event: "test" }), false, "another script (npm test) printed its own banner, not before the plan");
        assert.strictEqual(npmBannerOnStdout({}), false, "node tools/ts-run.js tools/plan.ts: no npm");
    });

    it("the plan says on stderr how to get the document alone when npm's banner went to a pipe; not on a terminal, with --out or in text", async () => {
        const npm = { npm_lifecycle_event: "plan" };
        const hint = async (argv: string[], isTTY: boolean) => {
            let stderr = "";
            let stdout = "";
            const code = await main(argv, (s) => (stdout += s), (s) => (stderr += s), {}, { isTTY, env: npm });
            assert.strictEqual(code, 0, stderr);
            return { hinted: stderr.includes(NPM_BANNER_HINT), stdout };
        };
        const piped = await hint(["staging", "--layer", "infra", "--json"], false);
        assert.strictEqual(piped.hinted, true);
        assert.strictEqual(JSON.parse(piped.stdout).layers[0].layer, "infra", "stdout holds the document only");
        assert.strictEqual((await hint(["staging", "--layer", "infra", "--json"], true)).hinted, false);
        assert.strictEqual((await hint(["staging", "--layer", "infra"], false)).hinted, false);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
        try {
            assert.strictEqual((await hint(["staging", "--layer", "infra", "--json", "--out", path.join(dir, "plan.json")], false)).hinted, false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the usage says it first", () => {
        assert.match(USAGE.split("\n")[2], /^ {2}Piping the output \(--json \| jq\): run npm with -s \(npm run -s plan -- \.\.\.\), or use --out\./);
    });
});
