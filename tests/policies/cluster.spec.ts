import * as assert from "assert";
import {
    eksControlPlaneLogging as logging,
    eksNodeGroupsNoRemoteAccess as remoteAccess,
    eksPublicEndpointRestricted as endpoint,
    eksSecretsEncryption as secrets,
    imdsHopLimit as hopLimit,
    imdsv2Required as imds,
} from "../../policies/cluster";
import { EKS_CLUSTER, EKS_COMPONENT, eksCluster, eksComponent, LAUNCH_TEMPLATE, launchTemplate, NODE_GROUP, nodeGroup } from "./fixtures";
import {
    assertHasResourceViolation,
    assertNoResourceViolations,
    assertNotApplicable,
    assertSkipsUnknown,
    assertViolationCount,
    createResourceValidationArgs,
    Props,
    runWithExceptions,
    UNKNOWN,
    withValue,
} from "./util";
import { PackPolicy } from "../../policies/all";

const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}) => createResourceValidationArgs(policy, type, props, { name: "cluster", config });

describe("policy eks-secrets-encryption", () => {
    it("passes the component with encryptionConfigKeyArn and the plain cluster with a secrets encryptionConfig", async () => {
        await assertNoResourceViolations(secrets, args(secrets, EKS_COMPONENT, eksComponent()));
        await assertNoResourceViolations(secrets, args(secrets, EKS_CLUSTER, eksCluster()));
        await assertNoResourceViolations(secrets, args(secrets, EKS_CLUSTER, { ...eksCluster(), encryptionConfig: [eksCluster().encryptionConfig] }));
    });

    it("reports a component without a key, and a cluster without encryptionConfig or without secrets in it", async () => {
        const [v] = await assertViolationCount(secrets, args(secrets, EKS_COMPONENT, withValue(eksComponent(), "encryptionConfigKeyArn", undefined)), 1);
        assert.strictEqual(
            v.message,
            'eks:index:Cluster "cluster": encryptionConfigKeyArn is not set, so Kubernetes secrets are not encrypted with your KMS key. Fix: set encryptionConfigKeyArn to the ARN of a KMS key with rotation on.',
        );
        await assertHasResourceViolation(secrets, args(secrets, EKS_CLUSTER, withValue(eksCluster(), "encryptionConfig", undefined)), "encryptionConfig is not set");
        await assertHasResourceViolation(secrets, args(secrets, EKS_CLUSTER, withValue(eksCluster(), "encryptionConfig.resources", [])), 'encryptionConfig is resources (none) with key "arn:aws:kms');
    });

    it("an unknown key ARN is skipped", async () => {
        assert.strictEqual((await assertSkipsUnknown(secrets, args(secrets, EKS_COMPONENT, { ...eksComponent(), encryptionConfigKeyArn: UNKNOWN }))).length, 0);
    });

    it("does not apply to other types", async () => {
        await assertNotApplicable(secrets, args(secrets, "aws:eks/nodeGroup:NodeGroup", {}));
    });
});

describe("policy eks-control-plane-logging", () => {
    it("passes clusters that log api, audit and authenticator", async () => {
        await assertNoResourceViolations(logging, args(logging, EKS_COMPONENT, eksComponent()));
        await assertNoResourceViolations(logging, args(logging, EKS_CLUSTER, eksCluster()));
    });

    it("reports the missing log types, audit first among them", async () => {
        const [v] = await assertViolationCount(logging, args(logging, EKS_CLUSTER, { ...eksCluster(), enabledClusterLogTypes: ["api"] }), 1);
        assert.strictEqual(v.message, 'aws:eks/cluster:Cluster "cluster": enabledClusterLogTypes (api) lacks audit, authenticator. Fix: add audit, authenticator to enabledClusterLogTypes.');
        await assertHasResourceViolation(logging, args(logging, EKS_COMPONENT, withValue(eksComponent(), "enabledClusterLogTypes", undefined)), "enabledClusterLogTypes ((none)) lacks api, audit, authenticator");
    });

    it("the required types are a setting (validated against EKS's log types)", async () => {
        await assertHasResourceViolation(logging, args(logging, EKS_CLUSTER, eksCluster(), { requiredLogTypes: ["audit", "scheduler"] }), "lacks scheduler");
        assert.throws(() => args(logging, EKS_CLUSTER, eksCluster(), { requiredLogTypes: ["audits"] }), /eks-control-plane-logging\.requiredLogTypes\[0\] = "audits": allowed one of "api", "audit"/);
    });

    it("unknown log types are skipped", async () => {
        assert.strictEqual((await assertSkipsUnknown(logging, args(logging, EKS_CLUSTER, { ...eksCluster(), enabledClusterLogTypes: UNKNOWN }))).length, 0);
    });
});

describe("policy eks-public-endpoint-restricted", () => {
    it("passes a public endpoint limited to listed CIDRs, and a private-only endpoint", async () => {
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, eksComponent()));
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_CLUSTER, eksCluster()));
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), endpointPublicAccess: false, publicAccessCidrs: undefined }));
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_CLUSTER, withValue(eksCluster(), "vpcConfig.endpointPublicAccess", false)));
    });

    it("reports 0.0.0.0/0 (or ::/0), and a public endpoint without CIDRs (both default to open)", async () => {
        const [v] = await assertViolationCount(endpoint, args(endpoint, EKS_CLUSTER, withValue(eksCluster(), "vpcConfig.publicAccessCidrs", ["203.0.113.0/24", "0.0.0.0/0"])), 1);
        assert.strictEqual(
            v.message,
            'aws:eks/cluster:Cluster "cluster": the public API endpoint is open to the internet: vpcConfig.publicAccessCidrs is 203.0.113.0/24, 0.0.0.0/0, which includes 0.0.0.0/0 (wider than /8, minimumPrefixLength). ' +
                "Fix: set vpcConfig.publicAccessCidrs to the CIDRs you administer the cluster from, or set vpcConfig.endpointPublicAccess to false.",
        );
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), publicAccessCidrs: ["::/0"] }), "which includes ::/0 (wider than /32, minimumIpv6PrefixLength)");
        // @pulumi/eks: endpointPublicAccess defaults to true and publicAccessCidrs to 0.0.0.0/0.
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_COMPONENT, { name: "c" }), "publicAccessCidrs is not set (the default is 0.0.0.0/0)");
    });

    it("reports the internet split into wide blocks (0.0.0.0/1 + 128.0.0.0/1), and any block wider than /8", async () => {
        const halves = { ...eksComponent(), publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"] };
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_COMPONENT, halves), "which includes 0.0.0.0/1 (wider than /8, minimumPrefixLength), 128.0.0.0/1 (wider than /8, minimumPrefixLength)");
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_CLUSTER, withValue(eksCluster(), "vpcConfig.publicAccessCidrs", ["203.0.113.0/24", "64.0.0.0/7"])), "which includes 64.0.0.0/7 (wider than /8");
        // IPv6 (IPv6 clusters): 32 blocks of /8 are all of 2000::/3, so its minimum is its own.
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), publicAccessCidrs: ["2000::/8", "2100::/8"] }), "2000::/8 (wider than /32, minimumIpv6PrefixLength)");
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), publicAccessCidrs: ["2001:db8::/32", "2001:db8:1::/48"] }));
        // /8 and longer pass: EKS takes at most 40 CIDRs, and 40 /8 blocks are 40 of the 256 in IPv4.
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), publicAccessCidrs: ["10.0.0.0/8", "198.51.100.7/32", "198.51.100.8"] }));
    });

    it("the shortest prefix allowed is a setting (minimumPrefixLength, 1 to 32; minimumIpv6PrefixLength, 1 to 128)", async () => {
        const office = { ...eksComponent(), publicAccessCidrs: ["198.51.100.0/22"] };
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, office));
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_COMPONENT, office, { minimumPrefixLength: 24 }), "which includes 198.51.100.0/22 (wider than /24, minimumPrefixLength)");
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, office, { minimumPrefixLength: 22 }));
        for (const bad of [0, 33, 8.5, "8"]) {
            assert.throws(() => args(endpoint, EKS_COMPONENT, office, { minimumPrefixLength: bad }), new RegExp(`eks-public-endpoint-restricted\\.minimumPrefixLength = ${JSON.stringify(bad)}: allowed a whole number from 1 to 32`), String(bad));
        }
        assert.throws(() => args(endpoint, EKS_COMPONENT, office, { minimumIpv6PrefixLength: 129 }), /minimumIpv6PrefixLength = 129: allowed a whole number from 1 to 128/);
        await assertNoResourceViolations(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), publicAccessCidrs: ["2001:db8::/29"] }, { minimumIpv6PrefixLength: 29 }));
    });

    it("unknown CIDRs are skipped", async () => {
        assert.strictEqual((await assertSkipsUnknown(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), publicAccessCidrs: UNKNOWN }))).length, 0);
    });

    it("a public endpoint limited to listed CIDRs passes as the documented exception to CKV_AWS_39, listed by the runner; a private one needs none", async () => {
        const outcome = await runWithExceptions(endpoint, args(endpoint, EKS_COMPONENT, eksComponent()));
        assert.deepStrictEqual(outcome.violations, []);
        assert.deepStrictEqual(outcome.excepted.map((e) => [e.exceptionId, e.rule, e.subject]), [["eks-public-endpoint-for-listed-cidrs", "CKV_AWS_39", "gitops-staging"]]);
        const closed = await runWithExceptions(endpoint, args(endpoint, EKS_COMPONENT, { ...eksComponent(), endpointPublicAccess: false }));
        assert.deepStrictEqual([closed.violations, closed.excepted], [[], []]);
        await assertHasResourceViolation(endpoint, args(endpoint, EKS_COMPONENT, eksComponent(), { exceptions: [] }), "the API endpoint is public (for 203.0.113.0/24) (CKV_AWS_39)");
    });
});

describe("policy imds-hop-limit", () => {
    it("passes a hop limit of 1 and a disabled endpoint", async () => {
        await assertNoResourceViolations(hopLimit, args(hopLimit, LAUNCH_TEMPLATE, launchTemplate()));
        await assertNoResourceViolations(hopLimit, args(hopLimit, "aws:ec2/instance:Instance", { metadataOptions: { httpEndpoint: "disabled" } }));
    });

    it("reports a hop limit of 2, and an unset one (2 on AMIs that require IMDSv2)", async () => {
        const [v] = await assertViolationCount(hopLimit, args(hopLimit, LAUNCH_TEMPLATE, withValue(launchTemplate(), "metadataOptions.httpPutResponseHopLimit", 2)), 1);
        assert.strictEqual(v.message, 'aws:ec2/launchTemplate:LaunchTemplate "cluster": metadataOptions.httpPutResponseHopLimit is 2, so pods can reach the node\'s credentials (CKV_AWS_341). Fix: set metadataOptions.httpPutResponseHopLimit to 1.');
        await assertHasResourceViolation(hopLimit, args(hopLimit, LAUNCH_TEMPLATE, withValue(launchTemplate(), "metadataOptions.httpPutResponseHopLimit", undefined)), "is not set (2 for AMIs that require IMDSv2");
    });

    it("an unknown hop limit is skipped", async () => {
        await assertSkipsUnknown(hopLimit, args(hopLimit, LAUNCH_TEMPLATE, withValue(launchTemplate(), "metadataOptions.httpPutResponseHopLimit", UNKNOWN)));
    });

    it("does not apply to node groups", async () => {
        await assertNotApplicable(hopLimit, args(hopLimit, NODE_GROUP, nodeGroup()));
    });
});

describe("policy eks-node-groups-no-remote-access", () => {
    it("passes node groups without remoteAccess", async () => {
        await assertNoResourceViolations(remoteAccess, args(remoteAccess, NODE_GROUP, nodeGroup()));
    });

    it("reports SSH access, saying when it is open to the internet (no source security groups)", async () => {
        const [v] = await assertViolationCount(remoteAccess, args(remoteAccess, NODE_GROUP, { ...nodeGroup(), remoteAccess: { ec2SshKey: "ops" } }), 1);
        assert.strictEqual(v.message, 'aws:eks/nodeGroup:NodeGroup "cluster": remoteAccess opens SSH to its nodes from 0.0.0.0/0 (no sourceSecurityGroupIds) (CKV_AWS_100). Fix: remove remoteAccess and use SSM Session Manager (aws ssm start-session).');
        await assertHasResourceViolation(remoteAccess, args(remoteAccess, NODE_GROUP, { ...nodeGroup(), remoteAccess: { ec2SshKey: "ops", sourceSecurityGroupIds: ["sg-1"] } }), "remoteAccess opens SSH to its nodes (CKV_AWS_100)");
    });

    it("an unknown remoteAccess is skipped", async () => {
        await assertSkipsUnknown(remoteAccess, args(remoteAccess, NODE_GROUP, { ...nodeGroup(), remoteAccess: UNKNOWN }));
    });
});

describe("policy imdsv2-required", () => {
    it("passes the project's launch template and one with the endpoint turned off", async () => {
        await assertNoResourceViolations(imds, args(imds, LAUNCH_TEMPLATE, launchTemplate()));
        await assertNoResourceViolations(imds, args(imds, LAUNCH_TEMPLATE, { metadataOptions: { httpEndpoint: "disabled" } }));
        await assertNoResourceViolations(imds, args(imds, "aws:ec2/instance:Instance", { metadataOptions: { httpTokens: "required" } }));
    });

    it("reports optional tokens and no metadata options at all", async () => {
        const [v] = await assertViolationCount(imds, args(imds, LAUNCH_TEMPLATE, withValue(launchTemplate(), "metadataOptions.httpTokens", "optional")), 1);
        assert.strictEqual(v.message, 'aws:ec2/launchTemplate:LaunchTemplate "cluster": metadataOptions.httpTokens is "optional". Fix: set metadataOptions.httpTokens to "required".');
        await assertHasResourceViolation(imds, args(imds, LAUNCH_TEMPLATE, withValue(launchTemplate(), "metadataOptions", undefined)), "is not set (IMDSv1 stays allowed)");
        await assertHasResourceViolation(imds, args(imds, "aws:ec2/instance:Instance", { instanceType: "t3.small" }), "metadataOptions.httpTokens is not set");
    });

    it("unknown metadata options are skipped", async () => {
        assert.strictEqual((await assertSkipsUnknown(imds, args(imds, LAUNCH_TEMPLATE, { metadataOptions: UNKNOWN }))).length, 0);
    });
});
