/**
 * Storage: every EBS volume the stacks create, directly or through a template, a node group or a
 * StorageClass, is gp3 (cheaper than gp2 at the same size, with baseline IOPS independent of size) and
 * encrypted at rest. Claims name a StorageClass the platform vouches for (gp3, encrypted), so a workload
 * cannot ask for another volume type.
 */
import { ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { Checks, asBool, describeResource, isNonEmptyString, kubernetesName, listText, Props, stringListSetting, validateTypes } from "./common";
import { HELM_TYPES } from "./helm";

/** Provisioners that create EBS volumes: the CSI driver and the in-tree name (migrated to the CSI driver). */
export const EBS_PROVISIONERS = ["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];

interface Volume {
    /** Property path of the volume type, for the message. */
    typePath: string;
    type: unknown;
    /** What applies when the type is not set, e.g. "the AMI's mapping, often gp2". */
    typeDefault: string;
    encryptedPath: string;
    encrypted: unknown;
    /** The value to write for "encrypted", as the resource takes it. */
    encryptedFix: string;
    encryptedDefault: string;
}

/** Reports a volume that is not gp3, and one that is not encrypted (string booleans count by value). */
function checkVolume(report: ReportViolation, subject: string, v: Volume): void {
    if (v.type !== "gp3") {
        const actual = v.type === undefined ? `not set (${v.typeDefault})` : JSON.stringify(v.type);
        report(`${subject}: ${v.typePath} is ${actual}, not gp3. Fix: set ${v.typePath} to "gp3".`);
    }
    if (asBool(v.encrypted) !== true) {
        const actual = v.encrypted === undefined ? `not set (${v.encryptedDefault})` : JSON.stringify(v.encrypted);
        report(`${subject}: ${v.encryptedPath} is ${actual}, so the volume is not encrypted. Fix: set ${v.encryptedPath} to ${v.encryptedFix}.`);
    }
}

type VolumeCheck = (v: Volume) => void;

const NOT_ENCRYPTED = "unencrypted unless the account encrypts EBS by default";

/** Where each type declares EBS volumes. */
const VOLUMES: Record<string, (p: Props, check: VolumeCheck, checks: Checks, subject: string, report: ReportViolation) => void> = {
    "aws:ebs/volume:Volume": (p, check) =>
        check({ typePath: "type", type: p.type, typeDefault: "gp2", encryptedPath: "encrypted", encrypted: p.encrypted, encryptedFix: "true", encryptedDefault: NOT_ENCRYPTED }),
    "aws:ec2/launchTemplate:LaunchTemplate": (p, check, checks) =>
        checks.each(
            () => p.blockDeviceMappings,
            (mapping: Props, i) => {
                // Instance-store (virtualName) and suppressed (noDevice) mappings are not EBS volumes.
                if (mapping.ebs === undefined) return;
                const at = `blockDeviceMappings[${i}].ebs`;
                check({
                    typePath: `${at}.volumeType`,
                    type: mapping.ebs.volumeType,
                    typeDefault: "the AMI's mapping decides, often gp2",
                    encryptedPath: `${at}.encrypted`,
                    encrypted: mapping.ebs.encrypted,
                    encryptedFix: '"true" (LaunchTemplate takes the string)',
                    encryptedDefault: NOT_ENCRYPTED,
                });
            },
        ),
    "aws:ec2/instance:Instance": (p, check, checks) => {
        checks.run(() =>
            check({
                typePath: "rootBlockDevice.volumeType",
                type: p.rootBlockDevice?.volumeType,
                typeDefault: "the AMI's mapping decides, often gp2",
                encryptedPath: "rootBlockDevice.encrypted",
                encrypted: p.rootBlockDevice?.encrypted,
                encryptedFix: "true",
                encryptedDefault: NOT_ENCRYPTED,
            }),
        );
        checks.each(
            () => p.ebsBlockDevices,
            (device: Props, i) =>
                check({
                    typePath: `ebsBlockDevices[${i}].volumeType`,
                    type: device.volumeType,
                    typeDefault: "gp2",
                    encryptedPath: `ebsBlockDevices[${i}].encrypted`,
                    encrypted: device.encrypted,
                    encryptedFix: "true",
                    encryptedDefault: NOT_ENCRYPTED,
                }),
        );
    },
    "aws:eks/nodeGroup:NodeGroup": (p, _check, _checks, subject, report) => managedNodeGroupRoot(p, subject, report),
    "eks:index:ManagedNodeGroup": (p, _check, _checks, subject, report) => managedNodeGroupRoot(p, subject, report),
    "eks:index:NodeGroup": (p, check) => selfManagedRoot(p, "", check),
    "eks:index:NodeGroupV2": (p, check) => selfManagedRoot(p, "", check),
    "eks:index:Cluster": (p, check, checks) => {
        checks.run(() => {
            if (p.skipDefaultNodeGroup === true || (p.fargate !== undefined && p.fargate !== false) || p.autoMode?.enabled === true) return;
            // The default node group takes its root volume from nodeGroupOptions, then from the cluster's own inputs.
            const options: Props = p.nodeGroupOptions ?? {};
            selfManagedRoot({ ...options, nodeRootVolumeEncrypted: options.nodeRootVolumeEncrypted ?? p.nodeRootVolumeEncrypted }, "nodeGroupOptions.", check);
        });
        checks.run(() => {
            const classes = p.storageClasses;
            if (classes === undefined) return;
            if (typeof classes === "string") {
                check({ typePath: "storageClasses", type: classes, typeDefault: "", encryptedPath: "storageClasses", encrypted: undefined, encryptedFix: '{ <name>: { type: "gp3", encrypted: true } }', encryptedDefault: "a plain type makes an unencrypted class" });
                return;
            }
            for (const name of Object.keys(classes)) {
                checks.run(() => {
                    const sc: Props = classes[name];
                    check({ typePath: `storageClasses.${name}.type`, type: sc.type, typeDefault: "", encryptedPath: `storageClasses.${name}.encrypted`, encrypted: sc.encrypted, encryptedFix: "true", encryptedDefault: NOT_ENCRYPTED });
                });
            }
        });
    },
    "kubernetes:storage.k8s.io/v1:StorageClass": (p, check) => {
        if (!EBS_PROVISIONERS.includes(p.provisioner)) return;
        check({
            typePath: "parameters.type",
            type: p.parameters?.type,
            // Explicit, because the default differs: gp3 for the CSI driver, gp2 for the in-tree name.
            typeDefault: p.provisioner === "ebs.csi.aws.com" ? "the driver's default; name it explicitly" : "gp2",
            encryptedPath: "parameters.encrypted",
            encrypted: p.parameters?.encrypted,
            encryptedFix: '"true"',
            encryptedDefault: "volumes are not encrypted unless the account encrypts EBS by default",
        });
    },
};

/** @pulumi/eks self-managed node groups: gp2 and unencrypted unless told otherwise. */
function selfManagedRoot(p: Props, prefix: string, check: VolumeCheck): void {
    const encryptedInput = p.nodeRootVolumeEncrypted !== undefined ? "nodeRootVolumeEncrypted" : p.encryptRootBlockDevice !== undefined ? "encryptRootBlockDevice" : "nodeRootVolumeEncrypted";
    check({
        typePath: `${prefix}nodeRootVolumeType`,
        type: p.nodeRootVolumeType,
        typeDefault: "@pulumi/eks defaults to gp2",
        encryptedPath: `${prefix}${encryptedInput}`,
        encrypted: p.nodeRootVolumeEncrypted ?? p.encryptRootBlockDevice,
        encryptedFix: "true",
        encryptedDefault: "@pulumi/eks defaults to false",
    });
}

/** EKS managed node groups: without a launch template EKS chooses the root volume (gp2), not this program. */
function managedNodeGroupRoot(p: Props, subject: string, report: ReportViolation): void {
    if (p.launchTemplate !== undefined) return; // The template's block devices are checked on the template.
    report(
        `${subject}: has no launch template, so EKS gives its nodes its default root volume (gp2, not chosen by this program). ` +
            "Fix: attach a launch template (launchTemplate) whose blockDeviceMappings set volumeType \"gp3\" and encrypted \"true\".",
    );
}

export const ebsGp3Encrypted: ResourceValidationPolicy = {
    name: "ebs-gp3-encrypted",
    description:
        "EBS volumes (aws.ebs.Volume, launch template and instance block devices, node group root volumes, EBS StorageClasses) are gp3 and encrypted: " +
        "gp3 costs less than gp2 with IOPS independent of size, and data at rest must be encrypted (CKV_AWS_8).",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(Object.keys(VOLUMES), (props, args, report, checks) => {
        const subject = describeResource(args.type, args.name);
        VOLUMES[args.type](props, (v) => checks.run(() => checkVolume(report, subject, v)), checks, subject, report);
    }),
};

export interface VolumeClaimsConfig {
    allowedStorageClasses: string[];
    allowDefaultStorageClass: boolean;
}

/** Chart values that name a StorageClass by convention. */
const STORAGE_CLASS_KEYS = ["storageClassName", "storageClass"];

export const volumeClaimsUseGp3Class: ResourceValidationPolicy = {
    name: "volume-claims-use-gp3-class",
    description:
        "PersistentVolumeClaims, StatefulSet volumeClaimTemplates and Helm values that name a StorageClass use an allowed class (default: gp3, the platform's encrypted gp3 class). " +
        "A claim without a class gets the cluster default, which the platform makes gp3; ebs-gp3-encrypted checks the classes themselves.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedStorageClasses: stringListSetting("StorageClass names claims may use.", ["gp3"]),
            allowDefaultStorageClass: {
                type: "boolean",
                default: true,
                description: "Whether a claim may omit storageClassName and get the cluster's default class (the platform makes gp3 the default).",
            },
        },
    },
    validateResource: validateTypes(
        ["kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:apps/v1:StatefulSet", ...HELM_TYPES],
        (props, args, report, checks) => {
            const config = args.getConfig<VolumeClaimsConfig>();
            const subject = describeResource(args.type, args.name);
            const claim = (where: string, className: unknown, fixPath: string) => checks.run(() => checkClaim(report, subject, config, where, className, fixPath));
            if (args.type === "kubernetes:core/v1:PersistentVolumeClaim") {
                claim(`PersistentVolumeClaim ${kubernetesName(props, args.name)}`, props.spec?.storageClassName, "spec.storageClassName");
            } else if (args.type === "kubernetes:apps/v1:StatefulSet") {
                checks.each(
                    () => props.spec?.volumeClaimTemplates,
                    (template: Props, i) => claim(`volumeClaimTemplates[${i}] (${template.metadata?.name ?? "unnamed"})`, template.spec?.storageClassName, `spec.volumeClaimTemplates[${i}].spec.storageClassName`),
                );
            } else {
                checks.run(() => walkHelmValues(props.values, "values", checks, (path, value) => claim(`Helm value ${path}`, value === "" ? undefined : value, path)));
            }
        },
    ),
};

function checkClaim(report: ReportViolation, subject: string, config: VolumeClaimsConfig, where: string, className: unknown, fixPath: string): void {
    const allowed = config.allowedStorageClasses;
    const fix = `set ${fixPath} to one of ${listText(allowed)}, or add the class to allowedStorageClasses in policies/config/<env>.json`;
    if (className === undefined || className === null) {
        if (!config.allowDefaultStorageClass) report(`${subject}: ${where} names no StorageClass (the cluster default would apply). Fix: ${fix}.`);
        return;
    }
    if (className === "" || className === "-") {
        report(`${subject}: ${where} disables dynamic provisioning (storageClassName ${JSON.stringify(className)}), binding to a volume no policy can see. Fix: ${fix}.`);
        return;
    }
    if (!isNonEmptyString(className) || !allowed.includes(className)) {
        report(`${subject}: ${where} uses StorageClass ${JSON.stringify(className)}, not an allowed class (${listText(allowed)}). Fix: ${fix}.`);
    }
}

/** Calls `found` for every string under a StorageClass key in chart values, at any depth. */
function walkHelmValues(values: unknown, path: string, checks: Checks, found: (path: string, value: string) => void): void {
    if (values === null || typeof values !== "object") return;
    if (Array.isArray(values)) {
        for (let i = 0; i < values.length; i++) checks.run(() => walkHelmValues(values[i], `${path}[${i}]`, checks, found));
        return;
    }
    for (const key of Object.keys(values)) {
        checks.run(() => {
            const value = (values as Props)[key];
            if (STORAGE_CLASS_KEYS.includes(key) && typeof value === "string") found(`${path}.${key}`, value);
            else walkHelmValues(value, `${path}.${key}`, checks, found);
        });
    }
}

export const STORAGE_POLICIES = [ebsGp3Encrypted, volumeClaimsUseGp3Class];
