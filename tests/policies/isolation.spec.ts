import * as assert from "assert";
import { PackPolicy } from "../../policies/all";
import { SyncingApplication } from "../../policies/common";
import { externalSecretsStoreByNamespace as stores, ingressClassByNamespace as classes, objectsInApplicationNamespace as inNamespace } from "../../policies/isolation";
import { internalLoadBalancers } from "../../policies/networking";
import { loadPackConfig, manifestResources, runPack } from "../../policies/offline";
import { workloadIdentity } from "../../policies/workloads";
import { DEPLOYMENT, workload } from "./fixtures";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";

const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}) => createResourceValidationArgs(policy, type, props, { name: "res", config });
/** The arguments of an object the Application `application` syncs into `namespace`, as the offline runner passes them. */
const synced = (policy: PackPolicy, type: string, props: Props, application: SyncingApplication) => createResourceValidationArgs(policy, type, props, { name: "res", application });
const FRONTEND_APP = { name: "frontend", namespace: "frontend" };

const externalSecret = (namespace: string, store: Props, spec: Props = {}) => ({
    metadata: { name: "creds", namespace },
    spec: { secretStoreRef: store, target: { name: "creds" }, dataFrom: [{ extract: { key: "mysql" } }], ...spec },
});
const workloadStore = { kind: "ClusterSecretStore", name: "aws-secrets-manager" };
const platformStore = { kind: "ClusterSecretStore", name: "aws-secrets-manager-platform" };

describe("policy external-secrets-store-by-namespace", () => {
    it("passes workloads reading the workloads' store and the platform reading its own, by relative names", async () => {
        await assertNoResourceViolations(stores, args(stores, EXTERNAL_SECRET, externalSecret("backend", workloadStore)));
        await assertNoResourceViolations(stores, args(stores, EXTERNAL_SECRET, externalSecret("monitoring", platformStore, { dataFrom: undefined, data: [{ secretKey: "p", remoteRef: { key: "grafana/admin", property: "password" } }] })));
        await assertNoResourceViolations(stores, args(stores, "kubernetes:external-secrets.io/v1beta1:ExternalSecret", externalSecret("data", workloadStore)));
    });

    it("refuses a workload ExternalSecret that names the platform's store (Grafana's login, ArgoCD's secrets)", async () => {
        const violations = await assertViolationCount(stores, args(stores, EXTERNAL_SECRET, externalSecret("frontend", platformStore, { dataFrom: [{ extract: { key: "grafana/admin" } }] })), 1);
        assert.strictEqual(
            violations[0].message,
            'kubernetes:external-secrets.io/v1:ExternalSecret "res": ExternalSecret frontend/creds: spec.secretStoreRef is ClusterSecretStore "aws-secrets-manager-platform"; ' +
                'outside the platform\'s namespaces (argocd, monitoring) only the ClusterSecretStore "aws-secrets-manager" may be used (the workloads\' secrets; the platform\'s store holds Grafana\'s login, ArgoCD\'s and PagerDuty\'s secrets). ' +
                "Fix: set spec.secretStoreRef to { kind: ClusterSecretStore, name: aws-secrets-manager }.",
        );
    });

    it("refuses the other ways around the store: a namespaced store, a store per entry, a generator, a search, absolute or climbing names", async () => {
        await assertHasResourceViolation(stores, args(stores, EXTERNAL_SECRET, externalSecret("backend", { kind: "SecretStore", name: "mine" })), 'spec.secretStoreRef is SecretStore "mine"');
        await assertHasResourceViolation(
            stores,
            args(stores, EXTERNAL_SECRET, externalSecret("backend", workloadStore, { data: [{ secretKey: "k", remoteRef: { key: "argocd/github-webhook" }, sourceRef: { storeRef: platformStore } }] })),
            'spec.data[0].sourceRef.storeRef is ClusterSecretStore "aws-secrets-manager-platform"',
        );
        await assertHasResourceViolation(stores, args(stores, EXTERNAL_SECRET, externalSecret("backend", workloadStore, { dataFrom: [{ sourceRef: { generatorRef: { kind: "Password", name: "x" } } }] })), "generator");
        await assertHasResourceViolation(stores, args(stores, EXTERNAL_SECRET, externalSecret("backend", workloadStore, { dataFrom: [{ find: { name: { regexp: ".*" } } }] })), "spec.dataFrom[0].find searches the store");
        for (const key of ["/gitops-staging/grafana/admin", "../grafana/admin", "arn:aws:secretsmanager:us-east-1:123456789012:secret:gitops-staging/grafana/admin"]) {
            await assertHasResourceViolation(stores, args(stores, EXTERNAL_SECRET, externalSecret("backend", workloadStore, { dataFrom: [{ extract: { key } }] })), `spec.dataFrom[0].extract.key is "${key}"`);
        }
    });

    it("the platform's namespaces read the platform's store; the namespaces are a setting", async () => {
        await assertHasResourceViolation(stores, args(stores, EXTERNAL_SECRET, externalSecret("argocd", workloadStore)), 'in the platform\'s namespace argocd only the ClusterSecretStore "aws-secrets-manager-platform"');
        await assertNoResourceViolations(stores, args(stores, EXTERNAL_SECRET, externalSecret("ops", platformStore), { platformNamespaces: ["ops"] }));
    });

    it("skips what is unknown during preview, and applies to ExternalSecrets only", async () => {
        await assertSkipsUnknown(stores, args(stores, EXTERNAL_SECRET, { metadata: { name: "x", namespace: UNKNOWN }, spec: {} }));
        await assertNotApplicable(stores, args(stores, INGRESS, {}));
    });
});

describe("policy ingress-class-by-namespace", () => {
    const ingress = (namespace: string, ingressClassName: string, annotations: Record<string, string> = {}) => ({
        metadata: { name: "web", namespace, annotations },
        spec: { ingressClassName, rules: [{ host: "shop.example.com" }] },
    });

    it("passes workloads on the workloads' class and the platform on its own", async () => {
        await assertNoResourceViolations(classes, args(classes, INGRESS, ingress("frontend", "alb", { "alb.ingress.kubernetes.io/group.order": "20" })));
        await assertNoResourceViolations(classes, args(classes, INGRESS, ingress("argocd", "alb-platform")));
    });

    it("refuses a workload Ingress on the platform's class (ArgoCD's and Grafana's load balancer)", async () => {
        const violations = await assertViolationCount(classes, args(classes, INGRESS, ingress("frontend", "alb-platform")), 1);
        assert.strictEqual(
            violations[0].message,
            'kubernetes:networking.k8s.io/v1:Ingress "res": Ingress frontend/web: spec.ingressClassName is "alb-platform", the platform\'s (ArgoCD\'s and Grafana\'s load balancer). ' +
                "Fix: use the workloads' IngressClass (platform output ingressClass).",
        );
    });

    it("refuses an Ingress that picks its group or class by annotation, in any namespace", async () => {
        for (const namespace of ["frontend", "monitoring"]) {
            await assertHasResourceViolation(classes, args(classes, INGRESS, ingress(namespace, "alb", { "alb.ingress.kubernetes.io/group.name": "gitops-staging-platform" })), 'annotation alb.ingress.kubernetes.io/group.name = "gitops-staging-platform"');
        }
        await assertHasResourceViolation(classes, args(classes, INGRESS, ingress("frontend", "alb", { "kubernetes.io/ingress.class": "alb" })), "bypasses the IngressClass's parameters");
    });

    it("skips what is unknown during preview", async () => {
        await assertSkipsUnknown(classes, args(classes, INGRESS, { metadata: { name: "x", namespace: UNKNOWN }, spec: {} }));
    });
});

describe("objects ArgoCD syncs are judged by their Application, whatever namespace they name", () => {
    const grafanaAdmin = externalSecret("monitoring", platformStore, { dataFrom: [{ extract: { key: "grafana/admin" } }] });

    it("a workload's ExternalSecret that claims a platform namespace gets the workloads' rules: the platform's store is refused", async () => {
        // Registered by a program (the platform's own), the claim is what it is.
        await assertNoResourceViolations(stores, args(stores, EXTERNAL_SECRET, grafanaAdmin));
        const [v] = await assertViolationCount(stores, synced(stores, EXTERNAL_SECRET, grafanaAdmin, FRONTEND_APP), 1);
        assert.match(
            v.message,
            /^kubernetes:external-secrets\.io\/v1:ExternalSecret "res": ExternalSecret monitoring\/creds \(synced by Application frontend into frontend\): spec\.secretStoreRef is ClusterSecretStore "aws-secrets-manager-platform"; outside the platform's namespaces \(argocd, monitoring\) only the ClusterSecretStore "aws-secrets-manager" may be used/,
        );
        // An object that names no namespace is applied in its Application's: judged there, named there.
        const unnamed = externalSecret("frontend", workloadStore);
        delete (unnamed.metadata as Props).namespace;
        await assertNoResourceViolations(stores, synced(stores, EXTERNAL_SECRET, unnamed, FRONTEND_APP));
        await assertHasResourceViolation(stores, synced(stores, EXTERNAL_SECRET, { ...unnamed, spec: { ...unnamed.spec, secretStoreRef: platformStore } }, FRONTEND_APP), "ExternalSecret frontend/creds: spec.secretStoreRef");
    });

    it("an Ingress claiming a platform namespace may not use the platform's class; a Service may not claim another namespace's public entry", async () => {
        const ingress = { metadata: { name: "web", namespace: "argocd" }, spec: { ingressClassName: "alb-platform" } };
        await assertNoResourceViolations(classes, args(classes, INGRESS, ingress));
        await assertHasResourceViolation(classes, synced(classes, INGRESS, ingress, FRONTEND_APP), 'Ingress argocd/web (synced by Application frontend into frontend): spec.ingressClassName is "alb-platform"');
        const service = { metadata: { name: "web", namespace: "frontend" }, spec: { type: "LoadBalancer" } };
        const config = { allowedPublicServices: ["frontend/web"] };
        const lb = (application?: SyncingApplication) => createResourceValidationArgs(internalLoadBalancers, "kubernetes:core/v1:Service", service, { name: "res", config, ...(application ? { application } : {}) });
        await assertNoResourceViolations(internalLoadBalancers, lb(FRONTEND_APP));
        await assertHasResourceViolation(internalLoadBalancers, lb({ name: "user-service", namespace: "backend" }), "LoadBalancer Service backend/web");
    });

    it("a workload without metadata.namespace runs in its Application's namespace, not default (CKV_K8S_21)", async () => {
        const deployment = workload(DEPLOYMENT);
        delete deployment.metadata.namespace;
        await assertHasResourceViolation(workloadIdentity, createResourceValidationArgs(workloadIdentity, DEPLOYMENT, deployment, { name: "res" }), "metadata.namespace is not set (the provider's namespace: default)");
        await assertNoResourceViolations(workloadIdentity, createResourceValidationArgs(workloadIdentity, DEPLOYMENT, deployment, { name: "res", application: { name: "user-service", namespace: "backend" } }));
        await assertHasResourceViolation(workloadIdentity, createResourceValidationArgs(workloadIdentity, DEPLOYMENT, { ...deployment, metadata: { name: "x", namespace: "default" } }, { name: "res", application: { name: "user-service", namespace: "backend" } }), 'metadata.namespace is "default"');
    });
});

describe("policy objects-in-application-namespace", () => {
    it("passes an object in its Application's namespace, or naming none", async () => {
        await assertNoResourceViolations(inNamespace, synced(inNamespace, EXTERNAL_SECRET, externalSecret("frontend", workloadStore), FRONTEND_APP));
        await assertNoResourceViolations(inNamespace, synced(inNamespace, "kubernetes:core/v1:ConfigMap", { metadata: { name: "dashboard" } }, FRONTEND_APP));
    });

    it("refuses an object that names another namespace, saying where ArgoCD would apply it", async () => {
        const [v] = await assertViolationCount(inNamespace, synced(inNamespace, EXTERNAL_SECRET, externalSecret("monitoring", platformStore), FRONTEND_APP), 1);
        assert.strictEqual(
            v.message,
            'kubernetes:external-secrets.io/v1:ExternalSecret "res": metadata.namespace is "monitoring", but Application frontend deploys to frontend: ArgoCD would apply it in monitoring, outside its Application\'s namespace. ' +
                "Fix: set metadata.namespace to frontend, or remove it and set namespace: frontend in the overlay's kustomization.yaml.",
        );
        await assertHasResourceViolation(inNamespace, synced(inNamespace, "kubernetes:core/v1:Service", { metadata: { name: "mysql", namespace: "data" } }, FRONTEND_APP), 'metadata.namespace is "data"');
    });

    it("is not applicable to what a Pulumi program registers, or an Application that names no destination namespace; skips an unknown namespace", async () => {
        await assertNotApplicable(inNamespace, args(inNamespace, EXTERNAL_SECRET, externalSecret("monitoring", platformStore)));
        await assertNotApplicable(inNamespace, synced(inNamespace, EXTERNAL_SECRET, externalSecret("monitoring", platformStore), { name: "loose" }));
        await assertSkipsUnknown(inNamespace, synced(inNamespace, EXTERNAL_SECRET, { metadata: { name: "x", namespace: UNKNOWN } }, FRONTEND_APP));
    });

    it("in the runner: a workload overlay's ExternalSecret claiming monitoring to read grafana/admin fails twice, naming the file", async () => {
        const source = "apps/workloads/frontend/overlays/staging/grafana.yaml, rendered from apps/workloads/frontend/overlays/staging";
        const object = { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", ...externalSecret("monitoring", platformStore, { dataFrom: [{ extract: { key: "grafana/admin" } }] }) };
        const resources = manifestResources([{ object, source, application: "frontend", destinationNamespace: "frontend" }], "staging");
        assert.deepStrictEqual(resources[0].application, FRONTEND_APP);
        const report = await runPack(resources, loadPackConfig("staging"));
        assert.deepStrictEqual(report.mandatory.map((v) => [v.policyName, v.resourceName, v.source]).sort(), [
            ["external-secrets-store-by-namespace", "monitoring/creds", source],
            ["objects-in-application-namespace", "monitoring/creds", source],
        ]);
        for (const v of report.mandatory) assert.ok(v.message.endsWith(`(${source})`), v.message);
    });
});
