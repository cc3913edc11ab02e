import * as assert from "assert";
import { parse } from "yaml";
import { LayerRun } from "../../lib/offline";
import { CERTIFICATE_ARN, objectOf, release, reveal, runPlatform, validateObject } from "./helpers";
import { DEFAULT_WORKLOAD_NAMESPACES } from "../../platform/settings";

const ANNOTATION = (name: string) => `alb.ingress.kubernetes.io/${name}`;

/** What a public Ingress sets itself: listeners, its backend and checks; never the load balancer's settings (its class's). */
function assertOwnAnnotationsOnly(annotations: Record<string, string>): void {
    assert.deepStrictEqual(JSON.parse(annotations[ANNOTATION("listen-ports")]), [{ HTTP: 80 }, { HTTPS: 443 }]);
    for (const key of ["group.name", "scheme", "target-type", "ssl-redirect", "certificate-arn", "ssl-policy", "wafv2-acl-arn", "load-balancer-attributes", "inbound-cidrs"]) {
        assert.ok(!(ANNOTATION(key) in annotations), `${key} belongs to the class`);
    }
}

/** The IngressClassParams of a class, by the class's name. */
function classParams(run: LayerRun, className: string): Record<string, any> {
    const ingressClass = run.ofType("kubernetes:networking.k8s.io/v1:IngressClass").find((c) => c.inputs.metadata.name === className)!;
    assert.ok(ingressClass, className);
    assert.strictEqual(ingressClass.inputs.spec.controller, "ingress.k8s.aws/alb");
    const params = run.ofType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams").find((p) => p.inputs.metadata.name === ingressClass.inputs.spec.parameters.name)!;
    assert.deepStrictEqual(ingressClass.inputs.spec.parameters, { apiGroup: "elbv2.k8s.aws", kind: "IngressClassParams", name: className });
    return params.inputs.spec;
}

/** The load balancer's settings a public class fixes for all its Ingresses. */
function assertPublicClass(spec: Record<string, any>, run: LayerRun, group: string, namespaces: string[]): void {
    assert.deepStrictEqual(spec.group, { name: group });
    assert.deepStrictEqual(spec.namespaceSelector, { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }] });
    assert.strictEqual(spec.scheme, "internet-facing");
    assert.strictEqual(spec.targetType, "ip");
    assert.strictEqual(spec.sslRedirectPort, "443", "HTTP only redirects to HTTPS");
    assert.deepStrictEqual(spec.certificateArn, [CERTIFICATE_ARN]);
    assert.strictEqual(spec.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.strictEqual(spec.wafv2AclArn, run.outputs.wafAclArn);
    assert.deepStrictEqual(spec.loadBalancerAttributes, [
        { key: "access_logs.s3.enabled", value: "true" },
        { key: "access_logs.s3.bucket", value: run.outputs.albAccessLogsBucket },
        { key: "access_logs.s3.prefix", value: "alb" },
        { key: "routing.http.drop_invalid_header_fields.enabled", value: "true" },
    ]);
}

describe("platform exposed through the ALB (staging, hostnames and a certificate, infra of another organization)", () => {
    let run: LayerRun;
    before(async () => {
        const config = {
            "platform:organization": "acme-infra",
            "platform:certificateArn": CERTIFICATE_ARN,
            "platform:argocdHostname": "argocd.staging.example.com",
            "platform:grafanaHostname": "grafana.staging.example.com",
            // No SSO: the platform's load balancer accepts only these sources.
            "platform:uiAccessCidrs": ["203.0.113.0/24", "198.51.100.7/32"],
            "platform:alarmEmail": "oncall@example.com",
        };
        run = await runPlatform("staging", config, "acme-infra");
    });

    it("platform:organization names the organization of the infra stack reference", () => {
        assert.strictEqual(run.one("pulumi:pulumi:StackReference").inputs.name, "acme-infra/infra/staging");
    });

    it("two IngressClasses: the platform's (argocd, monitoring; its own ALB, only from uiAccessCidrs) and the workloads' (their namespaces; another ALB)", async () => {
        const platform = classParams(run, "alb-platform");
        assertPublicClass(platform, run, "gitops-staging-platform", ["argocd", "monitoring"]);
        assert.deepStrictEqual(platform.inboundCIDRs, ["203.0.113.0/24", "198.51.100.7/32"]);
        const workloads = classParams(run, "alb");
        assertPublicClass(workloads, run, "gitops-staging", DEFAULT_WORKLOAD_NAMESPACES);
        assert.strictEqual(workloads.inboundCIDRs, undefined, "the shop is public");
        assert.strictEqual(run.outputs.ingressClass, "alb");
        assert.strictEqual(run.outputs.albGroupName, "gitops-staging");
        // No Ingress can bypass its class: the deprecated class annotation and the group annotation are off.
        const v = release(run, "aws-load-balancer-controller").inputs.values;
        assert.strictEqual(v.createIngressClassResource, false);
        assert.strictEqual(v.disableIngressClassAnnotation, true);
        assert.strictEqual(v.disableIngressGroupNameAnnotation, true);
        for (const c of run.ofType("kubernetes:networking.k8s.io/v1:IngressClass")) assert.strictEqual(c.inputs.metadata.annotations, undefined, "no default class");
        for (const p of run.ofType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")) assert.ok(p.dependsOn.includes(release(run, "aws-load-balancer-controller").urn));
    });

    it("ArgoCD: an Ingress of the platform's class (chart's aws mode: gRPC to its own target group), HTTPS to the server", () => {
        const v = release(run, "argo-cd").inputs.values;
        const ingress = v.server.ingress;
        assert.strictEqual(ingress.enabled, true);
        assert.strictEqual(ingress.controller, "aws");
        assert.strictEqual(ingress.ingressClassName, "alb-platform");
        assert.strictEqual(ingress.hostname, "argocd.staging.example.com");
        assertOwnAnnotationsOnly(ingress.annotations);
        assert.strictEqual(ingress.annotations[ANNOTATION("backend-protocol")], "HTTPS");
        assert.strictEqual(ingress.annotations[ANNOTATION("healthcheck-path")], "/healthz");
        assert.deepStrictEqual(ingress.aws, {
            backendProtocolVersion: "GRPC",
            serviceType: "ClusterIP",
            serviceAnnotations: { [ANNOTATION("healthcheck-path")]: "/grpc.health.v1.Health/Check", [ANNOTATION("success-codes")]: "0" },
        });
        assert.deepStrictEqual(v.global, { domain: "argocd.staging.example.com" });
        assert.strictEqual(v.configs.cm.url, "https://argocd.staging.example.com");
        assert.strictEqual(run.outputs.argocdServerUrl, "https://argocd.staging.example.com");
    });

    it("ArgoCD notifications: exposed, each commit status links to the Application in ArgoCD", () => {
        const n = release(run, "argo-cd").inputs.values.notifications;
        assert.strictEqual(n.argocdUrl, "https://argocd.staging.example.com");
        for (const template of Object.values(n.templates) as string[]) {
            assert.strictEqual(parse(template).github.status.targetURL, "{{.context.argocdUrl}}/applications/{{.app.metadata.namespace}}/{{.app.metadata.name}}?operation=true");
        }
    });

    it("Grafana: an Ingress of the platform's class, beside ArgoCD on the platform's ALB", () => {
        const grafana = release(run, "kube-prometheus-stack").inputs.values.grafana;
        assert.strictEqual(grafana.ingress.enabled, true);
        assert.strictEqual(grafana.ingress.ingressClassName, "alb-platform");
        assert.deepStrictEqual(grafana.ingress.hosts, ["grafana.staging.example.com"]);
        assertOwnAnnotationsOnly(grafana.ingress.annotations);
        assert.strictEqual(grafana["grafana.ini"].server.root_url, "https://grafana.staging.example.com");
        assert.strictEqual(run.outputs.grafanaUrl, "https://grafana.staging.example.com");
        assert.strictEqual(run.outputs.certificateArn, CERTIFICATE_ARN);
    });

    it("alarms: an e-mail subscription to the topic", () => {
        const subs = run.ofType("aws:sns/topicSubscription:TopicSubscription");
        assert.deepStrictEqual(
            subs.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]),
            [["email", "oncall@example.com", run.outputs.alarmTopicArn]],
        );
    });
});

describe("platform with SSO, PagerDuty and its own namespaces (production)", () => {
    let run: LayerRun;
    before(async () => {
        run = await runPlatform("production", {
            "platform:certificateArn": CERTIFICATE_ARN,
            "platform:argocdHostname": "argocd.example.com",
            "platform:argocdAdminGroup": "acme:platform",
            "platform:argocdSso": { name: "Acme SSO", issuer: "https://login.example.com/realms/acme", clientId: "argocd" },
            "platform:alertmanagerPagerDutySecret": "pagerduty/routing-key",
            "platform:alarmPagerDutyUrlSecret": "pagerduty/cloudwatch-url",
            "platform:workloadNamespaces": ["shop", "payments"],
            "platform:chartVersions": { "metrics-server": "3.13.0" },
        });
    });

    it("ArgoCD: the local admin is off, OIDC with the client secret from Secrets Manager, the group from settings is admin", async () => {
        const v = release(run, "argo-cd").inputs.values;
        assert.strictEqual(v.configs.cm["admin.enabled"], false);
        assert.deepStrictEqual(parse(v.configs.cm["oidc.config"]), {
            name: "Acme SSO",
            issuer: "https://login.example.com/realms/acme",
            clientID: "argocd",
            clientSecret: "$argocd-oidc:clientSecret",
            requestedScopes: ["openid", "profile", "email", "groups"],
        });
        assert.strictEqual(v.configs.rbac["policy.csv"], "g, acme:platform, role:admin\n");
        assert.strictEqual(v.configs.rbac["policy.default"], "role:readonly");
        const es = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.inputs.metadata.name === "argocd-oidc")!;
        assert.deepStrictEqual(es.inputs.spec.target, { name: "argocd-oidc", creationPolicy: "Owner", template: { metadata: { labels: { "app.kubernetes.io/part-of": "argocd" } } } });
        assert.deepStrictEqual(es.inputs.spec.data, [{ secretKey: "clientSecret", remoteRef: { key: "argocd/oidc-client-secret" } }]);
        assert.ok(release(run, "argo-cd").dependsOn.includes(es.urn), "ArgoCD starts with its OIDC secret");
        await validateObject(objectOf(es));
    });

    it("Alertmanager: critical alerts page PagerDuty with the routing key mounted from a synced Secret", async () => {
        const am = release(run, "kube-prometheus-stack").inputs.values.alertmanager;
        assert.deepStrictEqual(am.alertmanagerSpec.secrets, ["alertmanager-pagerduty"]);
        assert.deepStrictEqual(am.config.receivers[1], {
            name: "pagerduty",
            pagerduty_configs: [{ routing_key_file: "/etc/alertmanager/secrets/alertmanager-pagerduty/routing-key", send_resolved: true }],
        });
        assert.deepStrictEqual(am.config.route.routes[2], { receiver: "pagerduty", matchers: ['severity = "critical"'] });
        const es = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.inputs.metadata.name === "alertmanager-pagerduty")!;
        assert.strictEqual(es.inputs.metadata.namespace, "monitoring");
        assert.deepStrictEqual(es.inputs.spec.data, [{ secretKey: "routing-key", remoteRef: { key: "pagerduty/routing-key" } }]);
        await validateObject(objectOf(es));
    });

    it("alarms: a PagerDuty subscription whose URL is read from Secrets Manager and kept secret", () => {
        const call = run.calls.find((c) => c.token === "aws:secretsmanager/getSecretVersion:getSecretVersion")!;
        assert.strictEqual(call.inputs.secretId, "gitops-production/pagerduty/cloudwatch-url");
        const sub = run.one("aws:sns/topicSubscription:TopicSubscription");
        assert.strictEqual(sub.inputs.protocol, "https");
        assert.strictEqual(sub.inputs.endpointAutoConfirms, true);
        assert.ok(reveal(sub.inputs.endpoint) !== sub.inputs.endpoint, "the endpoint is a secret");
        assert.strictEqual(reveal(sub.inputs.endpoint), "mock-secret-value-of:gitops-production/pagerduty/cloudwatch-url");
    });

    it("workload namespaces from settings get the baseline, and only they may use the workloads' secret store and IngressClass", () => {
        const workloads = run.ofType("kubernetes:core/v1:Namespace").filter((n) => n.inputs.metadata.labels["gitops/owner"] === "workloads");
        assert.deepStrictEqual(workloads.map((n) => n.inputs.metadata.name), ["shop", "payments"]);
        for (const ns of ["shop", "payments"]) {
            const names = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.namespace === ns).map((p) => p.inputs.metadata.name);
            assert.deepStrictEqual(names.sort(), ["allow-dns", "allow-prometheus-scrape", "default-deny"]);
        }
        const store = run.ofType("kubernetes:external-secrets.io/v1:ClusterSecretStore").find((st) => st.inputs.metadata.name === "aws-secrets-manager")!;
        assert.deepStrictEqual(store.inputs.spec.conditions, [{ namespaces: ["shop", "payments"] }]);
        assertPublicClass(classParams(run, "alb"), run, "gitops-production", ["shop", "payments"]);
        // With SSO the platform's load balancer may face the internet.
        assert.strictEqual(classParams(run, "alb-platform").inboundCIDRs, undefined);
        assert.deepStrictEqual(run.outputs.workloadNamespaces, ["shop", "payments"]);
    });

    it("a chart version override is what gets installed", () => {
        assert.strictEqual(release(run, "metrics-server").inputs.version, "3.13.0");
    });
});
