import * as assert from "assert";
import { PackPolicy } from "../../policies/all";
import { namespacePodSecurityLabels as podSecurity } from "../../policies/namespaces";
import { assertNoResourceViolations, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";

const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}, name = "res") => createResourceValidationArgs(policy, type, props, { name, config });

describe("policy namespace-pod-security-labels", () => {
    const NAMESPACE = "kubernetes:core/v1:Namespace";
    const labels = (level: string) => ({ "pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/audit": level, "pod-security.kubernetes.io/warn": level });

    it("passes namespaces that set the three labels to a level", async () => {
        await assertNoResourceViolations(podSecurity, args(podSecurity, NAMESPACE, { metadata: { name: "shop", labels: labels("restricted") } }));
        await assertNoResourceViolations(podSecurity, args(podSecurity, NAMESPACE, { metadata: { name: "monitoring", labels: { ...labels("restricted"), "pod-security.kubernetes.io/enforce": "privileged" } } }));
    });

    it("reports each missing or invalid label, naming the namespace and the fix", async () => {
        const violations = await assertViolationCount(podSecurity, args(podSecurity, NAMESPACE, { metadata: { name: "shop", labels: { "pod-security.kubernetes.io/enforce": "strict" } } }, {}, "shop-ns"), 3);
        assert.strictEqual(
            violations[0].message,
            'kubernetes:core/v1:Namespace "shop-ns": namespace shop: label pod-security.kubernetes.io/enforce is "strict", not a Pod Security level. ' +
                'Fix: set metadata.labels["pod-security.kubernetes.io/enforce"] to one of privileged, baseline, restricted (restricted for workloads).',
        );
        assert.match(violations[1].message, /label pod-security\.kubernetes\.io\/audit is missing/);
        assert.match(violations[2].message, /label pod-security\.kubernetes\.io\/warn is missing/);
        await assertViolationCount(podSecurity, args(podSecurity, NAMESPACE, {}), 3);
    });

    it("an unknown label value is skipped, the others still checked", async () => {
        const violations = await assertSkipsUnknown(podSecurity, args(podSecurity, NAMESPACE, { metadata: { name: "x", labels: { ...labels("restricted"), "pod-security.kubernetes.io/enforce": UNKNOWN, "pod-security.kubernetes.io/warn": "nope" } } }));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /warn is "nope"/);
    });
});
