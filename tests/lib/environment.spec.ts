import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ENVIRONMENTS, resolveEnvironment } from "../../lib/environment";
import { overlaps, parseCidr } from "../../lib/cidr";

describe("environments", () => {
    it("are the stacks with a settings file at the repository root", () => {
        for (const env of ENVIRONMENTS) assert.strictEqual(resolveEnvironment(env), env);
    });

    it("reject an unknown stack name, listing the known environments", () => {
        assert.throws(() => resolveEnvironment("dev"), /stack name = "dev": allowed one of the known environments \(staging, production\)/);
    });

    it("reject a known environment whose settings file is missing", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-settings-"));
        assert.throws(() => resolveEnvironment("production", empty), /staging, production.*Pulumi\.production\.yaml is missing/);
    });
});

describe("CIDR arithmetic", () => {
    it("parses network addresses and rejects malformed ones", () => {
        assert.deepStrictEqual(parseCidr("10.0.0.0/16"), { base: 0x0a000000, prefix: 16, text: "10.0.0.0/16" });
        for (const bad of ["10.0.0/16", "10.0.0.0/33", "256.0.0.0/8", "10.0.0.1/16", "10.0.0.0", " /16"]) {
            assert.strictEqual(parseCidr(bad), undefined, bad);
        }
    });

    it("detects overlap in both directions and adjacency as no overlap", () => {
        const c = (t: string) => parseCidr(t)!;
        assert.ok(overlaps(c("10.0.0.0/16"), c("10.0.255.0/24")));
        assert.ok(overlaps(c("10.0.255.0/24"), c("10.0.0.0/8")));
        assert.ok(!overlaps(c("10.0.0.0/16"), c("10.1.0.0/16")));
        assert.ok(!overlaps(c("172.20.0.0/16"), c("10.0.0.0/16")));
    });
});
