import * as assert from "assert";
import { PackPolicy } from "../../policies/all";
import { helmChartVersionPinned as helm } from "../../policies/helm";
import { assertHasResourceViolation, assertNotApplicable, assertNoResourceViolations, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";

const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}, name = "res") => createResourceValidationArgs(policy, type, props, { name, config });

describe("policy helm-chart-version-pinned", () => {
    const RELEASE = "kubernetes:helm.sh/v3:Release";
    const release = (version?: string) => ({ name: "argocd", chart: "argo-cd", version, namespace: "argocd", repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" } });

    it("passes exact versions, and charts read from a file", async () => {
        await assertNoResourceViolations(helm, args(helm, RELEASE, release("9.1.0")));
        await assertNoResourceViolations(helm, args(helm, RELEASE, release("v1.2.3-rc.1")));
        await assertNoResourceViolations(helm, args(helm, "kubernetes:helm.sh/v4:Chart", { chart: "oci://registry-1.docker.io/bitnamicharts/redis", version: "20.1.0" }));
        await assertNoResourceViolations(helm, args(helm, "kubernetes:helm.sh/v4:Chart", { chart: "./charts/local" }));
        await assertNoResourceViolations(helm, args(helm, "kubernetes:helm.sh/v3:Chart", { path: "./charts/local" }));
    });

    it("reports an unset version and a range, naming the release and the fix", async () => {
        const [v] = await assertViolationCount(helm, args(helm, RELEASE, release(undefined), {}, "argocd"), 1);
        assert.strictEqual(
            v.message,
            'kubernetes:helm.sh/v3:Release "argocd": chart "argo-cd" version is not set (the newest chart would be installed). Fix: set version to an exact chart version such as "1.2.3" (checked against that version\'s values.yaml).',
        );
        await assertHasResourceViolation(helm, args(helm, RELEASE, release("^9.1.0")), 'version is "^9.1.0", not an exact version');
        await assertHasResourceViolation(helm, args(helm, "kubernetes:helm.sh/v4:Chart", { chart: "redis", version: "20.x" }), 'version is "20.x"');
        await assertHasResourceViolation(helm, args(helm, "kubernetes:helm.sh/v3:Chart", { chart: "redis", fetchOpts: { repo: "https://x" } }), "version is not set");
    });

    it("a v3 Chart (a local component) whose inputs did not reach the analyzer is not judged, rather than reported as unpinned", async () => {
        // What the analyzer gets with PULUMI_NODEJS_SKIP_COMPONENT_INPUTS or @pulumi/pulumi < 3.202: no chart, path or version.
        await assertNotApplicable(helm, args(helm, "kubernetes:helm.sh/v3:Chart", {}));
        await assertNoResourceViolations(helm, args(helm, "kubernetes:helm.sh/v3:Chart", { chart: "redis", version: "20.1.0", fetchOpts: { repo: "https://x" } }));
    });

    it("an unknown version is skipped", async () => {
        assert.strictEqual((await assertSkipsUnknown(helm, args(helm, RELEASE, release(UNKNOWN)))).length, 0);
    });
});
