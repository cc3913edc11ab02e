import * as assert from "assert";
import { ebsGp3Encrypted as gp3, volumeClaimsUseGp3Class as claims } from "../../policies/storage";
import { EKS_COMPONENT, eksComponent, LAUNCH_TEMPLATE, launchTemplate, NODE_GROUP, nodeGroup } from "./fixtures";
import {
    assertHasResourceViolation,
    assertNoResourceViolations,
    assertNotApplicable,
    assertSkipsUnknown,
    assertViolationCount,
    createResourceValidationArgs,
    Props,
    UNKNOWN,
    withValue,
} from "./util";

const VOLUME = "aws:ebs/volume:Volume";
const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
const RELEASE = "kubernetes:helm.sh/v3:Release";

const gp3Args = (type: string, props: Props, name = "vol") => createResourceValidationArgs(gp3, type, props, { name });
const claimArgs = (type: string, props: Props, config: Record<string, unknown> = {}, name = "claim") => createResourceValidationArgs(claims, type, props, { name, config });

/** The default StorageClass the platform creates (ENGINEERING.md: gp3 on ebs.csi.aws.com, encrypted). */
function storageClass(): Props {
    return {
        metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
    };
}

function statefulSet(storageClassName?: string): Props {
    return {
        metadata: { name: "postgres", namespace: "data" },
        spec: {
            serviceName: "postgres",
            selector: { matchLabels: { app: "postgres" } },
            template: { metadata: { labels: { app: "postgres" } }, spec: { containers: [{ name: "postgres", image: "postgres:16.4" }] } },
            volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: "10Gi" } } } }],
        },
    };
}

describe("policy ebs-gp3-encrypted", () => {
    describe("compliant volumes pass", () => {
        it("the project's launch template (gp3, encrypted \"true\") and a gp3 encrypted aws.ebs.Volume", async () => {
            await assertNoResourceViolations(gp3, gp3Args(LAUNCH_TEMPLATE, launchTemplate()));
            await assertNoResourceViolations(gp3, gp3Args(VOLUME, { availabilityZone: "us-east-1a", size: 10, type: "gp3", encrypted: true }));
        });

        it("a managed node group with a launch template, the platform's StorageClass, and a non-EBS class", async () => {
            await assertNoResourceViolations(gp3, gp3Args(NODE_GROUP, nodeGroup()));
            await assertNoResourceViolations(gp3, gp3Args(STORAGE_CLASS, storageClass()));
            await assertNoResourceViolations(gp3, gp3Args(STORAGE_CLASS, { provisioner: "efs.csi.aws.com", parameters: { provisioningMode: "efs-ap" } }));
            await assertNoResourceViolations(gp3, gp3Args(EKS_COMPONENT, eksComponent()));
        });

        it("instance-store and suppressed mappings of a launch template are not EBS volumes", async () => {
            const lt = launchTemplate();
            lt.blockDeviceMappings.push({ deviceName: "/dev/sdb", virtualName: "ephemeral0" }, { deviceName: "/dev/sdc", noDevice: "" });
            await assertNoResourceViolations(gp3, gp3Args(LAUNCH_TEMPLATE, lt));
        });
    });

    describe("reports each volume that is not gp3 or not encrypted", () => {
        it("a gp2 aws.ebs.Volume, and one with no type (gp2 by default) and no encryption", async () => {
            const [v] = await assertViolationCount(gp3, gp3Args(VOLUME, { availabilityZone: "us-east-1a", size: 10, type: "gp2", encrypted: true }, "old"), 1);
            assert.strictEqual(v.message, 'aws:ebs/volume:Volume "old": type is "gp2", not gp3. Fix: set type to "gp3".');
            const violations = await assertViolationCount(gp3, gp3Args(VOLUME, { availabilityZone: "us-east-1a", size: 10 }), 2);
            assert.match(violations[0].message, /type is not set \(gp2\)/);
            assert.match(violations[1].message, /encrypted is not set .* Fix: set encrypted to true\./);
        });

        it("launch template string booleans: encrypted \"false\" is not encrypted (a truthiness test would pass it)", async () => {
            const lt = withValue(launchTemplate(), "blockDeviceMappings", [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3", encrypted: "false" } }]);
            const [v] = await assertViolationCount(gp3, gp3Args(LAUNCH_TEMPLATE, lt, "nodes-lt"), 1);
            assert.match(v.message, /blockDeviceMappings\[0\]\.ebs\.encrypted is "false", so the volume is not encrypted\. Fix: set blockDeviceMappings\[0\]\.ebs\.encrypted to "true" \(LaunchTemplate takes the string\)/);
            const boolTrue = withValue(launchTemplate(), "blockDeviceMappings", [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3", encrypted: true } }]);
            await assertNoResourceViolations(gp3, gp3Args(LAUNCH_TEMPLATE, boolTrue));
        });

        it("a launch template device with gp2, or with no type (the AMI decides)", async () => {
            const lt = withValue(launchTemplate(), "blockDeviceMappings", [
                { deviceName: "/dev/xvda", ebs: { volumeType: "gp2", encrypted: "true" } },
                { deviceName: "/dev/xvdb", ebs: { encrypted: "true", volumeSize: 50 } },
            ]);
            const violations = await assertViolationCount(gp3, gp3Args(LAUNCH_TEMPLATE, lt), 2);
            assert.match(violations[0].message, /blockDeviceMappings\[0\]\.ebs\.volumeType is "gp2"/);
            assert.match(violations[1].message, /blockDeviceMappings\[1\]\.ebs\.volumeType is not set \(the AMI's mapping decides/);
        });

        it("instance root and EBS block devices", async () => {
            const violations = await assertViolationCount(
                gp3,
                gp3Args("aws:ec2/instance:Instance", { instanceType: "t3.small", rootBlockDevice: { volumeType: "gp3", encrypted: true }, ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeType: "io1", encrypted: false }] }),
                2,
            );
            assert.match(violations[0].message, /ebsBlockDevices\[0\]\.volumeType is "io1"/);
            assert.match(violations[1].message, /ebsBlockDevices\[0\]\.encrypted is false/);
            await assertViolationCount(gp3, gp3Args("aws:ec2/instance:Instance", { instanceType: "t3.small" }), 2);
        });

        it("a managed node group without a launch template (EKS's own gp2 root volume)", async () => {
            await assertHasResourceViolation(gp3, gp3Args(NODE_GROUP, withValue(nodeGroup(), "launchTemplate", undefined)), /has no launch template, so EKS gives its nodes its default root volume \(gp2/);
            await assertHasResourceViolation(gp3, gp3Args("eks:index:ManagedNodeGroup", { cluster: "c", diskSize: 40 }), /Fix: attach a launch template/);
        });

        it("@pulumi/eks root volume inputs: gp2 and unencrypted unless set", async () => {
            const violations = await assertViolationCount(gp3, gp3Args("eks:index:NodeGroupV2", { cluster: "c", instanceType: "t3.small" }), 2);
            assert.match(violations[0].message, /nodeRootVolumeType is not set \(@pulumi\/eks defaults to gp2\)/);
            assert.match(violations[1].message, /nodeRootVolumeEncrypted is not set \(@pulumi\/eks defaults to false\)/);
            await assertNoResourceViolations(gp3, gp3Args("eks:index:NodeGroupV2", { cluster: "c", nodeRootVolumeType: "gp3", nodeRootVolumeEncrypted: true }));
            await assertNoResourceViolations(gp3, gp3Args("eks:index:NodeGroup", { cluster: "c", nodeRootVolumeType: "gp3", encryptRootBlockDevice: true }));
            const withDefaultGroup = { ...eksComponent(), skipDefaultNodeGroup: false, nodeRootVolumeEncrypted: true };
            await assertHasResourceViolation(gp3, gp3Args(EKS_COMPONENT, withDefaultGroup), "nodeGroupOptions.nodeRootVolumeType is not set");
            await assertNoResourceViolations(gp3, gp3Args(EKS_COMPONENT, { ...withDefaultGroup, nodeGroupOptions: { nodeRootVolumeType: "gp3" } }));
        });

        it("@pulumi/eks storageClasses: a plain type is unencrypted, a map entry must say gp3 and encrypted", async () => {
            await assertHasResourceViolation(gp3, gp3Args(EKS_COMPONENT, { ...eksComponent(), storageClasses: "gp3" }), /storageClasses is not set \(a plain type makes an unencrypted class\)/);
            const violations = await assertViolationCount(gp3, gp3Args(EKS_COMPONENT, { ...eksComponent(), storageClasses: { fast: { type: "io1" }, gp3: { type: "gp3", encrypted: true } } }), 2);
            assert.match(violations[0].message, /storageClasses\.fast\.type is "io1"/);
            assert.match(violations[1].message, /storageClasses\.fast\.encrypted is not set/);
        });

        it("EBS StorageClasses of either provisioner: explicit gp3 and encrypted \"true\"", async () => {
            const inTree = { provisioner: "kubernetes.io/aws-ebs", parameters: { type: "gp2" } };
            const violations = await assertViolationCount(gp3, gp3Args(STORAGE_CLASS, inTree, "legacy"), 2);
            assert.match(violations[0].message, /^kubernetes:storage\.k8s\.io\/v1:StorageClass "legacy": parameters\.type is "gp2", not gp3\. Fix: set parameters\.type to "gp3"\.$/);
            assert.match(violations[1].message, /parameters\.encrypted is not set/);
            await assertHasResourceViolation(gp3, gp3Args(STORAGE_CLASS, withValue(storageClass(), "parameters.encrypted", "false")), 'parameters.encrypted is "false"');
            await assertHasResourceViolation(gp3, gp3Args(STORAGE_CLASS, withValue(storageClass(), "parameters.type", undefined)), /parameters\.type is not set \(the driver's default; name it explicitly\)/);
        });
    });

    describe("values unknown during preview", () => {
        it("an unknown device skips that device only; the others are still checked", async () => {
            const lt = withValue(launchTemplate(), "blockDeviceMappings", [UNKNOWN, { deviceName: "/dev/xvdb", ebs: { volumeType: "gp2", encrypted: "true" } }]);
            const violations = await assertSkipsUnknown(gp3, gp3Args(LAUNCH_TEMPLATE, lt));
            assert.strictEqual(violations.length, 1);
            assert.match(violations[0].message, /blockDeviceMappings\[1\]\.ebs\.volumeType is "gp2"/);
        });

        it("an unknown encryption flag is not reported as unencrypted", async () => {
            const violations = await assertSkipsUnknown(gp3, gp3Args(VOLUME, { type: "gp3", encrypted: UNKNOWN }));
            assert.strictEqual(violations.length, 0);
            await assertSkipsUnknown(gp3, gp3Args(STORAGE_CLASS, { provisioner: "ebs.csi.aws.com", parameters: UNKNOWN }));
        });
    });

    it("does not apply to other types", async () => {
        await assertNotApplicable(gp3, gp3Args("aws:s3/bucketV2:BucketV2", {}));
    });
});

describe("policy volume-claims-use-gp3-class", () => {
    describe("compliant claims pass", () => {
        it("claims naming gp3, and claims without a class (the cluster default, which the platform makes gp3)", async () => {
            await assertNoResourceViolations(claims, claimArgs(PVC, { metadata: { name: "data" }, spec: { storageClassName: "gp3", resources: { requests: { storage: "1Gi" } } } }));
            await assertNoResourceViolations(claims, claimArgs(PVC, { metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } }));
            await assertNoResourceViolations(claims, claimArgs(STATEFUL_SET, statefulSet("gp3")));
            await assertNoResourceViolations(claims, claimArgs(STATEFUL_SET, statefulSet(undefined)));
        });

        it("Helm values that name gp3 or leave the class to the cluster default", async () => {
            const values = { server: { persistence: { storageClass: "" } }, prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { storageClassName: "gp3" } } } } } };
            await assertNoResourceViolations(claims, claimArgs(RELEASE, { chart: "kube-prometheus-stack", version: "77.0.0", values }));
        });
    });

    describe("reports claims outside the allowed classes", () => {
        it("a PVC on gp2, naming the claim, the class and the fix", async () => {
            const [v] = await assertViolationCount(claims, claimArgs(PVC, { metadata: { name: "data", namespace: "shop" }, spec: { storageClassName: "gp2" } }, {}, "data-pvc"), 1);
            assert.strictEqual(
                v.message,
                'kubernetes:core/v1:PersistentVolumeClaim "data-pvc": PersistentVolumeClaim data uses StorageClass "gp2", not an allowed class (gp3). ' +
                    "Fix: set spec.storageClassName to one of gp3, or add the class to allowedStorageClasses in policies/config/<env>.json.",
            );
        });

        it("a StatefulSet volumeClaimTemplate on another class, and one that disables dynamic provisioning", async () => {
            await assertHasResourceViolation(claims, claimArgs(STATEFUL_SET, statefulSet("io2")), /volumeClaimTemplates\[0\] \(data\) uses StorageClass "io2".*Fix: set spec\.volumeClaimTemplates\[0\]\.spec\.storageClassName/);
            await assertHasResourceViolation(claims, claimArgs(STATEFUL_SET, statefulSet("")), /disables dynamic provisioning/);
        });

        it("a class named in Helm values at any depth", async () => {
            const values = { alertmanager: { alertmanagerSpec: { storage: { volumeClaimTemplate: { spec: { storageClassName: "gp2" } } } } }, extra: [{ storageClass: "st1" }] };
            const violations = await assertViolationCount(claims, claimArgs(RELEASE, { chart: "kube-prometheus-stack", version: "77.0.0", values }), 2);
            assert.match(violations[0].message, /Helm value values\.alertmanager\.alertmanagerSpec\.storage\.volumeClaimTemplate\.spec\.storageClassName uses StorageClass "gp2"/);
            assert.match(violations[1].message, /values\.extra\[0\]\.storageClass uses StorageClass "st1"/);
        });

        it("settings: another allowed class, and requiring an explicit class", async () => {
            await assertNoResourceViolations(claims, claimArgs(PVC, { spec: { storageClassName: "gp3-retain" } }, { allowedStorageClasses: ["gp3", "gp3-retain"] }));
            await assertHasResourceViolation(claims, claimArgs(PVC, { spec: {} }, { allowDefaultStorageClass: false }), /names no StorageClass/);
        });
    });

    it("an unknown class is skipped, not reported", async () => {
        const violations = await assertSkipsUnknown(claims, claimArgs(PVC, { spec: { storageClassName: UNKNOWN } }));
        assert.strictEqual(violations.length, 0);
    });

    it("does not apply to other types", async () => {
        await assertNotApplicable(claims, claimArgs("kubernetes:apps/v1:Deployment", {}));
    });
});
