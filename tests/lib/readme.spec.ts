/**
 * README.md is the user's manual: every output of each layer's contract and every setting each layer reads must be
 * documented there. The settings a layer knows are taken from its own "unknown key" message, so a new setting
 * without documentation fails here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { APPS_OUTPUT_NAMES } from "../../apps/contract";
import { loadAppsSettings } from "../../apps/settings";
import { INFRA_OUTPUT_NAMES } from "../../infra/contract";
import { loadInfraSettings } from "../../infra/settings";
import { REPO_ROOT } from "../../lib/environment";
import { PLATFORM_OUTPUT_NAMES } from "../../platform/contract";
import { ADDON_NAMES, CHARTS } from "../../platform/charts";
import { loadPlatformSettings } from "../../platform/settings";
import { blockNames, renderReadme } from "../../tools/readme";
import { settingsSource } from "../helpers";
import { today } from "../../lib/today";

const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The keys a layer reads, as its settings error lists them for an unknown key. */
function knownSettings(namespace: string, load: (source: ReturnType<typeof settingsSource>) => unknown): string[] {
    try {
        load(settingsSource("staging", { [`${namespace}:zzUnknown`]: "x" }));
    } catch (error) {
        const m = new RegExp(`only known settings of ${namespace} \\(([^)]*)\\)`).exec((error as Error).message);
        assert.ok(m, (error as Error).message);
        return m![1].split(", ");
    }
    throw new Error(`${namespace} accepted an unknown key`);
}

describe("README documents", () => {
    for (const [layer, names] of [
        ["infra", INFRA_OUTPUT_NAMES],
        ["platform", PLATFORM_OUTPUT_NAMES],
        ["apps", APPS_OUTPUT_NAMES],
    ] as const) {
        it(`every output of ${layer}'s contract`, () => {
            const missing = names.filter((n) => !README.includes(`\`${n}\``));
            assert.deepStrictEqual(missing, [], `${layer} outputs missing from README.md`);
        });
    }

    const layers: [string, (s: ReturnType<typeof settingsSource>) => unknown][] = [
        ["infra", (source) => loadInfraSettings("staging", { source, today: today(), dryRun: true })],
        ["platform", (source) => loadPlatformSettings("staging", { source })],
        ["apps", (source) => loadAppsSettings("staging", source)],
    ];
    for (const [namespace, load] of layers) {
        it(`every setting of ${namespace}`, () => {
            const keys = knownSettings(namespace, load);
            assert.ok(keys.length > 5, `${namespace}: ${keys.join(", ")}`);
            const missing = keys.filter((k) => !README.includes(`\`${namespace}:${k}\``) && !README.includes(`\`${namespace}:${k}\`,`));
            assert.deepStrictEqual(missing, [], `${namespace} settings missing from README.md`);
        });
    }

    it("the commands of the quick start", () => {
        for (const command of ["npm ci", "npm test", "npm run plan -- staging"]) assert.ok(README.includes(command), command);
    });
});

describe("README's generated blocks (npm run readme)", () => {
    it("are current: each equals what its source in code renders (charts, policy tables, the checklist, the plan's cost)", async function () {
        this.timeout(60_000);
        for (const name of ["charts", "policy-exceptions", "checkov-rules", "extending-service", "monthly-cost"]) assert.ok(blockNames(README).includes(name), `${name} is a generated block`);
        assert.strictEqual(await renderReadme(README), README, "README.md is stale: run `npm run readme`");
    });
    it("render from their source: a chart bump changes the table", async () => {
        const bumped = await renderReadme("<!-- generated:charts -->\nold\n<!-- /generated:charts -->", { charts: () => "new table" });
        assert.strictEqual(bumped, "<!-- generated:charts -->\nnew table\n<!-- /generated:charts -->");
        await assert.rejects(renderReadme("<!-- generated:nope -->\n<!-- /generated:nope -->"), /no code renders the block "nope"/);
    });
    it("the chart table lists every add-on of platform/charts.ts with its pinned version", () => {
        for (const n of ADDON_NAMES) assert.ok(README.includes(`| ${n} | \`${CHARTS[n].chart}\` ${CHARTS[n].version} |`), n);
    });
});
