/**
 * The CrossGuard policy pack of the platform. Run it with a stack's preview:
 *   pulumi preview --policy-pack policies --policy-pack-config policies/config/<environment>.json
 * The policies live in one module per area; all.ts lists them.
 */
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES } from "./all";

new PolicyPack("gitops-platform", { policies: ALL_POLICIES });
