/**
 * The service sources CI builds (apps/services/<service>) against the contract the rest of the repository expects:
 * the ECR repositories infra creates, the Applications apps creates, and the Deployments in apps/workloads (port,
 * user, probes, environment variables). The services' own unit tests run in their Dockerfile's `test` stage.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { loadInfraSettings } from "../../infra/settings";
import { WORKLOADS } from "../../apps/catalogue";
import { listServices } from "../../tools/cli-support";
import { settingsFileSource } from "../../tools/ci-context";

const SERVICES_DIR = path.join(REPO_ROOT, "apps", "services");
const PYTHON_SERVICES = ["user-service", "product-service", "order-service"];
const read = (...parts: string[]) => fs.readFileSync(path.join(SERVICES_DIR, ...parts), "utf8");

/** The Deployment of a workload (apps/workloads/<name>/base/deployment.yaml) and its main container. */
function deployment(name: string) {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "apps", "workloads", name, "base", "deployment.yaml"), "utf8"));
    const pod = doc.spec.template.spec;
    return { pod, container: pod.containers[0] };
}

/** `FROM image[:tag] [AS stage]` lines of a Dockerfile. */
function stages(dockerfile: string): { image: string; name?: string }[] {
    return [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({ image: m[1], name: m[2] }));
}

describe("service sources", () => {
    it("are exactly the ECR repositories infra creates and the images the apps layer deploys", () => {
        const repositories = loadInfraSettings("staging", { source: settingsFileSource("staging"), dryRun: true }).ecrRepositories;
        const images = Object.values(WORKLOADS).flatMap((w) => (w.ecrImage ? [w.ecrImage] : []));
        assert.deepStrictEqual(listServices(), [...repositories].sort());
        assert.deepStrictEqual(listServices(), [...images].sort());
    });

    for (const service of ["user-service", "product-service", "order-service", "frontend"]) {
        describe(service, () => {
            const dockerfile = read(service, "Dockerfile");
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
                const exposed = service === "frontend" ? dockerfile : dockerfile + read(service, "gunicorn.conf.py");
                assert.ok(new RegExp(`EXPOSE ${port}\\b`).test(exposed), `EXPOSE ${port}`);
                assert.strictEqual(container.securityContext.readOnlyRootFilesystem, true, "the image must work on a read-only root filesystem (it writes to /tmp only)");
                assert.ok(container.volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/tmp"));
            });

            it("answers on the paths its probes use", () => {
                const sources = service === "frontend" ? read(service, "default.conf.template") : read(service, "service_kit.py");
                for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
                    const p = container[probe]?.httpGet?.path;
                    if (p) assert.ok(sources.includes(service === "frontend" ? `location = ${p}` : `@app.get("${p}")`), `${probe} ${p}`);
                }
            });
        });
    }

    describe("the Python services", () => {
        it("share one service_kit.py and gunicorn.conf.py (copies kept identical; each service is its own build context)", () => {
            for (const file of ["service_kit.py", "gunicorn.conf.py", "requirements.txt", "requirements-dev.txt", "tests/fakes.py", "tests/conftest.py", "tests/test_kit.py"]) {
                const first = read(PYTHON_SERVICES[0], file);
                for (const s of PYTHON_SERVICES.slice(1)) assert.strictEqual(read(s, file), first, `${s}/${file} differs from ${PYTHON_SERVICES[0]}'s`);
            }
        });

        it("pin every requirement to an exact version", () => {
            for (const s of PYTHON_SERVICES) {
                for (const file of ["requirements.txt", "requirements-dev.txt"]) {
                    const lines = read(s, file).split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
                    assert.ok(lines.length > 0);
                    for (const line of lines) assert.match(line, /^[A-Za-z0-9_.-]+==\d+(\.\d+)+$/, `${s}/${file}: ${line}`);
                }
                const names = read(s, "requirements.txt").toLowerCase();
                // cryptography (with cffi and pycparser): PyMySQL's RSA login to MySQL 8.4 (caching_sha2_password) over plain TCP.
                for (const pkg of ["flask==", "gunicorn==", "prometheus-client==", "pymysql==", "redis==", "cryptography==", "cffi==", "pycparser=="]) assert.ok(names.includes(pkg), `${s}: ${pkg}`);
            }
        });

        it("serve /healthz, /readyz (MySQL and Redis), /metrics and their REST API under gunicorn on port 5000", () => {
            const kit = read("user-service", "service_kit.py");
            for (const route of ["/healthz", "/readyz", "/metrics"]) assert.ok(kit.includes(`@app.get("${route}")`), route);
            for (const [s, resource] of [["user-service", "users"], ["product-service", "products"], ["order-service", "orders"]]) {
                const app = read(s, "app.py");
                assert.ok(app.includes(`@app.get("/api/${resource}")`) && app.includes(`@app.post("/api/${resource}")`), s);
                assert.match(app, /\{"mysql": db\.ping, "redis": cache\.ping\}/, `${s}: readiness checks MySQL and Redis`);
                assert.match(read(s, "Dockerfile"), /CMD \["gunicorn", "--config", "gunicorn.conf.py", "app:from_env\(\)"\]/);
            }
            assert.match(read("user-service", "gunicorn.conf.py"), /bind = f"0\.0\.0\.0:\{os\.environ\.get\('PORT', '5000'\)\}"/);
        });

        it("read only environment variables their Deployment sets (directly or from the ExternalSecret)", () => {
            for (const s of PYTHON_SERVICES) {
                const { container } = deployment(s);
                const secret = parse(fs.readFileSync(path.join(REPO_ROOT, "apps", "workloads", s, "base", "externalsecret.yaml"), "utf8"));
                assert.ok(container.envFrom.some((e: { secretRef?: { name: string } }) => e.secretRef?.name === secret.spec.target.name));
                const provided = new Set([...container.env.map((e: { name: string }) => e.name), ...Object.keys(secret.spec.target.template.data)]);
                const code = read(s, "service_kit.py") + read(s, "app.py") + read(s, "gunicorn.conf.py");
                const used = new Set([...code.matchAll(/(?:env|environ)(?:\.get\(|\[)"([A-Z_]+)"/g), ...code.matchAll(/environ\.get\('([A-Z_]+)'/g)].map((m) => m[1]));
                assert.ok(used.size >= 8, `${s}: found ${[...used].join(", ")}`);
                for (const name of used) assert.ok(provided.has(name), `${s} reads ${name}, which its Deployment does not set`);
            }
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
