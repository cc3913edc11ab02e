/**
 * The delivery (tools/delivery.ts, ci/delivery.ts) on scratch git histories, the way CI runs it: what a push
 * builds and deploys, the release commit, a rollback by revert, a pinned image the registry lost, promotion of
 * what staging verified and refusal of what it did not, and the command line.
 */
import * as assert from "assert";
import { UNRELEASED_DIGEST, pinIn } from "../../ci/pins";
import { pinTrailer, verifiedTag } from "../../ci/records";
import { USAGE } from "../../tools/delivery";
import { PREFIX, SKIP_INSTRUCTIONS, ScratchRepo } from "./scratch";

const repos: ScratchRepo[] = [];
after(() => repos.forEach((r) => r.remove()));
const scratch = () => {
    const r = new ScratchRepo();
    repos.push(r);
    return r;
};
const USER = "apps/workloads/user-service/overlays/staging/kustomization.yaml";
const USER_PROD = "apps/workloads/user-service/overlays/production/kustomization.yaml";
const FRONT_PROD = "apps/workloads/frontend/overlays/production/kustomization.yaml";

describe("delivery: what a push to staging builds and deploys", () => {
    // One repository whose first release is done (both services built, pinned, verified); each test works on a
    // branch of its own from that release.
    let shared: { repo: ScratchRepo; first: Record<string, string>; release: string };
    before(() => {
        const repo = scratch();
        const { release, digests } = repo.ciStaging(repo.head());
        repo.verifyStaging(release);
        shared = { repo, first: digests, release: release! };
    });
    let branches = 0;
    const released = () => {
        shared.repo.run("checkout", "-q", "-B", `case-${++branches}`, shared.release);
        return shared;
    };

    it("the first push builds every service (nothing released yet), tagged with the commit its sources are from", () => {
        const repo = scratch();
        const first = repo.head();
        const { json, result } = repo.decide("staging", first);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual(json.build, ["frontend", "user-service"]);
        assert.deepStrictEqual(json.sources, { frontend: first, "user-service": first });
        assert.deepStrictEqual(json.images, { mysql: "public.ecr.aws/docker/library/mysql:8.4.11", "user-service": `user-service@${UNRELEASED_DIGEST}`, frontend: `frontend@${UNRELEASED_DIGEST}` });
        assert.deepStrictEqual(json.layers, []);
    });

    it("app-only push: builds the changed service, runs no Pulumi layer, is verified", () => {
        const { repo, release } = released();
        repo.change("apps/services/user-service/app.py", "version = 2\n");
        const { json, result } = repo.decide("staging", release);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual([json.build, json.layers, json.verify], [["user-service"], [], true]);
        assert.strictEqual(json.sources["user-service"], repo.head());
        assert.match(result.err, /user-service: build: sources changed in this push/);
        assert.strictEqual(result.outputs.deploy, "true", "the release step has work");
        assert.strictEqual(result.outputs.release, `user-service=${repo.head()}`);
    });

    it("a change to the Python kit builds the Python services, not the frontend; the context's .dockerignore builds all", () => {
        const { repo, release } = released();
        repo.change("apps/services/python-kit/service_kit.py", "kit = 2\n");
        assert.deepStrictEqual(repo.decide("staging", release).json.build, ["user-service"]);
        const { release: second } = repo.ciStaging(release);
        repo.change("apps/services/.dockerignore", "**/tests\n*.md\n");
        assert.deepStrictEqual(repo.decide("staging", second!).json.build, ["frontend", "user-service"]);
    });

    it("the release commit: pins the built digest with its record, with no skip instruction (its push and pull requests get their checks)", () => {
        const { repo, release } = released();
        const change = repo.change("apps/services/user-service/app.py", "version = 2\n");
        const { release: next, digests } = repo.ciStaging(release);
        assert.deepStrictEqual(Object.keys(digests), ["user-service"]);
        assert.strictEqual(pinIn(repo.read(USER), "user-service")!.digest, digests["user-service"]);
        const message = repo.run("log", "-1", "--format=%B");
        assert.match(message, /^release\(staging\): user-service\n/);
        assert.doesNotMatch(message, SKIP_INSTRUCTIONS);
        assert.ok(message.includes(pinTrailer("staging", "user-service", change)), message);
        // Its revert's message quotes its subject: no skip instruction there either.
        repo.run("revert", "--no-edit", next!);
        assert.doesNotMatch(repo.run("log", "-1", "--format=%B"), SKIP_INSTRUCTIONS);
    });

    it("the release commit's own push: recognised (pins only, recorded by its trailers), so it builds, runs, pins and verifies nothing twice", () => {
        const { repo, release } = released();
        const change = repo.change("apps/services/user-service/app.py", "version = 2\n");
        const { release: next, digests } = repo.ciStaging(release);
        const { json, result } = repo.decide("staging", change, next!, "--registry", PREFIX.staging);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual([json.build, json.layers, json.promote, json.verify], [[], [], {}, false]);
        assert.strictEqual(json.images["user-service"], `user-service@${digests["user-service"]}`, "what ArgoCD runs: exactly the pin");
        assert.deepStrictEqual([result.outputs.deploy, result.outputs.verify, result.outputs.record], ["false", "false", "false"]);
        assert.match(result.err, /is the delivery's release commit: the run that pushed it deploys and verifies it/);
    });

    it("a commit that only looks like a release is not one: its own run verifies it", () => {
        const { repo, release } = released();
        const change = repo.change("apps/services/user-service/app.py", "version = 2\n");
        const { release: next } = repo.ciStaging(release);
        const trailers = repo.run("log", "-1", "--format=%B", next!);
        const cases: [string, () => void][] = [
            ["the trailers, and a manifest change besides the pin", () => repo.write("apps/workloads/user-service/base/deployment.yaml", "kind: Deployment # edited\n")],
            ["the trailers, and a pin other than the one its message names", () => repo.write(USER, repo.read(USER).replace(/sha256:[0-9a-f]{64}/, `sha256:${"c".repeat(64)}`))],
            ["the trailers of another environment", () => repo.write(USER_PROD, repo.read(USER_PROD).replace(UNRELEASED_DIGEST, `sha256:${"d".repeat(64)}`))],
        ];
        for (const [what, edit] of cases) {
            repo.run("checkout", "-q", "-B", `case-${++branches}`, next!);
            edit();
            const lookalike = repo.commit(trailers);
            const { json } = repo.decide("staging", next!, lookalike);
            assert.strictEqual(json.verify, true, what);
        }
        assert.strictEqual(repo.decide("staging", release, next!).json.verify, true, "a range with more than release commits (a superseded run's push)");
        assert.strictEqual(repo.decide("staging", change, next!).json.verify, false);
    });

    it("a revert of a release deploys the previous digest: no build, no layer, verified by its own run, and no later push builds the bad change again", () => {
        const { repo, first, release } = released();
        repo.change("apps/services/user-service/app.py", "version = 2 # bad\n");
        const { release: bad } = repo.ciStaging(release);
        const revert = repo.revertThroughPullRequest(bad!);
        const { json, result } = repo.decide("staging", bad!, revert, "--registry", PREFIX.staging);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual([json.build, json.layers, json.verify], [[], [], true]);
        assert.strictEqual(json.images["user-service"], `user-service@${first["user-service"]}`, "the previous digest");
        assert.strictEqual(result.outputs.deploy, "false", "nothing to build, pin or up: only the verification runs");
        assert.strictEqual(result.outputs.record, "true", "its verification is recorded");
        const pushed = repo.run("rev-parse", `${revert}^2`);
        assert.strictEqual(repo.decide("staging", bad!, pushed).json.verify, true, "a revert pushed alone (no trailer) is no release commit either");
        const docs = repo.change("README.md", "# shop\nrolled back\n");
        assert.deepStrictEqual(repo.decide("staging", revert, docs).json.build, [], "the reverted change stays released: no rebuild");
    });

    it("a source change whose run never released it (failed or superseded) is built by the next push", () => {
        const { repo, release } = released();
        const lost = repo.change("apps/services/user-service/app.py", "version = 3\n");
        const docs = repo.change("README.md", "# shop 3\n");
        const { json, result } = repo.decide("staging", lost, docs);
        assert.deepStrictEqual(json.build, ["user-service"]);
        assert.strictEqual(json.sources["user-service"], lost, "from the commit its sources are from");
        assert.match(result.err, /sources changed at \w+ and were never released/);
        assert.deepStrictEqual(repo.decide("staging", release, docs).json.build, ["user-service"], "any base: the record decides");
    });

    it("a pinned image missing from the registry is reported, naming the service and the fix, and not rebuilt from other code", () => {
        const { repo, first, release } = released();
        // Newer user-service code exists on another branch; the pinned image expired from the registry.
        repo.change("apps/services/user-service/app.py", "version = 4\n", "newer code, not what is pinned");
        repo.run("checkout", "-q", "-B", `case-${++branches}`, release);
        const docs = repo.change("README.md", "# shop\n\n");
        repo.staging.expire("user-service", first["user-service"]);
        try {
            const { json, result } = repo.decide("staging", release, docs, "--registry", PREFIX.staging);
            assert.strictEqual(result.code, 1);
            assert.deepStrictEqual(json.build, []);
            assert.match(result.err, new RegExp(`error: user-service: the pinned image ${PREFIX.staging}/user-service@${first["user-service"]} is not in the registry`));
            assert.match(result.err, /not rebuilt from other code: .*rebuild: user-service/);
            assert.doesNotMatch(result.err, /frontend: the pinned/);
        } finally {
            repo.staging.add("user-service", "restored", first["user-service"]);
        }
    });

    it("rebuild by hand (the deploy workflow's dispatch): builds from the current sources although released; production refuses it", () => {
        const { repo, release } = released();
        const { json, result } = repo.decide("staging", release, release, "--rebuild", "user-service");
        assert.deepStrictEqual(json.build, ["user-service"]);
        assert.match(result.err, /rebuild asked for/);
        assert.deepStrictEqual(repo.decide("staging", release, release, "--rebuild", "all").json.build, ["frontend", "user-service"]);
        const refused = repo.decide("production", release, release, "--rebuild", "user-service").result;
        assert.strictEqual(refused.code, 2);
        assert.match(refused.err, /production builds nothing, it promotes the digests staging verified/);
        assert.strictEqual(repo.decide("staging", release, release, "--rebuild", "nope").result.code, 2);
    });

    // The whole table of layer rules is tested as data in layers.spec.ts; here, on real histories, the paths a user takes.
    const layerCases: [string, string, string[], boolean][] = [
        ["platform-only", "platform/index.ts", ["platform", "apps"], true],
        ["docs-only", "README.md", [], false],
        ["a workflow (the run verifies itself)", ".github/workflows/deploy.yml", [], true],
    ];
    for (const [what, file, layers, verify] of layerCases) {
        it(`${what}: layers ${layers.join(", ") || "none"}, nothing built, ${verify ? "verified" : "nothing deployed"}`, () => {
            const { repo, release } = released();
            repo.change(file, `${repo.read(file)}# changed\n`);
            const { json, result } = repo.decide("staging", release);
            assert.strictEqual(result.code, 0, result.err);
            assert.deepStrictEqual([json.layers, json.build, json.verify], [layers, [], verify]);
            assert.strictEqual(result.outputs.deploy, String(layers.length > 0));
        });
    }

    it("a base that is no commit here (a new branch's zero SHA, a force push): every layer, and a warning", () => {
        const { repo } = released();
        const { json, result } = repo.decide("staging", "0000000000000000000000000000000000000000");
        assert.deepStrictEqual(json.layers, ["infra", "platform", "apps"]);
        assert.match(result.err, /warning: --base 0+ is not a commit of this clone/);
    });
});

describe("delivery: promotion to production", () => {
    // One repository: staging's first release (verified) and a second one (not verified); each test merges one of
    // them into a production branch of its own (the promotion pull request).
    let repo: ScratchRepo;
    let root: string;
    let releases: { commit: string; digests: Record<string, string> }[];
    before(() => {
        repo = scratch();
        root = repo.head();
        const first = repo.ciStaging(root);
        repo.verifyStaging(first.release);
        repo.change("apps/services/user-service/app.py", "version = 2\n");
        const second = repo.ciStaging(first.release!);
        releases = [first, second].map((r) => ({ commit: r.release!, digests: r.digests }));
    });
    let branches = 0;
    function promotion(verified: boolean) {
        const staging = releases[verified ? 0 : 1];
        repo.run("checkout", "-q", "-B", `production-${++branches}`, root);
        const before = repo.head();
        repo.run("merge", "-q", "--no-ff", "--no-edit", staging.commit);
        return { repo, before, merge: repo.head(), digests: verified ? staging.digests : { ...releases[0].digests, ...staging.digests } };
    }

    it("production promotes the digests staging verified: no build, no layer; pin copies them into production's registry", () => {
        const { repo, before, merge, digests } = promotion(true);
        const { json, result } = repo.decide("production", before, merge);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual(json.build, []);
        assert.deepStrictEqual(json.layers, []);
        assert.deepStrictEqual(json.promote, digests);
        assert.strictEqual(result.outputs.release, `frontend=${digests.frontend} user-service=${digests["user-service"]}`);

        const pin = repo.delivery("pin", "production", ...result.outputs.release.split(" "), "--registry", PREFIX.production, "--copy-from", PREFIX.staging);
        assert.strictEqual(pin.code, 0, pin.err);
        assert.deepStrictEqual(repo.production.copied.sort(), Object.entries(digests).map(([s, d]) => `${PREFIX.staging}/${s}@${d}`).sort());
        assert.strictEqual(pinIn(repo.read(USER_PROD), "user-service")!.digest, digests["user-service"], "the same digest staging ran");
        assert.ok(pin.outputs.message.includes(pinTrailer("production", "user-service", digests["user-service"])));
        repo.run("commit", "-q", "-am", pin.outputs.message);
        const promoted = repo.head();
        const again = repo.decide("production", merge, promoted, "--registry", PREFIX.production);
        assert.deepStrictEqual([again.json.promote, again.json.build, again.result.code], [{}, [], 0], "the release commit promotes nothing more");

        // Rollback by revert: the previous production pin comes back and is not promoted again.
        repo.run("revert", "--no-edit", promoted);
        const rollback = repo.decide("production", promoted, repo.head());
        assert.deepStrictEqual([rollback.json.promote, rollback.json.build, rollback.json.layers, rollback.json.verify], [{}, [], [], true]);
        assert.strictEqual(rollback.json.images["user-service"], `user-service@${UNRELEASED_DIGEST}`);
        assert.match(rollback.result.err, /was promoted before and production's pin moved since/);
    });

    it("a staging digest that did not pass staging is refused, naming the service, in the decision and in pin", () => {
        const { repo, before, merge, digests } = promotion(false);
        const { json, result } = repo.decide("production", before, merge);
        assert.strictEqual(result.code, 1);
        assert.deepStrictEqual(json.promote, { frontend: digests.frontend }, "the frontend's digest was verified (first release)");
        assert.match(result.err, new RegExp(`error: user-service: refused: staging pins ${digests["user-service"]}, which staging has not verified`));
        assert.doesNotMatch(result.err, /error: frontend/);
        const pin = repo.delivery("pin", "production", `user-service=${digests["user-service"]}`);
        assert.strictEqual(pin.code, 1);
        assert.match(pin.err, new RegExp(`refused: user-service ${digests["user-service"]} did not pass staging`));
        assert.strictEqual(pinIn(repo.read(USER_PROD), "user-service")!.digest, UNRELEASED_DIGEST, "nothing written");
    });

    it("a production pin written by hand with an untested digest is refused, naming the service", () => {
        const { repo, merge, digests } = promotion(true);
        const untested = `sha256:${"b".repeat(64)}`;
        repo.write(FRONT_PROD, repo.read(FRONT_PROD).replace(UNRELEASED_DIGEST, untested));
        repo.write(USER_PROD, repo.read(USER_PROD).replace(UNRELEASED_DIGEST, digests["user-service"]));
        const byHand = repo.commit("pin by hand");
        const { result } = repo.decide("production", merge, byHand);
        assert.strictEqual(result.code, 1);
        assert.match(result.err, new RegExp(`error: frontend: refused: production pins ${untested}, which did not pass staging`));
        assert.doesNotMatch(result.err, /error: user-service/, "the verified one is accepted");
    });

    it("pins production's registry lacks are reported (production cannot rebuild them)", () => {
        const { repo, before, merge } = promotion(true);
        const pin = repo.delivery("pin", "production", ...repo.decide("production", before, merge).result.outputs.release.split(" "), "--registry", PREFIX.production, "--copy-from", PREFIX.staging);
        repo.run("commit", "-q", "-am", pin.outputs.message);
        const digest = pinIn(repo.read(USER_PROD), "user-service")!.digest!;
        repo.production.expire("user-service", digest);
        const { result } = repo.decide("production", repo.head(), repo.head(), "--registry", PREFIX.production);
        assert.strictEqual(result.code, 1);
        assert.match(result.err, /user-service: the pinned image .* is not in the registry.*pin a digest staging verified/);
    });

    it("record: only staging's verifications, as verified/staging/<commit>; recording twice is a no-op", () => {
        const repo = scratch();
        const head = repo.head();
        assert.strictEqual(repo.verifyStaging(head), verifiedTag(head));
        assert.strictEqual(repo.verifyStaging(head), verifiedTag(head));
        assert.strictEqual(repo.run("rev-parse", `${verifiedTag(head)}^{commit}`), head);
        const production = repo.delivery("record", "production", "--revision", head);
        assert.strictEqual(production.code, 2);
        assert.match(production.err, /only staging verifications are recorded/);
        assert.strictEqual(repo.delivery("record", "staging", "--revision", "nope").code, 1);
    });
});

describe("delivery: rolling production back through a pull request (the rulesets require one)", () => {
    // Staging released and verified r1, then r2 (which passed staging but is bad in production); production promoted
    // r1 (merge M1, release commit R1), then r2 (merge M2, release commit R2). Each test starts from there.
    let repo: ScratchRepo;
    let r1: Record<string, string>;
    let r2: Record<string, string>;
    let stagingR2: string;
    let m2: string;
    let releaseR2: string;
    before(() => {
        repo = scratch();
        const root = repo.head();
        const s1 = repo.ci("staging", root);
        repo.verifyStaging(s1.release);
        repo.change("apps/services/user-service/app.py", "version = 2 # bad in production\n");
        const s2 = repo.ci("staging", s1.release!);
        repo.verifyStaging(s2.release);
        stagingR2 = s2.release!;
        r1 = s1.digests;
        r2 = { ...r1, ...s2.digests };
        repo.run("checkout", "-q", "-b", "production", root);
        repo.merge(s1.release!);
        const p1 = repo.ci("production", root);
        assert.deepStrictEqual(p1.decision.promote, r1);
        m2 = repo.merge(stagingR2);
        const p2 = repo.ci("production", p1.release!);
        assert.deepStrictEqual(p2.decision.promote, { "user-service": r2["user-service"] });
        releaseR2 = p2.release!;
        assert.strictEqual(pinIn(repo.read(USER_PROD), "user-service")!.digest, r2["user-service"]);
    });
    let branches = 0;
    const fromProduction = () => repo.run("checkout", "-q", "-B", `production-${++branches}`, releaseR2);

    it("the Revert button on the promotion pull request: production pins r1 again (promoted before, but the revert moves staging's pin back to it)", () => {
        fromProduction();
        const revert = repo.revertThroughPullRequest(m2);
        // The revert pull request's `delivery (what merging does)` check, then the push run: the same decision.
        const { json, result } = repo.decide("production", releaseR2, revert, "--registry", PREFIX.production);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual([json.promote, json.build, json.layers, json.verify], [{ "user-service": r1["user-service"] }, [], [], true]);
        assert.match(result.err, /user-service: promote sha256:\w+ \(verified in staging at \w+, again: this range moves staging's pin back to it \(a rollback\)\)/);
        assert.strictEqual(result.outputs.deploy, "true", "the deploy job pins it: production's one approval");
        const copied = repo.production.copied.length;
        const { release } = repo.ci("production", releaseR2);
        assert.strictEqual(pinIn(repo.read(USER_PROD), "user-service")!.digest, r1["user-service"], "production runs r1 again");
        assert.strictEqual(pinIn(repo.read(FRONT_PROD), "frontend")!.digest, r1.frontend, "the frontend, which the promotion did not move, stays");
        assert.strictEqual(repo.production.copied.length, copied, "r1 is still in production's registry: nothing copied");
        const own = repo.decide("production", revert, release!, "--registry", PREFIX.production);
        assert.deepStrictEqual([own.json.promote, own.json.verify, own.result.code], [{}, false, 0], "the release commit's own push does nothing more");
    });

    it("staging's rollback merged into production: production pins r1 again", () => {
        repo.run("checkout", "-q", "-B", `staging-${++branches}`, stagingR2);
        const stagingRevert = repo.revertThroughPullRequest(stagingR2);
        const staging = repo.ci("staging", stagingR2);
        assert.deepStrictEqual([staging.decision.build, staging.release, staging.decision.verify], [[], undefined, true], "staging's rollback: no build, no release, verified");
        repo.verifyStaging(stagingRevert);
        const stagingBranch = repo.run("rev-parse", "--abbrev-ref", "HEAD");
        fromProduction();
        const promotion = repo.merge(stagingBranch);
        const { json, result } = repo.decide("production", releaseR2, promotion, "--registry", PREFIX.production);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual(json.promote, { "user-service": r1["user-service"] });
        repo.ci("production", releaseR2);
        assert.strictEqual(pinIn(repo.read(USER_PROD), "user-service")!.digest, r1["user-service"]);
    });

    it("a pull request reverting production's release commit: the pin goes back in the revert itself, nothing is promoted (no approval asked)", () => {
        fromProduction();
        const revert = repo.revertThroughPullRequest(releaseR2);
        const { json, result } = repo.decide("production", releaseR2, revert, "--registry", PREFIX.production);
        assert.strictEqual(result.code, 0, result.err);
        assert.deepStrictEqual([json.promote, json.build, json.layers, json.verify], [{}, [], [], true]);
        assert.strictEqual(json.images["user-service"], `user-service@${r1["user-service"]}`);
        assert.strictEqual(result.outputs.deploy, "false");
        assert.match(result.err, /was promoted before and production's pin moved since/);
        const docs = repo.change("README.md", "# shop\nafter the rollback\n");
        assert.deepStrictEqual(repo.decide("production", revert, docs).json.promote, {}, "later pushes keep the rollback: r2 is not promoted again");
    });
});

describe("delivery: the command line", () => {
    let repo: ScratchRepo;
    before(() => {
        repo = scratch();
    });

    it("bad arguments exit 2 (the usage is printed by runTool); unknown environments and services are named", () => {
        const cases: [string[], RegExp][] = [
            [[], /the environment is required/],
            [["dev", "--base", "HEAD", "--head", "HEAD"], /stack name = "dev".*staging, production/],
            [["staging", "--head", "HEAD"], /--base is required/],
            [["staging", "--base", "HEAD"], /--head is required/],
            [["staging", "--base", "HEAD", "--head", "HEAD", "--force"], /unknown option --force/],
            [["staging", "production", "--base", "HEAD", "--head", "HEAD"], /unexpected argument production/],
            [["pin", "staging"], /at least one <service>=<tag-or-digest>/],
            [["pin", "staging", "billing=sha256:" + "a".repeat(64)], /unknown service billing \(known: frontend, user-service\)/],
            [["pin", "staging", "user-service"], /is not <service>=<tag-or-digest>/],
            [["pin", "staging", "user-service=sha256:abc"], /allowed a digest \(sha256:<64 hex>\) or an image tag/],
            [["pin", "staging", "user-service=v1"], /is a tag: give --registry/],
            [["pin", "production", "user-service=v1", "--registry", PREFIX.production], /production pins the digests staging verified, not tags/],
            [["pin", "staging", "user-service=v1", "--registry", "nowhere"], /--registry "nowhere": allowed <12-digit account>/],
            [["pin", "staging", "user-service=v1", "--copy-from", PREFIX.staging], /--copy-from needs --registry/],
            [["pin", "staging", "user-service=v1", "--registry", PREFIX.staging, "--skip-ci"], /unknown option --skip-ci/],
        ];
        for (const [argv, message] of cases) {
            const r = repo.delivery(...argv);
            assert.strictEqual(r.code, 2, `${argv.join(" ")}: ${r.err}`);
            assert.match(r.err, message, argv.join(" "));
        }
        assert.match(USAGE, /npm run -s delivery -- <staging\|production> --base <ref> --head <ref>/);
        assert.match(USAGE, /npm run -s delivery -- pin <staging\|production> <service>=<tag-or-digest>/);
    });

    it("prints one JSON document with layers, build and images (and promote, sources, verify); the GitHub outputs carry the same", () => {
        const r = repo.delivery("staging", "--base", repo.head(), "--head", repo.head());
        const json = JSON.parse(r.out);
        assert.deepStrictEqual(Object.keys(json), ["layers", "build", "images", "promote", "sources", "verify"]);
        assert.deepStrictEqual(JSON.parse(r.outputs.layers), json.layers);
        assert.deepStrictEqual(JSON.parse(r.outputs.build), json.build);
        assert.deepStrictEqual(JSON.parse(r.outputs.images), json.images);
        assert.strictEqual(r.outputs.verify, String(json.verify));
    });

    it("a head that is no commit fails (exit 1), naming it", () => {
        const r = repo.delivery("staging", "--base", "HEAD", "--head", "no-such-ref");
        assert.strictEqual(r.code, 1);
        assert.match(r.err, /--head no-such-ref is not a commit/);
    });
});
