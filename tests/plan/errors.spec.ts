/**
 * A settings file the user broke: the one reader (lib/settings-file.ts) names the file and the line, and the plan
 * exits 2 with that message and no stack trace.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readSettingsFile, SettingsFileError } from "../../lib/settings-file";
import { main } from "../../tools/plan";
import { commentMarker } from "../../tools/plan-markdown";
import { TempCheckout, tempCheckout } from "./fixture";

const dirs: string[] = [];
function fileWith(text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "settings-"));
    dirs.push(dir);
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, text);
    return file;
}

const readError = (text: string): SettingsFileError => {
    try {
        readSettingsFile("staging", fileWith(text));
    } catch (error) {
        assert.ok(error instanceof SettingsFileError, String(error));
        return error;
    }
    throw new Error("the file was read");
};

describe("settings files the user broke", () => {
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("YAML that does not parse: the file, the line, the parser's reason", () => {
        const e = readError("config:\n  aws:region: us-east-1\n  infra:nodeGroup:\n    instanceTypes: [t3.small\n    minSize: 1\n");
        assert.strictEqual(e.file, "Pulumi.staging.yaml");
        assert.ok(e.line !== undefined && e.line >= 4 && e.line <= 5, `line ${e.line}`);
        assert.match(e.message, /^Pulumi\.staging\.yaml:\d+: not valid YAML: .*(flow|indent|\])/i);
        assert.match(readError("config:\n  aws:region: us-east-1\n  aws:region: eu-west-1\n").message, /^Pulumi\.staging\.yaml:3: not valid YAML: Map keys must be unique/);
        assert.match(readError("config:\n\taws:region: us-east-1\n").message, /^Pulumi\.staging\.yaml:2: not valid YAML/);
    });

    it("a file without config: (a key at the top level is ignored by Pulumi)", () => {
        assert.match(readError("aws:region: us-east-1\ninfra:project: demo\n").message, /^Pulumi\.staging\.yaml: has no `config:` section: every setting \(aws:region, infra:\*, platform:\*, apps:\*\) goes under a top-level `config:` key$/);
        assert.match(readError("# nothing yet\n").message, /has no `config:` section/);
        assert.match(readError("config:\n  - aws:region\n").message, /^Pulumi\.staging\.yaml:2: `config:` must be a mapping of <namespace:key>: <value>$/);
    });

    it("a key without a value, and a secure: value, on their lines", () => {
        assert.strictEqual(readError("config:\n  aws:region: us-east-1\n  infra:project:\n").message, "Pulumi.staging.yaml:3: infra:project has no value (remove the key to use its default)");
        assert.match(readError("config:\n  aws:region: us-east-1\n  apps:token:\n    secure: AAABAF\n").message, /^Pulumi\.staging\.yaml:3: apps:token holds a secure: value; settings files hold no secrets/);
    });

    it("a good file: the flat map Pulumi passes to programs (objects and lists as JSON)", () => {
        assert.deepStrictEqual(readSettingsFile("staging", fileWith("config:\n  aws:region: us-east-1\n  infra:nodeGroup:\n    minSize: 1\n  infra:tags: {a: b}\n  x:list: [1, 2]\n")), {
            "aws:region": "us-east-1",
            "infra:nodeGroup": '{"minSize":1}',
            "infra:tags": '{"a":"b"}',
            "x:list": "[1,2]",
        });
    });

    describe("through the plan: exit 2, the file and the line, no stack trace", () => {
        let repo: TempCheckout;
        before(() => {
            repo = tempCheckout();
        });
        after(() => repo.remove());

        const planOf = async (text: string) => {
            fs.writeFileSync(path.join(repo.root, "Pulumi.staging.yaml"), text);
            let stdout = "";
            let stderr = "";
            const code = await main(["staging", "--json"], (s) => (stdout += s), (s) => (stderr += s), { root: repo.root });
            return { code, stdout, stderr };
        };

        it("a YAML syntax error", async () => {
            const { code, stdout, stderr } = await planOf("config:\n  aws:region: us-east-1\n  infra:githubRepository: [acme/x\n");
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "", "--json stays clean");
            assert.match(stderr, /^Pulumi\.staging\.yaml:\d+: not valid YAML: /);
            assert.doesNotMatch(stderr, /\n\s+at |YAMLParseError/);
        });

        it("with --markdown, the pull-request comment says why there is no plan (the same marker replaces the last plan)", async () => {
            fs.writeFileSync(path.join(repo.root, "Pulumi.staging.yaml"), "config:\n  aws:region: [us-east-1\n");
            const out = path.join(repo.root, "plan.md");
            let stderr = "";
            const code = await main(["staging", "--markdown", "--out", out], () => undefined, (s) => (stderr += s), { root: repo.root });
            assert.strictEqual(code, 2);
            assert.match(stderr, /^Pulumi\.staging\.yaml:\d+: not valid YAML/);
            const comment = fs.readFileSync(out, "utf8").split("\n");
            assert.deepStrictEqual(comment.slice(0, 4), [commentMarker("staging"), "## ❌ Offline plan of `staging`: it cannot run (exit 2)", "", "```"]);
            assert.match(comment[4], /^Pulumi\.staging\.yaml:\d+: not valid YAML/);
        });

        it("a setting that fails validation: the key, its line in the file, the value and what is allowed", async () => {
            const text = repo.git("show", "HEAD:Pulumi.staging.yaml");
            const { code, stderr } = await planOf(text.replace("    minSize: 1\n", "    minSize: 5\n"));
            assert.strictEqual(code, 2);
            const line = text.split("\n").findIndex((l) => l.startsWith("  infra:nodeGroup:")) + 1;
            assert.match(stderr, new RegExp(`^Invalid setting infra:nodeGroup \\(Pulumi\\.staging\\.yaml:${line}\\) = \\{"minSize":5,"desiredSize":3,"maxSize":4\\}: allowed sizes with minSize <= desiredSize <= maxSize`));
            assert.doesNotMatch(stderr, /\n\s+at /);
        });

        it("no config: section", async () => {
            const { code, stderr } = await planOf("aws:region: us-east-1\n");
            assert.strictEqual(code, 2);
            assert.match(stderr, /^Pulumi\.staging\.yaml: has no `config:` section/);
        });
    });
});
