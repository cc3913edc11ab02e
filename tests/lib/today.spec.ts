/** lib/today.ts: the one place "today" comes from. */
import * as assert from "assert";
import { daysBetween, isIsoDate, today, TODAY_VARIABLE } from "../../lib/today";

describe("today (lib/today.ts)", () => {
    const clock = () => new Date("2027-05-04T23:59:59Z");
    it("is the UTC date of the clock when GITOPS_TODAY is not set", () => {
        assert.strictEqual(today({}, clock), "2027-05-04");
        assert.strictEqual(today({ [TODAY_VARIABLE]: "" }, clock), "2027-05-04");
    });
    it("is GITOPS_TODAY when set", () => {
        assert.strictEqual(today({ [TODAY_VARIABLE]: "2028-02-29" }, clock), "2028-02-29");
    });
    it("refuses a malformed or impossible date, naming the variable", () => {
        for (const bad of ["2027-5-4", "2027-02-30", "tomorrow", "2027-05-04T00:00:00Z"]) {
            assert.throws(() => today({ [TODAY_VARIABLE]: bad }, clock), new RegExp(`^Error: ${TODAY_VARIABLE} = "${bad}": allowed a date written YYYY-MM-DD$`));
        }
        assert.strictEqual(isIsoDate("2026-12-01"), true);
    });
    it("counts whole days across months and leap days", () => {
        assert.strictEqual(daysBetween("2026-12-01", "2026-12-02"), 1);
        assert.strictEqual(daysBetween("2028-02-28", "2028-03-01"), 2);
        assert.strictEqual(daysBetween("2027-03-27", "2027-01-26"), -60);
    });
    it("is pinned for the suite, so no test depends on the day it runs", () => {
        assert.strictEqual(process.env[TODAY_VARIABLE], "2026-11-25");
    });
});
