/**
 * The pack over the whole graph of each environment: every layer that exists runs under the mocks
 * (infra -> platform -> apps, chained), and every recorded resource goes through every policy with that
 * environment's config file, as `pulumi preview --policy-pack policies --policy-pack-config
 * policies/config/<env>.json` would do per stack. Then the same graph with bad resources added.
 */
import * as assert from "assert";
import { ENVIRONMENTS } from "../../lib/environment";
import { formatReport, loadPackConfig, OfflineResource, PolicyReport, runPack } from "../../policies/offline";
import { environmentGraph, EnvironmentRun, LAYERS, layerExists, RecordedResource } from "../../lib/offline";
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

for (const env of ENVIRONMENTS) {
    describe(`the policy pack over the whole ${env} graph`, function () {
        this.timeout(120_000);
        let graph: EnvironmentRun;
        let report: PolicyReport;

        before(async () => {
            graph = await environmentGraph(env);
            report = await runPack(graph.resources, loadPackConfig(env), { configSource: `policies/config/${env}.json` });
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
                badReport = await runPack([...graph.resources, ...bad], loadPackConfig(env));
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
                ].sort();
                assert.deepStrictEqual(found, expected, formatReport(badReport));
            });

            it("says what is wrong and how to fix it", () => {
                const message = (policy: string) => badReport.mandatory.find((v) => v.policyName === policy)!.message;
                assert.match(message("instance-types-allowed"), new RegExp(`instanceType is "m5\\.large", not allowed in ${env} .*Fix: .*policies/config/${env}\\.json`));
                assert.match(message("ebs-gp3-encrypted"), /aws:ebs\/volume:Volume "bad-volume": type is "gp2", not gp3\. Fix: set type to "gp3"\./);
                assert.match(message("nodes-in-private-subnets"), /aws:eks\/nodeGroup:NodeGroup "bad-ng": subnetIds includes subnet-pub0\w+, a public subnet \(awsx:ec2:Vpc "network-vpc" lists it in publicSubnetIds\)\. Fix: /);
                assert.match(message("github-oidc-trust-pinned"), /aws:iam\/role:Role "bad-ci": .*sub with StringLike, not StringEquals alone\. Fix: /);
            });
        });
    });
}
