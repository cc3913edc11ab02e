import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { parse } from "yaml";
import { ENVIRONMENT_DEFAULTS as INFRA_DEFAULTS, FREE_TIER_INSTANCE_TYPES, PRODUCTION_INSTANCE_TYPES } from "../../infra/settings";
import { ENVIRONMENTS } from "../../lib/environment";
import { ENVIRONMENT_DEFAULTS as PLATFORM_DEFAULTS } from "../../platform/settings";
import { ALL_POLICIES, PACK_NAME } from "../../policies/all";
import { configEnvironments, loadPackConfig, PackConfig, PackConfigError, resolvePackConfig } from "../../policies/pack-config";
import { REQUIRED_SETTINGS } from "./util";

const POLICIES_DIR = path.resolve(__dirname, "../../policies");

describe("the policy pack", () => {
    it("is a Pulumi policy pack: PulumiPolicy.yaml and its own package.json with a version", () => {
        const manifest = parse(fs.readFileSync(path.join(POLICIES_DIR, "PulumiPolicy.yaml"), "utf8"));
        assert.strictEqual(manifest.runtime.name, "nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.ok(pkg.dependencies["@pulumi/policy"], "the pack depends on @pulumi/policy");
    });

    it("index.ts only constructs the PolicyPack named gitops-platform with every policy", () => {
        const policyModule = require("@pulumi/policy/policy");
        const real = policyModule.PolicyPack;
        const constructed: { name: string; args: any }[] = [];
        // The real constructor starts the gRPC server the CLI talks to; record the call instead.
        policyModule.PolicyPack = class {
            constructor(name: string, args: any) {
                constructed.push({ name, args });
            }
        };
        const indexPath = require.resolve("../../policies/index.ts");
        try {
            delete require.cache[indexPath];
            require(indexPath);
        } finally {
            policyModule.PolicyPack = real;
            delete require.cache[indexPath];
        }
        assert.strictEqual(constructed.length, 1);
        assert.strictEqual(constructed[0].name, PACK_NAME);
        assert.strictEqual(constructed[0].args.policies, ALL_POLICIES);
        const imports = fs.readFileSync(indexPath, "utf8").match(/^import .*$/gm) ?? [];
        assert.deepStrictEqual(imports, ['import { PolicyPack } from "@pulumi/policy";', 'import { ALL_POLICIES } from "./all";']);
    });

    it("compiles on its own, as `pulumi policy publish` and CrossGuard do: a copy of policies/ with only its tsconfig.json", function () {
        this.timeout(30000);
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-"));
        try {
            fs.cpSync(POLICIES_DIR, copy, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) && !source.includes(`${path.sep}bin`) });
            // The pack's installed dependencies (a workspace shares the repository's node_modules).
            fs.symlinkSync(path.resolve(POLICIES_DIR, "..", "node_modules"), path.join(copy, "node_modules"), "dir");
            const read = ts.readConfigFile(path.join(copy, "tsconfig.json"), ts.sys.readFile);
            assert.strictEqual(read.error, undefined, read.error && ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
            assert.strictEqual(read.config.extends, undefined, "no settings from outside the pack");
            const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, copy);
            assert.deepStrictEqual(parsed.errors, []);
            assert.deepStrictEqual(parsed.options.types, ["node"], "no test-only types (mocha) in the pack");
            const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
            const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            assert.deepStrictEqual(problems, []);
            assert.ok(parsed.fileNames.some((f) => f.endsWith("index.ts")));
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    it("the pack imports nothing outside policies/ and its own dependencies (it runs on its own)", () => {
        for (const file of fs.readdirSync(POLICIES_DIR).filter((f) => f.endsWith(".ts"))) {
            const source = fs.readFileSync(path.join(POLICIES_DIR, file), "utf8");
            for (const [, spec] of source.matchAll(/from "([^"]+)"/g)) {
                assert.ok(spec.startsWith("./") || ["@pulumi/policy", "@pulumi/policy/schema", "@pulumi/pulumi", "fs", "path"].includes(spec), `${file} imports ${spec}`);
            }
        }
    });

    describe("every policy", () => {
        it("has a unique kebab-case name (not the reserved \"all\")", () => {
            const names = ALL_POLICIES.map((p) => p.name);
            assert.strictEqual(new Set(names).size, names.length, `duplicate names: ${names}`);
            for (const name of names) {
                assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)+$/);
                assert.notStrictEqual(name, "all");
            }
        });

        it("has a description that says why, and an explicit enforcement level (mandatory except required-tags)", () => {
            for (const p of ALL_POLICIES) {
                assert.ok(p.description.length >= 100 && p.description.endsWith("."), `${p.name}: the description should say what and why: ${p.description}`);
                assert.strictEqual(p.enforcementLevel, p.name === "required-tags" ? "advisory" : "mandatory", p.name);
            }
        });

        it("declares its settings in a configSchema with descriptions, none named enforcementLevel, required ones declared", () => {
            for (const p of ALL_POLICIES.filter((x) => x.configSchema)) {
                const properties = p.configSchema!.properties;
                assert.ok(!("enforcementLevel" in properties), p.name);
                for (const [key, schema] of Object.entries(properties)) assert.ok(schema.description, `${p.name}.${key} has no description`);
                for (const key of p.configSchema!.required ?? []) assert.ok(key in properties, `${p.name} requires an undeclared ${key}`);
            }
        });

        it("that reads settings has a configSchema (getConfig would otherwise get nothing from the engine)", () => {
            const sources = fs
                .readdirSync(POLICIES_DIR)
                .filter((f) => f.endsWith(".ts"))
                .map((f) => fs.readFileSync(path.join(POLICIES_DIR, f), "utf8"))
                .join("\n");
            for (const p of ALL_POLICIES) {
                const declaration = sources.slice(sources.indexOf(`name: "${p.name}"`)).split(/\nexport const /)[0];
                if (declaration.includes("getConfig<")) assert.ok(p.configSchema, `${p.name} reads settings without a configSchema`);
            }
        });
    });

    describe("per-environment config files (policies/config/<env>.json)", () => {
        it("exist for exactly the environments of the repository", () => {
            assert.deepStrictEqual(configEnvironments(), [...ENVIRONMENTS].sort());
        });

        for (const env of ENVIRONMENTS) {
            it(`${env}.json fits the pack, sets environment = ${env}, and keeps the instance list of the infra settings`, () => {
                const resolved = resolvePackConfig(ALL_POLICIES, loadPackConfig(env), `${env}.json`);
                for (const name of ["instance-types-allowed", "node-group-default-instance-type", "argocd-pinned-revision"]) assert.strictEqual(resolved.get(name)!.properties.environment, env, name);
                const list = env === "production" ? "productionInstanceTypes" : "freeTierInstanceTypes";
                assert.deepStrictEqual(resolved.get("instance-types-allowed")!.properties[list], env === "production" ? PRODUCTION_INSTANCE_TYPES : FREE_TIER_INSTANCE_TYPES);
                // Both instance-type policies judge against the same lists (a node group's default type is one more case).
                assert.deepStrictEqual(resolved.get("node-group-default-instance-type")!.properties, resolved.get("instance-types-allowed")!.properties);
                for (const p of ALL_POLICIES) assert.strictEqual(resolved.get(p.name)!.enforcementLevel, p.enforcementLevel, `${env}.json keeps ${p.name}'s level`);
            });

            it(`${env}.json's log retention minimum is the shortest default retention of the layers' log groups`, () => {
                const resolved = resolvePackConfig(ALL_POLICIES, loadPackConfig(env), `${env}.json`);
                const defaults = [INFRA_DEFAULTS[env].flowLogRetentionDays, INFRA_DEFAULTS[env].clusterLogRetentionDays, PLATFORM_DEFAULTS[env].wafLogRetentionDays];
                assert.strictEqual(resolved.get("cloudwatch-log-groups-hardened")!.properties.minimumRetentionDays, Math.min(...defaults), defaults.join(", "));
            });
        }

        it("an unknown environment names the files that exist", () => {
            assert.throws(() => loadPackConfig("dev"), (e: Error) => e instanceof PackConfigError && /environment = "dev": allowed one of production, staging/.test(e.message));
            assert.throws(() => loadPackConfig("../package"), PackConfigError);
        });
    });

    describe("config resolution, as the engine does it, and stricter on typos", () => {
        const base = REQUIRED_SETTINGS;

        it("fills configSchema defaults, applies all, then each policy's level and settings", () => {
            const resolved = resolvePackConfig(ALL_POLICIES, { ...base, all: "advisory", "ebs-gp3-encrypted": "disabled", "required-tags": { enforcementLevel: "mandatory", requiredTags: ["Owner"] } });
            assert.strictEqual(resolved.get("nodes-in-private-subnets")!.enforcementLevel, "advisory");
            assert.strictEqual(resolved.get("ebs-gp3-encrypted")!.enforcementLevel, "disabled");
            assert.strictEqual(resolved.get("required-tags")!.enforcementLevel, "mandatory");
            assert.deepStrictEqual(resolved.get("required-tags")!.properties, { requiredTags: ["Owner"] });
            assert.deepStrictEqual(resolved.get("volume-claims-use-gp3-class")!.properties, { allowedStorageClasses: ["gp3"], allowDefaultStorageClass: true });
        });

        it("rejects every problem at once, naming the key, the value and what is allowed", () => {
            let error: Error | undefined;
            try {
                resolvePackConfig(ALL_POLICIES, {
                    ...base,
                    "instance-type-allowed": "mandatory",
                    "required-tags": { enforcementLevel: "strict", requiredTag: ["x"] },
                    "volume-claims-use-gp3-class": { allowedStorageClasses: "gp3" },
                    all: { enforcementLevel: "advisory", requiredTags: [] },
                } as unknown as PackConfig);
            } catch (e) {
                error = e as Error;
            }
            assert.ok(error instanceof PackConfigError, String(error));
            const lines = error!.message.split("\n").slice(1);
            assert.strictEqual(lines.length, 5, error!.message);
            assert.match(error!.message, /- all = \{"enforcementLevel":"advisory","requiredTags":\[\]\}: allowed an enforcement level, or \{ "enforcementLevel": <level> \}/);
            assert.match(error!.message, /- instance-type-allowed = "mandatory": allowed a policy of the pack \(instance-types-allowed, /);
            assert.match(error!.message, /- required-tags\.enforcementLevel = "strict": allowed an enforcement level: advisory, mandatory, remediate, disabled\./);
            assert.match(error!.message, /- required-tags\.requiredTag = \["x"\]: allowed a setting of required-tags \(requiredTags\)\./);
            assert.match(error!.message, /- volume-claims-use-gp3-class\.allowedStorageClasses = "gp3": allowed a list, each a non-empty string \(no duplicates\)\./);
        });

        it("rejects duplicate list entries and a missing required setting", () => {
            assert.throws(() => resolvePackConfig(ALL_POLICIES, { ...base, "instance-types-allowed": { environment: "staging", freeTierInstanceTypes: ["t3.small", "t3.small"] } }), /freeTierInstanceTypes = \["t3\.small","t3\.small"\]: allowed a list, each a non-empty string \(no duplicates\)/);
            assert.throws(() => resolvePackConfig(ALL_POLICIES, { "argocd-pinned-revision": { environment: "staging" } }), /instance-types-allowed\.environment = \(not set\)/);
            assert.throws(() => resolvePackConfig(ALL_POLICIES, { ...base, "eks-public-endpoint-restricted": { minimumPrefixLength: 0 } }), /eks-public-endpoint-restricted\.minimumPrefixLength = 0: allowed a whole number from 1 to 32\./);
        });
    });
});
