/**
 * The path from Git to the pack: lib/workloads.ts renders what each Application syncs, keeping each object's file,
 * and `npm run plan` fails on a manifest that breaks a rule, naming the policy and the file. The plan runs as a user
 * runs it, in a temporary copy of the repository with one bad manifest.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { applicationSources, renderWorkloads, WorkloadRenderError, WorkloadSource } from "../../lib/workloads";
import { EXCEPTIONS } from "../../policies/exceptions";
import { loadPackConfig, manifestResources, runPack } from "../../policies/offline";
import { publicFrontendRun } from "../apps/fixture";

const OVERLAY = (w: string, env: string) => `apps/workloads/${w}/overlays/${env}`;

/** A copy of the repository without its history and dependencies (linked), for commands that read the tree. */
function copyRepository(): string {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "repo-copy-"));
    const skip = new Set([".git", "node_modules", "tests", path.join("apps", "services")].map((p) => path.join(REPO_ROOT, p)));
    fs.cpSync(REPO_ROOT, copy, { recursive: true, filter: (source) => !skip.has(source) });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
    return copy;
}

describe("rendering what ArgoCD syncs (lib/workloads.ts)", () => {
    it("keeps each object's file: the base, the overlay's own, a component's; and removes kustomize's origin annotation", async () => {
        const sources: WorkloadSource[] = [
            { application: "frontend", path: OVERLAY("frontend", "production"), kustomize: { components: ["../../components/ingress"] } },
        ];
        const rendered = await renderWorkloads(sources);
        const fileOf = (kind: string, name?: string) => rendered.find((r) => r.object.kind === kind && (name === undefined || r.object.metadata.name === name))!.file;
        assert.strictEqual(fileOf("Deployment"), "apps/workloads/frontend/base/deployment.yaml");
        assert.strictEqual(fileOf("PodDisruptionBudget"), "apps/workloads/frontend/overlays/production/pdb.yaml");
        assert.strictEqual(fileOf("Ingress"), "apps/workloads/frontend/components/ingress/ingress.yaml");
        for (const r of rendered) {
            assert.strictEqual(r.source, `${r.file}, rendered from ${OVERLAY("frontend", "production")}`);
            assert.strictEqual(r.object.metadata.annotations?.["config.kubernetes.io/origin"], undefined);
        }
    });

    it("an overlay that does not build, or an Application pointing nowhere, is an error naming the Application and the overlay", async () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "broken-"));
        try {
            fs.cpSync(path.join(REPO_ROOT, "apps", "workloads"), path.join(copy, "apps", "workloads"), { recursive: true });
            const file = path.join(copy, OVERLAY("redis", "staging"), "kustomization.yaml");
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("../../base", "../../basis"));
            await assert.rejects(renderWorkloads([{ application: "redis", path: OVERLAY("redis", "staging"), kustomize: {} }], { root: copy }), (e: Error) => {
                assert.ok(e instanceof WorkloadRenderError);
                assert.match(e.message, /^Application redis: kubectl kustomize apps\/workloads\/redis\/overlays\/staging failed: .*basis/s);
                return true;
            });
            await assert.rejects(renderWorkloads([{ application: "ghost", path: "apps/workloads/ghost/overlays/staging", kustomize: {} }], { root: copy }), /Application ghost: apps\/workloads\/ghost\/overlays\/staging does not exist/);
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });
});

describe("the public frontend (apps:frontendHostname) as ArgoCD renders it", () => {
    it("passes the pack: its Ingress carries the WAF ACL, access logs and header dropping", async function () {
        this.timeout(60_000);
        const run = await publicFrontendRun("staging");
        const frontend = applicationSources(run.resources).filter((s) => s.application === "frontend");
        const rendered = await renderWorkloads(frontend);
        assert.ok(rendered.some((r) => r.object.kind === "Ingress"), "the Ingress component is rendered");
        const report = await runPack(manifestResources(rendered, "staging"), loadPackConfig("staging"));
        assert.deepStrictEqual(report.violations, []);
        assert.strictEqual(report.evaluated["public-ingresses-hardened"], 1);
    });
});

interface PlanRun {
    code: number;
    stdout: string;
    stderr: string;
}

/** An ExternalSecret a workload overlay adds, claiming the platform's namespace to read Grafana's login from the platform's store. */
const SPOOF = `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: grafana-admin
  namespace: monitoring
spec:
  secretStoreRef: { kind: ClusterSecretStore, name: aws-secrets-manager-platform }
  target: { name: grafana-admin }
  dataFrom:
    - extract: { key: grafana/admin }
`;

/**
 * `npm run plan -- staging` in a copy of the repository whose user-service base escalates privileges, and whose
 * staging overlay (without its own namespace:, so kustomize keeps what an object names) adds SPOOF. A cold start
 * takes seconds: it starts with the suite (a root hook) and runs on the other core while the other suites do.
 */
function planOnBadManifest(): { copy: string; done: Promise<PlanRun> } {
    const copy = copyRepository();
    const file = path.join(copy, "apps/workloads/user-service/base/deployment.yaml");
    const manifest = fs.readFileSync(file, "utf8");
    if (!manifest.includes("allowPrivilegeEscalation: false")) throw new Error(`${file} no longer sets allowPrivilegeEscalation: false: change this test`);
    fs.writeFileSync(file, manifest.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"));
    const overlay = path.join(copy, OVERLAY("user-service", "staging"));
    const kustomization = fs.readFileSync(path.join(overlay, "kustomization.yaml"), "utf8");
    if (!/^namespace: backend\nresources:\n {2}- \.\.\/\.\.\/base\n/m.test(kustomization)) throw new Error(`${overlay}/kustomization.yaml changed its namespace or resources: change this test`);
    fs.writeFileSync(path.join(overlay, "kustomization.yaml"), kustomization.replace(/^namespace: backend\nresources:\n {2}- \.\.\/\.\.\/base\n/m, "resources:\n  - ../../base\n  - grafana-admin.yaml\n"));
    fs.writeFileSync(path.join(overlay, "grafana-admin.yaml"), SPOOF);
    const done = new Promise<PlanRun>((resolve) =>
        // What `npm run plan -- staging` runs (package.json's script), without npm's banner.
        execFile(process.execPath, [path.join(copy, "tools", "ts-run.js"), "tools/plan.ts", "staging"], { cwd: copy, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as NodeJS.ErrnoException & { code?: number }).code) : 0, stdout, stderr }),
        ),
    );
    return { copy, done };
}

let badPlan: ReturnType<typeof planOnBadManifest> | undefined;
before(() => {
    badPlan = planOnBadManifest();
});
after(async () => {
    if (!badPlan) return;
    await badPlan.done;
    fs.rmSync(badPlan.copy, { recursive: true, force: true });
});

describe("npm run plan on a manifest that breaks a rule", function () {
    this.timeout(120_000);

    it("exits 1, naming the policy, the object and the file (in a temporary copy of the repository)", async () => {
        const { code, stdout, stderr } = await badPlan!.done;
        assert.strictEqual(code, 1, stderr);
        const section = stdout.slice(stdout.indexOf("== policies:"), stdout.indexOf("== monthly cost"));
        assert.match(section, /^== policies: 3 mandatory, 0 advisory violation\(s\) ==$/m);
        assert.match(section, /^\[mandatory\] workload-pod-security$/m);
        assert.match(
            section,
            /^ {2}- kubernetes:apps\/v1:Deployment backend\/user-service: .*(?:init )?container "(?:app|migrate)": allowPrivilegeEscalation is true, .*\(CKV_K8S_20\)\. Fix: .* \(apps\/workloads\/user-service\/base\/deployment\.yaml, rendered from apps\/workloads\/user-service\/overlays\/staging\)$/m,
        );
        // The overlay's ExternalSecret is judged by its Application (user-service, in backend), not by the namespace it claims.
        const spoofFile = "\\(apps\\/workloads\\/user-service\\/overlays\\/staging\\/grafana-admin\\.yaml, rendered from apps\\/workloads\\/user-service\\/overlays\\/staging\\)$";
        assert.match(section, new RegExp(`^\\[mandatory\\] objects-in-application-namespace\\n {2}- kubernetes:external-secrets\\.io/v1:ExternalSecret monitoring/grafana-admin: .*metadata\\.namespace is "monitoring", but Application user-service deploys to backend.* ${spoofFile}`, "m"));
        assert.match(section, new RegExp(`^\\[mandatory\\] external-secrets-store-by-namespace\\n {2}- .*ExternalSecret monitoring/grafana-admin \\(synced by Application user-service into backend\\): spec\\.secretStoreRef is ClusterSecretStore "aws-secrets-manager-platform".* ${spoofFile}`, "m"));
        assert.match(stdout, /Result: FAILS: 3 mandatory policy violation\(s\) \(exit 1\)\./);
        // A service never released is said, not silently passed: a warning naming it.
        assert.match(stdout, /^ {2}- workload-images-pinned: kubernetes:apps\/v1:Deployment "backend\/product-service": product-service was never released: /m);
        // What passes on purpose is said, with its reason, not silently passed.
        for (const [policy, list] of Object.entries(EXCEPTIONS)) {
            for (const e of list) assert.ok(section.includes(`[exception] ${e.id} (${policy}, ${e.rule}): ${e.reason}`), `${e.id} in the plan`);
        }
    });
});
