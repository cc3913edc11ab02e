/**
 * Reading a Dockerfile without Docker: its stages, and the files each stage's COPY instructions put into the image
 * from a build context (the tests check the images' layouts with it, and the shop's local runs lay the same files
 * out: tools/shop-stack.ts, tests/shop). Enough of the Dockerfile reference for this repository's images, strictly:
 * an ARG is visible only in the stage that declares it (the classic builder's rule: BuildKit also inherits a parent
 * stage's ARGs, so a Dockerfile that passes here builds with both), COPY sources must exist in the context and not
 * be ignored by its .dockerignore, `COPY --from=<stage>` must name an earlier stage (what it copies is that stage's
 * output, recorded as such), and anything this reader does not understand (COPY --from an image, globs, ADD, an
 * undeclared variable) throws instead of guessing.
 */
import * as fs from "fs";
import * as path from "path";

export interface Instruction {
    keyword: string;
    args: string;
    line: number;
}

export interface Stage {
    from: string;
    name?: string;
    instructions: Instruction[];
}

/** The stages of a Dockerfile (instructions before the first FROM are not part of one and are dropped). */
export function parseDockerfile(text: string): Stage[] {
    const stages: Stage[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const start = i + 1;
        let line = lines[i];
        if (/^\s*(#|$)/.test(line)) continue;
        while (/\\\s*$/.test(line) && i + 1 < lines.length) {
            const next = lines[++i];
            if (/^\s*#/.test(next)) continue; // comments inside a continuation are dropped
            line = line.replace(/\\\s*$/, " ") + next;
        }
        const m = /^\s*(\w+)\s*(.*)$/s.exec(line);
        if (!m) throw new Error(`line ${start}: cannot read ${JSON.stringify(line)}`);
        const keyword = m[1].toUpperCase();
        const args = m[2].trim();
        if (keyword === "FROM") {
            const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
            if (!from) throw new Error(`line ${start}: FROM ${args}`);
            stages.push({ from: from[1], name: from[2], instructions: [] });
        } else if (stages.length > 0) {
            stages[stages.length - 1].instructions.push({ keyword, args, line: start });
        }
    }
    return stages;
}

/** A .dockerignore's patterns (`**`, `*`, `?`; a pattern also excludes everything under a matched folder), as a test. */
export function dockerignore(context: string): (relative: string) => boolean {
    const file = path.join(context, ".dockerignore");
    if (!fs.existsSync(file)) return () => false;
    const patterns = fs
        .readFileSync(file, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((p) => {
            if (p.startsWith("!")) throw new Error(`.dockerignore exceptions (${p}) are not supported here`);
            const clean = p.replace(/^\/+|\/+$/g, "");
            const body = clean
                .split("/")
                .map((part) => (part === "**" ? "\u0000" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")))
                .join("/")
                .replace(/\u0000\//g, "(?:.*/)?")
                .replace(/\u0000/g, ".*");
            return new RegExp(`^${body}(?:/.*)?$`);
        });
    return (relative) => patterns.some((p) => p.test(relative));
}

export interface StageFiles {
    /** Image path (absolute) -> the context file it comes from (relative to the context, with "/"). */
    files: Map<string, string>;
    /** Image paths written by more than one COPY (a later file replacing an earlier one). */
    overwritten: string[];
    /** The WORKDIR at the end of the stage. */
    workdir: string;
    /** What `COPY --from=<stage>` put where: image path -> `<stage>:<path in that stage>` (built, not in the context). */
    fromStages: Map<string, string>;
}

/**
 * The files the COPY instructions of `target` (and of the stages it builds on) put into the image, given the build
 * context and the --build-arg values.
 */
export function stageFiles(dockerfile: string, target: string, context: string, buildArgs: Record<string, string> = {}): StageFiles {
    const stages = parseDockerfile(dockerfile);
    const ignored = dockerignore(context);
    const build = (name: string, seen: string[]): StageFiles => {
        const stage = stages.find((s) => s.name === name);
        if (!stage) throw new Error(`no stage ${name}`);
        if (seen.includes(name)) throw new Error(`stage cycle ${[...seen, name].join(" -> ")}`);
        const parent = stages.some((s) => s.name === stage.from) ? build(stage.from, [...seen, name]) : undefined;
        const files = new Map(parent?.files ?? []);
        const fromStages = new Map(parent?.fromStages ?? []);
        const overwritten = [...(parent?.overwritten ?? [])];
        let workdir = parent?.workdir ?? "/";
        const args: Record<string, string> = {};
        const expand = (text: string, line: number) =>
            text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_all, braced: string | undefined, bare: string | undefined) => {
                const variable = (braced ?? bare)!;
                if (!(variable in args)) throw new Error(`line ${line}: $${variable} is not an ARG of stage ${name}`);
                return args[variable];
            });
        const put = (imagePath: string, source: string) => {
            if (files.has(imagePath)) overwritten.push(imagePath);
            files.set(imagePath, source);
        };
        for (const { keyword, args: text, line } of stage.instructions) {
            if (keyword === "ARG") {
                const m = /^(\w+)(?:=(.*))?$/.exec(text);
                if (!m) throw new Error(`line ${line}: ARG ${text}`);
                args[m[1]] = buildArgs[m[1]] ?? m[2] ?? "";
            } else if (keyword === "WORKDIR") {
                workdir = path.posix.resolve(workdir, expand(text, line));
            } else if (keyword === "ADD") {
                throw new Error(`line ${line}: ADD is not supported here (use COPY)`);
            } else if (keyword === "COPY") {
                const words = text.startsWith("[") ? (JSON.parse(text) as string[]) : text.split(/\s+/);
                const flags = words.filter((w) => w.startsWith("--"));
                const operands = words.filter((w) => !w.startsWith("--")).map((w) => expand(w, line));
                if (operands.length < 2) throw new Error(`line ${line}: COPY needs a source and a destination`);
                const destination = operands[operands.length - 1];
                const dest = path.posix.resolve(workdir, destination);
                const from = flags.find((f) => f.startsWith("--from"));
                if (from) {
                    const source = /^--from=([\w.-]+)$/.exec(from)?.[1];
                    const earlier = stages.slice(0, stages.indexOf(stage)).some((s) => s.name === source);
                    if (!source || !earlier) throw new Error(`line ${line}: ${from}: only an earlier stage of this Dockerfile is supported here`);
                    if (operands.length !== 2) throw new Error(`line ${line}: COPY ${from} takes one source here`);
                    if (fromStages.has(dest) || files.has(dest)) overwritten.push(dest);
                    fromStages.set(dest, `${source}:${operands[0]}`);
                    continue;
                }
                // Several sources, or a destination ending in "/" (or ".", the WORKDIR): a folder.
                const intoFolder = operands.length > 2 || /(^|\/)\.?$/.test(destination);
                for (const source of operands.slice(0, -1)) {
                    if (/[*?[]/.test(source)) throw new Error(`line ${line}: COPY globs are not supported here (${source})`);
                    const relative = path.posix.normalize(source).replace(/^\/+|\/+$/g, "");
                    if (relative === "" || relative === "." || relative.startsWith("..")) throw new Error(`line ${line}: COPY ${source}: not a path inside the context`);
                    const absolute = path.join(context, ...relative.split("/"));
                    if (!fs.existsSync(absolute) || ignored(relative)) throw new Error(`line ${line}: COPY ${source}: ${relative} is not in the build context ${context}`);
                    if (fs.statSync(absolute).isDirectory()) {
                        // A folder's contents go into the destination folder.
                        const walk = (dir: string, rel: string) => {
                            for (const entry of fs.readdirSync(path.join(context, dir), { withFileTypes: true })) {
                                const from = `${dir}/${entry.name}`;
                                if (ignored(from)) continue;
                                if (entry.isDirectory()) walk(from, `${rel}${entry.name}/`);
                                else put(path.posix.join(dest, rel + entry.name), from);
                            }
                        };
                        walk(relative, "");
                    } else {
                        put(intoFolder ? path.posix.join(dest, path.posix.basename(relative)) : dest, relative);
                    }
                }
            }
        }
        return { files, overwritten, workdir, fromStages };
    };
    return build(target, []);
}
