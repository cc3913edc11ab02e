import * as assert from "assert";
import { PackPolicy } from "../../policies/all";
import { externalSecretsStoreByNamespace as stores, ingressClassByNamespace as classes } from "../../policies/isolation";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";

const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}) => createResourceValidationArgs(policy, type, props, { name: "res", config });

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
