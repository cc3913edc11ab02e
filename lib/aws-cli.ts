/**
 * The AWS CLI of the machine, as the tools call it: arguments in, exit status and output back. Tools take an
 * `AwsCli` argument so tests pass a fake that answers from fixtures (nothing here calls AWS in a test).
 */
import { CommandResult, run } from "./run-command";

/** Runs the AWS CLI: its exit status and output. */
export type AwsCli = (args: string[]) => CommandResult;

export const awsCli: AwsCli = (args) => run("aws", args);

/** Runs `aws <args> --output json` and parses the answer; any failure (no credentials, access denied) throws. */
export function awsJson<T>(aws: AwsCli, args: string[]): T {
    const r = aws([...args, "--output", "json"]);
    if (r.status !== 0) throw new Error(`aws ${args.slice(0, 2).join(" ")} failed (exit ${r.status}): ${r.stderr.trim() || "no message"}`);
    return JSON.parse(r.stdout || "{}") as T;
}
