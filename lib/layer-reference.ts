/**
 * Reading another layer of the same environment through a StackReference (`<org>/<layer>/<stack>`), typed by
 * that layer's contract. A missing output fails the program with the output's name and the stack's.
 */
import * as pulumi from "@pulumi/pulumi";

export type LayerOutputs<T> = { [K in keyof T]: pulumi.Output<T[K]> };

/** The organization a layer's stack references use: a setting, or the organization running the update. */
export function referenceOrganization(setting: string | undefined): string {
    return setting ?? pulumi.getOrganization();
}

export function readLayer<T>(layer: string, names: readonly (keyof T)[], organization: string): LayerOutputs<T> {
    const ref = new pulumi.StackReference(`${layer}-reference`, { name: `${organization}/${layer}/${pulumi.getStack()}` });
    const outputs: Record<string, pulumi.Output<unknown>> = {};
    for (const name of names) outputs[name as string] = ref.requireOutput(name as string);
    return outputs as unknown as LayerOutputs<T>;
}
