/**
 * The service sources CI builds (apps/services) against the contract the rest of the repository expects: the ECR
 * repositories infra creates, the Applications apps creates, and the Deployments in apps/workloads (port, user,
 * probes, environment variables). Every image builds with the context apps/services: the frontend with its own
 * Dockerfile, the Python services with python-kit/Dockerfile (--build-arg SERVICE=<service>), which takes the shared
 * code from python-kit/ and only what differs (app.py, tests/) from the service's folder. The Dockerfiles are read
 * here without Docker (./dockerfile); the services' own unit tests run in their image's `test` stage.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { loadInfraSettings } from "../../infra/settings";
import { WORKLOAD_NAMES, WORKLOADS } from "../../lib/catalogue";
import { JOBS } from "../run";
import { PYTHON_KIT, listServices, serviceDockerfile, serviceSources } from "../../lib/cli-support";
import { settingsFileSource } from "../../lib/settings-file";
import { parseDockerfile, stageFiles } from "../../lib/dockerfile";

const SERVICES_DIR = path.join(REPO_ROOT, "apps", "services");
/** The services built on the Python kit: the catalogue's images whose folder holds an app.py (the kit's layout). */
const PYTHON_SERVICES = WORKLOAD_NAMES.flatMap((n) => (WORKLOADS[n].ecrImage ? [WORKLOADS[n].ecrImage!] : [])).filter((s) => fs.existsSync(path.join(REPO_ROOT, "apps", "services", s, "app.py")));
const read = (...parts: string[]) => fs.readFileSync(path.join(SERVICES_DIR, ...parts), "utf8");
/** The Dockerfile a service builds with (the one rule of the tools and the workflows). */
const dockerfileOf = (service: string) => fs.readFileSync(path.join(REPO_ROOT, serviceDockerfile(service)), "utf8");
const KIT_DOCKERFILE = read(PYTHON_KIT, "Dockerfile");
/** The files of a stage of a service's image (image path -> file of apps/services), as its Dockerfile's COPYs lay them out. */
const imageFiles = (service: string, stage: string) => stageFiles(dockerfileOf(service), stage, SERVICES_DIR, { SERVICE: service });

/** The files of a folder of apps/services, relative to it, without Python's caches (never committed, never copied). */
function filesOf(folder: string): string[] {
    const walk = (dir: string): string[] =>
        fs.readdirSync(path.join(SERVICES_DIR, folder, dir), { withFileTypes: true }).flatMap((e) => {
            const rel = dir ? `${dir}/${e.name}` : e.name;
            if (e.name === "__pycache__" || e.name === ".pytest_cache" || e.name.endsWith(".pyc")) return [];
            return e.isDirectory() ? walk(rel) : [rel];
        });
    return walk("").sort();
}

/** The Deployment of a workload (apps/workloads/<name>/base/deployment.yaml) and its main container. */
function deployment(name: string) {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "apps", "workloads", name, "base", "deployment.yaml"), "utf8"));
    const pod = doc.spec.template.spec;
    return { pod, container: pod.containers[0] };
}

/** `FROM image[:tag] [AS stage]` of a Dockerfile. */
function stages(dockerfile: string): { image: string; name?: string }[] {
    return parseDockerfile(dockerfile).map((s) => ({ image: s.from, name: s.name }));
}

describe("service sources", () => {
    it("are exactly the ECR repositories infra creates and the images the apps layer deploys", () => {
        const repositories = loadInfraSettings("staging", { source: settingsFileSource("staging"), dryRun: true }).ecrRepositories;
        const images = Object.values(WORKLOADS).flatMap((w) => (w.ecrImage ? [w.ecrImage] : []));
        assert.deepStrictEqual(listServices(), [...repositories].sort());
        assert.deepStrictEqual(listServices(), [...images].sort());
    });

    it("are the folders of apps/services with a Dockerfile or an app.py, not the Python kit", () => {
        assert.ok(PYTHON_SERVICES.length >= 3, "the shop's three services at least");
        assert.deepStrictEqual(listServices(), ["frontend", ...PYTHON_SERVICES].sort());
        assert.ok(!listServices().includes(PYTHON_KIT));
        assert.ok(fs.existsSync(path.join(SERVICES_DIR, PYTHON_KIT, "Dockerfile")), "the kit has a Dockerfile and is still no service");
    });

    for (const service of listServices()) {
        describe(service, () => {
            const dockerfile = dockerfileOf(service);
            const { pod, container } = deployment(service);

            it("builds from base images pinned to an exact version, never latest", () => {
                const external = stages(dockerfile).filter((s) => !stages(dockerfile).some((t) => t.name === s.image));
                assert.ok(external.length > 0);
                for (const { image } of external) {
                    assert.match(image, /^[\w./-]+:\d+\.\d+\.\d+(-[\w.-]+)?$/, `${image}: pin an exact x.y.z tag`);
                    assert.doesNotMatch(image, /latest/);
                }
            });

            it("has a test stage and ends with the runtime stage (what `docker build` produces by default)", () => {
                const names = stages(dockerfile).map((s) => s.name);
                assert.ok(names.includes("test"));
                assert.strictEqual(names.at(-1), "runtime");
            });

            it("runs as the non-root user and on the port of its Deployment", () => {
                const uid = pod.securityContext.runAsUser;
                assert.ok(uid > 0 && pod.securityContext.runAsNonRoot === true);
                const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
                assert.strictEqual(users.at(-1)!.split(":")[0], String(uid), "the image's last USER is the Deployment's runAsUser (numeric, so runAsNonRoot can verify it)");
                const port = container.ports[0].containerPort;
                const exposed = service === "frontend" ? dockerfile : dockerfile + read(PYTHON_KIT, "gunicorn.conf.py");
                assert.ok(new RegExp(`EXPOSE ${port}\\b`).test(exposed), `EXPOSE ${port}`);
                assert.strictEqual(container.securityContext.readOnlyRootFilesystem, true, "the image must work on a read-only root filesystem (it writes to /tmp only)");
                assert.ok(container.volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/tmp"));
            });

            it("answers on the paths its probes use", () => {
                const sources = service === "frontend" ? read(service, "default.conf.template") : read(PYTHON_KIT, "service_kit.py");
                for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
                    const p = container[probe]?.httpGet?.path;
                    if (p) assert.ok(sources.includes(service === "frontend" ? `location = ${p}` : `@app.get("${p}")`), `${probe} ${p}`);
                }
            });

            it("builds with the context apps/services: every COPY source of every stage is there, and none replaces another", () => {
                for (const stage of stages(dockerfile).map((s) => s.name!)) {
                    const { files, overwritten } = imageFiles(service, stage);
                    assert.ok(files.size > 0, stage);
                    assert.deepStrictEqual(overwritten, [], `${stage}: files copied over others`);
                    const folders = new Set([...files.values()].map((f) => f.split("/")[0]));
                    assert.deepStrictEqual([...folders].sort(), service === "frontend" ? ["frontend"] : [service, PYTHON_KIT].sort(), `${stage}: takes files from`);
                }
            });
        });
    }

    describe("the Python services", () => {
        /** The schema's migrations (python-kit/migrations/NNNN_name.sql, in every image: the init container runs them). */
        const MIGRATIONS = filesOf(PYTHON_KIT).filter((f) => f.startsWith("migrations/"));
        const KIT_MODULES = ["gunicorn.conf.py", "migrate.py", "service_kit.py", "sessions.py"];
        const KIT_FILES = ["Dockerfile", ...KIT_MODULES, ...MIGRATIONS, "requirements-dev.txt", "requirements.txt", "tests/conftest.py", "tests/servers.py", "tests/test_kit.py"].sort();

        it("keep their shared code once, in python-kit, and in their own folder only what differs (app.py, tests/test_app.py)", () => {
            assert.deepStrictEqual(filesOf(PYTHON_KIT), KIT_FILES);
            assert.ok(MIGRATIONS.length >= 3 && MIGRATIONS.every((f) => /^migrations\/\d{4}_[a-z0-9_]+\.sql$/.test(f)), MIGRATIONS.join(", "));
            for (const s of PYTHON_SERVICES) assert.deepStrictEqual(filesOf(s), ["app.py", "tests/test_app.py"], s);
            for (const s of PYTHON_SERVICES) assert.strictEqual(serviceDockerfile(s), `apps/services/${PYTHON_KIT}/Dockerfile`, s);
            assert.strictEqual(serviceDockerfile("frontend"), "apps/services/frontend/Dockerfile");
        });

        it("build with one Dockerfile that takes the service from --build-arg SERVICE (no default: a build without it stops)", () => {
            for (const stage of ["base", "test"]) {
                const instructions = parseDockerfile(KIT_DOCKERFILE).find((st) => st.name === stage)!.instructions;
                assert.ok(instructions.some((i) => i.keyword === "ARG" && i.args === "SERVICE"), `${stage}: ARG SERVICE, without a default`);
            }
            assert.match(KIT_DOCKERFILE, /^RUN test -n "\$SERVICE" \|\| \{ .*exit 1; \}$/m);
            assert.throws(() => stageFiles(KIT_DOCKERFILE, "runtime", SERVICES_DIR, {}), /COPY \/app\.py/);
            assert.throws(() => stageFiles(KIT_DOCKERFILE, "runtime", SERVICES_DIR, { SERVICE: "frontend" }), /frontend\/app\.py is not in the build context/);
            // The dependency layer comes before the service is named: the three images share it.
            const base = parseDockerfile(KIT_DOCKERFILE).find((st) => st.name === "base")!.instructions;
            const install = base.findIndex((i) => i.keyword === "RUN" && /pip install .*-r requirements\.txt/.test(i.args));
            assert.ok(install >= 0 && install < base.findIndex((i) => i.keyword === "ARG"), "pip install before ARG SERVICE");
        });

        for (const service of PYTHON_SERVICES) {
            it(`${service}: the runtime image holds the kit and the service's app in /app, no tests`, () => {
                const { files, workdir } = imageFiles(service, "runtime");
                assert.strictEqual(workdir, "/app");
                assert.deepStrictEqual(Object.fromEntries([...files].sort()), Object.fromEntries([
                    ["/app/requirements.txt", `${PYTHON_KIT}/requirements.txt`],
                    ...KIT_MODULES.map((m) => [`/app/${m}`, `${PYTHON_KIT}/${m}`]),
                    ...MIGRATIONS.map((m) => [`/app/${m}`, `${PYTHON_KIT}/${m}`]),
                    ["/app/app.py", `${service}/app.py`],
                ].sort()));
            });

            it(`${service}: the test stage runs the kit's tests and the service's, side by side in /app/tests, with pytest`, () => {
                const { files } = imageFiles(service, "test");
                const tests = [...files].filter(([image]) => image.startsWith("/app/tests/"));
                assert.deepStrictEqual(Object.fromEntries(tests), {
                    "/app/tests/conftest.py": `${PYTHON_KIT}/tests/conftest.py`,
                    "/app/tests/servers.py": `${PYTHON_KIT}/tests/servers.py`,
                    "/app/tests/test_kit.py": `${PYTHON_KIT}/tests/test_kit.py`,
                    "/app/tests/test_app.py": `${service}/tests/test_app.py`,
                });
                assert.strictEqual(files.get("/app/requirements-dev.txt"), `${PYTHON_KIT}/requirements-dev.txt`);
                const last = parseDockerfile(KIT_DOCKERFILE).find((st) => st.name === "test")!.instructions.at(-1)!;
                assert.strictEqual(`${last.keyword} ${last.args}`, "RUN python -m pytest -q -p no:cacheprovider tests");
                // conftest.py puts /app (one folder up) on the import path; the tests import from there and from tests/.
                assert.match(read(PYTHON_KIT, "tests", "conftest.py"), /APP_DIR = os\.path\.dirname\(os\.path\.dirname\(os\.path\.abspath\(__file__\)\)\)\nsys\.path\.insert\(0, APP_DIR\)/);
                for (const [image, source] of tests.filter(([i]) => /\/test_\w+\.py$/.test(i))) {
                    for (const m of read(source).matchAll(/^(?:import (\w+)|from (\w+) import)/gm)) {
                        const module = m[1] ?? m[2];
                        const local = ["/app", "/app/tests"].some((dir) => files.has(`${dir}/${module}.py`));
                        if (["app", "service_kit", "sessions", "migrate", "servers", "conftest"].includes(module)) assert.ok(local, `${image} imports ${module}, which the test stage does not copy`);
                    }
                }
            });
        }

        it("are rebuilt for a change of their folder, of python-kit or of the context's .dockerignore; the frontend for its own", () => {
            for (const s of PYTHON_SERVICES) assert.deepStrictEqual(serviceSources(s), [`apps/services/${s}/`, "apps/services/.dockerignore", `apps/services/${PYTHON_KIT}/`]);
            assert.deepStrictEqual(serviceSources("frontend"), ["apps/services/frontend/", "apps/services/.dockerignore"]);
        });

        it("pin every requirement to an exact version", () => {
            for (const file of ["requirements.txt", "requirements-dev.txt"]) {
                const lines = read(PYTHON_KIT, file).split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
                assert.ok(lines.length > 0);
                for (const line of lines) assert.match(line, /^[A-Za-z0-9_.-]+==\d+(\.\d+)+$/, `${PYTHON_KIT}/${file}: ${line}`);
            }
            const names = read(PYTHON_KIT, "requirements.txt").toLowerCase();
            // cryptography (with cffi and pycparser): PyMySQL's RSA login to MySQL 8.4 (caching_sha2_password) over plain TCP.
            for (const pkg of ["flask==", "gunicorn==", "prometheus-client==", "pymysql==", "redis==", "cryptography==", "cffi==", "pycparser=="]) assert.ok(names.includes(pkg), pkg);
        });

        it("serve /healthz, /readyz (MySQL and the migrated schema, not Redis), /metrics and their REST API under gunicorn on port 5000", () => {
            const kit = read(PYTHON_KIT, "service_kit.py");
            for (const route of ["/healthz", "/readyz", "/metrics"]) assert.ok(kit.includes(`@app.get("${route}")`), route);
            for (const [s, resource] of [["user-service", "users"], ["product-service", "products"], ["order-service", "orders"]]) {
                const app = read(s, "app.py");
                assert.ok(app.includes(`@app.get("/api/${resource}")`) && app.includes(`@app.post("/api/${resource}")`), s);
                // Readiness is what the service cannot work without: MySQL with the schema migrated; Redis is a cache.
                assert.match(app, /\{"mysql": lambda: migrate\.check\(db, TABLES\)\}/, `${s}: readiness checks MySQL and the schema`);
                assert.doesNotMatch(app, /"redis": cache\.ping/, `${s}: Redis is not a readiness check`);
                assert.match(dockerfileOf(s), /CMD \["gunicorn", "--config", "gunicorn.conf.py", "app:from_env\(\)"\]/);
            }
            assert.match(read(PYTHON_KIT, "gunicorn.conf.py"), /bind = f"0\.0\.0\.0:\{os\.environ\.get\('PORT', '5000'\)\}"/);
            // Read-only root filesystem: gunicorn's heartbeat in memory, no control socket under the missing home.
            assert.match(read(PYTHON_KIT, "gunicorn.conf.py"), /^worker_tmp_dir = "\/dev\/shm"$/m);
            assert.match(read(PYTHON_KIT, "gunicorn.conf.py"), /^control_socket_disable = True$/m);
        });

        it("test against real servers: the test stage installs MariaDB and Redis from Debian, the packages .ci/run installs", () => {
            const test = parseDockerfile(KIT_DOCKERFILE).find((st) => st.name === "test")!.instructions;
            const install = test.find((i) => i.keyword === "RUN" && /apt-get install/.test(i.args));
            assert.ok(install, "the test stage installs its servers");
            const ciRun = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
            for (const pkg of ["mariadb-server", "redis-server"]) {
                assert.match(install!.args, new RegExp(`\\b${pkg}\\b`), `the test stage installs ${pkg}`);
                assert.match(ciRun, new RegExp(`packages\\+=\\(${pkg}\\)`), `.ci/run installs ${pkg}`);
            }
            // Nothing of it reaches the runtime image, which builds on `base`, not on `test`.
            assert.strictEqual(parseDockerfile(KIT_DOCKERFILE).find((st) => st.name === "runtime")!.from, "base");
        });

        it("an order's deadline ends well before the frontend's proxy and gunicorn give up on the request", () => {
            const deadline = Number(/^DEADLINE_SECONDS = ([\d.]+)$/m.exec(read("order-service", "app.py"))![1]);
            const proxy = Number(/proxy_read_timeout (\d+)s;/.exec(read("frontend", "proxy.conf"))![1]);
            const worker = Number(/^timeout = (\d+)$/m.exec(read(PYTHON_KIT, "gunicorn.conf.py"))![1]);
            // The driver's read timeout is the deadline + 2 s (order-service create()): still inside both.
            assert.ok(deadline > 0 && deadline + 2 < proxy && proxy < worker, `deadline ${deadline} s, nginx ${proxy} s, gunicorn ${worker} s`);
            assert.match(read("order-service", "app.py"), /kit\.Database\(settings, read_timeout=deadline_seconds \+ 2\)/);
            // Counted from when nginx passed the order on (tests/shop/proxy.ts and order-service's tests check it live).
            assert.match(read("frontend", "proxy.conf"), /^proxy_set_header X-Request-Start "t=\$msec";$/m);
            assert.match(read("order-service", "app.py"), /deadline = Deadline\(deadline_seconds, kit\.request_age\(\)\)/);
        });

        it("read only environment variables their Deployment sets (directly or from the ExternalSecret)", () => {
            for (const s of PYTHON_SERVICES) {
                const { container } = deployment(s);
                const secret = parse(fs.readFileSync(path.join(REPO_ROOT, "apps", "workloads", s, "base", "externalsecret.yaml"), "utf8"));
                assert.ok(container.envFrom.some((e: { secretRef?: { name: string } }) => e.secretRef?.name === secret.spec.target.name));
                const provided = new Set([...container.env.map((e: { name: string }) => e.name), ...Object.keys(secret.spec.target.template.data)]);
                const code = read(PYTHON_KIT, "service_kit.py") + read(s, "app.py") + read(PYTHON_KIT, "gunicorn.conf.py");
                const used = new Set([...code.matchAll(/(?:env|environ)(?:\.get\(|\[)"([A-Z_]+)"/g), ...code.matchAll(/environ\.get\('([A-Z_]+)'/g)].map((m) => m[1]));
                assert.ok(used.size >= 8, `${s}: found ${[...used].join(", ")}`);
                for (const name of used) assert.ok(provided.has(name), `${s} reads ${name}, which its Deployment does not set`);
            }
        });
    });

    describe("CI builds every service with one rule", () => {
        interface Step { name?: string; id?: string; run?: string; env?: Record<string, string> }
        const workflowJob = (file: string, job: string): Step[] => parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", file), "utf8")).jobs[job].steps;
        const buildJob = workflowJob("build-and-push.yml", "build");
        const prJob = workflowJob("pull-request.yml", "service-images");
        const selectors: [string, Step][] = [
            ["build-and-push.yml", buildJob.find((st) => st.id === "image")!],
            ["pull-request.yml", prJob.find((st) => st.id === "dockerfile")!],
        ];

        /** Runs a workflow step's script as the runner does (bash -e -o pipefail), in the repository; its outputs, or undefined when it fails. */
        function runStep(step: Step, env: Record<string, string>): Record<string, string> | undefined {
            assert.ok(step.run && !step.run.includes("${{"), "the script reads its inputs from env only");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "step-"));
            const output = path.join(dir, "output");
            fs.writeFileSync(output, "");
            try {
                execFileSync("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step.run!], {
                    cwd: REPO_ROOT,
                    env: { PATH: process.env.PATH!, GITHUB_OUTPUT: output, GITHUB_SHA: "a".repeat(40), ...env },
                    stdio: ["ignore", "pipe", "pipe"],
                });
                return Object.fromEntries(fs.readFileSync(output, "utf8").split("\n").filter(Boolean).map((l) => l.split(/=(.*)/s, 2) as [string, string]));
            } catch {
                return undefined;
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
        /** The Dockerfile a workflow's step picks for a service, in the repository's context or in another one. */
        const select = (step: Step, service: string, contextDir = step.env!.CONTEXT_DIR) =>
            runStep(step, { SERVICE: service, CONTEXT_DIR: contextDir, TAG: "", PREFIX: "111111111111.dkr.ecr.us-east-1.amazonaws.com/gitops-staging" })?.dockerfile;

        it("both workflows pick the Dockerfile the tools name for every service (context apps/services), and refuse python-kit and unknown folders", () => {
            assert.strictEqual(parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "build-and-push.yml"), "utf8")).on.workflow_call.inputs["context-dir"].default, "apps/services");
            assert.strictEqual(selectors[0][1].env!.CONTEXT_DIR, "${{ inputs.context-dir }}");
            assert.strictEqual(selectors[1][1].env!.CONTEXT_DIR, "apps/services");
            for (const [file, step] of selectors) {
                for (const service of listServices()) assert.strictEqual(select(step, service, "apps/services"), serviceDockerfile(service), `${file}: ${service}`);
                for (const notAService of [PYTHON_KIT, "no-such-service"]) assert.strictEqual(select(step, notAService, "apps/services"), undefined, `${file}: ${notAService}`);
            }
        });

        it("the rule is the tools' rule in any context (build-and-push serves a service repository's layout too)", () => {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "services-"));
            try {
                const context = path.join(root, "apps", "services");
                const files: Record<string, string> = { "web/Dockerfile": "FROM x", "api/app.py": "", [`${PYTHON_KIT}/Dockerfile`]: "FROM y", "docs/notes.txt": "" };
                for (const [file, content] of Object.entries(files)) {
                    fs.mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
                    fs.writeFileSync(path.join(context, file), content);
                }
                assert.deepStrictEqual(listServices(root), ["api", "web"]);
                for (const [file, step] of selectors) {
                    for (const service of ["api", "web"]) assert.strictEqual(select(step, service, context), path.join(root, serviceDockerfile(service, root)), `${file}: ${service}`);
                    assert.strictEqual(select(step, "docs", context), undefined, `${file}: a folder that is no service`);
                }
                fs.rmSync(path.join(context, PYTHON_KIT), { recursive: true });
                for (const [file, step] of selectors) assert.strictEqual(select(step, "api", context), undefined, `${file}: a Python service without the kit's Dockerfile`);
            } finally {
                fs.rmSync(root, { recursive: true, force: true });
            }
        });

        it("every docker build uses the picked Dockerfile, --build-arg SERVICE and the whole context", () => {
            const push = buildJob.find((st) => st.run?.includes("docker build"))!;
            assert.strictEqual(push.env!.DOCKERFILE, "${{ steps.image.outputs.dockerfile }}");
            assert.match(push.run!, /docker build --pull \\\n\s+--file "\$DOCKERFILE" --build-arg "SERVICE=\$SERVICE" \\\n[\s\S]*--tag "\$IMAGE" "\$CONTEXT_DIR"\n/);
            const builds = prJob.filter((st) => st.run?.includes("docker build"));
            assert.deepStrictEqual(builds.map((st) => st.name), ["test stage", "runtime image (not pushed)"]);
            for (const st of builds) {
                assert.strictEqual(st.env!.DOCKERFILE, "${{ steps.dockerfile.outputs.dockerfile }}");
                assert.match(st.run!, /^docker build (--target test )?--file "\$DOCKERFILE" --build-arg "SERVICE=\$SERVICE" --tag "\$SERVICE:[^"]+" apps\/services$/);
            }
        });
    });

    describe("the shop's tests run against real servers, on this machine and in the pull-request workflow", () => {
        const servers = read(PYTHON_KIT, "tests", "servers.py");
        /** The variables that hand servers to the tests (servers.py ENV). */
        const handOver = [...servers.matchAll(/^\s+"\w+": "(SHOP_TEST_\w+)",$/gm)].map((m) => m[1]);
        // pull-request.yml (and trunk.yml) call tests.yml for npm test.
        const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "tests.yml"), "utf8"));
        const job = workflow.jobs.test;
        const overlayTag = (workload: string) => parse(fs.readFileSync(path.join(REPO_ROOT, "apps", "workloads", workload, "overlays", "production", "kustomization.yaml"), "utf8")).images[0].newTag;

        it("npm test runs the services' suites and the browser test, which find the servers through SHOP_STACK or SHOP_TEST_*", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
            assert.strictEqual(pkg.scripts.test, "node tools/ts-run.js tests/run.ts");
            assert.ok(JOBS.some((j) => j.name === "shop"), "npm test runs the shop's job");
            assert.strictEqual(pkg.scripts["test:shop"], "ts-node --swc tests/shop/run.ts");
            assert.match(pkg.devDependencies["puppeteer-core"], /^\d+\.\d+\.\d+$/, "puppeteer-core pinned");
            assert.deepStrictEqual(handOver, ["SHOP_TEST_DB_HOST", "SHOP_TEST_DB_PORT", "SHOP_TEST_DB_ADMIN_USER", "SHOP_TEST_DB_ADMIN_PASSWORD", "SHOP_TEST_REDIS_HOST", "SHOP_TEST_REDIS_PORT", "SHOP_TEST_REDIS_PASSWORD"]);
            const ciRun = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
            assert.match(ciRun, /npx ts-node --swc tools\/shop-stack\.ts up "\$stack"\nexport SHOP_STACK="\$stack"\n/);
            assert.match(ciRun, /trap stop_stack EXIT/);
            assert.match(ciRun, /npm ci --prefix apps\/services\/frontend/);
        });

        it("the pull-request workflow's npm test gets MySQL 8.4 and Redis as service containers, at the cluster's versions", () => {
            const mysql = /^mysql:(\d+\.\d+\.\d+)$/.exec(job.services.mysql.image)?.[1];
            const redis = /^redis:(\d+\.\d+\.\d+-alpine)$/.exec(job.services.redis.image)?.[1];
            assert.ok(mysql?.startsWith("8.4."), job.services.mysql.image);
            // The versions the workloads pin (tags, or a tag with its digest).
            assert.ok(String(overlayTag("mysql")).startsWith(mysql!), `mysql ${mysql} vs the workload's ${overlayTag("mysql")}`);
            assert.ok(String(overlayTag("redis")).startsWith(redis!), `redis ${redis} vs the workload's ${overlayTag("redis")}`);
            for (const service of ["mysql", "redis"]) {
                assert.ok(job.services[service].ports.every((p: string) => p.startsWith("127.0.0.1:")), `${service}: loopback only`);
                assert.match(job.services[service].options, /--health-cmd/, `${service}: the job waits until it answers`);
            }
            for (const name of Object.keys(job.env).filter((k) => k.startsWith("SHOP_TEST_"))) assert.ok(handOver.includes(name), name);
            for (const name of ["SHOP_TEST_DB_HOST", "SHOP_TEST_DB_PORT", "SHOP_TEST_DB_ADMIN_USER", "SHOP_TEST_REDIS_HOST", "SHOP_TEST_REDIS_PORT"]) assert.ok(job.env[name], name);
            const runs: string[] = job.steps.map((st: { run?: string }) => st.run ?? "");
            assert.ok(runs.includes("npm ci --prefix apps/services/frontend --no-audit --no-fund"));
            assert.ok(runs.some((r) => r.includes("requirements.txt -r apps/services/python-kit/requirements-dev.txt") && r.includes("SHOP_PYTHON=")));
            assert.strictEqual(runs.at(-1), "npm test");
        });
    });

    describe("the frontend", () => {
        const template = read("frontend", "default.conf.template");
        const dockerfile = read("frontend", "Dockerfile");

        it("proxies /api/users, /api/products and /api/orders to the services' URLs from its Deployment", () => {
            const { container } = deployment("frontend");
            const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
            for (const [resource, variable, host] of [
                ["users", "USER_SERVICE_URL", "user-service"],
                ["products", "PRODUCT_SERVICE_URL", "product-service"],
                ["orders", "ORDER_SERVICE_URL", "order-service"],
            ]) {
                assert.match(template, new RegExp(`location /api/${resource} \\{\\s*set \\$backend "\\$\\{${variable}\\}";\\s*proxy_pass \\$backend;`));
                const expected = `http://${host}.backend.svc.cluster.local:5000`;
                assert.strictEqual(env[variable], expected, `the Deployment's ${variable}`);
                assert.ok(dockerfile.includes(`${variable}=${expected}`), `the image's default ${variable}`);
                assert.ok(dockerfile.includes(variable) && new RegExp(`NGINX_ENVSUBST_FILTER=.*${variable}`).test(dockerfile), `${variable} is substituted`);
            }
        });

        it("is a React + TypeScript app built by Vite in the image's build stage, with exactly the locked packages and CI's Node.js", () => {
            const pkg = JSON.parse(read("frontend", "package.json"));
            const lock = JSON.parse(read("frontend", "package-lock.json"));
            for (const name of ["react", "react-dom"]) assert.ok(pkg.dependencies[name], name);
            for (const name of ["vite", "typescript", "@vitejs/plugin-react"]) assert.ok(pkg.devDependencies[name], name);
            for (const [name, version] of Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies })) {
                assert.match(version, /^\d+\.\d+\.\d+$/, `${name}: an exact version`);
                assert.strictEqual(lock.packages[`node_modules/${name}`]?.version, version, `${name} is locked at ${version}`);
            }
            assert.strictEqual(Number(pkg.devDependencies.typescript.split(".")[0]), 5, "TypeScript 5.x");
            assert.strictEqual(pkg.scripts.build, "tsc -p . && vite build", "the build type-checks first");
            const build = parseDockerfile(dockerfile).find((st) => st.name === "build")!;
            const node = /^node:(\d+\.\d+\.\d+)-alpine$/.exec(build.from)?.[1];
            assert.strictEqual(node, /^NODE_PACKAGE_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8"))![1], "the Node.js .ci/run uses");
            const runs = build.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
            assert.deepStrictEqual(runs, ["npm ci --no-audit --no-fund", "npm run build"]);
            // nginx serves what the build stage made, nothing from the context (no node_modules, no sources).
            assert.deepStrictEqual(Object.fromEntries(imageFiles("frontend", "runtime").fromStages), { "/usr/share/nginx/html": "build:/src/dist/" });
            const ignored = read(".dockerignore");
            assert.match(ignored, /^\*\*\/node_modules$/m);
            assert.match(ignored, /^frontend\/dist$/m);
        });

        it("answers its own errors in JSON like the services, and refuses bodies over the services' 64 KiB before reading them", () => {
            assert.match(template, /client_max_body_size 64k;/);
            assert.strictEqual(64 * 1024, Number(/^MAX_BODY_BYTES = (\d+) \* 1024$/m.exec(read(PYTHON_KIT, "service_kit.py"))![1]) * 1024);
            for (const [codes, target] of [["413", "@too_large"], ["502 503", "@unavailable"], ["504", "@timeout"]]) {
                assert.match(template, new RegExp(`error_page ${codes} ${target};`));
                assert.match(template, new RegExp(`location ${target} \\{\\s*default_type application/json;\\s*return \\d{3} '\\{"error": "[^"]+"\\}';`));
            }
        });

        it("renders its config into /tmp (read-only root filesystem) and serves nginx's counters to the exporter sidecar", () => {
            assert.match(dockerfile, /NGINX_ENVSUBST_OUTPUT_DIR=\/tmp/);
            assert.match(read("frontend", "nginx.conf"), /include \/tmp\/default\.conf;/);
            assert.match(template, /listen 8080;/);
            const { pod } = deployment("frontend");
            const exporter = pod.containers.find((c: { name: string }) => c.name === "metrics");
            const scrape = exporter.args.find((a: string) => a.startsWith("--nginx.scrape-uri="))!.split("=")[1];
            assert.strictEqual(scrape, "http://127.0.0.1:8081/stub_status");
            assert.match(template, /listen 127\.0\.0\.1:8081;\s*location = \/stub_status \{\s*stub_status;/);
        });
    });
});
