/**
 * Every workflow job's timeout-minutes against tools/timeouts.ts: a job that runs the program's waits gets exactly
 * what they add up to (so Pulumi always ends before the job is killed), every other job a bounded one, and no job's
 * AWS credentials expire before it ends. Works on whatever jobs the workflows have: a job's waits are read from its
 * steps. The waits themselves come from the program graph; a hand-made graph checks the arithmetic.
 */
import * as assert from "assert";
import { WORKLOADS, WorkloadName } from "../../lib/catalogue";
import { DEPLOY_SESSION_SECONDS } from "../../infra/github-ci";
import { environmentGraph, LayerRun, RecordedResource } from "../../lib/offline";
import {
    Budget,
    GITHUB_HOSTED_JOB_LIMIT_MINUTES,
    MAX_MINUTES_WITHOUT_WAITS,
    PULUMI_COMMAND_MINUTES,
    SETUP_MINUTES,
    committedBudget,
    criticalPathMinutes,
    jobBudget,
    pulumiTokenSeconds,
    timeoutsTable,
    workflowJobs,
} from "../../tools/timeouts";
import { README, generatedBlock } from "./readme-blocks";

describe("CI job timeouts are derived from the program's own waits (tools/timeouts.ts)", () => {
    let budget: Budget;
    before(async () => {
        budget = await committedBudget();
    });
    const jobs = workflowJobs().filter(([, , job]) => !job.uses);

    it("every job that runs the program's waits has the timeout they add up to (setup, each Pulumi command, each wait)", () => {
        const waiting = jobs.filter(([, , job]) => jobBudget(job, budget).minutes !== undefined);
        assert.ok(waiting.some(([f]) => f === "deploy.yml") && waiting.some(([f]) => f === "destroy.yml"), "the deploy's Pulumi ups and waits, the destroy");
        for (const [file, id, job] of waiting) {
            const b = jobBudget(job, budget);
            const breakdown = `${SETUP_MINUTES} setup + ${b.waits.map((w) => `${w.minutes} (${w.step})`).join(" + ")}`;
            assert.strictEqual(job["timeout-minutes"], b.minutes, `${file} ${id}: set timeout-minutes: ${b.minutes} = ${breakdown}, rounded up to 5`);
            assert.ok(b.minutes! <= GITHUB_HOSTED_JOB_LIMIT_MINUTES, `${file} ${id}: ${b.minutes} minutes is more than a GitHub-hosted job runs`);
        }
    });

    it("every other job ends within the bound for jobs without the program's waits", () => {
        for (const [file, id, job] of jobs) {
            if (jobBudget(job, budget).minutes !== undefined) continue;
            const t = job["timeout-minutes"];
            assert.ok(t !== undefined && t > 0 && t <= MAX_MINUTES_WITHOUT_WAITS, `${file} ${id}: timeout-minutes ${t}, allowed 1 to ${MAX_MINUTES_WITHOUT_WAITS}`);
        }
    });

    it("no job outlives its AWS credentials, and no job asks for more than its role allows (the roles' maxSessionDuration)", async () => {
        const graph = await environmentGraph("staging");
        const maxSession = (kind: string) => graph.infra.one("aws:iam/role:Role", `ci-${kind}`).inputs.maxSessionDuration as number;
        assert.strictEqual(maxSession("deploy"), DEPLOY_SESSION_SECONDS);
        for (const [file, id, job] of jobs) {
            for (const step of (job.steps ?? []).filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))) {
                const role = String(step.with!["role-to-assume"]);
                const kind = /preview/.test(role) ? "preview" : /drift/.test(role) ? "drift" : "deploy";
                const seconds = Number(step.with!["role-duration-seconds"] ?? 3600);
                assert.ok(seconds >= job["timeout-minutes"]! * 60, `${file} ${id}: credentials for ${seconds} s in a job of ${job["timeout-minutes"]} minutes`);
                assert.ok(seconds <= maxSession(kind), `${file} ${id}: ${seconds} s, the ci-${kind} role allows ${maxSession(kind)}`);
            }
        }
    });

    it("every Pulumi Cloud token is asked for the whole job (pulumi/auth-actions token-expiration = timeout-minutes in seconds)", () => {
        const asking = jobs.filter(([, , job]) => pulumiTokenSeconds(job).length > 0);
        assert.ok(asking.some(([f, id]) => f === "deploy.yml" && id === "deploy") && asking.some(([f]) => f === "destroy.yml"), "the long jobs ask for tokens");
        for (const [file, id, job] of asking) {
            for (const seconds of pulumiTokenSeconds(job)) {
                assert.strictEqual(seconds, job["timeout-minutes"]! * 60, `${file} ${id}: set token-expiration: ${job["timeout-minutes"]! * 60} (timeout-minutes ${job["timeout-minutes"]} x 60)`);
            }
        }
    });

    it("README's table of job timeouts is what tools/timeouts.ts renders (npm run readme)", async () => {
        assert.strictEqual(generatedBlock("job-timeouts"), await timeoutsTable(budget), "README.md is stale: run `npm run readme`");
        assert.match(generatedBlock("job-timeouts"), /\| `deploy.yml` deploy \| 285 \| 10 setup \+ 175 pulumi up infra/);
        assert.doesNotMatch(README, /deploy-infrastructure|sync-argocd/, "jobs that no longer exist");
    });

    it("the waits are the program's: platform's chain holds its longest Helm release wait, apps' the longest chain of Applications", async () => {
        const graphs = await Promise.all(["staging", "production"].map(environmentGraph));
        for (const g of graphs) {
            const helm = Math.max(...g.platform!.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.timeout / 60));
            assert.ok(budget.programWaits.up.platform >= helm && budget.programWaits.destroy.platform >= helm);
            // The catalogue's longest chain of `requires` (mysql -> user-service -> order-service -> frontend), each waited for up to its sync timeout.
            const depth = (w: WorkloadName): number => 1 + Math.max(0, ...WORKLOADS[w].requires.map(depth));
            const chain = Math.max(...(g.apps!.outputs.applicationNames as WorkloadName[]).map(depth));
            const sync = Number(g.apps!.ofType("kubernetes:argoproj.io/v1alpha1:Application")[0].customTimeouts!.create!.replace("m", ""));
            assert.strictEqual(budget.programWaits.up.apps, chain * sync);
            assert.strictEqual(budget.programWaits.destroy.apps, chain * sync, "the finalizers are waited for in reverse");
        }
        // An EKS upgrade: the control plane, the network add-ons, the node groups, the node add-ons, one after another.
        assert.ok(budget.programWaits.up.infra >= 60 + 20 + 60 + 20);
        assert.ok(budget.destroy > budget.programWaits.destroy.apps + budget.programWaits.destroy.platform + budget.programWaits.destroy.infra, "the destroy's own waits come on top");
    });

    it("the longest chain of a hand-made graph: parallel branches overlap, dependencies on a component wait for its children", () => {
        let n = 0;
        const r = (name: string, o: Partial<RecordedResource> = {}): RecordedResource =>
            ({ urn: `urn:${name}`, name, type: "test:index:Thing", custom: true, inputs: {}, state: {}, id: String(n++), protect: false, dependsOn: [], ignoreChanges: [], retainOnDelete: false, remote: false, ...o }) as RecordedResource;
        const resources = [
            r("release", { type: "kubernetes:helm.sh/v3:Release", inputs: { timeout: 600 } }), // 10 min
            r("component", { custom: false, dependsOn: ["urn:release"] }),
            r("child", { parent: "urn:component", customTimeouts: { create: "15m", delete: "5m" } }), // waits for release through its parent
            r("parallel", { customTimeouts: { create: "20m" }, dependsOn: ["urn:release"] }),
            r("last", { customTimeouts: { create: "1h" }, dependsOn: ["urn:component"] }), // waits for the component's child
            r("independent", { customTimeouts: { create: "30m" } }),
        ];
        const run = { resources } as unknown as LayerRun;
        assert.strictEqual(criticalPathMinutes(run, "up"), 10 + 15 + 60, "release -> child -> last; parallel and independent overlap");
        assert.strictEqual(criticalPathMinutes({ resources: resources.filter((x) => x.name !== "last") } as unknown as LayerRun, "up"), 30, "independent (30) against release -> parallel (30) and release -> child (25)");
        assert.strictEqual(criticalPathMinutes(run, "destroy"), 5 + 10, "deleted in reverse: child, then the release");
    });

    it("a step of CI's waiting helpers must name its --timeout (the budget reads it)", () => {
        const job = { steps: [{ name: "wait", run: "npx ts-node ci/argocd-wait.ts --namespace argocd" }] };
        assert.throws(() => jobBudget(job, budget), /wait: pass --timeout explicitly/);
        assert.deepStrictEqual(jobBudget({ steps: [{ name: "wait", run: "npx ts-node ci/health-check.ts --timeout 300" }] }, budget), { minutes: 15, waits: [{ step: "wait", minutes: 5 }] });
        assert.strictEqual(jobBudget({ steps: [{ uses: "pulumi/actions@v7", with: { command: "preview", "work-dir": "infra" } }] }, budget).minutes, undefined, "a preview waits for nothing");
        assert.strictEqual(
            jobBudget({ steps: [{ uses: "pulumi/actions@v7", with: { command: "up", "work-dir": "apps" } }] }, budget).minutes,
            Math.ceil((SETUP_MINUTES + budget.programWaits.up.apps + PULUMI_COMMAND_MINUTES) / 5) * 5,
        );
    });
});
