/**
 * The manifest tests render with the plan's renderer (lib/workloads.ts): an overlay as it is in Git (no options of
 * an Application's), and an overlay with an Application's `spec.source.kustomize` applied the way ArgoCD applies it.
 */
export { KustomizeImage, renderWorkloads, setImages } from "../../lib/workloads";
