/**
 * The pack as the Pulumi CLI runs it: policies/index.ts started in its own process (which makes @pulumi/policy
 * serve the analyzer gRPC API on 127.0.0.1), configured with policies/config/<env>.json the way the engine
 * sends it, then asked to analyze every resource of the environment's graph (plus bad and unknown ones) and
 * the stack. What the served pack reports must be what the offline runner reports: the runner is then a
 * faithful stand-in for `pulumi preview --policy-pack policies` in the tests and in `npm run plan`.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { ALL_POLICIES } from "../../policies/all";
import { loadPackConfig, OfflineResource, PREVIEW_UNKNOWN, resolveForEnvironment, runPack, toPolicyValue } from "../../policies/offline";
import { environmentGraph } from "../../lib/offline";
import { container, DEPLOYMENT, LAUNCH_TEMPLATE, launchTemplate, NODE_GROUP, podSpec, workload } from "./fixtures";

const POLICIES_DIR = path.resolve(__dirname, "../../policies");
/** Modules @pulumi/pulumi itself uses for the analyzer protocol (resolved from it, not declared by this repo). */
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (m: string) => require(require.resolve(m, { paths: [pulumiDir] }));
const grpc = fromPulumi("@grpc/grpc-js");
const struct = fromPulumi("google-protobuf/google/protobuf/struct_pb").Struct;
const empty = fromPulumi("google-protobuf/google/protobuf/empty_pb").Empty;
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

const LEVELS: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LEVEL_NAMES = ["advisory", "mandatory", "disabled", "remediate"];

/** Starts the pack like the CLI does and resolves with the port it serves on. */
function startPack(): Promise<{ child: ChildProcess; port: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], { cwd: POLICIES_DIR, stdio: ["ignore", "pipe", "pipe"] });
        // The server runs until killed: never leave it behind, even if the test process dies first.
        process.once("exit", () => child.kill());
        let stderr = "";
        const timer = setTimeout(() => reject(new Error(`the pack did not start in 60s: ${stderr}`)), 60_000);
        child.stderr!.on("data", (d) => (stderr += d));
        child.stdout!.once("data", (d) => {
            clearTimeout(timer);
            resolve({ child, port: String(d).trim() });
        });
        child.once("exit", (code) => reject(new Error(`the pack exited (${code}): ${stderr}`)));
    });
}

function options(r: OfflineResource) {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect ?? false);
    o.setIgnorechangesList(r.ignoreChanges ?? []);
    if (r.parent) o.setParent(r.parent);
    return o;
}

const urnOf = (r: OfflineResource) => r.urn!;

/** Bad resources, and ones with values unknown during preview, next to the recorded graph. */
function extraResources(provider?: string, ownRepository?: string): OfflineResource[] {
    const tagged = (name: string, image: string): OfflineResource => ({ type: DEPLOYMENT, name, custom: true, inputs: workload(DEPLOYMENT, podSpec([{ ...container(), image }])) });
    const extra: OfflineResource[] = [
        // By tag: of the environment's own ECR repository (passes with the environment's config), of another account's (does not).
        tagged("served-own-tag", `${ownRepository}:0123abc`),
        tagged("served-foreign-tag", "999999999999.dkr.ecr.eu-west-1.amazonaws.com/someone/app:dev"),
        { type: LAUNCH_TEMPLATE, name: "served-bad-lt", custom: true, provider, inputs: { ...launchTemplate(), instanceType: "m5.large", metadataOptions: { httpTokens: "optional" } } },
        { type: LAUNCH_TEMPLATE, name: "served-pending-lt", custom: true, provider, inputs: { ...launchTemplate(), instanceType: PREVIEW_UNKNOWN } },
        { type: NODE_GROUP, name: "served-pending-ng", custom: true, provider, id: "ng-pending", inputs: { launchTemplate: { id: "lt-1" }, instanceTypes: ["t3.small"], subnetIds: [PREVIEW_UNKNOWN] } },
        { type: "kubernetes:core/v1:Namespace", name: "served-ns", custom: true, inputs: { metadata: { name: "loose" } } },
        // A workload the pack judges whether a program registers it or Git holds it.
        { type: DEPLOYMENT, name: "served-bad-deployment", custom: true, inputs: workload(DEPLOYMENT, { ...podSpec([{ ...container(), image: "nginx:latest", livenessProbe: undefined }]), hostNetwork: true }) },
    ];
    return extra.map((r) => ({ ...r, urn: `urn:pulumi:test::extra::${r.type}::${r.name}` }));
}

describe("the pack served as the Pulumi CLI runs it", function () {
    this.timeout(120_000);
    let pack: { child: ChildProcess; port: string } | undefined;
    let client: any;
    const call = (method: string, request: unknown) => new Promise<any>((resolve, reject) => client[method](request, (e: Error, r: any) => (e ? reject(e) : resolve(r))));

    before(async () => {
        pack = await startPack();
        client = new rpc.AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.child.kill();
    });

    it("describes the pack: its name, the version of policies/package.json, every policy with its level and schema", async () => {
        const info = await call("getAnalyzerInfo", new empty());
        assert.strictEqual(info.getName(), "gitops-platform");
        assert.strictEqual(info.getVersion(), require("../../policies/package.json").version);
        const served = info.getPoliciesList().map((p: any) => [p.getName(), LEVEL_NAMES[p.getEnforcementlevel()]]);
        assert.deepStrictEqual(served, ALL_POLICIES.map((p) => [p.name, p.enforcementLevel]));
    });

    for (const env of ["staging", "production"]) {
        it(`reports on the ${env} graph exactly what the offline runner reports`, async () => {
            const graph = await environmentGraph(env);
            const provider = graph.infra.ofType("aws:ec2/launchTemplate:LaunchTemplate")[0].provider;
            const ownRepository = graph.infra.ofType("aws:ecr/repository:Repository")[0].state.repositoryUrl;
            const resources: OfflineResource[] = [...graph.resources, ...extraResources(provider, ownRepository)];
            const config = loadPackConfig(env);

            // What the engine sends after reconciling the config file with the pack's schemas, with what the graph adds
            // (the environment's ECR repositories): a real preview gets that as its --policy-pack-config, or is stricter.
            const configure = new pb.ConfigureAnalyzerRequest();
            for (const [name, c] of resolveForEnvironment(ALL_POLICIES, config, resources)) {
                const policyConfig = new pb.PolicyConfig();
                policyConfig.setEnforcementlevel(LEVELS[c.enforcementLevel]);
                policyConfig.setProperties(struct.fromJavaScript(c.properties));
                configure.getPolicyconfigMap().set(name, policyConfig);
            }
            await call("configure", configure);

            const byUrn = new Map(resources.map((r) => [urnOf(r), r]));
            const providerOf = (r: OfflineResource) => {
                const p = r.provider ? byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::"))) : undefined;
                if (!p) return undefined;
                const message = new pb.AnalyzerProviderResource();
                message.setType(p.type);
                message.setName(p.name);
                message.setUrn(urnOf(p));
                message.setProperties(struct.fromJavaScript(toPolicyValue(p.inputs)));
                return message;
            };
            const served: string[] = [];
            const record = (d: any, urn: string) => {
                const message: string = d.getMessage();
                const skipped = message.startsWith("can't run policy");
                const text = skipped ? "(skipped)" : message.slice(message.indexOf("\n") + 1);
                served.push(`${d.getPolicyname()} | ${skipped ? "skipped" : LEVEL_NAMES[d.getEnforcementlevel()]} | ${d.getUrn() || urn} | ${text}`);
            };

            for (const r of resources) {
                const request = new pb.AnalyzeRequest();
                request.setType(r.type);
                request.setName(r.name);
                request.setUrn(urnOf(r));
                request.setProperties(struct.fromJavaScript(toPolicyValue(r.inputs)));
                request.setOptions(options(r));
                const provider = providerOf(r);
                if (provider) request.setProvider(provider);
                for (const d of (await call("analyze", request)).getDiagnosticsList()) record(d, urnOf(r));
            }
            const stack = new pb.AnalyzeStackRequest();
            for (const r of resources) {
                const resource = new pb.AnalyzerResource();
                resource.setType(r.type);
                resource.setName(r.name);
                resource.setUrn(urnOf(r));
                const state: Record<string, unknown> = { ...(r.state ?? r.inputs) };
                if (r.custom !== false && r.id && state.id === undefined) state.id = r.id;
                resource.setProperties(struct.fromJavaScript(toPolicyValue(state)));
                resource.setOptions(options(r));
                if (r.parent) resource.setParent(r.parent);
                const provider = providerOf(r);
                if (provider) resource.setProvider(provider);
                stack.addResources(resource);
            }
            for (const d of (await call("analyzeStack", stack)).getDiagnosticsList()) record(d, "");

            const report = await runPack(resources, config);
            const offline = [
                ...report.violations.map((v) => `${v.policyName} | ${v.enforcementLevel} | ${v.urn ?? ""} | ${v.message}`),
                ...report.skipped.map((s) => `${s.policyName} | skipped | ${s.urn ?? ""} | (skipped)`),
            ];
            assert.deepStrictEqual(served.sort(), offline.sort());
            // The comparison is not vacuous: the extra resources produce violations and skipped checks.
            assert.ok(report.mandatory.some((v) => v.resourceName === "served-bad-lt" && v.policyName === "imdsv2-required"));
            assert.ok(report.skipped.some((s) => s.resourceName === "served-pending-lt"));
            assert.ok(report.skipped.some((s) => s.policyName === "nodes-in-private-subnets"));
            assert.deepStrictEqual(report.mandatory.filter((v) => v.resourceName === "served-bad-deployment").map((v) => v.policyName).sort(), ["workload-host-isolation", "workload-images-pinned", "workload-probes"]);
            assert.deepStrictEqual(report.mandatory.filter((v) => /^served-\w+-tag$/.test(v.resourceName ?? "")).map((v) => `${v.policyName} ${v.resourceName}`), ["workload-images-pinned served-foreign-tag"]);
        });
    }
});
