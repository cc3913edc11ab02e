/** The README's generated blocks (tools/readme.ts renders them between `<!-- generated:<name> -->` markers), as committed. */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";

export const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The committed text of a generated block; fails when the README has no such block. */
export function generatedBlock(name: string): string {
    const m = new RegExp(`<!-- generated:${name} -->\\n([\\s\\S]*?)\\n<!-- /generated:${name} -->`).exec(README);
    if (!m) throw new Error(`README.md has no generated block ${name}`);
    return m[1];
}
