import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { KustomizeOverrides } from "../../apps/application";
import { GENERATED_SECRETS, MANIFEST_SECRET_STORE, MANIFEST_STORAGE_CLASS, namespaceOf, overlayPath, ROLLING_SURGE, WORKLOAD_NAMES, WORKLOADS, WORKLOADS_PATH, WorkloadName } from "../../lib/catalogue";
import { REPO_ROOT } from "../../lib/environment";
import { workloadNamespaceLimits } from "../../platform/cluster/quotas";
import { LayerRun } from "../../lib/offline";
import { ISOLATION_POLICIES } from "../../policies/isolation";
import { createResourceValidationArgs, runResourcePolicy } from "../policies/util";
import { allowed, cpuMillis, memoryMiB, podsOf, restrictedViolations, selects } from "./checks";
import { AppsBase, appsBase, ENVS, Env, publicFrontendRun, publicHostname, publicPlatformRun } from "./fixture";
import type { WorkloadSource } from "../../lib/workloads";
import { renderWorkloads, setImages } from "./kustomize";
import { KubeObject, schemaProblems } from "./schemas";

const EXPECT = {
    staging: { services: [1, 2], frontend: [1, 2], mysqlVolume: "5Gi", redisVolume: "1Gi", retention: "Delete", spread: false },
    production: { services: [2, 5], frontend: [2, 4], mysqlVolume: "20Gi", redisVolume: "5Gi", retention: "Retain", spread: true },
} as const;

/** Staging shares free-tier nodes with the platform: what the six workloads may request together. */

/** Who may talk to whom (TCP), and nothing else. */
/** Each workload reaches what it requires, on the port that serves (the catalogue), and nothing else. */
const EXPECTED_CONNECTIONS = WORKLOAD_NAMES.flatMap((w) => WORKLOADS[w].requires.map((r) => `${w} -> ${r}:${WORKLOADS[r].port}`)).sort();

/** A public image's tag: a semantic version (with a variant suffix such as -alpine). */
const PINNED_TAG = /^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$/;
/** A service's pin: an immutable digest (all zeros until its first release). */
const PINNED_DIGEST = /^sha256:[0-9a-f]{64}$/;

function podSpec(o: KubeObject): any {
    return o.spec.template.spec;
}

function workloadsOf(objects: KubeObject[]): KubeObject[] {
    return objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
}

function containersOf(o: KubeObject): any[] {
    return [...(podSpec(o).initContainers ?? []), ...podSpec(o).containers];
}

/**
 * What a pod reserves (Kubernetes' rule): per resource, the larger of its biggest init container (they run one at
 * a time, before the others) and the sum of its containers.
 */
function podResources(o: KubeObject, kind: "requests" | "limits"): { cpu: number; memory: number } {
    const sum = (cs: any[], f: (c: any) => number) => cs.reduce((n, c) => n + f(c), 0);
    const max = (cs: any[], f: (c: any) => number) => cs.reduce((n, c) => Math.max(n, f(c)), 0);
    const cpu = (c: any) => cpuMillis(c.resources[kind].cpu);
    const memory = (c: any) => memoryMiB(c.resources[kind].memory);
    const init = podSpec(o).initContainers ?? [];
    const main = podSpec(o).containers;
    return { cpu: Math.max(max(init, cpu), sum(main, cpu)), memory: Math.max(max(init, memory), sum(main, memory)) };
}

/** What the pack's isolation policies report on rendered workload objects (ExternalSecrets, Ingresses). */
async function isolationFindings(objects: KubeObject[]): Promise<string[]> {
    const findings: string[] = [];
    for (const o of objects.filter((x) => x.kind === "ExternalSecret" || x.kind === "Ingress")) {
        for (const policy of ISOLATION_POLICIES) {
            const outcome = await runResourcePolicy(policy, createResourceValidationArgs(policy, `kubernetes:${o.apiVersion}:${o.kind}`, o, { name: o.metadata.name }));
            if (!outcome.notApplicable) findings.push(...outcome.violations.map((v) => v.message));
        }
    }
    return findings;
}

function overridesOf(run: LayerRun, name: WorkloadName): KustomizeOverrides {
    const app = run.ofType("kubernetes:argoproj.io/v1alpha1:Application").find((a) => a.inputs.metadata.name === name)!;
    return app.inputs.spec.source.kustomize ?? {};
}

/** The Flask services (the backend tier), and the workloads the catalogue gives a migrate container. */
const FLASK_SERVICES = WORKLOAD_NAMES.filter((w) => WORKLOADS[w].tier === "backend");
const MIGRATING = WORKLOAD_NAMES.filter((w) => ENVS.every((env) => "migrate" in WORKLOADS[w].sizing[env].containers));

interface Renders {
    /** Each overlay as it is in Git. */
    git: Map<WorkloadName, KubeObject[]>;
    /** Each overlay as ArgoCD renders it with its Application's overrides. */
    argocd: Map<WorkloadName, KubeObject[]>;
    /** The frontend's overlay with a public hostname (the Ingress component). */
    publicFrontend: KubeObject[];
    publicRun: LayerRun;
}

const renderCache = new Map<Env, Promise<Renders>>();

/** Every render of an environment, made once per process (the per-environment suites and the cross-environment checks share them). */
function rendersOf(env: Env): Promise<Renders> {
    if (!renderCache.has(env)) renderCache.set(env, render(env));
    return renderCache.get(env)!;
}

async function render(env: Env): Promise<Renders> {
    const base = await appsBase(env);
    const publicRun = await publicFrontendRun(env);
    // One call: kubectl renders the overlays of different workloads together (as in Git, then as ArgoCD does).
    const sources: WorkloadSource[] = [
        ...WORKLOAD_NAMES.map((w) => ({ application: `git ${w}`, path: overlayPath(w, env), kustomize: {} })),
        ...WORKLOAD_NAMES.map((w) => ({ application: `argocd ${w}`, path: overlayPath(w, env), kustomize: overridesOf(base.apps, w) })),
        { application: "public frontend", path: overlayPath("frontend", env), kustomize: overridesOf(publicRun, "frontend") },
    ];
    const rendered = await renderWorkloads(sources);
    const of = (application: string) => rendered.filter((r) => r.application === application).map((r) => r.object);
    return {
        git: new Map(WORKLOAD_NAMES.map((w) => [w, of(`git ${w}`)])),
        argocd: new Map(WORKLOAD_NAMES.map((w) => [w, of(`argocd ${w}`)])),
        publicFrontend: of("public frontend"),
        publicRun,
    };
}

/** `group/Kind` of an object, "" for the core group. */
function groupKind(o: KubeObject): string {
    return `${o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : ""}/${o.kind}`;
}

/** The kinds the AppProject the apps layer created lets ArgoCD deploy. */
function permittedKinds(run: LayerRun): Set<string> {
    const project = run.one("kubernetes:argoproj.io/v1alpha1:AppProject");
    return new Set(project.inputs.spec.namespaceResourceWhitelist.map((r: { group: string; kind: string }) => `${r.group}/${r.kind}`));
}

function imageParts(image: string): { repository: string; tag?: string; digest?: string } {
    const [named, digest] = image.split("@");
    const at = named.lastIndexOf(":");
    const parts = at > named.lastIndexOf("/") ? { repository: named.slice(0, at), tag: named.slice(at + 1) } : { repository: named };
    return digest === undefined ? parts : { ...parts, digest };
}

for (const env of ENVS) {
    describe(`workload manifests (${env})`, () => {
        const expected = EXPECT[env];
        const production = env === "production";
        let base: AppsBase;
        let git: Map<WorkloadName, KubeObject[]>;
        let all: KubeObject[];
        let argocd: Map<WorkloadName, KubeObject[]>;
        let publicFrontend: KubeObject[];
        let publicRun: LayerRun;

        before(async function () {
            this.timeout(60000);
            base = await appsBase(env);
            ({ git, argocd, publicFrontend, publicRun } = await rendersOf(env));
            all = [...git.values()].flat();
        });

        it("every overlay renders with kubectl kustomize, each object in its workload's namespace, labelled part of the shop", () => {
            for (const [w, objects] of git) {
                assert.ok(objects.length >= 5, `${w}: ${objects.length} objects`);
                for (const o of objects) {
                    assert.strictEqual(o.metadata.namespace, namespaceOf(w), `${w}: ${o.kind} ${o.metadata.name}`);
                    assert.strictEqual(o.metadata.labels?.["app.kubernetes.io/part-of"], "shop", `${w}: ${o.kind} ${o.metadata.name}`);
                }
            }
        });

        it("every object validates against the Kubernetes, External Secrets and Prometheus operator schemas, with no unknown field", async function () {
            this.timeout(20000);
            const ingressComponent = publicFrontend.filter((o) => o.kind === "Ingress" || o.metadata.name === "frontend-from-alb");
            assert.strictEqual(ingressComponent.length, 2);
            assert.deepStrictEqual(await schemaProblems([...all, ...ingressComponent]), []);
        });

        it("only namespaced kinds the AppProject allows; no Secret (External Secrets makes them); ConfigMaps only for Grafana dashboards", () => {
            const allowedKinds = permittedKinds(base.apps);
            for (const o of [...all, ...publicFrontend]) assert.ok(allowedKinds.has(groupKind(o)), `${o.kind} ${o.metadata.name} is not in the AppProject's whitelist`);
            assert.ok(!all.some((o) => o.kind === "Secret"));
            const configMaps = all.filter((o) => o.kind === "ConfigMap");
            assert.deepStrictEqual(configMaps.map((o) => o.metadata.name), ["shop-dashboard"]);
            for (const o of configMaps) assert.strictEqual(o.metadata.labels?.grafana_dashboard, "1", `${o.metadata.name}: the label Grafana's sidecar loads`);
        });

        it("every pod meets the restricted Pod Security Standard (non-root, no escalation, ALL capabilities dropped, RuntimeDefault seccomp)", () => {
            const pods = workloadsOf(all);
            assert.strictEqual(pods.length, WORKLOAD_NAMES.length);
            for (const o of pods) {
                assert.deepStrictEqual(restrictedViolations(podSpec(o)), [], o.metadata.name);
                const psc = podSpec(o).securityContext;
                assert.strictEqual(psc.runAsNonRoot, true, o.metadata.name);
                assert.ok(Number.isInteger(psc.runAsUser) && psc.runAsUser > 0, `${o.metadata.name}: a numeric non-root UID the kubelet can verify`);
                assert.strictEqual(psc.seccompProfile.type, "RuntimeDefault", o.metadata.name);
            }
        });

        it("every container: read-only root filesystem, CPU and memory requests, a memory limit; readiness and liveness probes (init containers cannot have them)", () => {
            for (const o of workloadsOf(all)) {
                for (const c of containersOf(o)) {
                    const at = `${o.metadata.name}/${c.name}`;
                    assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, at);
                    assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] }, at);
                    assert.ok(cpuMillis(c.resources.requests.cpu) > 0 && memoryMiB(c.resources.requests.memory) > 0, `${at} requests`);
                    assert.ok(memoryMiB(c.resources.limits.memory) >= memoryMiB(c.resources.requests.memory), `${at} memory limit`);
                }
                for (const c of podSpec(o).containers) assert.ok(c.readinessProbe && c.livenessProbe, `${o.metadata.name}/${c.name} probes`);
                for (const c of podSpec(o).initContainers ?? []) assert.ok(!c.readinessProbe && !c.livenessProbe && !c.startupProbe, `${o.metadata.name}/${c.name}: no probes`);
            }
            // Slow first starts (MySQL initialising, Flask warming up) are covered by startup probes, not killed.
            for (const w of ["mysql", "user-service", "product-service", "order-service"]) {
                const o = workloadsOf(git.get(w as WorkloadName)!)[0];
                assert.ok(podSpec(o).containers[0].startupProbe, w);
            }
        });

        it("the Flask services probe /healthz (liveness) and /readyz (readiness) on 5000, the frontend /healthz on 8080", () => {
            for (const w of FLASK_SERVICES) {
                const c = podSpec(workloadsOf(git.get(w)!)[0]).containers[0];
                assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: WORKLOADS[w].port }]);
                assert.strictEqual(WORKLOADS[w].port, 5000, w);
                assert.deepStrictEqual([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path], ["/healthz", "/readyz"]);
            }
            const web = containersOf(workloadsOf(git.get("frontend")!)[0]).find((c) => c.name === "web");
            assert.deepStrictEqual(web.ports, [{ name: "http", containerPort: 8080 }]);
            assert.strictEqual(web.readinessProbe.httpGet.path, "/healthz");
        });

        it("the Flask services migrate the schema before they serve: an init container of their image runs migrate.py with their database settings", () => {
            assert.deepStrictEqual(MIGRATING, FLASK_SERVICES, "the catalogue sizes a migrate container for exactly the Flask services");
            for (const w of MIGRATING) {
                const pod = podSpec(workloadsOf(git.get(w)!)[0]);
                assert.strictEqual(pod.initContainers?.length, 1, w);
                const [init, app] = [pod.initContainers[0], pod.containers[0]];
                assert.deepStrictEqual(init.command, ["python", "migrate.py"]);
                assert.strictEqual(init.image, app.image, `${w}: the same release migrates and serves`);
                assert.deepStrictEqual(init.envFrom, app.envFrom, `${w}: the same credentials`);
                const env = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
                for (const name of ["DB_HOST", "DB_PORT"]) assert.strictEqual(env(init)[name], env(app)[name], `${w}: ${name}`);
            }
            // The frontend and the data stores have nothing to migrate.
            for (const w of WORKLOAD_NAMES.filter((n) => !MIGRATING.includes(n))) assert.strictEqual(podSpec(workloadsOf(git.get(w)!)[0]).initContainers, undefined, w);
        });

        it("service accounts: one per workload, no API token mounted", () => {
            for (const [w, objects] of git) {
                const pod = podSpec(workloadsOf(objects)[0]);
                const sa = objects.find((o) => o.kind === "ServiceAccount")!;
                assert.strictEqual(pod.serviceAccountName, w);
                assert.strictEqual(sa.metadata.name, w);
                assert.strictEqual(sa.automountServiceAccountToken, false);
                assert.strictEqual(pod.automountServiceAccountToken, false);
            }
        });

        it("images in Git: the services pinned by digest, public images by version tag (never latest); ECR images by repository name only, public ones from ECR Public", () => {
            for (const [w, objects] of git) {
                for (const c of containersOf(workloadsOf(objects)[0])) {
                    const { repository, tag, digest } = imageParts(c.image);
                    if (["app", "web", "migrate"].includes(c.name)) {
                        assert.strictEqual(repository, WORKLOADS[w].ecrImage, `${w}/${c.name}: no registry (account id) in Git`);
                        assert.match(digest ?? "", PINNED_DIGEST, `${w}/${c.name}: ${c.image}`);
                        assert.strictEqual(tag, undefined, `${w}/${c.name}: a digest only, no tag beside it`);
                    } else {
                        assert.match(tag ?? "", PINNED_TAG, `${w}/${c.name}: ${c.image}`);
                        assert.match(repository, /^public\.ecr\.aws\/(docker\/library|nginx)\//, c.image);
                    }
                }
            }
            assert.match(containersOf(workloadsOf(git.get("mysql")!)[0])[0].image, /^public\.ecr\.aws\/docker\/library\/mysql:8\.4\.\d+$/);
            assert.match(containersOf(workloadsOf(git.get("redis")!)[0])[0].image, /^public\.ecr\.aws\/docker\/library\/redis:\d+\.\d+\.\d+-alpine$/);
        });

        it("as ArgoCD renders them (the Application's image override): infra's ECR repository with the overlay's digest", () => {
            for (const w of WORKLOAD_NAMES) {
                const image = WORKLOADS[w].ecrImage;
                const inGit = containersOf(workloadsOf(git.get(w)!)[0]).map((c) => c.image);
                const synced = containersOf(workloadsOf(argocd.get(w)!)[0]).map((c) => c.image);
                if (!image) {
                    assert.deepStrictEqual(synced, inGit, w);
                    continue;
                }
                // The service's own image (the app, and the migrations' init container) moves to ECR, by digest; sidecars stay.
                const own = inGit.map((i) => imageParts(i).repository === image);
                assert.ok(own.some(Boolean), w);
                for (const [i, original] of inGit.entries()) {
                    assert.strictEqual(synced[i], own[i] ? `${base.infra.ecrRepositoryUrls[image]}@${imageParts(original).digest}` : original, `${w}: ${original}`);
                }
            }
        });

        it(`replicas: the HPA owns the services (${expected.services.join("-")}) and the frontend (${expected.frontend.join("-")}); one MySQL, one Redis`, () => {
            for (const [w, objects] of git) {
                const workload = workloadsOf(objects)[0];
                if (workload.kind === "StatefulSet") {
                    assert.strictEqual(workload.spec.replicas, 1, w);
                    assert.ok(!objects.some((o) => o.kind === "HorizontalPodAutoscaler"), w);
                    continue;
                }
                assert.strictEqual(workload.spec.replicas, undefined, `${w}: no replicas, the HPA sets them`);
                const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler")!;
                assert.deepStrictEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: w });
                const bounds = w === "frontend" ? expected.frontend : expected.services;
                assert.deepStrictEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], bounds, w);
                assert.strictEqual(hpa.spec.metrics[0].resource.name, "cpu");
            }
        });

        it(production ? "production: replicas spread over the zones, one disruption at a time" : "staging: no zone spread or disruption budget (one replica)", () => {
            for (const [w, objects] of git) {
                const workload = workloadsOf(objects)[0];
                const pdb = objects.filter((o) => o.kind === "PodDisruptionBudget");
                const spread = podSpec(workload).topologySpreadConstraints ?? [];
                if (!production || workload.kind === "StatefulSet") {
                    assert.deepStrictEqual(pdb, [], w);
                    assert.deepStrictEqual(spread, [], w);
                    continue;
                }
                const zone = spread.find((s: any) => s.topologyKey === "topology.kubernetes.io/zone");
                assert.ok(zone, `${w}: zone spread`);
                assert.strictEqual(zone.whenUnsatisfiable, "DoNotSchedule");
                assert.strictEqual(zone.maxSkew, 1);
                assert.ok(selects(zone.labelSelector, workload.spec.template.metadata.labels), `${w}: the spread counts its own pods`);
                assert.strictEqual(pdb.length, 1, w);
                assert.strictEqual(pdb[0].spec.maxUnavailable, 1);
                assert.ok(selects(pdb[0].spec.selector, workload.spec.template.metadata.labels), `${w}: the budget covers its pods`);
            }
        });

        it(`mysql and redis keep their data on encrypted gp3 volumes (${expected.mysqlVolume}, ${expected.redisVolume}); ${expected.retention === "Retain" ? "volumes outlive the StatefulSet" : "deleted with the stack"}`, () => {
            for (const [w, size] of [["mysql", expected.mysqlVolume], ["redis", expected.redisVolume]] as const) {
                const sts = workloadsOf(git.get(w)!)[0];
                assert.strictEqual(sts.spec.volumeClaimTemplates.length, 1);
                const claim = sts.spec.volumeClaimTemplates[0];
                assert.strictEqual(claim.spec.storageClassName, MANIFEST_STORAGE_CLASS);
                assert.strictEqual(claim.spec.storageClassName, base.platform.storageClassName, "platform's class (gp3, encrypted)");
                assert.deepStrictEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
                assert.strictEqual(claim.spec.resources.requests.storage, size, w);
                assert.deepStrictEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: expected.retention, whenScaled: expected.retention });
                const mounts = containersOf(sts)[0].volumeMounts.map((m: any) => m.name);
                assert.ok(mounts.includes(claim.metadata.name), `${w} mounts its volume`);
            }
            // A new ext4 volume has lost+found at its root: MySQL's data directory is a subdirectory.
            assert.ok(containersOf(workloadsOf(git.get("mysql")!)[0])[0].args.includes("--datadir=/var/lib/mysql/data"));
        });

        it("credentials come from the environment's generated Secrets Manager secrets, through the ClusterSecretStore; pods read only Secrets made that way", () => {
            const generated = new Map(base.apps.ofType("aws:secretsmanager/secretVersion:SecretVersion").map((v) => {
                const raw = v.inputs.secretString;
                const json = JSON.parse(typeof raw === "string" ? raw : raw.value);
                const secret = base.apps.one("aws:secretsmanager/secret:Secret", v.name);
                return [secret.inputs.name as string, Object.keys(json)];
            }));
            assert.deepStrictEqual([...generated.keys()].sort(), GENERATED_SECRETS.map((id) => `gitops-${env}/apps/${id}`).sort());
            // The workloads' ClusterSecretStore reads `<its prefix><key>`; its prefix is platform's secretsPrefix.
            const prefix = base.platform.secretsPrefix;
            for (const [w, objects] of git) {
                const externalSecrets = objects.filter((o) => o.kind === "ExternalSecret");
                for (const es of externalSecrets) {
                    assert.deepStrictEqual(es.spec.secretStoreRef, { kind: "ClusterSecretStore", name: MANIFEST_SECRET_STORE });
                    assert.strictEqual(es.metadata.annotations?.["argocd.argoproj.io/sync-wave"], "-1", "before the pods that read it");
                    const keys: string[] = es.spec.dataFrom.map((d: any) => d.extract.key);
                    for (const key of keys) assert.ok(generated.has(`${prefix}${key}`), `${w}: ${prefix}${key} is a secret the apps stack generates`);
                    // Relative keys, the same in every environment: the store adds the environment.
                    assert.deepStrictEqual([...keys].sort(), [...WORKLOADS[w].secrets].sort(), `${w}: the catalogue's secrets`);
                    // Templated keys must exist in the generated values.
                    const available = keys.flatMap((k: string) => generated.get(`${prefix}${k}`)!);
                    for (const template of Object.values<string>(es.spec.target.template?.data ?? {})) {
                        for (const [, variable] of template.matchAll(/\{\{\s*\.(\w+)\s*\}\}/g)) assert.ok(available.includes(variable), `${w}: ${variable}`);
                    }
                }
                const targets = externalSecrets.map((es) => es.spec.target.name);
                const pod = podSpec(workloadsOf(objects)[0]);
                const read = [...(pod.initContainers ?? []), ...pod.containers].flatMap((c: any) => [
                    ...(c.envFrom ?? []).map((e: any) => e.secretRef?.name),
                    ...(c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name),
                ]).filter(Boolean);
                for (const name of read) assert.ok(targets.includes(name), `${w} reads ${name}, which an ExternalSecret of its own creates`);
                assert.strictEqual(read.length > 0, WORKLOADS[w].secrets.length > 0, w);
            }
            // The services get the database user, not the root password.
            const template = git.get("order-service")!.find((o) => o.kind === "ExternalSecret")!.spec.target.template.data;
            assert.deepStrictEqual(Object.keys(template).sort(), ["DB_NAME", "DB_PASSWORD", "DB_USER", "REDIS_PASSWORD", "SESSION_KEY"]);
            assert.doesNotMatch(JSON.stringify(template), /ROOT/);
        });

        it("Services select their workload's pods and target named ports; ServiceMonitors scrape the services and the frontend", () => {
            for (const [w, objects] of git) {
                const workload = workloadsOf(objects)[0];
                const ports = containersOf(workload).flatMap((c) => (c.ports ?? []).map((p: any) => p.name));
                const services = objects.filter((o) => o.kind === "Service");
                assert.strictEqual(services.length, 1, w);
                assert.ok(selects({ matchLabels: services[0].spec.selector }, workload.spec.template.metadata.labels), w);
                for (const p of services[0].spec.ports) assert.ok(ports.includes(p.targetPort), `${w}: ${p.targetPort}`);
                const monitors = objects.filter((o) => o.kind === "ServiceMonitor");
                assert.strictEqual(monitors.length, WORKLOADS[w].tier === "data" ? 0 : 1, w);
                for (const m of monitors) {
                    assert.ok(selects(m.spec.selector, services[0].metadata.labels ?? {}), `${w}: monitor selects the Service`);
                    for (const e of m.spec.endpoints) assert.ok(services[0].spec.ports.some((p: any) => p.name === e.port), `${w}: ${e.port}`);
                }
                if (workload.kind === "StatefulSet") {
                    assert.strictEqual(workload.spec.serviceName, services[0].metadata.name);
                    assert.strictEqual(services[0].spec.clusterIP, "None");
                }
            }
        });

        it("network: exactly the connections the workloads need (frontend -> services -> MySQL/Redis), every other one denied", () => {
            const pods = podsOf(all);
            const actual: string[] = [];
            for (const src of pods) {
                for (const dst of pods) {
                    if (src === dst) continue;
                    for (const { port } of dst.ports) if (allowed(all, src, dst, port)) actual.push(`${src.workload} -> ${dst.workload}:${port}`);
                }
            }
            assert.deepStrictEqual(actual.sort(), EXPECTED_CONNECTIONS);
            // Cross-namespace peers name their namespace with the label Kubernetes sets.
            for (const np of all.filter((o) => o.kind === "NetworkPolicy")) {
                for (const rule of [...(np.spec.ingress ?? []).flatMap((r: any) => r.from ?? []), ...(np.spec.egress ?? []).flatMap((r: any) => r.to ?? [])]) {
                    if (rule.namespaceSelector) assert.deepStrictEqual(Object.keys(rule.namespaceSelector.matchLabels), ["kubernetes.io/metadata.name"]);
                }
            }
        });

        it("in Git the frontend has no Ingress: it is public only through its Application's component", () => {
            assert.ok(!all.some((o) => o.kind === "Ingress"));
            assert.ok(!argocd.get("frontend")!.some((o) => o.kind === "Ingress"));
        });

        it("a public frontend (apps:frontendHostname): an HTTPS ALB Ingress with the WAF, and only the ALB's subnets reach the pods, on 8080", async () => {
            const ingress = publicFrontend.find((o) => o.kind === "Ingress")!;
            const a = ingress.metadata.annotations!;
            assert.strictEqual(ingress.spec.ingressClassName, "alb");
            assert.strictEqual(ingress.spec.rules[0].host, publicHostname(env));
            assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].backend, { service: { name: "frontend", port: { name: "http" } } });
            // The workloads' class fixes the load balancer (internet-facing, IP targets, HTTPS redirect, certificate,
            // WAF, access logs, the workloads' group); the Ingress may set none of it.
            const platform = await publicPlatformRun(env);
            const params = platform.ofType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams").find((p) => p.inputs.metadata.name === ingress.spec.ingressClassName)!;
            assert.strictEqual(params.inputs.spec.group.name, platform.outputs.albGroupName);
            assert.ok(params.inputs.spec.namespaceSelector.matchExpressions[0].values.includes(ingress.metadata.namespace));
            assert.match(platform.outputs.wafAclArn, /^arn:aws:wafv2:/);
            assert.strictEqual(params.inputs.spec.wafv2AclArn, platform.outputs.wafAclArn);
            for (const key of ["group.name", "scheme", "target-type", "ssl-redirect", "certificate-arn", "wafv2-acl-arn", "load-balancer-attributes"]) {
                assert.ok(!(`alb.ingress.kubernetes.io/${key}` in a), key);
            }
            assert.strictEqual(a["alb.ingress.kubernetes.io/listen-ports"], '[{"HTTP": 80}, {"HTTPS": 443}]');
            assert.strictEqual(a["alb.ingress.kubernetes.io/healthcheck-path"], "/healthz");
            assert.strictEqual(publicRun.outputs.frontendUrl, `https://${publicHostname(env)}`);

            const objects = [...all.filter((o) => o.metadata.namespace !== "frontend"), ...publicFrontend];
            const pods = podsOf(objects);
            const frontend = pods.find((p) => p.workload === "frontend")!;
            const cidrs: string[] = publicFrontend.find((o) => o.metadata.name === "frontend-from-alb")!.spec.ingress[0].from.map((f: any) => f.ipBlock.cidr);
            assert.strictEqual(cidrs.length, base.infra.publicSubnetIds.length);
            for (const cidr of cidrs) {
                const alb = { ip: cidr.replace(/0\/\d+$/, "10") };
                assert.ok(allowed(objects, alb, frontend, 8080), `ALB in ${cidr} -> frontend:8080`);
                assert.ok(!allowed(objects, alb, frontend, 9113), "not the metrics port");
                for (const other of pods.filter((p) => p !== frontend)) for (const { port } of other.ports) assert.ok(!allowed(objects, alb, other, port), `ALB -> ${other.workload}`);
            }
            assert.ok(!allowed(objects, { ip: "172.31.5.9" }, frontend, 8080), "nothing outside the ALB's subnets");
        });

        it("no workload manifest reads the platform's secret store or joins the platform's load balancer (the isolation policies over every render)", async () => {
            const rendered = [...[...argocd.values()].flat(), ...publicFrontend];
            assert.ok(rendered.filter((o) => o.kind === "ExternalSecret").length >= 5 && rendered.some((o) => o.kind === "Ingress"));
            assert.deepStrictEqual(await isolationFindings(rendered), []);
            // What a bad manifest in Git would meet: a service reading Grafana's login, the frontend on the platform's class.
            const es = structuredClone(rendered.find((o) => o.kind === "ExternalSecret" && o.metadata.namespace === "backend")!);
            es.spec.secretStoreRef = { kind: "ClusterSecretStore", name: "aws-secrets-manager-platform" };
            es.spec.dataFrom = [{ extract: { key: "grafana/admin" } }];
            const ingress = structuredClone(publicFrontend.find((o) => o.kind === "Ingress")!);
            ingress.spec.ingressClassName = "alb-platform";
            ingress.metadata.annotations = { ...ingress.metadata.annotations, "alb.ingress.kubernetes.io/group.name": `gitops-${env}-platform` };
            const findings = await isolationFindings([es, ingress]);
            assert.strictEqual(findings.length, 3, findings.join("\n"));
            assert.match(findings[0], /only the ClusterSecretStore "aws-secrets-manager" may be used/);
            assert.match(findings[1], /spec.ingressClassName is "alb-platform", the platform's/);
            assert.match(findings[2], /group.name = "gitops-[a-z]+-platform"/);
        });

        it("each overlay declares exactly the catalogue's sizing: its controller, replicas (the HPA's range), every container's requests and limits, its volume", () => {
            for (const [w, objects] of git) {
                const expected = WORKLOADS[w].sizing[env as Env];
                const [workload] = workloadsOf(objects);
                assert.strictEqual(workload.kind, WORKLOADS[w].controller, w);
                const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
                const replicas = hpa ? { min: hpa.spec.minReplicas, max: hpa.spec.maxReplicas } : { min: workload.spec.replicas, max: workload.spec.replicas };
                assert.deepStrictEqual(replicas, expected.replicas, `${overlayPath(w, env)}: replicas (lib/catalogue.ts says ${JSON.stringify(expected.replicas)})`);
                if (workload.kind === "Deployment") assert.strictEqual(workload.spec.strategy.rollingUpdate.maxSurge, ROLLING_SURGE, `${w}: the surge the quotas count`);
                const rendered = Object.fromEntries(
                    [...(podSpec(workload).initContainers ?? []).map((c: any) => [c.name, { ...c, init: true }]), ...podSpec(workload).containers.map((c: any) => [c.name, c])].map(([name, c]: any) => [
                        name,
                        { requests: { cpu: String(c.resources.requests.cpu), memory: c.resources.requests.memory }, limits: { cpu: String(c.resources.limits.cpu), memory: c.resources.limits.memory }, ...(c.init ? { init: true } : {}) },
                    ]),
                );
                const declared = Object.fromEntries(Object.entries(expected.containers).map(([n, c]) => [n, { ...c, requests: { ...c.requests }, limits: { ...c.limits } }]));
                assert.deepStrictEqual(rendered, declared, `${overlayPath(w, env)}: containers differ from lib/catalogue.ts`);
                const claims = workload.spec.volumeClaimTemplates ?? [];
                assert.deepStrictEqual(claims.map((c: any) => c.spec.resources.requests.storage), expected.volume ? [expected.volume] : [], `${w}: volume`);
            }
        });

        it("at full scale (HPA maximum plus a rolling-update surge) every namespace stays within platform's quota and limit range, with headroom", () => {
            const used = new Map<string, Record<string, number>>();
            for (const [w, objects] of git) {
                const workload = workloadsOf(objects)[0];
                const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
                const pods = hpa ? hpa.spec.maxReplicas + (workload.spec.strategy?.rollingUpdate?.maxSurge ?? 1) : workload.spec.replicas;
                const u = used.get(namespaceOf(w)) ?? { "requests.cpu": 0, "requests.memory": 0, "limits.cpu": 0, "limits.memory": 0, pods: 0, persistentvolumeclaims: 0, "requests.storage": 0 };
                const [requests, limitsOfPod] = [podResources(workload, "requests"), podResources(workload, "limits")];
                u["requests.cpu"] += pods * requests.cpu;
                u["requests.memory"] += pods * requests.memory;
                u["limits.cpu"] += pods * limitsOfPod.cpu;
                u["limits.memory"] += pods * limitsOfPod.memory;
                const limits = workloadNamespaceLimits(namespaceOf(w), env as Env);
                for (const c of containersOf(workload)) {
                    assert.ok(cpuMillis(c.resources.limits.cpu) <= cpuMillis(limits.max.cpu), `${w}/${c.name} cpu limit`);
                    assert.ok(memoryMiB(c.resources.limits.memory) <= memoryMiB(limits.max.memory), `${w}/${c.name} memory limit`);
                }
                u.pods += pods;
                for (const claim of workload.spec.volumeClaimTemplates ?? []) {
                    u.persistentvolumeclaims += workload.spec.replicas;
                    u["requests.storage"] += workload.spec.replicas * memoryMiB(claim.spec.resources.requests.storage);
                }
                used.set(namespaceOf(w), u);
            }
            for (const [ns, u] of used) {
                const limits = workloadNamespaceLimits(ns, env as Env);
                for (const [key, value] of Object.entries(u)) {
                    const hard = limits.quota[key];
                    if (hard === undefined) continue;
                    const max = key.endsWith("cpu") ? cpuMillis(hard) : key.endsWith("memory") || key.endsWith("storage") ? memoryMiB(hard) : Number(hard);
                    assert.ok(value <= max, `${ns}: ${key} ${value} > ${hard}`);
                    // Room for a debugging pod or a rollout (the headroom), but sized from what runs: not twice the need.
                    if (["requests.cpu", "requests.memory", "pods"].includes(key)) assert.ok(value >= max / 2, `${ns}: ${key} ${hard} for ${value}: oversized`);
                }
            }
        });
    });
}

describe("the AppProject's whitelist against the manifests of both environments", () => {
    it("every kind rendered is allowed, and every allowed kind is rendered by some overlay (no unused permission)", async function () {
        this.timeout(60000);
        const used = new Map<string, string>();
        const allowed = new Set<string>();
        for (const env of ENVS) {
            const { git, publicFrontend } = await rendersOf(env);
            const permitted = permittedKinds((await appsBase(env)).apps);
            for (const k of permitted) allowed.add(k);
            for (const o of [...[...git.values()].flat(), ...publicFrontend]) {
                assert.ok(permitted.has(groupKind(o)), `${env}: ${o.kind} ${o.metadata.name} is not in the AppProject's whitelist`);
                used.set(groupKind(o), `${env} ${o.kind} ${o.metadata.name}`);
            }
        }
        const unused = [...allowed].filter((k) => !used.has(k));
        assert.deepStrictEqual(unused, [], "kinds the AppProject allows but no overlay (staging, production, public frontend) renders");
    });
});

describe("the shop's monitoring (the frontend's monitoring/: alerting rules and a Grafana dashboard)", () => {
    const servicesDir = path.join(REPO_ROOT, "apps", "services");
    const kit = fs.readFileSync(path.join(servicesDir, "python-kit", "service_kit.py"), "utf8");
    /** The metrics the services export (the kit's and order-service's prometheus_client objects), as Prometheus names them. */
    const exported = new Set<string>();
    for (const source of [kit, fs.readFileSync(path.join(servicesDir, "order-service", "app.py"), "utf8")]) {
        for (const [, type, name] of source.matchAll(/= (Counter|Histogram)\("(\w+)"/g)) {
            for (const suffix of type === "Histogram" ? ["_bucket", "_sum", "_count"] : [""]) exported.add(name + suffix);
        }
    }
    // nginx-prometheus-exporter's, from the frontend's sidecar.
    const NGINX_EXPORTER = ["nginx_http_requests_total", "nginx_connections_active"];
    /** The metric names a PromQL expression selects (identifiers before a `{` or a `[`). */
    const selected = (expr: string) => [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*[{[]/g)].map((m) => m[1]).filter((n) => !["by", "without"].includes(n));
    let objects: KubeObject[];

    before(async function () {
        this.timeout(60000);
        objects = (await rendersOf("production")).git.get("frontend")!;
    });

    it("the services export the metrics the rules and panels read, with a latency bucket at the 200 ms objective", () => {
        assert.deepStrictEqual([...exported].filter((n) => !n.includes("_duration_")).sort(), ["cache_failures_total", "http_requests_total", "shop_orders_total"]);
        assert.ok(exported.has("http_request_duration_seconds_bucket"));
        const buckets = /LATENCY_BUCKETS = \(([^)]*)\)/.exec(kit)![1].split(",").map(Number);
        assert.ok(buckets.includes(0.2), `buckets ${buckets}`);
    });

    it("alert on availability (99.9 %: fast and slow budget burn), p95 latency over 200 ms and the error rate, from recorded series of the services' metrics", () => {
        const rule = objects.find((o) => o.kind === "PrometheusRule")!;
        const rules = rule.spec.groups.flatMap((g: any) => g.rules);
        const records = new Set(rules.filter((r: any) => r.record).map((r: any) => r.record));
        const alerts = Object.fromEntries(rules.filter((r: any) => r.alert).map((r: any) => [r.alert, r]));
        assert.deepStrictEqual(Object.keys(alerts).sort(), ["ShopErrorBudgetBurningFast", "ShopErrorBudgetBurningSlowly", "ShopHighErrorRate", "ShopLatencyHigh"]);
        for (const r of rules) {
            for (const name of selected(r.expr)) assert.ok(exported.has(name) || records.has(name), `${r.record ?? r.alert} reads ${name}, which nothing exports or records`);
        }
        for (const a of Object.values<any>(alerts)) {
            assert.ok(["critical", "warning"].includes(a.labels.severity), a.alert);
            assert.ok(a.annotations.summary && a.annotations.description, a.alert);
        }
        assert.match(alerts.ShopErrorBudgetBurningFast.expr, /ratio_rate1h > \(14\.4 \* 0\.001\) and .*ratio_rate5m > \(14\.4 \* 0\.001\)/);
        assert.strictEqual(alerts.ShopErrorBudgetBurningFast.labels.severity, "critical", "pages (Alertmanager routes critical to PagerDuty)");
        assert.match(alerts.ShopErrorBudgetBurningSlowly.expr, /ratio_rate6h > \(6 \* 0\.001\) and .*ratio_rate30m > \(6 \* 0\.001\)/);
        assert.match(alerts.ShopLatencyHigh.expr, /p95_5m > 0\.2\b/);
        assert.match(rules.find((r: any) => r.record === "shop:http_request_duration_seconds:p95_5m").expr, /histogram_quantile\(0\.95, /);
        // Server errors only: a 4xx is the client's.
        for (const r of rules.filter((x: any) => x.record?.startsWith("shop:http_errors"))) assert.match(r.expr, /status=~"5\.\."/);
    });

    it("the dashboard: one ConfigMap for Grafana's sidecar, Prometheus's datasource, every panel on metrics that exist", () => {
        const configMap = objects.find((o) => o.kind === "ConfigMap")!;
        assert.strictEqual(configMap.metadata.labels!.grafana_dashboard, "1");
        const dashboard = JSON.parse(configMap.data["shop-dashboard.json"]);
        assert.strictEqual(dashboard.uid, "shop-overview");
        const panels: any[] = dashboard.panels;
        assert.ok(panels.length >= 8);
        assert.deepStrictEqual([...new Set(panels.map((p) => p.id))].length, panels.length, "panel ids are unique");
        for (const p of panels) {
            // kube-prometheus-stack's provisioned Prometheus datasource (grafana.sidecar.datasources.uid).
            assert.deepStrictEqual(p.datasource, { type: "prometheus", uid: "prometheus" }, p.title);
            for (const t of p.targets) {
                for (const name of selected(t.expr)) assert.ok(exported.has(name) || NGINX_EXPORTER.includes(name), `${p.title}: ${name}`);
            }
        }
        const titles = panels.map((p) => p.title).join(" | ");
        for (const objective of ["99.9 %", "200 ms"]) assert.ok(titles.includes(objective), objective);
    });
});

describe("workload manifests in Git", () => {
    it("hold no account id, ARN, registry of the account or secret value (those come from Pulumi outputs and Secrets Manager)", () => {
        const files: string[] = [];
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                const full = path.join(dir, entry.name);
                if (entry.isDirectory()) walk(full);
                else files.push(full);
            }
        };
        walk(path.join(REPO_ROOT, WORKLOADS_PATH));
        assert.ok(files.length >= 60, `${files.length} files`);
        for (const file of files) {
            const text = fs.readFileSync(file, "utf8");
            const at = path.relative(REPO_ROOT, file);
            assert.doesNotMatch(text, /\b\d{12}\b/, `${at}: an account id`);
            assert.doesNotMatch(text, /arn:aws/, `${at}: an ARN`);
            assert.doesNotMatch(text, /\.dkr\.ecr\./, `${at}: a private registry`);
            assert.doesNotMatch(text, /:latest\b|newTag:\s*"?latest/, `${at}: latest`);
            // Secrets Manager keys are relative (the ClusterSecretStore adds `<project>-<env>/`): no environment in Git.
            assert.doesNotMatch(text, /[a-z0-9]-(staging|production)\//, `${at}: an environment's secret prefix`);
            assert.doesNotMatch(text, /^\s*(\w*password)\s*:\s*(?!"\{\{ \.\w+ \}\}"$)\S/im, `${at}: a secret value (only External Secrets templates)`);
        }
    });
});

describe("the manifest checks catch what they look for", () => {
    it("a pod that breaks the restricted standard is reported", () => {
        const violations = restrictedViolations({
            hostNetwork: true,
            securityContext: { runAsUser: 0 },
            volumes: [{ name: "host", hostPath: { path: "/" } }],
            containers: [{ name: "c", securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN"] } }, ports: [{ hostPort: 80 }] }],
        });
        for (const expected of ["host namespaces", "volume host of type hostPath", "pod runs as UID 0", "container c privileged", "container c may escalate privileges", "container c not runAsNonRoot", "container c seccomp not set", "container c does not drop ALL capabilities", "container c adds NET_ADMIN", "container c host port 80"]) {
            assert.ok(violations.includes(expected), `${expected} in ${violations.join(", ")}`);
        }
    });

    it("schema validation reports a wrong type and an unknown (misspelt) field", async () => {
        const problems = await schemaProblems([
            { apiVersion: "v1", kind: "Service", metadata: { name: "a" }, spec: { ports: [{ port: "eighty" }] } },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "b" }, spec: { selector: {}, template: { spec: { containers: [{ name: "c", image: "i", securityContext: { runAsNonroot: true } }] } } } },
            { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "c" }, spec: { secretStoreRef: { name: "s", kind: "ClusterSecretStore" }, dataFrom: [{ extract: { key: "k" } }], refreshIntervall: "1h" } },
        ]);
        assert.ok(problems.some((p) => p.startsWith("Service a:")), problems.join("\n"));
        assert.ok(problems.some((p) => p.startsWith("Deployment b:") && p.includes("runAsNonroot")), problems.join("\n"));
        assert.ok(problems.some((p) => p.startsWith("ExternalSecret c:") && p.includes("refreshIntervall")), problems.join("\n"));
    });

    it("network evaluation: a policy-free path is denied, an allowed one needs both egress and ingress", () => {
        const pod = (workload: string, namespace: string, port: number) => ({ workload, namespace, labels: { "app.kubernetes.io/name": workload }, ports: [{ port }] });
        const a = pod("a", "x", 1);
        const b = pod("b", "y", 2);
        const egress = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "e", namespace: "x" }, spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "y" } } }] }] } };
        const ingress = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "i", namespace: "y" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] } };
        assert.ok(!allowed([], a, b, 2));
        assert.ok(!allowed([egress], a, b, 2));
        assert.ok(!allowed([egress, ingress], a, b, 2), "a podSelector alone means the policy's own namespace");
        const ingressFromX = { ...ingress, spec: { ...ingress.spec, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "x" } } }], ports: [{ protocol: "TCP", port: 2 }] }] } };
        assert.ok(allowed([egress, ingressFromX], a, b, 2));
    });

    it("kustomize edit set image, as ArgoCD runs it: `name=url` drops the overlay's tag, `name=url:*` keeps it", () => {
        const overlay = [{ name: "user-service", newTag: "1.0.0" }];
        assert.deepStrictEqual(setImages(overlay, ["user-service=1.dkr.ecr/x/user-service"]), [{ name: "user-service", newName: "1.dkr.ecr/x/user-service" }]);
        assert.deepStrictEqual(setImages(overlay, ["user-service=1.dkr.ecr/x/user-service:*"]), [{ name: "user-service", newName: "1.dkr.ecr/x/user-service", newTag: "1.0.0" }]);
        assert.deepStrictEqual(setImages(overlay, ["other=reg/other:2"]), [{ name: "other", newName: "reg/other", newTag: "2" }, ...overlay]);
    });
});
