/**
 * The release tools: tools/ci-context.ts (the aws-account job), tools/images-to-build.ts (which images a push
 * builds) and tools/overlay-images.ts (the Git commit that releases them).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { accountVariable, resolveCiContext } from "../../tools/ci-context";
import { Git, overlayKustomizationPath } from "../../tools/cli-support";
import { decideBuilds } from "../../tools/images-to-build";
import { pinImage, pinImages, readImageTag } from "../../tools/overlay-images";

const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
};

const VARS = { AWS_ACCOUNT_ID_STAGING: "111111111111", AWS_ACCOUNT_ID_PRODUCTION: "222222222222", PULUMI_ORG: "acme" };

describe("ci-context (the aws-account job)", () => {
    for (const [env, account] of [["staging", "111111111111"], ["production", "222222222222"]]) {
        it(`${env}: the account from ${accountVariable(env)}, the role and repository names infra gives it`, () => {
            const c = resolveCiContext(env, VARS);
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
        });
    }

    it("follows infra:project and aws:region of the settings file (the names infra really creates)", () => {
        const root = tempDir("ci-context-");
        const text = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8").replace("aws:region: us-east-1", "aws:region: eu-west-1\n  infra:project: shop");
        fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), text);
        const c = resolveCiContext("staging", VARS, root);
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
        assert.throws(() => resolveCiContext("staging", { ...VARS, PULUMI_PREVIEW_TEAM: "bad team" }), /PULUMI_PREVIEW_TEAM/);
    });

    it("accepts only the known environments (the stack names are the settings files)", () => {
        assert.throws(() => resolveCiContext("main", VARS), (e: Error) => e.name === "UsageError" && /staging, production/.test(e.message));
    });
});

const OVERLAY = `# user-service in staging
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
# The release: CI replaces the tag.
images:
  - name: user-service
    newTag: "1.0.0"
patches: []
`;

describe("overlay-images (the release commit)", () => {
    const SHA = "0123456789abcdef0123456789abcdef01234567";

    it("sets newTag of the service's image entry and keeps comments and everything else", () => {
        const after = pinImage(OVERLAY, "user-service", SHA);
        assert.ok(after.includes("# The release: CI replaces the tag."));
        assert.ok(after.includes("# user-service in staging"));
        const doc = parseDocument(after).toJS();
        assert.deepStrictEqual(doc.images, [{ name: "user-service", newTag: SHA }]);
        assert.deepStrictEqual(doc.resources, ["../../base"]);
        assert.strictEqual(pinImage(after, "user-service", SHA), after, "pinning the same tag again changes nothing");
    });

    it("finds the entry by a registry-qualified name too, and drops a digest that would override the tag", () => {
        const text = "images:\n  - name: 1.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend\n    digest: sha256:abc\n";
        assert.deepStrictEqual(parseDocument(pinImage(text, "frontend", SHA)).toJS().images, [{ name: "1.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend", newTag: SHA }]);
    });

    it("refuses an overlay without an entry for the service instead of adding one the manifests would ignore", () => {
        assert.throws(() => pinImage(OVERLAY, "frontend", SHA), /no images: entry for frontend/);
        assert.throws(() => pinImage("images: [", "frontend", SHA), /not valid YAML/);
    });

    it("edits the files of the repository layout, reports which changed, and validates the tag", () => {
        const root = tempDir("overlays-");
        for (const s of ["user-service", "frontend"]) {
            fs.mkdirSync(path.dirname(overlayKustomizationPath(s, "staging", root)), { recursive: true });
            fs.writeFileSync(overlayKustomizationPath(s, "staging", root), OVERLAY.replace(/user-service/g, s));
        }
        fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), path.join(root, "Pulumi.staging.yaml"));
        pinImages(["frontend"], "staging", SHA, root);
        const results = pinImages(["user-service", "frontend"], "staging", SHA, root);
        assert.deepStrictEqual(results.map((r) => [r.file, r.changed]), [
            ["apps/workloads/user-service/overlays/staging/kustomization.yaml", true],
            ["apps/workloads/frontend/overlays/staging/kustomization.yaml", false],
        ]);
        assert.strictEqual(readImageTag("user-service", "staging", root), SHA);
        assert.throws(() => pinImages(["order-service"], "staging", SHA, root), /order-service\/overlays\/staging\/kustomization\.yaml does not exist/);
        assert.throws(() => pinImages(["frontend"], "staging", "bad tag!", root), /is not an image tag/);
    });

    it("every service built here has an overlay per environment whose image entry the release can pin", () => {
        for (const service of ["user-service", "product-service", "order-service", "frontend"]) {
            for (const env of ["staging", "production"]) {
                const file = overlayKustomizationPath(service, env);
                assert.ok(fs.existsSync(file), `${file} is missing`);
                const text = fs.readFileSync(file, "utf8");
                assert.notStrictEqual(readImageTag(service, env), undefined, `${file}: no images: entry with a newTag for ${service}`);
                assert.doesNotThrow(() => pinImage(text, service, SHA), file);
            }
        }
    });
});

describe("images-to-build (a push builds what changed since the pinned release)", () => {
    const RELEASED = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    /** A fake git: RELEASED is a commit; `changed` lists the services whose folder differs from it. */
    const fakeGit = (changed: string[]): Git => (args) => {
        if (args[0] === "rev-parse") return args[3] === `${RELEASED}^{commit}` ? `${RELEASED}\n` : undefined;
        if (args[0] === "diff") {
            assert.deepStrictEqual(args.slice(0, 4), ["diff", "--name-only", RELEASED, "HEAD"]);
            const folder = args[5];
            return changed.some((s) => folder === `apps/services/${s}/`) ? `${folder}app.py\n` : "";
        }
        throw new Error(`unexpected git ${args.join(" ")}`);
    };

    it("builds a service whose sources changed since its pinned commit, skips the others", () => {
        const decisions = decideBuilds(["frontend", "user-service"], "HEAD", fakeGit(["user-service"]), () => RELEASED);
        assert.deepStrictEqual(decisions.map((d) => [d.service, d.build]), [["frontend", false], ["user-service", true]]);
        assert.match(decisions[1].reason, /sources changed since aaaaaaaa/);
    });

    it("builds a service with no pin yet, or pinned to a tag that is not a commit (the first release)", () => {
        const decisions = decideBuilds(["frontend", "user-service"], "HEAD", fakeGit([]), (s) => (s === "frontend" ? undefined : "1.0.0"));
        assert.deepStrictEqual(decisions.map((d) => d.build), [true, true]);
        assert.match(decisions[0].reason, /no image pinned/);
        assert.match(decisions[1].reason, /1\.0\.0 is not a commit/);
    });
});
