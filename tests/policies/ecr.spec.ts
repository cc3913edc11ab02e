import * as assert from "assert";
import { lifecyclePolicy } from "../../infra/ecr";
import { ecrRepositoriesHardened as policy } from "../../policies/ecr";
import { OfflineResource } from "../../policies/offline";
import { assertHasStackViolation, assertNoStackViolations, createStackValidationArgs, runStackPolicy, stackResource, UNKNOWN } from "./util";

const REPOSITORY = "aws:ecr/repository:Repository";
const LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";

/** A repository as infra/ecr.ts creates it, with its lifecycle policy. */
function repository(service: string, overrides: Record<string, unknown> = {}): OfflineResource[] {
    const name = `gitops-staging/${service}`;
    return [
        stackResource(REPOSITORY, `ecr-${service}`, { name, imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, encryptionConfigurations: [{ encryptionType: "KMS" }], ...overrides }, { id: name }),
        stackResource(LIFECYCLE, `ecr-${service}`, { repository: name, policy: lifecyclePolicy(5) }),
    ];
}

const args = (resources: OfflineResource[]) => createStackValidationArgs(policy, resources);

describe("policy ecr-repositories-hardened", () => {
    it("passes repositories as infra creates them", async () => {
        await assertNoStackViolations(policy, args([...repository("api"), ...repository("frontend")]));
    });

    it("reports a repository that does not scan on push, naming it and the fix", async () => {
        const outcome = await assertHasStackViolation(policy, args(repository("api", { imageScanningConfiguration: { scanOnPush: false } })), "ecr-api", "images are not scanned on push");
        assert.deepStrictEqual(outcome.violations.map((v) => v.message), ['aws:ecr/repository:Repository "ecr-api": images are not scanned on push. Fix: set imageScanningConfiguration.scanOnPush to true.']);
    });

    it("accepts registry-wide scanning of every repository instead of scanOnPush", async () => {
        const registry = stackResource("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", "scanning", {
            scanType: "ENHANCED",
            rules: [{ scanFrequency: "CONTINUOUS_SCAN", repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }] }],
        });
        await assertNoStackViolations(policy, args([...repository("api", { imageScanningConfiguration: undefined }), registry]));
    });

    it("reports mutable tags (also when left to the MUTABLE default)", async () => {
        await assertHasStackViolation(policy, args(repository("api", { imageTagMutability: "MUTABLE" })), "ecr-api", 'imageTagMutability is "MUTABLE", so a tag can be moved to another image. Fix: set imageTagMutability to "IMMUTABLE".');
        await assertHasStackViolation(policy, args(repository("api", { imageTagMutability: undefined })), "ecr-api", "imageTagMutability is not set (MUTABLE)");
    });

    it("reports a repository not encrypted with KMS (CKV_AWS_136), also when left to the AES256 default", async () => {
        await assertHasStackViolation(policy, args(repository("api", { encryptionConfigurations: [{ encryptionType: "AES256" }] })), "ecr-api", 'encryptionConfigurations[0].encryptionType is "AES256", not KMS (CKV_AWS_136). Fix: set encryptionConfigurations to [{ encryptionType: "KMS" }].');
        await assertHasStackViolation(policy, args(repository("api", { encryptionConfigurations: undefined })), "ecr-api", "is not set (AES256)");
        await assertNoStackViolations(policy, args(repository("api", { encryptionConfigurations: [{ encryptionType: "KMS_DSSE" }] })));
    });

    it("reports a repository without a lifecycle policy, or whose policy has no rule", async () => {
        const [repo] = repository("api");
        await assertHasStackViolation(policy, args([repo, ...repository("web")]), "ecr-api", 'repository "gitops-staging/api" has no lifecycle policy');
        const empty = stackResource(LIFECYCLE, "ecr-api", { repository: "gitops-staging/api", policy: JSON.stringify({ rules: [] }) });
        await assertHasStackViolation(policy, args([repo, empty]), "ecr-api", "has no lifecycle policy");
    });

    it("a lifecycle policy whose repository is unknown in preview is not taken for missing", async () => {
        const [repo] = repository("api");
        const pending = stackResource(LIFECYCLE, "ecr-api", { repository: UNKNOWN, policy: lifecyclePolicy(5) });
        const outcome = await runStackPolicy(policy, args([repo, pending]));
        assert.ok(outcome.unknown);
        assert.strictEqual(outcome.violations.length, 0);
    });

    it("is not applicable without repositories", async () => {
        assert.ok((await runStackPolicy(policy, args([stackResource("aws:s3/bucketV2:BucketV2", "b", {})]))).notApplicable);
    });
});
