/**
 * npm run destroy (tools/destroy.ts, tools/destroy-plan.ts): the dry run's ordered steps for both environments
 * (production protected and not), and the real destroy taking exactly those steps against the fake Automation API
 * workspace and a fake AWS CLI (fixtures; nothing calls AWS). Expectations come from the environment's program
 * graph (lib/offline), never from a copy of its resources.
 */
import * as assert from "assert";
import { isAdministratorOwned } from "../../infra/identity";
import { AwsCli } from "../../lib/aws-cli";
import { EnvironmentRun, environmentGraph, runEnvironment } from "../../lib/offline";
import { clusterOwnedTagKey } from "../../lib/tags";
import { LOAD_BALANCER_CONTROLLER_CLUSTER_TAG } from "../../tools/aws-leftovers";
import { DestroyDeps, dryRunSample, main } from "../../tools/destroy";
import { README, generatedBlock } from "./readme-blocks";
import { RELEASE_APP_SECRET } from "../../ci/ci-context";
import { REPOSITORY_SECRET_KEY } from "../../apps/repository";
import { NOTIFICATIONS_SECRET } from "../../platform/addons/argocd";
import { LOAD_BALANCER_WAIT_SECONDS, WAIT_INTERVAL_SECONDS } from "../../tools/destroy-plan";
import { StateResource } from "../../tools/stacks";
import { FakeOptions, LOCKED_STDERR, fakeWorkspace, tempRoot, withSettings } from "./fake-workspace";

const UNPROTECTED = { "infra:protect": false, "platform:protect": false, "apps:protect": false };
const EXPOSED = {
    "platform:certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
    "platform:argocdHostname": "argocd.staging.example.com",
    // ArgoCD is exposed only with SSO or to listed sources.
    "platform:uiAccessCidrs": ["198.51.100.0/24"],
};

// The graphs of the variants are evaluated once each, and only by the tests that need them.
const variants = new Map<string, Promise<EnvironmentRun>>();
const variant = (env: string, config: Record<string, unknown>, through?: "platform") => {
    const key = `${env}:${JSON.stringify(config)}:${through}`;
    if (!variants.has(key)) variants.set(key, runEnvironment(env, { config, through }));
    return variants.get(key)!;
};
/** What the exposure tests need is the platform's releases: apps is not evaluated. */
const exposed = () => variant("staging", EXPOSED, "platform");

const VPC = "vpc-0123456789abcdef0";
const INFRA_OUTPUTS = (env: string) => ({ clusterName: `gitops-${env}`, vpcId: VPC, region: "us-east-1" });

/** A fake AWS CLI: answers by command from `answer(command, poll)`, counting the polls of each command; records every call. */
function fakeAws(answer: (command: string, poll: number) => object | Error = () => ({})) {
    const calls: string[][] = [];
    const polls = new Map<string, number>();
    const aws: AwsCli = (args) => {
        calls.push(args);
        const command = args.slice(0, 2).join(" ");
        const poll = polls.get(command) ?? 0;
        polls.set(command, poll + 1);
        const result = answer(command, poll);
        if (result instanceof Error) return { status: 254, stdout: "", stderr: result.message };
        return { status: 0, stdout: JSON.stringify(result), stderr: "" };
    };
    return { aws, calls };
}

function destroyDeps(o: FakeOptions & { graph?: Promise<EnvironmentRun>; aws?: AwsCli } = {}) {
    const f = fakeWorkspace({ outputs: { infra: INFRA_OUTPUTS("staging") }, ...o });
    let clock = 0;
    const slept: number[] = [];
    const deps: DestroyDeps = {
        ...f.deps,
        graph: (env) => o.graph ?? environmentGraph(env),
        aws: o.aws ?? fakeAws().aws,
        sleep: async (seconds) => {
            slept.push(seconds);
            clock += seconds;
        },
        now: () => clock,
    };
    return { ...f, deps, slept };
}

/** The step lines of a printed plan: "kind title". */
const stepLines = (text: string) => [...text.matchAll(/^\s+\d+\. (\w+)\s+(.+)$/gm)].map((m) => `${m[1]} ${m[2]}`);

describe("npm run destroy: the plan (--dry-run)", () => {
    it("staging: apps, the load-balancer wait, platform, the VPC wait, infra, in that order, and exit 0", async () => {
        const f = destroyDeps();
        assert.strictEqual(await main(["staging", "--dry-run"], f.deps, {}), 0, f.err.join("\n"));
        assert.deepStrictEqual(f.calls, [], "a dry run opens no stack");
        const text = f.out.join("\n");
        assert.deepStrictEqual(stepLines(text), [
            "check the settings allow the destroy",
            "check the stacks can be destroyed",
            "destroy apps: pulumi destroy",
            "wait the load balancers, target groups and security groups the AWS Load Balancer Controller made are gone",
            "destroy platform: pulumi destroy",
            "wait the network interfaces and volumes left in the VPC have settled",
            "destroy infra: pulumi destroy --exclude-protected",
            "report what stays, and how an administrator removes it",
        ]);
        const graph = await environmentGraph("staging");
        const cluster = graph.infra.outputs.clusterName;
        assert.match(text, new RegExp(`^Destroy of staging \\(stack staging, cluster ${cluster}\\)`));
        assert.ok(text.includes(`the Applications, in this order: ${[...graph.apps!.outputs.applicationNames].reverse().join(", ")}; each carries resources-finalizer.argocd.argoproj.io`));
        assert.ok(text.includes(`tagged ${LOAD_BALANCER_CONTROLLER_CLUSTER_TAG}=${cluster}`));
        assert.ok(text.includes(`up to ${LOAD_BALANCER_WAIT_SECONDS / 60} min`));
        assert.ok(text.includes(`${clusterOwnedTagKey(cluster)}=owned`));
        const releases = graph.platform!.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.name);
        assert.ok(text.includes(`the add-ons in reverse install order (${[...releases].reverse().join(", ")})`));
        assert.match(text, /the gp3 class deletes their volumes/);
        const infraStep = text.split("\n")[text.split("\n").findIndex((l) => /destroy infra:/.test(l)) + 1];
        const keys = graph.infra.ofType("aws:kms/key:Key");
        assert.ok(keys.length >= 2);
        for (const key of keys) assert.ok(infraStep.includes(key.name) && infraStep.includes(`${key.inputs.deletionWindowInDays}-day window`), `${key.name}: ${infraStep}`);
        assert.doesNotMatch(text, /Refused/);
    });

    it("staging: what stays is CI's protected identity (from the graph), the KMS key's window and the empty stacks, each with how to remove it", async () => {
        const f = destroyDeps();
        await main(["staging", "--dry-run", "--org", "acme"], f.deps, {});
        const text = f.out.join("\n");
        const identity = (await environmentGraph("staging")).infra.resources.filter((r) => r.protect && isAdministratorOwned(r)).map((r) => `${r.name} (${r.type.split(":")[1]})`);
        assert.ok(identity.length >= 5);
        assert.ok(text.includes(`CI's identity, protected in every environment (the deploy role may not delete it): ${identity.join(", ")}`));
        assert.match(text, /pulumi -C infra state unprotect --all --yes -s acme\/staging\n\s+pulumi -C infra destroy --yes -s acme\/staging/);
        assert.match(text, /the KMS key cluster-secrets: scheduled for deletion, deleted after 7 days/);
        assert.match(text, /EBS volumes whose claims kept reclaimPolicy Retain.*\n\s+aws ec2 create-snapshot.*\n\s+aws ec2 delete-volume --volume-id <id>/);
        assert.match(text, /pulumi -C apps stack rm --yes -s acme\/staging/);
        assert.doesNotMatch(text, /secrets in their recovery window/, "staging's generated secrets are deleted at once");
        assert.match(text, /the KMS key logs-and-secrets: scheduled for deletion, deleted after 7 days/, "every key");
    });

    it("what stays lists the secrets an administrator stored by hand, named from the settings, each with how to delete it (both environments)", async () => {
        const PAGERDUTY = { "platform:alertmanagerPagerDutySecret": "pagerduty/routing-key", "platform:alarmPagerDutyUrlSecret": "pagerduty/cloudwatch-url" };
        for (const env of ["staging", "production"]) {
            const f = destroyDeps({ root: tempRoot((r) => withSettings(r, env, PAGERDUTY)) });
            await main([env, "--dry-run"], f.deps, {});
            const text = f.out.join("\n");
            const prefix = `gitops-${env}`;
            const names = [`${prefix}/${RELEASE_APP_SECRET}`, `${prefix}/${NOTIFICATIONS_SECRET}`, `${prefix}/${REPOSITORY_SECRET_KEY}`, `${prefix}/pagerduty/routing-key`, `${prefix}/pagerduty/cloudwatch-url`];
            assert.match(text, /the secrets an administrator stored by hand \(no stack holds them\), those that exist: /, env);
            for (const name of names) assert.ok(text.includes(`aws secretsmanager delete-secret --region us-east-1 --secret-id ${name}\n`), `${env}: ${name}`);
            assert.match(text, /gitops-\w+\/pagerduty\/routing-key \(Alertmanager's PagerDuty routing key, platform:alertmanagerPagerDutySecret\)/);
            assert.match(text, /\(platform:argocdSso\.clientSecretKey: not set, so nothing was stored for them\)/);
            assert.match(text, /uninstall them there once no environment uses them/);
        }
        const committed = destroyDeps();
        await main(["staging", "--dry-run"], committed.deps, {});
        assert.match(committed.out.join("\n"), /\(platform:alertmanagerPagerDutySecret, platform:alarmPagerDutyUrlSecret, platform:argocdSso\.clientSecretKey: not set/);
    });

    it("production as committed (protected): exit 1, every layer's protected resources named with its setting, the flag required", async () => {
        const f = destroyDeps();
        assert.strictEqual(await main(["production", "--dry-run"], f.deps, {}), 1);
        const text = f.out.join("\n");
        assert.strictEqual(stepLines(text).length, 8, "the steps are printed too");
        assert.match(text, /Refused: the destroy would stop at step 1, before any change:/);
        const graph = await environmentGraph("production");
        for (const layer of ["apps", "platform"] as const) {
            const names = graph[layer]!.resources.filter((r) => r.protect).map((r) => r.name);
            assert.ok(names.length > 0);
            const line = text.split("\n").find((l) => l.includes(`${layer}:protect is true for production:`))!;
            assert.ok(line, layer);
            for (const name of names) assert.ok(line.includes(name), `${layer}: ${name}`);
            assert.match(line, new RegExp(`Set \`${layer}:protect: false\` in Pulumi\\.production\\.yaml through a reviewed pull request and deploy it`));
        }
        assert.match(text, /infra:protect is true for production: network-vpc \(awsx:ec2:Vpc\), cluster-secrets \(aws:kms\/key:Key\), cluster \(eks:index:Cluster\)|infra:protect is true for production: .*network-vpc.*cluster/);
        assert.match(text, /ECR repositories that are not force-deleted \(infra:protect\): gitops-production\/user-service/);
        assert.match(text, /production is destroyed only with --allow-production-destroy/);
        assert.match(text, /secrets in their recovery window .*gitops-production\/apps\/mysql \(30 days\)/);

        const flagged = destroyDeps();
        assert.strictEqual(await main(["production", "--dry-run", "--allow-production-destroy"], flagged.deps, {}), 1);
        assert.doesNotMatch(flagged.out.join("\n"), /--allow-production-destroy \(the destroy workflow/);
    });

    it("production with the protect settings off (the reviewed change deployed) and the flag: the same steps, nothing refused", async () => {
        const root = tempRoot((r) => withSettings(r, "production", UNPROTECTED));
        const f = destroyDeps({ root, graph: variant("production", UNPROTECTED) });
        assert.strictEqual(await main(["production", "--dry-run", "--allow-production-destroy"], f.deps, {}), 0, f.out.join("\n"));
        const text = f.out.join("\n");
        const staging = destroyDeps();
        await main(["staging", "--dry-run"], staging.deps, {});
        assert.deepStrictEqual(stepLines(text), stepLines(staging.out.join("\n")), "the same order in both environments");
        assert.match(text, /apps:protect false, platform:protect false, infra:protect false\); --allow-production-destroy is given \(now: yes\)/);
        assert.match(text, /the bucket gitops-production-alb-\d+-us-east-1 with every object in it/);
        assert.match(text, /the KMS key cluster-secrets: scheduled for deletion, deleted after 7 days/);
        assert.doesNotMatch(text, /Refused|secrets in their recovery window/);
    });

    it("README's sample is what the staging dry run prints (npm run readme renders it from the command)", async () => {
        const f = destroyDeps();
        await main(["staging", "--dry-run"], f.deps, {});
        assert.strictEqual(generatedBlock("destroy-sample"), ["```", "$ npm run destroy -- staging --dry-run", ...f.out, "```"].join("\n"), "README.md is stale: run `npm run readme`");
        assert.strictEqual(await dryRunSample("staging"), generatedBlock("destroy-sample"));
        assert.doesNotMatch(README, /infra:githubOidcProviderArn/, "a setting that no longer exists");
    });

    it("--json: the same plan as one document (steps, blockers, what stays)", async () => {
        const f = destroyDeps();
        assert.strictEqual(await main(["production", "--dry-run", "--json"], f.deps, {}), 1);
        const plan = JSON.parse(f.out.join("\n"));
        assert.deepStrictEqual(plan.steps.map((s: any) => s.kind), ["check", "check", "destroy", "wait", "destroy", "wait", "destroy", "report"]);
        assert.deepStrictEqual(plan.steps.filter((s: any) => s.kind === "destroy").map((s: any) => [s.layer, s.excludeProtected]), [["apps", false], ["platform", false], ["infra", true]]);
        assert.strictEqual(plan.clusterName, "gitops-production");
        assert.ok(plan.blockers.length >= 4);
        assert.ok(plan.stays.some((s: any) => /CI's identity/.test(s.what)));
    });

    it("a platform that publishes Ingresses on the shared ALB: those add-ons go first (targeted), then the wait, then the rest", async () => {
        const f = destroyDeps({ graph: exposed() });
        assert.strictEqual(await main(["staging", "--dry-run", "--json"], f.deps, {}), 0);
        const plan = JSON.parse(f.out.join("\n"));
        assert.deepStrictEqual(
            plan.steps.map((s: any) => `${s.kind} ${s.layer ?? s.wait ?? s.check ?? ""}`.trim()),
            ["check settings", "check stacks", "destroy apps", "destroy platform", "wait load-balancers", "destroy platform", "wait vpc", "destroy infra", "report"],
        );
        assert.deepStrictEqual(plan.steps[3].targets, [{ type: "kubernetes:helm.sh/v3:Release", name: "argocd" }]);
        assert.strictEqual(plan.steps[5].targets, undefined);
    });

    it("bad command lines exit 2 before anything runs", async () => {
        for (const argv of [["dev", "--dry-run"], [], ["staging", "--json"], ["staging", "--preview"]]) {
            const f = destroyDeps();
            assert.strictEqual(await main(argv, f.deps, {}), 2, argv.join(" "));
            assert.deepStrictEqual(f.calls, []);
            assert.match(f.err.join("\n"), /Usage:/);
        }
    });
});

describe("npm run destroy: the real destroy takes exactly the plan's steps", () => {
    const lbAnswer = (remainingPolls: number) => (command: string, poll: number) => {
        const present = poll < remainingPolls;
        const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/k8s-gitopsstaging-1/abc";
        if (command === "elbv2 describe-load-balancers") return { LoadBalancers: present ? [{ LoadBalancerArn: arn, LoadBalancerName: "k8s-gitopsstaging-1", VpcId: VPC, State: { Code: "active" } }] : [] };
        if (command === "elbv2 describe-tags") return { TagDescriptions: [{ ResourceArn: arn, Tags: [{ Key: LOAD_BALANCER_CONTROLLER_CLUSTER_TAG, Value: "gitops-staging" }] }] };
        return {};
    };

    it("staging: every step's header in the plan's order, the layers destroyed between the waits, infra without its protected identity", async () => {
        const { aws, calls } = fakeAws(lbAnswer(2));
        const f = destroyDeps({ root: tempRoot(), aws });
        assert.strictEqual(await main(["staging", "--org", "acme"], f.deps, {}), 0, f.err.join("\n"));
        const text = f.out.join("\n");
        const planned = stepLines(text);
        const executed = [...text.matchAll(/^==> \d+\/\d+ (.+)$/gm)].map((m) => m[1]);
        assert.deepStrictEqual(executed, planned, "one step list drives the dry run and the destroy");
        assert.deepStrictEqual(f.ops(), ["destroy apps", "destroy platform", "destroy infra"]);
        assert.deepStrictEqual(f.calls.filter((c) => c.op === "destroy").map((c) => c.options.excludeProtected), [undefined, undefined, true]);
        // The load balancer was there twice: the wait polled until it was gone (and once more to be sure), before platform.
        assert.deepStrictEqual(f.slept, Array(4).fill(WAIT_INTERVAL_SECONDS), "three polls for the load balancer (two with it, one without), one for the VPC");
        const commands = calls.map((c) => c.slice(0, 2).join(" "));
        assert.ok(commands.indexOf("elbv2 describe-load-balancers") >= 0 && commands.includes("ec2 describe-volumes"));
        assert.ok(calls.every((c) => c.includes("--region") && c.at(-1) === "json"), "every call names the region and asks for JSON");
        assert.match(text, /load balancers: 1 left after 0 s \(load balancer k8s-gitopsstaging-1 \(active\)\)/);
        assert.match(text, /Done: staging destroyed, but for what stays/);
    });

    it("a load balancer that never goes: the destroy stops after the timeout, before platform, naming it and how to delete it", async () => {
        const { aws } = fakeAws(lbAnswer(Infinity));
        const f = destroyDeps({ root: tempRoot(), aws });
        assert.strictEqual(await main(["staging"], f.deps, {}), 1);
        assert.deepStrictEqual(f.ops(), ["destroy apps"], "the controller stays while its load balancer does");
        const text = f.err.join("\n");
        assert.match(text, new RegExp(`✗ after ${LOAD_BALANCER_WAIT_SECONDS} s, 1 remain:`));
        assert.match(text, /load balancer arn:aws:elasticloadbalancing:.*: k8s-gitopsstaging-1 \(active\)\n\s+aws elbv2 delete-load-balancer --region us-east-1 --load-balancer-arn arn:/);
        assert.match(text, /Stopped at step 4; not run:\n\s+5\. destroy platform: pulumi destroy/);
    });

    it("volumes: attached ones are waited for; detached ones that stay are listed at the end with how to delete them", async () => {
        const volumes = (poll: number) => ({
            Volumes: [
                { VolumeId: "vol-retained", State: "available", Size: 20, Tags: [{ Key: "kubernetes.io/created-for/pvc/name", Value: "data-mysql-0" }, { Key: "kubernetes.io/created-for/pvc/namespace", Value: "data" }] },
                ...(poll < 1 ? [{ VolumeId: "vol-detaching", State: "in-use", Size: 5 }] : []),
            ],
        });
        const { aws, calls } = fakeAws((command, poll) => (command === "ec2 describe-volumes" ? volumes(poll) : command === "ec2 describe-network-interfaces" ? { NetworkInterfaces: [{ NetworkInterfaceId: "eni-node", Status: "in-use", Description: "aws-K8S-i-0abc" }] } : {}));
        const f = destroyDeps({ root: tempRoot(), aws });
        assert.strictEqual(await main(["staging"], f.deps, {}), 0, f.err.join("\n"));
        const text = f.out.join("\n");
        assert.match(text, /interfaces and volumes: 1 left after 0 s \(volume 5 GiB, in-use\)/);
        assert.match(text, /1 detached volume\(s\) of the cluster stay \(reclaimPolicy Retain\):\n\s+- vol-retained: 20 GiB, available, made for the claim data\/data-mysql-0\n\s+aws ec2 delete-volume --region us-east-1 --volume-id vol-retained/);
        assert.doesNotMatch(text, /eni-node/, "the nodes' interfaces go with infra");
        const volumeCall = calls.find((c) => c[1] === "describe-volumes")!;
        assert.ok(volumeCall.includes(`Name=tag:${clusterOwnedTagKey("gitops-staging")},Values=owned`));
    });

    it("the stacks are checked first: a locked stack, or a protect change not deployed yet, changes nothing", async () => {
        const locked = destroyDeps({ root: tempRoot(), lastUpdate: { platform: { kind: "update", result: "in-progress", startTime: "2026-11-24T22:10:00Z" } } });
        assert.strictEqual(await main(["staging"], locked.deps, {}), 1);
        assert.deepStrictEqual(locked.ops(), []);
        assert.match(locked.err.join("\n"), /Not started \(step 2, the stacks\): nothing was changed\.\n\s+- platform \(stack staging\) is locked/);

        const secret: StateResource = { urn: "urn:pulumi:production::apps::gitops:apps:WorkloadCredentials$aws:secretsmanager/secret:Secret::credentials-mysql", type: "aws:secretsmanager/secret:Secret", protect: true };
        const root = tempRoot((r) => withSettings(r, "production", UNPROTECTED));
        const stale = destroyDeps({ root, graph: variant("production", UNPROTECTED), state: { apps: [secret] }, outputs: { infra: INFRA_OUTPUTS("production") } });
        assert.strictEqual(await main(["production", "--allow-production-destroy"], stale.deps, {}), 1);
        assert.deepStrictEqual(stale.ops(), []);
        assert.match(stale.err.join("\n"), /apps \(stack production\) still protects credentials-mysql \(aws:secretsmanager\/secret:Secret\) in its state: the change of apps:protect is not deployed yet\.\n\s+Deploy the settings first/);
    });

    it("infra's expected protected identity does not stop it, and is what the report lists as held", async () => {
        const identity = (await environmentGraph("staging")).infra.resources.filter((r) => r.protect && r.type.startsWith("aws:iam/"));
        const state = identity.map((r): StateResource => ({ urn: `urn:pulumi:staging::infra::x$${r.type}::${r.name}`, type: r.type, protect: true }));
        const f = destroyDeps({ root: tempRoot(), state: { infra: state } });
        assert.strictEqual(await main(["staging"], f.deps, {}), 0, f.err.join("\n"));
        assert.match(f.out.join("\n"), new RegExp(`infra \\(stack staging\\) still holds ${state.length} resource\\(s\\):\\n\\s+- aws:iam/`));
    });

    it("a platform that publishes Ingresses: the targeted destroy names their URNs from the state, with their dependents", async () => {
        const urn = "urn:pulumi:staging::platform::gitops:platform:Argocd$kubernetes:helm.sh/v3:Release::argocd";
        const f = destroyDeps({ root: tempRoot((r) => withSettings(r, "staging", EXPOSED)), graph: exposed(), state: { platform: [{ urn, type: "kubernetes:helm.sh/v3:Release" }] } });
        assert.strictEqual(await main(["staging"], f.deps, {}), 0, f.err.join("\n"));
        const destroys = f.calls.filter((c) => c.op === "destroy");
        assert.deepStrictEqual(destroys.map((c) => c.layer), ["apps", "platform", "platform", "infra"]);
        assert.deepStrictEqual([destroys[1].options.target, destroys[1].options.targetDependents], [[urn], true]);
        assert.strictEqual(destroys[2].options.target, undefined);
    });

    it("a failed layer or an AWS error stops the destroy there, naming the steps not run; a lock gets the recovery advice", async () => {
        const failing = destroyDeps({ root: tempRoot(), failOn: { platform: LOCKED_STDERR } });
        assert.strictEqual(await main(["staging"], failing.deps, {}), 1);
        assert.deepStrictEqual(failing.ops(), ["destroy apps", "destroy platform"]);
        const text = failing.err.join("\n");
        assert.match(text, /platform \(stack staging\) is locked/);
        assert.match(text, /Stopped at step 5; not run:\n\s+6\. wait .*\n\s+7\. destroy infra/);

        const denied = destroyDeps({ root: tempRoot(), aws: fakeAws(() => new Error("An error occurred (UnauthorizedOperation) when calling the DescribeLoadBalancers operation")).aws });
        assert.strictEqual(await main(["staging"], denied.deps, {}), 1);
        assert.deepStrictEqual(denied.ops(), ["destroy apps"]);
        assert.match(denied.err.join("\n"), /✗ could not ask AWS: aws elbv2 describe-load-balancers failed \(exit 254\): .*UnauthorizedOperation/);
    });

    it("a layer that has no stack is skipped; a cluster that was never deployed skips the waits", async () => {
        const f = destroyDeps({ root: tempRoot(), missingStacks: ["apps"], outputs: {} });
        assert.strictEqual(await main(["staging"], f.deps, {}), 0, f.err.join("\n"));
        assert.deepStrictEqual(f.ops(), ["destroy platform", "destroy infra"]);
        const text = f.out.join("\n");
        assert.match(text, /apps: no stack staging, nothing to destroy/);
        assert.strictEqual((text.match(/skipped: infra has no outputs/g) ?? []).length, 2);
    });

    it("production: refused without --allow-production-destroy (exit 2), and while protected (exit 1), before any stack is opened", async () => {
        const noFlag = destroyDeps({ root: tempRoot() });
        assert.strictEqual(await main(["production"], noFlag.deps, {}), 2);
        assert.deepStrictEqual(noFlag.calls, []);
        assert.match(noFlag.err.join("\n"), /Refusing to destroy production without --allow-production-destroy/);

        const protectedRun = destroyDeps({ root: tempRoot() });
        assert.strictEqual(await main(["production", "--allow-production-destroy"], protectedRun.deps, {}), 1);
        assert.deepStrictEqual(protectedRun.calls, []);
        assert.match(protectedRun.err.join("\n"), /Not started \(step 1, the settings\)/);
        assert.match(protectedRun.out.join("\n"), /infra:protect is true for production/);
    });
});
