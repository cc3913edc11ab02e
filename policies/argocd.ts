/**
 * ArgoCD Applications: Git is the truth only if ArgoCD syncs automatically; an AppProject other than
 * `default` limits what an Application may deploy and where; and production follows a branch or tag that a
 * release moves on purpose, not whatever HEAD of the default branch is.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Checks, describeResource, ENVIRONMENT_SETTING, Environment, isNonEmptyString, kubernetesName, Props, validateTypes } from "./common";
import { EXACT_VERSION } from "./helm";

export const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";

export const argocdAutomatedSync: ResourceValidationPolicy = {
    name: "argocd-automated-sync",
    description:
        "ArgoCD Applications sync automatically (spec.syncPolicy.automated): what is merged to Git is what runs, and drift is corrected instead of waiting for someone to press Sync.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([APPLICATION], (props, args, report) => {
        const automated = props.spec?.syncPolicy?.automated;
        if (automated !== undefined && automated !== null && typeof automated === "object" && automated.enabled !== false) return;
        const actual = automated === undefined || automated === null ? "not set" : `${JSON.stringify(automated)} (disabled)`;
        report(
            `${describeResource(args.type, args.name)}: Application ${kubernetesName(props, args.name)} spec.syncPolicy.automated is ${actual}, so it syncs only by hand. ` +
                "Fix: set spec.syncPolicy.automated (e.g. { prune: true, selfHeal: true }).",
        );
    }),
};

export const argocdProjectNotDefault: ResourceValidationPolicy = {
    name: "argocd-project-not-default",
    description:
        "ArgoCD Applications belong to an AppProject other than `default`: the default project allows any repository, cluster and namespace, a project of our own limits them.",
    enforcementLevel: "mandatory",
    validateResource: validateTypes([APPLICATION], (props, args, report) => {
        const project = props.spec?.project;
        if (isNonEmptyString(project) && project !== "default") return;
        report(
            `${describeResource(args.type, args.name)}: Application ${kubernetesName(props, args.name)} spec.project is ${project === undefined ? "not set" : JSON.stringify(project)}. ` +
                "Fix: set spec.project to the platform's AppProject (the apps layer's appProjectName), not default.",
        );
    }),
};

export interface RevisionConfig {
    environment: Environment;
}

/** Each source of an Application (spec.source, spec.sources[]), with its property path. */
function eachSource(props: Props, checks: Checks, check: (source: Props, path: string) => void): void {
    checks.run(() => {
        if (props.spec?.source !== undefined) check(props.spec.source, "spec.source");
    });
    checks.each(
        () => props.spec?.sources,
        (source: Props, i) => check(source, `spec.sources[${i}]`),
    );
}

export const argocdPinnedRevision: ResourceValidationPolicy = {
    name: "argocd-pinned-revision",
    description:
        "In production, ArgoCD Applications track a named branch or tag (never HEAD, never unset, which means HEAD) and Helm chart sources an exact chart version: " +
        "a release is a deliberate change of that ref, not whatever was merged last. Staging may follow HEAD.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { environment: ENVIRONMENT_SETTING }, required: ["environment"] },
    validateResource: validateTypes([APPLICATION], (props, args, report, checks) => {
        if (args.getConfig<RevisionConfig>().environment !== "production") return;
        const subject = `${describeResource(args.type, args.name)}: Application ${kubernetesName(props, args.name)}`;
        eachSource(props, checks, (source, path) => {
            const revision = source.targetRevision;
            const shown = revision === undefined || revision === "" ? "not set (HEAD)" : JSON.stringify(revision);
            if (isNonEmptyString(source.chart)) {
                if (!isNonEmptyString(revision) || !EXACT_VERSION.test(revision)) {
                    report(`${subject} ${path}.targetRevision is ${shown} for chart ${source.chart}. Fix: set ${path}.targetRevision to an exact chart version.`);
                }
            } else if (!isNonEmptyString(revision) || revision.trim().toUpperCase() === "HEAD") {
                report(`${subject} ${path}.targetRevision is ${shown}. Fix: set ${path}.targetRevision to a branch or tag (e.g. a release tag) in production.`);
            }
        });
    }),
};

export const ARGOCD_POLICIES = [argocdAutomatedSync, argocdProjectNotDefault, argocdPinnedRevision];
