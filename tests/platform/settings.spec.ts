import * as assert from "assert";
import { Environment } from "../../lib/environment";
import { ADDON_NAMES, CHARTS } from "../../platform/charts";
import { DEFAULT_WORKLOAD_NAMESPACES, loadPlatformSettings } from "../../platform/settings";
import { runLayerExpectingFailure } from "../../lib/offline";
import { assertNamesSetting, assertSettingsError, settingsSource } from "../helpers";
import { CERTIFICATE_ARN, runPlatformExpectingFailure } from "./helpers";
import { namespaceOf, WORKLOAD_NAMES } from "../../lib/catalogue";

const load = (env: Environment, overrides: Record<string, unknown> = {}) => loadPlatformSettings(env, { source: settingsSource(env, overrides) });

describe("platform settings", () => {
    describe("defaults per environment", () => {
        it("staging: 3-day Prometheus retention without a volume, 30 days of ALB logs, not protected, nothing exposed", () => {
            const s = load("staging");
            assert.deepStrictEqual(s.workloadNamespaces, DEFAULT_WORKLOAD_NAMESPACES);
            // The catalogue's tiers, each namespace once.
            assert.deepStrictEqual(s.workloadNamespaces, [...new Set(WORKLOAD_NAMES.map(namespaceOf))]);
            assert.strictEqual(s.prometheusRetentionDays, 3);
            assert.strictEqual(s.prometheusVolumeGiB, 0);
            assert.strictEqual(s.albAccessLogRetentionDays, 30);
            assert.strictEqual(s.protect, false);
            assert.strictEqual(s.argocdHostname, undefined);
            assert.strictEqual(s.certificateArn, undefined);
            assert.strictEqual(s.argocdAdminGroup, "platform-admins");
            assert.strictEqual(s.region, "us-east-1");
            assert.strictEqual(s.organization, undefined);
            assert.deepStrictEqual(s.uiAccessCidrs, []);
        });

        it("production: 15-day retention on a 50 GiB gp3 volume, a year of ALB logs, protected", () => {
            const s = load("production");
            assert.strictEqual(s.prometheusRetentionDays, 15);
            assert.strictEqual(s.prometheusVolumeGiB, 50);
            assert.strictEqual(s.albAccessLogRetentionDays, 365);
            assert.strictEqual(s.protect, true);
        });

        it("every add-on's chart version is pinned in code; an override replaces one", () => {
            assert.deepStrictEqual(load("staging").chartVersions, Object.fromEntries(ADDON_NAMES.map((n) => [n, CHARTS[n].version])));
            const s = load("production", { "platform:chartVersions": { "argo-cd": "10.1.2" } });
            assert.strictEqual(s.chartVersions["argo-cd"], "10.1.2");
            assert.strictEqual(s.chartVersions["external-secrets"], CHARTS["external-secrets"].version);
        });

        it("SSO: the client secret's Secrets Manager key defaults under argocd/", () => {
            const s = load("production", {
                "platform:certificateArn": CERTIFICATE_ARN,
                "platform:argocdHostname": "argocd.example.com",
                "platform:argocdSso": { issuer: "https://login.example.com/realms/acme", clientId: "argocd" },
            });
            assert.deepStrictEqual(s.argocdSso, { name: "SSO", issuer: "https://login.example.com/realms/acme", clientId: "argocd", clientSecretKey: "argocd/oidc-client-secret" });
        });
    });

    describe("rejects bad values, naming the key, the value and what is allowed", () => {
        it("a hostname without a certificate", () => {
            assertSettingsError(() => load("staging", { "platform:argocdHostname": "argocd.example.com" }), "platform:argocdHostname", '"argocd.example.com"', /only together with platform:certificateArn/);
            assertSettingsError(() => load("production", { "platform:grafanaHostname": "grafana.example.com" }), "platform:grafanaHostname", '"grafana.example.com"', /only together with platform:certificateArn/);
        });

        it("a certificate that is not an ACM ARN of the region", () => {
            assertSettingsError(() => load("staging", { "platform:certificateArn": "arn:aws:iam::123456789012:server-certificate/x" }), "platform:certificateArn", "server-certificate", /ACM certificate ARN in us-east-1/);
            const otherRegion = CERTIFICATE_ARN.replace("us-east-1", "eu-west-1");
            assertSettingsError(() => load("staging", { "platform:certificateArn": otherRegion }), "platform:certificateArn", "eu-west-1", /in us-east-1/);
        });

        it("an unknown add-on name, or a version range, in chartVersions", () => {
            assertSettingsError(() => load("staging", { "platform:chartVersions": { "argo-workflows": "1.0.0" } }), "platform:chartVersions.argo-workflows", '"1.0.0"', /add-on names of platform:chartVersions: aws-load-balancer-controller, argo-cd/);
            assertSettingsError(() => load("staging", { "platform:chartVersions": { "argo-cd": "^10.1.0" } }), "platform:chartVersions.argo-cd", '"^10.1.0"', /exact chart version/);
        });

        it("a negative or zero Prometheus retention", () => {
            assertSettingsError(() => load("staging", { "platform:prometheusRetentionDays": -1 }), "platform:prometheusRetentionDays", "-1", /whole number from 1 to 365/);
            assertSettingsError(() => load("production", { "platform:prometheusRetentionDays": 0 }), "platform:prometheusRetentionDays", "0", /whole number from 1 to 365/);
            assertSettingsError(() => load("staging", { "platform:prometheusRetentionDays": "7d" }), "platform:prometheusRetentionDays", '"7d"', /whole number/);
        });

        it("production without a Prometheus volume", () => {
            assertSettingsError(() => load("production", { "platform:prometheusVolumeGiB": 0 }), "platform:prometheusVolumeGiB", "0", /at least 10 in production/);
            assert.strictEqual(load("staging", { "platform:prometheusVolumeGiB": 20 }).prometheusVolumeGiB, 20);
        });

        it("workload namespaces that are not namespace names, or that the platform or Kubernetes owns", () => {
            assertSettingsError(() => load("staging", { "platform:workloadNamespaces": ["Frontend"] }), "platform:workloadNamespaces", '["Frontend"]', /namespace names/);
            assertSettingsError(() => load("staging", { "platform:workloadNamespaces": ["frontend", "argocd"] }), "platform:workloadNamespaces", '"argocd"', /none of default, kube-system/);
            assertSettingsError(() => load("staging", { "platform:workloadNamespaces": ["a", "a"] }), "platform:workloadNamespaces", '["a","a"]', /without duplicates/);
            assertSettingsError(() => load("staging", { "platform:workloadNamespaces": [] }), "platform:workloadNamespaces", "[]", /non-empty/);
        });

        it("SSO without an ArgoCD hostname, or with unknown keys", () => {
            assertSettingsError(
                () => load("staging", { "platform:argocdSso": { issuer: "https://login.example.com", clientId: "argocd" } }),
                "platform:argocdSso",
                "login.example.com",
                /only together with platform:argocdHostname/,
            );
            assertSettingsError(
                () => load("staging", { "platform:argocdSso": { issuer: "http://login.example.com", clientId: "argocd", clientSecret: "s3cr3t" } }),
                "platform:argocdSso.clientSecret",
                '"s3cr3t"',
                /keys of platform:argocdSso: name, issuer, clientId, clientSecretKey/,
            );
        });

        it("an e-mail, a Secrets Manager key or a WAF limit that cannot be right", () => {
            assertSettingsError(() => load("staging", { "platform:alarmEmail": "ops" }), "platform:alarmEmail", '"ops"', /e-mail address/);
            assertSettingsError(() => load("staging", { "platform:alarmPagerDutyUrlSecret": "/pagerduty" }), "platform:alarmPagerDutyUrlSecret", '"/pagerduty"', /relative to the environment's prefix/);
            assertSettingsError(() => load("staging", { "platform:wafRateLimit": 5 }), "platform:wafRateLimit", "5", /from 10 to 2000000000/);
        });

        it("ArgoCD on a hostname without SSO: its local admin login would face the internet, unless uiAccessCidrs limits the platform's load balancer", () => {
            const exposed = { "platform:certificateArn": CERTIFICATE_ARN, "platform:argocdHostname": "argocd.example.com" };
            assertSettingsError(() => load("staging", exposed), "platform:argocdHostname", '"argocd.example.com"', /only with platform:argocdSso .* or platform:uiAccessCidrs .*local admin login would face the internet/);
            assert.deepStrictEqual(load("staging", { ...exposed, "platform:uiAccessCidrs": ["203.0.113.0/24"] }).uiAccessCidrs, ["203.0.113.0/24"]);
            assert.ok(load("production", { ...exposed, "platform:argocdSso": { issuer: "https://login.example.com", clientId: "argocd" } }).argocdSso);
            // Grafana keeps its generated admin login: it may face the internet behind the WAF.
            assert.strictEqual(load("staging", { "platform:certificateArn": CERTIFICATE_ARN, "platform:grafanaHostname": "grafana.example.com" }).uiAccessCidrs.length, 0);
        });

        it("uiAccessCidrs that are not IPv4 CIDRs, wider than /8, or more than the security group takes", () => {
            assertSettingsError(() => load("staging", { "platform:uiAccessCidrs": ["203.0.113.7"] }), "platform:uiAccessCidrs", '"203.0.113.7"', /IPv4 CIDRs, each \/8 or narrower/);
            assertSettingsError(() => load("staging", { "platform:uiAccessCidrs": ["0.0.0.0/0"] }), "platform:uiAccessCidrs", '"0.0.0.0/0"', /each \/8 or narrower/);
            const many = Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`);
            assertSettingsError(() => load("staging", { "platform:uiAccessCidrs": many }), "platform:uiAccessCidrs", '"10.25.0.0/16"', /at most 25 IPv4 CIDRs/);
        });

        it("a platform secret named under apps/ (the workloads' secrets, which the platform's store may not read)", () => {
            assertSettingsError(() => load("staging", { "platform:alertmanagerPagerDutySecret": "apps/mysql" }), "platform:alertmanagerPagerDutySecret", '"apps/mysql"', /not under apps\//);
            assertSettingsError(() => load("staging", { "platform:alarmPagerDutyUrlSecret": "pagerduty/../apps/redis" }), "platform:alarmPagerDutyUrlSecret", "apps/redis", /not under apps\//);
            assertSettingsError(
                () => load("production", { "platform:certificateArn": CERTIFICATE_ARN, "platform:argocdHostname": "argocd.example.com", "platform:argocdSso": { issuer: "https://login.example.com", clientId: "argocd", clientSecretKey: "apps/oidc" } }),
                "platform:argocdSso.clientSecretKey",
                '"apps/oidc"',
                /not under apps\//,
            );
        });

        it("a misspelt key, with every other problem at once", () => {
            const error = assertSettingsError(
                () => load("staging", { "platform:argocdHostnme": "argocd.example.com", "platform:prometheusRetentionDays": -3 }),
                "platform:argocdHostnme",
                '"argocd.example.com"',
                /only known settings of platform .*argocdHostname.*check the spelling/,
            );
            assertNamesSetting(error, "platform:prometheusRetentionDays", "-3", /from 1 to 365/);
        });
    });

    describe("the program stops before registering anything", () => {
        const cases: [string, Record<string, unknown>, string, string, RegExp][] = [
            ["a hostname without a certificate", { "platform:argocdHostname": "argocd.example.com" }, "platform:argocdHostname", '"argocd.example.com"', /certificateArn/],
            ["an unknown add-on name", { "platform:chartVersions": { traefik: "30.0.0" } }, "platform:chartVersions.traefik", '"30.0.0"', /add-on names/],
            ["a negative retention", { "platform:prometheusRetentionDays": -1 }, "platform:prometheusRetentionDays", "-1", /from 1 to 365/],
        ];
        for (const [what, config, key, value, allowed] of cases) {
            it(what, async () => {
                const failure = await runPlatformExpectingFailure("staging", config);
                assertNamesSetting(failure.error, key, value, allowed);
                assert.deepStrictEqual(failure.resources, []);
            });
        }

        it("a stack that is not an environment", async () => {
            const failure = await runLayerExpectingFailure("platform", { env: "dev" });
            assertNamesSetting(failure.error, "stack name", '"dev"', /known environments \(staging, production\)/);
            assert.deepStrictEqual(failure.resources, []);
        });
    });
});
