/** ci/layers.ts: which Pulumi layers a change affects (the rules as data; tests/ci/delivery.spec.ts runs them on real histories). */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { affectedLayers, changedFiles, firstAffectedLayer, inSources, isPipelineFile, resolveCommit } from "../../ci/layers";
import { gitIn, listServices, serviceSources } from "../../lib/cli-support";
import { WORKLOAD_NAMES, WORKLOADS } from "../../lib/catalogue";

describe("layers a change affects", () => {
    const cases: [string, string[]][] = [
        ["infra/network.ts", ["infra", "platform", "apps"]],
        ["lib/settings.ts", ["infra", "platform", "apps"]],
        ["package-lock.json", ["infra", "platform", "apps"]],
        ["package.json", ["infra", "platform", "apps"]],
        ["tsconfig.json", ["infra", "platform", "apps"]],
        ["Pulumi.yaml", ["infra", "platform", "apps"]],
        ["policies/iam.ts", ["infra", "platform", "apps"]],
        ["policies/config/staging.json", ["infra", "platform", "apps"]],
        ["platform/addons/argocd.ts", ["platform", "apps"]],
        ["platform/Pulumi.yaml", ["platform", "apps"]],
        ["apps/index.ts", ["apps"]],
        ["apps/Pulumi.yaml", ["apps"]],
        ["apps/workloads/user-service/base/deployment.yaml", []],
        ["apps/services/frontend/html/index.html", []],
        ["apps/services/python-kit/service_kit.py", []],
        ["apps/services/.dockerignore", []],
        [".github/workflows/deploy.yml", []],
        ["tests/ci/layers.spec.ts", []],
        ["tools/deploy.ts", []],
        ["tools/delivery.ts", []],
        ["ci/layers.ts", []],
        [".nvmrc", ["infra", "platform", "apps"]],
        ["lib/offline/mocks.ts", []],
        ["lib/cli-support.ts", []],
        ["lib/tags.ts", ["infra", "platform", "apps"]],
        ["README.md", []],
        ["a-new-top-level-file.txt", ["infra", "platform", "apps"]],
    ];
    for (const [file, layers] of cases) {
        it(`${file} -> ${layers.join(", ") || "no layer"}`, () => {
            assert.deepStrictEqual(affectedLayers([file], "staging"), layers);
        });
    }

    it("a settings file affects every layer of its own environment only", () => {
        assert.deepStrictEqual(affectedLayers(["Pulumi.staging.yaml"], "staging"), ["infra", "platform", "apps"]);
        assert.deepStrictEqual(affectedLayers(["Pulumi.staging.yaml"], "production"), []);
        assert.deepStrictEqual(affectedLayers(["Pulumi.production.yaml"], "production"), ["infra", "platform", "apps"]);
        assert.strictEqual(firstAffectedLayer("Pulumi.production.yaml", "staging"), undefined);
    });

    it("the earliest affected layer decides: later layers follow it, in deploy order", () => {
        assert.deepStrictEqual(affectedLayers(["apps/index.ts", "platform/index.ts", "README.md"], "staging"), ["platform", "apps"]);
        assert.deepStrictEqual(affectedLayers(["apps/index.ts", "lib/tags.ts"], "production"), ["infra", "platform", "apps"]);
        assert.deepStrictEqual(affectedLayers([], "staging"), []);
    });

    const changedServices = (files: string[], services: string[]) => services.filter((s) => files.some((f) => inSources(f, serviceSources(s))));

    it("image sources: a service's folder, and nothing else", () => {
        const services = ["frontend", "order-service", "user-service"];
        const files = ["apps/services/user-service/app.py", "apps/services/user-service/tests/test_app.py", "apps/workloads/frontend/base/deployment.yaml", "apps/services/order-service-old/x"];
        assert.deepStrictEqual(changedServices(files, services), ["user-service"]);
        assert.deepStrictEqual(changedServices(["apps/services/frontend/nginx.conf"], services), ["frontend"]);
        assert.deepStrictEqual(changedServices(["apps/services/python-kit-old/x", "apps/services/.dockerignore.bak"], services), []);
    });

    it("image sources: the Python kit is the Python services' (the folders with an app.py, not the frontend's); the context's .dockerignore is every image's", () => {
        const services = listServices();
        const python = services.filter((s) => fs.existsSync(path.join("apps", "services", s, "app.py")));
        assert.ok(python.length >= 3 && !python.includes("frontend"), python.join(", "));
        for (const file of ["apps/services/python-kit/service_kit.py", "apps/services/python-kit/Dockerfile", "apps/services/python-kit/requirements.txt", "apps/services/python-kit/tests/test_kit.py"]) {
            assert.deepStrictEqual(changedServices([file], services), python, file);
        }
        assert.deepStrictEqual(changedServices(["apps/services/.dockerignore"], services), services);
        assert.deepStrictEqual(changedServices(["apps/services/python-kit/gunicorn.conf.py", "apps/services/frontend/Dockerfile"], services), services);
    });

    it("the delivery itself (workflows, CI's helpers, the delivery command) is told apart: it deploys no layer but is verified", () => {
        for (const f of [".github/workflows/deploy.yml", ".github/dependabot.yml", "ci/delivery.ts", "tools/delivery.ts", "lib/cli-support.ts"]) assert.ok(isPipelineFile(f), f);
        for (const f of ["tools/plan.ts", "tests/ci/delivery.spec.ts", "README.md", "apps/workloads/x"]) assert.ok(!isPipelineFile(f), f);
    });

    it("the services are the folders of apps/services with a Dockerfile or an app.py; python-kit is none", () => {
        // The images of the workload catalogue are the service folders.
        assert.deepStrictEqual(listServices(), WORKLOAD_NAMES.flatMap((n) => (WORKLOADS[n].ecrImage ? [WORKLOADS[n].ecrImage!] : [])).sort());
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "services-"));
        try {
            const dir = path.join(root, "apps", "services");
            for (const [file, content] of [["web/Dockerfile", "FROM x"], ["api/app.py", ""], ["api/tests/test_app.py", ""], ["python-kit/Dockerfile", "FROM y"], ["python-kit/service_kit.py", ""], ["notes/README.md", ""]]) {
                fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                fs.writeFileSync(path.join(dir, file), content);
            }
            fs.writeFileSync(path.join(dir, "app.py"), ""); // a file, not a service folder
            assert.deepStrictEqual(listServices(root), ["api", "web"]);
            assert.deepStrictEqual(listServices(path.join(root, "nowhere")), []);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("reads what a pull request changes with git's three-dot diff (from the merge base), in a real repository", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "affected-git-"));
        try {
            const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" });
            git("init", "-q", "-b", "staging");
            fs.mkdirSync(path.join(dir, "apps"));
            fs.writeFileSync(path.join(dir, "apps", "index.ts"), "1");
            git("add", ".");
            git("commit", "-q", "-m", "base");
            git("checkout", "-q", "-b", "feature");
            fs.mkdirSync(path.join(dir, "platform"));
            fs.writeFileSync(path.join(dir, "platform", "index.ts"), "2");
            git("add", ".");
            git("commit", "-q", "-m", "feature");
            git("checkout", "-q", "staging");
            fs.mkdirSync(path.join(dir, "infra"));
            fs.writeFileSync(path.join(dir, "infra", "index.ts"), "3"); // on the base branch only: not the PR's change
            git("add", ".");
            git("commit", "-q", "-m", "base moves on");
            assert.deepStrictEqual(changedFiles(gitIn(dir), "staging", "feature"), ["platform/index.ts"]);
            assert.throws(() => changedFiles(gitIn(dir), "staging", "no-such-ref"), /fetch-depth: 0/);
            // A ref that is no commit here (a new branch's zero SHA, an unknown one) resolves to nothing.
            assert.match(resolveCommit(gitIn(dir), "feature") ?? "", /^[0-9a-f]{40}$/);
            assert.strictEqual(resolveCommit(gitIn(dir), "0000000000000000000000000000000000000000"), undefined);
            assert.strictEqual(resolveCommit(gitIn(dir), "no-such-ref"), undefined);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
