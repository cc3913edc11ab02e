/**
 * The pull-request workflow posts the plan: one comment per environment, updated on each push. The job that runs the
 * pull request's code has a read-only token; the job that writes the comment runs none of it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../lib/environment";
import { commentMarker } from "../../tools/plan-markdown";

interface Step {
    id?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    needs?: string | string[];
    if?: string;
    permissions: Record<string, string>;
    outputs?: Record<string, string>;
    steps: Step[];
}

const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "pull-request.yml"), "utf8"));
const jobs: Record<string, Job> = workflow.jobs;

describe("pull-request workflow: the plan comment", () => {
    it("plans the merge commit against its first parent (the base), as a PR comment, from a shallow history of two commits", () => {
        const plan = jobs.plan;
        const checkout = plan.steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
        assert.strictEqual(checkout.with!["fetch-depth"], 2);
        assert.strictEqual(checkout.with!["persist-credentials"], false);
        const step = plan.steps.find((s) => s.id === "plan")!;
        assert.match(step.run!, /npm run -s plan -- "\$ENVIRONMENT" --base HEAD\^1 --markdown --out "\$RUNNER_TEMP\/plan\.md"/);
        assert.strictEqual(step.env!.ENVIRONMENT, "${{ github.base_ref }}");
        assert.match(step.run!, /GITHUB_STEP_SUMMARY/, "the run page shows it too");
        assert.match(step.run!, /exit "\$code"$/m, "a failing plan fails the check");
        assert.strictEqual(plan.outputs!.comment, "${{ steps.plan.outputs.comment }}");
    });

    it("the job running the pull request's code may only read; the comment job writes comments and runs no code of it", () => {
        assert.deepStrictEqual(jobs.plan.permissions, { contents: "read" });
        const comment = jobs["plan-comment"];
        assert.deepStrictEqual(comment.permissions, { "pull-requests": "write" });
        assert.deepStrictEqual(comment.needs, "plan");
        assert.ok(!comment.steps.some((s) => s.uses !== undefined), "no checkout, no action: nothing of the pull request runs");
        assert.match(comment.if!, /^always\(\) && needs\.plan\.outputs\.comment != '' && github\.event\.pull_request\.head\.repo\.full_name == github\.repository$/, "posts after a failing plan too, never for forks");
    });

    it("updates the one comment that starts with the plan's marker, else creates it", () => {
        const step = jobs["plan-comment"].steps[0];
        assert.strictEqual(step.env!.COMMENT, "${{ needs.plan.outputs.comment }}");
        // The marker the workflow looks for is the one tools/plan-markdown.ts writes.
        assert.ok(step.run!.includes(`marker="${commentMarker("$ENVIRONMENT")}"`));
        assert.match(step.run!, /jq -r --arg marker "\$marker" '\.\[\] \| select\(\.user\.login == "github-actions\[bot\]" and \(\.body \| startswith\(\$marker\)\)\) \| \.id'/);
        assert.match(step.run!, /gh api --method PATCH "repos\/\$REPOSITORY\/issues\/comments\/\$id"/);
        assert.match(step.run!, /gh api --method POST "repos\/\$REPOSITORY\/issues\/\$PULL_REQUEST\/comments"/);
    });
});
