/**
 * The release tools: ci/ci-context.ts (the aws-account job), ci/images-to-build.ts and ci/ecr-images.ts
 * (which images a push builds) and ci/overlay-images.ts (the Git commit that releases them).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { accountVariable, resolveCiContext } from "../../ci/ci-context";
import { Git, listServices, overlayKustomizationPath } from "../../lib/cli-support";
import { AwsCli, ImageState, ecrImageLookup, parseRepositoryPrefix } from "../../ci/ecr-images";
import { decideBuilds, main as imagesMain } from "../../ci/images-to-build";
import { pinImage, pinImages, readImageTag } from "../../ci/overlay-images";

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
    /**
     * A fake git: RELEASED is a commit; `changed` lists the folders of apps/services (services, or python-kit) that
     * differ from it; a diff answers the changed files under the pathspecs it is given.
     */
    const fakeGit = (changed: string[], pathspecs: string[][] = []): Git => (args) => {
        if (args[0] === "rev-parse") return args[3] === `${RELEASED}^{commit}` ? `${RELEASED}\n` : undefined;
        if (args[0] === "diff") {
            assert.deepStrictEqual(args.slice(0, 5), ["diff", "--name-only", RELEASED, "HEAD", "--"]);
            pathspecs.push(args.slice(5));
            return args.slice(5).filter((spec) => changed.some((s) => spec === `apps/services/${s}/`)).map((folder) => `${folder}app.py\n`).join("");
        }
        throw new Error(`unexpected git ${args.join(" ")}`);
    };

    it("builds a service whose sources changed since its pinned commit, skips the others", () => {
        const decisions = decideBuilds(["frontend", "user-service"], "HEAD", fakeGit(["user-service"]), () => RELEASED);
        assert.deepStrictEqual(decisions.map((d) => [d.service, d.build]), [["frontend", false], ["user-service", true]]);
        assert.match(decisions[1].reason, /sources changed since aaaaaaaa/);
    });

    it("compares each service's image sources: its folder, and python-kit for the Python services", () => {
        const pathspecs: string[][] = [];
        decideBuilds(["frontend", "user-service"], "HEAD", fakeGit([], pathspecs), () => RELEASED);
        assert.deepStrictEqual(pathspecs, [
            ["apps/services/frontend/", "apps/services/.dockerignore"],
            ["apps/services/user-service/", "apps/services/.dockerignore", "apps/services/python-kit/"],
        ]);
    });

    it("a change to the Python kit since the pinned commit rebuilds the three Python services, not the frontend", () => {
        const services = listServices();
        const decisions = decideBuilds(services, "HEAD", fakeGit(["python-kit"]), () => RELEASED);
        assert.deepStrictEqual(decisions.filter((d) => d.build).map((d) => d.service), ["order-service", "product-service", "user-service"]);
        assert.ok(!services.includes("python-kit"));
        for (const d of decisions.filter((d) => d.build)) assert.match(d.reason, /sources changed since a{40}/);
    });

    it("builds a service with no pin yet, or pinned to a tag that is not a commit (the first release)", () => {
        const decisions = decideBuilds(["frontend", "user-service"], "HEAD", fakeGit([]), (s) => (s === "frontend" ? undefined : "1.0.0"));
        assert.deepStrictEqual(decisions.map((d) => d.build), [true, true]);
        assert.match(decisions[0].reason, /no image pinned/);
        assert.match(decisions[1].reason, /1\.0\.0 is not a commit/);
    });

    it("rebuilds a service whose pin Git calls current when ECR no longer has that image (or that repository)", () => {
        const asked: string[] = [];
        const ecr = (states: Record<string, ImageState>) => (service: string, tag: string): ImageState => {
            asked.push(`${service}:${tag}`);
            return states[service];
        };
        const decisions = decideBuilds(["frontend", "order-service", "user-service"], "HEAD", fakeGit([]), () => RELEASED, ecr({ frontend: "present", "order-service": "missing", "user-service": "no-repository" }));
        assert.deepStrictEqual(decisions.map((d) => [d.service, d.build]), [["frontend", false], ["order-service", true], ["user-service", true]]);
        assert.match(decisions[0].reason, /current and in ECR/);
        assert.match(decisions[1].reason, /pinned image a{40} is missing from ECR/);
        assert.match(decisions[2].reason, /ECR repository does not exist/);

        asked.length = 0;
        decideBuilds(["frontend", "user-service"], "HEAD", fakeGit(["user-service"]), () => RELEASED, ecr({ frontend: "present", "user-service": "missing" }));
        assert.deepStrictEqual(asked, [`frontend:${RELEASED}`], "ECR is asked only about pins Git calls current");
    });

    it("main: with --repository-prefix, each current pin of the environment's overlays is looked up in that registry", () => {
        const outputFile = path.join(tempDir("images-"), "github-output");
        const before = process.env.GITHUB_OUTPUT;
        process.env.GITHUB_OUTPUT = outputFile;
        const lookedUp: string[] = [];
        const log: string[] = [];
        try {
            const everythingCurrent: Git = (args) => (args[0] === "rev-parse" ? "x\n" : args[0] === "diff" ? "" : undefined);
            const code = imagesMain(
                ["--environment", "production", "--repository-prefix", "222222222222.dkr.ecr.us-east-1.amazonaws.com/gitops-production"],
                everythingCurrent,
                ["frontend", "user-service"],
                (location) => {
                    assert.deepStrictEqual(location, { accountId: "222222222222", region: "us-east-1", namePrefix: "gitops-production" });
                    return (service, tag) => {
                        lookedUp.push(service);
                        assert.strictEqual(tag, readImageTag(service, "production"), "the tag pinned in the production overlay");
                        return service === "frontend" ? "missing" : "present";
                    };
                },
                (line) => log.push(line),
            );
            assert.strictEqual(code, 0);
        } finally {
            if (before === undefined) delete process.env.GITHUB_OUTPUT;
            else process.env.GITHUB_OUTPUT = before;
        }
        assert.deepStrictEqual(lookedUp, ["frontend", "user-service"]);
        assert.strictEqual(fs.readFileSync(outputFile, "utf8"), 'services=["frontend"]\n');
        assert.ok(log.some((l) => /^frontend: build \(pinned image .* is missing from ECR\)$/.test(l)), log.join("\n"));
    });

    it("main refuses a repository prefix that is not ci-context's <account>.dkr.ecr.<region>.amazonaws.com/<prefix>", () => {
        for (const bad of ["gitops-staging", "12345.dkr.ecr.us-east-1.amazonaws.com/gitops-staging", "111111111111.dkr.ecr.us-east-1.amazonaws.com/"]) {
            assert.throws(() => imagesMain(["--environment", "staging", "--repository-prefix", bad], () => "", []), (e: Error) => e.name === "UsageError" && /allowed <12-digit account>/.test(e.message), bad);
        }
    });
});

describe("ecr-images (is a pinned image still in ECR?)", () => {
    const LOCATION = parseRepositoryPrefix(resolveCiContext("staging", VARS)["repository-prefix"]);
    const TAG = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const aws = (answer: { status: number; stdout?: string; stderr?: string }, calls: string[][] = []): AwsCli => (args) => {
        calls.push(args);
        return { stdout: "", stderr: "", ...answer };
    };

    it("reads ci-context's repository-prefix of both environments", () => {
        assert.deepStrictEqual(LOCATION, { accountId: "111111111111", region: "us-east-1", namePrefix: "gitops-staging" });
        assert.deepStrictEqual(parseRepositoryPrefix(resolveCiContext("production", VARS)["repository-prefix"]), { accountId: "222222222222", region: "us-east-1", namePrefix: "gitops-production" });
    });

    it("asks describe-images for <namePrefix>/<service>:<tag> in the environment's account and region", () => {
        const calls: string[][] = [];
        const found = JSON.stringify({ imageDetails: [{ repositoryName: "gitops-staging/frontend", imageTags: [TAG] }] });
        assert.strictEqual(ecrImageLookup(LOCATION, aws({ status: 0, stdout: found }, calls))("frontend", TAG), "present");
        assert.deepStrictEqual(calls, [["ecr", "describe-images", "--registry-id", "111111111111", "--region", "us-east-1", "--repository-name", "gitops-staging/frontend", "--image-ids", `imageTag=${TAG}`, "--output", "json"]]);
    });

    it("tells a missing image and a missing repository apart from a failure, which it never guesses past", () => {
        const lookup = (answer: { status: number; stdout?: string; stderr?: string }) => ecrImageLookup(LOCATION, aws(answer))("frontend", TAG);
        assert.strictEqual(lookup({ status: 254, stderr: "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageTag:'a'} does not exist" }), "missing");
        assert.strictEqual(lookup({ status: 254, stderr: "An error occurred (RepositoryNotFoundException) when calling the DescribeImages operation" }), "no-repository");
        assert.strictEqual(lookup({ status: 0, stdout: JSON.stringify({ imageDetails: [{ imageTags: ["other"] }] }) }), "missing");
        assert.throws(() => lookup({ status: 254, stderr: "An error occurred (AccessDeniedException) when calling the DescribeImages operation" }), /describe-images of gitops-staging\/frontend:a+ failed \(exit 254\): .*AccessDeniedException/);
        assert.throws(() => lookup({ status: 127, stderr: "spawnSync aws ENOENT" }), /ENOENT/);
    });
});
