/**
 * --base and --markdown: a temporary git repository holding this working tree, a settings change, a code change and a
 * change of the workloads' overlays committed on top, and the plan of the head against the base: what is added,
 * removed and changed (resources, and the objects ArgoCD would sync), the cost delta per line and in total, the
 * capacity before and after, and the pull-request comment that says it (GitHub-flavoured markdown parsed with marked,
 * the diagram with Mermaid's own parser).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Token, Tokens } from "marked";
import { REPO_ROOT } from "../../lib/environment";
import { RenderedObject } from "../../lib/workloads";
import { costDelta, diffResources, fieldChanges } from "../../tools/plan-diff";
import { diffWorkloads, summarizeObject } from "../../tools/plan-workloads";
import { commentMarker, planMarkdown } from "../../tools/plan-markdown";
import { formatPlan, main, plan, planJson, PlanResult } from "../../tools/plan";
import { committedPlan, TempCheckout, tempCheckout } from "./fixture";

// mermaid and marked are ES modules: a real dynamic import (TypeScript would turn `import()` into `require()`).
const esmImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

async function mermaidParse(text: string): Promise<{ diagramType: string }> {
    // Mermaid sanitizes labels with DOMPurify, which needs a window in Node: parsing only needs its hooks to exist.
    const purify = (await esmImport("dompurify")).default;
    purify.addHook ??= () => undefined;
    purify.sanitize ??= (s: string) => s;
    const mermaid = (await esmImport("mermaid")).default;
    return mermaid.parse(text);
}

async function lex(markdown: string): Promise<Token[]> {
    return (await esmImport("marked")).marked.lexer(markdown);
}

const tables = (tokens: Token[]) => tokens.filter((t): t is Tokens.Table => t.type === "table");
const headings = (tokens: Token[]) => tokens.filter((t): t is Tokens.Heading => t.type === "heading").map((t) => t.text);

const MYSQL_OVERLAY = "apps/workloads/mysql/overlays/staging/kustomization.yaml";
const FRONTEND_OVERLAY = "apps/workloads/frontend/overlays/staging/kustomization.yaml";
/** The tag the staging overlay pins (whatever it is today: the test changes it). */
const MYSQL_TAG = /newTag: "([^"]+)"/.exec(fs.readFileSync(path.join(REPO_ROOT, MYSQL_OVERLAY), "utf8"))![1];

describe("plan --base: what a change does", () => {
    let repo: TempCheckout;
    let unchanged: PlanResult;
    let changed: PlanResult;
    let first: string;

    before(async function () {
        this.timeout(120000);
        repo = tempCheckout();
        first = repo.git("rev-parse", "HEAD").trim();
        unchanged = await plan({ env: "staging", root: repo.root, base: "HEAD" });
        // A settings change: a fourth node. A code change: ECR keeps ten images instead of five. A change of the
        // workloads' overlays (what most pull requests of a GitOps repository are): MySQL's image tag, the
        // frontend's HPA maximum and its memory request.
        repo.commitEdit("Pulumi.staging.yaml", "    desiredSize: 3\n", "    desiredSize: 4\n", "staging: a fourth node");
        repo.commitEdit("infra/settings.ts", 'r.int("ecrKeepImages", 5, 1, 1000)', 'r.int("ecrKeepImages", 10, 1, 1000)', "ECR keeps ten images");
        repo.commitEdit(MYSQL_OVERLAY, `newTag: "${MYSQL_TAG}"`, `newTag: "${MYSQL_TAG}-next"`, "mysql: the next image");
        repo.commitEdit(FRONTEND_OVERLAY, "        path: /spec/maxReplicas\n        value: 2\n", "        path: /spec/maxReplicas\n        value: 3\n", "frontend: up to 3 replicas");
        repo.commitEdit(FRONTEND_OVERLAY, "                    cpu: 20m\n                    memory: 32Mi\n", "                    cpu: 20m\n                    memory: 48Mi\n", "frontend: more memory");
        changed = await plan({ env: "staging", root: repo.root, base: "HEAD~5" });
    });
    after(() => repo?.remove());

    it("the same code and settings on both sides: no change, no delta", () => {
        assert.deepStrictEqual(unchanged.changes, []);
        assert.deepStrictEqual(unchanged.workloadChanges, [], "the workloads were compared, and are the same");
        assert.strictEqual(unchanged.costDelta!.deltaUsd, 0);
        assert.ok(unchanged.costDelta!.lines.every((l) => l.deltaUsd === 0));
        assert.strictEqual(unchanged.base!.commit, first);
    });

    it("a settings change and a code change: each changed resource with the inputs that differ, JSON documents compared inside", () => {
        const changes = changed.changes!;
        assert.ok(changes.every((c) => c.kind === "changed"), JSON.stringify(changes.map((c) => [c.kind, c.type, c.name])));
        const group = changes.find((c) => c.type === "aws:eks/nodeGroup:NodeGroup")!;
        assert.deepStrictEqual(group.fields, [{ path: "scalingConfig.desiredSize", base: "3", head: "4" }]);
        assert.strictEqual(group.baseSummary, "t3.small x 3 (min 1, max 4), ON_DEMAND, AL2023_x86_64_STANDARD");
        assert.strictEqual(group.summary, "t3.small x 4 (min 1, max 4), ON_DEMAND, AL2023_x86_64_STANDARD");
        const lifecycle = changes.filter((c) => c.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        assert.strictEqual(lifecycle.length, 4, "the four repositories");
        for (const c of lifecycle) {
            assert.deepStrictEqual(c.fields, [
                { path: "policy{json}.rules[0].description", base: '"Keep the newest 5 images"', head: '"Keep the newest 10 images"' },
                { path: "policy{json}.rules[0].selection.countNumber", base: "5", head: "10" },
            ]);
        }
        assert.deepStrictEqual(
            changes.map((c) => c.type).sort(),
            [...Array(4).fill("aws:ecr/lifecyclePolicy:LifecyclePolicy"), "aws:eks/nodeGroup:NodeGroup"].sort(),
            "nothing else changes",
        );
    });

    it("the cost delta per line and in total: one node more (instance, root volume, its logs), ten images per repository", () => {
        const delta = changed.costDelta!;
        const line = (item: string) => delta.lines.find((l) => l.item === item)!;
        assert.strictEqual(line("EC2 nodes (t3.small)").deltaUsd, 15.19); // 4 x 730 h x $0.0208 = $60.74, 3 x ... = $45.55
        assert.strictEqual(line("EBS gp3, node root volumes").deltaUsd, 1.6); // 20 GiB x $0.08
        assert.strictEqual(line("ECR storage").deltaUsd, 0.4); // 4 repositories x 5 images x 0.2 GiB x $0.1
        assert.strictEqual(line("EKS control plane").deltaUsd, 0);
        assert.strictEqual(delta.deltaUsd, Math.round(delta.lines.reduce((n, l) => n + l.deltaUsd, 0) * 100) / 100);
        assert.strictEqual(delta.headUsd, changed.cost.totalUsd);
        assert.strictEqual(delta.baseUsd, changed.base!.cost.totalUsd);
        assert.ok(delta.deltaUsd > 17);
    });

    it("the summary says it first: the monthly total with its delta, the capacity before and after, the changes", () => {
        const lines = formatPlan(changed).split("\n");
        assert.match(lines[0], /, against HEAD~5 \([0-9a-f]{12}\)$/);
        assert.match(lines[3], new RegExp(`monthly {3}\\$${changed.cost.totalUsd.toFixed(2)} a month \\(\\+\\$${changed.costDelta!.deltaUsd.toFixed(2)} from \\$${changed.costDelta!.baseUsd.toFixed(2)}\\)`));
        assert.match(lines[4], /capacity {2}4 x t3\.small at the minimum: \d+ % of memory and \d+ % of CPU free \(was \d+ % \/ \d+ %\)/);
        assert.strictEqual(lines[5], "  changes   resources: 0 added, 0 removed, 5 changed; workloads: 0 added, 0 removed, 3 changed");
        assert.ok(changed.capacity!.minimum.headroom.memory > changed.base!.capacity!.minimum.headroom.memory, "a fourth node leaves more room");
        assert.match(formatPlan(changed), /~ infra aws:eks\/nodeGroup:NodeGroup nodes-1 {2}\(t3\.small x 4 .*\n {4}was \(t3\.small x 3 .*\n {4}scalingConfig\.desiredSize: 3 -> 4/);
    });

    it("an overlay change: each object ArgoCD would sync that changes, by Application, with its file and the fields that differ", () => {
        const changes = changed.workloadChanges!;
        const key = (c: (typeof changes)[number]) => `${c.kind} ${c.application} ${c.objectKind} ${c.namespace}/${c.name}`;
        assert.deepStrictEqual(changes.map(key).sort(), [
            "changed frontend Deployment frontend/frontend",
            "changed frontend HorizontalPodAutoscaler frontend/frontend",
            "changed mysql StatefulSet data/mysql",
        ]);
        const of = (kind: string) => changes.find((c) => c.objectKind === kind)!;
        const image = "public.ecr.aws/docker/library/mysql";
        assert.deepStrictEqual(of("StatefulSet").fields, [{ path: "spec.template.spec.containers[0].image", base: `"${image}:${MYSQL_TAG}"`, head: `"${image}:${MYSQL_TAG}-next"` }]);
        assert.match(of("StatefulSet").summary, new RegExp(`^replicas 1; mysql: ${image}:${MYSQL_TAG}-next, \\d+m/\\d+Mi \\(limits \\d+m/\\d+Mi\\); volumes data 5Gi`));
        assert.strictEqual(of("StatefulSet").baseSummary, of("StatefulSet").summary.replace(`${MYSQL_TAG}-next`, MYSQL_TAG));
        assert.strictEqual(of("StatefulSet").source, "apps/workloads/mysql/base/statefulset.yaml, rendered from apps/workloads/mysql/overlays/staging");
        assert.deepStrictEqual(of("HorizontalPodAutoscaler").fields, [{ path: "spec.maxReplicas", base: "2", head: "3" }]);
        assert.strictEqual(of("HorizontalPodAutoscaler").summary, "Deployment frontend: 1-3 replicas at cpu 70 %");
        assert.deepStrictEqual(of("Deployment").fields, [{ path: "spec.template.spec.containers[0].resources.requests.memory", base: '"32Mi"', head: '"48Mi"' }]);
        assert.match(of("Deployment").summary, /web: \S+\/frontend@sha256:[0-9a-f]{12}…, 20m\/48Mi \(limits 200m\/64Mi\)/);
        // Each names its Application's resource, which the diagram marks.
        const apps = changed.layers.find((l) => l.layer === "apps")!;
        const applications = apps.tree.flatMap((n) => [n, ...n.children]).filter((n) => n.type === "kubernetes:argoproj.io/v1alpha1:Application");
        for (const c of changes) assert.strictEqual(c.applicationUrn, applications.find((a) => a.name.endsWith(`-${c.application}`))!.urn);
        // The text lists them, after the resources; --json carries them.
        const text = formatPlan(changed);
        assert.ok(text.indexOf("== resource changes against HEAD~5: 0 added, 0 removed, 5 changed ==") < text.indexOf("== workload changes against HEAD~5 (the objects ArgoCD would sync): 0 added, 0 removed, 3 changed =="));
        assert.match(text, /~ frontend: HorizontalPodAutoscaler frontend\/frontend {2}\(Deployment frontend: 1-3 replicas at cpu 70 %\)\n {4}was \(Deployment frontend: 1-2 replicas at cpu 70 %\)\n {4}in apps\/workloads\/frontend\/base\/hpa\.yaml, rendered from apps\/workloads\/frontend\/overlays\/staging\n {4}spec\.maxReplicas: 2 -> 3\n/);
        assert.deepStrictEqual(JSON.parse(planJson(changed)).workloadChanges, changes);
    });

    it("the capacity counts each side's workloads: the head's frontend pod requests 16 MiB more, and a third may run at the maximum", () => {
        const head = changed.capacity!;
        const base = changed.base!.capacity!;
        const frontend = (c: typeof head) => c.demand.scaled.find((w) => w.source === "deployment frontend/frontend")!;
        assert.strictEqual(frontend(head).perPod.memory - frontend(base).perPod.memory, 16);
        assert.deepStrictEqual([frontend(base).maxReplicas, frontend(head).maxReplicas], [2, 3]);
    });

    it("the exit code is the head's (policies and capacity on the head side)", () => {
        assert.strictEqual(changed.exitCode, 0);
        assert.strictEqual(changed.policies.mandatory, 0);
    });

    it("a base that cannot be planned is a user error naming the ref", async () => {
        repo.commitEdit("Pulumi.staging.yaml", "    desiredSize: 4\n", "    desiredSize: [4\n", "broken YAML");
        repo.commitEdit("Pulumi.staging.yaml", "    desiredSize: [4\n", "    desiredSize: 4\n", "fixed");
        let stderr = "";
        const code = await main(["staging", "--layer", "infra", "--base", "HEAD~1"], () => undefined, (s) => (stderr += s), { root: repo.root });
        assert.strictEqual(code, 2);
        assert.match(stderr, /^the base HEAD~1 \([0-9a-f]{12}\) cannot be planned: Pulumi\.staging\.yaml:\d+: not valid YAML/);
        assert.doesNotMatch(stderr, /\n\s+at /);
    });

    describe("--markdown: the pull-request comment", () => {
        let tokens: Token[];
        let markdown: string;
        before(async () => {
            markdown = planMarkdown(changed);
            tokens = await lex(markdown);
        });

        it("starts with the marker the workflow updates its one comment by, then the verdict", () => {
            assert.strictEqual(markdown.split("\n")[0], commentMarker("staging"));
            assert.deepStrictEqual(headings(tokens).slice(0, 1), ["✅ Offline plan of `staging`"]);
        });

        it("has the summary table, the changed resources and workloads, the policy findings, the cost table and the diagram, in that order", () => {
            const h = headings(tokens);
            assert.deepStrictEqual(
                h.map((x) => x.replace(/ \(.*$/, "")),
                ["✅ Offline plan of `staging`", "Changed resources", "Changed workloads", "Policy findings", "Monthly cost", "Environment"],
            );
            const [summary, changes, workloads, cost] = tables(tokens);
            const rows = (t: Tokens.Table) => t.rows.map((r) => r.map((c) => c.text));
            assert.deepStrictEqual(rows(summary).map((r) => r[0]), ["**Verdict**", "**Monthly cost**", "**Capacity**", "**Changes**", "**Warnings**"]);
            assert.match(rows(summary)[1][1], /\+\$\d+\.\d\d from \$\d+\.\d\d/);
            assert.deepStrictEqual(changes.header.map((c) => c.text), ["", "layer", "resource", "settings that matter", "inputs"]);
            assert.strictEqual(changes.rows.length, 5);
            assert.ok(rows(changes).some((r) => r[0] === "✏️ changed" && r[2].includes("aws:eks/nodeGroup:NodeGroup") && r[4] === "`scalingConfig.desiredSize`: `3` → `4`"));
            assert.strictEqual(rows(summary)[3][1], `resources: 0 added, 0 removed, 5 changed; workloads: 0 added, 0 removed, 3 changed (against \`HEAD~5\`, \`${changed.base!.commit.slice(0, 12)}\`)`);
            assert.deepStrictEqual(workloads.header.map((c) => c.text), ["", "Application", "object", "settings that matter", "fields"]);
            assert.deepStrictEqual(rows(workloads).find((r) => r[2].startsWith("`HorizontalPodAutoscaler`")), [
                "✏️ changed",
                "frontend",
                "`HorizontalPodAutoscaler` `frontend/frontend`<br><sub>apps/workloads/frontend/base/hpa.yaml, rendered from apps/workloads/frontend/overlays/staging</sub>",
                "Deployment frontend: 1-2 replicas at cpu 70 % → Deployment frontend: 1-3 replicas at cpu 70 %",
                "`spec.maxReplicas`: `2` → `3`",
            ]);
            assert.strictEqual(workloads.rows.length, 3);
            assert.deepStrictEqual(cost.header.map((c) => c.text), ["item", "base", "head", "delta"]);
            assert.deepStrictEqual(rows(cost).at(-1), ["**total**", `**$${changed.costDelta!.baseUsd.toFixed(2)}**`, `**$${changed.costDelta!.headUsd.toFixed(2)}**`, `**+$${changed.costDelta!.deltaUsd.toFixed(2)}**`]);
        });

        it("the diagram parses as a Mermaid flowchart: the three layers, their main resources, the changed ones marked", async () => {
            const diagrams = tokens.filter((t): t is Tokens.Code => t.type === "code" && t.lang === "mermaid");
            assert.strictEqual(diagrams.length, 1);
            const text = diagrams[0].text;
            assert.strictEqual((await mermaidParse(text)).diagramType, "flowchart-v2");
            for (const layer of ["infra", "platform", "apps"]) assert.match(text, new RegExp(`subgraph ${layer}\\["${layer}"\\]`));
            assert.match(text, /infra --> platform\n {2}platform --> apps/);
            // The node groups and the ECR repositories changed, and the workloads of two Applications: their components
            // are marked, and each Application hangs from the App-of-Apps, nothing else.
            const id = (name: string) => new RegExp(`(\\w+)\\["${name}<br/>`).exec(text)![1];
            assert.match(text, new RegExp(`${id("frontend")}\\["frontend<br/>Application · workloads 2 changed"\\]`));
            assert.match(text, new RegExp(`${id("mysql")}\\["mysql<br/>Application · workloads 1 changed"\\]`));
            for (const application of ["frontend", "mysql"]) assert.match(text, new RegExp(`^ {4}${id("app-of-apps")} --> ${id(application)}$`, "m"));
            assert.deepStrictEqual(/class (\S+) changed/.exec(text)![1].split(",").sort(), [id("nodes"), id("ecr"), id("app-of-apps"), id("frontend"), id("mysql")].sort());
            assert.doesNotMatch(text, /class \S+ (added|removed)/);
            await assert.rejects(mermaidParse(`${text}\n  broken -->`), /Parse error/, "the parser is not blind");
        });

        it("without --base: the cost table has the basis, the diagram no mark; findings are a table when there are some", async () => {
            const committed = await committedPlan("production");
            const md = planMarkdown(committed);
            const t = await lex(md);
            assert.deepStrictEqual(tables(t)[1].header.map((c) => c.text), ["item", "monthly", "basis"]);
            assert.doesNotMatch(md, /class \S+ (added|changed|removed)/);
            assert.ok(!headings(t).some((h) => h.startsWith("Changed resources")));
            const failing: PlanResult = {
                ...committed,
                exitCode: 1,
                failures: ["1 mandatory policy violation(s) (below)"],
                policies: { mandatory: 1, advisory: 0, excepted: [], violations: [{ policyName: "instance-types-allowed", enforcementLevel: "mandatory", resourceType: "aws:eks/nodeGroup:NodeGroup", resourceName: "nodes-1", message: "instanceTypes is \"m5.large\" | not allowed" }] },
            };
            const fmd = planMarkdown(failing);
            const ft = await lex(fmd);
            assert.deepStrictEqual(headings(ft)[0], "❌ Offline plan of `production`");
            const findings = tables(ft).find((x) => x.header[0].text === "level")!;
            assert.deepStrictEqual(findings.rows[0].map((c) => c.text), ["mandatory", "`instance-types-allowed`", "`aws:eks/nodeGroup:NodeGroup` `nodes-1`", 'instanceTypes is "m5.large" | not allowed'], "the pipe escaped, not a column");
            assert.match(fmd, /\*\*Fails\*\*\n\n- 1 mandatory policy violation/);
        });
    });
});

describe("plan diff: the arithmetic, on hand-made values", () => {
    it("lists the paths that differ, inside arrays, objects and JSON strings; a secret only as [secret]", () => {
        const secret = (value: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
        assert.deepStrictEqual(
            fieldChanges(
                { a: 1, list: [1, 2], doc: JSON.stringify({ x: { y: "old" } }), token: secret("one"), same: { k: [1] } },
                { a: 2, list: [1], doc: JSON.stringify({ x: { y: "new" } }), token: secret("two"), same: { k: [1] }, added: true },
            ),
            [
                { path: "a", base: "1", head: "2" },
                { path: "list[1]", base: "2", head: "(unset)" },
                { path: "doc{json}.x.y", base: '"old"', head: '"new"' },
                { path: "token", base: "[secret]", head: "[secret]" },
                { path: "added", base: "(unset)", head: "true" },
            ],
        );
        assert.deepStrictEqual(fieldChanges({ token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" } }, { token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" } }), []);
    });

    it("workload objects by Application, kind, namespace and name: one name in two Applications is two objects; a removed one follows its Application's", () => {
        const obj = (application: string, kind: string, name: string, spec: object = {}, namespace = "ns") =>
            ({ object: { apiVersion: "v1", kind, metadata: { name, namespace }, spec }, application, overlay: `o/${application}`, file: `f/${kind}`, source: `f/${kind}, rendered from o/${application}` }) as RenderedObject;
        const base = [obj("a", "Deployment", "web", { replicas: 1 }), obj("a", "ConfigMap", "gone"), obj("b", "Deployment", "web", { replicas: 1 }), obj("b", "Service", "svc"), obj("b", "Service", "svc", {}, "other")];
        const head = [obj("a", "Deployment", "web", { replicas: 2 }), obj("b", "Deployment", "web", { replicas: 1 }), obj("b", "Service", "svc"), obj("b", "Service", "svc", { type: "ClusterIP" }, "other"), obj("b", "PersistentVolumeClaim", "data", { resources: { requests: { storage: "1Gi" } }, storageClassName: "gp3" })];
        const changes = diffWorkloads(base, head, { a: "urn:a" });
        assert.deepStrictEqual(changes.map((c) => [c.kind, c.application, c.objectKind, `${c.namespace}/${c.name}`]), [
            ["changed", "a", "Deployment", "ns/web"],
            ["removed", "a", "ConfigMap", "ns/gone"],
            ["changed", "b", "Service", "other/svc"],
            ["added", "b", "PersistentVolumeClaim", "ns/data"],
        ]);
        assert.deepStrictEqual(changes[0].fields, [{ path: "spec.replicas", base: "1", head: "2" }]);
        assert.deepStrictEqual([changes[0].summary, changes[0].baseSummary], ["replicas 2", "replicas 1"]);
        assert.strictEqual(changes[0].applicationUrn, "urn:a");
        assert.strictEqual(changes[2].applicationUrn, undefined);
        assert.strictEqual(changes[3].summary, "1Gi gp3");
        assert.strictEqual(changes[1].source, "f/ConfigMap, rendered from o/a", "a removed object says where it was");
        assert.deepStrictEqual(diffWorkloads(base, base), []);
    });

    it("summarises what matters of a workload: images (a digest shortened), requests and limits, init containers, volumes; an autoscaler's range", () => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const statefulSet = {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "db" },
            spec: {
                replicas: 2,
                volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { storageClassName: "gp3", resources: { requests: { storage: "5Gi" } } } }],
                template: {
                    spec: {
                        initContainers: [{ name: "init", image: "busybox:1.37", resources: { requests: { cpu: "10m", memory: "8Mi" } } }],
                        containers: [{ name: "db", image: `registry/db@${digest}`, resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } } }, { name: "sidecar", image: "exporter:1" }],
                        volumes: [{ name: "tmp", emptyDir: {} }, { name: "cache", persistentVolumeClaim: { claimName: "cache" } }],
                    },
                },
            },
        };
        assert.strictEqual(
            summarizeObject(statefulSet),
            "replicas 2; init init: busybox:1.37, 10m/8Mi; db: registry/db@sha256:abababababab…, 100m/256Mi (limits -/512Mi); sidecar: exporter:1, no requests; volumes data 5Gi gp3, tmp (emptyDir), cache (claim cache)",
        );
        const hpa = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "web" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 6, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }] } };
        assert.strictEqual(summarizeObject(hpa), "Deployment web: 2-6 replicas at cpu 60 %");
        assert.strictEqual(summarizeObject({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, spec: { minAvailable: 1 } }), "minAvailable 1");
        assert.strictEqual(summarizeObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }), "");
    });

    it("added, removed and changed resources by URN, per layer; cost lines of either side", () => {
        const r = (name: string, inputs: object) => ({ urn: `urn:pulumi:s::p::t::${name}`, type: "t", name, inputs, state: {}, id: "", custom: true, protect: false, dependsOn: [], ignoreChanges: [], retainOnDelete: false, remote: false }) as any;
        const changes = diffResources({ infra: [r("kept", { a: 1 }), r("gone", {}), r("same", { b: 1 })] }, { infra: [r("kept", { a: 2 }), r("new", {}), r("same", { b: 1 })] }, ["infra"]);
        assert.deepStrictEqual(changes.map((c) => [c.kind, c.name]), [["changed", "kept"], ["added", "new"], ["removed", "gone"]]);
        const estimate = (lines: [string, number][]) => ({ lines: lines.map(([item, monthlyUsd]) => ({ item, basis: "", monthlyUsd })), totalUsd: lines.reduce((n, [, v]) => n + v, 0) }) as any;
        assert.deepStrictEqual(costDelta(estimate([["A", 10], ["B", 5]]), estimate([["A", 12.5], ["C", 1]])), {
            lines: [
                { item: "A", baseUsd: 10, headUsd: 12.5, deltaUsd: 2.5 },
                { item: "C", baseUsd: 0, headUsd: 1, deltaUsd: 1 },
                { item: "B", baseUsd: 5, headUsd: 0, deltaUsd: -5 },
            ],
            baseUsd: 15,
            headUsd: 13.5,
            deltaUsd: -1.5,
        });
    });
});
