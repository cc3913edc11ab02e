/**
 * The cluster's default StorageClass `gp3` on the EBS CSI driver: encrypted, bound where the pod is scheduled
 * (WaitForFirstConsumer: the volume is created in the pod's zone), expandable. EKS 1.30+ marks no class as
 * default. Volumes of deleted claims are retained in production (data outlives a mistaken `kubectl delete`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const STORAGE_CLASS_NAME = "gp3";

export interface DefaultStorageClassArgs {
    reclaimPolicy: "Delete" | "Retain";
}

export class DefaultStorageClass extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;

    constructor(name: string, args: DefaultStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:DefaultStorageClass", name, {}, opts);
        const storageClass = new k8s.storage.v1.StorageClass(
            name,
            {
                metadata: { name: STORAGE_CLASS_NAME, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true", fsType: "ext4" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy: args.reclaimPolicy,
            },
            { parent: this },
        );
        this.name = storageClass.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
