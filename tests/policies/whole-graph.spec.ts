/**
 * The pack over the whole graph of each environment: every layer that exists runs under the mocks
 * (infra -> platform -> apps, chained), and every recorded resource goes through every policy with that
 * environment's config file, as `pulumi preview --policy-pack policies --policy-pack-config
 * policies/config/<env>.json` would do per stack; so does every object ArgoCD syncs (each Application's overlay
 * rendered as ArgoCD renders it), as `npm run plan` does. Then the same graph with bad resources added.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { overlayFile, UNRELEASED_DIGEST, workloadPin } from "../../ci/pins";
import { WORKLOAD_NAMES, WORKLOADS } from "../../lib/catalogue";
import { ENVIRONMENTS as ENVS, REPO_ROOT } from "../../lib/environment";
import { applicationSources, RenderedObject, renderWorkloads } from "../../lib/workloads";
import { EXCEPTIONS } from "../../policies/exceptions";
import { formatReport, loadPackConfig, manifestResources, OfflineResource, PolicyReport, runPack } from "../../policies/offline";
import { WORKLOAD_POLICIES } from "../../policies/workloads";
import { environmentGraph, EnvironmentRun, LAYERS, layerExists, RecordedResource, runEnvironment } from "../../lib/offline";
import { LAUNCH_TEMPLATE, NODE_GROUP, ROLE, trustPolicy } from "./fixtures";

const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";

function trusts(r: RecordedResource, issuer: RegExp): boolean {
    return r.type === ROLE && issuer.test(String(r.inputs.assumeRolePolicy));
}

/** A copy of a recorded resource under another name (and URN), with inputs (and state) changed. */
function variant(r: RecordedResource, name: string, inputs: Record<string, any>): OfflineResource {
    const changed = { ...r.inputs, ...inputs };
    return { ...r, name, urn: r.urn.replace(/::[^:]+$/, `::${name}`), id: `${name}-id`, inputs: changed, state: { ...r.state, ...inputs } };
}

for (const env of ENVS) {
    describe(`the policy pack over the whole ${env} graph`, function () {
        this.timeout(120_000);
        let graph: EnvironmentRun;
        let rendered: RenderedObject[];
        let manifests: OfflineResource[];
        let report: PolicyReport;

        before(async () => {
            graph = await environmentGraph(env);
            rendered = graph.apps ? await renderWorkloads(applicationSources(graph.apps.resources)) : [];
            manifests = manifestResources(rendered, env);
            report = await runPack([...graph.resources, ...manifests], loadPackConfig(env), { configSource: `policies/config/${env}.json` });
        });

        it("evaluates every layer that exists", () => {
            for (const layer of LAYERS) {
                if (layerExists(layer)) assert.ok(graph[layer], `${layer} exists but did not run`);
            }
            assert.strictEqual(graph.resources.length, LAYERS.filter(layerExists).reduce((n, layer) => n + graph[layer]!.resources.length, 0));
        });

        it("reports no mandatory violation", () => {
            assert.deepStrictEqual(report.mandatory, [], formatReport(report));
        });

        it("reports no advisory violation either: every taggable AWS resource carries the required tags", () => {
            assert.deepStrictEqual(report.advisory, [], formatReport(report));
        });

        it("skips no check: offline, every value of the graph is known", () => {
            assert.deepStrictEqual(report.skipped, [], formatReport(report));
        });

        it("saw the resources each policy guards (a policy that matched nothing would pass vacuously)", () => {
            const e = report.evaluated;
            const infra = graph.infra;
            const nodeGroups = infra.ofType(NODE_GROUP).length;
            assert.ok(nodeGroups >= 1, "staging runs one node group (one node AZ), production one per AZ");
            assert.ok(e["instance-types-allowed"] >= nodeGroups + 1, JSON.stringify(e));
            assert.ok(e["ebs-gp3-encrypted"] >= nodeGroups + 1);
            assert.ok(e["no-public-ip-on-nodes"] >= 2);
            assert.ok(e["imdsv2-required"] >= 1);
            for (const name of ["nodes-in-private-subnets", "ecr-repositories-hardened", "eks-secrets-encryption", "eks-control-plane-logging", "eks-public-endpoint-restricted"]) {
                assert.strictEqual(e[name], 1, name);
            }
            assert.ok(graph.resources.filter((r) => trusts(r, /token\.actions\.githubusercontent\.com/)).length >= 2, "GitHub OIDC roles to check");
            assert.ok(graph.resources.filter((r) => trusts(r, /oidc\.eks\./)).length >= 3, "IRSA roles to check");
            assert.ok(e["required-tags"] >= 20);
            if (graph.platform) {
                assert.ok(e["helm-chart-version-pinned"] >= 1, "platform installs Helm releases");
                assert.ok(e["namespace-pod-security-labels"] >= 1, "platform creates namespaces");
                assert.ok(graph.platform.ofType("kubernetes:storage.k8s.io/v1:StorageClass").length >= 1, "platform creates the gp3 StorageClass");
            }
            if (graph.apps) {
                for (const name of ["argocd-automated-sync", "argocd-project-not-default", "argocd-pinned-revision"]) assert.ok(e[name] >= 1, name);
            }
            assert.strictEqual(e["kms-keys-hardened"], graph.resources.filter((r) => r.type === "aws:kms/key:Key").length);
            assert.ok(e["kms-keys-hardened"] >= 2, "the cluster's key and the logs-and-secrets key");
            assert.ok(e["cloudwatch-log-groups-hardened"] >= 6, "control plane, flow logs, Container Insights (and WAF with platform)");
            assert.ok(e["resource-policies-not-public"] >= 2, "the key policies");
            for (const name of ["vpc-flow-logs", "imds-hop-limit", "subnets-no-public-ip"]) assert.ok(e[name] >= 1, name);
            if (graph.platform) {
                for (const name of ["s3-buckets-hardened", "secrets-manager-hardened"]) assert.strictEqual(e[name], 1, name);
                // Nothing is public with the committed settings, so no WAF is billed (the public graph below has one).
                assert.strictEqual(e["waf-web-acls-hardened"] ?? 0, 0);
            }
        });

        it("checks what ArgoCD syncs: every Application's overlay, rendered as ArgoCD renders it, each object with its file", function () {
            // A fork without the apps layer has nothing of ArgoCD's to check.
            if (!graph.apps) this.skip();
            const applications = applicationSources(graph.apps!.resources);
            assert.deepStrictEqual(applications.map((a) => a.application).sort(), [...WORKLOAD_NAMES].sort(), "one Application per workload of the catalogue");
            assert.deepStrictEqual([...new Set(rendered.map((r) => r.application))].sort(), applications.map((a) => a.application).sort());
            for (const r of rendered) {
                assert.ok(fs.existsSync(path.join(REPO_ROOT, r.file)), `${r.object.kind} ${r.object.metadata.name}: ${r.file}`);
                assert.ok(r.file.startsWith(`apps/workloads/${r.application}/`), r.file);
                assert.strictEqual(r.object.metadata.annotations?.["config.kubernetes.io/origin"], undefined, "the origin annotation is not part of the object");
            }
            // The registry ArgoCD adds: the images the policies judge are the ECR ones, not the names in Git.
            const images = manifests.filter((m) => m.type === "kubernetes:apps/v1:Deployment").flatMap((m) => m.inputs.spec.template.spec.containers.map((c: any) => c.image));
            assert.ok(images.some((i: string) => /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/gitops-/.test(i)), images.join(", "));
            const pods = manifests.filter((m) => ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"].includes(m.type)).length;
            for (const p of WORKLOAD_POLICIES) assert.ok(report.evaluated[p.name] >= pods, `${p.name} saw ${report.evaluated[p.name]} of ${pods} pod templates`);
            assert.ok(report.evaluated["volume-claims-use-gp3-class"] >= 2, "the StatefulSets' claims");
        });

        it("judges every rendered object by its Application: each knows the Application's destination, and is in it", function () {
            // A fork without the apps layer has nothing of ArgoCD's to check.
            if (!graph.apps) this.skip();
            for (const m of manifests) assert.ok(m.application?.name && m.application.namespace, `${m.type} ${m.name} knows its Application`);
            assert.strictEqual(report.evaluated["objects-in-application-namespace"], manifests.length);
        });

        it("says which services were never released (their overlays pin the placeholder digest), once each, as notices, not violations", function () {
            // A fork without the apps layer has nothing of ArgoCD's to check.
            if (!graph.apps) this.skip();
            const unreleased = WORKLOAD_NAMES.filter((w) => WORKLOADS[w].ecrImage && workloadPin(fs.readFileSync(path.join(REPO_ROOT, overlayFile(w, env)), "utf8"), w)?.digest === UNRELEASED_DIGEST);
            const named = report.notices.map((n) => {
                assert.strictEqual(n.policyName, "workload-images-pinned");
                return /: ([\w-]+) was never released: /.exec(n.message)?.[1];
            });
            assert.deepStrictEqual(named.sort(), unreleased.map((w) => WORKLOADS[w].ecrImage).sort(), formatReport(report));
        });

        it("every documented exception is in use (a stale one would hide a future finding), and each lists what it let pass", () => {
            const used = new Set(report.excepted.map((x) => x.exceptionId));
            const unused = Object.values(EXCEPTIONS).flat().map((x) => x.id).filter((id) => !used.has(id));
            assert.deepStrictEqual(unused, [], formatReport(report));
            for (const x of report.excepted) assert.ok(x.reason.length > 20 && x.subject.length > 0, JSON.stringify(x));
        });

        describe("with a public frontend (a hostname and a certificate: the WAF, its log and the public Ingress exist)", () => {
            let publicReport: PolicyReport;
            before(async () => {
                const certificate = `arn:aws:acm:${graph.infra.outputs.region}:${graph.infra.outputs.accountId}:certificate/00000000-0000-0000-0000-000000000000`;
                const exposed = await runEnvironment(env, { config: { "apps:frontendHostname": `shop.${env}.example.com`, "platform:certificateArn": certificate } });
                const objects = await renderWorkloads(applicationSources(exposed.apps!.resources));
                publicReport = await runPack([...exposed.resources, ...manifestResources(objects, env)], loadPackConfig(env));
            });
            it("reports no violation, and the WAF and the Ingress were checked", () => {
                assert.deepStrictEqual([...publicReport.mandatory, ...publicReport.advisory], [], formatReport(publicReport));
                assert.ok(publicReport.evaluated["waf-web-acls-hardened"] >= 1, JSON.stringify(publicReport.evaluated));
                assert.ok(publicReport.evaluated["public-ingresses-hardened"] >= 1, JSON.stringify(publicReport.evaluated));
            });
        });

        describe("with bad resources added to the recorded graph (hand edits, new modules, other programs)", () => {
            let bad: OfflineResource[];
            let badReport: PolicyReport;

            before(async () => {
                const infra = graph.infra;
                const vpc = infra.one("awsx:ec2:Vpc");
                const lt = infra.one(LAUNCH_TEMPLATE);
                const [ng] = infra.ofType(NODE_GROUP);
                const ci = infra.resources.find((r) => trusts(r, /token\.actions\.githubusercontent\.com/))!;
                const providerArn = JSON.parse(ci.inputs.assumeRolePolicy).Statement[0].Principal.Federated;
                bad = [
                    variant(lt, "bad-lt", { instanceType: "m5.large" }),
                    { type: "aws:ebs/volume:Volume", name: "bad-volume", custom: true, provider: lt.provider, inputs: { availabilityZone: "us-east-1a", size: 10, type: "gp2", encrypted: true } },
                    variant(ng, "bad-ng", { subnetIds: [vpc.state.publicSubnetIds[0]] }),
                    variant(ci, "bad-ci", {
                        assumeRolePolicy: trustPolicy(providerArn, {
                            StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme-platform/*" },
                            StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
                        }),
                    }),
                ];
                const app = graph.apps?.ofType(APPLICATION)[0];
                const headApp = app
                    ? variant(app, "bad-app", { spec: { ...app.inputs.spec, source: { ...app.inputs.spec.source, targetRevision: "HEAD" } } })
                    : { type: APPLICATION, name: "bad-app", custom: true, inputs: { metadata: { name: "bad" }, spec: { project: "workloads", source: { repoURL: "https://github.com/o/r", path: "p", targetRevision: "HEAD" }, syncPolicy: { automated: {} } } } };
                bad.push(headApp);
                // A manifest in Git that escalates privileges, and a CronJob without limits or a pinned image.
                const deployment = rendered.find((r) => r.object.kind === "Deployment" && r.application === "user-service")!;
                const escalating = structuredClone(deployment.object);
                escalating.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
                const cronJob = {
                    apiVersion: "batch/v1",
                    kind: "CronJob",
                    metadata: { name: "report", namespace: "backend" },
                    spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { spec: { ...structuredClone(escalating.spec.template.spec), containers: [{ ...structuredClone(deployment.object.spec.template.spec.containers[0]), image: "user-service:latest", resources: { requests: { cpu: "10m", memory: "32Mi" } } }] } } } } },
                };
                const cronJobSource = "apps/workloads/user-service/base/cronjob.yaml, rendered from apps/workloads/user-service/overlays/" + env;
                // Images by tag: of the environment's own ECR repository (IMMUTABLE: a tag pins it), and of another account's registry.
                const ownRepository = graph.infra.ofType("aws:ecr/repository:Repository")[0].state.repositoryUrl;
                const tagged = (name: string, image: string) => {
                    const object = structuredClone(deployment.object);
                    object.metadata.name = name;
                    object.spec.template.spec.initContainers = [];
                    object.spec.template.spec.containers = [{ ...object.spec.template.spec.containers[0], image }];
                    return { ...deployment, object };
                };
                // A workload overlay's ExternalSecret that claims the platform's namespace to read Grafana's login from the platform's store.
                const frontend = rendered.find((r) => r.application === "frontend")!;
                const spoofSource = `apps/workloads/frontend/overlays/${env}/grafana-admin.yaml, rendered from apps/workloads/frontend/overlays/${env}`;
                const spoof = {
                    apiVersion: "external-secrets.io/v1",
                    kind: "ExternalSecret",
                    metadata: { name: "grafana-admin", namespace: "monitoring" },
                    spec: { secretStoreRef: { kind: "ClusterSecretStore", name: "aws-secrets-manager-platform" }, target: { name: "grafana-admin" }, dataFrom: [{ extract: { key: "grafana/admin" } }] },
                };
                bad.push(
                    ...manifestResources(
                        [
                            { ...deployment, object: { ...escalating, metadata: { ...escalating.metadata, name: "bad-deployment" } } },
                            { object: cronJob, source: cronJobSource },
                            tagged("own-tag", `${ownRepository}:0123abc`),
                            tagged("foreign-tag", "999999999999.dkr.ecr.eu-west-1.amazonaws.com/someone/user-service:dev"),
                            { ...frontend, object: spoof, source: spoofSource },
                        ],
                        env,
                    ),
                );
                badReport = await runPack([...graph.resources, ...manifests, ...bad], loadPackConfig(env));
            });

            it("reports exactly the matching mandatory violations, each on the bad resource", () => {
                const found = badReport.mandatory.map((v) => `${v.policyName} ${v.resourceName}`).sort();
                const expected = [
                    "ebs-gp3-encrypted bad-volume",
                    "github-oidc-trust-pinned bad-ci",
                    "instance-types-allowed bad-lt",
                    "nodes-in-private-subnets bad-ng",
                    // HEAD is fine in staging, not in production.
                    ...(env === "production" ? ["argocd-pinned-revision bad-app"] : []),
                    "workload-pod-security backend/bad-deployment",
                    "workload-images-pinned backend/report",
                    "workload-resources backend/report",
                    "workload-resources backend/report",
                    // No exception covers an image by that name.
                    "workload-secrets-as-files backend/report",
                    // A tag of another account's ECR; the environment's own repository's tag passes.
                    "workload-images-pinned backend/foreign-tag",
                    "objects-in-application-namespace monitoring/grafana-admin",
                    "external-secrets-store-by-namespace monitoring/grafana-admin",
                ].sort();
                assert.deepStrictEqual(found, expected, formatReport(badReport));
            });

            it("says what is wrong and how to fix it", () => {
                const message = (policy: string) => badReport.mandatory.find((v) => v.policyName === policy)!.message;
                assert.match(message("instance-types-allowed"), new RegExp(`instanceType is "m5\\.large", not allowed in ${env} .*Fix: .*policies/config/${env}\\.json`));
                assert.match(message("ebs-gp3-encrypted"), /aws:ebs\/volume:Volume "bad-volume": type is "gp2", not gp3\. Fix: set type to "gp3"\./);
                assert.match(message("nodes-in-private-subnets"), /aws:eks\/nodeGroup:NodeGroup "bad-ng": subnetIds includes subnet-pub0\w+, a public subnet \(awsx:ec2:Vpc "network-vpc" lists it in publicSubnetIds\)\. Fix: /);
                assert.match(message("github-oidc-trust-pinned"), /aws:iam\/role:Role "bad-ci": .*sub with StringLike, not StringEquals alone\. Fix: /);
                // A manifest's finding names the object and the file to fix, and the overlay that renders it.
                const escalation = badReport.mandatory.find((v) => v.resourceName === "backend/bad-deployment")!;
                assert.strictEqual(escalation.source, `apps/workloads/user-service/base/deployment.yaml, rendered from apps/workloads/user-service/overlays/${env}`);
                assert.match(escalation.message, new RegExp(`^kubernetes:apps/v1:Deployment "backend/bad-deployment": container "app": allowPrivilegeEscalation is true.* \\(apps/workloads/user-service/base/deployment\\.yaml, rendered from apps/workloads/user-service/overlays/${env}\\)$`));
                assert.match(badReport.mandatory.find((v) => v.resourceName === "backend/report" && v.policyName === "workload-images-pinned")!.message, /init container|container "app": image user-service:latest names no registry/);
                assert.match(
                    badReport.mandatory.find((v) => v.resourceName === "backend/foreign-tag")!.message,
                    /image 999999999999\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/someone\/user-service:dev is pinned by tag, and .* is not a repository whose tags are immutable .*\(CKV_K8S_43\)/,
                );
                const spoofed = badReport.mandatory.filter((v) => v.resourceName === "monitoring/grafana-admin");
                for (const v of spoofed) assert.strictEqual(v.source, `apps/workloads/frontend/overlays/${env}/grafana-admin.yaml, rendered from apps/workloads/frontend/overlays/${env}`);
                assert.match(spoofed.find((v) => v.policyName === "objects-in-application-namespace")!.message, /metadata\.namespace is "monitoring", but Application frontend deploys to frontend/);
                assert.match(spoofed.find((v) => v.policyName === "external-secrets-store-by-namespace")!.message, /\(synced by Application frontend into frontend\): spec\.secretStoreRef is ClusterSecretStore "aws-secrets-manager-platform"/);
            });
        });
    });
}
