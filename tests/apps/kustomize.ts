/**
 * The manifest tests render with the plan's renderer (lib/workloads.ts): `kubectl kustomize` of an overlay as it
 * is in Git, and of an overlay with an Application's `spec.source.kustomize` applied the way ArgoCD applies it.
 */
export { KustomizeImage, kustomizeBuild, renderAsArgoCD, renderWorkloads, setImages } from "../../lib/workloads";
