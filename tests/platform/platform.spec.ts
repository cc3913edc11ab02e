import * as assert from "assert";
import { parse } from "yaml";
import { PLATFORM_OUTPUT_NAMES } from "../../platform/contract";
import { ADDON_NAMES, CHARTS } from "../../platform/charts";
import { workloadNamespaceLimits } from "../../platform/cluster/quotas";
import { POLICY_SOURCE_VERSION } from "../../platform/addons/aws-load-balancer-controller-iam-policy";
import { IMAGE_TAGS } from "../../platform/addons/cluster-autoscaler";
import { NOTIFICATION_TRIGGERS } from "../../platform/addons/argocd";
import { KUBERNETES_VERSIONS } from "../../infra/versions";
import { allocatableCpuMillis, allocatableMemoryMiB, INSTANCE_TYPES } from "../../lib/instance-types";
import { environmentGraph, LayerRun, MOCK_ACCOUNT_ID } from "../../lib/offline";
import { CERTIFICATE_ARN, ENVS, inlinePolicy, irsaSubject, isSecret, objectOf, platformRequests, release, RELEASE, reveal, runPlatform, validateObject } from "./helpers";
import { DEFAULT_WORKLOAD_NAMESPACES } from "../../platform/settings";

const EXPECT = {
    staging: { ha: false, prometheusReplicas: 1, retention: "3d", volume: undefined as string | undefined, reclaim: "Delete", protect: false },
    production: { ha: true, prometheusReplicas: 2, retention: "15d", volume: "50Gi", reclaim: "Retain", protect: true },
};

const ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn";

for (const env of ENVS) {
    describe(`platform (${env})`, () => {
        const expected = EXPECT[env];
        let run: LayerRun;
        let infra: Record<string, any>;
        before(async () => {
            const graph = await environmentGraph(env);
            run = graph.platform!;
            infra = graph.infra.outputs;
        });
        const k8s = (type: string, name: string, namespace?: string) => {
            const found = run.ofType(type).filter((r) => r.inputs.metadata?.name === name && (namespace === undefined || r.inputs.metadata?.namespace === namespace));
            assert.strictEqual(found.length, 1, `${type} ${namespace ?? ""}/${name}`);
            return found[0];
        };

        describe("Helm releases", () => {
            it("one release per add-on, each pinned to its chart version from its repository", () => {
                const releases = run.ofType(RELEASE);
                assert.deepStrictEqual(releases.map((r) => r.inputs.chart).sort(), [...ADDON_NAMES].sort());
                for (const r of releases) {
                    const chart = CHARTS[r.inputs.chart as keyof typeof CHARTS];
                    assert.match(r.inputs.version, /^\d+\.\d+\.\d+$/);
                    assert.strictEqual(r.inputs.version, chart.version, r.inputs.chart);
                    assert.deepStrictEqual(r.inputs.repositoryOpts, { repo: chart.repo });
                    assert.match(chart.repo, /^https:\/\//);
                    assert.strictEqual(r.inputs.createNamespace, false, "namespaces are created with their Pod Security labels");
                }
            });

            it("the chart table pins exact versions, and what follows a chart version follows it", () => {
                for (const n of ADDON_NAMES) {
                    assert.match(CHARTS[n].version, /^\d+\.\d+\.\d+$/, n);
                    assert.match(CHARTS[n].appVersion, /^v?\d+\.\d+\.\d+$/, n);
                    assert.match(CHARTS[n].checked, /^[\w.-]+\/[\w.-]+@[\w.-]+$/, n);
                }
                // The controller's IAM policy is the document of the controller release the chart installs.
                assert.strictEqual(POLICY_SOURCE_VERSION, CHARTS["aws-load-balancer-controller"].appVersion);
            });

            it("each release lands in its namespace, through the cluster's Kubernetes provider", () => {
                const provider = run.one("pulumi:providers:kubernetes");
                assert.strictEqual(provider.inputs.enableServerSideApply, "true");
                assert.ok(isSecret(provider.inputs.kubeconfig), "the kubeconfig stays secret");
                assert.strictEqual(JSON.parse(reveal(provider.inputs.kubeconfig)).clusters[0].cluster.server, infra.clusterEndpoint);
                const namespaces = Object.fromEntries(run.ofType(RELEASE).map((r) => [r.inputs.chart, r.inputs.namespace]));
                assert.deepStrictEqual(namespaces, {
                    "aws-load-balancer-controller": "kube-system",
                    "argo-cd": "argocd",
                    "external-secrets": "external-secrets",
                    "sealed-secrets": "sealed-secrets",
                    "kube-prometheus-stack": "monitoring",
                    "metrics-server": "kube-system",
                    "cluster-autoscaler": "kube-system",
                });
                for (const r of run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
                    assert.ok(r.provider?.startsWith(provider.urn), `${r.type} ${r.name} uses ${r.provider}`);
                }
            });

            it("install order: the load balancer controller (Service webhooks) first; ESO before its store and the ExternalSecrets; monitoring CRDs before ArgoCD's ServiceMonitors", () => {
                const lbc = release(run, "aws-load-balancer-controller");
                const eso = release(run, "external-secrets");
                const kps = release(run, "kube-prometheus-stack");
                const argocd = release(run, "argo-cd");
                const releaseUrns = run.ofType(RELEASE).map((r) => r.urn);
                assert.deepStrictEqual(lbc.dependsOn.filter((u) => releaseUrns.includes(u)), [], "the controller waits for no release");
                for (const r of run.ofType(RELEASE).filter((r) => r !== lbc)) assert.ok(r.dependsOn.includes(lbc.urn), `${r.inputs.chart} after the controller`);
                const stores = run.ofType("kubernetes:external-secrets.io/v1:ClusterSecretStore");
                for (const store of stores) assert.ok(store.dependsOn.includes(eso.urn), store.name);
                const platformStore = stores.find((st) => st.inputs.metadata.name === "aws-secrets-manager-platform")!;
                for (const es of run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret")) assert.ok(es.dependsOn.includes(platformStore.urn), es.name);
                // Ingresses need their class (the controller's webhook refuses one whose class does not exist).
                for (const r of [argocd, kps]) for (const c of run.ofType("kubernetes:networking.k8s.io/v1:IngressClass")) assert.ok(r.dependsOn.includes(c.urn), `${r.inputs.chart} after ${c.name}`);
                assert.ok(argocd.dependsOn.includes(kps.urn));
                const grafanaAdmin = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.inputs.metadata.name === "grafana-admin")!;
                assert.ok(kps.dependsOn.includes(grafanaAdmin.urn), "Grafana starts with its admin Secret");
                assert.ok(kps.dependsOn.includes(run.one("kubernetes:storage.k8s.io/v1:StorageClass").urn), "Prometheus volumes need the gp3 class");
            });

            it("no secret in any values: generated secrets and keys stay in Secrets Manager", () => {
                const generated = run.ofType("random:index/randomPassword:RandomPassword").map((p) => p.state.result);
                assert.strictEqual(generated.length, 2);
                const findings: string[] = [];
                const walk = (value: unknown, path: string) => {
                    if (isSecret(value)) findings.push(`${path} is a secret value`);
                    else if (typeof value === "string") {
                        if (generated.some((g) => value.includes(g))) findings.push(`${path} holds a generated secret`);
                        const key = path.split(".").pop()!;
                        if (/(password|token|secret|apikey|routing_key)$/i.test(key) && !/(existingSecret|createSecret)$/.test(key) && value !== "") findings.push(`${path} = ${value}`);
                    } else if (value && typeof value === "object") {
                        for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
                    }
                };
                for (const r of run.ofType(RELEASE)) walk(r.inputs.values, r.inputs.chart);
                assert.deepStrictEqual(findings, []);
            });

            it(`fits the ${env} nodes: requests of every replica of every release (daemonsets aside)`, () => {
                const sum = platformRequests(run);
                if (env === "staging") {
                    // 3 x t3.small (free tier): about 1.4 GiB and 1.9 vCPU allocatable each, minus the daemonsets (tools/capacity.ts checks the whole).
                    assert.ok(sum.memory <= 1600, `memory ${sum.memory} MiB`);
                    assert.ok(sum.cpu <= 1200, `cpu ${sum.cpu}m`);
                } else {
                    // 6 x t3.medium: the platform takes at most a third, the rest is for workloads.
                    const spec = INSTANCE_TYPES["t3.medium"];
                    assert.ok(sum.memory <= (6 * allocatableMemoryMiB(spec)) / 3, `memory ${sum.memory} MiB`);
                    assert.ok(sum.cpu <= (6 * allocatableCpuMillis(spec)) / 3, `cpu ${sum.cpu}m`);
                }
            });
        });

        describe("IRSA: one role per add-on that calls AWS, trusting exactly its service account", () => {
            const roleOf = (chart: string, saPath: (v: any) => any) => {
                const sa = saPath(release(run, chart).inputs.values);
                assert.strictEqual(sa.create, true);
                return { arn: sa.annotations[ROLE_ARN_ANNOTATION] as string, name: sa.name as string };
            };

            it("exactly four IRSA roles (the load balancer controller, the two secret stores, the autoscaler)", () => {
                assert.strictEqual(run.ofType("gitops:iam:IrsaRole").length, 4);
                assert.strictEqual(run.ofType("aws:iam/role:Role").length, 4);
            });

            it("each under infra's role path with infra's permissions boundary (the only roles the CI deploy role may create)", () => {
                assert.strictEqual(infra.iamRolePath, `/gitops-${env}/`);
                for (const role of run.ofType("aws:iam/role:Role")) {
                    assert.strictEqual(role.inputs.path, infra.iamRolePath, role.name);
                    assert.strictEqual(role.inputs.permissionsBoundary, infra.permissionsBoundaryArn, role.name);
                }
            });

            it("AWS Load Balancer Controller: kube-system/aws-load-balancer-controller, the controller's documented policy", () => {
                const role = roleOf("aws-load-balancer-controller", (v) => v.serviceAccount);
                assert.strictEqual(role.name, "aws-load-balancer-controller");
                assert.strictEqual(irsaSubject(run, role.arn, infra as any), "system:serviceaccount:kube-system:aws-load-balancer-controller");
                const actions = inlinePolicy(run, role.arn).Statement.flatMap((s) => s.Action);
                for (const a of ["elasticloadbalancing:CreateLoadBalancer", "wafv2:AssociateWebACL", "ec2:CreateSecurityGroup"]) assert.ok(actions.includes(a), a);
                assert.ok(!actions.some((a: string) => a.endsWith(":*") || a === "*"), "no wildcard actions");
            });

            it("External Secrets: no AWS identity for the controller; each store its own service account and role (the workloads' reads only <prefix>/apps/*)", () => {
                const values = release(run, "external-secrets").inputs.values;
                assert.strictEqual(values.serviceAccount.annotations, undefined, "the controller has no role");
                assert.strictEqual(values.rbac.serviceAccountTokenCreate, false, "no cluster-wide token requests");
                const secrets = `arn:aws:secretsmanager:us-east-1:${MOCK_ACCOUNT_ID}:secret:gitops-${env}`;
                const read = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"];
                const expectedPolicies: Record<string, object[]> = {
                    "secrets-workloads": [{ Sid: "ReadTheWorkloadsSecrets", Effect: "Allow", Action: read, Resource: `${secrets}/apps/*` }],
                    "secrets-platform": [
                        { Sid: "ReadThePlatformsSecrets", Effect: "Allow", Action: read, Resource: `${secrets}/*` },
                        { Sid: "NotTheWorkloadsSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: `${secrets}/apps/*` },
                        // CI's own (the release App's key) are the deploy role's only.
                        { Sid: "NotCiSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: `${secrets}/ci/*` },
                    ],
                };
                for (const [name, statements] of Object.entries(expectedPolicies)) {
                    const sa = run.ofType("kubernetes:core/v1:ServiceAccount").find((a) => a.inputs.metadata.name === name)!;
                    assert.strictEqual(sa.inputs.metadata.namespace, "external-secrets");
                    assert.strictEqual(sa.inputs.automountServiceAccountToken, false);
                    const arn = sa.inputs.metadata.annotations[ROLE_ARN_ANNOTATION];
                    assert.strictEqual(irsaSubject(run, arn, infra as any), `system:serviceaccount:external-secrets:${name}`);
                    assert.deepStrictEqual(inlinePolicy(run, arn).Statement, statements, name);
                }
                const tokens = run.one("kubernetes:rbac.authorization.k8s.io/v1:Role").inputs;
                assert.deepStrictEqual(tokens.rules, [{ apiGroups: [""], resources: ["serviceaccounts/token"], resourceNames: ["secrets-platform", "secrets-workloads"], verbs: ["create"] }]);
                const binding = run.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs;
                assert.deepStrictEqual(binding.subjects, [{ kind: "ServiceAccount", name: "external-secrets", namespace: "external-secrets" }]);
            });

            it("Cluster Autoscaler: kube-system/cluster-autoscaler, scaling only this cluster's tagged groups", () => {
                const role = roleOf("cluster-autoscaler", (v) => v.rbac.serviceAccount);
                assert.strictEqual(role.name, "cluster-autoscaler");
                assert.strictEqual(irsaSubject(run, role.arn, infra as any), "system:serviceaccount:kube-system:cluster-autoscaler");
                const statements = inlinePolicy(run, role.arn).Statement;
                const scale = statements.find((s) => s.Action.includes("autoscaling:SetDesiredCapacity"));
                assert.deepStrictEqual(scale.Condition, {
                    StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true", [`aws:ResourceTag/k8s.io/cluster-autoscaler/gitops-${env}`]: "owned" },
                });
                const describe = statements.find((s) => s.Action.includes("eks:DescribeNodegroup"));
                assert.strictEqual(describe.Resource, `arn:aws:eks:us-east-1:${MOCK_ACCOUNT_ID}:nodegroup/gitops-${env}/*`);
            });
        });

        describe("AWS Load Balancer Controller", () => {
            it(`knows the cluster, VPC and region; internal load balancers unless asked; ${expected.ha ? "two replicas with a disruption budget" : "one replica"}`, () => {
                const v = release(run, "aws-load-balancer-controller").inputs.values;
                assert.strictEqual(v.clusterName, `gitops-${env}`);
                assert.strictEqual(v.vpcId, infra.vpcId);
                assert.strictEqual(v.region, "us-east-1");
                assert.strictEqual(v.ingressClass, "alb");
                assert.strictEqual(v.defaultLoadBalancerScheme, "internal");
                assert.strictEqual(v.replicaCount, expected.ha ? 2 : 1);
                assert.deepStrictEqual(v.podDisruptionBudget, expected.ha ? { maxUnavailable: 1 } : {});
            });

            it("tags everything it creates in AWS (load balancers, target groups, listeners, rules, security groups) with the environment's tags", () => {
                const v = release(run, "aws-load-balancer-controller").inputs.values;
                assert.deepStrictEqual(v.defaultTags, { Environment: env, Project: "gitops", ManagedBy: "pulumi" });
                // The same tags as every resource the platform creates itself.
                assert.deepStrictEqual(JSON.parse(run.one("pulumi:providers:aws").inputs.defaultTags).tags, v.defaultTags);
            });

            it("two IngressClasses, no default one: the platform's and the workloads' (lib/alb.ts), nothing exposed by default", () => {
                assert.deepStrictEqual(run.ofType("kubernetes:networking.k8s.io/v1:IngressClass").map((c) => c.inputs.metadata.name).sort(), ["alb", "alb-platform"]);
                const params = run.ofType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams");
                assert.deepStrictEqual(params.map((p) => p.inputs.spec.group.name).sort(), [`gitops-${env}`, `gitops-${env}-platform`]);
                for (const p of params) assert.strictEqual(p.inputs.spec.certificateArn, undefined, "no certificate without a hostname");
            });
        });

        describe("ArgoCD", () => {
            let v: any;
            before(() => {
                v = release(run, "argo-cd").inputs.values;
            });

            it(expected.ha ? "HA: 2 API servers, 2 repo servers, 2 ApplicationSet controllers, Redis HA; one controller (one cluster, one shard)" : "one replica per component, single Redis", () => {
                const replicas = ["controller", "server", "repoServer", "applicationSet"].map((c) => v[c].replicas);
                assert.deepStrictEqual(replicas, expected.ha ? [1, 2, 2, 2] : [1, 1, 1, 1]);
                assert.strictEqual(v.redis.enabled, !expected.ha);
                if (expected.ha) {
                    assert.strictEqual(v["redis-ha"].enabled, true);
                    assert.strictEqual(v["redis-ha"].replicas, 3);
                    assert.strictEqual(v["redis-ha"].haproxy.replicas, 3);
                    // Redis HA keeps its Sentinel quorum (2 of 3) and two HAProxies through drains.
                    assert.deepStrictEqual(v["redis-ha"].podDisruptionBudget, { maxUnavailable: 1 });
                    assert.deepStrictEqual(v["redis-ha"].haproxy.podDisruptionBudget, { maxUnavailable: 1 });
                    for (const c of ["server", "repoServer", "applicationSet"]) assert.deepStrictEqual(v[c].pdb, { enabled: true, minAvailable: 1 }, c);
                } else {
                    assert.strictEqual(v["redis-ha"], undefined);
                }
            });

            it("ClusterIP only when no hostname is set; read-only by default, the admin group is admin; local admin on without SSO", () => {
                assert.strictEqual(v.server.ingress, undefined);
                assert.strictEqual(v.global, undefined);
                assert.strictEqual(v.configs.rbac["policy.default"], "role:readonly");
                assert.strictEqual(v.configs.rbac["policy.csv"], "g, platform-admins, role:admin\n");
                assert.strictEqual(v.configs.cm["admin.enabled"], true);
                assert.strictEqual(v.configs.cm["oidc.config"], undefined);
                assert.strictEqual(v.dex.enabled, false);
                assert.strictEqual(run.outputs.argocdServerUrl, "");
            });

            it("metrics for Prometheus on every component", () => {
                for (const c of ["controller", "server", "repoServer", "applicationSet"]) assert.deepStrictEqual(v[c].metrics, { enabled: true, serviceMonitor: { enabled: true } }, c);
            });

            it("a generated GitHub webhook secret in Secrets Manager, merged into argocd-secret after the release", async () => {
                const secret = run.ofType("aws:secretsmanager/secret:Secret").find((s) => s.inputs.name === `gitops-${env}/argocd/github-webhook`);
                assert.ok(secret, "secret under the environment's prefix");
                assert.strictEqual(secret!.inputs.recoveryWindowInDays, expected.protect ? 30 : 0);
                assert.strictEqual(secret!.protect, expected.protect);
                const es = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.inputs.metadata.namespace === "argocd" && e.inputs.metadata.name === "argocd-secret")!;
                assert.deepStrictEqual(es.inputs.spec.target, { name: "argocd-secret", creationPolicy: "Merge" });
                assert.deepStrictEqual(es.inputs.spec.data, [{ secretKey: "webhook.github.secret", remoteRef: { key: "argocd/github-webhook" } }]);
                assert.ok(es.dependsOn.includes(release(run, "argo-cd").urn));
                await validateObject(objectOf(es));
            });

            it("notifications: each Application's sync and health reported to its commit as a GitHub status, credentials only referenced", async () => {
                const n = v.notifications;
                assert.strictEqual(n.enabled, true);
                assert.strictEqual(n.argocdUrl, undefined, "not exposed: no ArgoCD URL (the chart would invent one)");
                assert.deepStrictEqual(n.secret, { create: false });
                assert.deepStrictEqual(parse(n.notifiers["service.github"]), { appID: "$github-appID", installationID: "$github-installationID", privateKey: "$github-privateKey" });
                assert.deepStrictEqual(n.metrics, { enabled: true, serviceMonitor: { enabled: true } });
                assert.ok(n.resources.requests.memory && n.resources.limits.memory);
                // Every Application, every trigger, to GitHub.
                assert.deepStrictEqual(n.subscriptions, [{ recipients: ["github"], triggers: Object.keys(NOTIFICATION_TRIGGERS) }]);
                const states: Record<string, string> = {};
                for (const [trigger, t] of Object.entries(NOTIFICATION_TRIGGERS)) {
                    const [condition] = parse(n.triggers[`trigger.${trigger}`]);
                    assert.strictEqual(condition.when, t.when);
                    assert.strictEqual(condition.oncePer, undefined, "a status follows each change of state");
                    const template = parse(n.templates[`template.${condition.send[0]}`]);
                    assert.strictEqual(template.github.revisionPath, "{{.app.status.sync.revision}}");
                    assert.strictEqual(template.github.status.label, `argocd/${env}/{{.app.metadata.name}}`, "one status per environment and Application");
                    assert.strictEqual(template.github.status.targetURL, "{{.app.spec.source.repoURL}}");
                    states[trigger] = template.github.status.state;
                }
                assert.deepStrictEqual(states, { "on-sync-running": "pending", "on-sync-progressing": "pending", "on-deployed": "success", "on-sync-failed": "failure", "on-health-degraded": "failure" });
                // The GitHub App's id, installation and key: from Secrets Manager through External Secrets, never in values or Git.
                const es = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.inputs.metadata.name === "argocd-notifications-secret")!;
                assert.strictEqual(es.inputs.metadata.namespace, "argocd");
                assert.strictEqual(es.inputs.spec.target.creationPolicy, "Owner");
                assert.deepStrictEqual(es.inputs.spec.data, [
                    { secretKey: "github-appID", remoteRef: { key: "argocd/github-notifications", property: "appID" } },
                    { secretKey: "github-installationID", remoteRef: { key: "argocd/github-notifications", property: "installationID" } },
                    { secretKey: "github-privateKey", remoteRef: { key: "argocd/github-notifications", property: "privateKey" } },
                ]);
                await validateObject(objectOf(es));
                assert.doesNotMatch(JSON.stringify(v), /BEGIN (RSA )?PRIVATE KEY/);
            });
        });

        describe("External Secrets", () => {
            it("two ClusterSecretStores: the workloads' (workload namespaces, <prefix>/apps/) and the platform's (argocd, monitoring, <prefix>/)", async () => {
                const stores = Object.fromEntries(run.ofType("kubernetes:external-secrets.io/v1:ClusterSecretStore").map((st) => [st.inputs.metadata.name, st.inputs.spec]));
                const auth = (name: string) => ({ jwt: { serviceAccountRef: { name, namespace: "external-secrets" } } });
                // Workload ExternalSecrets name `mysql`; their store reads `gitops-<env>/apps/mysql`, the only names its role may read.
                assert.deepStrictEqual(stores, {
                    "aws-secrets-manager": {
                        provider: { aws: { service: "SecretsManager", region: "us-east-1", prefix: `gitops-${env}/apps/`, auth: auth("secrets-workloads") } },
                        conditions: [{ namespaces: DEFAULT_WORKLOAD_NAMESPACES }],
                    },
                    "aws-secrets-manager-platform": {
                        provider: { aws: { service: "SecretsManager", region: "us-east-1", prefix: `gitops-${env}/`, auth: auth("secrets-platform") } },
                        conditions: [{ namespaces: ["argocd", "monitoring"] }],
                    },
                });
                for (const store of run.ofType("kubernetes:external-secrets.io/v1:ClusterSecretStore")) await validateObject(objectOf(store));
                for (const es of run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret")) assert.strictEqual(es.inputs.spec.secretStoreRef.name, "aws-secrets-manager-platform", es.name);
                assert.strictEqual(run.outputs.secretStoreName, "aws-secrets-manager");
                assert.strictEqual(run.outputs.secretsPrefix, `gitops-${env}/apps/`);
                assert.strictEqual(run.outputs.platformSecretStoreName, "aws-secrets-manager-platform");
                assert.strictEqual(run.outputs.argocdWebhookSecretName, `gitops-${env}/argocd/github-webhook`);
            });

            it(`${expected.ha ? "two controllers (leader election) and two webhooks with disruption budgets" : "one replica of each component"}; CRDs installed by the chart`, () => {
                const v = release(run, "external-secrets").inputs.values;
                assert.strictEqual(v.installCRDs, true);
                assert.strictEqual(v.replicaCount, expected.ha ? 2 : 1);
                assert.strictEqual(v.leaderElect, expected.ha);
                assert.strictEqual(v.webhook.replicaCount, expected.ha ? 2 : 1);
                assert.strictEqual(v.podDisruptionBudget.enabled, expected.ha);
            });
        });

        describe("kube-prometheus-stack", () => {
            let v: any;
            before(() => {
                v = release(run, "kube-prometheus-stack").inputs.values;
            });

            it(`Prometheus: ${expected.prometheusReplicas} replica(s), ${expected.retention} retention, ${expected.volume ? `a ${expected.volume} gp3 volume each` : "no volume"}`, () => {
                const spec = v.prometheus.prometheusSpec;
                assert.strictEqual(spec.replicas, expected.prometheusReplicas);
                assert.strictEqual(spec.retention, expected.retention);
                if (expected.volume) {
                    const claim = spec.storageSpec.volumeClaimTemplate.spec;
                    assert.strictEqual(claim.storageClassName, "gp3");
                    assert.strictEqual(claim.resources.requests.storage, expected.volume);
                } else {
                    assert.strictEqual(spec.storageSpec, undefined);
                }
            });

            it("selects ServiceMonitors, PodMonitors and rules of every namespace, without the release label", () => {
                const spec = v.prometheus.prometheusSpec;
                for (const k of ["serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues", "probeSelectorNilUsesHelmValues", "scrapeConfigSelectorNilUsesHelmValues"]) {
                    assert.strictEqual(spec[k], false, k);
                }
                for (const k of ["serviceMonitorSelector", "serviceMonitorNamespaceSelector", "podMonitorSelector", "podMonitorNamespaceSelector"]) assert.deepStrictEqual(spec[k], {}, k);
            });

            it("Grafana's admin login comes from Secrets Manager through External Secrets", async () => {
                assert.deepStrictEqual(v.grafana.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
                assert.strictEqual(v.grafana.adminPassword, undefined);
                const secret = run.ofType("aws:secretsmanager/secret:Secret").find((s) => s.inputs.name === `gitops-${env}/grafana/admin`);
                assert.ok(secret);
                const version = run.ofType("aws:secretsmanager/secretVersion:SecretVersion").find((s) => s.inputs.secretId === secret!.id)!;
                const password = run.ofType("random:index/randomPassword:RandomPassword").map((p) => p.state.result);
                assert.ok(isSecret(version.inputs.secretString));
                const stored = JSON.parse(reveal(version.inputs.secretString));
                assert.deepStrictEqual(Object.keys(stored).sort(), ["password", "user"]);
                assert.ok(password.includes(stored.password));
                const es = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.inputs.metadata.name === "grafana-admin")!;
                assert.strictEqual(es.inputs.metadata.namespace, "monitoring");
                assert.deepStrictEqual(es.inputs.spec.data, [
                    { secretKey: "admin-user", remoteRef: { key: "grafana/admin", property: "user" } },
                    { secretKey: "admin-password", remoteRef: { key: "grafana/admin", property: "password" } },
                ]);
                await validateObject(objectOf(es));
                assert.strictEqual(run.outputs.grafanaUrl, "");
            });

            it("Alertmanager: Watchdog and InfoInhibitor go nowhere; no PagerDuty receiver without a routing-key secret", () => {
                const config = v.alertmanager.config;
                assert.deepStrictEqual(config.receivers, [{ name: "null" }]);
                assert.deepStrictEqual(config.route.routes.map((r: any) => r.matchers), [['alertname = "Watchdog"'], ['alertname = "InfoInhibitor"']]);
                assert.deepStrictEqual(v.alertmanager.alertmanagerSpec.secrets, []);
                assert.strictEqual(v.alertmanager.alertmanagerSpec.replicas, expected.ha ? 2 : 1);
            });

            it("the EKS control plane and kube-proxy are not scraped; node-exporter runs in its privileged namespace", () => {
                for (const c of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) assert.strictEqual(v[c].enabled, false, c);
                assert.strictEqual(v["prometheus-node-exporter"].namespaceOverride, "node-exporter");
            });
        });

        describe("Sealed Secrets, metrics-server, cluster-autoscaler", () => {
            it("Sealed Secrets: kubeseal's controller name, restricted-compliant security contexts", () => {
                const v = release(run, "sealed-secrets").inputs.values;
                assert.strictEqual(v.fullnameOverride, "sealed-secrets-controller");
                assert.strictEqual(v.containerSecurityContext.allowPrivilegeEscalation, false);
                assert.deepStrictEqual(v.containerSecurityContext.capabilities, { drop: ["ALL"] });
                assert.deepStrictEqual(v.podSecurityContext.seccompProfile, { type: "RuntimeDefault" });
            });

            it(`metrics-server: ${expected.ha ? "two replicas with a disruption budget" : "one replica"}`, () => {
                const v = release(run, "metrics-server").inputs.values;
                assert.strictEqual(v.replicas, expected.ha ? 2 : 1);
                assert.strictEqual(v.podDisruptionBudget.enabled, expected.ha);
            });

            it("cluster-autoscaler: auto-discovers this cluster's node groups, image matching Kubernetes 1.35", () => {
                const v = release(run, "cluster-autoscaler").inputs.values;
                assert.strictEqual(v.cloudProvider, "aws");
                assert.strictEqual(v.awsRegion, "us-east-1");
                assert.deepStrictEqual(v.autoDiscovery, { clusterName: `gitops-${env}` });
                assert.deepStrictEqual(v.image, { repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.35.2" });
                assert.strictEqual(infra.kubernetesVersion, "1.35");
                assert.strictEqual(v.extraArgs["balance-similar-node-groups"], true);
            });
        });

        describe("cluster objects", () => {
            it(`default StorageClass gp3 on the EBS CSI driver: encrypted, WaitForFirstConsumer, expandable, ${expected.reclaim} on release`, async () => {
                const sc = run.one("kubernetes:storage.k8s.io/v1:StorageClass");
                assert.strictEqual(sc.inputs.metadata.name, "gp3");
                assert.strictEqual(sc.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
                assert.strictEqual(sc.inputs.provisioner, "ebs.csi.aws.com");
                assert.strictEqual(sc.inputs.parameters.type, "gp3");
                assert.strictEqual(sc.inputs.parameters.encrypted, "true");
                assert.strictEqual(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
                assert.strictEqual(sc.inputs.allowVolumeExpansion, true);
                assert.strictEqual(sc.inputs.reclaimPolicy, expected.reclaim);
                await validateObject(objectOf(sc, "storage.k8s.io/v1", "StorageClass"));
                assert.strictEqual(run.outputs.storageClassName, "gp3");
            });

            it("namespaces behind the ALB (workloads, ArgoCD, Grafana) carry the Load Balancer Controller's readiness-gate label; the others do not", () => {
                const gated = run
                    .ofType("kubernetes:core/v1:Namespace")
                    .filter((n) => n.inputs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"] === "enabled")
                    .map((n) => n.inputs.metadata.name)
                    .sort();
                assert.deepStrictEqual(gated, ["argocd", "backend", "data", "frontend", "monitoring"]);
            });

            it("every namespace carries the three Pod Security labels: restricted, except node-exporter (privileged, audited and warned as restricted)", async () => {
                const namespaces = run.ofType("kubernetes:core/v1:Namespace");
                const levels = Object.fromEntries(namespaces.map((n) => [n.inputs.metadata.name, n.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]]));
                assert.deepStrictEqual(levels, {
                    argocd: "restricted",
                    "external-secrets": "restricted",
                    "sealed-secrets": "restricted",
                    monitoring: "restricted",
                    "node-exporter": "privileged",
                    frontend: "restricted",
                    backend: "restricted",
                    data: "restricted",
                });
                for (const n of namespaces) {
                    assert.strictEqual(n.inputs.metadata.labels["pod-security.kubernetes.io/audit"], "restricted");
                    assert.strictEqual(n.inputs.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
                    await validateObject(objectOf(n, "v1", "Namespace"));
                }
            });

            for (const ns of DEFAULT_WORKLOAD_NAMESPACES) {
                it(`${ns}: default-deny ingress and egress, DNS to CoreDNS, scraping from Prometheus only`, async () => {
                    const policies = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.namespace === ns);
                    assert.deepStrictEqual(policies.map((p) => p.inputs.metadata.name).sort(), ["allow-dns", "allow-prometheus-scrape", "default-deny"]);
                    for (const p of policies) await validateObject(objectOf(p, "networking.k8s.io/v1", "NetworkPolicy"));
                    const deny = k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny", ns).inputs.spec;
                    assert.deepStrictEqual(deny, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
                    const dns = k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-dns", ns).inputs.spec;
                    assert.deepStrictEqual(dns.policyTypes, ["Egress"]);
                    assert.deepStrictEqual(dns.egress[0].to, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }]);
                    assert.deepStrictEqual(dns.egress[0].ports, [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ]);
                    const scrape = k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-prometheus-scrape", ns).inputs.spec;
                    assert.deepStrictEqual(scrape.policyTypes, ["Ingress"]);
                    assert.deepStrictEqual(scrape.ingress[0].from, [
                        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } },
                    ]);
                });

                it(`${ns}: a resource quota sized from the workload catalogue (no LoadBalancer or NodePort Services) and container defaults`, async () => {
                    const quota = k8s("kubernetes:core/v1:ResourceQuota", "workloads", ns);
                    assert.strictEqual(quota.inputs.spec.hard["services.loadbalancers"], "0");
                    assert.strictEqual(quota.inputs.spec.hard["services.nodeports"], "0");
                    // The manifests' suite checks the overlays fit these at full scale; here, that platform applies them.
                    assert.deepStrictEqual(quota.inputs.spec.hard, workloadNamespaceLimits(ns, env).quota);
                    await validateObject(objectOf(quota, "v1", "ResourceQuota"));
                    const limits = k8s("kubernetes:core/v1:LimitRange", "container-defaults", ns);
                    const container = limits.inputs.spec.limits[0];
                    assert.strictEqual(container.type, "Container");
                    for (const k of ["defaultRequest", "default", "max"]) assert.ok(container[k].cpu && container[k].memory, k);
                    assert.deepStrictEqual(container.max, workloadNamespaceLimits(ns, env).max);
                    await validateObject(objectOf(limits, "v1", "LimitRange"));
                });
            }
        });

        describe("AWS: WAF, ALB access logs, alarms", () => {
            it("no WAF ACL while nothing is public (it is billed monthly): wafAclArn is empty", () => {
                assert.deepStrictEqual(run.ofType("aws:wafv2/webAcl:WebAcl"), []);
                assert.strictEqual(run.outputs.wafAclArn, "");
            });

            it("with a public hostname (platform's or the frontend's), a regional WAF ACL: AWS common rule set, known bad inputs, a per-IP rate limit of 2000 per 5 minutes", async () => {
                const grafana = await runPlatform(env, { "platform:certificateArn": CERTIFICATE_ARN, "platform:grafanaHostname": `grafana-${env}.example.com` });
                assert.strictEqual(grafana.ofType("aws:wafv2/webAcl:WebAcl").length, 1);
                const run = await runPlatform(env, { "platform:certificateArn": CERTIFICATE_ARN, "apps:frontendHostname": `shop-${env}.example.com` });
                const acl = run.one("aws:wafv2/webAcl:WebAcl");
                assert.strictEqual(acl.inputs.scope, "REGIONAL");
                assert.deepStrictEqual(acl.inputs.defaultAction, { allow: {} });
                const rules = acl.inputs.rules;
                assert.deepStrictEqual(
                    rules.map((r: any) => r.statement.managedRuleGroupStatement?.name ?? "rate"),
                    ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "rate"],
                );
                assert.deepStrictEqual(rules[0].statement.managedRuleGroupStatement.ruleActionOverrides, [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }]);
                assert.deepStrictEqual(rules[2].statement.rateBasedStatement, { limit: 2000, aggregateKeyType: "IP", evaluationWindowSec: 300 });
                assert.deepStrictEqual(rules[2].action, { block: {} });
                assert.strictEqual(run.outputs.wafAclArn, acl.state.arn);
            });

            it(`ALB access logs: a private, encrypted bucket, written by ELB log delivery only, Intelligent-Tiering then expiry after ${env === "staging" ? 30 : 365} days`, () => {
                const bucket = run.one("aws:s3/bucket:Bucket");
                assert.strictEqual(bucket.inputs.bucket, `gitops-${env}-alb-${MOCK_ACCOUNT_ID}-us-east-1`);
                assert.strictEqual(bucket.protect, expected.protect);
                assert.strictEqual(bucket.inputs.forceDestroy, !expected.protect);
                assert.strictEqual(run.outputs.albAccessLogsBucket, bucket.state.bucket);
                const block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
                assert.deepStrictEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
                assert.strictEqual(run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
                const rule = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[0];
                assert.deepStrictEqual(rule.transitions, [{ days: 0, storageClass: "INTELLIGENT_TIERING" }]);
                assert.deepStrictEqual(rule.expiration, { days: env === "staging" ? 30 : 365 });
                const statements = JSON.parse(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy).Statement;
                const writers = statements.filter((s: any) => s.Effect === "Allow");
                assert.deepStrictEqual(writers.map((s: any) => s.Principal), [{ AWS: "arn:aws:iam::127311923021:root" }, { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }]);
                for (const s of writers) {
                    assert.strictEqual(s.Action, "s3:PutObject");
                    assert.strictEqual(s.Resource, `${bucket.state.arn}/alb/AWSLogs/${MOCK_ACCOUNT_ID}/*`);
                }
                assert.ok(statements.some((s: any) => s.Effect === "Deny" && s.Condition.Bool["aws:SecureTransport"] === "false"));
            });

            it("alarms on node CPU, node memory, node count below the node groups' minimum and failed pods, to one SNS topic", () => {
                const topic = run.one("aws:sns/topic:Topic");
                assert.strictEqual(topic.inputs.name, `gitops-${env}-alarms`);
                assert.strictEqual(run.outputs.alarmTopicArn, topic.state.arn);
                const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
                const byMetric = Object.fromEntries(alarms.map((a) => [a.inputs.metricName, a.inputs]));
                assert.deepStrictEqual(Object.keys(byMetric).sort(), ["cluster_node_count", "node_cpu_utilization", "node_memory_utilization", "pod_status_failed"]);
                for (const a of alarms.map((x) => x.inputs)) {
                    assert.strictEqual(a.namespace, "ContainerInsights");
                    assert.deepStrictEqual(a.dimensions, { ClusterName: `gitops-${env}` });
                    assert.deepStrictEqual(a.alarmActions, [topic.state.arn]);
                    assert.deepStrictEqual(a.okActions, [topic.state.arn]);
                }
                assert.strictEqual(byMetric.cluster_node_count.comparisonOperator, "LessThanThreshold");
                assert.strictEqual(byMetric.cluster_node_count.threshold, infra.nodeCountMinimum);
                assert.strictEqual(byMetric.cluster_node_count.treatMissingData, "breaching");
                assert.strictEqual(byMetric.node_cpu_utilization.threshold, 80);
                assert.strictEqual(byMetric.pod_status_failed.threshold, 0);
                assert.strictEqual(run.ofType("aws:sns/topicSubscription:TopicSubscription").length, 0, "no subscription unless set");
            });

            it("every AWS resource goes through the provider with the standard tags of infra's project", () => {
                const provider = run.one("pulumi:providers:aws");
                assert.deepStrictEqual(JSON.parse(provider.inputs.defaultTags), { tags: { Environment: env, Project: "gitops", ManagedBy: "pulumi" } });
                assert.strictEqual(provider.inputs.region, "us-east-1");
                for (const r of run.resources.filter((r) => r.custom && r.type.startsWith("aws:"))) {
                    assert.ok(r.provider?.startsWith(provider.urn), `${r.type} ${r.name} uses ${r.provider}`);
                }
            });
        });

        describe("outputs", () => {
            it("exports exactly the contract, nothing secret", () => {
                assert.deepStrictEqual(Object.keys(run.outputs).sort(), [...PLATFORM_OUTPUT_NAMES].sort());
                for (const name of PLATFORM_OUTPUT_NAMES) assert.notStrictEqual(run.outputs[name], undefined, name);
                assert.deepStrictEqual(run.secretOutputs, []);
            });

            it("the values apps reads", () => {
                const o = run.outputs;
                assert.strictEqual(o.environment, env);
                assert.strictEqual(o.argocdNamespace, "argocd");
                assert.strictEqual(o.ingressClass, "alb");
                assert.strictEqual(o.albGroupName, `gitops-${env}`);
                assert.strictEqual(o.certificateArn, "");
                assert.deepStrictEqual(o.workloadNamespaces, DEFAULT_WORKLOAD_NAMESPACES);
            });
        });
    });
}

describe("platform pins", () => {
    it("a cluster-autoscaler image for every Kubernetes version infra accepts", () => {
        assert.deepStrictEqual(Object.keys(IMAGE_TAGS).sort(), Object.keys(KUBERNETES_VERSIONS).sort());
        for (const [minor, tag] of Object.entries(IMAGE_TAGS)) assert.match(tag, new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`));
    });
});

