/**
 * Every `pulumi stack output <name>` that CI runs (the workflows' run steps, the tools) reads an output that
 * layer's contract exports: a renamed output fails here, not in a deploy after the layers already changed.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { APPS_OUTPUT_NAMES } from "../../apps/contract";
import { INFRA_OUTPUT_NAMES } from "../../infra/contract";
import { LAYERS, REPO_ROOT } from "../../lib/environment";
import { PLATFORM_OUTPUT_NAMES } from "../../platform/contract";

const CONTRACT: Record<string, readonly string[]> = { infra: INFRA_OUTPUT_NAMES, platform: PLATFORM_OUTPUT_NAMES, apps: APPS_OUTPUT_NAMES };

interface OutputRead {
    where: string;
    command: string;
    layer?: string;
    name?: string;
}

/** Flags of `pulumi stack output` (and global ones) that take a value. */
const VALUE_FLAGS = new Set(["--stack", "-s", "--cwd", "-C", "--color", "--verbose", "-v", "--tracing"]);

/** The `pulumi stack output` commands in a piece of shell, each with its layer (--cwd / -C) and output name. */
function outputReads(shell: string, where: string): OutputRead[] {
    const reads: OutputRead[] = [];
    for (const match of shell.matchAll(/pulumi((?:\s+(?:-C|--cwd|-s|--stack)\s+\S+)*)\s+stack\s+output\b([^\n|;&)]*)/g)) {
        const tokens = `${match[1]} ${match[2]}`.trim().split(/\s+/).map((t) => t.replace(/^["']|["']$/g, ""));
        const read: OutputRead = { where, command: match[0].trim() };
        for (let i = 0; i < tokens.length; i++) {
            const [flag, inline] = tokens[i].split(/=(.*)/s, 2);
            if (VALUE_FLAGS.has(flag)) {
                const value = inline ?? tokens[++i];
                if (flag === "--cwd" || flag === "-C") read.layer = path.basename(value.replace(/\/+$/, ""));
            } else if (!flag.startsWith("-") && flag !== "" && read.name === undefined) {
                read.name = flag;
            }
        }
        reads.push(read);
    }
    return reads;
}

/** What is wrong with a read: no layer, no name, or a name the layer's contract does not export. */
function contractProblem(read: OutputRead): string | undefined {
    if (!read.layer || !(read.layer in CONTRACT)) return `${read.where}: \`${read.command}\` names no layer folder (--cwd ${LAYERS.join("|")})`;
    if (!read.name) return `${read.where}: \`${read.command}\` reads no single output`;
    if (!CONTRACT[read.layer].includes(read.name)) return `${read.where}: \`${read.command}\` reads ${read.name}, which ${read.layer}/contract.ts does not export`;
    return undefined;
}

function workflowReads(): OutputRead[] {
    const dir = path.join(REPO_ROOT, ".github", "workflows");
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .flatMap((file) =>
            Object.entries<{ steps?: { name?: string; run?: string }[] }>(parse(fs.readFileSync(path.join(dir, file), "utf8")).jobs).flatMap(([id, job]) =>
                (job.steps ?? []).flatMap((step) => (step.run ? outputReads(step.run, `${file} ${id} "${step.name ?? ""}"`) : [])),
            ),
        );
}

function toolReads(): OutputRead[] {
    return ["tools", "ci"].flatMap((folder) =>
        fs
            .readdirSync(path.join(REPO_ROOT, folder))
            .filter((f) => f.endsWith(".ts"))
            .flatMap((file) => outputReads(fs.readFileSync(path.join(REPO_ROOT, folder, file), "utf8"), `${folder}/${file}`)),
    );
}

describe("stack outputs CI reads exist in the layers' contracts", () => {
    it("every `pulumi stack output` of the workflows names a layer and an output that layer exports", () => {
        const reads = workflowReads();
        // The sync and health checks read each layer: a parser that finds nothing would pass vacuously.
        assert.deepStrictEqual([...new Set(reads.map((r) => r.layer))].sort(), [...LAYERS].sort(), reads.map((r) => r.command).join("\n"));
        assert.deepStrictEqual(reads.map(contractProblem).filter(Boolean), []);
    });

    it("every `pulumi stack output` of the tools does too", () => {
        assert.deepStrictEqual(toolReads().map(contractProblem).filter(Boolean), []);
    });

    it("the check catches a renamed output, a missing layer and a bare `stack output` (it is not blind)", () => {
        const shell = [
            'cluster="$(pulumi stack output clusterNam --stack "$STACK" --cwd infra)"',
            'ns="$(pulumi stack output argocdNamespace --stack "$STACK")"',
            "pulumi -C apps stack output --json",
            'urls="$(pulumi stack output --json ecrRepositoryUrls --stack "$STACK" --cwd=infra/ | jq -c .)"',
        ].join("\n");
        const problems = outputReads(shell, "sample").map(contractProblem);
        assert.match(String(problems[0]), /reads clusterNam, which infra\/contract\.ts does not export/);
        assert.match(String(problems[1]), /names no layer folder/);
        assert.match(String(problems[2]), /reads no single output/);
        assert.strictEqual(problems[3], undefined, "flags before the name, --cwd=<dir>/ and a pipe after it are understood");
    });
});
