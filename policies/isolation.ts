/**
 * What keeps a workload from the platform inside the cluster: secrets and the public load balancer.
 * - The platform runs two ClusterSecretStores: the workloads' (only workload namespaces, only the environment's
 *   `apps/` secrets) and the platform's (only the platform's namespaces: Grafana's login, ArgoCD's webhook and SSO
 *   secrets, PagerDuty keys). An ExternalSecret outside the platform's namespaces must read the workloads' store,
 *   by relative names, and may not search (`dataFrom.find` lists secrets) or switch stores per entry.
 * - The platform runs two IngressClasses whose parameters fix each load balancer: its own (ArgoCD, Grafana) and
 *   the workloads'. An Ingress outside the platform's namespaces may not use the platform's class, and no Ingress
 *   may choose its group or class by annotation (`alb.ingress.kubernetes.io/group.name`,
 *   `kubernetes.io/ingress.class`): either would put it on another load balancer than its class's, where a rule of
 *   higher priority could take over ArgoCD's or Grafana's hosts.
 * - An object ArgoCD syncs from Git has the rights of its Application's destination namespace, whatever namespace it
 *   names: the policies above judge it by the Application (common.ts `judgedNamespace`), and
 *   objects-in-application-namespace refuses an object that names another namespace (kustomize keeps an object's
 *   own namespace when its overlay sets none, and ArgoCD applies it there: into another workload's namespace, which
 *   the AppProject admits, or a platform one, which the AppProject refuses only at sync).
 * The store and the controller refuse the same at runtime; these policies say so before anything is applied, for
 * the platform's objects and for every workload manifest ArgoCD renders from Git (`npm run plan`, the tests).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, checking, describeResource, isNonEmptyString, judgedNamespace, kubernetesName, listText, Props, stringListSetting, syncedBy, validateTypes } from "./common";

export const EXTERNAL_SECRET_TYPES = ["kubernetes:external-secrets.io/v1:ExternalSecret", "kubernetes:external-secrets.io/v1beta1:ExternalSecret"];
export const INGRESS_TYPES = ["kubernetes:networking.k8s.io/v1:Ingress"];

/** Defaults: what platform/ creates (platform/settings.ts, platform/addons/external-secrets.ts, lib/alb.ts). */
export const PLATFORM_NAMESPACES = ["argocd", "monitoring"];
export const WORKLOAD_SECRET_STORE = "aws-secrets-manager";
export const PLATFORM_SECRET_STORE = "aws-secrets-manager-platform";
export const PLATFORM_INGRESS_CLASS = "alb-platform";

const platformNamespacesSetting = stringListSetting("Namespaces of the platform (ArgoCD, monitoring): only they may use the platform's secret store and IngressClass.", PLATFORM_NAMESPACES);

interface StoreConfig {
    platformNamespaces: string[];
    workloadSecretStore: string;
    platformSecretStore: string;
}

/**
 * How a message names a namespaced object: `<Kind> <namespace>/<name>`, and, when ArgoCD syncs it, the Application
 * whose destination the policies judge it by (if that differs from what it names).
 */
function namespacedSubject(kind: string, props: Props, args: { type: string; name: string }): string {
    const named = props.metadata?.namespace;
    const application = syncedBy(args);
    const by = application?.namespace !== undefined && named !== undefined && named !== application.namespace ? ` (synced by Application ${application.name} into ${application.namespace})` : "";
    return `${describeResource(args.type, args.name)}: ${kind} ${named ?? application?.namespace ?? "(no namespace)"}/${kubernetesName(props, args.name)}${by}`;
}

/** Every store an ExternalSecret reads from, with the path that names it. */
function storeRefs(spec: Props): { path: string; ref: Props }[] {
    const refs: { path: string; ref: Props }[] = [{ path: "spec.secretStoreRef", ref: spec.secretStoreRef ?? {} }];
    for (const field of ["data", "dataFrom"]) {
        asList<Props>(spec[field]).forEach((entry, i) => {
            if (entry?.sourceRef?.storeRef) refs.push({ path: `spec.${field}[${i}].sourceRef.storeRef`, ref: entry.sourceRef.storeRef });
        });
    }
    return refs;
}

/** Every Secrets Manager name an ExternalSecret asks for, with its path. */
function remoteKeys(spec: Props): { path: string; key: unknown }[] {
    const keys: { path: string; key: unknown }[] = [];
    asList<Props>(spec.data).forEach((d, i) => keys.push({ path: `spec.data[${i}].remoteRef.key`, key: d?.remoteRef?.key }));
    asList<Props>(spec.dataFrom).forEach((d, i) => {
        if (d?.extract) keys.push({ path: `spec.dataFrom[${i}].extract.key`, key: d.extract.key });
    });
    return keys;
}

export const externalSecretsStoreByNamespace: ResourceValidationPolicy = {
    name: "external-secrets-store-by-namespace",
    description:
        "ExternalSecrets outside the platform's namespaces read only the workloads' ClusterSecretStore (the environment's apps/ secrets), by relative names, without searching or per-entry stores; " +
        "the platform's namespaces read the platform's store. No workload can name a platform secret.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            platformNamespaces: platformNamespacesSetting,
            workloadSecretStore: { type: "string", minLength: 1, default: WORKLOAD_SECRET_STORE, description: "The workloads' ClusterSecretStore." },
            platformSecretStore: { type: "string", minLength: 1, default: PLATFORM_SECRET_STORE, description: "The platform's ClusterSecretStore." },
        },
    },
    validateResource: validateTypes(EXTERNAL_SECRET_TYPES, (props, args, report, checks) => {
        const c = args.getConfig<StoreConfig>();
        const namespace = judgedNamespace(props, args);
        const platform = isNonEmptyString(namespace) && c.platformNamespaces.includes(namespace);
        const store = platform ? c.platformSecretStore : c.workloadSecretStore;
        const subject = namespacedSubject("ExternalSecret", props, args);
        const spec: Props = props.spec ?? {};
        const who = platform ? `in the platform's namespace ${namespace}` : `outside the platform's namespaces (${listText(c.platformNamespaces)})`;
        for (const { path, ref } of storeRefs(spec)) {
            checks.run(() => {
                if (ref.kind === "ClusterSecretStore" && ref.name === store) return;
                report(
                    `${subject}: ${path} is ${ref.kind ?? "SecretStore"} "${ref.name ?? ""}"; ${who} only the ClusterSecretStore "${store}" may be used` +
                        (platform ? "." : ` (the workloads' secrets; the platform's store holds Grafana's login, ArgoCD's and PagerDuty's secrets).`) +
                        ` Fix: set ${path} to { kind: ClusterSecretStore, name: ${store} }.`,
                );
            });
        }
        asList<Props>(spec.data)
            .concat(asList<Props>(spec.dataFrom))
            .forEach((entry) => {
                checks.run(() => {
                    if (!platform && entry?.sourceRef?.generatorRef) report(`${subject}: a generator (sourceRef.generatorRef) makes credentials outside the stores. Fix: read the workloads' store only.`);
                });
            });
        asList<Props>(spec.dataFrom).forEach((entry, i) => {
            checks.run(() => {
                if (!platform && entry?.find) report(`${subject}: spec.dataFrom[${i}].find searches the store (it lists secrets, which the store's role may not). Fix: name each secret with extract.key or data[].remoteRef.key.`);
            });
        });
        for (const { path, key } of remoteKeys(spec)) {
            checks.run(() => {
                if (typeof key !== "string") return;
                if (key.startsWith("/") || key.split("/").includes("..") || key.startsWith("arn:")) {
                    report(`${subject}: ${path} is "${key}"; names are relative to the store's prefix (the environment's). Fix: name the secret as the store sees it, e.g. "mysql".`);
                }
            });
        }
    }),
};

interface IngressConfig {
    platformNamespaces: string[];
    platformIngressClass: string;
}

export const ingressClassByNamespace: ResourceValidationPolicy = {
    name: "ingress-class-by-namespace",
    description:
        "Ingresses outside the platform's namespaces never use the platform's IngressClass, and no Ingress picks its load balancer by annotation (group.name, kubernetes.io/ingress.class): " +
        "workloads cannot join the platform's ALB or override its listener rules.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            platformNamespaces: platformNamespacesSetting,
            platformIngressClass: { type: "string", minLength: 1, default: PLATFORM_INGRESS_CLASS, description: "The platform's IngressClass (ArgoCD, Grafana)." },
        },
    },
    validateResource: validateTypes(INGRESS_TYPES, (props, args, report, checks) => {
        const c = args.getConfig<IngressConfig>();
        const namespace = judgedNamespace(props, args);
        const platform = isNonEmptyString(namespace) && c.platformNamespaces.includes(namespace);
        const subject = namespacedSubject("Ingress", props, args);
        const annotations: Props = props.metadata?.annotations ?? {};
        checks.run(() => {
            if (!platform && props.spec?.ingressClassName === c.platformIngressClass) {
                report(`${subject}: spec.ingressClassName is "${c.platformIngressClass}", the platform's (ArgoCD's and Grafana's load balancer). Fix: use the workloads' IngressClass (platform output ingressClass).`);
            }
        });
        for (const [annotation, why] of [
            ["alb.ingress.kubernetes.io/group.name", "the IngressClass's parameters choose the ALB group"],
            ["kubernetes.io/ingress.class", "the deprecated class annotation bypasses the IngressClass's parameters"],
        ]) {
            checks.run(() => {
                if (annotation in annotations) report(`${subject}: annotation ${annotation} = "${annotations[annotation]}": ${why}. Fix: remove it and set spec.ingressClassName.`);
            });
        }
    }),
};

export const objectsInApplicationNamespace: ResourceValidationPolicy = {
    name: "objects-in-application-namespace",
    description:
        "Every object an ArgoCD Application syncs from Git is in the Application's destination namespace (it names that namespace or none): an overlay cannot put an " +
        "object into another workload's namespace or a platform one, where other quotas, network policies, secrets and load balancers apply. The namespace-based " +
        "policies judge such an object by its Application; this one says where ArgoCD would apply it. It sees only rendered manifests (`npm run plan`, the tests).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const application = syncedBy(args);
        if (application === undefined || !isNonEmptyString(application.namespace)) return args.notApplicable("not an object an ArgoCD Application syncs");
        const destination = application.namespace;
        checking(() => {
            const named = args.props.metadata?.namespace;
            if (named === undefined || named === null || named === destination) return;
            report(
                `${describeResource(args.type, args.name)}: metadata.namespace is ${JSON.stringify(named)}, but Application ${application.name} deploys to ${destination}: ` +
                    `ArgoCD would apply it in ${named}, outside its Application's namespace. Fix: set metadata.namespace to ${destination}, or remove it and set namespace: ${destination} in the overlay's kustomization.yaml.`,
            );
        });
    },
};

export const ISOLATION_POLICIES = [externalSecretsStoreByNamespace, ingressClassByNamespace, objectsInApplicationNamespace];
