/**
 * The README's samples of the plan are the plan's own output (tools/plan-samples.ts, registered in tools/readme.ts;
 * tests/lib/readme.spec.ts keeps every generated block current): here, that they are generated blocks, and that
 * the trimming keeps what the README promises and marks what it leaves out.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { commentSample, commentSamplePlan, configArguments, trimComment, trimText } from "../../tools/plan-samples";
import { blockNames, GENERATED_BLOCKS } from "../../tools/readme";

const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

describe("the README's plan samples (tools/plan-samples.ts)", () => {
    it("are generated blocks of the plan's section, rendered by code: no figure of the plan is written by hand", () => {
        const section = README.slice(README.indexOf("## The offline plan"), README.indexOf("## The infra layer"));
        for (const name of ["plan-sample", "plan-capacity-sample", "plan-comment-sample"]) {
            assert.ok(blockNames(section).includes(name), `${name} in the plan's section`);
            assert.strictEqual(typeof GENERATED_BLOCKS[name], "function");
        }
    });

    it("the text: header and summary whole, then the first lines of the sections asked for, each followed by ...", () => {
        const text = ["Offline plan of x", "", "  verdict   OK", "  monthly   $1.00 a month", "", "== warnings (2) ==", "  - one", "  - two", "", "== policies: 0 ==", "No violations.", "", "== infra: 3 resources ==", "├─ a", "└─ b", ""].join("\n");
        assert.strictEqual(trimText(text, { warnings: 1, infra: 5 }), ["Offline plan of x", "", "  verdict   OK", "  monthly   $1.00 a month", "", "== warnings (2) ==", "  - one", "...", "== infra: 3 resources ==", "├─ a", "└─ b", "..."].join("\n"));
    });

    it("the comment: the first warning cut, the cost lines that change (and the first), each layer's first box and the marked ones", () => {
        const markdown = [
            "<!-- marker -->",
            "| **Warnings** | 2 |",
            "",
            "**Warnings**",
            "",
            "- fork checklist: infra:githubRepository is the template's placeholder x/y: CI's roles would trust it",
            "- second",
            "",
            "### Monthly cost (USD)",
            "",
            "| item | base | head | delta |",
            "|---|---:|---:|---:|",
            "| A | $1.00 | $1.00 |  |",
            "| B | $1.00 | $1.00 |  |",
            "| C | $1.00 | $2.00 | +$1.00 |",
            "| **total** | **$3.00** | **$4.00** | **+$1.00** |",
            "",
            "### Environment",
            "",
            "```mermaid",
            "flowchart LR",
            '  subgraph apps["apps"]',
            '    apps_0["one<br/>One"]',
            '    apps_1["two<br/>Two"]',
            '    apps_2["three<br/>Three"]',
            '    apps_3["app<br/>Application"]',
            "    apps_2 --> apps_3",
            "  end",
            "  classDef added fill:green",
            "  classDef changed fill:yellow",
            "  class apps_2,apps_3 changed",
            "```",
            "",
            "<sub>legend</sub>",
            "<details>trees</details>",
        ].join("\n");
        assert.strictEqual(
            trimComment(markdown),
            [
                "<!-- marker -->",
                "| **Warnings** | 2 |",
                "",
                "**Warnings**",
                "",
                "- fork checklist: infra:githubRepository is the template's placeholder x/y: ...",
                "- ...",
                "",
                "### Monthly cost (USD)",
                "",
                "| item | base | head | delta |",
                "|---|---:|---:|---:|",
                "| A | $1.00 | $1.00 |  |",
                "| C | $1.00 | $2.00 | +$1.00 |",
                "| ... | | | |",
                "| **total** | **$3.00** | **$4.00** | **+$1.00** |",
                "",
                "### Environment",
                "",
                "```mermaid",
                "flowchart LR",
                '  subgraph apps["apps"]',
                '    apps_0["one<br/>One"]',
                '    apps_2["three<br/>Three"]',
                '    apps_3["app<br/>Application"]',
                "    apps_2 --> apps_3",
                "    ...",
                "  end",
                "  classDef changed fill:yellow",
                "  class apps_2,apps_3 changed",
                "```",
            ].join("\n"),
        );
    });

    it("the sample comment shows every cost line the change moves, the changed resource, and a marked box", async function () {
        this.timeout(60_000);
        const [sample, planned] = await Promise.all([commentSample(), commentSamplePlan()]);
        for (const line of planned.costDelta!.lines.filter((l) => l.deltaUsd !== 0)) assert.ok(sample.includes(`| ${line.item} |`), line.item);
        assert.deepStrictEqual(planned.changes!.map((c) => `${c.kind} ${c.name}`), ["changed nodes-1"]);
        assert.match(sample, /\| ✏️ changed \| infra \| `aws:eks\/nodeGroup:NodeGroup` `nodes-1` \|/);
        assert.match(sample, /^ {2}class \w+ changed$/m);
    });

    it("writes --config arguments as a shell takes them", () => {
        assert.strictEqual(configArguments({ "infra:nodeGroup": { minSize: 1 }, "infra:nodeAvailabilityZoneCount": 2 }), `--config 'infra:nodeGroup={"minSize":1}' --config infra:nodeAvailabilityZoneCount=2`);
    });
});
