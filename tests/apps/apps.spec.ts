import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { APPS_OUTPUT_NAMES } from "../../apps/contract";
import { WAIT_FOR_ANNOTATION } from "../../apps/application";
import { inWaveOrder, namespaceOf, syncWaveOf, WORKLOAD_NAMES, WORKLOADS, WorkloadName } from "../../lib/catalogue";
import { REPOSITORY_SECRET_NAME } from "../../apps/repository";
import { assess } from "../../ci/argocd-wait";
import { publicIngressAnnotations } from "../../lib/alb";
import { REPO_ROOT } from "../../lib/environment";
import { LayerRun, MOCK_ACCOUNT_ID, RecordedResource, stackName } from "../../lib/offline";
import { contractProblems } from "../../apps/inputs";
import { appsBase, AppsBase, certificateArn, ENVS, publicFrontendRun, publicHostname, runApps, runAppsExpectingFailure } from "./fixture";
import { KubeObject, schemaProblems } from "./schemas";

const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
const APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject";
const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const REPO_URL = "https://github.com/acme-platform/eks-gitops-platform.git";
const IN_CLUSTER = "https://kubernetes.default.svc";
const PROJECT = "workloads";

/** What each workload is, from the catalogue: its namespace and sync wave, what it needs first, the generated secrets it reads. */
const EXPECTED = Object.fromEntries(
    WORKLOAD_NAMES.map((n) => [n, { namespace: namespaceOf(n), wave: syncWaveOf(n), requires: WORKLOADS[n].requires, secrets: WORKLOADS[n].secrets, data: WORKLOADS[n].controller === "StatefulSet", image: WORKLOADS[n].ecrImage }]),
) as Record<WorkloadName, { namespace: string; wave: number; requires: WorkloadName[]; secrets: string[]; data: boolean; image?: string }>;

/** The waitFor list of an Application: the source ArgoCD compared, then its state. */
function expectedWait(name: WorkloadName, repoUrl: string, revision: string): string[] {
    return [
        `jsonpath={.status.sync.comparedTo.source.repoURL}=${repoUrl}`,
        `jsonpath={.status.sync.comparedTo.source.targetRevision}=${revision}`,
        "jsonpath={.status.sync.status}=Synced",
        ...(EXPECTED[name].data ? ["jsonpath={.status.health.status}=Healthy"] : []),
    ];
}

/** Pulumi passes secrets to mocks wrapped in a signature object. */
function unwrap(value: any): any {
    return value && typeof value === "object" && "value" in value && Object.keys(value).length === 2 ? value.value : value;
}

function applications(run: LayerRun): Map<string, RecordedResource> {
    return new Map(run.ofType(APPLICATION).map((a) => [a.inputs.metadata.name, a]));
}

function asObject(r: RecordedResource): KubeObject {
    return { apiVersion: r.inputs.apiVersion, kind: r.inputs.kind, metadata: r.inputs.metadata, spec: r.inputs.spec };
}

for (const env of ENVS) {
    describe(`apps (${env})`, () => {
        let base: AppsBase;
        let run: LayerRun;
        let apps: Map<string, RecordedResource>;
        before(async () => {
            base = await appsBase(env);
            run = base.apps;
            apps = applications(run);
        });
        const production = env === "production";

        describe("inputs and providers", () => {
            it("reads infra and platform of the same environment through StackReferences", () => {
                const refs = run.ofType("pulumi:pulumi:StackReference").map((r) => r.inputs.name).sort();
                assert.deepStrictEqual(refs, [stackName("infra", env), stackName("platform", env)]);
            });

            it("talks to the cluster with infra's kubeconfig, applying server-side", () => {
                const k8s = run.one("pulumi:providers:kubernetes");
                assert.strictEqual(unwrap(k8s.inputs.kubeconfig), base.infra.kubeconfig);
                assert.strictEqual(String(k8s.inputs.enableServerSideApply), "true");
                for (const r of run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
                    assert.ok(r.provider?.startsWith(k8s.urn), `${r.type} ${r.name} uses ${r.provider}`);
                }
            });

            it("creates its AWS resources through a provider with the standard default tags, in infra's region", () => {
                const aws = run.one("pulumi:providers:aws");
                assert.deepStrictEqual(JSON.parse(aws.inputs.defaultTags), { tags: { Environment: env, Project: "gitops", ManagedBy: "pulumi" } });
                assert.strictEqual(aws.inputs.region, base.infra.region);
                const direct = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
                assert.ok(direct.length >= 4);
                for (const r of direct) assert.ok(r.provider?.startsWith(aws.urn), `${r.type} ${r.name} uses ${r.provider}`);
            });
        });

        describe("AppProject", () => {
            let project: RecordedResource;
            before(() => {
                project = run.one(APP_PROJECT);
            });

            it(`is "${PROJECT}" (not ArgoCD's unrestricted default) in ArgoCD's namespace, owned by the App-of-Apps`, () => {
                assert.strictEqual(project.inputs.metadata.name, PROJECT);
                assert.strictEqual(project.inputs.metadata.namespace, base.platform.argocdNamespace);
                const root = run.one("gitops:apps:AppOfApps");
                assert.strictEqual(project.parent, root.urn);
                for (const a of apps.values()) assert.strictEqual(a.parent, root.urn);
            });

            it("takes sources from this repository only (infra's githubRepository)", () => {
                assert.strictEqual(base.infra.githubRepository, "acme-platform/eks-gitops-platform");
                assert.deepStrictEqual(project.inputs.spec.sourceRepos, [REPO_URL]);
            });

            it("deploys only to the three workload namespaces of this cluster", () => {
                const destinations = project.inputs.spec.destinations;
                assert.deepStrictEqual(destinations.map((d: any) => d.namespace).sort(), [...new Set(WORKLOAD_NAMES.map(namespaceOf))].sort());
                for (const d of destinations) {
                    assert.deepStrictEqual(Object.keys(d).sort(), ["namespace", "server"]);
                    assert.strictEqual(d.server, IN_CLUSTER);
                    assert.ok(base.platform.workloadNamespaces.includes(d.namespace), d.namespace);
                }
            });

            it("allows no cluster-scoped resource and only the namespaced kinds the workloads use, no wildcard", () => {
                assert.deepStrictEqual(project.inputs.spec.clusterResourceWhitelist, []);
                assert.strictEqual(project.inputs.spec.clusterResourceBlacklist, undefined);
                // Secrets are made by External Secrets, never by ArgoCD; no RBAC, no wildcard. The manifest tests check
                // both directions against the rendered overlays (every kind used is allowed, every allowed kind is used).
                const kinds = project.inputs.spec.namespaceResourceWhitelist.map((k: any) => `${k.group}/${k.kind}`).sort();
                assert.deepStrictEqual(kinds, [
                    "/ConfigMap",
                    "/Service",
                    "/ServiceAccount",
                    "apps/Deployment",
                    "apps/StatefulSet",
                    "autoscaling/HorizontalPodAutoscaler",
                    "external-secrets.io/ExternalSecret",
                    "monitoring.coreos.com/PrometheusRule",
                    "monitoring.coreos.com/ServiceMonitor",
                    "networking.k8s.io/Ingress",
                    "networking.k8s.io/NetworkPolicy",
                    "policy/PodDisruptionBudget",
                ]);
            });

            it("has no sync window unless apps:syncWindows sets one", () => {
                assert.strictEqual(project.inputs.spec.syncWindows, undefined);
            });

            it("warns about orphaned objects in the workload namespaces, except the ones platform puts there (its baseline NetworkPolicies)", async () => {
                const orphans = project.inputs.spec.orphanedResources;
                assert.strictEqual(orphans.warn, true);
                assert.deepStrictEqual(orphans.ignore, [
                    { group: "networking.k8s.io", kind: "NetworkPolicy", name: "default-deny" },
                    { group: "networking.k8s.io", kind: "NetworkPolicy", name: "allow-dns" },
                    { group: "networking.k8s.io", kind: "NetworkPolicy", name: "allow-prometheus-scrape" },
                ]);
                // What platform really creates in those namespaces, of a kind the project permits (ArgoCD reports only
                // those; ResourceQuota and LimitRange are not permitted, so never orphans): each one is ignored.
                const permitted = new Set(project.inputs.spec.namespaceResourceWhitelist.map((k: any) => `${k.group}/${k.kind}`));
                const groupKind = (r: RecordedResource) => {
                    const [, apiGroup, , kind] = /^kubernetes:(.*?)\/(v[^:]*):(.*)$/.exec(r.type) ?? [];
                    return `${apiGroup === "core" ? "" : apiGroup}/${kind}`;
                };
                const platformObjects = base.platformRun.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && base.platform.workloadNamespaces.includes(r.inputs.metadata?.namespace));
                const orphanable = platformObjects.filter((r) => permitted.has(groupKind(r)));
                assert.strictEqual(orphanable.length, 3 * base.platform.workloadNamespaces.length, orphanable.map((r) => r.name).join(", "));
                for (const r of orphanable) {
                    const [group, kind] = groupKind(r).split("/");
                    assert.ok(orphans.ignore.some((i: any) => i.group === group && i.kind === kind && i.name === r.inputs.metadata.name), `${r.type} ${r.inputs.metadata.name} would be reported as an orphan`);
                }
            });

            it("an orphan warning does not hold the deploy: CI's argocd-wait counts a Synced, Healthy Application as ready", () => {
                const app = {
                    metadata: { name: "user-service" },
                    status: {
                        sync: { status: "Synced", revision: "a".repeat(40) },
                        health: { status: "Healthy" },
                        conditions: [{ type: "OrphanedResourceWarning", message: "Application has 1 orphaned resources" }],
                    },
                };
                assert.strictEqual(assess("user-service", app, "a".repeat(40), () => false).ready, true);
            });
        });

        describe("Applications", () => {
            it("one per workload, exported in sync-wave order: data, then services, then the frontend; each after what it requires", () => {
                assert.deepStrictEqual([...apps.keys()].sort(), [...WORKLOAD_NAMES].sort());
                const names: WorkloadName[] = run.outputs.applicationNames;
                const waves = names.map((n) => Number(apps.get(n)!.inputs.metadata.annotations["argocd.argoproj.io/sync-wave"]));
                assert.deepStrictEqual(waves, names.map((n) => EXPECTED[n].wave));
                assert.deepStrictEqual(waves, [...waves].sort((x, y) => x - y), "waves never go down");
                assert.deepStrictEqual([names[0], names[names.length - 1]], ["mysql", "frontend"], "the data first, the frontend last");
                for (const [i, n] of names.entries()) for (const r of EXPECTED[n].requires) assert.ok(names.indexOf(r) < i, `${n} after ${r}`);
            });

            for (const name of WORKLOAD_NAMES) {
                it(`${name}: the ${env} overlay of this repository at the ${env} branch, into the ${EXPECTED[name].namespace} namespace`, () => {
                    const a = apps.get(name)!.inputs;
                    assert.strictEqual(a.metadata.namespace, base.platform.argocdNamespace);
                    assert.strictEqual(a.spec.project, PROJECT);
                    assert.strictEqual(a.spec.source.repoURL, REPO_URL);
                    assert.strictEqual(a.spec.source.targetRevision, env);
                    assert.strictEqual(a.spec.source.path, `apps/workloads/${name}/overlays/${env}`);
                    assert.ok(fs.existsSync(path.join(REPO_ROOT, a.spec.source.path, "kustomization.yaml")), `${a.spec.source.path} exists`);
                    assert.deepStrictEqual(a.spec.destination, { server: IN_CLUSTER, namespace: EXPECTED[name].namespace });
                    assert.ok(run.one(APP_PROJECT).inputs.spec.destinations.some((d: any) => d.namespace === a.spec.destination.namespace));
                });
            }

            it("the services and the frontend get their ECR repository from infra, keeping the overlay's digest pin; mysql and redis no override", () => {
                for (const name of WORKLOAD_NAMES) {
                    const kustomize = apps.get(name)!.inputs.spec.source.kustomize;
                    // mysql and redis run public images; the services and the frontend their own (the catalogue's ECR image).
                    const image = EXPECTED[name].image;
                    if (!image) {
                        assert.strictEqual(kustomize, undefined, name);
                        continue;
                    }
                    const url = base.infra.ecrRepositoryUrls[image];
                    assert.match(url, new RegExp(`^${MOCK_ACCOUNT_ID}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/gitops-${env}/${image}$`));
                    // `:*@*` keeps the overlay's pin (a bare `name=url` would drop it: kustomize edit set image).
                    assert.deepStrictEqual(kustomize.images, [`${image}=${url}:*@*`], name);
                }
            });

            it("sync automatically with prune and self-heal, retry with backoff, never create namespaces, apply server-side", () => {
                for (const [name, a] of apps) {
                    const policy = a.inputs.spec.syncPolicy;
                    assert.deepStrictEqual(policy.automated, { prune: true, selfHeal: true, allowEmpty: false }, name);
                    assert.ok(policy.syncOptions.includes("CreateNamespace=false"), name);
                    assert.ok(!policy.syncOptions.includes("CreateNamespace=true"), name);
                    assert.ok(policy.syncOptions.includes("ServerSideApply=true"), name);
                    assert.ok(policy.retry.limit >= 3, name);
                    assert.deepStrictEqual(policy.retry.backoff, { duration: "10s", factor: 2, maxDuration: "3m" });
                    assert.strictEqual(a.inputs.metadata.annotations["argocd.argoproj.io/compare-options"], "ServerSideDiff=true", name);
                }
            });

            it("carry the resources finalizer, so deleting one deletes its workload (and the ALB of an Ingress) first", () => {
                for (const [name, a] of apps) assert.deepStrictEqual(a.inputs.metadata.finalizers, ["resources-finalizer.argocd.argoproj.io"], name);
            });

            it("are created after what they need: the project, their credentials, and the Applications of the workloads they call", () => {
                const project = run.one(APP_PROJECT);
                const versions = new Map(run.ofType(SECRET_VERSION).map((v) => [v.name.replace("credentials-", ""), v.urn]));
                for (const name of WORKLOAD_NAMES) {
                    const a = apps.get(name)!;
                    assert.ok(a.dependsOn.includes(project.urn), `${name} after the project`);
                    for (const secret of EXPECTED[name].secrets) assert.ok(a.dependsOn.includes(versions.get(secret)!), `${name} after the ${secret} secret`);
                    for (const needed of EXPECTED[name].requires) assert.ok(a.dependsOn.includes(apps.get(needed)!.urn), `${name} after ${needed}`);
                    // Never after something of a later wave: creation follows data -> backend -> frontend.
                    for (const other of WORKLOAD_NAMES) {
                        if (a.dependsOn.includes(apps.get(other)!.urn)) assert.ok(EXPECTED[other].wave <= EXPECTED[name].wave, `${name} waits for ${other}`);
                    }
                }
                assert.ok(apps.get("frontend")!.dependsOn.includes(apps.get("order-service")!.urn));
                assert.ok(!apps.get("mysql")!.dependsOn.some((u) => [...apps.values()].some((x) => x.urn === u)));
            });

            it("make Pulumi wait until ArgoCD compared this repository and revision and synced it (MySQL and Redis also healthy) before creating the next", () => {
                for (const [name, a] of apps) {
                    // Not the services' health: CI applies apps before it builds and pins their images (ci/argocd-wait.ts waits for it later).
                    assert.deepStrictEqual(JSON.parse(a.inputs.metadata.annotations[WAIT_FOR_ANNOTATION]), expectedWait(name as WorkloadName, REPO_URL, env), name);
                }
            });

            it("the waitFor expressions are in the provider's strict syntax: `jsonpath={...}` and at most one literal value without `=`", () => {
                for (const [name, a] of apps) {
                    for (const expression of JSON.parse(a.inputs.metadata.annotations[WAIT_FOR_ANNOTATION])) {
                        assert.match(expression, /^jsonpath=\{\.status(\.[A-Za-z]+)+\}=[^={][^=]*$/, `${name}: ${expression}`);
                    }
                }
            });

            it("the frontend stays private: no Ingress component, no hostname", () => {
                assert.strictEqual(apps.get("frontend")!.inputs.spec.source.kustomize.components, undefined);
                assert.strictEqual(apps.get("frontend")!.inputs.spec.source.kustomize.patches, undefined);
                assert.strictEqual(run.outputs.frontendUrl, "");
            });

            it("the AppProject and every Application validate against the ArgoCD schemas (no unknown field)", async () => {
                const problems = await schemaProblems([asObject(run.one(APP_PROJECT)), ...[...apps.values()].map(asObject)]);
                assert.deepStrictEqual(problems, []);
            });
        });

        describe("generated credentials", () => {
            it(`mysql, redis and session secrets named under platform's secretsPrefix, the workloads' part (${`gitops-${env}/apps/`})`, () => {
                assert.strictEqual(base.platform.secretsPrefix, `gitops-${env}/apps/`);
                assert.deepStrictEqual(run.ofType(SECRET).map((s) => s.inputs.name).sort(), [`gitops-${env}/apps/mysql`, `gitops-${env}/apps/redis`, `gitops-${env}/apps/session`]);
            });

            it(production ? "protected, recoverable for 30 days after deletion" : "deleted at once with the stack (so it can be recreated)", () => {
                for (const s of run.ofType(SECRET)) {
                    assert.strictEqual(s.inputs.recoveryWindowInDays, production ? 30 : 0);
                    assert.strictEqual(s.protect, production);
                }
                for (const p of run.ofType("random:index/randomPassword:RandomPassword")) assert.strictEqual(p.protect, production, p.name);
            });

            it("passwords are random, 32 letters and digits (the session signing key 64); the values hold the variables the containers read", () => {
                const passwords = run.ofType("random:index/randomPassword:RandomPassword");
                assert.deepStrictEqual(passwords.map((p) => p.name).sort(), ["credentials-mysql-root", "credentials-mysql-user", "credentials-redis", "credentials-session-key"]);
                for (const p of passwords) {
                    assert.strictEqual(p.inputs.length, p.name === "credentials-session-key" ? 64 : 32, p.name);
                    assert.strictEqual(p.inputs.special, false);
                }
                const value = (id: string) => JSON.parse(unwrap(run.one(SECRET_VERSION, `credentials-${id}`).inputs.secretString));
                const result = (name: string) => run.one("random:index/randomPassword:RandomPassword", name).state.result;
                assert.deepStrictEqual(value("mysql"), {
                    MYSQL_ROOT_PASSWORD: result("credentials-mysql-root"),
                    MYSQL_USER: "shop",
                    MYSQL_PASSWORD: result("credentials-mysql-user"),
                    MYSQL_DATABASE: "shop",
                });
                assert.deepStrictEqual(value("redis"), { REDIS_PASSWORD: result("credentials-redis") });
                assert.deepStrictEqual(value("session"), { SESSION_KEY: result("credentials-session-key") });
                assert.notStrictEqual(value("mysql").MYSQL_ROOT_PASSWORD, value("mysql").MYSQL_PASSWORD);
                for (const v of run.ofType(SECRET_VERSION)) assert.strictEqual(v.inputs.secretId, run.one(SECRET, v.name).id);
            });

            it("no repository credentials for a public repository", () => {
                assert.strictEqual(run.ofType(EXTERNAL_SECRET).length, 0);
            });
        });

        describe("outputs", () => {
            it("exports exactly the contract", () => {
                assert.deepStrictEqual(Object.keys(run.outputs).sort(), [...APPS_OUTPUT_NAMES].sort());
                assert.deepStrictEqual(run.outputs, {
                    environment: env,
                    appProjectName: PROJECT,
                    applicationNames: inWaveOrder(WORKLOAD_NAMES),
                    frontendUrl: "",
                });
            });
        });
    });
}

describe("apps settings change what is built", () => {
    it("a public frontend: the Application enables the Ingress component and patches in platform's ALB settings and infra's public subnets", async () => {
        const base = await appsBase("production");
        const certificate = certificateArn(base.infra);
        const run = await publicFrontendRun("production");
        assert.strictEqual(run.outputs.frontendUrl, `https://${publicHostname("production")}`);
        const kustomize = applications(run).get("frontend")!.inputs.spec.source.kustomize;
        assert.deepStrictEqual(kustomize.components, ["../../components/ingress"]);
        assert.ok(kustomize.images[0].startsWith("frontend="));

        const ingress = JSON.parse(kustomize.patches.find((p: any) => p.target.kind === "Ingress").patch);
        const set = Object.fromEntries(ingress.map((op: any) => [op.path, op.value]));
        assert.strictEqual(set["/spec/rules/0/host"], publicHostname("production"));
        assert.strictEqual(set["/spec/ingressClassName"], base.platform.ingressClass);
        const annotations = Object.fromEntries(
            ingress.filter((op: any) => op.path.startsWith("/metadata/annotations/")).map((op: any) => [op.path.slice("/metadata/annotations/".length).replace(/~1/g, "/"), op.value]),
        );
        // The load balancer's settings (group, scheme, certificate, WAF, access logs) are the workloads' IngressClass's
        // parameters (platform): the Ingress sets only its listeners, health check and rule order.
        assert.deepStrictEqual(annotations, publicIngressAnnotations({ groupOrder: 20, healthcheckPath: "/healthz" }));
        for (const key of ["group.name", "scheme", "certificate-arn", "wafv2-acl-arn", "load-balancer-attributes"]) assert.ok(!(`alb.ingress.kubernetes.io/${key}` in annotations), key);
        assert.ok(certificate);

        const policy = JSON.parse(kustomize.patches.find((p: any) => p.target.kind === "NetworkPolicy").patch);
        assert.deepStrictEqual(policy[0].path, "/spec/ingress/0/from");
        const subnets = run.calls.filter((c) => c.token === "aws:ec2/getSubnet:getSubnet").map((c) => c.inputs.id);
        assert.deepStrictEqual(subnets, base.infra.publicSubnetIds);
        assert.strictEqual(policy[0].value.length, base.infra.publicSubnetIds.length);
        for (const peer of policy[0].value) assert.match(peer.ipBlock.cidr, /^10\.0\.\d+\.0\/24$/);
    });

    it("a private repository: an ExternalSecret in ArgoCD's namespace turns the administrator's Secrets Manager secret into ArgoCD's repository Secret", async () => {
        const base = await appsBase("staging");
        const run = await runApps("staging", { config: { "apps:repoPrivate": true } });
        const es = run.one(EXTERNAL_SECRET);
        assert.strictEqual(es.inputs.metadata.namespace, base.platform.argocdNamespace);
        // The platform's store (the workloads' cannot read ArgoCD's credentials); it prepends the environment's prefix:
        // the administrator stores the credentials as gitops-staging/argocd/repository.
        assert.deepStrictEqual(es.inputs.spec.secretStoreRef, { kind: "ClusterSecretStore", name: base.platform.platformSecretStoreName });
        assert.notStrictEqual(base.platform.platformSecretStoreName, base.platform.secretStoreName);
        assert.deepStrictEqual(es.inputs.spec.dataFrom, [{ extract: { key: "argocd/repository" } }]);
        const target = es.inputs.spec.target;
        assert.strictEqual(target.name, REPOSITORY_SECRET_NAME);
        assert.deepStrictEqual(target.template.metadata.labels, { "argocd.argoproj.io/secret-type": "repository" });
        assert.deepStrictEqual(target.template.data, { type: "git", url: REPO_URL });
        assert.strictEqual(target.template.mergePolicy, "Merge");
        assert.strictEqual(es.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
        // Never generated, never in Git or settings: no Secrets Manager secret of it is created here.
        assert.ok(!run.ofType(SECRET).some((s) => String(s.inputs.name).includes("argocd")));
        assert.strictEqual(es.parent, run.one("gitops:apps:RepositoryConnection").urn);
        // ArgoCD must be able to read the repository before any Application is created.
        for (const a of applications(run).values()) assert.ok(a.dependsOn.includes(es.urn), a.name);
        assert.deepStrictEqual(await schemaProblems([asObject(es)]), []);
    });

    it("a release branch or tag, and another repository URL, apply to the project and every Application", async () => {
        const url = "https://git.example.com/platform/shop-mirror.git";
        const run = await runApps("production", { config: { "apps:targetRevision": "release-2026.11", "apps:repoUrl": url } });
        assert.deepStrictEqual(run.one(APP_PROJECT).inputs.spec.sourceRepos, [url]);
        for (const a of applications(run).values()) {
            assert.strictEqual(a.inputs.spec.source.targetRevision, "release-2026.11");
            assert.strictEqual(a.inputs.spec.source.repoURL, url);
            // Switching the revision or repository of an existing Application waits until ArgoCD compared the new one.
            const name = a.inputs.metadata.name as WorkloadName;
            assert.deepStrictEqual(JSON.parse(a.inputs.metadata.annotations[WAIT_FOR_ANNOTATION]), expectedWait(name, url, "release-2026.11"), name);
        }
    });

    it("a subset of workloads: only their Applications, destinations and credentials", async () => {
        const run = await runApps("staging", { config: { "apps:workloads": ["redis", "mysql", "user-service"] } });
        assert.deepStrictEqual(run.outputs.applicationNames, ["mysql", "redis", "user-service"]);
        assert.deepStrictEqual([...applications(run).keys()].sort(), ["mysql", "redis", "user-service"]);
        assert.deepStrictEqual(run.one(APP_PROJECT).inputs.spec.destinations.map((d: any) => d.namespace).sort(), ["backend", "data"]);
        assert.deepStrictEqual(run.ofType(SECRET).map((s) => s.inputs.name).sort(), ["gitops-staging/apps/mysql", "gitops-staging/apps/redis", "gitops-staging/apps/session"]);
    });

    it("production sync windows become the project's, with their defaults", async () => {
        const windows = [
            { kind: "deny", schedule: "0 22 * * 5", duration: "58h", manualSync: true, timeZone: "Europe/Paris" },
            { kind: "allow", schedule: "0 8 * * 1-5", duration: "10h", applications: ["frontend"] },
        ];
        const run = await runApps("production", { config: { "apps:syncWindows": windows } });
        assert.deepStrictEqual(run.one(APP_PROJECT).inputs.spec.syncWindows, [
            { kind: "deny", schedule: "0 22 * * 5", duration: "58h", applications: ["*"], manualSync: true, timeZone: "Europe/Paris" },
            { kind: "allow", schedule: "0 8 * * 1-5", duration: "10h", applications: ["frontend"], manualSync: false, timeZone: "UTC" },
        ]);
        assert.deepStrictEqual(await schemaProblems([asObject(run.one(APP_PROJECT))]), []);
    });

    it("apps:waitForSync false: Applications are created without waiting for ArgoCD", async () => {
        const run = await runApps("staging", { config: { "apps:waitForSync": false } });
        for (const a of applications(run).values()) assert.strictEqual(a.inputs.metadata.annotations[WAIT_FOR_ANNOTATION], undefined);
        // The order of creation still holds.
        assert.ok(applications(run).get("frontend")!.dependsOn.includes(applications(run).get("user-service")!.urn));
    });
});

describe("apps stops when infra's or platform's outputs do not match the manifests in Git", () => {
    const cases: [string, Partial<import("../../platform/contract").PlatformOutputs>, Record<string, unknown>, RegExp][] = [
        ["a workload namespace is missing", { workloadNamespaces: ["frontend", "backend"] }, {}, /workloadNamespaces \(frontend, backend\) lacks "data", the namespace of mysql, redis/],
        ["another secret store", { secretStoreName: "vault" }, {}, /secretStoreName is "vault" but the workloads' ExternalSecrets use the ClusterSecretStore "aws-secrets-manager"/],
        ["another storage class", { storageClassName: "gp2" }, {}, /storageClassName is "gp2" but the mysql and redis volume claims use "gp3"/],
        ["a hostname without a certificate", { certificateArn: "" }, { "apps:frontendHostname": "shop.example.com" }, /frontendHostname is set \(shop\.example\.com\) but platform's certificateArn, wafAclArn are empty/],
    ];
    for (const [what, platform, config, message] of cases) {
        it(`${what}: the update fails naming both sides, and no Application is built`, async () => {
            const failure = await runAppsExpectingFailure("production", { platform, config });
            assert.match(failure.error.message, message);
            assert.match(failure.error.message, /The apps layer cannot use the infra\/platform outputs of this stack/);
            assert.deepStrictEqual(failure.resources.filter((r) => r.type === APPLICATION || r.type === APP_PROJECT || r.type === SECRET), []);
        });
    }

    it("the checks themselves: every problem at once; none for the outputs the manifests expect", () => {
        const images = WORKLOAD_NAMES.flatMap((n) => (WORKLOADS[n].ecrImage ? [WORKLOADS[n].ecrImage!] : []));
        const ok = { ecrRepositoryUrls: Object.fromEntries(images.map((s) => [s, `x/${s}`])) };
        const platform = {
            argocdNamespace: "argocd",
            ingressClass: "alb",
            albGroupName: "g",
            albAccessLogsBucket: "b",
            certificateArn: "",
            wafAclArn: "w",
            secretStoreName: "aws-secrets-manager",
            secretsPrefix: "gitops-staging/apps/",
            platformSecretStoreName: "aws-secrets-manager-platform",
            workloadNamespaces: [...new Set(WORKLOAD_NAMES.map(namespaceOf))],
            storageClassName: "gp3",
        };
        assert.deepStrictEqual(contractProblems(ok, platform, { workloads: [...WORKLOAD_NAMES] }), []);
        const problems = contractProblems({ ecrRepositoryUrls: {} }, { ...platform, workloadNamespaces: [], secretsPrefix: "" }, { workloads: [...WORKLOAD_NAMES], frontendHostname: "shop.example.com" });
        // One per missing namespace, the empty prefix, one per missing repository, the missing certificate.
        const namespaces = new Set(WORKLOAD_NAMES.map(namespaceOf)).size;
        assert.strictEqual(problems.length, namespaces + 1 + images.length + 1, problems.join("\n"));
        for (const image of images) assert.ok(problems.some((p) => p.includes(`no "${image}" repository`)), image);
    });
});
