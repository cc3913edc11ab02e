/**
 * ECR: every repository scans images on push (CKV_AWS_163; or the registry scans everything), keeps tags
 * immutable (CKV_AWS_51: a tag names one build forever, so what was reviewed is what runs), is encrypted with KMS
 * (CKV_AWS_136), and has a lifecycle policy (old images expire instead of accumulating storage cost). A stack
 * policy, because the lifecycle policy is its own resource.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { Checks, asBool, asList, checking, describeResource, isNonEmptyString, parseJson, Props } from "./common";

const REPOSITORY = "aws:ecr/repository:Repository";
const LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy";
const REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration";

/** A registry scanning rule that scans every repository on push (or continuously) makes per-repository scanOnPush moot. */
function registryScansEverything(resources: PolicyResource[], checks: Checks): boolean {
    let scans = false;
    for (const r of resources.filter((x) => x.type === REGISTRY_SCANNING)) {
        checks.each(
            () => r.props.rules,
            (rule: Props) => {
                const everything = asList<Props>(rule.repositoryFilters).some((f) => f.filter === "*");
                if (everything && ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"].includes(rule.scanFrequency)) scans = true;
            },
        );
    }
    return scans;
}

/** The repository names that have a lifecycle policy with at least one rule; `unknown` counts the ones preview cannot name. */
function lifecyclePolicies(resources: PolicyResource[], checks: Checks): { names: Set<string>; unknown: number } {
    const names = new Set<string>();
    let unknown = 0;
    for (const r of resources.filter((x) => x.type === LIFECYCLE_POLICY)) {
        let known = false;
        checks.run(() => {
            const repository = r.props.repository;
            const policy = r.props.policy;
            known = true;
            const rules = asList(parseJson(policy)?.rules);
            if (isNonEmptyString(repository) && rules.length > 0) names.add(repository);
        });
        if (!known) unknown++;
    }
    return { names, unknown };
}

export const ecrRepositoriesHardened: StackValidationPolicy = {
    name: "ecr-repositories-hardened",
    description:
        "Every ECR repository scans images on push (CKV_AWS_163), has immutable tags (CKV_AWS_51), is encrypted with KMS (CKV_AWS_136) and has a lifecycle policy: " +
        "vulnerabilities are found when an image lands, a tag always names the build that was reviewed, and old images expire instead of piling up cost.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const repositories = args.resources.filter((r) => r.type === REPOSITORY);
        if (repositories.length === 0) args.notApplicable("no ECR repositories");
        checking((checks) => {
            const registryScan = registryScansEverything(args.resources, checks);
            const lifecycle = lifecyclePolicies(args.resources, checks);
            for (const repo of repositories) {
                const subject = describeResource(repo.type, repo.name);
                const p = repo.props;
                checks.run(() => {
                    if (!registryScan && asBool(p.imageScanningConfiguration?.scanOnPush) !== true) {
                        report(`${subject}: images are not scanned on push. Fix: set imageScanningConfiguration.scanOnPush to true.`, repo.urn);
                    }
                });
                checks.run(() => {
                    const encryption = asList<Props>(p.encryptionConfigurations)[0]?.encryptionType;
                    if (encryption !== "KMS" && encryption !== "KMS_DSSE") {
                        const actual = encryption === undefined ? "not set (AES256)" : JSON.stringify(encryption);
                        report(`${subject}: encryptionConfigurations[0].encryptionType is ${actual}, not KMS (CKV_AWS_136). Fix: set encryptionConfigurations to [{ encryptionType: "KMS" }].`, repo.urn);
                    }
                });
                checks.run(() => {
                    if (p.imageTagMutability !== "IMMUTABLE") {
                        const actual = p.imageTagMutability === undefined ? "not set (MUTABLE)" : JSON.stringify(p.imageTagMutability);
                        report(`${subject}: imageTagMutability is ${actual}, so a tag can be moved to another image. Fix: set imageTagMutability to "IMMUTABLE".`, repo.urn);
                    }
                });
                checks.run(() => {
                    const name = p.name ?? p.id;
                    if (isNonEmptyString(name) && lifecycle.names.has(name)) return;
                    // A lifecycle policy whose repository preview cannot name may be this repository's.
                    if (lifecycle.unknown > 0) return;
                    report(
                        `${subject}: repository ${JSON.stringify(name)} has no lifecycle policy, so images accumulate forever. ` +
                            `Fix: add an aws.ecr.LifecyclePolicy with repository set to this repository's name and at least one rule.`,
                        repo.urn,
                    );
                });
            }
        });
    },
};

export const ECR_POLICIES = [ecrRepositoriesHardened];
