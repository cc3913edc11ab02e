/**
 * What the plan's specs share: the plan of each environment with its committed settings (made once per process),
 * and temporary git checkouts of this working tree, so a test can commit changes and plan them against a base
 * without touching this repository.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { plan, PlanResult } from "../../tools/plan";

const plans = new Map<string, Promise<PlanResult>>();

/** The plan of an environment with the committed settings, shared by the specs. */
export function committedPlan(env: "staging" | "production"): Promise<PlanResult> {
    if (!plans.has(env)) plans.set(env, plan({ env }));
    return plans.get(env)!;
}

export interface TempCheckout {
    root: string;
    /** Runs git in it (as a test identity); returns stdout. */
    git(...args: string[]): string;
    /** Replaces `from` by `to` in a file (which must contain it) and commits the change. */
    commitEdit(file: string, from: string, to: string, message: string): void;
    remove(): void;
}

/** A git repository holding this working tree's files (as a clone would, new ones too) in one commit, node_modules linked. */
export function tempCheckout(): TempCheckout {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    for (const file of files) {
        const from = path.join(REPO_ROOT, file);
        if (!fs.existsSync(from)) continue;
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.copyFileSync(from, path.join(root, file));
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
    const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=plan test", "-c", "user.email=plan@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    git("init", "-q", "-b", "main");
    fs.appendFileSync(path.join(root, ".git", "info", "exclude"), "node_modules\n");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    return {
        root,
        git,
        commitEdit(file, from, to, message) {
            const target = path.join(root, file);
            const text = fs.readFileSync(target, "utf8");
            if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
            fs.writeFileSync(target, text.replace(from, to));
            git("commit", "-q", "-am", message);
        },
        remove: () => fs.rmSync(root, { recursive: true, force: true }),
    };
}
