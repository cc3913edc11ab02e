/**
 * One side of a plan: an environment of a checkout (this working tree, or the --base ref's temporary worktree)
 * evaluated under the offline engine, with its workloads rendered as ArgoCD renders them, its cost and its
 * capacity. The rendered objects are computed once per side and handed to everything that reads them (cost,
 * capacity, and the policy checks of the head side).
 */
import { EnvironmentRun, Layer, LAYERS, RecordedResource, runEnvironment } from "../lib/offline";
import { applicationSources, KubeObject, RenderedObject, renderWorkloads } from "../lib/workloads";
import { REPO_ROOT } from "../lib/environment";
import { CapacityReport, environmentCapacity } from "./capacity";
import { CostEstimate, estimateCost } from "./cost";
import { countNodes, PlanNode, resourceTree } from "./plan-tree";
import { pricesFor } from "./prices";

export interface LayerPlan {
    layer: Layer;
    resourceCount: number;
    tree: PlanNode[];
}

export interface SideOptions {
    env: string;
    /** Only this layer is shown (the layers before it still run, to feed it). */
    layer?: Layer;
    /** Settings overriding the settings file (--config). */
    config?: Record<string, unknown>;
    /** The checkout: this repository by default. */
    root?: string;
}

/** The workloads ArgoCD would sync, rendered from the checkout (with the file of each); `error` when kubectl could not render them. */
export interface RenderedWorkloads {
    objects: KubeObject[];
    rendered: RenderedObject[];
    error?: string;
}

/** A side evaluated: the layers' runs, and the renders still running on kubectl. */
export interface SideRun {
    options: SideOptions;
    graph: EnvironmentRun;
    /** The layers shown, in order. */
    shown: Layer[];
    /** The resources of the shown layers. */
    resources: RecordedResource[];
    rendered: Promise<RenderedWorkloads>;
}

/** Evaluates the layers of a side and starts its renders (kubectl works on the other core while the caller goes on). */
export async function evaluateSide(options: SideOptions): Promise<SideRun> {
    const through = options.layer ?? "apps";
    const shown = options.layer ? [options.layer] : LAYERS.slice(0, LAYERS.indexOf(through) + 1);
    const graph = await runEnvironment(options.env, { through, config: options.config, root: options.root });
    const rendered: Promise<RenderedWorkloads> = graph.apps
        ? renderWorkloads(applicationSources(graph.apps.resources), { root: options.root ?? REPO_ROOT }).then(
              (rendered) => ({ objects: rendered.map((r) => r.object), rendered }),
              (error: Error) => ({ objects: [], rendered: [], error: error.message.split("\n")[0] }),
          )
        : Promise.resolve({ objects: [], rendered: [] });
    return { options, graph, shown, resources: shown.flatMap((l) => graph[l]!.resources), rendered };
}

/** A side planned: what it creates, what it costs, whether it fits, what it warned about. */
export interface SidePlan {
    run: SideRun;
    layers: LayerPlan[];
    region: string;
    cost: CostEstimate;
    /** Undefined when the graph does not reach apps (--layer) or its node type is unknown; `capacityNote` says why. */
    capacity?: CapacityReport;
    capacityNote?: string;
    /** The programs' warnings (settings, pulumi.log.warn), prefixed with their layer, then the cost's and the capacity's. */
    warnings: string[];
    rendered: RenderedWorkloads;
}

export async function planSide(run: SideRun): Promise<SidePlan> {
    const rendered = await run.rendered;
    const { graph, shown } = run;
    const region = String(graph.infra.outputs.region ?? "us-east-1");
    const cost = estimateCost(
        {
            resources: run.resources,
            loadBalancers: loadBalancers(graph, shown),
            availabilityZones: graph.infra.outputs.privateSubnetIds.length,
            region,
            manifests: rendered.objects,
        },
        pricesFor(region).prices,
    );
    let capacity: CapacityReport | undefined;
    let capacityNote: string | undefined;
    const warnings = shown.flatMap((layer) => graph[layer]!.warnings.map((w) => (w.startsWith(`${layer}:`) ? w : `${layer}: ${w}`)));
    warnings.push(...cost.warnings.map((w) => `cost: ${w}`));
    if (!graph.apps) {
        capacityNote = "capacity is checked on whole plans (the workloads come with apps): run without --layer, or with --layer apps";
    } else if (rendered.error) {
        capacityNote = "not checked: the workloads could not be rendered";
        warnings.push(`workloads: not rendered, so neither their pods (the capacity) nor their volumes (the cost) are counted: ${rendered.error}`);
    } else {
        capacity = environmentCapacity(graph.resources, rendered.objects);
        if (!capacity) {
            capacityNote = "not checked: no node group of an instance type lib/instance-types.ts knows";
            warnings.push(`capacity: ${capacityNote}`);
        }
        warnings.push(...(capacity?.warnings ?? []).map((w) => `capacity: ${w}`));
    }
    const layers = shown.map((layer) => {
        const tree = resourceTree(graph[layer]!.resources);
        return { layer, resourceCount: countNodes(tree), tree };
    });
    return { run, layers, region, cost, capacity, capacityNote, warnings, rendered };
}

/** An ALB for the platform's UIs when ArgoCD or Grafana is exposed, another for the workloads' public Ingresses (lib/alb.ts). */
function loadBalancers(graph: EnvironmentRun, shown: Layer[]): number {
    const platform = Boolean(graph.platform && (graph.platform.outputs.argocdServerUrl || graph.platform.outputs.grafanaUrl)) && shown.includes("platform");
    const workloads = Boolean(graph.apps?.outputs.frontendUrl) && shown.includes("apps");
    return Number(platform) + Number(workloads);
}
