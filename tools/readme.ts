/**
 * `npm run readme`: rewrites the README's generated blocks from their one source in code, so the manual cannot
 * drift from the program. A block is delimited by `<!-- generated:<name> -->` and `<!-- /generated:<name> -->`;
 * `--check` changes nothing and exits 1 when a block is stale (the test suite runs the same check).
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../lib/environment";
import { chartTable } from "../platform/charts";
import { exceptionTable, ruleTable } from "../policies/readme-tables";

/** Each generated block of the README and the code that renders it. */
export const GENERATED_BLOCKS: Record<string, () => string> = {
    charts: chartTable,
    "policy-exceptions": exceptionTable,
    "checkov-rules": ruleTable,
};

const BLOCK = /<!-- generated:([\w-]+) -->\n[\s\S]*?<!-- \/generated:\1 -->/g;

/** The README with every generated block rendered anew; throws on a block name no code renders. */
export function renderReadme(text: string, blocks: Record<string, () => string> = GENERATED_BLOCKS): string {
    return text.replace(BLOCK, (_, name: string) => {
        const render = blocks[name];
        if (!render) throw new Error(`README.md: no code renders the block "${name}" (known: ${Object.keys(blocks).join(", ")})`);
        return `<!-- generated:${name} -->\n${render()}\n<!-- /generated:${name} -->`;
    });
}

/** Names of the generated blocks a text contains, in order. */
export function blockNames(text: string): string[] {
    return [...text.matchAll(BLOCK)].map((m) => m[1]);
}

export function main(argv: string[], file = path.join(REPO_ROOT, "README.md")): number {
    const text = fs.readFileSync(file, "utf8");
    const rendered = renderReadme(text);
    if (argv.includes("--check")) {
        if (rendered === text) return 0;
        console.error("README.md: generated blocks are stale; run `npm run readme`");
        return 1;
    }
    if (rendered !== text) fs.writeFileSync(file, rendered);
    return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
