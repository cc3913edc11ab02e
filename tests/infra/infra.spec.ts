import * as assert from "assert";
import { isAdministratorOwned } from "../../infra/identity";
import { INFRA_OUTPUT_NAMES, INFRA_SECRET_OUTPUTS } from "../../infra/contract";
import { githubProviderDecision } from "../../infra/github-ci";
import { ENVIRONMENT_DEFAULTS, GithubProviderMode } from "../../infra/settings";
import { creditDefaults } from "../../infra/credit-defaults";
import { promotionReadPolicy } from "../../infra/ecr";
import { environmentGraph, LayerRun, MOCK_ACCOUNT_ID, runLayer, runLayerExpectingFailure, RecordedResource } from "../../lib/offline";
import { policyDocument } from "../helpers";
import { WORKLOAD_NAMES, WORKLOADS } from "../../lib/catalogue";
import { listServices } from "../../lib/cli-support";

/** The images the catalogue's workloads are built from, sorted. */
const CATALOGUE_IMAGES = WORKLOAD_NAMES.flatMap((n) => (WORKLOADS[n].ecrImage ? [WORKLOADS[n].ecrImage!] : [])).sort();

const EXPECT = {
    // Staging's nodes run in one AZ of its two (cost); production's in every AZ.
    staging: { azs: 2, nodeAzs: 1, nat: "Single", instanceTypes: ["t3.small"], protect: false, minSize: 1, desired: 3, max: 4, creditDefault: "standard" },
    production: { azs: 3, nodeAzs: 3, nat: "OnePerAz", instanceTypes: ["t3.medium"], protect: true, minSize: 1, desired: 2, max: 4, creditDefault: undefined },
} as const;

for (const env of ["staging", "production"] as const) {
    describe(`infra (${env})`, () => {
        const expected = EXPECT[env];
        let run: LayerRun;
        before(async () => {
            run = await runLayer("infra", { env });
        });
        const named = (type: string, pattern: RegExp) => run.ofType(type).filter((r) => pattern.test(r.name));

        describe("network", () => {
            it(`a 10.0.0.0/16 VPC over ${expected.azs} AZs with ${expected.nat === "Single" ? "one NAT gateway" : "a NAT gateway per AZ"}`, () => {
                const vpc = run.one("awsx:ec2:Vpc");
                assert.strictEqual(vpc.inputs.cidrBlock, "10.0.0.0/16");
                assert.strictEqual(vpc.inputs.numberOfAvailabilityZones, expected.azs);
                assert.strictEqual(vpc.inputs.natGateways.strategy, expected.nat);
                assert.strictEqual(vpc.state.natGateways.length, expected.nat === "Single" ? 1 : expected.azs);
                assert.strictEqual(vpc.protect, expected.protect);
            });

            it("public subnets take internet-facing load balancers, private ones internal ones; both carry the cluster tag", () => {
                const specs = run.one("awsx:ec2:Vpc").inputs.subnetSpecs;
                const pub = specs.find((s: any) => s.type === "Public");
                const prv = specs.find((s: any) => s.type === "Private");
                assert.strictEqual(pub.tags["kubernetes.io/role/elb"], "1");
                assert.strictEqual(prv.tags["kubernetes.io/role/internal-elb"], "1");
                assert.strictEqual(pub.tags["kubernetes.io/role/internal-elb"], undefined);
                for (const s of [pub, prv]) assert.strictEqual(s.tags[`kubernetes.io/cluster/gitops-${env}`], "shared");
                assert.strictEqual(pub.cidrMask, 24);
                assert.strictEqual(prv.cidrMask, 19);
            });

            it("VPC flow logs (all traffic) go to a log group with a retention, through a role only flow logs of this account assume", () => {
                const flow = run.one("aws:ec2/flowLog:FlowLog");
                assert.strictEqual(flow.inputs.trafficType, "ALL");
                assert.strictEqual(flow.inputs.logDestinationType, "cloud-watch-logs");
                const group = run.ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === `/aws/vpc/gitops-${env}/flow-logs`)!;
                assert.ok(group, "flow log group");
                assert.strictEqual(flow.inputs.logDestination, group.state.arn);
                assert.ok(group.inputs.retentionInDays >= 14);
                const role = run.ofType("aws:iam/role:Role").find((r) => r.state.arn === flow.inputs.iamRoleArn)!;
                const trust = policyDocument(role.inputs.assumeRolePolicy).Statement[0];
                assert.deepStrictEqual(trust.Principal, { Service: "vpc-flow-logs.amazonaws.com" });
                assert.deepStrictEqual(trust.Condition, { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } });
            });
        });

        describe("cluster", () => {
            let cluster: RecordedResource;
            before(() => {
                cluster = run.one("eks:index:Cluster");
            });

            it("runs Kubernetes 1.35 with no default node group and no self-managed add-ons", () => {
                assert.strictEqual(cluster.inputs.version, "1.35");
                assert.strictEqual(cluster.inputs.name, `gitops-${env}`);
                assert.strictEqual(cluster.inputs.skipDefaultNodeGroup, true);
                assert.strictEqual(cluster.inputs.bootstrapSelfManagedAddons, false);
                assert.strictEqual(cluster.inputs.nodeAssociatePublicIpAddress, false);
            });

            it("authenticates with the EKS API (access entries) and creates the OIDC provider for IRSA", () => {
                assert.strictEqual(cluster.inputs.authenticationMode, "API");
                assert.strictEqual(cluster.inputs.createOidcProvider, true);
            });

            it("encrypts secrets with its own KMS key, rotated yearly, with the default key policy stated", () => {
                const key = run.one("aws:kms/key:Key", "cluster-secrets");
                assert.strictEqual(key.inputs.enableKeyRotation, true);
                assert.strictEqual(cluster.inputs.encryptionConfigKeyArn, key.state.arn);
                assert.strictEqual(key.protect, expected.protect);
                assert.strictEqual(key.inputs.deletionWindowInDays, expected.protect ? 30 : 7);
                assert.deepStrictEqual(JSON.parse(key.inputs.policy).Statement, [
                    { Sid: "AccountAdministersTheKey", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT_ID}:root` }, Action: "kms:*", Resource: "*" },
                ]);
            });

            it("encrypts every log group with the environment's logs-and-secrets key (rotated), which it exports for platform and apps", () => {
                const key = run.one("aws:kms/key:Key", "logs-and-secrets");
                assert.strictEqual(key.inputs.enableKeyRotation, true);
                assert.strictEqual(key.protect, expected.protect);
                assert.strictEqual(run.outputs.logsAndSecretsKeyArn, key.state.arn);
                const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup");
                assert.ok(groups.length >= 6, "control plane, flow logs, Container Insights");
                for (const g of groups) assert.strictEqual(g.inputs.kmsKeyId, key.state.arn, g.inputs.name);
                const statements = JSON.parse(key.inputs.policy).Statement;
                // CloudWatch Logs: this environment's groups only (tests/infra/ci-permissions.spec.ts simulates every group of the graph).
                const logs = statements.find((s: any) => s.Sid === "CloudWatchLogsOfThisEnvironment");
                assert.deepStrictEqual(logs.Principal, { Service: "logs.us-east-1.amazonaws.com" });
                const groupsOf = (p: string) => [`arn:aws:logs:us-east-1:${MOCK_ACCOUNT_ID}:log-group:/aws/*/${p}/*`, `arn:aws:logs:us-east-1:${MOCK_ACCOUNT_ID}:log-group:aws-waf-logs-${p}*`];
                assert.deepStrictEqual(logs.Condition, { ArnLike: { "kms:EncryptionContext:aws:logs:arn": groupsOf(`gitops-${env}`) } });
                // Like aws/secretsmanager: any principal of the account, through Secrets Manager only.
                const secrets = statements.find((s: any) => s.Sid === "SecretsManagerForThisAccount");
                assert.deepStrictEqual(secrets.Condition, { StringEquals: { "kms:CallerAccount": MOCK_ACCOUNT_ID, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } });
            });

            it("ships api, audit and authenticator logs to a group with a retention, created before the cluster", () => {
                for (const t of ["api", "audit", "authenticator"]) assert.ok(cluster.inputs.enabledClusterLogTypes.includes(t), t);
                const group = run.ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === `/aws/eks/gitops-${env}/cluster`)!;
                assert.ok(group && group.inputs.retentionInDays > 0);
                assert.ok(cluster.dependsOn.includes(group.urn));
            });

            it("keeps the private endpoint on and the public one limited to the configured CIDRs", () => {
                assert.strictEqual(cluster.inputs.endpointPrivateAccess, true);
                assert.strictEqual(cluster.inputs.endpointPublicAccess, true);
                assert.deepStrictEqual(cluster.inputs.publicAccessCidrs, ["203.0.113.0/24"]);
            });

            it(expected.protect ? "is protected, with deletion protection" : "can be destroyed", () => {
                assert.strictEqual(cluster.protect, expected.protect);
                assert.strictEqual(cluster.inputs.deletionProtection, expected.protect);
            });
        });

        describe("node groups", () => {
            it(`one managed node group per node AZ (${expected.nodeAzs} of ${expected.azs}), each in that AZ's private subnet`, () => {
                const groups = run.ofType("aws:eks/nodeGroup:NodeGroup");
                assert.strictEqual(groups.length, expected.nodeAzs);
                const vpc = run.one("awsx:ec2:Vpc");
                const subnets = groups.map((g) => g.inputs.subnetIds);
                for (const s of subnets) assert.strictEqual(s.length, 1);
                assert.deepStrictEqual(subnets.flat(), vpc.state.privateSubnetIds.slice(0, expected.nodeAzs), "the first AZs, in order");
                for (const id of subnets.flat()) assert.ok(!vpc.state.publicSubnetIds.includes(id));
            });

            it("sizes from settings, with the autoscaler owning the desired size", () => {
                for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) {
                    assert.deepStrictEqual(g.inputs.instanceTypes, expected.instanceTypes);
                    assert.deepStrictEqual(g.inputs.scalingConfig, { minSize: expected.minSize, desiredSize: expected.desired, maxSize: expected.max });
                    assert.strictEqual(g.inputs.amiType, "AL2023_x86_64_STANDARD");
                    assert.deepStrictEqual(g.ignoreChanges, ["scalingConfig.desiredSize"]);
                    assert.strictEqual(g.inputs.tags["k8s.io/cluster-autoscaler/enabled"], "true");
                    assert.strictEqual(g.inputs.tags[`k8s.io/cluster-autoscaler/gitops-${env}`], "owned");
                }
            });

            it("use our launch template: encrypted gp3 root, IMDSv2 only, no public IP, the cluster security group", () => {
                const lt = run.one("aws:ec2/launchTemplate:LaunchTemplate");
                for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) assert.strictEqual(g.inputs.launchTemplate.id, lt.id);
                const ebs = lt.inputs.blockDeviceMappings[0].ebs;
                assert.deepStrictEqual([ebs.volumeType, ebs.encrypted, ebs.deleteOnTermination], ["gp3", "true", "true"]);
                assert.strictEqual(lt.inputs.metadataOptions.httpTokens, "required");
                assert.strictEqual(lt.inputs.metadataOptions.httpPutResponseHopLimit, 1);
                const nic = lt.inputs.networkInterfaces[0];
                assert.strictEqual(nic.associatePublicIpAddress, "false");
                assert.deepStrictEqual(nic.securityGroups, [run.one("eks:index:Cluster").state.clusterSecurityGroupId]);
                // Managed node groups ignore a template's CreditSpecification: it is not set there (see below).
                assert.strictEqual(lt.inputs.creditSpecification, undefined);
            });

            it(`CPU credits: ${expected.creditDefault ? "the account's default for t3 is set to standard (throttled, never billed)" : "t3 nodes burst in AWS's default mode (unlimited): nothing to set"}`, () => {
                const specs = run.ofType("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification");
                assert.deepStrictEqual(
                    specs.map((s) => s.inputs),
                    expected.creditDefault ? [{ instanceFamily: "t3", cpuCredits: expected.creditDefault }] : [],
                );
            });

            it("join after the CNI and kube-proxy add-ons exist", () => {
                const vpcCni = named("aws:eks/addon:Addon", /vpc-cni$/)[0];
                const kubeProxy = named("aws:eks/addon:Addon", /kube-proxy$/)[0];
                for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) {
                    assert.ok(g.dependsOn.includes(vpcCni.urn) && g.dependsOn.includes(kubeProxy.urn));
                }
            });

            it("run as a role with only the worker, image-pull and SSM policies", () => {
                const attachments = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith("nodes-role-"));
                assert.deepStrictEqual(attachments.map((a) => a.inputs.policyArn).sort(), [
                    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                ]);
            });
        });

        describe("managed add-ons", () => {
            const addon = (name: string) => run.ofType("aws:eks/addon:Addon").find((a) => a.inputs.addonName === name)!;
            const irsaSub = (roleArn: string) => {
                const role = run.ofType("aws:iam/role:Role").find((r) => r.state.arn === roleArn)!;
                const condition = policyDocument(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals;
                const issuer = run.one("eks:index:Cluster").state.oidcProviderUrl.replace("https://", "");
                assert.strictEqual(condition[`${issuer}:aud`], "sts.amazonaws.com");
                return condition[`${issuer}:sub`];
            };

            it("pins each of the five add-ons to an EKS build, kube-proxy to the cluster's minor version", () => {
                const versions: Record<string, string> = Object.fromEntries(run.ofType("aws:eks/addon:Addon").map((a) => [a.inputs.addonName, a.inputs.addonVersion]));
                assert.deepStrictEqual(Object.keys(versions).sort(), ["amazon-cloudwatch-observability", "aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
                for (const [name, version] of Object.entries(versions)) assert.match(version, /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, name);
                // kube-proxy must match the control plane's minor version.
                const cluster = run.one("eks:index:Cluster").inputs.version as string;
                assert.strictEqual(versions["kube-proxy"].split(".").slice(0, 2).join("."), `v${cluster}`);
            });

            it("vpc-cni: prefix delegation and network policy enforcement, with its own IRSA role", () => {
                const config = JSON.parse(addon("vpc-cni").inputs.configurationValues);
                assert.strictEqual(config.env.ENABLE_PREFIX_DELEGATION, "true");
                assert.strictEqual(config.env.WARM_PREFIX_TARGET, "1");
                assert.strictEqual(config.enableNetworkPolicy, "true");
                assert.strictEqual(irsaSub(addon("vpc-cni").inputs.serviceAccountRoleArn), "system:serviceaccount:kube-system:aws-node");
            });

            it("aws-ebs-csi-driver and amazon-cloudwatch-observability have their own IRSA roles", () => {
                assert.strictEqual(irsaSub(addon("aws-ebs-csi-driver").inputs.serviceAccountRoleArn), "system:serviceaccount:kube-system:ebs-csi-controller-sa");
                assert.strictEqual(irsaSub(addon("amazon-cloudwatch-observability").inputs.serviceAccountRoleArn), "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent");
                assert.deepStrictEqual(JSON.parse(addon("amazon-cloudwatch-observability").inputs.configurationValues), { containerLogs: { enabled: true } });
            });

            it(`runs ${env === "production" ? "two" : "one"} CoreDNS and EBS controller replica(s)`, () => {
                const replicas = env === "production" ? 2 : 1;
                assert.strictEqual(JSON.parse(addon("coredns").inputs.configurationValues).replicaCount, replicas);
                assert.strictEqual(JSON.parse(addon("aws-ebs-csi-driver").inputs.configurationValues).controller.replicaCount, replicas);
            });

            it("Container Insights log groups exist with a retention before the agent starts", () => {
                const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup").filter((g) => String(g.inputs.name).startsWith("/aws/containerinsights/"));
                assert.deepStrictEqual(groups.map((g) => g.inputs.name.split("/").pop()).sort(), ["application", "dataplane", "host", "performance"]);
                const agent = addon("amazon-cloudwatch-observability");
                for (const g of groups) assert.ok(agent.dependsOn.includes(g.urn));
            });
        });

        describe("ECR", () => {
            it("one repository per image the repository builds (apps/services, the catalogue's images): scan on push, immutable tags, KMS encryption", () => {
                const repos = run.ofType("aws:ecr/repository:Repository");
                assert.deepStrictEqual(CATALOGUE_IMAGES, listServices(), "every service folder is a catalogue image, and back");
                assert.deepStrictEqual(repos.map((r) => r.inputs.name).sort(), CATALOGUE_IMAGES.map((s) => `gitops-${env}/${s}`));
                for (const r of repos) {
                    assert.strictEqual(r.inputs.imageTagMutability, "IMMUTABLE");
                    assert.strictEqual(r.inputs.imageScanningConfiguration.scanOnPush, true);
                    assert.strictEqual(r.inputs.encryptionConfigurations[0].encryptionType, "KMS");
                    assert.strictEqual(r.inputs.forceDelete, env !== "production");
                }
            });

            it("a lifecycle policy on every repository keeps the newest 5 images", () => {
                const repos = run.ofType("aws:ecr/repository:Repository");
                const policies = run.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy");
                assert.deepStrictEqual(policies.map((p) => p.inputs.repository).sort(), repos.map((r) => r.state.name).sort());
                for (const p of policies) {
                    const rule = JSON.parse(p.inputs.policy).rules[0];
                    assert.deepStrictEqual(rule.selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 });
                    assert.deepStrictEqual(rule.action, { type: "expire" });
                }
            });
        });

        describe("GitHub Actions identity", () => {
            const trust = (name: string) => {
                const role = run.ofType("aws:iam/role:Role").find((r) => r.inputs.name === `gitops-${env}-ci-${name}`)!;
                assert.ok(role, name);
                return { role, statement: policyDocument(role.inputs.assumeRolePolicy).Statement };
            };

            it("an OIDC provider for token.actions.githubusercontent.com with the STS audience", () => {
                const provider = run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider");
                assert.strictEqual(provider.inputs.url, "https://token.actions.githubusercontent.com");
                assert.deepStrictEqual(provider.inputs.clientIdLists, ["sts.amazonaws.com"]);
            });

            it("preview role: pull requests of the repository only, exact sub and aud, view-only", () => {
                const { role, statement } = trust("preview");
                assert.strictEqual(statement.length, 1);
                assert.deepStrictEqual(statement[0].Condition, {
                    StringEquals: {
                        "token.actions.githubusercontent.com:sub": "repo:acme-platform/eks-gitops-platform:pull_request",
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    },
                });
                assert.strictEqual(statement[0].Principal.Federated, run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").state.arn);
                const attached = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name);
                assert.deepStrictEqual(attached.map((a) => a.inputs.policyArn), ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]);
            });

            it(`deploy role: only the GitHub environment "${env}", exact sub and aud, no wildcard`, () => {
                const { statement } = trust("deploy");
                assert.deepStrictEqual(statement[0].Condition, {
                    StringEquals: {
                        "token.actions.githubusercontent.com:sub": `repo:acme-platform/eks-gitops-platform:environment:${env}`,
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    },
                });
                assert.doesNotMatch(JSON.stringify(statement), /\*/);
            });

            it(`drift role: only runs on the ${env} branch (no GitHub environment, so no approval), read-only`, () => {
                const { role, statement } = trust("drift");
                assert.deepStrictEqual(statement[0].Condition, {
                    StringEquals: {
                        "token.actions.githubusercontent.com:sub": `repo:acme-platform/eks-gitops-platform:ref:refs/heads/${env}`,
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    },
                });
                const attached = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name);
                assert.deepStrictEqual(attached.map((a) => a.inputs.policyArn), ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
            });

            it("survives a CI destroy: the provider, the CI roles, their policies, the workload boundary and the account policies are protected, not their access entries", () => {
                const identity = run.resources.filter((r) => isAdministratorOwned(r) && r.protect).map((r) => `${r.type} ${r.name}`);
                // The account's CPU-credit default of a family, where the environment's mode is not AWS's (staging's t3).
                const credits = creditDefaults(ENVIRONMENT_DEFAULTS[env].nodeGroup).set.map((d) => `aws:ec2/defaultCreditSpecification:DefaultCreditSpecification account-credits-${d.family}`);
                assert.deepStrictEqual(credits.length, env === "staging" ? 1 : 0);
                assert.deepStrictEqual(identity.sort(), [
                    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy account-waf-logs",
                    ...credits,
                    "aws:iam/openIdConnectProvider:OpenIdConnectProvider ci-github",
                    "aws:iam/policy:Policy workload-boundary",
                    "aws:iam/role:Role ci-deploy",
                    "aws:iam/role:Role ci-drift",
                    "aws:iam/role:Role ci-preview",
                    "aws:iam/rolePolicy:RolePolicy ci-deploy",
                    "aws:iam/rolePolicy:RolePolicy ci-drift-secrets",
                    "aws:iam/rolePolicy:RolePolicy ci-preview-secrets",
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment ci-drift-readonly",
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment ci-preview-viewonly",
                ]);
                for (const entry of run.ofType("aws:eks/accessEntry:AccessEntry")) assert.strictEqual(entry.protect, false, entry.name);
                if (!expected.protect) assert.deepStrictEqual(run.resources.filter((r) => r.protect && !isAdministratorOwned(r)), []);
            });

            it("destroy --exclude-protected keeps for it only itself, its components and the AWS provider: not the cluster, not ECR", () => {
                const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
                const providerOf = (ref?: string) => (ref ? run.resources.find((p) => ref.startsWith(`${p.urn}::`)) : undefined);
                const kept = new Set<RecordedResource>();
                const keep = (r: RecordedResource | undefined) => {
                    if (!r || kept.has(r)) return;
                    kept.add(r);
                    [...r.dependsOn, r.parent].forEach((urn) => keep(urn === undefined ? undefined : byUrn.get(urn)));
                    keep(providerOf(r.provider));
                };
                const identity = run.resources.filter((r) => isAdministratorOwned(r) && r.protect);
                identity.forEach(keep);
                const others = [...kept].filter((r) => !identity.includes(r)).map((r) => `${r.type} ${r.name}`);
                assert.deepStrictEqual(others.sort(), ["gitops:infra:AccountPolicies account", "gitops:infra:GithubCi ci", "gitops:infra:WorkloadBoundary workload-boundary", "pulumi:providers:aws aws"]);
            });

            it("cluster access: cluster-admin for the deploy role, view for the preview role, view with Helm's records for drift", () => {
                const associations = run.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
                const policyOf = (roleName: string) => {
                    const arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${roleName}`;
                    return associations.filter((a) => a.inputs.principalArn === arn).map((a) => [a.inputs.policyArn, a.inputs.accessScope.type]);
                };
                assert.deepStrictEqual(policyOf(`gitops-${env}-ci-deploy`), [["arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "cluster"]]);
                assert.deepStrictEqual(policyOf(`gitops-${env}-ci-preview`), [["arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "cluster"]]);
                assert.deepStrictEqual(policyOf(`gitops-${env}-ci-drift`), [["arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy", "cluster"]]);
            });
        });

        describe("IAM roles", () => {
            it("every role but CI's lives under /gitops-<env>/ with the exported workload boundary", () => {
                const boundary = run.one("aws:iam/policy:Policy");
                assert.strictEqual(boundary.inputs.name, `gitops-${env}-workload-boundary`);
                assert.strictEqual(run.outputs.permissionsBoundaryArn, boundary.state.arn);
                assert.strictEqual(run.outputs.iamRolePath, `/gitops-${env}/`);
                const roles = run.ofType("aws:iam/role:Role").filter((r) => !/-ci-(preview|deploy|drift)$/.test(r.inputs.name ?? ""));
                assert.deepStrictEqual(roles.map((r) => r.name).sort(), ["addons-network-vpc-cni", "addons-node-cloudwatch", "addons-node-ebs-csi", "cluster-service", "network-flow-logs", "nodes-role"]);
                for (const r of roles) {
                    assert.strictEqual(r.inputs.path, `/gitops-${env}/`, r.name);
                    assert.strictEqual(r.inputs.permissionsBoundary, boundary.state.arn, r.name);
                    assert.ok(r.dependsOn.includes(boundary.urn), `${r.name} is created after the boundary`);
                }
            });

            it("the EKS cluster runs with our role (AmazonEKSClusterPolicy), so @pulumi/eks creates none without path and boundary", async () => {
                const cluster = run.one("eks:index:Cluster");
                const role = run.ofType("aws:iam/role:Role").find((r) => r.name === "cluster-service")!;
                assert.strictEqual(await cluster.inputs.serviceRole.urn.promise(), role.urn);
                assert.strictEqual(cluster.inputs.createInstanceRole, false);
                assert.deepStrictEqual(policyDocument(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "eks.amazonaws.com" });
                const attachment = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => a.inputs.role === role.state.name)!;
                assert.strictEqual(attachment.inputs.policyArn, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy");
                assert.ok(cluster.dependsOn.includes(attachment.urn), "the policy is attached before EKS uses the role");
            });
        });

        describe("tags and providers", () => {
            it("every AWS resource goes through the provider with the Environment, Project and ManagedBy default tags", () => {
                const provider = run.one("pulumi:providers:aws");
                // Providers receive structured settings as JSON strings.
                assert.deepStrictEqual(JSON.parse(provider.inputs.defaultTags), { tags: { Environment: env, Project: "gitops", ManagedBy: "pulumi" } });
                assert.strictEqual(provider.inputs.region, "us-east-1");
                const direct = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
                assert.ok(direct.length > 30);
                for (const r of direct) assert.ok(r.provider?.startsWith(provider.urn), `${r.type} ${r.name} uses ${r.provider}`);
            });
        });

        describe("outputs", () => {
            it("exports exactly the contract, with the kubeconfig as a secret", () => {
                assert.deepStrictEqual(Object.keys(run.outputs).sort(), [...INFRA_OUTPUT_NAMES].sort());
                assert.deepStrictEqual(run.secretOutputs, [...INFRA_SECRET_OUTPUTS]);
                for (const name of INFRA_OUTPUT_NAMES) assert.notStrictEqual(run.outputs[name], undefined, name);
            });

            it("the values platform and apps read", () => {
                const o = run.outputs;
                const vpc = run.one("awsx:ec2:Vpc");
                assert.strictEqual(o.environment, env);
                assert.strictEqual(o.clusterName, `gitops-${env}`);
                assert.deepStrictEqual(o.privateSubnetIds, vpc.state.privateSubnetIds);
                assert.deepStrictEqual(o.publicSubnetIds, vpc.state.publicSubnetIds);
                assert.match(o.oidcProviderUrl, /^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\//);
                assert.match(o.oidcProviderArn, /:oidc-provider\/oidc\.eks\./);
                assert.strictEqual(JSON.parse(o.kubeconfig).clusters[0].cluster.server, o.clusterEndpoint);
                assert.strictEqual(o.nodeCountMinimum, expected.minSize * expected.nodeAzs);
                assert.strictEqual(o.nodeGroupNames.length, expected.nodeAzs);
                assert.deepStrictEqual(Object.keys(o.ecrRepositoryUrls).sort(), CATALOGUE_IMAGES);
                assert.match(o.ecrRepositoryUrls["user-service"], new RegExp(`^${MOCK_ACCOUNT_ID}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/gitops-${env}/user-service$`));
                assert.strictEqual(o.accountId, MOCK_ACCOUNT_ID);
            });
        });
    });
}

describe("the GitHub OIDC provider: one per account (infra:githubOidcProvider, default auto)", () => {
    const arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`;
    const PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider";
    const trusted = (run: LayerRun) => run.ofType("aws:iam/role:Role").filter((r) => /-ci-/.test(r.inputs.name)).map((r) => JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Federated);
    const deployStatement = (run: LayerRun, sid: string) => JSON.parse(run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "ci-deploy")!.inputs.policy).Statement.find((st: any) => st.Sid === sid);
    const tagsOf = (env: string, project = "gitops") => ({ Environment: env, Project: project, ManagedBy: "pulumi" });
    const own = { environment: "staging", project: "gitops" };
    const lookupOf = (found?: Record<string, string>) => {
        const asked: string[] = [];
        return { asked, lookup: async (a: string) => (asked.push(a), found === undefined ? undefined : { tags: found }) };
    };

    it("decides by the provider's tags: create when the account has none or it is this stack's, reuse another's; create never looks, existing never creates", async () => {
        const cases: [GithubProviderMode, Record<string, string> | undefined, boolean][] = [
            ["auto", undefined, true],
            ["auto", tagsOf("staging"), true],
            ["auto", tagsOf("production"), false],
            ["auto", tagsOf("staging", "other-project"), false],
            ["auto", {}, false],
            ["existing", tagsOf("production"), false],
            ["create", tagsOf("production"), true],
        ];
        for (const [mode, found, create] of cases) {
            const { asked, lookup } = lookupOf(found);
            assert.deepStrictEqual(await githubProviderDecision(mode, MOCK_ACCOUNT_ID, own, lookup), { create, arn }, `${mode} ${JSON.stringify(found)}`);
            assert.deepStrictEqual(asked, mode === "create" ? [] : [arn]);
        }
        await assert.rejects(githubProviderDecision("existing", MOCK_ACCOUNT_ID, own, lookupOf().lookup), /infra:githubOidcProvider = "existing": the account 123456789012 has no GitHub OIDC provider/);
    });

    it("the first environment of an account creates it (protected) and may retag it", async () => {
        const run = (await environmentGraph("staging")).infra;
        const provider = run.one(PROVIDER);
        assert.strictEqual(provider.protect, true);
        assert.deepStrictEqual(provider.inputs.clientIdLists, ["sts.amazonaws.com"]);
        assert.deepStrictEqual(trusted(run), [arn, arn, arn]);
        assert.ok(deployStatement(run, "RetagOwnIdentity").Resource.includes(arn));
        assert.strictEqual(run.calls.filter((c) => c.token === "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider")[0].inputs.arn, arn, "it looked first");
    });

    it("the second environment of a shared account finds the first one's and reuses it: no setting, no ARN, no EntityAlreadyExists", async () => {
        const run = await runLayer("infra", { env: "production", githubOidcProvider: { tags: tagsOf("staging") } });
        assert.strictEqual(run.ofType(PROVIDER).length, 0);
        assert.strictEqual(run.outputs.githubOidcProviderArn, arn);
        assert.deepStrictEqual(trusted(run), [arn, arn, arn]);
        // It belongs to the environment that created it: this one's deploy role may not even retag it.
        assert.ok(!deployStatement(run, "RetagOwnIdentity").Resource.includes(arn));
        assert.ok(deployStatement(run, "NoChangesToOwnIdentity").Resource.includes(arn));
    });

    it("existing fails the program, naming the setting, when the account has none", async () => {
        const failure = await runLayerExpectingFailure("infra", { env: "staging", config: { "infra:githubOidcProvider": "existing" } });
        assert.match(failure.error.message, /infra:githubOidcProvider = "existing": the account 123456789012 has no GitHub OIDC provider/);
        assert.strictEqual(failure.resources.filter((r) => r.type === PROVIDER).length, 0);
    });
});

describe("what AWS and the add-ons create at runtime carries the environment's tags (the IAM environment guards read Environment)", () => {
    const standard = (env: string) => ({ Environment: env, Project: "gitops", ManagedBy: "pulumi" });
    const runs: [string, () => Promise<LayerRun>, Record<string, string>][] = [
        ["staging", async () => (await environmentGraph("staging")).infra, standard("staging")],
        ["production", async () => (await environmentGraph("production")).infra, standard("production")],
        ["production with infra:tags", () => runLayer("infra", { env: "production", config: { "infra:tags": { CostCenter: "platform" } } }), { CostCenter: "platform", ...standard("production") }],
    ];
    for (const [what, runOf, expected] of runs) {
        it(`${what}: nodes, their volumes and ENIs, the node groups' Auto Scaling groups, the cluster security group, the CNI's ENIs and the CSI driver's volumes`, async () => {
            const run = await runOf();
            const env = expected.Environment;
            const specs = run.one("aws:ec2/launchTemplate:LaunchTemplate").inputs.tagSpecifications;
            assert.deepStrictEqual(specs.map((t: any) => t.resourceType), ["instance", "volume", "network-interface"]);
            for (const t of specs) assert.deepStrictEqual(t.tags, { ...expected, Name: `gitops-${env}-node` });

            const groups = run.ofType("aws:eks/nodeGroup:NodeGroup");
            const asgTags = run.ofType("aws:autoscaling/tag:Tag");
            for (const group of groups) {
                const name = group.state.resources[0].autoscalingGroups[0].name;
                const tags = asgTags.filter((t) => t.inputs.autoscalingGroupName === name);
                assert.deepStrictEqual(Object.fromEntries(tags.map((t) => [t.inputs.tag.key, t.inputs.tag.value])), expected, group.name);
                for (const t of tags) assert.strictEqual(t.inputs.tag.propagateAtLaunch, false, "instances are tagged by the launch template");
            }
            assert.strictEqual(asgTags.length, groups.length * Object.keys(expected).length);
            const sgTags = run.ofType("aws:ec2/tag:Tag");
            for (const t of sgTags) assert.strictEqual(t.inputs.resourceId, run.outputs.clusterSecurityGroupId);
            assert.deepStrictEqual(Object.fromEntries(sgTags.map((t) => [t.inputs.key, t.inputs.value])), expected);

            const config = (name: string) => JSON.parse(run.ofType("aws:eks/addon:Addon").find((a) => a.inputs.addonName === name)!.inputs.configurationValues);
            assert.deepStrictEqual(JSON.parse(config("vpc-cni").env.ADDITIONAL_ENI_TAGS), expected);
            // The CSI driver's volumes also carry the cluster's tag, by which a destroy finds those a StatefulSet left.
            assert.deepStrictEqual(config("aws-ebs-csi-driver").controller.extraVolumeTags, { ...expected, [`kubernetes.io/cluster/${run.outputs.clusterName}`]: "owned" });
        });
    }
});

describe("infra settings change what is built", () => {
    it("admin principals get cluster-admin access entries; no CIDR turns the public endpoint off", async () => {
        const admin = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/platform-admins`;
        const run = await runLayer("infra", { env: "production", config: { "infra:adminPrincipalArns": [admin], "infra:endpointPublicAccessCidrs": [] } });
        const entries = run.ofType("aws:eks/accessEntry:AccessEntry").filter((e) => e.inputs.principalArn === admin);
        assert.strictEqual(entries.length, 1);
        const cluster = run.one("eks:index:Cluster");
        assert.strictEqual(cluster.inputs.endpointPublicAccess, false);
        assert.strictEqual(cluster.inputs.publicAccessCidrs, undefined);
    });

    it("non-burstable instance types get no CPU credit specification (EC2 would reject it)", async () => {
        const run = await runLayer("infra", { env: "staging", config: { "infra:nodeGroup": { instanceTypes: ["m7i-flex.large"] } } });
        assert.strictEqual(run.one("aws:ec2/launchTemplate:LaunchTemplate").inputs.creditSpecification, undefined);
        assert.deepStrictEqual(run.ofType("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification"), []);
    });

    it("the account's CPU-credit default is the administrator's (protected, under AccountPolicies, moved there from the node groups without a reset)", async () => {
        const run = (await environmentGraph("staging")).infra;
        const [credits] = run.ofType("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification");
        assert.deepStrictEqual(credits.inputs, { instanceFamily: "t3", cpuCredits: "standard" });
        assert.ok(isAdministratorOwned(credits) && credits.protect, "CI only reads it (ec2:GetDefaultCreditSpecification)");
        assert.deepStrictEqual(credits.aliases, ["urn:pulumi:staging::infra::gitops:infra:NodeGroups::nodes::nodes-credits-t3"]);
        assert.deepStrictEqual((await environmentGraph("production")).infra.ofType("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification"), [], "unlimited is AWS's default for t3");
    });

    it("staging's repositories let production's deploy role read them only when production is in another account (infra:promotionTarget)", async () => {
        assert.deepStrictEqual((await environmentGraph("staging")).infra.ofType("aws:ecr/repositoryPolicy:RepositoryPolicy"), [], "one account: production's own policy grants the reads");
        const run = await runLayer("infra", { env: "staging", config: { "infra:promotionTarget": { accountId: "210987654321" } } });
        const repositories = run.ofType("aws:ecr/repository:Repository");
        const policies = run.ofType("aws:ecr/repositoryPolicy:RepositoryPolicy");
        assert.deepStrictEqual(policies.map((p) => p.inputs.repository).sort(), repositories.map((r) => r.inputs.name).sort());
        for (const p of policies) assert.strictEqual(p.inputs.policy, promotionReadPolicy({ accountId: "210987654321", namePrefix: "gitops-production" }));
        const [statement] = JSON.parse(policies[0].inputs.policy).Statement;
        assert.deepStrictEqual(statement.Principal, { AWS: "arn:aws:iam::210987654321:root" });
        assert.deepStrictEqual(statement.Condition, { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::210987654321:role/gitops-production-ci-deploy" } });
        assert.ok(statement.Action.every((a: string) => /^ecr:(BatchGet|GetDownload|BatchCheck|Describe)/.test(a)), "reads only");
        // Only then may staging's deploy role write repository policies.
        const deploy = (r: LayerRun) => JSON.stringify(JSON.parse(r.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "ci-deploy")!.inputs.policy));
        assert.match(deploy(run), /ecr:SetRepositoryPolicy/);
        assert.doesNotMatch(deploy((await environmentGraph("staging")).infra), /ecr:SetRepositoryPolicy/);
    });

    it("CPU credits per family: t4g standard sets t4g's default; t8i's cannot be set, which the layer says", async () => {
        const t4g = await runLayer("infra", { env: "staging", config: { "infra:nodeGroup": { instanceTypes: ["t4g.small"] } } });
        assert.deepStrictEqual(t4g.ofType("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification").map((s) => s.inputs), [{ instanceFamily: "t4g", cpuCredits: "standard" }]);
        const t8i = await runLayer("infra", { env: "staging", config: { "infra:nodeGroup": { instanceTypes: ["t8i.small"] } } });
        assert.deepStrictEqual(t8i.ofType("aws:ec2/defaultCreditSpecification:DefaultCreditSpecification"), []);
        assert.ok(t8i.warnings.some((w) => /infra:nodeGroup\.cpuCredits: standard cannot be set for t8i nodes .*AWS's default, unlimited/.test(w)), t8i.warnings.join("\n"));
    });

    it("infra:nodeAvailabilityZoneCount spreads staging's nodes over both AZs", async () => {
        const run = await runLayer("infra", { env: "staging", config: { "infra:nodeAvailabilityZoneCount": 2 } });
        const vpc = run.one("awsx:ec2:Vpc");
        assert.deepStrictEqual(run.ofType("aws:eks/nodeGroup:NodeGroup").map((g) => g.inputs.subnetIds[0]), vpc.state.privateSubnetIds);
        assert.strictEqual(run.outputs.nodeCountMinimum, 2);
    });

    it("Graviton instance types select the ARM AMI", async () => {
        const run = await runLayer("infra", { env: "staging", config: { "infra:nodeGroup": { instanceTypes: ["t4g.small"] } } });
        for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) assert.strictEqual(g.inputs.amiType, "AL2023_ARM_64_STANDARD");
    });
});
