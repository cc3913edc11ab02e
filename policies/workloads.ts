/**
 * Kubernetes workloads: every pod template (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
 * CronJobs) is probed, sized, locked down to the restricted Pod Security fields, runs as its own service account
 * without an API token unless it declares one, pulls immutable images from an allowed registry, and stays off
 * the host. One implementation for both sources: the Kubernetes resources a Pulumi program registers, and the
 * manifests ArgoCD syncs from Git, which the offline runner feeds in as the same types (offline.ts).
 * Rule ids are Checkov's (CKV_K8S_*) where Checkov has the rule; documented exceptions name them (exceptions.ts).
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { asList, Checks, describeResource, isNonEmptyString, notices, Props, stringListSetting, syncedBy, validateTypes } from "./common";
import { exceptionsSetting, ExceptionsConfig, findings, globMatches } from "./exceptions";

/** Where each kind keeps its pod spec. */
const POD_SPECS: Record<string, { path: string; read: (p: Props) => Props | undefined }> = {
    "kubernetes:core/v1:Pod": { path: "spec", read: (p) => p.spec },
    "kubernetes:core/v1:PodTemplate": { path: "template.spec", read: (p) => p.template?.spec },
    "kubernetes:core/v1:ReplicationController": { path: "spec.template.spec", read: (p) => p.spec?.template?.spec },
    "kubernetes:apps/v1:Deployment": { path: "spec.template.spec", read: (p) => p.spec?.template?.spec },
    "kubernetes:apps/v1:StatefulSet": { path: "spec.template.spec", read: (p) => p.spec?.template?.spec },
    "kubernetes:apps/v1:DaemonSet": { path: "spec.template.spec", read: (p) => p.spec?.template?.spec },
    "kubernetes:apps/v1:ReplicaSet": { path: "spec.template.spec", read: (p) => p.spec?.template?.spec },
    "kubernetes:batch/v1:Job": { path: "spec.template.spec", read: (p) => p.spec?.template?.spec },
    "kubernetes:batch/v1:CronJob": { path: "spec.jobTemplate.spec.template.spec", read: (p) => p.spec?.jobTemplate?.spec?.template?.spec },
};

export const WORKLOAD_TYPES = Object.keys(POD_SPECS);
/** Kinds that run to completion: no probes (Checkov's probe rules skip them too). */
const RUN_TO_COMPLETION = ["kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"];

interface Container {
    /** `container "app"` or `init container "migrate"`, for messages. */
    label: string;
    /** Path of the container in the object, for fixes. */
    path: string;
    props: Props;
    init: boolean;
}

interface PodContext {
    subject: string;
    spec: Props;
    specPath: string;
    /** Runs `check` for each container (init containers too unless `appOnly`); an unknown container skips only itself. */
    eachContainer(check: (c: Container) => void, appOnly?: boolean): void;
}

/** A validation of pod templates: reads the pod spec, hands each policy its containers. */
function validatePods(types: readonly string[], validate: (pod: PodContext, args: ResourceValidationArgs, report: ReportViolation, checks: Checks) => void) {
    return validateTypes(types, (props, args, report, checks) => {
        const where = POD_SPECS[args.type];
        const spec = where.read(props);
        if (spec === undefined || spec === null) return;
        const pod: PodContext = {
            subject: describeResource(args.type, args.name),
            spec,
            specPath: where.path,
            eachContainer: (check, appOnly = false) => {
                for (const [key, init] of appOnly ? ([["containers", false]] as const) : ([["initContainers", true], ["containers", false]] as const)) {
                    checks.each(
                        () => spec[key],
                        (c: Props, i) => check({ label: `${init ? "init container" : "container"} ${JSON.stringify(c.name ?? String(i))}`, path: `${where.path}.${key}[${i}]`, props: c, init }),
                    );
                }
            },
        };
        validate(pod, args, report, checks);
    });
}

export const workloadProbes: ResourceValidationPolicy = {
    name: "workload-probes",
    description:
        "Every container of a long-running workload (not Jobs and CronJobs) has a readiness probe and a liveness probe (CKV_K8S_8, CKV_K8S_9): " +
        "traffic reaches only pods that can serve, and a hung process is restarted instead of holding its replica.",
    enforcementLevel: "mandatory",
    validateResource: validatePods(
        WORKLOAD_TYPES.filter((t) => !RUN_TO_COMPLETION.includes(t)),
        (pod, _args, report) =>
            pod.eachContainer((c) => {
                if (!c.props.readinessProbe) {
                    report(`${pod.subject}: ${c.label} has no readinessProbe, so it gets traffic before it can serve and while it fails (CKV_K8S_9). Fix: add ${c.path}.readinessProbe (httpGet on a health endpoint, or tcpSocket).`);
                }
                if (!c.props.livenessProbe) {
                    report(`${pod.subject}: ${c.label} has no livenessProbe, so a hung process keeps its replica forever (CKV_K8S_8). Fix: add ${c.path}.livenessProbe.`);
                }
            }, true),
    ),
};

export interface ResourcesConfig {
    requireCpuLimits: boolean;
}

export const workloadResources: ResourceValidationPolicy = {
    name: "workload-resources",
    description:
        "Every container and init container requests CPU and memory and limits memory and CPU (CKV_K8S_10, CKV_K8S_11, CKV_K8S_12, CKV_K8S_13): the scheduler places pods by what they need, " +
        "the nodes are sized from the sum of requests, the namespace quotas admit them, and one pod cannot starve its node.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireCpuLimits: { type: "boolean", default: true, description: "Whether containers must also limit CPU (CKV_K8S_11); memory limits are always required." },
        },
    },
    validateResource: validatePods(WORKLOAD_TYPES, (pod, args, report, checks) => {
        const requireCpu = args.getConfig<ResourcesConfig>().requireCpuLimits;
        const needed: [string, string, string][] = [
            ["requests", "cpu", "CKV_K8S_10"],
            ["requests", "memory", "CKV_K8S_12"],
            ["limits", "memory", "CKV_K8S_13"],
            ...(requireCpu ? [["limits", "cpu", "CKV_K8S_11"] as [string, string, string]] : []),
        ];
        pod.eachContainer((c) => {
            for (const [kind, resource, rule] of needed) {
                checks.run(() => {
                    const value = c.props.resources?.[kind]?.[resource];
                    if (value === undefined || value === null || value === "" || value === 0 || value === "0") {
                        report(`${pod.subject}: ${c.label} sets no resources.${kind}.${resource} (${rule}). Fix: set ${c.path}.resources.${kind}.${resource}.`);
                    }
                });
            }
        });
    }),
};

/** The container's value, else the pod's (how the kubelet resolves security context fields). */
const effective = (pod: PodContext, c: Container, key: string) => c.props.securityContext?.[key] ?? pod.spec.securityContext?.[key];

const SECCOMP_ALLOWED = ["RuntimeDefault", "Localhost"];
/** Volume types the restricted Pod Security Standard admits (Kubernetes 1.35). */
const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
const SELINUX_TYPES = ["container_t", "container_init_t", "container_kvm_t"];

/** What else the restricted standard forbids in a pod spec (admission would refuse the pod, and ArgoCD's sync fail). */
function restrictedExtras(spec: Props, checks: Checks, problem: (what: string, fix: string) => void): void {
    checks.each(
        () => spec.volumes,
        (v: Props, i) => {
            const type = Object.keys(v).find((k) => k !== "name");
            // hostPath has its own rule (workload-host-isolation).
            if (type !== undefined && type !== "hostPath" && !RESTRICTED_VOLUMES.includes(type)) problem(`volume ${JSON.stringify(v.name)} is of type ${type}`, `use one of ${RESTRICTED_VOLUMES.join(", ")} for volumes[${i}]`);
        },
    );
    checks.run(() => {
        if ((spec.securityContext?.sysctls ?? []).length > 0) problem("the pod sets sysctls", "remove securityContext.sysctls");
    });
    const contexts: [string, () => Props | undefined][] = [["the pod", () => spec.securityContext]];
    checks.run(() => {
        for (const key of ["initContainers", "containers"]) for (const c of asList<Props>(spec[key])) contexts.push([`container ${JSON.stringify(c.name)}`, () => c.securityContext]);
    });
    for (const [who, read] of contexts) {
        checks.run(() => {
            const sc = read();
            if (sc?.windowsOptions?.hostProcess === true) problem(`${who} runs as a Windows host process`, "remove windowsOptions.hostProcess");
            if (sc?.procMount !== undefined && sc.procMount !== "Default") problem(`${who} unmasks /proc (procMount ${sc.procMount})`, "remove procMount");
            if (sc?.appArmorProfile?.type === "Unconfined") problem(`${who} runs without AppArmor (Unconfined)`, "use RuntimeDefault or a Localhost profile");
            const selinux = sc?.seLinuxOptions?.type;
            if (selinux !== undefined && !SELINUX_TYPES.includes(selinux)) problem(`${who} sets SELinux type ${selinux}`, `use ${SELINUX_TYPES.join(", ")} or none`);
        });
    }
}

/** The image without its tag and digest: what exceptions about images match. */
export function imageRepository(image: string): string {
    const at = image.indexOf("@");
    const withoutDigest = at >= 0 ? image.slice(0, at) : image;
    const colon = withoutDigest.lastIndexOf(":");
    return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

export interface PodSecurityConfig extends ExceptionsConfig {
    minimumUid: number;
}

export const workloadPodSecurity: ResourceValidationPolicy = {
    name: "workload-pod-security",
    description:
        "Pods and containers set the restricted Pod Security fields (CKV_K8S_29, CKV_K8S_30): no privileged container (CKV_K8S_16), no privilege escalation (CKV_K8S_20), " +
        "a read-only root filesystem (CKV_K8S_22), non-root with a numeric UID of at least minimumUid (CKV_K8S_23, CKV_K8S_40), ALL capabilities dropped, NET_RAW with them " +
        "(CKV_K8S_37, CKV_K8S_28), and none added, SYS_ADMIN least of all (CKV_K8S_25, CKV_K8S_39), " +
        "the RuntimeDefault or a Localhost seccomp profile (CKV_K8S_31), and the rest of the restricted standard (volume types, no sysctls, procMount, AppArmor, SELinux): " +
        "a compromised process cannot become root, write its image or reach the host kernel's rarer calls, and admission does not refuse the pod at sync.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumUid: {
                type: "integer",
                minimum: 1,
                default: 10000,
                description: "The lowest UID a container may run as (CKV_K8S_40: UIDs below 10000 may collide with users of the host).",
            },
            exceptions: exceptionsSetting("workload-pod-security"),
        },
    },
    validateResource: validatePods(WORKLOAD_TYPES, (pod, args, report, checks) => {
        const config = args.getConfig<PodSecurityConfig>();
        const finding = findings(args, report, config.exceptions);
        restrictedExtras(pod.spec, checks, (what, fix) =>
            report(`${pod.subject}: ${what}, which the restricted Pod Security Standard refuses (the namespace's admission would reject the pod). Fix: ${fix} in ${pod.specPath}.`),
        );
        pod.eachContainer((c) => {
            const sc: Props = c.props.securityContext ?? {};
            const at = `${pod.subject}: ${c.label}`;
            const fix = (field: string, value: string) => `Fix: set ${c.path}.securityContext.${field} to ${value}.`;
            const image = () => imageRepository(String(c.props.image ?? ""));
            checks.run(() => {
                if (sc.privileged === true) finding("CKV_K8S_16", image(), `${at} is privileged: it has every capability of the host (CKV_K8S_16). ${fix("privileged", "false")}`);
            });
            checks.run(() => {
                if (sc.allowPrivilegeEscalation !== false) {
                    const actual = sc.allowPrivilegeEscalation === undefined ? "is not set (escalation is allowed)" : `is ${JSON.stringify(sc.allowPrivilegeEscalation)}`;
                    finding("CKV_K8S_20", image(), `${at}: allowPrivilegeEscalation ${actual}, so setuid binaries can make it root (CKV_K8S_20). ${fix("allowPrivilegeEscalation", "false")}`);
                }
            });
            checks.run(() => {
                if (sc.readOnlyRootFilesystem !== true) {
                    finding("CKV_K8S_22", image(), `${at}: readOnlyRootFilesystem is ${sc.readOnlyRootFilesystem === undefined ? "not set" : JSON.stringify(sc.readOnlyRootFilesystem)}, so an intruder can change its image's files (CKV_K8S_22). ${fix("readOnlyRootFilesystem", "true (mount an emptyDir where it writes)")}`);
                }
            });
            checks.run(() => {
                if (effective(pod, c, "runAsNonRoot") !== true) {
                    finding("CKV_K8S_23", image(), `${at}: runAsNonRoot is not true (on the container or the pod), so the image's user may be root (CKV_K8S_23). Fix: set ${pod.specPath}.securityContext.runAsNonRoot to true.`);
                }
            });
            checks.run(() => {
                const uid = effective(pod, c, "runAsUser");
                if (uid === 0) {
                    finding("CKV_K8S_23", image(), `${at} runs as UID 0 (root) (CKV_K8S_23). Fix: set ${pod.specPath}.securityContext.runAsUser to the image's unprivileged user.`);
                } else if (!Number.isInteger(uid) || uid < config.minimumUid) {
                    const actual = uid === undefined ? "no runAsUser (the image's USER decides)" : `UID ${uid}`;
                    finding("CKV_K8S_40", image(), `${at} runs as ${actual}, below ${config.minimumUid}: a low UID may be a user of the host (CKV_K8S_40). Fix: set ${pod.specPath}.securityContext.runAsUser to ${config.minimumUid} or more (an image built for that user), or document an exception.`);
                }
            });
            checks.run(() => {
                const drop: unknown[] = sc.capabilities?.drop ?? [];
                if (!drop.includes("ALL")) finding("CKV_K8S_37", image(), `${at} does not drop ALL capabilities (it keeps NET_RAW and others by default) (CKV_K8S_37). ${fix("capabilities.drop", '["ALL"]')}`);
            });
            checks.run(() => {
                const add: unknown[] = sc.capabilities?.add ?? [];
                if (add.length > 0) finding("CKV_K8S_25", image(), `${at} adds capabilities ${add.join(", ")} (CKV_K8S_25). Fix: remove ${c.path}.securityContext.capabilities.add (run on ports above 1024 instead of NET_BIND_SERVICE).`);
            });
            checks.run(() => {
                const seccomp = c.props.securityContext?.seccompProfile?.type ?? pod.spec.securityContext?.seccompProfile?.type;
                if (!SECCOMP_ALLOWED.includes(seccomp)) {
                    finding("CKV_K8S_31", image(), `${at} has seccomp profile ${seccomp === undefined ? "not set (Unconfined)" : JSON.stringify(seccomp)} (CKV_K8S_31). Fix: set ${pod.specPath}.securityContext.seccompProfile.type to RuntimeDefault.`);
                }
            });
        });
    }),
};

export const workloadIdentity: ResourceValidationPolicy = {
    name: "workload-identity",
    description:
        "A workload runs in a namespace of its own, not default (CKV_K8S_21), as a service account of its own, not default (CKV_K8S_41), and mounts no Kubernetes API token " +
        "unless its pod spec declares it needs one with automountServiceAccountToken: true (CKV_K8S_38): a compromised pod holds no credentials it does not use.",
    enforcementLevel: "mandatory",
    validateResource: validatePods(WORKLOAD_TYPES, (pod, args, report, checks) => {
        const props = args.props;
        checks.run(() => {
            // Where it runs: its own namespace, else its Application's destination (ArgoCD applies it there), else the provider's.
            const namespace = props.metadata?.namespace ?? syncedBy(args)?.namespace;
            const providerNamespace = args.provider?.props?.namespace;
            if (namespace === "default" || (namespace === undefined && !isNonEmptyString(providerNamespace))) {
                const actual = namespace === undefined ? "not set (the provider's namespace: default)" : '"default"';
                report(`${pod.subject}: metadata.namespace is ${actual}, where no quota, network policy or Pod Security level of the platform applies (CKV_K8S_21). Fix: set metadata.namespace to a workload namespace.`);
            }
        });
        checks.run(() => {
            const account = pod.spec.serviceAccountName ?? pod.spec.serviceAccount;
            if (!isNonEmptyString(account) || account === "default") {
                report(`${pod.subject}: runs as the namespace's default service account (CKV_K8S_41), which every pod without one shares. Fix: create a ServiceAccount for the workload and set ${pod.specPath}.serviceAccountName.`);
            }
        });
        checks.run(() => {
            const token = pod.spec.automountServiceAccountToken;
            if (token !== false && token !== true) {
                report(
                    `${pod.subject}: ${pod.specPath}.automountServiceAccountToken is not set, so the pod mounts an API token it has not declared it needs (CKV_K8S_38). ` +
                        `Fix: set ${pod.specPath}.automountServiceAccountToken to false, or to true if the workload calls the Kubernetes API.`,
                );
            }
        });
    }),
};

/** An image reference split as the container runtime reads it. */
export interface ImageReference {
    /** The registry host, "" when the image names none (Docker Hub). */
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
}

export function parseImage(image: string): ImageReference {
    const repository = imageRepository(image);
    const at = image.indexOf("@");
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const rest = image.slice(repository.length, at >= 0 ? at : undefined);
    const tag = rest.startsWith(":") ? rest.slice(1) : undefined;
    const first = repository.split("/")[0];
    const registry = repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "";
    return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** The pin of a service never released (ci/pins.ts writes it until the first release): a digest of no image. */
export const UNRELEASED_DIGEST = `sha256:${"0".repeat(64)}`;
const ECR_REPOSITORY = "aws:ecr/repository:Repository";

/**
 * The environment's own ECR repositories whose tags are immutable (`IMMUTABLE`), by URL, among a stack's resources
 * (their state: the repository URL is an output). What the offline runner adds to immutableTagRepositories
 * (offline.ts `resolveForEnvironment`): a config file cannot know the account.
 */
export function environmentImmutableRepositories(resources: readonly { type: string; inputs: Props; state?: Props }[]): string[] {
    return resources
        .filter((r) => r.type === ECR_REPOSITORY)
        .map((r) => ({ ...r.inputs, ...r.state }))
        .filter((p) => p.imageTagMutability === "IMMUTABLE" && isNonEmptyString(p.repositoryUrl))
        .map((p) => String(p.repositoryUrl));
}

export interface ImagesConfig extends ExceptionsConfig {
    allowedRegistries: string[];
    immutableTagRepositories: string[];
}

export const workloadImagesPinned: ResourceValidationPolicy = {
    name: "workload-images-pinned",
    description:
        "Every container image comes from an allowed registry (default: ECR, private or Public) and is pinned: by digest, or by a tag (never latest) of a repository " +
        "whose tags are immutable: the environment's own ECR repositories (IMMUTABLE: ecr-repositories-hardened), which the offline runner takes from the environment's graph, " +
        "and those immutableTagRepositories lists (CKV_K8S_14, CKV_K8S_43). What was reviewed is what runs, and a re-pushed tag cannot change it. " +
        "A service never released (its pin the all-zero digest) is a notice: its pods cannot start until a release pins its image.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRegistries: stringListSetting("Registry hosts (globs) images may come from.", ["*.dkr.ecr.*.amazonaws.com", "public.ecr.aws"]),
            immutableTagRepositories: stringListSetting(
                "Image repositories (globs over <registry>/<name>, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/*) whose tags cannot be moved, so a tag pins the image, " +
                    "beyond the environment's own ECR repositories (which the offline runner adds; a real preview knows only this list).",
                [],
            ),
            exceptions: exceptionsSetting("workload-images-pinned"),
        },
    },
    validateResource: validatePods(WORKLOAD_TYPES, (pod, args, report) => {
        const config = args.getConfig<ImagesConfig>();
        const finding = findings(args, report, config.exceptions);
        const notice = notices(args);
        const unreleased = new Set<string>();
        const inList = (value: string, globs: string[]) => globs.some((g) => globMatches(g, value));
        pod.eachContainer((c) => {
            const image = c.props.image;
            const at = `${pod.subject}: ${c.label}`;
            if (!isNonEmptyString(image)) {
                report(`${at} names no image (CKV_K8S_14). Fix: set ${c.path}.image to an image pinned by digest or by an immutable tag.`);
                return;
            }
            const ref = parseImage(image);
            if (!inList(ref.registry, config.allowedRegistries)) {
                const where = ref.registry === "" ? "names no registry (Docker Hub)" : `comes from ${ref.registry}`;
                report(`${at}: image ${image} ${where}, not an allowed registry (${config.allowedRegistries.join(", ")}). Fix: pull it from ECR (a pull-through cache or a copy), or add the registry to allowedRegistries in policies/config/<env>.json.`);
                return;
            }
            if (ref.digest !== undefined) {
                if (!DIGEST.test(ref.digest)) report(`${at}: image ${image} has a malformed digest. Fix: pin ${c.path}.image by its sha256 digest (64 hex characters).`);
                else if (ref.digest === UNRELEASED_DIGEST && !unreleased.has(ref.repository)) {
                    unreleased.add(ref.repository);
                    const service = ref.repository.split("/").pop();
                    notice(
                        `${pod.subject}: ${service} was never released: its image is pinned to the all-zero placeholder digest, which names no image, so its pods cannot start ` +
                            `until a release pins one (CI's release of a change to its sources, or npm run -s delivery -- pin <env> ${service}=<tag-or-digest>)`,
                    );
                }
                return;
            }
            if (ref.tag === undefined || ref.tag === "latest") {
                report(`${at}: image ${image} is ${ref.tag === undefined ? "not tagged (latest)" : "tagged latest"}, so every pull may run another build (CKV_K8S_14). Fix: pin ${c.path}.image by digest or a release tag.`);
                return;
            }
            if (!inList(ref.repository, config.immutableTagRepositories)) {
                finding(
                    "CKV_K8S_43",
                    ref.repository,
                    `${at}: image ${image} is pinned by tag, and ${ref.repository} is not a repository whose tags are immutable (the environment's own ECR repositories, or immutableTagRepositories), ` +
                        `so the tag can be re-pushed (CKV_K8S_43). Fix: pin it by digest (${ref.repository}@sha256:...), or, if that repository's tags are immutable, list it in immutableTagRepositories in policies/config/<env>.json.`,
                );
            }
        });
    }),
};

export const workloadHostIsolation: ResourceValidationPolicy = {
    name: "workload-host-isolation",
    description:
        "Pods share nothing with their node: no host PID, IPC or network namespace (CKV_K8S_17, CKV_K8S_18, CKV_K8S_19), no hostPath volume (the node's files, the container runtime's " +
        "socket: CKV_K8S_27) and no hostPort (CKV_K8S_26). A compromised pod then stays inside its sandbox and its network policies.",
    enforcementLevel: "mandatory",
    validateResource: validatePods(WORKLOAD_TYPES, (pod, _args, report, checks) => {
        const rules: [string, string, string][] = [
            ["hostNetwork", "CKV_K8S_19", "it bypasses network policies and sees the node's interfaces"],
            ["hostPID", "CKV_K8S_17", "it sees and can signal the node's processes"],
            ["hostIPC", "CKV_K8S_18", "it shares the node's shared memory"],
        ];
        for (const [field, rule, why] of rules) {
            checks.run(() => {
                if (pod.spec[field] === true) report(`${pod.subject}: ${pod.specPath}.${field} is true: ${why} (${rule}). Fix: remove ${pod.specPath}.${field}.`);
            });
        }
        checks.each(
            () => pod.spec.volumes,
            (v: Props, i) => {
                if (v.hostPath !== undefined) {
                    report(`${pod.subject}: volume ${JSON.stringify(v.name)} mounts the node's ${JSON.stringify(v.hostPath?.path)} (hostPath) (CKV_K8S_27). Fix: replace ${pod.specPath}.volumes[${i}] with an emptyDir, a ConfigMap or a persistent volume claim.`);
                }
            },
        );
        pod.eachContainer((c) =>
            checks.each(
                () => c.props.ports,
                (p: Props, i) => {
                    if (p.hostPort !== undefined && p.hostPort !== 0) {
                        report(`${pod.subject}: ${c.label} binds host port ${p.hostPort} (CKV_K8S_26). Fix: remove ${c.path}.ports[${i}].hostPort and reach it through a Service.`);
                    }
                },
            ),
        );
    }),
};

export const workloadSecretsAsFiles: ResourceValidationPolicy = {
    name: "workload-secrets-as-files",
    description:
        "Containers read Secrets from mounted files, not environment variables (CKV_K8S_35): environment variables leak into crash dumps, child processes and " +
        "`kubectl describe`-style tooling; images that take credentials only from the environment are documented exceptions.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { exceptions: exceptionsSetting("workload-secrets-as-files") } },
    validateResource: validatePods(WORKLOAD_TYPES, (pod, args, report, checks) => {
        const finding = findings(args, report, args.getConfig<ExceptionsConfig>().exceptions);
        pod.eachContainer((c) => {
            const secrets: string[] = [];
            checks.each(
                () => c.props.env,
                (e: Props) => {
                    if (isNonEmptyString(e.valueFrom?.secretKeyRef?.name)) secrets.push(`${e.name} from Secret ${e.valueFrom.secretKeyRef.name}`);
                },
            );
            checks.each(
                () => c.props.envFrom,
                (e: Props) => {
                    if (isNonEmptyString(e.secretRef?.name)) secrets.push(`every key of Secret ${e.secretRef.name}`);
                },
            );
            if (secrets.length === 0) return;
            checks.run(() =>
                finding(
                    "CKV_K8S_35",
                    imageRepository(String(c.props.image ?? "")),
                    `${pod.subject}: ${c.label} reads Secrets as environment variables (${secrets.join("; ")}) (CKV_K8S_35). Fix: mount the Secret as a volume and read the files.`,
                ),
            );
        });
    }),
};

export const WORKLOAD_POLICIES = [workloadProbes, workloadResources, workloadPodSecurity, workloadIdentity, workloadImagesPinned, workloadHostIsolation, workloadSecretsAsFiles];
