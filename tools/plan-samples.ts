/**
 * The README's samples of the offline plan, rendered from the plan itself (`npm run readme` writes them, a test keeps
 * them current, tools/readme.ts): the staging plan as a terminal shows it, the capacity check of a configuration
 * that does not fit, and the pull-request comment of a settings change (planned in a scratch repository with the
 * change committed, as the pull-request workflow plans the merge commit). Each is trimmed where the README shortens
 * it, with "..." lines.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../lib/environment";
import { formatPlan, plan, PlanOptions } from "./plan";
import { planMarkdown } from "./plan-markdown";
import { PlanResult } from "./plan-result";

/** The day the samples are planned for, so the README does not change with the calendar (the suite pins the same day). */
export const SAMPLE_DAY = "2026-11-25";

/** The README's capacity example: 3 x t3.micro per AZ in both AZs, which does not fit at the minimum. */
export const CAPACITY_SAMPLE_CONFIG: Record<string, unknown> = {
    "infra:nodeGroup": { instanceTypes: ["t3.micro"], minSize: 1, desiredSize: 3, maxSize: 4 },
    "infra:nodeAvailabilityZoneCount": 2,
};

/** The sample pull request: a fourth staging node, a change of the settings file. */
const COMMENT_SAMPLE_EDIT = { file: "Pulumi.staging.yaml", from: "    desiredSize: 3\n", to: "    desiredSize: 4\n" };
/** The scratch repository's commit changes with every file of the tree (the README among them): the sample shows this one. */
const SAMPLE_COMMIT = "a8056077fc6e".padEnd(40, "0");

// One plan at a time: plan({ today }) sets GITOPS_TODAY while it runs.
let queue: Promise<unknown> = Promise.resolve();
const plans = new Map<string, Promise<PlanResult>>();

/** A plan as on SAMPLE_DAY, made once per process (the README's cost table and samples share them). */
export function samplePlan(options: Omit<PlanOptions, "today">): Promise<PlanResult> {
    const key = JSON.stringify(options);
    if (!plans.has(key)) {
        const planned = queue.then(() => plan({ ...options, today: SAMPLE_DAY }));
        queue = planned.catch(() => undefined);
        plans.set(key, planned);
    }
    return plans.get(key)!;
}

/** `--config` arguments as a shell takes them: JSON values quoted. */
export function configArguments(config: Record<string, unknown>): string {
    return Object.entries(config)
        .map(([key, value]) => (typeof value === "object" ? `--config '${key}=${JSON.stringify(value)}'` : `--config ${key}=${value}`))
        .join(" ");
}

/**
 * The text's header and summary, then the first `keep[heading]` lines of each section whose heading starts with
 * one of `keep`'s keys, each followed by "..." (the sections in between are left out).
 */
export function trimText(text: string, keep: Record<string, number>): string {
    const lines = text.split("\n");
    const summaryEnd = lines.indexOf("", 2);
    const out = lines.slice(0, summaryEnd + 1);
    for (let i = summaryEnd + 1; i < lines.length; i++) {
        const prefix = Object.keys(keep).find((k) => lines[i].startsWith(`== ${k}`));
        if (prefix === undefined) continue;
        const end = lines.indexOf("", i);
        out.push(...lines.slice(i, Math.min(end < 0 ? lines.length : end, i + 1 + keep[prefix])), "...");
    }
    return out.join("\n");
}

/** `npm run plan -- staging`, the committed settings: the summary, a warning, the capacity, the cost, the first of the tree. */
export async function planSample(): Promise<string> {
    const text = formatPlan(await samplePlan({ env: "staging" }));
    return ["```", "$ npm run plan -- staging", trimText(text, { warnings: 1, capacity: 1, "monthly cost": 2, infra: 1 }), "```"].join("\n");
}

/** The README's capacity example: the summary and what fails. */
export async function capacitySample(): Promise<string> {
    const text = formatPlan(await samplePlan({ env: "staging", config: CAPACITY_SAMPLE_CONFIG }));
    const lines = text.split("\n");
    const summary = lines.slice(2, lines.indexOf("", 2));
    const fails = lines.slice(lines.findIndex((l) => l.startsWith("== fails")));
    return ["```", `$ npm run plan -- staging ${configArguments(CAPACITY_SAMPLE_CONFIG)}`, ...summary, "", ...fails.slice(0, fails.indexOf("")), "```"].join("\n");
}

/**
 * A git repository in a temporary directory holding this working tree's files (tracked and untracked, not ignored)
 * in one commit, the engine's node_modules linked: a change committed there is planned against its parent.
 */
export function scratchRepository(): { root: string; git(...args: string[]): string; remove(): void } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-scratch-"));
    try {
        const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
        for (const file of new Set(files)) {
            const from = path.join(REPO_ROOT, file);
            if (!fs.existsSync(from) || fs.statSync(from).isDirectory()) continue;
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.copyFileSync(from, path.join(root, file));
        }
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
        const git = (...args: string[]) =>
            execFileSync("git", ["-c", "user.name=plan", "-c", "user.email=plan@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        git("init", "-q", "-b", "main");
        fs.appendFileSync(path.join(root, ".git", "info", "exclude"), "node_modules\n");
        git("add", "-A");
        git("commit", "-q", "-m", "base");
        return { root, git, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
    } catch (error) {
        fs.rmSync(root, { recursive: true, force: true });
        throw error;
    }
}

let commentPlan: Promise<PlanResult> | undefined;

/** A pull request's comment: the fourth staging node committed in a scratch repository, planned against its parent (once per process). */
export function commentSamplePlan(): Promise<PlanResult> {
    commentPlan ??= planCommentSample();
    return commentPlan;
}

async function planCommentSample(): Promise<PlanResult> {
    const repo = scratchRepository();
    try {
        const file = path.join(repo.root, COMMENT_SAMPLE_EDIT.file);
        const text = fs.readFileSync(file, "utf8");
        if (!text.includes(COMMENT_SAMPLE_EDIT.from)) throw new Error(`${COMMENT_SAMPLE_EDIT.file} no longer sets ${COMMENT_SAMPLE_EDIT.from.trim()}: change the README's sample (tools/plan-samples.ts)`);
        fs.writeFileSync(file, text.replace(COMMENT_SAMPLE_EDIT.from, COMMENT_SAMPLE_EDIT.to));
        repo.git("commit", "-q", "-am", "staging: a fourth node");
        const result = await samplePlan({ env: "staging", root: repo.root, base: "HEAD^1" });
        return { ...result, base: { ...result.base!, commit: SAMPLE_COMMIT } };
    } finally {
        repo.remove();
    }
}

/** A list item cut after its first clause that ends past 40 characters. */
const cutItem = (item: string) => {
    const at = item.indexOf(": ", 40);
    return at < 0 ? item : `${item.slice(0, at)}: ...`;
};

/**
 * The comment as the README shows it: the summary table, the first fail and warning cut short, the changes and the
 * policy findings whole, the cost lines that differ (and the first), each layer's first box and the marked ones of
 * the diagram; the legend, the resource trees and the footer left out.
 */
export function trimComment(markdown: string): string {
    const lines = markdown.split("\n");
    const out: string[] = [];
    let i = 0;
    const next = (until: (l: string) => boolean) => {
        const start = i;
        while (i < lines.length && !until(lines[i])) i++;
        return lines.slice(start, i);
    };
    while (i < lines.length) {
        const line = lines[i];
        if (line === "**Fails**" || line === "**Warnings**") {
            i += 2;
            const items = next((l) => !l.startsWith("- "));
            out.push(line, "", cutItem(items[0]), ...(items.length > 1 ? ["- ..."] : []));
        } else if (line.startsWith("### Monthly cost")) {
            i++;
            const section = next((l) => l.startsWith("### "));
            const rows = section.filter((l) => l.startsWith("| ") && !l.startsWith("| item ") && !l.startsWith("| **total**"));
            const shown = rows.filter((row, n) => n === 0 || !/\| {2}\|$/.test(row));
            out.push(line, "", ...section.filter((l) => l.startsWith("| item ") || l.startsWith("|---")), ...shown);
            if (shown.length < rows.length) out.push(`| ... |${" |".repeat(section.find((l) => l.startsWith("| item "))!.split("|").length - 3)}`);
            out.push(...section.filter((l) => l.startsWith("| **total**")), "");
        } else if (line === "```mermaid") {
            i++;
            out.push(line, ...trimDiagram(next((l) => l === "```")), "```");
            break;
        } else {
            out.push(line);
            i++;
        }
    }
    return out.join("\n");
}

/** Each subgraph's first box and the marked ones (with their edges), "..." where boxes are left out; the classes in use. */
function trimDiagram(lines: string[]): string[] {
    const marked = new Set(lines.filter((l) => /^ {2}class /.test(l)).flatMap((l) => l.trim().split(" ")[1].split(",")));
    const used = new Set(lines.filter((l) => /^ {2}class /.test(l)).map((l) => l.trim().split(" ")[2]));
    const out: string[] = [];
    let first = true;
    let dropped = false;
    for (const line of lines) {
        const node = /^ {4}(\w+)\[/.exec(line)?.[1];
        const edge = /^ {4}(\w+) --> (\w+)$/.exec(line);
        if (line.startsWith("  subgraph ")) {
            first = true;
            dropped = false;
            out.push(line);
        } else if (line === "  end") {
            if (dropped) out.push("    ...");
            out.push(line);
        } else if (node) {
            if (first || marked.has(node)) out.push(line);
            else dropped = true;
            first = false;
        } else if (edge) {
            if (marked.has(edge[2])) out.push(line);
        } else if (line.startsWith("  classDef ")) {
            if (used.has(line.trim().split(" ")[1])) out.push(line);
        } else {
            out.push(line);
        }
    }
    return out;
}

/** The README's sample comment: a pull request adding a fourth staging node. */
export async function commentSample(): Promise<string> {
    return ["````markdown", trimComment(planMarkdown(await commentSamplePlan())), "````"].join("\n");
}
