import * as assert from "assert";
import { standardTags } from "../../lib/tags";
import { requiredTags as policy } from "../../policies/tags";
import { ROLE } from "./fixtures";
import { assertHasResourceViolation, assertNoResourceViolations, assertNotApplicable, assertSkipsUnknown, assertViolationCount, createResourceValidationArgs, Props, UNKNOWN } from "./util";

/** The aws provider of a layer: default tags as a JSON string, as provider inputs carry them. */
const provider = (tags: Record<string, string>) => ({ type: "pulumi:providers:aws", props: { region: "us-east-1", defaultTags: JSON.stringify({ tags }) } });
const args = (type: string, props: Props, options: { tags?: Record<string, string>; config?: Record<string, unknown> } = {}) =>
    createResourceValidationArgs(policy, type, props, { name: "res", provider: options.tags ? provider(options.tags) : undefined, config: options.config });

describe("policy required-tags (advisory)", () => {
    it("is advisory", () => {
        assert.strictEqual(policy.enforcementLevel, "advisory");
    });

    it("passes resources whose provider's defaultTags carry the tags (as every layer sets them), or whose own tags do", async () => {
        await assertNoResourceViolations(policy, args(ROLE, { assumeRolePolicy: "{}" }, { tags: standardTags("staging", "gitops") }));
        await assertNoResourceViolations(policy, args(ROLE, { tags: { Environment: "staging", Project: "gitops", ManagedBy: "pulumi" } }));
        await assertNoResourceViolations(policy, args(ROLE, { tags: { Environment: "staging" } }, { tags: { Project: "gitops", ManagedBy: "pulumi" } }));
        // Provider inputs may also arrive as an object.
        await assertNoResourceViolations(policy, createResourceValidationArgs(policy, ROLE, {}, { provider: { type: "pulumi:providers:aws", props: { defaultTags: { tags: standardTags("production", "gitops") } } } }));
    });

    it("reports the missing keys of a taggable resource, naming it and the fix", async () => {
        const [v] = await assertViolationCount(policy, args(ROLE, { tags: { Project: "gitops", Environment: "" } }), 1);
        assert.strictEqual(
            v.message,
            'aws:iam/role:Role "res": missing tags Environment, ManagedBy (neither its tags nor its provider\'s defaultTags set them). ' +
                "Fix: set them in the aws provider's defaultTags (as every layer does with standardTags), or in the resource's tags.",
        );
        await assertHasResourceViolation(policy, args("aws:kms/key:Key", {}), "missing tags Environment, Project, ManagedBy");
    });

    it("treats an AWS type outside the list as taggable once it has tags; the required keys are a setting", async () => {
        await assertHasResourceViolation(policy, args("aws:appconfig/application:Application", { tags: { Team: "x" } }), "missing tags Environment, Project, ManagedBy");
        await assertHasResourceViolation(policy, args(ROLE, {}, { tags: standardTags("staging", "gitops"), config: { requiredTags: ["Environment", "CostCenter"] } }), "missing tags CostCenter");
    });

    it("does not apply to untaggable or non-AWS resources", async () => {
        await assertNotApplicable(policy, args("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "r", policyArn: "arn" }));
        await assertNotApplicable(policy, args("kubernetes:core/v1:Namespace", { metadata: { name: "x" } }));
        await assertNotApplicable(policy, args("pulumi:providers:aws", { region: "us-east-1" }));
    });

    it("unknown tags are skipped", async () => {
        await assertSkipsUnknown(policy, args(ROLE, { tags: UNKNOWN }));
        assert.strictEqual((await assertSkipsUnknown(policy, args(ROLE, { tags: { Environment: UNKNOWN, Project: "p", ManagedBy: "m" } }))).length, 0);
    });
});
