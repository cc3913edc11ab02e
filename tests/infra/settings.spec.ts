import * as assert from "assert";
import { loadInfraSettings, FREE_TIER_INSTANCE_TYPES, PRODUCTION_INSTANCE_TYPES, TEMPLATE_GITHUB_REPOSITORY } from "../../infra/settings";
import { supportStatus, supportedKubernetesVersions, KUBERNETES_VERSIONS } from "../../infra/versions";
import { Environment } from "../../lib/environment";
import { runLayerExpectingFailure } from "../../lib/offline";
import { assertNamesSetting, assertSettingsError, settingsSource } from "../helpers";
import { today } from "../../lib/today";

// The suite's pinned day (tests/register.js).
const TODAY = today();
const load = (env: Environment, overrides: Record<string, unknown> = {}, dryRun = true, today = TODAY) =>
    loadInfraSettings(env, { source: settingsSource(env, overrides), today, dryRun });
const loadSettings = load;

describe("infra settings", () => {
    describe("defaults per environment", () => {
        it("staging: 2 AZs, one NAT, free-tier t3.small nodes, Kubernetes 1.35, not protected", () => {
            const s = load("staging");
            assert.strictEqual(s.availabilityZoneCount, 2);
            assert.strictEqual(s.natGatewayStrategy, "Single");
            assert.deepStrictEqual(s.nodeGroup.instanceTypes, ["t3.small"]);
            assert.deepStrictEqual(s.allowedInstanceTypes, FREE_TIER_INSTANCE_TYPES);
            assert.strictEqual(s.kubernetesVersion, "1.35");
            assert.strictEqual(s.vpcCidr, "10.0.0.0/16");
            assert.strictEqual(s.protect, false);
            assert.strictEqual(s.namePrefix, "gitops-staging");
            assert.strictEqual(s.nodeGroup.cpuCredits, "standard", "a free-tier staging never bills CPU bursts");
            assert.strictEqual(s.nodeAvailabilityZoneCount, 1, "nodes in one AZ; the VPC keeps two for the control plane and the ALB");
        });

        it("production: 3 AZs, a NAT per AZ, t3.medium nodes, protected", () => {
            const s = load("production");
            assert.strictEqual(s.availabilityZoneCount, 3);
            assert.strictEqual(s.natGatewayStrategy, "OnePerAz");
            assert.deepStrictEqual(s.nodeGroup.instanceTypes, ["t3.medium"]);
            assert.deepStrictEqual(s.allowedInstanceTypes, PRODUCTION_INSTANCE_TYPES);
            assert.strictEqual(s.protect, true);
            assert.ok(s.flowLogRetentionDays >= 90);
            assert.strictEqual(s.nodeGroup.cpuCredits, "unlimited", "production bursts rather than throttles");
            assert.strictEqual(s.nodeAvailabilityZoneCount, 3, "nodes in every AZ");
            assert.strictEqual(load("production", { "infra:availabilityZoneCount": 2 }).nodeAvailabilityZoneCount, 2, "the default follows the VPC");
        });

        it("pins every add-on of the chosen Kubernetes version", () => {
            const s = load("staging", { "infra:kubernetesVersion": "1.36" });
            assert.deepStrictEqual(s.addonVersions, KUBERNETES_VERSIONS["1.36"].addons);
            const overridden = load("staging", { "infra:addonVersions": { coredns: "v1.14.4-eksbuild.1" } });
            assert.strictEqual(overridden.addonVersions.coredns, "v1.14.4-eksbuild.1");
            assert.strictEqual(overridden.addonVersions["kube-proxy"], KUBERNETES_VERSIONS["1.35"].addons["kube-proxy"]);
        });
    });

    describe("the promotion (production copies what staging verified from staging's registry)", () => {
        it("defaults: staging's repositories in this account, named <project>-staging; production in staging's account", () => {
            assert.deepStrictEqual(load("production").promotionSource, { accountId: undefined, namePrefix: "gitops-staging" });
            assert.strictEqual(load("production").promotionTarget, undefined);
            assert.deepStrictEqual(load("staging").promotionTarget, { accountId: undefined, namePrefix: "gitops-production" });
            assert.strictEqual(load("staging").promotionSource, undefined);
            assert.deepStrictEqual(load("production", { "infra:project": "shop" }).promotionSource, { accountId: undefined, namePrefix: "shop-staging" });
        });

        it("separate accounts: each end names the other's account (and prefix, if its project differs)", () => {
            assert.deepStrictEqual(load("production", { "infra:promotionSource": { accountId: "111111111111", namePrefix: "shop-staging" } }).promotionSource, { accountId: "111111111111", namePrefix: "shop-staging" });
            assert.deepStrictEqual(load("staging", { "infra:promotionTarget": { accountId: "222222222222" } }).promotionTarget, { accountId: "222222222222", namePrefix: "gitops-production" });
        });

        it("one account: warns when staging and production ask for different CPU credits of a family both run (one default per account and region)", () => {
            const peer = (env: Environment, overrides: Record<string, unknown> = {}) => settingsSource(env, overrides);
            const withPeer = (env: Environment, overrides: Record<string, unknown>, peerOverrides: Record<string, unknown> = {}) =>
                loadInfraSettings(env, { source: settingsSource(env, overrides), today: TODAY, dryRun: true, peer: peer(env === "staging" ? "production" : "staging", peerOverrides) }).warnings;
            const [staging] = withPeer("staging", {});
            assert.match(staging, /^infra:nodeGroup\.cpuCredits: staging asks for standard credits on its t3 nodes, production for unlimited, in one account \(infra:promotionTarget\.accountId unset\): the t3 default is one per account and region, and staging sets it to standard, so production's t3 nodes run standard too/);
            const [production] = withPeer("production", {});
            assert.match(production, /production asks for unlimited credits on its t3 nodes, staging for standard, .*staging sets it to standard, so production's t3 nodes run standard too.*\(infra:promotionSource\.accountId\)$/);
            // The same mode, other families, another account, another region: nothing to fight over.
            assert.deepStrictEqual(withPeer("staging", { "infra:nodeGroup": { cpuCredits: "unlimited" } }), []);
            assert.deepStrictEqual(withPeer("staging", { "infra:nodeGroup": { instanceTypes: ["t4g.small"] } }), []);
            assert.deepStrictEqual(withPeer("staging", { "infra:promotionTarget": { accountId: "222222222222" } }), []);
            assert.deepStrictEqual(withPeer("production", {}, { "aws:region": "eu-west-1" }), []);
            assert.deepStrictEqual(withPeer("staging", {}, { "infra:vpcCidr": "nonsense" }), [], "the other environment's broken settings are its own run's to report");
            assert.deepStrictEqual(load("staging").warnings, [], "without the other environment's settings, nothing is compared");
        });
    });

    describe("rejects bad values, naming the key, the value and what is allowed", () => {
        it("a malformed VPC CIDR", () => {
            assertSettingsError(() => load("staging", { "infra:vpcCidr": "10.0.0/16" }), "infra:vpcCidr", '"10.0.0/16"', /IPv4 CIDR/);
            assertSettingsError(() => load("staging", { "infra:vpcCidr": "10.0.0.1/16" }), "infra:vpcCidr", '"10.0.0.1/16"', /IPv4 CIDR/);
            assertSettingsError(() => load("staging", { "infra:vpcCidr": "8.8.0.0/16" }), "infra:vpcCidr", '"8.8.0.0/16"', /private range/);
        });

        it("a service CIDR that overlaps the VPC", () => {
            assertSettingsError(
                () => load("staging", { "infra:serviceCidr": "10.0.128.0/17" }),
                "infra:serviceCidr",
                '"10.0.128.0/17"',
                /does not overlap infra:vpcCidr \(10\.0\.0\.0\/16\)/,
            );
        });

        it("subnets that do not fit in the VPC", () => {
            assertSettingsError(
                () => load("production", { "infra:vpcCidr": "10.0.0.0/20", "infra:privateSubnetMask": 21 }),
                "infra:vpcCidr",
                '"10.0.0.0/20"',
                /holding 3 public \/24 and 3 private \/21 subnets/,
            );
        });

        it("an availability-zone count outside 2..6", () => {
            assertSettingsError(() => load("staging", { "infra:availabilityZoneCount": 1 }), "infra:availabilityZoneCount", "1", /from 2 to 6/);
            assertSettingsError(() => load("production", { "infra:availabilityZoneCount": 7 }), "infra:availabilityZoneCount", "7", /from 2 to 6/);
        });

        it("node AZs outside 1..infra:availabilityZoneCount, or fewer than two in production", () => {
            assertSettingsError(() => load("staging", { "infra:nodeAvailabilityZoneCount": 3 }), "infra:nodeAvailabilityZoneCount", "3", /from 1 to infra:availabilityZoneCount \(2\)/);
            assertSettingsError(() => load("staging", { "infra:nodeAvailabilityZoneCount": 0 }), "infra:nodeAvailabilityZoneCount", "0", /from 1 to 6/);
            assertSettingsError(() => load("production", { "infra:nodeAvailabilityZoneCount": 1 }), "infra:nodeAvailabilityZoneCount", "1", /from 2 to infra:availabilityZoneCount \(3\): production runs nodes in at least two AZs/);
        });

        it("node group sizes out of order (min <= desired <= max)", () => {
            assertSettingsError(
                () => load("staging", { "infra:nodeGroup": { minSize: 3, desiredSize: 2, maxSize: 4 } }),
                "infra:nodeGroup",
                '"minSize":3,"desiredSize":2,"maxSize":4',
                /minSize <= desiredSize <= maxSize/,
            );
            assertSettingsError(
                () => load("staging", { "infra:nodeGroup": { minSize: 1, desiredSize: 5, maxSize: 4 } }),
                "infra:nodeGroup",
                '"desiredSize":5',
                /minSize <= desiredSize <= maxSize/,
            );
        });

        it("production node groups that may scale a zone to zero", () => {
            assertSettingsError(() => load("production", { "infra:nodeGroup": { minSize: 0, desiredSize: 1, maxSize: 2 } }), "infra:nodeGroup.minSize", "0", /at least 1 in production/);
        });

        it("a Kubernetes version this release does not know, on any day and in previews too", () => {
            assertSettingsError(() => load("staging", { "infra:kubernetesVersion": "1.28" }), "infra:kubernetesVersion", '"1.28"', /standard support on 2026-11-25: 1\.34, 1\.35, 1\.36 \(this release knows 1\.34, 1\.35, 1\.36\)/);
            assertSettingsError(() => load("staging", { "infra:kubernetesVersion": "1.37" }, false), "infra:kubernetesVersion", '"1.37"', /this release knows/);
        });

        describe("the support window (pinned dates; 1.34 ends 2026-12-02, 1.35 ends 2027-03-27)", () => {
            // A real `pulumi up` (dryRun false) of a fork: its own repository, so only the version decides.
            const fork = { "infra:githubRepository": "example-org/platform" };
            const load = (env: Environment, overrides: Record<string, unknown>, dryRun: boolean, today: string) => loadSettings(env, { ...fork, ...overrides }, dryRun, today);
            const v134 = { "infra:kubernetesVersion": "1.34" };
            it("more than 60 days before the end: accepted, no warning", () => {
                assert.deepStrictEqual(load("staging", {}, false, "2027-01-25").warnings, []);
                assert.deepStrictEqual(supportStatus("1.35", "2027-01-25"), { phase: "standard", endOfStandardSupport: "2027-03-27", daysLeft: 61 });
            });
            it("from 60 days before the end: accepted with a warning naming the date and the days left", () => {
                const s = load("staging", {}, false, "2027-01-26");
                assert.strictEqual(s.kubernetesVersion, "1.35");
                assert.strictEqual(s.warnings.length, 1);
                assert.match(s.warnings[0], /^infra:kubernetesVersion: 1\.35 leaves EKS standard support on 2027-03-27 \(in 60 days\): plan the upgrade \(the value is the default/);
            });
            it("the day before the end: a real up still succeeds", () => {
                const s = load("staging", v134, false, "2026-12-01");
                assert.strictEqual(s.kubernetesVersion, "1.34");
                assert.match(s.warnings[0], /in 1 days/);
            });
            it("on the end day (AWS bills extended support from 00:00 UTC): a real up is refused, naming what is allowed", () => {
                assertSettingsError(() => load("staging", v134, false, "2026-12-02"), "infra:kubernetesVersion", '"1.34"', /standard support on 2026-12-02: 1\.35, 1\.36; 1\.34 left standard support on 2026-12-02/);
                assert.deepStrictEqual(supportedKubernetesVersions("2026-12-02"), ["1.35", "1.36"]);
                assert.deepStrictEqual(supportedKubernetesVersions("2026-12-01"), ["1.34", "1.35", "1.36"]);
            });
            it("after the end, a preview (and the offline plan) only warns: CI and the plan keep working", () => {
                const s = load("staging", v134, true, "2026-12-03");
                assert.strictEqual(s.kubernetesVersion, "1.34");
                assert.match(s.warnings[0], /1\.34 left EKS standard support on 2026-12-02: .*`pulumi up` refuses it until you upgrade to 1\.35 or 1\.36/);
            });
            it("the default version after its end, with no key set: the refusal says it is the release's default", () => {
                const defaults = { "infra:kubernetesVersion": undefined };
                for (const env of ["staging", "production"] as const) {
                    assertSettingsError(() => load(env, defaults, false, "2027-03-28"), "infra:kubernetesVersion", '"1.35"', /standard support on 2027-03-28: 1\.36; .*\(the value is the default of this release: set infra:kubernetesVersion\)/);
                }
                // Setting a supported version is the way out.
                assert.strictEqual(load("staging", { "infra:kubernetesVersion": "1.36" }, false, "2027-03-28").kubernetesVersion, "1.36");
            });
            it("once every known version has ended: a real up says to update infra/versions.ts", () => {
                assertSettingsError(() => load("staging", {}, false, "2027-08-03"), "infra:kubernetesVersion", '"1.35"', /none of the versions this release knows \(1\.34, 1\.35, 1\.36\) is: update infra\/versions\.ts/);
                assert.match(load("staging", {}, true, "2028-12-31").warnings[0], /a newer version \(update infra\/versions\.ts\)/);
            });
        });

        it("an instance type outside the environment's allowed list", () => {
            assertSettingsError(
                () => load("staging", { "infra:nodeGroup": { instanceTypes: ["m5.large"] } }),
                "infra:nodeGroup.instanceTypes",
                '["m5.large"]',
                /allowed in staging \(infra:allowedInstanceTypes: t3\.micro, t3\.small/,
            );
            assertSettingsError(
                () => load("production", { "infra:nodeGroup": { instanceTypes: ["t3.micro"] } }),
                "infra:nodeGroup.instanceTypes",
                '["t3.micro"]',
                /allowed in production \(infra:allowedInstanceTypes: t3\.small, t3\.medium\)/,
            );
            assertSettingsError(
                () => load("staging", { "infra:nodeGroup": { instanceTypes: ["t3.small", "t4g.small"] } }),
                "infra:nodeGroup.instanceTypes",
                '["t3.small","t4g.small"]',
                /one CPU architecture/,
            );
        });

        it("a missing or malformed GitHub repository", () => {
            assertSettingsError(() => load("staging", { "infra:githubRepository": undefined }), "infra:githubRepository", "(not set)", /owner\/name/);
            assertSettingsError(() => load("staging", { "infra:githubRepository": "just-a-name" }), "infra:githubRepository", '"just-a-name"', /owner\/name/);
        });

        it("the template's placeholder repository when deploying (previews accept it)", () => {
            assert.strictEqual(load("staging").githubRepository, TEMPLATE_GITHUB_REPOSITORY);
            assertSettingsError(() => load("staging", {}, false), "infra:githubRepository", `"${TEMPLATE_GITHUB_REPOSITORY}"`, /your own repository/);
            assert.strictEqual(load("staging", { "infra:githubRepository": "my-org/platform" }, false).githubRepository, "my-org/platform");
        });

        it("a public endpoint open to the internet, whole or in halves", () => {
            assertSettingsError(() => load("production", { "infra:endpointPublicAccessCidrs": ["0.0.0.0/0"] }), "infra:endpointPublicAccessCidrs", '["0.0.0.0/0"]', /each \/8 or narrower/);
            assertSettingsError(
                () => load("production", { "infra:endpointPublicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"] }),
                "infra:endpointPublicAccessCidrs",
                '["0.0.0.0/1","128.0.0.0/1"]',
                /each \/8 or narrower/,
            );
            const many = Array.from({ length: 41 }, (_, i) => `10.${i}.0.0/16`);
            assertSettingsError(() => load("staging", { "infra:endpointPublicAccessCidrs": many }), "infra:endpointPublicAccessCidrs", '"10.40.0.0/16"', /at most 40 IPv4 CIDRs \(the EKS limit\)/);
        });

        it("a GitHub OIDC provider mode other than auto, create or existing (an ARN is never needed)", () => {
            assert.strictEqual(load("staging").githubOidcProvider, "auto");
            assertSettingsError(() => load("production", { "infra:githubOidcProvider": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }), "infra:githubOidcProvider", "oidc-provider", /one of auto, create, existing/);
        });

        it("a promotion setting in the wrong environment, an account id that is not a quoted 12-digit string, a prefix of another environment", () => {
            assertSettingsError(() => load("staging", { "infra:promotionSource": { accountId: "111111111111" } }), "infra:promotionSource", "111111111111", /no value in staging: only an environment that promotes images from another environment has one \(production promotes from staging\)/);
            assertSettingsError(() => load("production", { "infra:promotionTarget": { accountId: "111111111111" } }), "infra:promotionTarget", "111111111111", /no value in production: only an environment that another environment promotes images from/);
            assertSettingsError(() => load("production", { "infra:promotionSource": { accountId: 111111111111 } }), "infra:promotionSource.accountId", "111111111111", /12-digit id of staging's AWS account, as a quoted string/);
            assertSettingsError(() => load("production", { "infra:promotionSource": { accountId: "1111" } }), "infra:promotionSource.accountId", '"1111"', /12-digit id/);
            assertSettingsError(() => load("production", { "infra:promotionSource": { namePrefix: "gitops-production" } }), "infra:promotionSource.namePrefix", '"gitops-production"', /<its infra:project>-staging \(default gitops-staging\)/);
            assertSettingsError(() => load("production", { "infra:promotionSource": { account: "111111111111" } }), "infra:promotionSource.account", '"111111111111"', /keys of infra:promotionSource: accountId, namePrefix/);
            assertSettingsError(() => load("staging", { "infra:promotionTarget": { namePrefix: "shop-production" } }), "infra:promotionTarget.namePrefix", '"shop-production"', /only with infra:promotionTarget\.accountId/);
        });

        it("CPU credits other than standard or unlimited", () => {
            assertSettingsError(() => load("staging", { "infra:nodeGroup": { cpuCredits: "burst" } }), "infra:nodeGroup.cpuCredits", '"burst"', /one of standard, unlimited/);
        });

        it("a log retention CloudWatch does not accept", () => {
            assertSettingsError(() => load("staging", { "infra:flowLogRetentionDays": -1 }), "infra:flowLogRetentionDays", "-1", /one of 1, 3, 5, 7, 14/);
            assertSettingsError(() => load("staging", { "infra:clusterLogRetentionDays": 10 }), "infra:clusterLogRetentionDays", "10", /retention in days/);
        });

        it("control-plane logs without audit", () => {
            assertSettingsError(() => load("staging", { "infra:clusterLogTypes": ["api", "authenticator"] }), "infra:clusterLogTypes", '["api","authenticator"]', /includes api, audit, authenticator/);
        });

        it("admin principals that are not IAM role or user ARNs", () => {
            assertSettingsError(() => load("staging", { "infra:adminPrincipalArns": ["alice"] }), "infra:adminPrincipalArns", '["alice"]', /IAM role or user ARNs/);
        });

        it("a missing region", () => {
            assertSettingsError(() => load("staging", { "aws:region": undefined }), "aws:region", "(not set)", /AWS region/);
        });

        it("a key the layer does not know (a typo is not silently ignored)", () => {
            assertSettingsError(() => load("staging", { "infra:vpcCIDR": "10.1.0.0/16" }), "infra:vpcCIDR", '"10.1.0.0/16"', /only known settings of infra \(.*vpcCidr/);
            assertSettingsError(() => load("staging", { "infra:nodeGroup": { instanceType: "t3.small" } }), "infra:nodeGroup.instanceType", '"t3.small"', /keys of infra:nodeGroup: instanceTypes/);
        });

        it("reports every problem at once", () => {
            const error = assertSettingsError(
                () => load("staging", { "infra:availabilityZoneCount": 9, "infra:ecrKeepImages": 0 }),
                "infra:availabilityZoneCount",
                "9",
                /from 2 to 6/,
            );
            assertNamesSetting(error, "infra:ecrKeepImages", "0", /from 1 to 1000/);
        });
    });

    describe("the program stops before registering any resource", () => {
        it("on invalid settings", async () => {
            const { error, resources } = await runLayerExpectingFailure("infra", { env: "staging", config: { "infra:availabilityZoneCount": 7 } });
            assertNamesSetting(error, "infra:availabilityZoneCount", "7", /from 2 to 6/);
            assert.deepStrictEqual(resources, []);
        });

        it("on a stack that is not an environment", async () => {
            const { error, resources } = await runLayerExpectingFailure("infra", { env: "dev" });
            assert.match(error.message, /stack name = "dev": allowed one of the known environments \(staging, production\)/);
            assert.deepStrictEqual(resources, []);
        });
    });
});
