/**
 * What the verify job may record as verified (ci/argocd-wait.ts --environment): the release's own images ran
 * healthy, not a rollback merged while it waited. And a synced commit newer than the job's checkout is fetched from
 * a private repository with the job's token (the checkout keeps no credentials), here from a real Git HTTP server
 * that refuses requests without it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { Application, WaitDeps, fetchCommit, gitRevisions, main } from "../../ci/argocd-wait";
import { gitIn } from "../../lib/cli-support";
import { GitServer, serveGit } from "./git-http";
import { ScratchRepo } from "./scratch";

const TOKEN = "ghs_job-token-of-this-run";

describe("verify: what ran is the release, fetched from a private repository (ci/argocd-wait.ts)", () => {
    let repo: ScratchRepo;
    let served: string;
    let server: GitServer;
    let checkout: string;
    /** X: the release this run verifies; Y: a rollback of it merged meanwhile; Z: a later docs change (X's pins). */
    let X: string, Y: string, Z: string;
    const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

    before(async () => {
        repo = new ScratchRepo();
        const first = repo.ciStaging(repo.head());
        repo.change("apps/services/user-service/app.py", "version = 2\n");
        X = repo.ciStaging(first.release!).release!;
        repo.run("checkout", "-q", "-b", "later");
        Z = repo.change("README.md", "# shop\nlater\n");
        repo.run("checkout", "-q", "staging");
        Y = repo.revertThroughPullRequest(X);
        served = fs.mkdtempSync(path.join(os.tmpdir(), "served-"));
        const bare = path.join(served, "shop.git");
        git(served, "init", "-q", "--bare", bare);
        // GitHub serves any commit reachable from a branch by its id.
        git(bare, "config", "uploadpack.allowReachableSHA1InWant", "true");
        repo.run("push", "-q", bare, `${X}:refs/heads/staging`);
        // The verify job's checkout: the release, with no credentials kept (persist-credentials: false).
        checkout = fs.mkdtempSync(path.join(os.tmpdir(), "checkout-"));
        git(checkout, "clone", "-q", bare, ".");
        server = await serveGit(served, TOKEN);
        git(checkout, "remote", "set-url", "origin", server.url("shop.git"));
        // Pushed after the checkout was made.
        repo.run("push", "-q", "-f", bare, `${Y}:refs/heads/staging`, `${Z}:refs/heads/later`);
    });
    after(async () => {
        await server?.close();
        repo?.remove();
        for (const dir of [served, checkout]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a synced commit the checkout lacks is fetched with the job's token; without it (or with another) the fetch fails, saying so", () => {
        const clone = gitIn(checkout);
        assert.strictEqual(clone(["cat-file", "-e", `${Y}^{commit}`]), undefined, "the checkout does not have the newer commit");
        assert.throws(() => gitRevisions(clone, fetchCommit(checkout, undefined)).isAtOrAfter(X, Y), new RegExp(`git fetch origin ${Y} failed: .*no GITHUB_TOKEN: the checkout keeps no credentials`, "s"));
        assert.throws(() => gitRevisions(clone, fetchCommit(checkout, "ghs_another")).isAtOrAfter(X, Y), new RegExp(`git fetch origin ${Y} failed`));
        const checks = gitRevisions(clone, fetchCommit(checkout, TOKEN));
        assert.strictEqual(checks.isAtOrAfter(X, Y), true);
        assert.strictEqual(checks.isAtOrAfter(Y, X), false, "an older commit is not at or after the release");
        assert.strictEqual(checks.samePins(X, Z, "staging"), true, "fetched too: a docs change pins what the release pins");
        assert.strictEqual(checks.samePins(X, Y, "staging"), false, "the rollback pins other images");
        assert.strictEqual(checks.samePins(X, Y, "production"), true, "production's overlays did not change");
        assert.strictEqual(git(checkout, "config", "--list", "--local").includes("extraheader"), false, "the token stays out of the clone's config");
    });

    it("records the release only when what ran healthy pins its images: at the release, or at a later commit with the same pins; not at a rollback", async () => {
        const at = (revision: string): Application[] =>
            ["root", "user-service"].map((name) => ({ metadata: { name }, status: { sync: { status: "Synced", revision }, health: { status: "Healthy" } } }));
        const run = async (revision: string) => {
            const outputs: Record<string, string> = {};
            const lines: string[] = [];
            const deps: WaitDeps = {
                list: async () => at(revision),
                refresh: async () => undefined,
                ...gitRevisions(gitIn(checkout), fetchCommit(checkout, TOKEN)),
                outputs: (values) => Object.assign(outputs, values),
                sleep: async () => undefined,
                now: () => 0,
                log: (line) => lines.push(line),
            };
            const code = await main(["--namespace", "argocd", "--applications", '["root","user-service"]', "--revision", X, "--environment", "staging", "--timeout", "30", "--no-refresh"], deps);
            return { code, outputs, log: lines.join("\n") };
        };
        assert.deepStrictEqual((await run(X)).outputs, { "verified-revision": X });
        assert.deepStrictEqual((await run(Z)).outputs, { "verified-revision": X }, "a later commit pinning the same images ran them");
        const rolledBack = await run(Y);
        assert.strictEqual(rolledBack.code, 0, "the environment is healthy: the wait passes");
        assert.deepStrictEqual(rolledBack.outputs, { "verified-revision": "" }, "but the release is not recorded");
        assert.match(rolledBack.log, new RegExp(`${X.slice(0, 12)}'s images did not run: ArgoCD runs ${Y.slice(0, 12)}, a later commit whose staging overlays pin other images`));
    });
});
