/**
 * The requests CI's own steps make around Pulumi (.github/workflows/deploy.yml, build-and-push.yml, ci/registry.ts,
 * .github/actions/release-app-token), each with the role and session policy of the job that makes it:
 * - delivery (drift role, narrowed by the job's session policy): `aws ecr describe-images` of the pinned images;
 * - build (deploy role; staging builds, production never does): the push of `<prefix>/<service>:<commit>`
 *   (`describe-images` to skip an existing tag, `docker push`, `describe-images` of its digest);
 * - deploy (deploy role): the release App's key (`<prefix>/ci/release-app`, Secrets Manager decrypting it with the
 *   environment's logs-and-secrets key when the administrator stored it so), the pin's `describe-images`, and in
 *   production the promotion: `skopeo copy` reads staging's image and writes it into production's repository;
 * - record (staging, deploy role narrowed by the job's session policy): the release App's key again;
 * - verify (drift role): `aws eks update-kubeconfig` and the token `aws eks get-token` signs.
 * Repositories are the graph's; the session policies are read from the workflow, with the job's values filled in.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { RELEASE_APP_SECRET } from "../../../ci/ci-context";
import { REPO_ROOT } from "../../../lib/environment";
import { EnvironmentRun } from "../../../lib/offline";
import { EnvironmentFacts, NeededRequest } from "./needs";
import { Context, PolicyDocument } from "./simulator";

export type DeliveryRole = "deploy" | "drift";

export interface DeliveryRequest extends NeededRequest {
    role: DeliveryRole;
    /** The deploy.yml job whose credentials make it (its session policy, if any, narrows the role). */
    job: "delivery" | "build" | "deploy" | "record" | "verify";
}

/** Where the environment promotes images from (production: staging's repositories), and their repository policy. */
export interface PromotionSourceFacts {
    account: string;
    prefix: string;
    tags: Record<string, string>;
    /** The source repositories' policy (staging's, when production is in another account). */
    repositoryPolicy?: PolicyDocument;
}

const PUSH = ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage"];
/** What skopeo and the delivery read of an image to promote it: its manifest, its layers, its digest. */
const PROMOTION_COPY_READS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages"];

/** A Secrets Manager secret's ARN as AWS names it (a random six-character suffix). */
export const secretArn = (f: EnvironmentFacts, name: string) => `arn:aws:secretsmanager:${f.region}:${f.account}:secret:${name}-AbCdEf`;

/** The release App's key of an environment (ci-context's release-app-secret). */
export const releaseKeyArn = (f: EnvironmentFacts) => secretArn(f, `${f.prefix}/${RELEASE_APP_SECRET}`);

/**
 * What Secrets Manager asks of KMS when a principal reads a secret encrypted with the key: Decrypt on the caller's
 * behalf (kms:ViaService), with the secret in the encryption context, decided by the key's own policy.
 */
export function decryptThroughSecretsManager(f: EnvironmentFacts, keyArn: string, keyPolicy: PolicyDocument, tags: Record<string, string>): { action: string; resource: string; context: Context; resourcePolicy: PolicyDocument } {
    return {
        action: "kms:Decrypt",
        resource: keyArn,
        context: {
            "aws:RequestedRegion": f.region,
            "kms:ViaService": `secretsmanager.${f.region}.amazonaws.com`,
            "kms:CallerAccount": f.account,
            // (Secrets Manager also sends kms:EncryptionContext:SecretARN, which no policy here conditions on.)
            ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
        },
        resourcePolicy: keyPolicy,
    };
}

/** A deploy.yml job's `inline-session-policy`, with the job's expressions filled in. */
export function sessionPolicyOf(job: "delivery" | "record", values: Record<string, string>): PolicyDocument {
    const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "deploy.yml"), "utf8"));
    const step = workflow.jobs[job].steps.find((s: { with?: Record<string, unknown> }) => s.with?.["inline-session-policy"]);
    if (!step) throw new Error(`deploy.yml ${job}: no inline-session-policy`);
    const text = String(step.with["inline-session-policy"]).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
        if (!(expression in values)) throw new Error(`deploy.yml ${job}: no value for ${expression}`);
        return values[expression];
    });
    return JSON.parse(text);
}

/** The values of the delivery job's outputs the session policies use. */
export function jobValues(f: EnvironmentFacts): Record<string, string> {
    const out = { region: f.region, "account-id": f.account, "name-prefix": f.prefix, "release-app-secret": `${f.prefix}/${RELEASE_APP_SECRET}` };
    return Object.fromEntries(Object.entries(out).flatMap(([k, v]) => [[`steps.context.outputs.${k}`, v], [`needs.delivery.outputs.${k}`, v]]));
}

/** The role each job of deploy.yml assumes. */
export const JOB_ROLES: Record<DeliveryRequest["job"], DeliveryRole> = { delivery: "drift", build: "deploy", deploy: "deploy", record: "deploy", verify: "drift" };

export function deliveryRequests(graph: EnvironmentRun, f: EnvironmentFacts, key: { arn: string; policy: PolicyDocument }, source?: PromotionSourceFacts): DeliveryRequest[] {
    const out: DeliveryRequest[] = [];
    const tags = (prefix: string, of: Record<string, string>) => Object.fromEntries(Object.entries(of).map(([k, v]) => [`aws:${prefix}/${k}`, v]));
    const own = tags("ResourceTag", f.tags);
    const add = (job: DeliveryRequest["job"], why: string, actions: string[], resource: string, context: Context = {}, resourcePolicy?: PolicyDocument) => {
        const role = JOB_ROLES[job];
        for (const action of actions) {
            const global = ["iam", "sts"].includes(action.split(":")[0]);
            out.push({ job, role, why: `${job}: ${why}`, action, resource, context: { "aws:RequestedRegion": global ? "us-east-1" : f.region, ...context }, ...(resourcePolicy ? { resourcePolicy } : {}) });
        }
    };
    const repositories = graph.infra.ofType("aws:ecr/repository:Repository").map((r) => String(r.inputs.name));
    if (repositories.length === 0) throw new Error("delivery.ts: the graph has no repositories");
    const repository = (account: string, name: string) => `arn:aws:ecr:${f.region}:${account}:repository/${name}`;
    const releaseKey = releaseKeyArn(f);
    const readReleaseKey = (job: "deploy" | "record") => {
        // An administrator stores it (no tags of the program's): the deploy role's own secrets.
        add(job, "the release App's key", ["secretsmanager:GetSecretValue"], releaseKey);
        const d = decryptThroughSecretsManager(f, key.arn, key.policy, f.tags);
        add(job, "Secrets Manager decrypting the release App's key", [d.action], d.resource, d.context, d.resourcePolicy);
    };

    for (const name of repositories) add("delivery", "the pinned images (ecr describe-images)", ["ecr:DescribeImages"], repository(f.account, name), own);

    if (source === undefined) {
        add("build", "a registry login", ["ecr:GetAuthorizationToken"], "*");
        for (const name of repositories) add("build", `the push of ${name}`, ["ecr:DescribeImages", ...PUSH], repository(f.account, name), own);
    }

    readReleaseKey("deploy");
    add("deploy", "a registry login", ["ecr:GetAuthorizationToken"], "*");
    for (const name of repositories) add("deploy", `the pin's lookup of ${name}`, ["ecr:DescribeImages"], repository(f.account, name), own);
    if (source) {
        for (const name of repositories) {
            const from = `${source.prefix}/${name.slice(f.prefix.length + 1)}`;
            add("deploy", `the promotion's copy from ${from}`, PROMOTION_COPY_READS, repository(source.account, from), tags("ResourceTag", source.tags), source.repositoryPolicy);
            add("deploy", `the promotion's copy into ${name}`, PUSH, repository(f.account, name), own);
        }
    } else {
        readReleaseKey("record");
    }

    add("verify", "aws eks update-kubeconfig", ["eks:DescribeCluster"], `arn:aws:eks:${f.region}:${f.account}:cluster/${graph.infra.outputs.clusterName}`, own);
    add("verify", "the cluster token (aws eks get-token signs GetCallerIdentity)", ["sts:GetCallerIdentity"], "*");
    return out;
}
