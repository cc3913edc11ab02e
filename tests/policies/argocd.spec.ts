import * as assert from "assert";
import { PackPolicy } from "../../policies/all";
import { argocdAutomatedSync as sync, argocdPinnedRevision as revision, argocdProjectNotDefault as project } from "../../policies/argocd";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN, withValue } from "./util";

const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}, name = "res") => createResourceValidationArgs(policy, type, props, { name, config });

describe("ArgoCD Application policies", () => {
    const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
    /** An Application as the apps layer will create it. */
    function application(): Props {
        return {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: { name: "user-service", namespace: "argocd", finalizers: ["resources-finalizer.argocd.argoproj.io"] },
            spec: {
                project: "gitops-platform",
                source: { repoURL: "https://github.com/acme-platform/eks-gitops-platform", path: "apps/workloads/user-service/overlays/production", targetRevision: "main" },
                destination: { server: "https://kubernetes.default.svc", namespace: "shop" },
                syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=false"] },
            },
        };
    }

    describe("argocd-automated-sync", () => {
        it("passes automated sync", async () => {
            await assertNoResourceViolations(sync, args(sync, APPLICATION, application()));
        });

        it("reports manual sync and automated sync switched off", async () => {
            const [v] = await assertViolationCount(sync, args(sync, APPLICATION, withValue(application(), "spec.syncPolicy", undefined), {}, "app"), 1);
            assert.strictEqual(
                v.message,
                'kubernetes:argoproj.io/v1alpha1:Application "app": Application user-service spec.syncPolicy.automated is not set, so it syncs only by hand. Fix: set spec.syncPolicy.automated (e.g. { prune: true, selfHeal: true }).',
            );
            await assertHasResourceViolation(sync, args(sync, APPLICATION, withValue(application(), "spec.syncPolicy.automated", { enabled: false })), "(disabled)");
        });
    });

    describe("argocd-project-not-default", () => {
        it("passes a project of our own and reports default or none", async () => {
            await assertNoResourceViolations(project, args(project, APPLICATION, application()));
            await assertHasResourceViolation(project, args(project, APPLICATION, withValue(application(), "spec.project", "default")), 'spec.project is "default". Fix: set spec.project to the platform\'s AppProject');
            await assertHasResourceViolation(project, args(project, APPLICATION, withValue(application(), "spec.project", undefined)), "spec.project is not set");
        });
    });

    describe("argocd-pinned-revision", () => {
        const production = { environment: "production" };
        const staging = { environment: "staging" };

        it("production: passes a branch, a tag and an exact chart version", async () => {
            await assertNoResourceViolations(revision, args(revision, APPLICATION, application(), production));
            await assertNoResourceViolations(revision, args(revision, APPLICATION, withValue(application(), "spec.source.targetRevision", "v1.4.0"), production));
            const chart = withValue(application(), "spec.source", { repoURL: "https://charts.example.com", chart: "redis", targetRevision: "20.1.0" });
            await assertNoResourceViolations(revision, args(revision, APPLICATION, chart, production));
        });

        it("production: reports HEAD, an unset revision (HEAD), and a chart range, in spec.source and spec.sources", async () => {
            const [v] = await assertViolationCount(revision, args(revision, APPLICATION, withValue(application(), "spec.source.targetRevision", "HEAD"), production, "app"), 1);
            assert.strictEqual(
                v.message,
                'kubernetes:argoproj.io/v1alpha1:Application "app": Application user-service spec.source.targetRevision is "HEAD". Fix: set spec.source.targetRevision to a branch or tag (e.g. a release tag) in production.',
            );
            await assertHasResourceViolation(revision, args(revision, APPLICATION, withValue(application(), "spec.source.targetRevision", undefined), production), "targetRevision is not set (HEAD)");
            const multi = withValue(application(), "spec.source", undefined);
            multi.spec.sources = [
                { repoURL: "https://github.com/o/r", path: "a", targetRevision: "main" },
                { repoURL: "https://charts.example.com", chart: "redis", targetRevision: "20.*" },
                { repoURL: "https://github.com/o/r", ref: "values", targetRevision: "head" },
            ];
            const violations = await assertViolationCount(revision, args(revision, APPLICATION, multi, production), 2);
            assert.match(violations[0].message, /spec\.sources\[1\]\.targetRevision is "20\.\*" for chart redis/);
            assert.match(violations[1].message, /spec\.sources\[2\]\.targetRevision is "head"/);
        });

        it("staging may follow HEAD; the environment setting is required", async () => {
            await assertNoResourceViolations(revision, args(revision, APPLICATION, withValue(application(), "spec.source.targetRevision", "HEAD"), staging));
            assert.throws(() => args(revision, APPLICATION, application(), {}), /argocd-pinned-revision\.environment = \(not set\)/);
        });

        it("an unknown revision is skipped", async () => {
            assert.strictEqual((await assertSkipsUnknown(revision, args(revision, APPLICATION, withValue(application(), "spec.source.targetRevision", UNKNOWN), production))).length, 0);
        });
    });

    it("the three do not apply to other kinds", async () => {
        await assertNotApplicable(sync, args(sync, "kubernetes:apps/v1:Deployment", {}));
        await assertNotApplicable(project, args(project, "kubernetes:apps/v1:Deployment", {}));
        await assertNotApplicable(revision, args(revision, "kubernetes:apps/v1:Deployment", {}, { environment: "production" }));
    });
});
