/**
 * The Kubernetes version the cluster runs, read from this stack's own previous output `kubernetesVersion` (a
 * StackReference to itself; a new stack has none), and the check of infra:kubernetesVersion against it.
 *
 * Why the stack's own output: it is what the last successful `pulumi up` applied, it is there for every run (a
 * laptop, CI's previews and deploys, `npm run deploy`) without anyone passing it, and it needs no extra permission
 * (every identity that previews or deploys the stack reads it). A setting filled by CI from `pulumi stack output`
 * would be skipped by every run that forgets it. The price is that the value arrives asynchronously, so the check
 * gates the AWS provider: every AWS resource waits for it, and a refused change registers none of them.
 */
import * as pulumi from "@pulumi/pulumi";
import { SettingsError } from "../lib/settings";
import { kubernetesVersionChangeProblem } from "./settings";

/** Resolves to `value` once `target` is known to be an allowed change from the deployed version; fails otherwise. */
export function afterVersionCheck<T>(target: string, value: T): pulumi.Output<T> {
    const self = new pulumi.StackReference("infra-deployed", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    return self.getOutput("kubernetesVersion").apply((deployed: unknown) => {
        const problem = kubernetesVersionChangeProblem(typeof deployed === "string" ? deployed : undefined, target, pulumi.getStack());
        if (problem) throw settingsRunError(new SettingsError([problem]).message);
        return value;
    });
}

/**
 * A RunError (Pulumi prints its message without a stack) whose message stays as written: every resource that waits
 * for the provider rethrows this one error, and the SDK prefixes `error serializing property "..."` to its message
 * at each hop, which would bury the settings message under dozens of prefixes.
 */
function settingsRunError(message: string): pulumi.RunError {
    const error = new pulumi.RunError(message);
    error.name = "SettingsError";
    Object.defineProperty(error, "message", { get: () => message, set: () => undefined });
    return error;
}
