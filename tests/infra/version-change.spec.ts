/**
 * A change of infra:kubernetesVersion against the version the cluster runs: one minor version up at a time, never
 * down (nodes would be newer than the control plane). Checked by the settings (when the caller knows the deployed
 * version) and by the program, which reads its own stack's previous output and registers no AWS resource when the
 * change is refused.
 */
import * as assert from "assert";
import { kubernetesVersionChangeProblem, loadInfraSettings } from "../../infra/settings";
import { environmentGraph, runLayerExpectingFailure, stackName } from "../../lib/offline";
import { assertNamesSetting, assertSettingsError, settingsSource } from "../helpers";
import { today } from "../../lib/today";

// The suite's pinned day (tests/register.js).
const TODAY = today();
const load = (version: string, deployed: string | undefined, env: "staging" | "production" = "staging") =>
    loadInfraSettings(env, { source: settingsSource(env, { "infra:kubernetesVersion": version }), today: TODAY, dryRun: true, deployedKubernetesVersion: deployed });

describe("infra: a change of infra:kubernetesVersion against the running cluster", () => {
    it("allows staying, one minor version up, and anything before the first deployment", () => {
        for (const [deployed, target] of [["1.34", "1.34"], ["1.34", "1.35"], ["1.35", "1.36"], [undefined, "1.34"], [undefined, "1.36"]] as const) {
            assert.strictEqual(kubernetesVersionChangeProblem(deployed, target), undefined, `${deployed} -> ${target}`);
            assert.strictEqual(load(target, deployed).kubernetesVersion, target);
        }
    });

    it("refuses a skipped minor version, naming what is allowed, the skipped version and the next step", () => {
        assertSettingsError(
            () => load("1.36", "1.34"),
            "infra:kubernetesVersion",
            '"1.36"',
            /1\.34 \(what the cluster runs\) or 1\.35 \(one minor version up\)\. EKS upgrades the control plane one minor version at a time: 1\.36 skips 1\.35; deploy 1\.35 first \(npm run upgrade -- staging --to 1\.35\)/,
        );
    });

    it("refuses a downgrade: EKS cannot, and the nodes would be newer than the control plane", () => {
        assertSettingsError(
            () => load("1.34", "1.35", "production"),
            "infra:kubernetesVersion",
            '"1.34"',
            /1\.35 \(what the cluster runs\) or 1\.36 \(one minor version up\)\. EKS never downgrades a control plane, and nodes at 1\.35 would be newer than a 1\.34 control plane/,
        );
    });

    describe("the program reads the deployed version from its own stack's previous output", () => {
        const deployed = (env: string, version: string) => ({ [stackName("infra", env)]: { kubernetesVersion: version } });

        it("staging: a skip is refused before any AWS resource is registered (only the read of its own outputs)", async () => {
            const { error, resources } = await runLayerExpectingFailure("infra", { env: "staging", config: { "infra:kubernetesVersion": "1.36" }, stackOutputs: deployed("staging", "1.34") });
            assertNamesSetting(error, "infra:kubernetesVersion", '"1.36"', /1\.34 \(what the cluster runs\).*npm run upgrade -- staging --to 1\.35/);
            assert.doesNotMatch(error.message, /error serializing property/, "one clean message, not the SDK's chain of prefixes");
            assert.deepStrictEqual(resources.map((r) => r.type), ["pulumi:pulumi:StackReference"]);
        });

        it("every AWS resource waits for the check: the provider depends on the stack's reference to itself", async () => {
            const run = (await environmentGraph("staging")).infra;
            const self = run.one("pulumi:pulumi:StackReference", "infra-deployed");
            assert.strictEqual(self.inputs.name, stackName("infra", "staging"), "the stack reads itself");
            const providers = run.ofType("pulumi:providers:aws");
            assert.ok(providers.length > 0);
            for (const provider of providers) assert.ok(provider.dependsOn.some((urn) => urn.endsWith("::pulumi:pulumi:StackReference::infra-deployed")), provider.name);
            assert.ok(run.resources.filter((r) => r.custom && r.type.startsWith("aws:")).every((r) => providers.some((p) => r.provider?.startsWith(`${p.urn}::`))), "no AWS resource bypasses it");
        });
    });
});
