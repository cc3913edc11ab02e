/**
 * The release's parts: ci/ci-context.ts (the delivery job's account, roles and registries), ci/pins.ts (the digest
 * pins in the overlays), ci/records.ts (release records) and ci/registry.ts (ECR lookups, promotion copies).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { accountVariable, resolveCiContext } from "../../ci/ci-context";
import { listServices, overlayKustomizationPath } from "../../lib/cli-support";
import { WORKLOADS } from "../../lib/catalogue";
import { DIGEST_PATTERN, UNRELEASED_DIGEST, pinIn, reference, withDigest } from "../../ci/pins";
import { pinTrailer, releaseMessage, releasedIn } from "../../ci/records";
import { SKIP_INSTRUCTIONS } from "./scratch";
import { Runner, ecrRegistry, parseRepositoryPrefix, promotedTag } from "../../ci/registry";

const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
};

const VARS = { AWS_ACCOUNT_ID_STAGING: "111111111111", AWS_ACCOUNT_ID_PRODUCTION: "222222222222", PULUMI_ORG: "acme" };
/** A checkout whose settings put each environment in its own account (the two ends of the promotion say so). */
const settingsRoot = (extra: Record<"staging" | "production", string>) => {
    const root = tempDir("ci-context-");
    for (const env of ["staging", "production"] as const) {
        fs.writeFileSync(path.join(root, `Pulumi.${env}.yaml`), `${fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${env}.yaml`), "utf8")}\n  ${extra[env]}\n`);
    }
    return root;
};
const SEPARATE_ACCOUNTS = { staging: `infra:promotionTarget: { accountId: "222222222222" }`, production: `infra:promotionSource: { accountId: "111111111111" }` };
let separate: string;
before(() => (separate = settingsRoot(SEPARATE_ACCOUNTS)));

describe("ci-context (the delivery job's account, roles and registries)", () => {
    for (const [env, account] of [["staging", "111111111111"], ["production", "222222222222"]]) {
        it(`${env}: the account from ${accountVariable(env)}, the role and repository names infra gives it`, () => {
            const c = resolveCiContext(env, VARS, separate);
            assert.strictEqual(c.environment, env);
            assert.strictEqual(c["account-id"], account);
            assert.strictEqual(c.region, "us-east-1");
            assert.strictEqual(c["name-prefix"], `gitops-${env}`);
            assert.strictEqual(c["preview-role-arn"], `arn:aws:iam::${account}:role/gitops-${env}-ci-preview`);
            assert.strictEqual(c["deploy-role-arn"], `arn:aws:iam::${account}:role/gitops-${env}-ci-deploy`);
            assert.strictEqual(c["drift-role-arn"], `arn:aws:iam::${account}:role/gitops-${env}-ci-drift`);
            assert.strictEqual(c["repository-prefix"], `${account}.dkr.ecr.us-east-1.amazonaws.com/gitops-${env}`);
            assert.strictEqual(c["pulumi-stack"], `acme/${env}`);
            assert.strictEqual(c["pulumi-preview-team"], "");
            assert.strictEqual(c.protect, env === "production" ? "true" : "false");
            assert.strictEqual(c["release-app-secret"], `gitops-${env}/ci/release-app`);
            // Production promotes from staging's registry, where infra:promotionSource says; staging from none.
            assert.strictEqual(c["promotes-from-prefix"], env === "production" ? "111111111111.dkr.ecr.us-east-1.amazonaws.com/gitops-staging" : "");
        });
    }

    it("one account for both (the settings' default): production promotes from staging's repositories in its own account", () => {
        const shared = { ...VARS, AWS_ACCOUNT_ID_STAGING: "222222222222" };
        assert.strictEqual(resolveCiContext("production", shared)["promotes-from-prefix"], "222222222222.dkr.ecr.us-east-1.amazonaws.com/gitops-staging");
        assert.strictEqual(resolveCiContext("production", { AWS_ACCOUNT_ID_PRODUCTION: "222222222222", PULUMI_ORG: "acme" })["promotes-from-prefix"], "222222222222.dkr.ecr.us-east-1.amazonaws.com/gitops-staging", "staging's variable is optional for production");
        assert.strictEqual(resolveCiContext("staging", { ...shared })["promotes-from-prefix"], "");
    });

    it("refuses accounts or prefixes the promotion's settings do not grant, naming the setting to fix", () => {
        // Separate accounts in the variables, none in the settings: production's reads would be denied.
        assert.throws(() => resolveCiContext("production", VARS), /AWS_ACCOUNT_ID_STAGING = 111111111111, but infra:promotionSource\.accountId is unset in Pulumi\.production\.yaml \(staging in production's account, 222222222222\): set infra:promotionSource\.accountId: "111111111111"/);
        assert.throws(() => resolveCiContext("staging", VARS), /AWS_ACCOUNT_ID_PRODUCTION = 222222222222, but infra:promotionTarget\.accountId is unset in Pulumi\.staging\.yaml/);
        const wrong = settingsRoot({ staging: `infra:promotionTarget: { accountId: "333333333333" }`, production: `infra:promotionSource: { accountId: "111111111111", namePrefix: shop-staging }` });
        assert.throws(() => resolveCiContext("staging", VARS, wrong), /AWS_ACCOUNT_ID_PRODUCTION = 222222222222, but infra:promotionTarget\.accountId = 333333333333 in Pulumi\.staging\.yaml: make them the same account/);
        assert.throws(() => resolveCiContext("production", VARS, wrong), /infra:promotionSource\.namePrefix = shop-staging in Pulumi\.production\.yaml, but staging's name prefix is gitops-staging \(Pulumi\.staging\.yaml\)/);
        const regions = settingsRoot({ staging: "infra:project: gitops", production: `infra:promotionSource: { accountId: "111111111111" }` });
        fs.writeFileSync(path.join(regions, "Pulumi.staging.yaml"), fs.readFileSync(path.join(regions, "Pulumi.staging.yaml"), "utf8").replace("aws:region: us-east-1", "aws:region: eu-west-1"));
        assert.throws(() => resolveCiContext("production", VARS, regions), /aws:region: production is in us-east-1, staging in eu-west-1: the promotion copies within one region/);
    });

    it("follows infra:project and aws:region of the settings file (the names infra really creates)", () => {
        const root = tempDir("ci-context-");
        const text = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8").replace("aws:region: us-east-1", "aws:region: eu-west-1\n  infra:project: shop");
        fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), text);
        const c = resolveCiContext("staging", { ...VARS, AWS_ACCOUNT_ID_PRODUCTION: undefined }, root);
        assert.strictEqual(c["deploy-role-arn"], "arn:aws:iam::111111111111:role/shop-staging-ci-deploy");
        assert.strictEqual(c["repository-prefix"], "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop-staging");
    });

    it("reads variable names case-insensitively and passes the optional preview team on", () => {
        const c = resolveCiContext("staging", { aws_account_id_staging: "111111111111", pulumi_org: "acme", PULUMI_PREVIEW_TEAM: "ci-preview" });
        assert.strictEqual(c["account-id"], "111111111111");
        assert.strictEqual(c["pulumi-preview-team"], "ci-preview");
    });

    it("names each missing or malformed variable and where to set it", () => {
        assert.throws(
            () => resolveCiContext("production", { AWS_ACCOUNT_ID_PRODUCTION: "12345", PULUMI_ORG: "" }),
            (e: Error) =>
                /AWS_ACCOUNT_ID_PRODUCTION = "12345".*12-digit id of the production AWS account/.test(e.message) &&
                /PULUMI_ORG = "".*Pulumi Cloud organization/.test(e.message) &&
                /Settings > Secrets and variables > Actions > Variables/.test(e.message),
        );
        assert.throws(() => resolveCiContext("staging", { ...VARS, PULUMI_PREVIEW_TEAM: "bad team" }, separate), /PULUMI_PREVIEW_TEAM/);
    });

    it("accepts only the known environments (the stack names are the settings files)", () => {
        assert.throws(() => resolveCiContext("main", VARS, separate), (e: Error) => e.name === "UsageError" && /staging, production/.test(e.message));
    });
});

const OVERLAY = `# user-service in staging
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
# The release: CI pins the digest.
images:
  - name: user-service
    newTag: "1.0.0"
patches: []
`;
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("pins (the overlays' images: entries)", () => {
    it("pins a digest: sets digest, drops the tag, keeps comments and everything else; pinning again changes nothing", () => {
        const after = withDigest(OVERLAY, "user-service", DIGEST);
        assert.ok(after.includes("# The release: CI pins the digest."));
        assert.ok(after.includes("# user-service in staging"));
        const doc = parseDocument(after).toJS();
        assert.deepStrictEqual(doc.images, [{ name: "user-service", digest: DIGEST }]);
        assert.deepStrictEqual(doc.resources, ["../../base"]);
        assert.strictEqual(withDigest(after, "user-service", DIGEST), after);
        assert.strictEqual(reference(pinIn(after, "user-service")!), `user-service@${DIGEST}`);
    });

    it("finds the entry by a registry-qualified name too; refuses what is not a digest, no entry, bad YAML", () => {
        const text = "images:\n  - name: 1.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend\n    newTag: abc\n";
        assert.deepStrictEqual(parseDocument(withDigest(text, "frontend", DIGEST)).toJS().images, [{ name: "1.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend", digest: DIGEST }]);
        assert.throws(() => withDigest(OVERLAY, "user-service", "sha256:abc"), /is not a digest/);
        assert.throws(() => withDigest(OVERLAY, "frontend", DIGEST), /no images: entry for frontend/);
        assert.throws(() => withDigest("images: [", "frontend", DIGEST), /not valid YAML/);
    });

    it("every service built here has an overlay per environment pinning a digest (all zeros: never released) the release can replace", () => {
        const services = listServices();
        assert.deepStrictEqual(services, Object.values(WORKLOADS).filter((w) => w.ecrImage).map((w) => w.ecrImage).sort(), "the catalogue's ECR images are the services built");
        for (const service of services) {
            for (const env of ["staging", "production"]) {
                const file = overlayKustomizationPath(service, env);
                const text = fs.readFileSync(file, "utf8");
                const pin = pinIn(text, service);
                assert.match(pin?.digest ?? "", DIGEST_PATTERN, `${file}: no digest pin for ${service}`);
                assert.strictEqual(pin!.newTag, undefined, `${file}: a digest only`);
                assert.doesNotThrow(() => withDigest(text, service, DIGEST), file);
            }
        }
        assert.match(UNRELEASED_DIGEST, DIGEST_PATTERN);
    });
});

describe("records (what a release pins and releases, in its commit)", () => {
    it("a release message lists each pin and ends with one Delivery-Pin trailer per pin, and never holds a skip instruction", () => {
        const pins = [
            { service: "user-service", digest: DIGEST, origin: "0123456789abcdef0123456789abcdef01234567" },
            { service: "frontend", digest: `sha256:${"b".repeat(64)}`, origin: `sha256:${"b".repeat(64)}` },
        ];
        for (const env of ["staging", "production"]) {
            const message = releaseMessage(env, pins);
            assert.strictEqual(message.split("\n")[0], `release(${env}): user-service, frontend`);
            assert.ok(message.trimEnd().endsWith(`${pinTrailer(env, "user-service", pins[0].origin)}\n${pinTrailer(env, "frontend", pins[1].origin)}`), message);
            assert.ok(message.includes(`user-service: ${DIGEST} (from ${pins[0].origin})`));
            // GitHub would run no workflow for its push, nor for a pull request whose head is it or its revert.
            assert.doesNotMatch(message, SKIP_INSTRUCTIONS, message);
            assert.deepStrictEqual([...releasedIn(message, env)], pins.map((p) => [p.service, p.origin]));
            assert.strictEqual(releasedIn(message, env === "staging" ? "production" : "staging").size, 0, "another environment's records are not this one's");
        }
        assert.ok(SKIP_INSTRUCTIONS.test("release [skip ci]") && SKIP_INSTRUCTIONS.test("x\n\nskip-checks: true"), "the check knows GitHub's instructions");
    });
});

describe("registry (ECR lookups and promotion copies)", () => {
    let LOCATION: ReturnType<typeof parseRepositoryPrefix>;
    let PRODUCTION: ReturnType<typeof parseRepositoryPrefix>;
    before(() => {
        LOCATION = parseRepositoryPrefix(resolveCiContext("staging", VARS, separate)["repository-prefix"]);
        PRODUCTION = parseRepositoryPrefix(resolveCiContext("production", VARS, separate)["repository-prefix"]);
    });
    const fake = (answer: { status: number; stdout?: string; stderr?: string }, calls: string[][] = []): Runner => (command, args) => {
        calls.push([command, ...args]);
        return { stdout: "", stderr: "", ...answer };
    };

    it("reads ci-context's repository-prefix of both environments", () => {
        assert.deepStrictEqual(LOCATION, { prefix: "111111111111.dkr.ecr.us-east-1.amazonaws.com/gitops-staging", accountId: "111111111111", region: "us-east-1", namePrefix: "gitops-staging" });
        assert.strictEqual(PRODUCTION.accountId, "222222222222");
        for (const bad of ["gitops-staging", "12345.dkr.ecr.us-east-1.amazonaws.com/gitops-staging", "111111111111.dkr.ecr.us-east-1.amazonaws.com/"]) {
            assert.throws(() => parseRepositoryPrefix(bad), (e: Error) => e.name === "UsageError" && /allowed <12-digit account>/.test(e.message), bad);
        }
    });

    it("looks an image up by tag or digest in <namePrefix>/<service> of the environment's account and region, answering its digest", () => {
        const calls: string[][] = [];
        const found = JSON.stringify({ imageDetails: [{ imageDigest: DIGEST, imageTags: ["abc"] }] });
        const registry = ecrRegistry(LOCATION, fake({ status: 0, stdout: found }, calls));
        assert.deepStrictEqual(registry.find("frontend", { tag: "abc" }), { digest: DIGEST });
        assert.deepStrictEqual(registry.find("frontend", { digest: DIGEST }), { digest: DIGEST });
        assert.deepStrictEqual(registry.find("frontend", { tag: "other" }), "missing", "an answer about another tag is no answer");
        assert.deepStrictEqual(calls[0], ["aws", "ecr", "describe-images", "--registry-id", "111111111111", "--region", "us-east-1", "--repository-name", "gitops-staging/frontend", "--image-ids", "imageTag=abc", "--output", "json"]);
        assert.strictEqual(calls[1].at(-3), `imageDigest=${DIGEST}`);
    });

    it("tells a missing image and a missing repository apart from a failure, which it never guesses past", () => {
        const lookup = (answer: { status: number; stdout?: string; stderr?: string }) => ecrRegistry(LOCATION, fake(answer)).find("frontend", { digest: DIGEST });
        assert.strictEqual(lookup({ status: 254, stderr: "An error occurred (ImageNotFoundException) when calling the DescribeImages operation" }), "missing");
        assert.strictEqual(lookup({ status: 254, stderr: "An error occurred (RepositoryNotFoundException) when calling the DescribeImages operation" }), "no-repository");
        assert.throws(() => lookup({ status: 254, stderr: "An error occurred (AccessDeniedException) when calling the DescribeImages operation" }), /describe-images of gitops-staging\/frontend \(imageDigest=sha256:a+\) failed \(exit 254\): .*AccessDeniedException/);
        assert.throws(() => lookup({ status: 127, stderr: "spawnSync aws ENOENT" }), /ENOENT/);
    });

    it("copies an image between registries keeping its digest (skopeo --preserve-digests), tagged after it; a failed copy throws", () => {
        const calls: string[][] = [];
        ecrRegistry(PRODUCTION, fake({ status: 0 }, calls)).copyFrom(LOCATION, "frontend", DIGEST);
        assert.deepStrictEqual(calls, [["skopeo", "copy", "--all", "--preserve-digests", "--retry-times", "3", `docker://${LOCATION.prefix}/frontend@${DIGEST}`, `docker://${PRODUCTION.prefix}/frontend:${promotedTag(DIGEST)}`]]);
        assert.strictEqual(promotedTag(DIGEST), `sha256-${"a".repeat(64)}`);
        assert.throws(() => ecrRegistry(PRODUCTION, fake({ status: 1, stderr: "denied: cross-account pull" })).copyFrom(LOCATION, "frontend", DIGEST), /skopeo copy .* failed \(exit 1\): denied/);
    });
});
