/**
 * The documented exceptions and the Checkov rule table: each exception belongs to a policy that reads it as its
 * `exceptions` setting and to a rule that policy answers; every rule is answered once; and the README's tables are
 * exactly these (the assertion prints the tables to paste when they drift).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { ALL_POLICIES } from "../../policies/all";
import { EXCEPTIONS, exceptionFor, globMatches } from "../../policies/exceptions";
import { PackConfigError, resolvePackConfig } from "../../policies/pack-config";
import { exceptionTable, ruleTable } from "../../policies/readme-tables";
import { CHECKOV_RULES } from "../../policies/rules";
import { REQUIRED_SETTINGS } from "./util";

const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const documented = Object.entries(EXCEPTIONS).flatMap(([policy, list]) => list.map((e) => ({ policy, ...e })));
const byName = new Map(ALL_POLICIES.map((p) => [p.name, p]));

/** The rows of the README table whose header is `header`. */
function tableRows(header: string): string[] {
    const start = README.indexOf(header);
    assert.ok(start >= 0, `README.md has no table starting ${header}`);
    const lines = README.slice(start).split("\n");
    const rows: string[] = [];
    for (const line of lines.slice(2)) {
        if (!line.startsWith("|")) break;
        rows.push(line);
    }
    return rows;
}


describe("documented exceptions (policies/exceptions.ts)", () => {
    it("globs match whole subjects, * being any text", () => {
        assert.ok(globMatches("*.dkr.ecr.*.amazonaws.com/*/frontend", "123456789012.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend"));
        assert.ok(!globMatches("*.dkr.ecr.*.amazonaws.com/*/frontend", "123456789012.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend-admin"));
        assert.ok(!globMatches("public.ecr.aws/docker/library/mysql", "public.ecr.aws/docker/library/mysql-evil"));
        assert.ok(globMatches("ALB access-log bucket *", "ALB access-log bucket gitops-staging-alb-1-us-east-1"));
        assert.ok(!globMatches("a.b", "axb"), "a dot is a dot");
        assert.strictEqual(exceptionFor(documented, "CKV_K8S_40", "public.ecr.aws/docker/library/mysql")?.id, "image-uids-below-10000");
        assert.strictEqual(exceptionFor(documented, "CKV_K8S_23", "public.ecr.aws/docker/library/mysql"), undefined, "an exception covers its rule only");
    });

    it("each belongs to a policy of the pack that reads it as the default of its exceptions setting; ids are unique", () => {
        for (const [policy, list] of Object.entries(EXCEPTIONS)) {
            const p = byName.get(policy);
            assert.ok(p, `${policy} is not a policy of the pack`);
            assert.deepStrictEqual(p!.configSchema?.properties.exceptions?.default, list, `${policy}'s exceptions setting defaults to its documented exceptions`);
        }
        const ids = documented.map((e) => e.id);
        assert.strictEqual(new Set(ids).size, ids.length, ids.join(", "));
    });

    it("each excepts a Checkov rule its policy answers, with a reason", () => {
        for (const e of documented) {
            const rule = CHECKOV_RULES.find((r) => r.id === e.rule);
            assert.ok(rule, `${e.id}: ${e.rule} is not in policies/rules.ts`);
            assert.strictEqual(rule!.policy, e.policy, `${e.id}: ${e.rule} is answered by ${rule!.policy}, not ${e.policy}`);
            assert.ok(e.reason.length >= 40 && e.reason.endsWith("."), `${e.id}: say why`);
        }
    });

    it("are a setting: a config file may replace them, and malformed ones are rejected naming the key", () => {
        const base = REQUIRED_SETTINGS;
        const mine = [{ id: "legacy-uid", rule: "CKV_K8S_40", match: ["ghcr.io/acme/legacy"], reason: "The legacy image runs as 1000 until it is rebuilt." }];
        assert.deepStrictEqual(resolvePackConfig(ALL_POLICIES, { ...base, "workload-pod-security": { exceptions: mine } }).get("workload-pod-security")!.properties.exceptions, mine);
        assert.throws(
            () => resolvePackConfig(ALL_POLICIES, { ...base, "workload-pod-security": { exceptions: [{ id: "x", rule: "CKV_K8S_40", match: [] }] } }),
            (e: Error) => e instanceof PackConfigError && /workload-pod-security\.exceptions\[0\] = .*: allowed an object with id, rule, match, reason \(required: id, rule, match, reason\)/.test(e.message),
        );
        assert.throws(() => resolvePackConfig(ALL_POLICIES, { ...base, "workload-pod-security": { exceptions: [{ ...mine[0], match: [] }] } }), /exceptions\[0\]\.match = \[\]: allowed a list, each a non-empty string \(at least 1\)/);
    });
});

describe("Checkov's rules (policies/rules.ts)", () => {
    it("each is answered once: by a policy that names the rule in its description, by settings, or deliberately not", () => {
        const ids = CHECKOV_RULES.map((r) => r.id);
        assert.strictEqual(new Set(ids).size, ids.length);
        for (const r of CHECKOV_RULES) {
            assert.match(r.id, /^CKV2?_(AWS|K8S)_\d+$/);
            assert.strictEqual([r.policy, r.settings, r.notAdopted].filter((x) => x !== undefined).length, 1, r.id);
            if (r.policy === undefined) continue;
            const p = byName.get(r.policy);
            assert.ok(p, `${r.id}: ${r.policy} is not a policy of the pack`);
            assert.ok(new RegExp(`\\b${r.id}\\b`).test(p!.description), `${r.policy}'s description should name ${r.id}`);
        }
    });
});

describe("the README's policy tables", () => {
    // Both tables are generated from exceptions.ts and rules.ts (npm run readme); tests/lib/readme.spec.ts keeps them current.
    it("show exactly the documented exceptions and the Checkov rules, with what answers each", () => {
        assert.ok(README.includes(`<!-- generated:policy-exceptions -->\n${exceptionTable()}\n<!-- /generated:policy-exceptions -->`));
        assert.ok(README.includes(`<!-- generated:checkov-rules -->\n${ruleTable()}\n<!-- /generated:checkov-rules -->`));
        for (const e of documented) assert.ok(tableRows("| exception | policy | rule | covers | why |").some((row) => row.startsWith(`| \`${e.id}\` | \`${e.policy}\` |`)), e.id);
        for (const r of CHECKOV_RULES) assert.ok(tableRows("| area | Checkov rule | what it asks | held by | documented exception |").some((row) => row.includes(`| ${r.id} |`)), r.id);
    });

    it("list every policy of the pack in the policy table", () => {
        const rows = tableRows("| policy | level | checks | why |").map((row) => /^\| `([^`]+)` \| (\w+) \|/.exec(row)?.slice(1));
        assert.deepStrictEqual(rows.map((r) => r?.[0]).sort(), ALL_POLICIES.map((p) => p.name).sort());
        for (const r of rows) assert.strictEqual(r![1], byName.get(r![0])!.enforcementLevel, r![0]);
    });
});
