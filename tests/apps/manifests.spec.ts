import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { KustomizeOverrides } from "../../apps/application";
import { MANIFEST_SECRET_STORE, MANIFEST_STORAGE_CLASS, namespaceOf, overlayPath, WORKLOAD_NAMES, WORKLOADS, WORKLOADS_PATH, WorkloadName } from "../../apps/catalogue";
import { REPO_ROOT } from "../../lib/environment";
import { NAMESPACE_LIMITS } from "../../platform/cluster/namespaces";
import { LayerRun } from "../../lib/offline";
import { ISOLATION_POLICIES } from "../../policies/isolation";
import { createResourceValidationArgs, runResourcePolicy } from "../policies/util";
import { allowed, cpuMillis, memoryMiB, podsOf, restrictedViolations, selects } from "./checks";
import { AppsBase, appsBase, ENVS, Env, publicFrontendRun, publicHostname } from "./fixture";
import { kustomizeBuild, renderAsArgoCD, setImages } from "./kustomize";
import { KubeObject, schemaProblems } from "./schemas";

const EXPECT = {
    staging: { services: [1, 2], frontend: [1, 2], mysqlVolume: "5Gi", redisVolume: "1Gi", retention: "Delete", spread: false },
    production: { services: [2, 5], frontend: [2, 4], mysqlVolume: "20Gi", redisVolume: "5Gi", retention: "Retain", spread: true },
} as const;

/** Staging shares free-tier nodes with the platform: what the six workloads may request together. */
const STAGING_BUDGET = { memoryMiB: 700, cpuMillis: 500 };

/** Who may talk to whom (TCP), and nothing else. */
const EXPECTED_CONNECTIONS = [
    "frontend -> user-service:5000",
    "frontend -> product-service:5000",
    "frontend -> order-service:5000",
    "order-service -> user-service:5000",
    "order-service -> product-service:5000",
    ...["user-service", "product-service", "order-service"].flatMap((s) => [`${s} -> mysql:3306`, `${s} -> redis:6379`]),
].sort();

/** A release tag: a semantic version (with a variant suffix such as -alpine), or the 40-hex commit SHA CI builds. */
const PINNED_TAG = /^(v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?|[0-9a-f]{40})$/;

function podSpec(o: KubeObject): any {
    return o.spec.template.spec;
}

function workloadsOf(objects: KubeObject[]): KubeObject[] {
    return objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
}

function containersOf(o: KubeObject): any[] {
    return [...(podSpec(o).initContainers ?? []), ...podSpec(o).containers];
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
    const renders = await Promise.all([
        ...WORKLOAD_NAMES.map((w) => kustomizeBuild(path.join(REPO_ROOT, overlayPath(w, env)))),
        ...WORKLOAD_NAMES.map((w) => renderAsArgoCD(overlayPath(w, env), overridesOf(base.apps, w))),
        renderAsArgoCD(overlayPath("frontend", env), overridesOf(publicRun, "frontend")),
    ]);
    return {
        git: new Map(WORKLOAD_NAMES.map((w, i) => [w, renders[i]])),
        argocd: new Map(WORKLOAD_NAMES.map((w, i) => [w, renders[WORKLOAD_NAMES.length + i]])),
        publicFrontend: renders[renders.length - 1],
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

function imageParts(image: string): { repository: string; tag?: string } {
    const at = image.lastIndexOf(":");
    return at > image.lastIndexOf("/") ? { repository: image.slice(0, at), tag: image.slice(at + 1) } : { repository: image };
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

        it("only namespaced kinds the AppProject allows; no Secret (External Secrets makes them)", () => {
            const allowedKinds = permittedKinds(base.apps);
            for (const o of [...all, ...publicFrontend]) assert.ok(allowedKinds.has(groupKind(o)), `${o.kind} ${o.metadata.name} is not in the AppProject's whitelist`);
            assert.ok(!all.some((o) => o.kind === "Secret" || o.kind === "ConfigMap"));
        });

        it("every pod meets the restricted Pod Security Standard (non-root, no escalation, ALL capabilities dropped, RuntimeDefault seccomp)", () => {
            const pods = workloadsOf(all);
            assert.strictEqual(pods.length, 6);
            for (const o of pods) {
                assert.deepStrictEqual(restrictedViolations(podSpec(o)), [], o.metadata.name);
                const psc = podSpec(o).securityContext;
                assert.strictEqual(psc.runAsNonRoot, true, o.metadata.name);
                assert.ok(Number.isInteger(psc.runAsUser) && psc.runAsUser > 0, `${o.metadata.name}: a numeric non-root UID the kubelet can verify`);
                assert.strictEqual(psc.seccompProfile.type, "RuntimeDefault", o.metadata.name);
            }
        });

        it("every container: read-only root filesystem, CPU and memory requests, a memory limit, readiness and liveness probes", () => {
            for (const o of workloadsOf(all)) {
                for (const c of containersOf(o)) {
                    const at = `${o.metadata.name}/${c.name}`;
                    assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, at);
                    assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] }, at);
                    assert.ok(cpuMillis(c.resources.requests.cpu) > 0 && memoryMiB(c.resources.requests.memory) > 0, `${at} requests`);
                    assert.ok(memoryMiB(c.resources.limits.memory) >= memoryMiB(c.resources.requests.memory), `${at} memory limit`);
                    assert.ok(c.readinessProbe && c.livenessProbe, `${at} probes`);
                }
            }
            // Slow first starts (MySQL initialising, Flask warming up) are covered by startup probes, not killed.
            for (const w of ["mysql", "user-service", "product-service", "order-service"]) {
                const o = workloadsOf(git.get(w as WorkloadName)!)[0];
                assert.ok(containersOf(o)[0].startupProbe, w);
            }
        });

        it("the Flask services probe /healthz (liveness) and /readyz (readiness) on 5000, the frontend /healthz on 8080", () => {
            for (const w of ["user-service", "product-service", "order-service"] as const) {
                const c = containersOf(workloadsOf(git.get(w)!)[0])[0];
                assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 5000 }]);
                assert.deepStrictEqual([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path], ["/healthz", "/readyz"]);
            }
            const web = containersOf(workloadsOf(git.get("frontend")!)[0]).find((c) => c.name === "web");
            assert.deepStrictEqual(web.ports, [{ name: "http", containerPort: 8080 }]);
            assert.strictEqual(web.readinessProbe.httpGet.path, "/healthz");
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

        it("images in Git: tags pinned in the overlays (never latest); ECR images by repository name only, public ones from ECR Public", () => {
            for (const [w, objects] of git) {
                for (const c of containersOf(workloadsOf(objects)[0])) {
                    const { repository, tag } = imageParts(c.image);
                    assert.match(tag ?? "", PINNED_TAG, `${w}/${c.name}: ${c.image}`);
                    if (c.name === "app" || c.name === "web") assert.strictEqual(repository, WORKLOADS[w].ecrImage, `${w}: no registry (account id) in Git`);
                    else assert.match(repository, /^public\.ecr\.aws\/(docker\/library|nginx)\//, c.image);
                }
            }
            assert.match(containersOf(workloadsOf(git.get("mysql")!)[0])[0].image, /^public\.ecr\.aws\/docker\/library\/mysql:8\.4\.\d+$/);
            assert.match(containersOf(workloadsOf(git.get("redis")!)[0])[0].image, /^public\.ecr\.aws\/docker\/library\/redis:\d+\.\d+\.\d+-alpine$/);
        });

        it("as ArgoCD renders them (the Application's image override): infra's ECR repository with the overlay's tag", () => {
            for (const w of WORKLOAD_NAMES) {
                const image = WORKLOADS[w].ecrImage;
                const inGit = containersOf(workloadsOf(git.get(w)!)[0]).map((c) => c.image);
                const synced = containersOf(workloadsOf(argocd.get(w)!)[0]).map((c) => c.image);
                if (!image) {
                    assert.deepStrictEqual(synced, inGit, w);
                    continue;
                }
                const tag = imageParts(inGit[0]).tag;
                assert.strictEqual(synced[0], `${base.infra.ecrRepositoryUrls[image]}:${tag}`, w);
                assert.deepStrictEqual(synced.slice(1), inGit.slice(1), `${w}: sidecars unchanged`);
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
            assert.deepStrictEqual([...generated.keys()].sort(), [`gitops-${env}/apps/mysql`, `gitops-${env}/apps/redis`]);
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
                    assert.deepStrictEqual([...keys].sort(), w === "mysql" || w === "redis" ? [w] : ["mysql", "redis"], w);
                    // Templated keys must exist in the generated values.
                    const available = keys.flatMap((k: string) => generated.get(`${prefix}${k}`)!);
                    for (const template of Object.values<string>(es.spec.target.template?.data ?? {})) {
                        for (const [, variable] of template.matchAll(/\{\{\s*\.(\w+)\s*\}\}/g)) assert.ok(available.includes(variable), `${w}: ${variable}`);
                    }
                }
                const targets = externalSecrets.map((es) => es.spec.target.name);
                const pod = podSpec(workloadsOf(objects)[0]);
                const read = pod.containers.flatMap((c: any) => [
                    ...(c.envFrom ?? []).map((e: any) => e.secretRef?.name),
                    ...(c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name),
                ]).filter(Boolean);
                for (const name of read) assert.ok(targets.includes(name), `${w} reads ${name}, which an ExternalSecret of its own creates`);
                assert.strictEqual(read.length > 0, WORKLOADS[w].secrets.length > 0, w);
            }
            // The services get the database user, not the root password.
            const template = git.get("order-service")!.find((o) => o.kind === "ExternalSecret")!.spec.target.template.data;
            assert.deepStrictEqual(Object.keys(template).sort(), ["DB_NAME", "DB_PASSWORD", "DB_USER", "REDIS_PASSWORD"]);
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

        it("a public frontend (apps:frontendHostname): an HTTPS ALB Ingress with the WAF, and only the ALB's subnets reach the pods, on 8080", () => {
            const ingress = publicFrontend.find((o) => o.kind === "Ingress")!;
            const a = ingress.metadata.annotations!;
            assert.strictEqual(ingress.spec.ingressClassName, "alb");
            assert.strictEqual(ingress.spec.rules[0].host, publicHostname(env));
            assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].backend, { service: { name: "frontend", port: { name: "http" } } });
            // The workloads' class fixes the load balancer (internet-facing, IP targets, HTTPS redirect, certificate,
            // WAF, access logs, the workloads' group); the Ingress may set none of it.
            const params = base.platformRun.ofType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams").find((p) => p.inputs.metadata.name === ingress.spec.ingressClassName)!;
            assert.strictEqual(params.inputs.spec.group.name, base.platform.albGroupName);
            assert.ok(params.inputs.spec.namespaceSelector.matchExpressions[0].values.includes(ingress.metadata.namespace));
            assert.strictEqual(params.inputs.spec.wafv2AclArn, base.platform.wafAclArn);
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

        if (env === "staging") {
            it(`staging: the six workloads request at most ${STAGING_BUDGET.memoryMiB} MiB and ${STAGING_BUDGET.cpuMillis}m together (free-tier nodes)`, () => {
                let memory = 0;
                let cpu = 0;
                for (const [w, objects] of git) {
                    const workload = workloadsOf(objects)[0];
                    const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
                    const replicas = hpa ? hpa.spec.minReplicas : workload.spec.replicas;
                    for (const c of containersOf(workload)) {
                        memory += replicas * memoryMiB(c.resources.requests.memory);
                        cpu += replicas * cpuMillis(c.resources.requests.cpu);
                    }
                    assert.ok(replicas >= 1, w);
                }
                assert.ok(memory <= STAGING_BUDGET.memoryMiB, `${memory} MiB requested`);
                assert.ok(cpu <= STAGING_BUDGET.cpuMillis, `${cpu}m requested`);
            });
        }

        it("at full scale (HPA maximum plus a rolling-update surge) every namespace stays within platform's quota and limit range", () => {
            const limits = NAMESPACE_LIMITS[env as Env];
            const used = new Map<string, Record<string, number>>();
            for (const [w, objects] of git) {
                const workload = workloadsOf(objects)[0];
                const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
                const pods = hpa ? hpa.spec.maxReplicas + (workload.spec.strategy?.rollingUpdate?.maxSurge ?? 1) : workload.spec.replicas;
                const u = used.get(namespaceOf(w)) ?? { "requests.cpu": 0, "requests.memory": 0, "limits.cpu": 0, "limits.memory": 0, pods: 0, persistentvolumeclaims: 0, "requests.storage": 0 };
                for (const c of containersOf(workload)) {
                    u["requests.cpu"] += pods * cpuMillis(c.resources.requests.cpu);
                    u["requests.memory"] += pods * memoryMiB(c.resources.requests.memory);
                    u["limits.cpu"] += pods * cpuMillis(c.resources.limits.cpu);
                    u["limits.memory"] += pods * memoryMiB(c.resources.limits.memory);
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
                for (const [key, value] of Object.entries(u)) {
                    const hard = limits.quota[key];
                    if (hard === undefined) continue;
                    const max = key.endsWith("cpu") ? cpuMillis(hard) : key.endsWith("memory") || key.endsWith("storage") ? memoryMiB(hard) : Number(hard);
                    assert.ok(value <= max, `${ns}: ${key} ${value} > ${hard}`);
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
