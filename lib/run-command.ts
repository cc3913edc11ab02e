/** Running a program of the machine (the AWS CLI, skopeo, git): arguments in, exit status and output back. */
import { spawnSync } from "child_process";

export interface CommandResult {
    status: number;
    stdout: string;
    stderr: string;
}

/** Runs a command; tools take a `Runner` argument so tests pass a fake that answers from fixtures. */
export type Runner = (command: string, args: string[]) => CommandResult;

export const run: Runner = (command, args) => {
    const r = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    if (r.error) return { status: 127, stdout: "", stderr: String(r.error.message) };
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};
