/**
 * The Pulumi mocks of the kit: every registered resource is recorded, and each gets the outputs its real
 * provider would return (ids, ARNs, URLs, and for the remote components awsx:ec2:Vpc and eks:index:Cluster
 * the outputs this project reads). Provider functions the programs call are answered; anything else fails
 * loudly, so a program that starts calling something new gets a mock on purpose, not by accident.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";

/** Options of a registration, read from the request before the mock answers it. */
export interface RegistrationOptions {
    urn: string;
    /** URN of the parent resource (components); undefined for top-level resources. */
    parent?: string;
    /** Resource options, as the program set them. */
    protect: boolean;
    dependsOn: string[];
    ignoreChanges: string[];
    retainOnDelete: boolean;
    /** True for remote components (awsx, eks) whose children only a real deployment creates. */
    remote: boolean;
    /** The `customTimeouts` option (duration strings such as "15m"), where the program set one. */
    customTimeouts?: { create?: string; update?: string; delete?: string };
    /** The `aliases` option (URNs, or `<parent URN>::<name>`), where the program set one. */
    aliases?: string[];
}

/** One resource the program registered, with its inputs, the state the mock returned and its options. */
export interface RecordedResource extends RegistrationOptions {
    type: string;
    name: string;
    /** Whether it is a custom resource (false for components, local or remote). */
    custom: boolean;
    inputs: Record<string, any>;
    state: Record<string, any>;
    id: string;
    /** Provider reference (`urn::id`) for custom resources with an explicit provider. */
    provider?: string;
}

export interface RecordedCall {
    token: string;
    inputs: Record<string, any>;
}

export interface MockContext {
    region: string;
    /** Stack name (`org/project/stack`) -> outputs served to StackReferences. */
    stackOutputs: Record<string, Record<string, unknown>>;
    /** The running stack's own name: a reference to it reads its previous outputs, none for a new stack. */
    self?: string;
    /** Stack name -> names of its secret outputs. */
    secretOutputs: Record<string, string[]>;
    resources: RecordedResource[];
    calls: RecordedCall[];
    /** Options of registrations in flight, by `type::name` (filled by the monitor wrapper in index.ts). */
    pendingOptions: Map<string, RegistrationOptions>;
    /** The account's GitHub OIDC provider, when the mock account has one (another stack created it): its tags. */
    githubOidcProvider?: { tags: Record<string, string> };
}

/** A short, stable hex string derived from a name: ids and ARNs are the same on every run. */
export function hash(text: string, length = 8): string {
    return crypto.createHash("sha256").update(text).digest("hex").slice(0, length);
}

export function createMocks(ctx: MockContext): pulumi.runtime.Mocks {
    return {
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
            const computed = outputsFor(args, ctx);
            const id = computed.id ?? (args.custom ? `${args.name}-${hash(args.type + args.name)}` : "");
            const state = { ...args.inputs, ...computed.state };
            const key = `${args.type}::${args.name}`;
            const options = ctx.pendingOptions.get(key) ?? { urn: key, protect: false, dependsOn: [], ignoreChanges: [], retainOnDelete: false, remote: false };
            ctx.pendingOptions.delete(key);
            ctx.resources.push({
                ...options,
                type: args.type,
                name: args.name,
                custom: args.custom ?? false,
                inputs: args.inputs,
                state,
                id,
                provider: args.provider || undefined,
            });
            return { id, state };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
            ctx.calls.push({ token: args.token, inputs: args.inputs });
            const answer = CALLS[args.token];
            if (!answer) {
                throw new Error(`mock kit: no answer for the provider function ${args.token}; add one to lib/offline/mocks.ts`);
            }
            return answer(args.inputs, ctx);
        },
    };
}

type CallAnswer = (inputs: Record<string, any>, ctx: MockContext) => Record<string, any>;

const CALLS: Record<string, CallAnswer> = {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/mock`,
        userId: "AIDAMOCK",
        id: MOCK_ACCOUNT_ID,
    }),
    "aws:index/getRegion:getRegion": (_i, ctx) => ({ name: ctx.region, region: ctx.region, id: ctx.region, endpoint: `ec2.${ctx.region}.amazonaws.com` }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_i, ctx) => {
        const names = ["a", "b", "c", "d", "e", "f"].map((s) => `${ctx.region}${s}`);
        return { names, zoneIds: names.map((_, i) => `use1-az${i + 1}`), id: ctx.region };
    },
    "aws:eks/getAddonVersion:getAddonVersion": (inputs) => ({ ...inputs, version: "v1.0.0-eksbuild.1", id: inputs.addonName }),
    "aws:elb/getServiceAccount:getServiceAccount": () => ({ arn: "arn:aws:iam::127311923021:root", id: "127311923021" }),
    "aws:iam/getPolicyDocument:getPolicyDocument": (inputs) => ({ json: policyDocumentJson(inputs), id: "policy" }),
    // A secret someone stored by hand (e.g. a PagerDuty integration URL): a recognisable value per name.
    "aws:secretsmanager/getSecretVersion:getSecretVersion": (inputs, ctx) => {
        const arn = `arn:aws:secretsmanager:${ctx.region}:${MOCK_ACCOUNT_ID}:secret:${inputs.secretId}-${hash(inputs.secretId, 6)}`;
        return { ...inputs, arn, id: arn, versionId: hash(`v-${inputs.secretId}`, 32), versionStages: ["AWSCURRENT"], secretString: `mock-secret-value-of:${inputs.secretId}`, secretBinary: "" };
    },
    // The account's GitHub OIDC provider: absent unless the run says another stack created it (an account has one).
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": (inputs, ctx) => {
        if (ctx.githubOidcProvider === undefined || !String(inputs.arn ?? inputs.url ?? "").includes("token.actions.githubusercontent.com")) {
            // `details` is what the engine's gRPC error carries and the SDK turns into the invoke's error message.
            const message = `reading IAM OIDC Provider (${inputs.arn ?? inputs.url}): couldn't find resource`;
            throw Object.assign(new Error(message), { details: message });
        }
        return { ...inputs, arn: inputs.arn, url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"], thumbprintLists: [], tags: ctx.githubOidcProvider.tags, id: inputs.arn };
    },
    // A subnet looked up by id (the apps layer reads the public subnets' CIDRs): a /24 derived from the id.
    "aws:ec2/getSubnet:getSubnet": (inputs, ctx) => ({
        ...inputs,
        arn: `arn:aws:ec2:${ctx.region}:${MOCK_ACCOUNT_ID}:subnet/${inputs.id}`,
        cidrBlock: `10.0.${parseInt(hash(String(inputs.id), 2), 16)}.0/24`,
        vpcId: `vpc-${hash(String(inputs.id))}`,
    }),
};

/** Renders `aws.iam.getPolicyDocument` inputs the way the provider does (enough for assertions). */
function policyDocumentJson(inputs: Record<string, any>): string {
    const statements = (inputs.statements ?? []).map((s: any) => {
        const out: Record<string, any> = { Effect: s.effect ?? "Allow" };
        if (s.sid) out.Sid = s.sid;
        if (s.actions) out.Action = s.actions;
        if (s.notActions) out.NotAction = s.notActions;
        if (s.resources) out.Resource = s.resources;
        if (s.principals) out.Principal = Object.fromEntries(s.principals.map((p: any) => [p.type, p.identifiers]));
        if (s.conditions) {
            out.Condition = {};
            for (const c of s.conditions) out.Condition[c.test] = { ...(out.Condition[c.test] ?? {}), [c.variable]: c.values };
        }
        return out;
    });
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

interface Computed {
    id?: string;
    state: Record<string, any>;
}

/** The outputs a real provider would add to a resource's inputs. */
function outputsFor(args: pulumi.runtime.MockResourceArgs, ctx: MockContext): Computed {
    const { type, name, inputs } = args;
    const region = ctx.region;
    const acct = MOCK_ACCOUNT_ID;
    const h = hash(type + name);
    const physical = inputs.name ?? `${name}-${h.slice(0, 7)}`;
    switch (type) {
        case "pulumi:pulumi:StackReference":
            return stackReference(inputs.name, ctx);
        case "awsx:ec2:Vpc":
            return vpc(name, inputs, region);
        case "eks:index:Cluster":
            return eksCluster(name, inputs, region);
        case "aws:iam/role:Role":
            return { state: { name: physical, arn: `arn:aws:iam::${acct}:role/${physical}`, uniqueId: `AROA${h.toUpperCase()}` } };
        case "aws:iam/policy:Policy":
            return { state: { name: physical, arn: `arn:aws:iam::${acct}:policy/${physical}` } };
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
            const host = String(inputs.url).replace(/^https:\/\//, "");
            return { state: { arn: `arn:aws:iam::${acct}:oidc-provider/${host}` } };
        }
        case "aws:kms/key:Key":
            return { id: `${h}-key`, state: { keyId: `${h}-key`, arn: `arn:aws:kms:${region}:${acct}:key/${h}-key` } };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { id: physical, state: { name: physical, arn: `arn:aws:logs:${region}:${acct}:log-group:${physical}` } };
        case "aws:ecr/repository:Repository":
            return {
                id: physical,
                state: { name: physical, arn: `arn:aws:ecr:${region}:${acct}:repository/${physical}`, repositoryUrl: `${acct}.dkr.ecr.${region}.amazonaws.com/${physical}`, registryId: acct },
            };
        case "aws:s3/bucketV2:BucketV2":
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${name}-${h}`;
            return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` } };
        }
        case "aws:eks/nodeGroup:NodeGroup": {
            const group = inputs.nodeGroupName ?? physical;
            // EKS names the group's Auto Scaling group eks-<node group>-<uuid>.
            const resources = [{ autoscalingGroups: [{ name: `eks-${group}-${hash(group, 8)}-0000-0000-0000-${hash(group, 12)}` }], remoteAccessSecurityGroupId: "" }];
            return { state: { nodeGroupName: group, arn: `arn:aws:eks:${region}:${acct}:nodegroup/${inputs.clusterName}/${group}/${h}`, status: "ACTIVE", resources } };
        }
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { id: `lt-${h}`, state: { latestVersion: 1, defaultVersion: 1, arn: `arn:aws:ec2:${region}:${acct}:launch-template/lt-${h}` } };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { id: `sg-${h}`, state: { arn: `arn:aws:ec2:${region}:${acct}:security-group/sg-${h}`, name: physical } };
        case "aws:secretsmanager/secret:Secret":
            return { state: { name: physical, arn: `arn:aws:secretsmanager:${region}:${acct}:secret:${physical}-${h.slice(0, 6)}` } };
        case "random:index/randomPassword:RandomPassword":
            return { state: { result: `mock-password-${h}`, bcryptHash: `$2a$10$${h}` } };
        case "kubernetes:helm.sh/v3:Release":
            return { state: { name: inputs.name ?? physical, status: { name: inputs.name ?? physical, namespace: inputs.namespace, status: "deployed", version: inputs.version, chart: inputs.chart } } };
    }
    if (type.startsWith("kubernetes:")) {
        const metadata = { ...(inputs.metadata ?? {}) };
        metadata.name ??= `${name}-${h.slice(0, 8)}`;
        return { state: { metadata } };
    }
    if (type.startsWith("aws:") && args.custom) {
        const service = type.slice(4, type.indexOf("/"));
        const state: Record<string, any> = { arn: `arn:aws:${service}:${region}:${acct}:${name}/${h}` };
        if (inputs.name === undefined && !type.startsWith("aws:iam/rolePolicyAttachment")) state.name = physical;
        return { state };
    }
    return { state: {} };
}

function stackReference(stackName: string, ctx: MockContext): Computed {
    const outputs = ctx.stackOutputs[stackName] ?? (stackName === ctx.self ? {} : undefined);
    if (outputs === undefined) {
        const known = Object.keys(ctx.stackOutputs);
        throw new Error(`mock kit: no outputs for the stack reference ${stackName}; served: ${known.length ? known.join(", ") : "none"}`);
    }
    return { id: stackName, state: { name: stackName, outputs, secretOutputNames: ctx.secretOutputs[stackName] ?? [] } };
}

function vpc(name: string, inputs: Record<string, any>, region: string): Computed {
    const azs = inputs.numberOfAvailabilityZones ?? 3;
    const h = hash(name);
    const subnetIds = (kind: string) => Array.from({ length: azs }, (_, i) => `subnet-${kind}${i}${h}`);
    const vpcId = `vpc-${h}`;
    const nats = inputs.natGateways?.strategy === "OnePerAz" ? azs : inputs.natGateways?.strategy === "None" ? 0 : 1;
    return {
        state: {
            vpcId,
            vpc: { id: vpcId, cidrBlock: inputs.cidrBlock, arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:vpc/${vpcId}` },
            publicSubnetIds: subnetIds("pub"),
            privateSubnetIds: subnetIds("prv"),
            isolatedSubnetIds: [],
            natGateways: Array.from({ length: nats }, (_, i) => ({ id: `nat-${i}${h}` })),
            eips: Array.from({ length: nats }, (_, i) => ({ id: `eipalloc-${i}${h}` })),
        },
    };
}

function eksCluster(name: string, inputs: Record<string, any>, region: string): Computed {
    const clusterName = inputs.name ?? `${name}-eksCluster-${hash(name, 7)}`;
    const oidcId = hash(`oidc-${clusterName}`, 32).toUpperCase();
    const issuer = `oidc.eks.${region}.amazonaws.com/id/${oidcId}`;
    const endpoint = `https://${hash(clusterName, 32).toUpperCase()}.gr7.${region}.eks.amazonaws.com`;
    const clusterSecurityGroupId = `sg-${hash(`cluster-${clusterName}`, 17)}`;
    const certificateAuthority = { data: Buffer.from(`mock-ca-${clusterName}`).toString("base64") };
    const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "kubernetes", cluster: { server: endpoint, "certificate-authority-data": certificateAuthority.data } }],
        contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
        "current-context": "aws",
        users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"] } } }],
    };
    const eksClusterState = {
        name: clusterName,
        arn: `arn:aws:eks:${region}:${MOCK_ACCOUNT_ID}:cluster/${clusterName}`,
        endpoint,
        version: inputs.version,
        certificateAuthority,
        identities: [{ oidcs: [{ issuer: `https://${issuer}` }] }],
        vpcConfig: { clusterSecurityGroupId, vpcId: inputs.vpcId, subnetIds: [...(inputs.privateSubnetIds ?? []), ...(inputs.publicSubnetIds ?? [])] },
    };
    return {
        state: {
            eksCluster: eksClusterState,
            core: { cluster: eksClusterState, endpoint, oidcProvider: { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/${issuer}`, url: `https://${issuer}` } },
            kubeconfig,
            kubeconfigJson: JSON.stringify(kubeconfig),
            oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/${issuer}`,
            oidcProviderUrl: `https://${issuer}`,
            oidcIssuer: issuer,
            clusterSecurityGroupId,
            nodeSecurityGroupId: clusterSecurityGroupId,
        },
    };
}
