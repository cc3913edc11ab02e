/**
 * Namespaces carry the Pod Security admission labels (enforce, audit, warn), each with a level. Without the
 * enforce label the cluster admits privileged pods into the namespace; without audit and warn nobody hears
 * about pods that would break a stricter level. Which level a namespace gets is the platform's choice.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeResource, kubernetesName, listText, Props, validateTypes } from "./common";

export const POD_SECURITY_MODES = ["enforce", "audit", "warn"];
export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"];

export const namespacePodSecurityLabels: ResourceValidationPolicy = {
    name: "namespace-pod-security-labels",
    description:
        "Namespaces set pod-security.kubernetes.io/enforce, audit and warn to a Pod Security level (privileged, baseline, restricted): " +
        "admission then enforces the namespace's level and reports pods that would fail it.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes(["kubernetes:core/v1:Namespace"], (props, args, report, checks) => {
        const labels: Props = props.metadata?.labels ?? {};
        const subject = `${describeResource(args.type, args.name)}: namespace ${kubernetesName(props, args.name)}`;
        for (const mode of POD_SECURITY_MODES) {
            checks.run(() => {
                const key = `pod-security.kubernetes.io/${mode}`;
                const level = labels[key];
                if (POD_SECURITY_LEVELS.includes(level)) return;
                const actual = level === undefined ? "is missing" : `is ${JSON.stringify(level)}, not a Pod Security level`;
                report(`${subject}: label ${key} ${actual}. Fix: set metadata.labels["${key}"] to one of ${listText(POD_SECURITY_LEVELS)} (restricted for workloads).`);
            });
        }
    }),
};

export const NAMESPACE_POLICIES = [namespacePodSecurityLabels];
