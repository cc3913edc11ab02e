import * as assert from "assert";
import { ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { ALL_POLICIES } from "../../policies/all";
import { formatReport, kubernetesType, manifestResources, OfflineResource, PREVIEW_UNKNOWN, runPack, toPolicyValue } from "../../policies/offline";
import { UNRELEASED_DIGEST, workloadIdentity, workloadImagesPinned, workloadPodSecurity } from "../../policies/workloads";
import { PackConfigError } from "../../policies/pack-config";
import { DEPLOYMENT, ECR_IMAGE, LAUNCH_TEMPLATE, launchTemplate, podSpec, ROLE, workload } from "./fixtures";
import { REQUIRED_SETTINGS } from "./util";

const STACK = "urn:pulumi:staging::infra";
const PROVIDER_URN = `${STACK}::pulumi:providers:aws::aws`;

/** A provider and two roles as the kit records them: one through the provider (by `urn::id`), one without. */
function recorded(): OfflineResource[] {
    return [
        {
            type: "pulumi:providers:aws",
            name: "aws",
            custom: true,
            id: "aws-1",
            urn: PROVIDER_URN,
            inputs: { region: "us-east-1", defaultTags: JSON.stringify({ tags: { Environment: "staging", Project: "gitops", ManagedBy: "pulumi" } }) },
            state: {},
        },
        { type: ROLE, name: "tagged", custom: true, id: "tagged-1", urn: `${STACK}::${ROLE}::tagged`, provider: `${PROVIDER_URN}::aws-1`, inputs: { assumeRolePolicy: "{}" }, state: { assumeRolePolicy: "{}", arn: "arn:aws:iam::1:role/tagged" }, parent: `${STACK}::gitops:infra:Thing::thing`, protect: true },
        { type: ROLE, name: "untagged", custom: true, id: "untagged-1", urn: `${STACK}::${ROLE}::untagged`, inputs: { assumeRolePolicy: "{}" }, state: { assumeRolePolicy: "{}" } },
    ];
}

/** A launch template through the recorded provider (so it has the required tags). */
function lt(name: string, inputs: Record<string, unknown>): OfflineResource {
    return { type: LAUNCH_TEMPLATE, name, custom: true, provider: `${PROVIDER_URN}::aws-1`, inputs: { ...launchTemplate(), ...inputs } };
}

const config = REQUIRED_SETTINGS;

describe("offline runner (runPack)", () => {
    it("gives resource policies the inputs, the resolved provider, the options and the config, as the engine does", async () => {
        const seen: ResourceValidationArgs[] = [];
        const probe: ResourceValidationPolicy = {
            name: "probe-resource",
            description: "Records what a resource validation receives.",
            enforcementLevel: "mandatory",
            configSchema: { properties: { limit: { type: "integer", default: 3 } } },
            validateResource: (args) => {
                seen.push(args);
            },
        };
        const report = await runPack(recorded(), {}, { policies: [probe], stackTags: { team: "platform" } });
        assert.strictEqual(report.evaluated["probe-resource"], 3);
        const tagged = seen.find((a) => a.name === "tagged")!;
        assert.strictEqual(tagged.type, ROLE);
        assert.strictEqual(tagged.urn, `${STACK}::${ROLE}::tagged`);
        assert.strictEqual(tagged.props.arn, undefined, "resource policies see inputs, not outputs");
        assert.strictEqual(tagged.props.assumeRolePolicy, "{}");
        assert.strictEqual(tagged.provider?.type, "pulumi:providers:aws");
        assert.strictEqual(tagged.provider?.urn, PROVIDER_URN);
        assert.match(tagged.provider?.props.defaultTags, /"Project":"gitops"/);
        assert.strictEqual(tagged.opts.protect, true);
        assert.strictEqual(tagged.opts.parent, `${STACK}::gitops:infra:Thing::thing`);
        assert.strictEqual(tagged.stackTags.get("team"), "platform");
        assert.deepStrictEqual(tagged.getConfig(), { limit: 3 });
        assert.strictEqual(seen.find((a) => a.name === "untagged")!.provider, undefined);
    });

    it("gives stack policies every resource's state, with id, parent and provider linked", async () => {
        let seen: StackValidationArgs | undefined;
        const probe: StackValidationPolicy = {
            name: "probe-stack",
            description: "Records what a stack validation receives.",
            enforcementLevel: "advisory",
            validateStack: (args) => {
                seen = args;
            },
        };
        const report = await runPack(recorded(), {}, { policies: [probe] });
        assert.strictEqual(report.evaluated["probe-stack"], 1);
        const tagged = seen!.resources.find((r) => r.name === "tagged")!;
        assert.strictEqual(tagged.props.arn, "arn:aws:iam::1:role/tagged", "stack policies see outputs");
        assert.strictEqual(tagged.props.id, "tagged-1");
        assert.strictEqual(tagged.provider?.name, "aws");
        assert.strictEqual(seen!.resources.find((r) => r.name === "untagged")!.parent, undefined);
    });

    it("resolves a resource's provider, so default tags count (the pack's required-tags)", async () => {
        const report = await runPack(recorded(), config);
        assert.deepStrictEqual(
            report.advisory.map((v) => [v.policyName, v.resourceName]),
            [["required-tags", "untagged"]],
        );
        assert.strictEqual(report.mandatory.length, 0);
    });

    it("applies the config file: levels (remediate reports as mandatory), all, disabled, settings", async () => {
        const big = [...recorded().slice(0, 2), lt("big", { instanceType: "m5.large" })];
        const base = await runPack(big, config);
        assert.deepStrictEqual(base.mandatory.map((v) => [v.policyName, v.resourceType, v.resourceName]), [["instance-types-allowed", LAUNCH_TEMPLATE, "big"]]);
        assert.strictEqual(base.advisory.length, 0);
        assert.strictEqual((await runPack(big, { ...config, "instance-types-allowed": { enforcementLevel: "advisory", environment: "staging" } })).advisory.length, 1);
        assert.strictEqual((await runPack(big, { ...config, "instance-types-allowed": { enforcementLevel: "remediate", environment: "staging" } })).mandatory.length, 1);
        assert.strictEqual((await runPack(big, { ...config, all: "advisory" })).mandatory.length, 0);
        const disabled = await runPack(big, { ...config, "instance-types-allowed": { enforcementLevel: "disabled", environment: "staging" } });
        assert.strictEqual(disabled.violations.length, 0);
        assert.ok(!("instance-types-allowed" in disabled.evaluated));
        assert.strictEqual((await runPack(big, { ...config, "instance-types-allowed": { environment: "staging", freeTierInstanceTypes: ["m5.large"] } })).violations.length, 0);
    });

    it("rejects a config that does not fit the pack before running anything", async () => {
        await assert.rejects(runPack(recorded(), { "no-such-policy": "mandatory" }), PackConfigError);
        await assert.rejects(runPack(recorded(), {}), /instance-types-allowed\.environment = \(not set\)/);
    });

    it("lists checks skipped on preview unknowns (as the mocks record them) instead of failing or passing them", async () => {
        const { unknown } = require("@pulumi/pulumi/output");
        const report = await runPack([recorded()[0], lt("pending", { instanceType: unknown, metadataOptions: { ...launchTemplate().metadataOptions, httpTokens: unknown } })], config);
        assert.strictEqual(report.violations.length, 0);
        assert.deepStrictEqual(report.skipped.map((s) => [s.policyName, s.resourceName]).sort(), [
            ["imdsv2-required", "pending"],
            ["instance-types-allowed", "pending"],
        ]);
        assert.match(report.skipped[0].message, /can't be known during preview/);
        assert.strictEqual(report.evaluated["instance-types-allowed"], 1);
    });

    it("turns recorded values into what a policy receives: unknowns marked, secrets unwrapped, undefined dropped", () => {
        const { unknown } = require("@pulumi/pulumi/output");
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: { password: "x" } };
        assert.deepStrictEqual(toPolicyValue({ a: unknown, b: [unknown, 1], c: secret, d: undefined }), { a: PREVIEW_UNKNOWN, b: [PREVIEW_UNKNOWN, 1], c: { password: "x" } });
    });

    it("formats a report one line per finding", async () => {
        const text = formatReport(await runPack([...recorded(), lt("big", { instanceType: "m5.large" })], config));
        const lines = text.split("\n");
        assert.strictEqual(lines[0], "1 mandatory, 1 advisory violation(s); 0 check(s) skipped on unknown values; 0 finding(s) excepted; 0 notice(s)");
        assert.match(lines[1], /^ {2}\[mandatory\] instance-types-allowed aws:ec2\/launchTemplate:LaunchTemplate "big": /);
        assert.match(lines[2], /^ {2}\[advisory\] required-tags aws:iam\/role:Role "untagged": /);
    });

    it("takes rendered manifests as the Kubernetes resources a program would register; their findings name the file", async () => {
        assert.strictEqual(kubernetesType("apps/v1", "Deployment"), DEPLOYMENT);
        assert.strictEqual(kubernetesType("v1", "ServiceAccount"), "kubernetes:core/v1:ServiceAccount");
        const source = "apps/workloads/api/base/deployment.yaml, rendered from apps/workloads/api/overlays/staging";
        const spec = podSpec();
        spec.containers[0].securityContext.allowPrivilegeEscalation = true;
        const [resource] = manifestResources([{ object: { apiVersion: "apps/v1", kind: "Deployment", ...workload(DEPLOYMENT, spec) }, source }], "staging");
        assert.deepStrictEqual([resource.type, resource.name, resource.source], [DEPLOYMENT, "backend/user-service", source]);
        const report = await runPack([resource], {}, { policies: [workloadPodSecurity] });
        assert.strictEqual(report.mandatory.length, 1);
        const v = report.mandatory[0];
        assert.deepStrictEqual([v.policyName, v.resourceType, v.resourceName, v.source], ["workload-pod-security", DEPLOYMENT, "backend/user-service", source]);
        assert.match(v.message, /^kubernetes:apps\/v1:Deployment "backend\/user-service": container "app": allowPrivilegeEscalation is true.* \(apps\/workloads\/api\/base\/deployment\.yaml, rendered from apps\/workloads\/api\/overlays\/staging\)$/);
    });

    it("lists the findings documented exceptions let pass, with the exception, the rule and the reason", async () => {
        const spec = podSpec();
        spec.securityContext.runAsUser = 999;
        spec.containers[0].image = "public.ecr.aws/docker/library/mysql:8.4.11";
        const resources = manifestResources([{ object: { apiVersion: "apps/v1", kind: "StatefulSet", ...workload("kubernetes:apps/v1:StatefulSet", spec) }, source: "x.yaml" }]);
        const report = await runPack(resources, {}, { policies: [workloadPodSecurity] });
        assert.deepStrictEqual(report.violations, []);
        assert.strictEqual(report.excepted.length, 1);
        const e = report.excepted[0];
        assert.deepStrictEqual([e.policyName, e.exceptionId, e.rule, e.subject, e.resourceName, e.source], ["workload-pod-security", "image-uids-below-10000", "CKV_K8S_40", "public.ecr.aws/docker/library/mysql", "backend/user-service", "x.yaml"]);
        assert.match(e.reason, /The images' own users/);
        assert.match(formatReport(report), /\[excepted: image-uids-below-10000\] workload-pod-security kubernetes:apps\/v1:StatefulSet "backend\/user-service" \(x\.yaml\): CKV_K8S_40 public\.ecr\.aws\/docker\/library\/mysql/);
    });

    it("gives each rendered manifest its Application (named in its own namespace, else the Application's), and lists notices once, naming the file", async () => {
        const spec = podSpec([{ ...podSpec().containers[0], image: `${ECR_IMAGE}@${UNRELEASED_DIGEST}` }]);
        const object: Record<string, any> = { apiVersion: "apps/v1", kind: "Deployment", ...workload(DEPLOYMENT, spec) };
        delete object.metadata.namespace;
        const source = "apps/workloads/user-service/base/deployment.yaml, rendered from apps/workloads/user-service/overlays/staging";
        const manifest = { object, source, application: "user-service", destinationNamespace: "backend" };
        const [resource] = manifestResources([manifest], "staging");
        assert.deepStrictEqual([resource.name, resource.application], ["backend/user-service", { name: "user-service", namespace: "backend" }]);
        assert.strictEqual(manifestResources([{ object, source }])[0].application, undefined, "a manifest no Application syncs");
        const report = await runPack([resource], {}, { policies: [workloadImagesPinned, workloadIdentity] });
        assert.deepStrictEqual(report.violations, [], "no namespace: ArgoCD applies it in the Application's");
        assert.deepStrictEqual(report.notices.map((n) => [n.policyName, n.resourceName, n.source]), [["workload-images-pinned", "backend/user-service", source]]);
        assert.match(report.notices[0].message, /^kubernetes:apps\/v1:Deployment "backend\/user-service": user-service was never released: .* \(apps\/workloads\/user-service\/base\/deployment\.yaml, rendered from apps\/workloads\/user-service\/overlays\/staging\)$/);
        assert.match(formatReport(report), /; 1 notice\(s\)\n {2}\[notice\] workload-images-pinned kubernetes:apps\/v1:Deployment "backend\/user-service": .*was never released/);
    });

    it("runs the whole pack by default", async () => {
        const report = await runPack([], config);
        assert.deepStrictEqual(Object.keys(report.evaluated), ALL_POLICIES.map((p) => p.name));
    });
});
