/**
 * The --base side of a plan: the files of a git ref (code and settings) in a temporary directory, with the
 * running engine's node_modules linked in, so the offline engine can run that ref's programs. `git archive` writes the
 * tree: the repository's own state (index, worktree list, HEAD) is never touched.
 */
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../lib/environment";
import { UsageError } from "../lib/cli-support";

export interface BaseCheckout {
    /** The ref as given (e.g. origin/staging). */
    ref: string;
    /** The commit it names. */
    commit: string;
    /** Where its files are. */
    root: string;
    /** Deletes the directory. */
    remove(): void;
}

function git(args: string[], cwd: string): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile("git", args, { cwd, encoding: "utf8" }, (error, stdout, stderr) => (error ? reject(new Error((stderr || error.message).trim())) : resolve(stdout.trim()))),
    );
}

/** The commit a ref names in the repository at `repo`; a usage error when it names none. */
export async function resolveCommit(ref: string, repo: string = REPO_ROOT): Promise<string> {
    try {
        return await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], repo);
    } catch {
        throw new UsageError(`--base ${ref}: not a commit of the repository at ${repo} (fetch it first, e.g. git fetch origin ${ref.replace(/^origin\//, "")})`);
    }
}

/** Writes the tree of `ref` into a temporary directory. */
export async function checkoutBase(ref: string, repo: string = REPO_ROOT, resolved?: string): Promise<BaseCheckout> {
    const commit = resolved ?? (await resolveCommit(ref, repo));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-plan-base-"));
    const remove = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
        await new Promise<void>((resolve, reject) => {
            const archive = spawn("git", ["archive", "--format=tar", commit], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
            const tar = spawn("tar", ["-x", "-f", "-", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
            let errors = "";
            archive.stderr.on("data", (d) => (errors += d));
            tar.stderr.on("data", (d) => (errors += d));
            archive.stdout.pipe(tar.stdin);
            let pending = 2;
            const done = (what: string) => (code: number | null) => {
                if (code !== 0) reject(new Error(`${what} exited with ${code}: ${errors.trim()}`));
                else if (--pending === 0) resolve();
            };
            archive.on("error", reject).on("close", done("git archive"));
            tar.on("error", reject).on("close", done("tar"));
        });
        // The ref's programs load the SDKs the running engine loaded: the mocks are set on those instances.
        fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, "node_modules")), path.join(dir, "node_modules"), process.platform === "win32" ? "junction" : "dir");
    } catch (error) {
        remove();
        throw error;
    }
    return { ref, commit, root: dir, remove };
}
