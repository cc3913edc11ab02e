import * as assert from "assert";
import { UNRELEASED_DIGEST as CI_UNRELEASED_DIGEST } from "../../ci/pins";
import { PackPolicy } from "../../policies/all";
import { OfflineResource, resolveForEnvironment, runPack } from "../../policies/offline";
import {
    environmentImmutableRepositories,
    imageRepository,
    parseImage,
    UNRELEASED_DIGEST,
    WORKLOAD_TYPES,
    workloadHostIsolation as host,
    workloadIdentity as identity,
    workloadImagesPinned as images,
    workloadPodSecurity as security,
    workloadProbes as probes,
    workloadResources as resources,
    workloadSecretsAsFiles as secretsAsFiles,
} from "../../policies/workloads";
import { container, CRON_JOB, DEPLOYMENT, ECR_IMAGE, JOB, POD, podSpec, STATEFUL_SET, workload } from "./fixtures";
import {
    assertHasResourceViolation,
    assertNoResourceViolations,
    assertNotApplicable,
    assertSkipsUnknown,
    assertViolationCount,
    createResourceValidationArgs,
    Props,
    runWithExceptions,
    UNKNOWN,
} from "./util";

const args = (policy: PackPolicy, type: string, props: Props, config: Record<string, unknown> = {}) =>
    createResourceValidationArgs(policy, type, props, { name: "backend/user-service", config });
/** A workload of `type` whose pod spec is changed by `change`. */
const withPod = (type: string, change: (spec: Props) => void): Props => {
    const spec = podSpec();
    change(spec);
    return workload(type, spec);
};
const MYSQL = "public.ecr.aws/docker/library/mysql";

const ALL_POLICIES = [probes, resources, security, identity, images, host, secretsAsFiles];

describe("workload policies: one implementation for every pod template", () => {
    it("pass a compliant pod template in every kind (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ...)", async () => {
        for (const type of WORKLOAD_TYPES) {
            for (const policy of ALL_POLICIES) {
                if (policy === probes && (type === JOB || type === CRON_JOB)) continue;
                const props = type === "kubernetes:core/v1:PodTemplate" ? { metadata: { name: "t", namespace: "backend" }, template: { spec: podSpec() } } : workload(type);
                await assertNoResourceViolations(policy, args(policy, type, props));
            }
        }
    });

    it("find the pod spec where each kind keeps it: a CronJob's job template, a Pod's own spec", async () => {
        const bad = (spec: Props) => (spec.containers[0].securityContext.allowPrivilegeEscalation = true);
        for (const type of [CRON_JOB, POD, JOB, STATEFUL_SET]) {
            await assertHasResourceViolation(security, args(security, type, withPod(type, bad)), "allowPrivilegeEscalation is true");
        }
        const [v] = await assertViolationCount(security, args(security, CRON_JOB, withPod(CRON_JOB, bad)), 1);
        assert.match(v.message, /Fix: set spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.securityContext\.allowPrivilegeEscalation to false\./);
    });

    it("do not apply to other kinds", async () => {
        for (const policy of ALL_POLICIES) await assertNotApplicable(policy, args(policy, "kubernetes:core/v1:Service", { spec: {} }));
        // Jobs run to completion: no probes.
        await assertNotApplicable(probes, args(probes, JOB, workload(JOB, podSpec([{ ...container(), readinessProbe: undefined, livenessProbe: undefined }]))));
    });

    it("a value unknown during preview skips what it covers, and the rest is still checked", async () => {
        const spec = podSpec([container(), { ...container("sidecar"), image: UNKNOWN }]);
        spec.containers[0].securityContext.allowPrivilegeEscalation = true;
        const found = await assertSkipsUnknown(images, args(images, DEPLOYMENT, workload(DEPLOYMENT, { ...spec })));
        assert.deepStrictEqual(found, []);
        const security_ = await assertSkipsUnknown(security, args(security, DEPLOYMENT, workload(DEPLOYMENT, { ...podSpec([container(), { ...container("sidecar"), securityContext: UNKNOWN }]), automountServiceAccountToken: false })));
        assert.deepStrictEqual(security_, []);
        assert.ok((await assertSkipsUnknown(probes, args(probes, DEPLOYMENT, workload(DEPLOYMENT, { ...podSpec(), containers: UNKNOWN })))).length === 0);
        await assertSkipsUnknown(identity, args(identity, DEPLOYMENT, { ...workload(DEPLOYMENT), metadata: { name: "x", namespace: UNKNOWN } }));
        await assertSkipsUnknown(host, args(host, DEPLOYMENT, workload(DEPLOYMENT, { ...podSpec(), volumes: UNKNOWN })));
        await assertSkipsUnknown(resources, args(resources, DEPLOYMENT, workload(DEPLOYMENT, podSpec([{ ...container(), resources: UNKNOWN }]))));
        await assertSkipsUnknown(secretsAsFiles, args(secretsAsFiles, DEPLOYMENT, workload(DEPLOYMENT, podSpec([{ ...container(), env: UNKNOWN }]))));
        // An unknown spec as a whole skips the resource.
        await assertSkipsUnknown(security, args(security, DEPLOYMENT, { metadata: { name: "x" }, spec: UNKNOWN }));
    });
});

describe("policy workload-probes", () => {
    it("reports a container without readiness or liveness probe, init containers exempt", async () => {
        const spec = podSpec([{ ...container(), readinessProbe: undefined }, { ...container("metrics"), livenessProbe: undefined }]);
        spec.initContainers = [{ ...container("migrate"), readinessProbe: undefined, livenessProbe: undefined }];
        const violations = await assertViolationCount(probes, args(probes, DEPLOYMENT, workload(DEPLOYMENT, spec)), 2);
        assert.strictEqual(
            violations[0].message,
            'kubernetes:apps/v1:Deployment "backend/user-service": container "app" has no readinessProbe, so it gets traffic before it can serve and while it fails (CKV_K8S_9). Fix: add spec.template.spec.containers[0].readinessProbe (httpGet on a health endpoint, or tcpSocket).',
        );
        assert.match(violations[1].message, /container "metrics" has no livenessProbe, .*\(CKV_K8S_8\)\. Fix: add spec\.template\.spec\.containers\[1\]\.livenessProbe\./);
    });
});

describe("policy workload-resources", () => {
    it("reports each missing request and limit of containers and init containers, by rule", async () => {
        const spec = podSpec([{ ...container(), resources: { requests: { cpu: "40m" } } }]);
        spec.initContainers = [{ ...container("migrate"), resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi", cpu: "0" } } }];
        const violations = await assertViolationCount(resources, args(resources, STATEFUL_SET, workload(STATEFUL_SET, spec)), 4);
        assert.deepStrictEqual(
            violations.map((v) => /(init container|container) "(\w+)" sets no resources\.(\w+\.\w+) \((CKV_K8S_\d+)\)/.exec(v.message)!.slice(1).join(" ")),
            ["init container migrate limits.cpu CKV_K8S_11", "container app requests.memory CKV_K8S_12", "container app limits.memory CKV_K8S_13", "container app limits.cpu CKV_K8S_11"],
        );
    });

    it("CPU limits are a setting (memory limits are not)", async () => {
        const noCpuLimit = workload(DEPLOYMENT, podSpec([{ ...container(), resources: { requests: { cpu: "40m", memory: "96Mi" }, limits: { memory: "192Mi" } } }]));
        await assertHasResourceViolation(resources, args(resources, DEPLOYMENT, noCpuLimit), "limits.cpu");
        await assertNoResourceViolations(resources, args(resources, DEPLOYMENT, noCpuLimit, { requireCpuLimits: false }));
    });
});

describe("policy workload-pod-security", () => {
    it("reports every restricted field a container breaks, each with its rule and fix", async () => {
        const bad = {
            ...container(),
            securityContext: { privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, runAsUser: 0, capabilities: { add: ["SYS_ADMIN"] }, seccompProfile: { type: "Unconfined" } },
        };
        const spec = { ...podSpec([bad]), securityContext: {} };
        const violations = await assertViolationCount(security, args(security, DEPLOYMENT, workload(DEPLOYMENT, spec)), 8);
        const rules = violations.map((v) => /\((CKV_K8S_\d+)\)/.exec(v.message)![1]);
        assert.deepStrictEqual(rules, ["CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_23", "CKV_K8S_37", "CKV_K8S_25", "CKV_K8S_31"]);
        assert.match(violations[1].message, /container "app": allowPrivilegeEscalation is true, so setuid binaries can make it root \(CKV_K8S_20\)\. Fix: set spec\.template\.spec\.containers\[0\]\.securityContext\.allowPrivilegeEscalation to false\./);
    });

    it("unset fields are findings too: escalation allowed, writable root, no seccomp, image's user", async () => {
        const spec = podSpec([{ ...container(), securityContext: { capabilities: { drop: ["ALL"] } } }]);
        spec.securityContext = { runAsNonRoot: true };
        const violations = await assertViolationCount(security, args(security, DEPLOYMENT, workload(DEPLOYMENT, spec)), 4);
        assert.match(violations[0].message, /allowPrivilegeEscalation is not set \(escalation is allowed\)/);
        assert.match(violations[1].message, /readOnlyRootFilesystem is not set/);
        assert.match(violations[2].message, /runs as no runAsUser \(the image's USER decides\), below 10000/);
        assert.match(violations[3].message, /seccomp profile not set \(Unconfined\)/);
    });

    it("the container's security context overrides the pod's; Localhost seccomp is fine", async () => {
        const spec = podSpec([{ ...container(), securityContext: { ...container().securityContext, runAsUser: 20000, seccompProfile: { type: "Localhost", localhostProfile: "p.json" } } }]);
        spec.securityContext = { runAsNonRoot: true, runAsUser: 5, seccompProfile: { type: "Unconfined" } };
        await assertNoResourceViolations(security, args(security, DEPLOYMENT, workload(DEPLOYMENT, spec)));
    });

    it("UIDs below minimumUid (CKV_K8S_40) pass only as a documented exception of the image, listed by the runner", async () => {
        const mysql = withPod(STATEFUL_SET, (spec) => {
            spec.securityContext.runAsUser = 999;
            spec.containers[0].image = `${MYSQL}:8.4.11`;
        });
        const outcome = await runWithExceptions(security, args(security, STATEFUL_SET, mysql));
        assert.deepStrictEqual(outcome.violations, []);
        assert.deepStrictEqual(
            outcome.excepted.map((e) => [e.exceptionId, e.rule, e.subject]),
            [["image-uids-below-10000", "CKV_K8S_40", MYSQL]],
        );
        assert.match(outcome.excepted[0].message, /runs as UID 999, below 10000/);
        // Another image with the same UID is a violation; so is MySQL with its exceptions replaced.
        const other = withPod(STATEFUL_SET, (spec) => (spec.securityContext.runAsUser = 999));
        await assertHasResourceViolation(security, args(security, STATEFUL_SET, other), /runs as UID 999, below 10000: .*\(CKV_K8S_40\)/);
        await assertHasResourceViolation(security, args(security, STATEFUL_SET, mysql, { exceptions: [] }), /UID 999/);
        // The exception covers that rule only: root stays a violation for MySQL's image too.
        const root = withPod(STATEFUL_SET, (spec) => {
            spec.securityContext.runAsUser = 0;
            spec.containers[0].image = `${MYSQL}:8.4.11`;
        });
        await assertHasResourceViolation(security, args(security, STATEFUL_SET, root), "runs as UID 0 (root) (CKV_K8S_23)");
    });

    it("minimumUid is a setting", async () => {
        const low = withPod(DEPLOYMENT, (spec) => (spec.securityContext.runAsUser = 2000));
        await assertHasResourceViolation(security, args(security, DEPLOYMENT, low), "below 10000");
        await assertNoResourceViolations(security, args(security, DEPLOYMENT, low, { minimumUid: 1000 }));
    });
});

describe("policy workload-identity", () => {
    it("passes a declared token (automountServiceAccountToken true) on its own service account", async () => {
        await assertNoResourceViolations(identity, args(identity, DEPLOYMENT, withPod(DEPLOYMENT, (spec) => (spec.automountServiceAccountToken = true))));
    });

    it("reports an undeclared token, the default service account and the default namespace", async () => {
        const spec = podSpec();
        delete spec.automountServiceAccountToken;
        delete spec.serviceAccountName;
        const props = { ...workload(DEPLOYMENT, spec), metadata: { name: "user-service", namespace: "default" } };
        const violations = await assertViolationCount(identity, args(identity, DEPLOYMENT, props), 3);
        assert.match(violations[0].message, /metadata\.namespace is "default".*\(CKV_K8S_21\)/);
        assert.match(violations[1].message, /runs as the namespace's default service account \(CKV_K8S_41\)/);
        assert.strictEqual(
            violations[2].message,
            'kubernetes:apps/v1:Deployment "backend/user-service": spec.template.spec.automountServiceAccountToken is not set, so the pod mounts an API token it has not declared it needs (CKV_K8S_38). ' +
                "Fix: set spec.template.spec.automountServiceAccountToken to false, or to true if the workload calls the Kubernetes API.",
        );
    });

    it("an object without a namespace takes its provider's, which must not be default", async () => {
        const props = { ...workload(DEPLOYMENT), metadata: { name: "user-service" } };
        await assertHasResourceViolation(identity, args(identity, DEPLOYMENT, props), "not set (the provider's namespace: default)");
        const provided = createResourceValidationArgs(identity, DEPLOYMENT, props, { name: "user-service", provider: { type: "pulumi:providers:kubernetes", props: { namespace: "backend" } } });
        await assertNoResourceViolations(identity, provided);
    });
});

describe("policy workload-images-pinned", () => {
    const imaged = (image: string) => withPod(DEPLOYMENT, (spec) => (spec.containers[0].image = image));
    const OWN = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/frontend";
    const OTHER_ACCOUNT = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/someone/app";

    it("parses references as the runtime does", () => {
        assert.deepStrictEqual(parseImage("localhost:5000/a/b:1.2@sha256:ab"), { registry: "localhost:5000", repository: "localhost:5000/a/b", tag: "1.2", digest: "sha256:ab" });
        assert.deepStrictEqual(parseImage("nginx"), { registry: "", repository: "nginx" });
        assert.deepStrictEqual(parseImage("library/nginx:1"), { registry: "", repository: "library/nginx", tag: "1" });
        assert.strictEqual(imageRepository(`${MYSQL}:8.4.11`), MYSQL);
    });

    it("passes a digest from any allowed registry, and a tag of a repository whose tags are immutable", async () => {
        await assertNoResourceViolations(images, args(images, DEPLOYMENT, imaged(`public.ecr.aws/nginx/nginx-prometheus-exporter@sha256:${"a".repeat(64)}`)));
        await assertNoResourceViolations(images, args(images, DEPLOYMENT, imaged(`${OTHER_ACCOUNT}@sha256:${"a".repeat(64)}`)));
        await assertNoResourceViolations(images, args(images, DEPLOYMENT, imaged(`${OWN}:1.0.0`), { immutableTagRepositories: [OWN] }));
    });

    it("a tag of any private ECR is not trusted by default: another account's registry is a violation unless configured (CKV_K8S_43)", async () => {
        const [v] = await assertViolationCount(images, args(images, DEPLOYMENT, imaged(`${OTHER_ACCOUNT}:dev`)), 1);
        assert.strictEqual(
            v.message,
            `kubernetes:apps/v1:Deployment "backend/user-service": container "app": image ${OTHER_ACCOUNT}:dev is pinned by tag, and ${OTHER_ACCOUNT} is not a repository whose tags are immutable ` +
                "(the environment's own ECR repositories, or immutableTagRepositories), so the tag can be re-pushed (CKV_K8S_43). " +
                `Fix: pin it by digest (${OTHER_ACCOUNT}@sha256:...), or, if that repository's tags are immutable, list it in immutableTagRepositories in policies/config/<env>.json.`,
        );
        // Listing one repository of the environment does not trust its registry's others, nor the same name in another account.
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged(`${OWN}-admin:1.0.0`), { immutableTagRepositories: [OWN] }), "(CKV_K8S_43)");
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged(`${OWN.replace("123456789012", "999999999999")}:1.0.0`), { immutableTagRepositories: [OWN] }), "(CKV_K8S_43)");
        await assertNoResourceViolations(images, args(images, DEPLOYMENT, imaged(`${OTHER_ACCOUNT}:dev`), { immutableTagRepositories: ["999999999999.dkr.ecr.eu-west-1.amazonaws.com/someone/*"] }));
        assert.deepStrictEqual(images.configSchema?.properties.immutableTagRepositories.default, [], "no registry is trusted for tags by default");
    });

    it("the offline runner trusts the environment's own ECR repositories with immutable tags, from its graph, and no other", async () => {
        const repository = (name: string, imageTagMutability: string, account = "123456789012"): OfflineResource => ({
            type: "aws:ecr/repository:Repository",
            name: `ecr-${name}`,
            custom: true,
            inputs: { name: `gitops-staging/${name}`, imageTagMutability },
            state: { name: `gitops-staging/${name}`, imageTagMutability, repositoryUrl: `${account}.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/${name}` },
        });
        const graph = [repository("frontend", "IMMUTABLE"), repository("legacy", "MUTABLE")];
        assert.deepStrictEqual(environmentImmutableRepositories(graph), [OWN]);
        const deployment = (name: string, image: string): OfflineResource => ({ type: DEPLOYMENT, name, custom: true, inputs: { ...imaged(image), metadata: { name, namespace: "frontend" } } });
        const pods = [
            deployment("own", `${OWN}:0123abc`),
            deployment("mutable", "123456789012.dkr.ecr.us-east-1.amazonaws.com/gitops-staging/legacy:0123abc"),
            deployment("elsewhere", `${OTHER_ACCOUNT}:dev`),
        ];
        const flagged = async (resources: OfflineResource[], environment?: OfflineResource[]) =>
            (await runPack(resources, {}, { policies: [images], ...(environment ? { environment } : {}) })).mandatory.map((v) => v.resourceName).sort();
        assert.deepStrictEqual(await flagged([...graph, ...pods]), ["elsewhere", "mutable"]);
        // The plan with --layer apps checks fewer resources than ran: the whole graph still tells the repositories.
        assert.deepStrictEqual(await flagged(pods, graph), ["elsewhere", "mutable"]);
        // Without the graph (what a real preview has) only the setting counts.
        assert.deepStrictEqual(await flagged(pods), ["elsewhere", "mutable", "own"]);
        const resolved = resolveForEnvironment([images], { "workload-images-pinned": { immutableTagRepositories: [OTHER_ACCOUNT] } }, graph);
        assert.deepStrictEqual(resolved.get(images.name)!.properties.immutableTagRepositories, [OTHER_ACCOUNT, OWN], "the environment's join the configured ones");
    });

    it("reports latest, no tag, a registry not allowed, Docker Hub, a malformed digest", async () => {
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged(`${"123456789012.dkr.ecr.us-east-1.amazonaws.com/x/api"}:latest`)), "is tagged latest, so every pull may run another build (CKV_K8S_14)");
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged("123456789012.dkr.ecr.us-east-1.amazonaws.com/x/api")), "is not tagged (latest)");
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged("ghcr.io/acme/api:1.0.0")), "comes from ghcr.io, not an allowed registry (*.dkr.ecr.*.amazonaws.com, public.ecr.aws)");
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged("nginx:1.27")), "names no registry (Docker Hub)");
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged("public.ecr.aws/x/y@sha256:123")), "malformed digest");
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, withPod(DEPLOYMENT, (spec) => delete spec.containers[0].image)), "names no image");
    });

    it("a tag in a registry whose tags move needs a digest, or the documented exception for that image", async () => {
        const outcome = await runWithExceptions(images, args(images, DEPLOYMENT, imaged(`${MYSQL}:8.4.11`)));
        assert.deepStrictEqual(outcome.violations, []);
        assert.deepStrictEqual(outcome.excepted.map((e) => [e.exceptionId, e.subject]), [["third-party-image-tags", MYSQL]]);
        await assertHasResourceViolation(images, args(images, DEPLOYMENT, imaged("public.ecr.aws/bitnami/redis:7.4.0")), /image public\.ecr\.aws\/bitnami\/redis:7\.4\.0 is pinned by tag, .* \(CKV_K8S_43\)\. Fix: pin it by digest \(public\.ecr\.aws\/bitnami\/redis@sha256:\.\.\.\)/);
    });

    it("the placeholder digest of a service never released is no violation but a notice naming the service, once per image", async () => {
        const spec = podSpec([container("app", `${ECR_IMAGE}@${UNRELEASED_DIGEST}`)]);
        spec.initContainers = [container("migrate", `${ECR_IMAGE}@${UNRELEASED_DIGEST}`)];
        const outcome = await runWithExceptions(images, args(images, DEPLOYMENT, workload(DEPLOYMENT, spec)));
        assert.deepStrictEqual([outcome.violations, outcome.excepted], [[], []]);
        assert.deepStrictEqual(outcome.notices, [
            'kubernetes:apps/v1:Deployment "backend/user-service": user-service was never released: its image is pinned to the all-zero placeholder digest, which names no image, ' +
                "so its pods cannot start until a release pins one (CI's release of a change to its sources, or npm run -s delivery -- pin <env> user-service=<tag-or-digest>)",
        ]);
        assert.strictEqual(UNRELEASED_DIGEST, CI_UNRELEASED_DIGEST, "the pin ci/pins.ts writes for a service never released");
        // A released digest says nothing.
        assert.deepStrictEqual((await runWithExceptions(images, args(images, DEPLOYMENT, workload(DEPLOYMENT)))).notices, []);
    });

    it("registries are settings", async () => {
        await assertNoResourceViolations(images, args(images, DEPLOYMENT, imaged(`ghcr.io/acme/api@sha256:${"b".repeat(64)}`), { allowedRegistries: ["ghcr.io"] }));
        await assertNoResourceViolations(images, args(images, DEPLOYMENT, imaged("ghcr.io/acme/api:1.0.0"), { allowedRegistries: ["ghcr.io"], immutableTagRepositories: ["ghcr.io/acme/*"] }));
    });
});

describe("policy workload-host-isolation", () => {
    it("reports host namespaces, hostPath volumes and host ports", async () => {
        const spec = podSpec([{ ...container(), ports: [{ containerPort: 5000, hostPort: 5000 }] }]);
        Object.assign(spec, { hostNetwork: true, hostPID: true, hostIPC: true, volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] });
        const violations = await assertViolationCount(host, args(host, DEPLOYMENT, workload(DEPLOYMENT, spec)), 5);
        assert.deepStrictEqual(violations.map((v) => /\((CKV_K8S_\d+)\)/.exec(v.message)![1]), ["CKV_K8S_19", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_27", "CKV_K8S_26"]);
        assert.match(violations[3].message, /volume "docker" mounts the node's "\/var\/run\/docker\.sock" \(hostPath\).*Fix: replace spec\.template\.spec\.volumes\[0\] with an emptyDir/);
    });
});

describe("policy workload-secrets-as-files", () => {
    const withEnv = (image: string) =>
        withPod(STATEFUL_SET, (spec) => {
            spec.containers[0].image = image;
            spec.containers[0].env = [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }, { name: "PLAIN", value: "x" }];
            spec.containers[0].envFrom = [{ secretRef: { name: "all" } }, { configMapRef: { name: "config" } }];
        });

    it("reports Secrets read as environment variables, naming them", async () => {
        const [v] = await assertViolationCount(secretsAsFiles, args(secretsAsFiles, STATEFUL_SET, withEnv("public.ecr.aws/acme/api@sha256:" + "c".repeat(64))), 1);
        assert.match(v.message, /container "app" reads Secrets as environment variables \(DB_PASSWORD from Secret db; every key of Secret all\) \(CKV_K8S_35\)\. Fix: mount the Secret as a volume/);
    });

    it("passes images documented to take credentials from the environment (and lists them)", async () => {
        const outcome = await runWithExceptions(secretsAsFiles, args(secretsAsFiles, STATEFUL_SET, withEnv(`${MYSQL}:8.4.11`)));
        assert.deepStrictEqual(outcome.violations, []);
        assert.deepStrictEqual(outcome.excepted.map((e) => e.exceptionId), ["credentials-in-environment"]);
    });
});

describe("policy workload-pod-security: the rest of the restricted standard", () => {
    it("reports volume types, sysctls, unmasked /proc, unconfined AppArmor and other SELinux types, which admission would refuse", async () => {
        const spec = podSpec([{ ...container(), securityContext: { ...container().securityContext, procMount: "Unmasked", seLinuxOptions: { type: "spc_t" } } }]);
        spec.volumes = [{ name: "tmp", emptyDir: {} }, { name: "nfs", nfs: { server: "10.0.0.1", path: "/" } }];
        spec.securityContext = { ...spec.securityContext, sysctls: [{ name: "net.core.somaxconn", value: "1024" }], appArmorProfile: { type: "Unconfined" } };
        const violations = await assertViolationCount(security, args(security, DEPLOYMENT, workload(DEPLOYMENT, spec)), 5);
        assert.match(violations[0].message, /volume "nfs" is of type nfs, which the restricted Pod Security Standard refuses .*Fix: use one of configMap, csi, .* for volumes\[1\] in spec\.template\.spec\./);
        assert.deepStrictEqual(
            violations.slice(1).map((v) => /: (.*), which the restricted/.exec(v.message)![1]),
            ["the pod sets sysctls", "the pod runs without AppArmor (Unconfined)", 'container "app" unmasks /proc (procMount Unmasked)', 'container "app" sets SELinux type spc_t'],
        );
    });
});
