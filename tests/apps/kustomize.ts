/**
 * Rendering the workload manifests offline lives in the offline engine (lib/offline/render.ts), which the plan
 * uses too: the tests check the objects the plan counts.
 */
export { KustomizeImage, kustomizeBuild, renderAsArgoCD, setImages } from "../../lib/offline/render";
