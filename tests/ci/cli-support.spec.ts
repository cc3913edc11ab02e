/** lib/cli-support.ts: the command-line parsing every tool shares (a wrong command line is exit 2, never a guess). */
import * as assert from "assert";
import { UsageError, parseOptions, parseStringList, positiveSeconds, requireOption, resolveEnvironmentOrUsage } from "../../lib/cli-support";

const isUsage = (pattern: RegExp) => (e: Error) => e instanceof UsageError && e.name === "UsageError" && pattern.test(e.message);

describe("cli-support: parseOptions", () => {
    const KNOWN = { values: ["layer", "org"], lists: ["config"], flags: ["json"] };

    it("reads values (spaced or with =), repeatable lists in order, flags and positionals", () => {
        const parsed = parseOptions(["staging", "--layer", "platform", "--config", "infra:a=1", "--json", "--config=apps:b=x=y", "--org=acme"], KNOWN);
        assert.deepStrictEqual(parsed.options, { layer: "platform", org: "acme" });
        assert.deepStrictEqual(parsed.lists, { config: ["infra:a=1", "apps:b=x=y"] });
        assert.deepStrictEqual([...parsed.flags], ["json"]);
        assert.deepStrictEqual(parsed.positional, ["staging"]);
    });

    it("gives an empty list for a repeatable option that is not used", () => {
        assert.deepStrictEqual(parseOptions(["production"], KNOWN).lists, { config: [] });
    });

    it("refuses unknown options, short options, a flag given a value and a value option without one", () => {
        assert.throws(() => parseOptions(["--force"], KNOWN), isUsage(/unknown option --force/));
        assert.throws(() => parseOptions(["-j"], KNOWN), isUsage(/unknown option -j/));
        assert.throws(() => parseOptions(["--json=yes"], KNOWN), isUsage(/unknown option --json/));
        assert.throws(() => parseOptions(["--layer"], KNOWN), isUsage(/--layer needs a value/));
        assert.throws(() => parseOptions(["--config"], KNOWN), isUsage(/--config needs a value/));
    });
});

describe("cli-support: values", () => {
    it("requireOption, positiveSeconds and parseStringList name the option and what it needs", () => {
        assert.throws(() => requireOption({}, "environment"), isUsage(/--environment is required/));
        assert.throws(() => requireOption({ environment: "" }, "environment"), isUsage(/--environment is required/));
        assert.strictEqual(positiveSeconds({}, "timeout", 900), 900);
        assert.strictEqual(positiveSeconds({ timeout: "60" }, "timeout", 900), 60);
        for (const bad of ["0", "-5", "1.5", "soon"]) assert.throws(() => positiveSeconds({ timeout: bad }, "timeout", 900), isUsage(/--timeout must be a whole number of seconds above 0/), bad);
        assert.deepStrictEqual(parseStringList('["a","b"]', "--services"), ["a", "b"]);
        for (const bad of ["a,b", '{"a":1}', "[1]"]) assert.throws(() => parseStringList(bad, "--services"), isUsage(/--services must be a JSON list of strings/), bad);
    });

    it("resolveEnvironmentOrUsage accepts both environments and turns anything else into a usage error listing them", () => {
        assert.strictEqual(resolveEnvironmentOrUsage("staging"), "staging");
        assert.strictEqual(resolveEnvironmentOrUsage("production"), "production");
        assert.throws(() => resolveEnvironmentOrUsage("dev"), isUsage(/staging, production/));
    });
});
