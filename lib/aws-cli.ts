/**
 * The AWS CLI of the machine, as the tools call it: arguments in, exit status and output back. Tools take an
 * `AwsCli` argument so tests pass a fake that answers from fixtures (nothing here calls AWS in a test).
 */
import { spawnSync } from "child_process";

/** Runs the AWS CLI: its exit status and output. */
export type AwsCli = (args: string[]) => { status: number; stdout: string; stderr: string };

export const awsCli: AwsCli = (args) => {
    const r = spawnSync("aws", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    if (r.error) return { status: 127, stdout: "", stderr: String(r.error.message) };
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};

/** Runs `aws <args> --output json` and parses the answer; any failure (no credentials, access denied) throws. */
export function awsJson<T>(aws: AwsCli, args: string[]): T {
    const r = aws([...args, "--output", "json"]);
    if (r.status !== 0) throw new Error(`aws ${args.slice(0, 2).join(" ")} failed (exit ${r.status}): ${r.stderr.trim() || "no message"}`);
    return JSON.parse(r.stdout || "{}") as T;
}
