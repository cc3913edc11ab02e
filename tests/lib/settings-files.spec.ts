import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ENVIRONMENTS, REPO_ROOT } from "../../lib/environment";

const settingsFiles = fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f));

describe("settings files", () => {
    it("exist for exactly the known environments", () => {
        assert.deepStrictEqual(settingsFiles.map((f) => f.split(".")[1]).sort(), [...ENVIRONMENTS].sort());
    });

    for (const file of settingsFiles) {
        it(`${file} holds no secure: value (secrets live in AWS Secrets Manager)`, () => {
            const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
            const withoutComments = text.replace(/#.*$/gm, "");
            assert.doesNotMatch(withoutComments, /\bsecure\s*:/, `${file} must not hold encrypted values`);
            const findSecure = (node: unknown, at: string): string[] =>
                node && typeof node === "object"
                    ? Object.entries(node).flatMap(([k, v]) => (k === "secure" ? [at] : findSecure(v, `${at}.${k}`)))
                    : [];
            assert.deepStrictEqual(findSecure(parse(text), file), []);
        });

        it(`${file} only sets namespaces of this repository's layers and providers`, () => {
            const keys = Object.keys(parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")).config ?? {});
            const namespaces = new Set(keys.map((k) => k.split(":")[0]));
            for (const ns of namespaces) assert.ok(["aws", "infra", "platform", "apps"].includes(ns), `${file}: unexpected namespace ${ns}`);
        });
    }
});

describe("Pulumi projects", () => {
    const project = (dir: string) => parse(fs.readFileSync(path.join(REPO_ROOT, dir, "Pulumi.yaml"), "utf8"));

    it("the root project is the infra project, run from infra/, reading the root settings files", () => {
        const root = project(".");
        assert.strictEqual(root.name, "infra");
        assert.strictEqual(root.main, "infra/");
        assert.strictEqual(root.stackConfigDir, ".");
        assert.deepStrictEqual(root.runtime, project("infra").runtime);
    });

    for (const layer of ["infra", "platform", "apps"]) {
        it(`${layer}/ is a TypeScript project of its own sharing the root settings files`, () => {
            const p = project(layer);
            assert.strictEqual(p.name, layer);
            assert.strictEqual(p.runtime.name, "nodejs");
            assert.strictEqual(p.runtime.options.typescript, true);
            assert.strictEqual(path.resolve(REPO_ROOT, layer, p.stackConfigDir), REPO_ROOT);
            assert.ok(fs.existsSync(path.join(REPO_ROOT, layer, "tsconfig.json")), "the CLI compiles with the project's tsconfig (strict, from the root)");
        });
    }
});
