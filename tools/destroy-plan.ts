/**
 * The ordered steps of an environment's destroy, what would stop it, and what stays behind: one plan that
 * `npm run destroy -- <env> --dry-run` prints and the real destroy (tools/destroy.ts) executes step by step.
 *
 * Built from the environment's settings and from its program graph (the three layers evaluated offline with the
 * committed settings, lib/offline): which resources each layer protects, which Applications carry ArgoCD's
 * finalizer, which add-ons publish an Ingress on the shared ALB, which keys and secrets are deleted after a window.
 * Nothing here is a second list of the program's resources.
 */
import { ALB_INGRESS_CLASS, PLATFORM_INGRESS_CLASS } from "../lib/alb";
import { Environment, Layer } from "../lib/environment";
import { EnvironmentRun, LayerRun, RecordedResource } from "../lib/offline";
import { isAdministratorOwned } from "../infra/identity";
import { LOAD_BALANCER_CONTROLLER_CLUSTER_TAG } from "./aws-leftovers";
import { clusterOwnedTagKey } from "../lib/tags";

/** How long each wait gives AWS: the controller deletes a load balancer within minutes, interfaces and volumes detach in seconds. */
export const LOAD_BALANCER_WAIT_SECONDS = 15 * 60;
export const VPC_WAIT_SECONDS = 10 * 60;
export const WAIT_INTERVAL_SECONDS = 15;

/** ArgoCD deletes an Application's resources before the Application itself only with this finalizer. */
export const ARGOCD_RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";

const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

export interface ResourceRef {
    type: string;
    name: string;
}

export type DestroyStep =
    | { kind: "check"; check: "settings" | "stacks"; title: string; detail: string[] }
    | { kind: "destroy"; layer: Layer; title: string; detail: string[]; excludeProtected: boolean; targets?: ResourceRef[] }
    | { kind: "wait"; wait: "load-balancers" | "vpc"; title: string; detail: string[]; timeoutSeconds: number }
    | { kind: "report"; title: string; detail: string[] };

/** Something the destroy leaves, and how to remove it. */
export interface Stay {
    what: string;
    remove: string[];
}

export interface DestroyPlan {
    environment: Environment;
    stackName: string;
    clusterName: string;
    steps: DestroyStep[];
    /** Why the destroy would refuse to start; empty when it would run. */
    blockers: string[];
    stays: Stay[];
    /** Infra resources protected in every environment (CI's identity): destroy excludes them, an administrator removes them. */
    keptByInfra: ResourceRef[];
}

/** A secret an administrator stores by hand in the environment's Secrets Manager: no stack holds it, so a destroy leaves it. */
export interface StoredSecret {
    /** Its full name (`<namePrefix>/...`). */
    name: string;
    what: string;
}

export interface StoredSecrets {
    region: string;
    secrets: StoredSecret[];
    /** Settings that would name such a secret but are not set (nothing stored for them). */
    unset: string[];
}

export interface PlanInput {
    environment: Environment;
    stackName: string;
    /** --allow-production-destroy (the destroy workflow's allow-production-destroy). */
    allowProduction: boolean;
    /** The `<layer>:protect` settings. */
    protect: Record<Layer, boolean>;
    /** The environment's program graph (lib/offline runEnvironment). */
    graph: EnvironmentRun;
    /** The secrets an administrator stored by hand (tools/destroy.ts storedSecrets), listed in what stays. */
    stored?: StoredSecrets;
}

const ref = (r: RecordedResource): ResourceRef => ({ type: r.type, name: r.name });
const named = (r: RecordedResource) => `${r.name} (${r.type})`;
const resourcesOf = (run: LayerRun | undefined) => run?.resources ?? [];

/** What an administrator owns in infra (CI identity, boundary, account policies): CI's destroy leaves it. */
const isCiIdentity = (r: RecordedResource) => isAdministratorOwned(r);

/** Helm releases whose values publish an Ingress on a load balancer of the controller (ArgoCD's, Grafana's when they have a hostname). */
export function releasesWithPublicIngress(platform: LayerRun | undefined): RecordedResource[] {
    const publishes = (value: unknown): boolean => {
        if (value === null || typeof value !== "object") return false;
        const o = value as Record<string, unknown>;
        if ([ALB_INGRESS_CLASS, PLATFORM_INGRESS_CLASS].includes(String(o.ingressClassName)) && o.enabled !== false) return true;
        return Object.values(o).some(publishes);
    };
    return resourcesOf(platform).filter((r) => r.type === HELM_RELEASE && publishes(r.inputs.values));
}

export function destroyPlan(input: PlanInput): DestroyPlan {
    const { environment, stackName, graph } = input;
    const { infra, platform, apps } = graph;
    const clusterName = String(infra.outputs.clusterName);
    const file = `Pulumi.${environment}.yaml`;

    const blockers: string[] = [];
    if (environment === "production" && !input.allowProduction) {
        blockers.push("production is destroyed only with --allow-production-destroy (the destroy workflow's allow-production-destroy input).");
    }
    const protectedIn = (run: LayerRun | undefined) => resourcesOf(run).filter((r) => r.protect);
    for (const [layer, run] of [["apps", apps], ["platform", platform]] as const) {
        const kept = protectedIn(run);
        if (kept.length === 0) continue;
        const why = input.protect[layer] ? `${layer}:protect is true for ${environment}` : `${layer} protects resources in its code`;
        blockers.push(
            `${why}: ${kept.map(named).join(", ")}. pulumi destroy stops at a protected resource. Set \`${layer}:protect: false\` in ${file} ` +
                `through a reviewed pull request and deploy it (CI, or npm run deploy -- ${environment}), then destroy.`,
        );
    }
    const infraKept = protectedIn(infra).filter((r) => !isCiIdentity(r));
    if (infraKept.length > 0) {
        blockers.push(
            `infra:protect is true for ${environment}: ${infraKept.map(named).join(", ")} would stay running (destroy excludes protected resources ` +
                `and what they depend on). Set \`infra:protect: false\` in ${file} through a reviewed pull request and deploy it, then destroy.`,
        );
    }
    const lockedRepositories = resourcesOf(infra).filter((r) => r.type === "aws:ecr/repository:Repository" && r.inputs.forceDelete === false);
    if (lockedRepositories.length > 0) {
        blockers.push(
            `ECR repositories that are not force-deleted (infra:protect): ${lockedRepositories.map((r) => r.inputs.name).join(", ")}: one holding images stops the infra destroy; deploying infra:protect: false makes them force-deletable.`,
        );
    }
    const applications = resourcesOf(apps).filter((r) => r.type === APPLICATION);
    for (const app of applications.filter((a) => !(a.inputs.metadata?.finalizers ?? []).includes(ARGOCD_RESOURCES_FINALIZER))) {
        blockers.push(`the Application ${app.inputs.metadata?.name ?? app.name} has no ${ARGOCD_RESOURCES_FINALIZER}: deleting it would leave its workload (and its load balancer) running.`);
    }

    const appOrder = [...((apps?.outputs.applicationNames as string[] | undefined) ?? applications.map((a) => a.inputs.metadata?.name))].reverse();
    const publicReleases = releasesWithPublicIngress(platform);
    const releases = resourcesOf(platform).filter((r) => r.type === HELM_RELEASE).map((r) => r.name).reverse();
    const storageClass = resourcesOf(platform).find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass");
    const emptiedBuckets = resourcesOf(platform).filter((r) => r.type === "aws:s3/bucket:Bucket" && r.inputs.forceDestroy === true).map((r) => String(r.inputs.bucket));
    const keys = resourcesOf(infra).filter((r) => r.type === "aws:kms/key:Key");
    const lbWait: DestroyStep = {
        kind: "wait",
        wait: "load-balancers",
        title: `the load balancers, target groups and security groups the AWS Load Balancer Controller made are gone`,
        detail: [
            `in the VPC, tagged ${LOAD_BALANCER_CONTROLLER_CLUSTER_TAG}=${clusterName}; before the platform deletes the controller, or nothing deletes them and they block the VPC`,
            `checked every ${WAIT_INTERVAL_SECONDS} s for up to ${LOAD_BALANCER_WAIT_SECONDS / 60} min; then the destroy stops, listing what remains and how to delete it`,
        ],
        timeoutSeconds: LOAD_BALANCER_WAIT_SECONDS,
    };

    const steps: DestroyStep[] = [
        {
            kind: "check",
            check: "settings",
            title: "the settings allow the destroy",
            detail: [
                `nothing in apps or platform is protected and infra:protect is false (now: ${(["apps", "platform", "infra"] as const).map((l) => `${l}:protect ${input.protect[l]}`).join(", ")})` +
                    (environment === "production" ? `; --allow-production-destroy is given (now: ${input.allowProduction ? "yes" : "no"})` : ""),
            ],
        },
        {
            kind: "check",
            check: "stacks",
            title: "the stacks can be destroyed",
            detail: [
                "none is locked (an update in progress or killed) or holds operations an interrupted update left pending",
                "apps and platform hold no protected resource, infra none but CI's identity (the protect change is deployed)",
            ],
        },
        {
            kind: "destroy",
            layer: "apps",
            title: "apps: pulumi destroy",
            detail: [
                `the Applications, in this order: ${appOrder.join(", ")}; each carries ${ARGOCD_RESOURCES_FINALIZER}, so ArgoCD deletes its workload ` +
                    "(and the frontend's Ingress, whose load balancer rules the controller removes) before Pulumi sees it gone",
                "then the AppProject and the generated credentials",
            ],
            excludeProtected: false,
        },
    ];
    if (publicReleases.length > 0) {
        steps.push({
            kind: "destroy",
            layer: "platform",
            title: `platform, its public Ingresses first: pulumi destroy --target-dependents of ${publicReleases.map((r) => r.name).join(", ")}`,
            detail: ["they share the environment's ALB: it goes only when the last of them does, while the controller still runs"],
            excludeProtected: false,
            targets: publicReleases.map(ref),
        });
    }
    steps.push(lbWait, {
        kind: "destroy",
        layer: "platform",
        title: publicReleases.length > 0 ? "platform, the rest: pulumi destroy" : "platform: pulumi destroy",
        detail: [
            `the add-ons in reverse install order (${releases.join(", ")}), the Load Balancer Controller last`,
            `the namespaces, with their volume claims (the ${storageClass?.inputs.metadata?.name ?? "default"} class ${storageClass?.inputs.reclaimPolicy === "Retain" ? "retains" : "deletes"} their volumes)`,
            ...(emptiedBuckets.length > 0 ? [`the bucket${emptiedBuckets.length > 1 ? "s" : ""} ${emptiedBuckets.join(", ")} with every object in it (copy the ALB access logs first if you keep them)`] : []),
            "the WAF ACL, the alarms and their topic, the generated secrets",
        ],
        excludeProtected: false,
    });
    steps.push(
        {
            kind: "wait",
            wait: "vpc",
            title: "the network interfaces and volumes left in the VPC have settled",
            detail: [
                "no detached network interface and none of a load balancer in the VPC; no volume tagged " +
                    `${clusterOwnedTagKey(clusterName)}=owned still attached, detaching or being deleted`,
                `checked every ${WAIT_INTERVAL_SECONDS} s for up to ${VPC_WAIT_SECONDS / 60} min; detached volumes that stay are listed below`,
            ],
            timeoutSeconds: VPC_WAIT_SECONDS,
        },
        {
            kind: "destroy",
            layer: "infra",
            title: "infra: pulumi destroy --exclude-protected",
            detail: [
                "the node groups, the EKS add-ons, the cluster, the VPC with its NAT gateways and subnets, the ECR repositories with their images" +
                    (keys.length > 0 ? `, ${keyList(keys)}` : ""),
                "keeps CI's protected identity, which the deploy role may not delete",
            ],
            excludeProtected: true,
        },
        { kind: "report", title: "what stays, and how an administrator removes it", detail: [] },
    );

    return { environment, stackName, clusterName, steps, blockers, stays: staysOf(input, clusterName), keptByInfra: protectedIn(infra).filter(isCiIdentity).map(ref) };
}

/** "the KMS keys a and b (deleted after a 7-day window)", one window per distinct value. */
function keyList(keys: RecordedResource[]): string {
    const names = keys.map((k) => k.name);
    const windows = [...new Set(keys.map((k) => k.inputs.deletionWindowInDays))];
    const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
    const window = windows.length === 1 ? `after a ${windows[0]}-day window` : `after their windows (${keys.map((k) => `${k.name} ${k.inputs.deletionWindowInDays} days`).join(", ")})`;
    return `the KMS key${names.length > 1 ? "s" : ""} ${list} (deleted ${window})`;
}

function staysOf(input: PlanInput, clusterName: string): Stay[] {
    const { stackName, graph } = input;
    const all = graph.resources;
    const stays: Stay[] = [];
    const identity = resourcesOf(graph.infra).filter((r) => r.protect && isCiIdentity(r));
    if (identity.length > 0) {
        stays.push({
            what: `CI's identity, protected in every environment (the deploy role may not delete it): ${identity.map((r) => `${r.name} (${r.type.split(":")[1]})`).join(", ")}`,
            remove: [
                "with the account's administrator credentials, once nothing else of the environment is left:",
                `pulumi -C infra state unprotect --all --yes -s ${stackName}`,
                `pulumi -C infra destroy --yes -s ${stackName}`,
                "(if another environment of the account reuses this stack's GitHub OIDC provider (infra:githubOidcProvider auto or existing), destroy that one first or keep the provider)",
            ],
        });
    }
    stays.push({
        what: `EBS volumes whose claims kept reclaimPolicy Retain (the gp3 class retains volumes while platform:protect is true), if any: tagged ${clusterOwnedTagKey(clusterName)}=owned; the volume wait lists them by id`,
        remove: ["aws ec2 create-snapshot --volume-id <id>   (if the data matters)", "aws ec2 delete-volume --volume-id <id>"],
    });
    for (const key of all.filter((r) => r.type === "aws:kms/key:Key")) {
        stays.push({
            what: `the KMS key ${key.name}: scheduled for deletion, deleted after ${key.inputs.deletionWindowInDays} days (until then it can be restored)`,
            remove: ["nothing to do; to keep it: aws kms cancel-key-deletion --key-id <key id>"],
        });
    }
    const recoverable = all.filter((r) => r.type === "aws:secretsmanager/secret:Secret" && (r.inputs.recoveryWindowInDays ?? 30) > 0);
    if (recoverable.length > 0) {
        stays.push({
            what: `secrets in their recovery window (the names stay taken until it ends): ${recoverable.map((r) => `${r.inputs.name} (${r.inputs.recoveryWindowInDays ?? 30} days)`).join(", ")}`,
            remove: ["aws secretsmanager delete-secret --force-delete-without-recovery --secret-id <name>"],
        });
    }
    if (input.stored && input.stored.secrets.length > 0) {
        const { region, secrets, unset } = input.stored;
        stays.push({
            what: `the secrets an administrator stored by hand (no stack holds them), those that exist: ${secrets.map((x) => `${x.name} (${x.what})`).join(", ")}`,
            remove: [
                "keep them if the environment comes back (it reads them again); otherwise, once nothing of the environment is left:",
                ...secrets.map((x) => `aws secretsmanager delete-secret --region ${region} --secret-id ${x.name}`),
                "(each is deleted after a 30-day recovery window; add --force-delete-without-recovery to free its name at once)",
                "the GitHub Apps themselves stay installed on the repository: uninstall them there once no environment uses them",
                ...(unset.length > 0 ? [`(${unset.join(", ")}: not set, so nothing was stored for them)`] : []),
            ],
        });
    }
    const retained = all.filter((r) => r.retainOnDelete);
    if (retained.length > 0) {
        stays.push({ what: `resources the program retains on delete: ${retained.map(named).join(", ")}`, remove: ["delete them with the AWS console or CLI when they are no longer needed"] });
    }
    stays.push({
        what: "the three empty stacks",
        remove: ["infra", "platform", "apps"].map((layer) => `pulumi -C ${layer} stack rm --yes -s ${stackName}`),
    });
    return stays;
}

/** The plan as a person reads it (the dry run's output, and the real destroy's first lines). */
export function formatPlan(plan: DestroyPlan): string {
    const lines = [`Destroy of ${plan.environment} (stack ${plan.stackName}, cluster ${plan.clusterName}), in this order:`];
    plan.steps.forEach((step, i) => {
        lines.push(`  ${String(i + 1).padStart(2)}. ${step.kind.padEnd(7)} ${step.title}`);
        for (const d of step.detail) lines.push(`               ${d}`);
    });
    lines.push("", "What stays:");
    for (const stay of plan.stays) {
        lines.push(`  - ${stay.what}`);
        for (const r of stay.remove) lines.push(`      ${r}`);
    }
    if (plan.blockers.length > 0) {
        lines.push("", `Refused: the destroy would stop at step 1, before any change:`);
        for (const b of plan.blockers) lines.push(`  - ${b}`);
    }
    return lines.join("\n");
}
