/**
 * apps: the GitOps side of an environment. Generated credentials for the data stores, the private-repository
 * connection when needed, and the App-of-Apps (AppProject + one ArgoCD Application per workload of
 * apps/workloads). Reads infra and platform through StackReferences. Exports the contract in contract.ts.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { resolveEnvironment } from "../lib/environment";
import { readLayer, referenceOrganization } from "../lib/layer-reference";
import { standardTags } from "../lib/tags";
import { AppOfApps } from "./app-of-apps";
import { WORKLOADS } from "../lib/catalogue";
import { AppsOutputs } from "./contract";
import { WorkloadCredentials } from "./credentials";
import { frontendUrl, subnetCidrs } from "./exposure";
import { checkedInputs, INFRA_INPUTS, InfraInputs, PLATFORM_INPUTS, PlatformInputs } from "./inputs";
import { kustomizeOverrides } from "./overrides";
import { RepositoryConnection } from "./repository";
import { loadAppsSettings } from "./settings";

const settings = loadAppsSettings(resolveEnvironment(pulumi.getStack()));
const { environment, workloads } = settings;

const organization = referenceOrganization(settings.organization);
const infra = readLayer<InfraInputs>("infra", INFRA_INPUTS, organization);
const platform = readLayer<PlatformInputs>("platform", PLATFORM_INPUTS, organization);
// Everything below is built from checked values: a mismatch with the manifests in Git creates nothing.
const checked = checkedInputs(infra, platform, { workloads, frontendHostname: settings.frontendHostname });

const awsProvider = new aws.Provider("aws", {
    region: infra.region as pulumi.Output<aws.Region>,
    defaultTags: { tags: infra.project.apply((project) => standardTags(environment, project)) },
});
const k8sProvider = new k8s.Provider("kubernetes", { kubeconfig: infra.kubeconfig, enableServerSideApply: true });
const opts = { providers: { aws: awsProvider, kubernetes: k8sProvider } };

// infra's githubRepository is the single source of the repository; apps:repoUrl overrides it (e.g. a mirror).
const repoUrl = settings.repoUrl ?? pulumi.interpolate`https://github.com/${checked.githubRepository}.git`;

const credentials = new WorkloadCredentials(
    "credentials",
    { secretsPrefix: checked.secretsPrefix, secrets: [...new Set(workloads.flatMap((w) => WORKLOADS[w].secrets))], kmsKeyId: infra.logsAndSecretsKeyArn, protect: settings.protect },
    opts,
);

const repository = settings.repoPrivate
    ? new RepositoryConnection(
          "repository",
          {
              namespace: checked.argocdNamespace,
              repoUrl,
              secretStoreName: checked.platformSecretStoreName,
              waitTimeoutMinutes: settings.waitForSync ? 5 : undefined,
          },
          opts,
      )
    : undefined;

// Per workload: the ECR registry of its image (the overlay keeps the tag) and, for a public frontend, its Ingress.
const hostname = settings.frontendHostname;
const kustomize = kustomizeOverrides({
    workloads,
    ecrRepositoryUrls: checked.ecrRepositoryUrls,
    frontend: hostname
        ? {
              hostname,
              ingressClass: checked.ingressClass,
              albSubnetCidrs: subnetCidrs(infra.publicSubnetIds, awsProvider),
          }
        : undefined,
});

const appOfApps = new AppOfApps(
    "app-of-apps",
    {
        environment,
        namespace: checked.argocdNamespace,
        repoUrl,
        targetRevision: settings.targetRevision,
        workloads,
        syncWindows: settings.syncWindows,
        kustomize,
        dependsOn: Object.fromEntries(
            workloads.map((w) => [
                w,
                [...WORKLOADS[w].secrets.map((s) => credentials.versions[s]!), ...(repository ? [repository.externalSecret] : [])],
            ]),
        ),
        waitForSync: settings.waitForSync,
        syncTimeoutMinutes: settings.syncTimeoutMinutes,
    },
    opts,
);

const outputs: { [K in keyof AppsOutputs]: pulumi.Input<AppsOutputs[K]> } = {
    environment,
    appProjectName: appOfApps.projectName,
    applicationNames: appOfApps.applicationNames,
    frontendUrl: frontendUrl(hostname),
};

// The stack outputs: exactly the contract.
export = outputs;
