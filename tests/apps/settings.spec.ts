import * as assert from "assert";
import { WORKLOAD_NAMES } from "../../lib/catalogue";
import { isBranchOrTag, isHostname, isRepoUrl, loadAppsSettings } from "../../apps/settings";
import { assertNamesSetting, assertSettingsError, settingsSource } from "../helpers";
import { runLayerExpectingFailure } from "../../lib/offline";
import { ENVS, runAppsExpectingFailure } from "./fixture";

describe("apps settings", () => {
    for (const env of ENVS) {
        it(`${env} defaults: every workload, the ${env} branch, wait for health${env === "production" ? ", protected credentials" : ""}`, () => {
            const s = loadAppsSettings(env, settingsSource(env));
            assert.deepStrictEqual(s, {
                environment: env,
                organization: undefined,
                repoUrl: undefined,
                repoPrivate: false,
                targetRevision: env,
                workloads: [...WORKLOAD_NAMES],
                frontendHostname: undefined,
                syncWindows: [],
                waitForSync: true,
                syncTimeoutMinutes: 15,
                protect: env === "production",
            });
        });
    }

    describe("revisions: a branch or a tag, nothing ArgoCD would read otherwise", () => {
        const good = ["staging", "production", "main", "release-1.4", "v1.2.3", "v2.0.0-rc.1+build.7", "release/2026.11", "hotfix_42", "team/feature-x"];
        const bad = [
            "HEAD",
            "head",
            "0123456789abcdef0123456789abcdef01234567", // a commit SHA
            "abc1234", // a short SHA
            "1.*",
            "^1.2.0",
            ">=1.0.0",
            "~1.2",
            "feature branch",
            "../main",
            "a..b",
            "/main",
            "main/",
            "main.lock",
            ".hidden",
            "a//b",
            "refs:heads",
            "main@{1}",
            "",
        ];
        for (const v of good) it(`accepts ${JSON.stringify(v)}`, () => assert.ok(isBranchOrTag(v), v));
        for (const v of bad) it(`rejects ${JSON.stringify(v)}`, () => assert.ok(!isBranchOrTag(v), v));

        it("a setting that is not a branch or tag fails, naming the key, the value and what is allowed", () => {
            assertSettingsError(() => loadAppsSettings("production", settingsSource("production", { "apps:targetRevision": "HEAD" })), "apps:targetRevision", '"HEAD"', /branch or tag/);
            const sha = "0123456789abcdef0123456789abcdef01234567";
            assertSettingsError(() => loadAppsSettings("staging", settingsSource("staging", { "apps:targetRevision": sha })), "apps:targetRevision", sha, /not a commit SHA/);
        });
    });

    describe("workloads", () => {
        it("an unknown workload fails, listing the known ones", () => {
            assertSettingsError(
                () => loadAppsSettings("staging", settingsSource("staging", { "apps:workloads": ["mysql", "redis", "payment-service"] })),
                "apps:workloads",
                "payment-service",
                new RegExp(`workloads of this repository \\(${WORKLOAD_NAMES.join(", ")}\\)`),
            );
        });

        it("a workload without what it needs fails, saying what is missing", () => {
            assertSettingsError(
                () => loadAppsSettings("staging", settingsSource("staging", { "apps:workloads": ["frontend", "user-service"] })),
                "apps:workloads",
                "frontend",
                /user-service needs mysql; user-service needs redis; frontend needs product-service; frontend needs order-service/,
            );
        });

        it("an empty list or a duplicate fails", () => {
            assertSettingsError(() => loadAppsSettings("staging", settingsSource("staging", { "apps:workloads": [] })), "apps:workloads", "[]", /non-empty list/);
            assertSettingsError(() => loadAppsSettings("staging", settingsSource("staging", { "apps:workloads": ["mysql", "mysql"] })), "apps:workloads", "mysql", /without duplicates/);
        });

        it("the order given does not matter: Applications follow the catalogue", () => {
            const s = loadAppsSettings("staging", settingsSource("staging", { "apps:workloads": ["user-service", "redis", "mysql"] }));
            assert.deepStrictEqual(s.workloads, ["mysql", "redis", "user-service"]);
        });
    });

    describe("repository and hostname", () => {
        it("repository URLs: https, no credentials in them", () => {
            assert.ok(isRepoUrl("https://github.com/acme/shop.git"));
            assert.ok(isRepoUrl("https://git.example.com:8443/platform/shop"));
            for (const bad of ["http://github.com/acme/shop.git", "git@github.com:acme/shop.git", "https://user:token@github.com/acme/shop.git", "https://github.com", "https://github.com/acme/shop.git?ref=x", "https://github.com/../x"]) {
                assert.ok(!isRepoUrl(bad), bad);
            }
            assertSettingsError(
                () => loadAppsSettings("staging", settingsSource("staging", { "apps:repoUrl": "https://bot:ghp_secret@github.com/acme/shop.git" })),
                "apps:repoUrl",
                "github.com/acme/shop.git",
                /without credentials/,
            );
        });

        it("hostnames: lowercase DNS names, no scheme, no wildcard", () => {
            for (const good of ["shop.example.com", "shop-staging.eu.example.co.uk", "a1.example.io"]) assert.ok(isHostname(good), good);
            for (const bad of ["https://shop.example.com", "*.example.com", "Shop.Example.com", "localhost", "shop_1.example.com", "-shop.example.com", "shop.example.com."]) {
                assert.ok(!isHostname(bad), bad);
            }
            assertSettingsError(() => loadAppsSettings("production", settingsSource("production", { "apps:frontendHostname": "*.example.com" })), "apps:frontendHostname", "*.example.com", /DNS name/);
        });

        it("a hostname without the frontend workload fails", () => {
            assertSettingsError(
                () => loadAppsSettings("staging", settingsSource("staging", { "apps:workloads": ["mysql", "redis"], "apps:frontendHostname": "shop.example.com" })),
                "apps:frontendHostname",
                "shop.example.com",
                /includes frontend/,
            );
        });
    });

    describe("sync windows", () => {
        const windows = (w: unknown) => () => loadAppsSettings("production", settingsSource("production", { "apps:syncWindows": w }));

        it("each field is checked: kind, cron schedule, duration, applications, time zone, unknown keys", () => {
            assertSettingsError(windows([{ kind: "block", schedule: "0 22 * * 5", duration: "1h" }]), "apps:syncWindows[0].kind", "block", /one of allow, deny/);
            assertSettingsError(windows([{ kind: "deny", schedule: "every friday", duration: "1h" }]), "apps:syncWindows[0].schedule", "every friday", /cron schedule of 5 fields/);
            assertSettingsError(windows([{ kind: "deny", schedule: "0 22 * * 5", duration: "two hours" }]), "apps:syncWindows[0].duration", "two hours", /1h, 30m or 1h30m/);
            assertSettingsError(windows([{ kind: "deny", schedule: "0 22 * * 5", duration: "0h" }]), "apps:syncWindows[0].duration", "0h", /1h, 30m or 1h30m/);
            assertSettingsError(windows([{ kind: "deny", schedule: "0 22 * * 5", duration: "1h", applications: ["billing"] }]), "apps:syncWindows[0].applications", "billing", /enabled workloads/);
            assertSettingsError(windows([{ kind: "deny", schedule: "0 22 * * 5", duration: "1h", timeZone: "Paris" }]), "apps:syncWindows[0].timeZone", "Paris", /IANA time zone/);
            assertSettingsError(windows([{ kind: "deny", schedule: "0 22 * * 5", duration: "1h", clusters: ["*"] }]), "apps:syncWindows[0].clusters", '["*"]', /keys of apps:syncWindows\[0\]/);
            assertSettingsError(windows({ kind: "deny" }), "apps:syncWindows", "deny", /a list of sync windows/);
        });
    });

    describe("mistakes are all reported at once, before anything is built", () => {
        it("an unknown key (a typo) fails with the known keys", () => {
            assertSettingsError(() => loadAppsSettings("staging", settingsSource("staging", { "apps:targetRevison": "main" })), "apps:targetRevison", "main", /only known settings of apps \(.*targetRevision.*\); check the spelling/);
        });

        it("several bad settings give one error listing each", () => {
            let error: Error | undefined;
            try {
                loadAppsSettings("staging", settingsSource("staging", { "apps:targetRevision": "HEAD", "apps:syncTimeoutMinutes": 0, "apps:repoPrivate": "yes" }));
            } catch (e) {
                error = e as Error;
            }
            assert.ok(error);
            assertNamesSetting(error!, "apps:targetRevision", '"HEAD"', /branch or tag/);
            assertNamesSetting(error!, "apps:syncTimeoutMinutes", "0", /whole number from 1 to 120/);
            assertNamesSetting(error!, "apps:repoPrivate", "yes", /true or false/);
        });

        for (const [what, config, key, value] of [
            ["an unknown workload", { "apps:workloads": ["mysql", "redis", "payment-service"] }, "apps:workloads", "payment-service"],
            ["a revision that is not a branch or tag", { "apps:targetRevision": "HEAD" }, "apps:targetRevision", "HEAD"],
        ] as const) {
            it(`the program stops on ${what} before registering any resource`, async () => {
                const failure = await runAppsExpectingFailure("production", { config });
                assertNamesSetting(failure.error, key, value, /allowed/);
                assert.deepStrictEqual(failure.resources, []);
            });
        }

        it("a stack that is not an environment stops the program", async () => {
            const failure = await runLayerExpectingFailure("apps", { env: "dev" });
            assertNamesSetting(failure.error, "stack name", "dev", /known environments \(staging, production\)/);
            assert.deepStrictEqual(failure.resources, []);
        });
    });
});
