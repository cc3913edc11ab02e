import * as assert from "assert";
import { parse } from "yaml";
import { LayerRun } from "../../lib/offline";
import { CERTIFICATE_ARN, objectOf, release, reveal, runPlatform, validateObject } from "./helpers";

const ANNOTATION = (name: string) => `alb.ingress.kubernetes.io/${name}`;

/** The load-balancer-level annotations every member of the ALB group must share. */
function assertPublicGroupMember(annotations: Record<string, string>, run: LayerRun, env: string): void {
    assert.strictEqual(annotations[ANNOTATION("scheme")], "internet-facing");
    assert.strictEqual(annotations[ANNOTATION("target-type")], "ip");
    assert.strictEqual(annotations[ANNOTATION("group.name")], `gitops-${env}`);
    assert.deepStrictEqual(JSON.parse(annotations[ANNOTATION("listen-ports")]), [{ HTTP: 80 }, { HTTPS: 443 }]);
    assert.strictEqual(annotations[ANNOTATION("ssl-redirect")], "443", "HTTP only redirects to HTTPS");
    assert.strictEqual(annotations[ANNOTATION("certificate-arn")], CERTIFICATE_ARN);
    assert.strictEqual(annotations[ANNOTATION("ssl-policy")], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.strictEqual(annotations[ANNOTATION("wafv2-acl-arn")], run.outputs.wafAclArn);
    assert.strictEqual(
        annotations[ANNOTATION("load-balancer-attributes")],
        `access_logs.s3.enabled=true,access_logs.s3.bucket=${run.outputs.albAccessLogsBucket},access_logs.s3.prefix=alb,routing.http.drop_invalid_header_fields.enabled=true`,
    );
}

describe("platform exposed through the ALB (staging, hostnames and a certificate, infra of another organization)", () => {
    let run: LayerRun;
    before(async () => {
        const config = {
            "platform:organization": "acme-infra",
            "platform:certificateArn": CERTIFICATE_ARN,
            "platform:argocdHostname": "argocd.staging.example.com",
            "platform:grafanaHostname": "grafana.staging.example.com",
            "platform:alarmEmail": "oncall@example.com",
        };
        run = await runPlatform("staging", config, "acme-infra");
    });

    it("platform:organization names the organization of the infra stack reference", () => {
        assert.strictEqual(run.one("pulumi:pulumi:StackReference").inputs.name, "acme-infra/infra/staging");
    });

    it("ArgoCD: an ALB Ingress (chart's aws mode: gRPC to its own target group) in the environment's group, HTTPS to the server", () => {
        const v = release(run, "argo-cd").inputs.values;
        const ingress = v.server.ingress;
        assert.strictEqual(ingress.enabled, true);
        assert.strictEqual(ingress.controller, "aws");
        assert.strictEqual(ingress.ingressClassName, "alb");
        assert.strictEqual(ingress.hostname, "argocd.staging.example.com");
        assertPublicGroupMember(ingress.annotations, run, "staging");
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

    it("Grafana: an Ingress in the same group with the same load balancer settings", () => {
        const grafana = release(run, "kube-prometheus-stack").inputs.values.grafana;
        assert.strictEqual(grafana.ingress.enabled, true);
        assert.strictEqual(grafana.ingress.ingressClassName, "alb");
        assert.deepStrictEqual(grafana.ingress.hosts, ["grafana.staging.example.com"]);
        assertPublicGroupMember(grafana.ingress.annotations, run, "staging");
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

    it("workload namespaces from settings get the baseline, and only they (with argocd and monitoring) may use the secret store", () => {
        const workloads = run.ofType("kubernetes:core/v1:Namespace").filter((n) => n.inputs.metadata.labels["gitops/owner"] === "workloads");
        assert.deepStrictEqual(workloads.map((n) => n.inputs.metadata.name), ["shop", "payments"]);
        for (const ns of ["shop", "payments"]) {
            const names = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.namespace === ns).map((p) => p.inputs.metadata.name);
            assert.deepStrictEqual(names.sort(), ["allow-dns", "allow-prometheus-scrape", "default-deny"]);
        }
        assert.deepStrictEqual(run.one("kubernetes:external-secrets.io/v1:ClusterSecretStore").inputs.spec.conditions, [{ namespaces: ["argocd", "monitoring", "shop", "payments"] }]);
        assert.deepStrictEqual(run.outputs.workloadNamespaces, ["shop", "payments"]);
    });

    it("a chart version override is what gets installed", () => {
        assert.strictEqual(release(run, "metrics-server").inputs.version, "3.13.0");
    });
});
