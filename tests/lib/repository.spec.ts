/** What a fork inherits besides code: the licence, the security policy, code owners, Node's version, Dependabot. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../lib/environment";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
const pkg = JSON.parse(read("package.json"));

/** Files of the repository (tracked or not), relative to the root, skipping dependencies and build output. */
function repositoryFiles(dir = ""): string[] {
    return fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (["node_modules", ".git", "bin", "dist", "__pycache__", ".pytest_cache"].includes(e.name)) return [];
        return e.isDirectory() ? repositoryFiles(rel) : [rel];
    });
}

describe("repository", () => {
    it("LICENSE holds the licence package.json names (Apache-2.0)", () => {
        assert.strictEqual(pkg.license, "Apache-2.0");
        assert.match(read("LICENSE"), /^\s*Apache License\s+Version 2\.0, January 2004/);
    });

    it("SECURITY.md says how to report a vulnerability privately", () => {
        assert.match(read("SECURITY.md"), /## Reporting a vulnerability[\s\S]*Report a vulnerability/);
    });

    describe("CODEOWNERS", () => {
        const rules = read(".github/CODEOWNERS")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith("#"))
            .map((l) => l.split(/\s+/));
        const files = repositoryFiles();
        const owned = (file: string) => rules.some(([pattern]) => (pattern.endsWith("/") ? `/${file}`.startsWith(pattern) : `/${file}` === pattern));

        it("every rule names an existing path and an owner", () => {
            for (const [pattern, ...owners] of rules) {
                assert.ok(pattern.startsWith("/"), `${pattern}: anchored at the root`);
                const target = pattern.replace(/^\/|\/$/g, "");
                assert.ok(fs.existsSync(path.join(REPO_ROOT, target)), `${pattern} does not exist`);
                assert.ok(owners.length > 0 && owners.every((o) => /^@[\w-]+(\/[\w-]+)?$/.test(o)), `${pattern}: owners ${owners.join(" ")}`);
            }
        });

        it("covers the CI identity, the permissions boundary, the workflows and the policy pack", () => {
            const mustBeOwned = files.filter((f) => /^infra\/(github-ci|deploy-policy|identity|boundary)\.ts$/.test(f) || f.startsWith(".github/workflows/") || f.startsWith("policies/"));
            assert.ok(mustBeOwned.some((f) => f.startsWith(".github/workflows/")) && mustBeOwned.includes("infra/boundary.ts"), "the files exist");
            assert.deepStrictEqual(mustBeOwned.filter((f) => !owned(f)), []);
        });
    });

    describe("Node.js 22 LTS everywhere", () => {
        const major = read(".nvmrc").trim();
        it(".nvmrc and package.json's engines name the same major, 22", () => {
            assert.strictEqual(major, "22");
            assert.strictEqual(pkg.engines.node, `>=${major}`);
            assert.match(pkg.devDependencies["@types/node"], new RegExp(`^${major}\\.`));
        });
        it("every workflow's setup-node reads .nvmrc", () => {
            const dir = path.join(REPO_ROOT, ".github", "workflows");
            let steps = 0;
            for (const file of fs.readdirSync(dir)) {
                const jobs = parse(fs.readFileSync(path.join(dir, file), "utf8")).jobs ?? {};
                for (const job of Object.values<any>(jobs)) {
                    for (const step of job.steps ?? []) {
                        if (!String(step.uses ?? "").startsWith("actions/setup-node@")) continue;
                        steps++;
                        assert.deepStrictEqual(step.with?.["node-version-file"], ".nvmrc", `${file}: ${step.name ?? step.uses}`);
                        assert.strictEqual(step.with?.["node-version"], undefined, `${file}: one source for the version`);
                    }
                }
            }
            assert.ok(steps > 0);
        });
        it("the frontend's build image and its package's engines take the same major", () => {
            const dockerfile = read("apps/services/frontend/Dockerfile");
            const image = /^FROM node:(\d+)\.\d+\.\d+-alpine/m.exec(dockerfile);
            assert.ok(image, "the frontend builds with a pinned node image");
            assert.strictEqual(image![1], major);
            assert.match(JSON.parse(read("apps/services/frontend/package.json")).engines.node, new RegExp(`^>=${major}(\\.|$)`));
        });
        it(".ci/run provides that major when the machine has another, and the README says so", () => {
            const run = read(".ci/run");
            assert.match(run, /\.nvmrc/);
            assert.match(run, /NODE_PACKAGE_VERSION=22\.\d+\.\d+\n/);
            assert.match(read("README.md"), /Node\.js 22 LTS/);
        });
    });

    describe("Dependabot", () => {
        const updates: { "package-ecosystem": string; directory?: string; directories?: string[]; "target-branch": string }[] = parse(read(".github/dependabot.yml")).updates;
        const dirsOf = (ecosystem: string) => updates.filter((u) => u["package-ecosystem"] === ecosystem).flatMap((u) => u.directories ?? [u.directory!]);
        const files = repositoryFiles();
        const folderOf = (file: string) => (path.posix.dirname(file) === "." ? "/" : `/${path.posix.dirname(file)}`);
        const folders = (name: RegExp) => [...new Set(files.filter((f) => name.test(path.posix.basename(f))).map(folderOf))].sort();

        it("covers every npm lockfile, Dockerfile and Python requirements folder, targeting staging", () => {
            assert.deepStrictEqual(dirsOf("npm").sort(), folders(/^package-lock\.json$/));
            assert.deepStrictEqual(dirsOf("docker").sort(), folders(/^Dockerfile$/));
            assert.deepStrictEqual(dirsOf("pip").sort(), folders(/^requirements\.txt$/));
            assert.ok(dirsOf("github-actions").includes("/"));
            for (const u of updates) assert.strictEqual(u["target-branch"], "staging", u["package-ecosystem"]);
        });
    });
});
