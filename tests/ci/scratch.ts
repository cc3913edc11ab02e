/**
 * Scratch git repositories for the delivery's tests (never the checkout): the repository's layout in miniature
 * (two services, their overlays per environment, a public-image workload, the layers' folders, docs and tests),
 * a fake registry, and the release and verification steps as CI runs them (tools/delivery.ts pin / record).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Git, gitIn } from "../../lib/cli-support";
import { UNRELEASED_DIGEST } from "../../ci/pins";
import { Lookup, Registry, RegistryLocation, parseRepositoryPrefix } from "../../ci/registry";
import { DeliveryDeps, main } from "../../tools/delivery";

/** GitHub's instructions to run no workflow for a push or a pull request (docs: "Skipping workflow runs"). */
export const SKIP_INSTRUCTIONS = /\[(skip ci|ci skip|no ci|skip actions|actions skip)\]|skip-checks:\s*true/i;

export const PREFIX = { staging: "111111111111.dkr.ecr.us-east-1.amazonaws.com/gitops-staging", production: "222222222222.dkr.ecr.us-east-1.amazonaws.com/gitops-production" };

const overlay = (service: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
# The release pins the digest.
images:
  - name: ${service}
    digest: ${UNRELEASED_DIGEST}
`;

const LAYOUT: Record<string, string> = {
    "Pulumi.staging.yaml": "config: {}\n",
    "Pulumi.production.yaml": "config: {}\n",
    "README.md": "# shop\n",
    "infra/index.ts": "export {};\n",
    "platform/index.ts": "export {};\n",
    "apps/index.ts": "export {};\n",
    "lib/tags.ts": "export {};\n",
    "tests/x.spec.ts": "\n",
    ".github/workflows/deploy.yml": "on: push\n",
    "apps/services/.dockerignore": "**/tests\n",
    "apps/services/frontend/Dockerfile": "FROM nginx\n",
    "apps/services/frontend/html/index.html": "<h1>shop</h1>\n",
    "apps/services/python-kit/Dockerfile": "FROM python\n",
    "apps/services/python-kit/service_kit.py": "kit = 1\n",
    "apps/services/user-service/app.py": "version = 1\n",
    "apps/workloads/frontend/overlays/staging/kustomization.yaml": overlay("frontend"),
    "apps/workloads/frontend/overlays/production/kustomization.yaml": overlay("frontend"),
    "apps/workloads/user-service/overlays/staging/kustomization.yaml": overlay("user-service"),
    "apps/workloads/user-service/overlays/production/kustomization.yaml": overlay("user-service"),
    "apps/workloads/user-service/base/deployment.yaml": "kind: Deployment\n",
    "apps/workloads/mysql/overlays/staging/kustomization.yaml": "images:\n  - name: public.ecr.aws/docker/library/mysql\n    newTag: \"8.4.11\"\n",
};

/** A registry in memory: per service, tag -> digest; counts what was copied into it. */
export class FakeRegistry implements Registry {
    readonly location: RegistryLocation;
    readonly images = new Map<string, Map<string, string>>();
    readonly copied: string[] = [];
    constructor(prefix: string) {
        this.location = parseRepositoryPrefix(prefix);
    }
    /** What a build pushes: the image of `service` tagged `tag` (a new digest per build). */
    push(service: string, tag: string): string {
        const digest = `sha256:${crypto.createHash("sha256").update(`${this.location.prefix}/${service}:${tag}`).digest("hex")}`;
        this.add(service, tag, digest);
        return digest;
    }
    add(service: string, tag: string, digest: string): void {
        if (!this.images.has(service)) this.images.set(service, new Map());
        this.images.get(service)!.set(tag, digest);
    }
    expire(service: string, digest: string): void {
        const tags = this.images.get(service)!;
        for (const [tag, d] of [...tags]) if (d === digest) tags.delete(tag);
    }
    find(service: string, ref: { tag: string } | { digest: string }): Lookup {
        const tags = this.images.get(service);
        if (!tags) return "no-repository";
        const digest = "tag" in ref ? tags.get(ref.tag) : [...tags.values()].find((d) => d === ref.digest);
        return digest ? { digest } : "missing";
    }
    copyFrom(from: RegistryLocation, service: string, digest: string): void {
        this.copied.push(`${from.prefix}/${service}@${digest}`);
        this.add(service, digest.replace(":", "-"), digest);
    }
}

export interface CommandResult {
    code: number;
    out: string;
    err: string;
    outputs: Record<string, string>;
}

export class ScratchRepo {
    readonly dir: string;
    readonly git: Git;
    readonly registries: Record<string, FakeRegistry> = { [PREFIX.staging]: new FakeRegistry(PREFIX.staging), [PREFIX.production]: new FakeRegistry(PREFIX.production) };

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "delivery-"));
        this.git = gitIn(this.dir);
        this.run("init", "-q", "-b", "staging");
        for (const [file, text] of Object.entries(LAYOUT)) this.write(file, text);
        this.commit("the shop");
    }

    get staging(): FakeRegistry {
        return this.registries[PREFIX.staging];
    }
    get production(): FakeRegistry {
        return this.registries[PREFIX.production];
    }

    run(...args: string[]): string {
        return execFileSync("git", ["-c", "user.name=dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: this.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    }

    write(file: string, text: string): void {
        fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
        fs.writeFileSync(path.join(this.dir, file), text);
    }

    read(file: string): string {
        return fs.readFileSync(path.join(this.dir, file), "utf8");
    }

    /** Commits everything; returns the commit. */
    commit(message: string): string {
        this.run("add", "-A");
        this.run("commit", "-q", "--allow-empty", "-m", message);
        return this.head();
    }

    change(file: string, text: string, message = `change ${file}`): string {
        this.write(file, text);
        return this.commit(message);
    }

    head(): string {
        return this.run("rev-parse", "HEAD");
    }

    /** tools/delivery.ts in this repository, with the fake registries; GitHub outputs parsed. */
    delivery(...argv: string[]): CommandResult {
        const outFile = path.join(this.dir, ".git", "github-output");
        fs.rmSync(outFile, { force: true });
        let out = "";
        let err = "";
        const deps: DeliveryDeps = {
            root: this.dir,
            git: this.git,
            registry: (location) => {
                const r = this.registries[location.prefix];
                if (!r) throw new Error(`no fake registry ${location.prefix}`);
                return r;
            },
            out: (t) => (out += t),
            err: (t) => (err += t),
            env: { GITHUB_OUTPUT: outFile },
        };
        let code: number;
        try {
            code = main(argv, deps);
        } catch (e) {
            const error = e as Error;
            err += error.message;
            code = error.name === "UsageError" ? 2 : 1;
        }
        return { code, out, err, outputs: fs.existsSync(outFile) ? parseOutputs(fs.readFileSync(outFile, "utf8")) : {} };
    }

    /** The decision for base..head, parsed (fails the test when the command does not exit 0 unless asked). */
    decide(environment: string, base: string, head = "HEAD", ...extra: string[]): { json: any; result: CommandResult } {
        const result = this.delivery(environment, "--base", base, "--head", head, ...extra);
        return { json: result.out ? JSON.parse(result.out) : undefined, result };
    }

    /**
     * What CI's run does after deciding: on staging builds (pushes each image, tagged with its source commit, to the
     * fake registry), then the deploy job pins (production: copying from staging's registry) and commits. Returns
     * the release commit and the built digests.
     */
    ci(environment: "staging" | "production", base: string): { release?: string; digests: Record<string, string>; decision: any; result: CommandResult } {
        const { json, result } = this.decide(environment, base, "HEAD", "--registry", PREFIX[environment]);
        if (result.code !== 0) throw new Error(`decision failed: ${result.err}`);
        const digests: Record<string, string> = {};
        for (const service of json.build) digests[service] = this.staging.push(service, json.sources[service]);
        if (!result.outputs.release) return { digests, decision: json, result };
        const copy = environment === "production" ? ["--copy-from", PREFIX.staging] : [];
        const pin = this.delivery("pin", environment, ...result.outputs.release.split(" "), "--registry", PREFIX[environment], ...copy);
        if (pin.code !== 0) throw new Error(`pin failed: ${pin.err}`);
        if (!pin.outputs.files) return { digests, decision: json, result };
        this.run("add", ...pin.outputs.files.split(" "));
        this.run("commit", "-q", "-m", pin.outputs.message);
        return { release: this.head(), digests, decision: json, result };
    }

    ciStaging(base: string): { release?: string; digests: Record<string, string>; decision: any } {
        return this.ci("staging", base);
    }

    /** A pull request merged with a merge commit (GitHub's default): `branch` onto the current branch. */
    merge(branch: string, message = `Merge ${branch}`): string {
        this.run("merge", "-q", "--no-ff", "-m", message, branch);
        return this.head();
    }

    /**
     * A revert through a pull request, as the rulesets require: a branch from the current one reverting `commit`
     * (a merge commit: its first parent's side stays, as GitHub's Revert button does), merged back. Returns the merge.
     */
    revertThroughPullRequest(commit: string): string {
        const target = this.run("rev-parse", "--abbrev-ref", "HEAD");
        const branch = `revert-${commit.slice(0, 8)}-${target}`;
        this.run("checkout", "-q", "-b", branch);
        const merge = this.run("rev-list", "--parents", "-n", "1", commit).split(" ").length > 2;
        this.run("revert", "--no-edit", ...(merge ? ["-m", "1"] : []), commit);
        this.run("checkout", "-q", target);
        return this.merge(branch, `Merge pull request: revert ${commit.slice(0, 12)}`);
    }

    /** The staging health check passed at `revision`: the verify job's record. */
    verifyStaging(revision = this.head()): string {
        const r = this.delivery("record", "staging", "--revision", revision);
        if (r.code !== 0) throw new Error(`record failed: ${r.err}`);
        return r.outputs.tag;
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function parseOutputs(text: string): Record<string, string> {
    const outputs: Record<string, string> = {};
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const heredoc = /^([\w-]+)<<(\S+)$/.exec(lines[i]);
        if (heredoc) {
            const end = lines.indexOf(heredoc[2], i + 1);
            outputs[heredoc[1]] = lines.slice(i + 1, end).join("\n");
            i = end;
            continue;
        }
        const eq = lines[i].indexOf("=");
        if (eq > 0) outputs[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
    return outputs;
}
