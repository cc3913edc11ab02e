/**
 * What each Application adds to its workload's overlay when ArgoCD renders it: the ECR registry of the image (the
 * overlay in Git keeps the tag, so a release stays a Git commit), and for a public frontend its Ingress
 * (exposure.ts). Nothing of it is written in Git.
 */
import * as pulumi from "@pulumi/pulumi";
import { imageOverride, KustomizeOverrides } from "./application";
import { WORKLOADS, WorkloadName } from "../lib/catalogue";
import { frontendIngressAnnotations, frontendOverrides } from "./exposure";

export interface OverridesArgs {
    workloads: readonly WorkloadName[];
    /** infra's ecrRepositoryUrls (image name -> repository URL). */
    ecrRepositoryUrls: pulumi.Input<Record<string, string>>;
    /** Set when the frontend is public. */
    frontend?: {
        hostname: string;
        ingressClass: pulumi.Input<string>;
        albSubnetCidrs: pulumi.Input<string[]>;
    };
}

/** Per workload, what its Application adds to the overlay: the ECR registry of its image and the frontend's Ingress. */
export function kustomizeOverrides(a: OverridesArgs): Partial<Record<WorkloadName, pulumi.Output<KustomizeOverrides>>> {
    const overrides: Partial<Record<WorkloadName, pulumi.Output<KustomizeOverrides>>> = {};
    for (const w of a.workloads) {
        const image = WORKLOADS[w].ecrImage;
        if (image) overrides[w] = pulumi.output(a.ecrRepositoryUrls).apply((urls) => ({ images: [imageOverride(image, urls[image])] }));
    }
    const f = a.frontend;
    if (f && overrides.frontend) {
        const annotations = frontendIngressAnnotations();
        overrides.frontend = pulumi
            .all([overrides.frontend, f.ingressClass, f.albSubnetCidrs])
            .apply(([images, ingressClass, albSubnetCidrs]) => ({ ...images, ...frontendOverrides({ hostname: f.hostname, ingressClass, annotations, albSubnetCidrs }) }));
    }
    return overrides;
}
