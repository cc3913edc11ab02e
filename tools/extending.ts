/**
 * The checklist for adding a service, as the README shows it (`npm run readme` renders it from here) and as the
 * extension drill performs it (tests/extending/drill.ts applies each step, in this order, to a copy of the
 * repository and runs the suites the change affects). One list, so the manual and the drill cannot drift apart.
 */

export interface ChecklistStep {
    /** A few words: what the step is about. */
    title: string;
    /** What to do, in the README's words (Markdown). */
    detail: string;
}

/** Adding a Python service `<name>-service` on the kit (the shop's services are the example to copy). */
export const ADD_SERVICE_STEPS: readonly ChecklistStep[] = [
    {
        title: "Catalogue",
        detail:
            "In `lib/catalogue.ts`, add the name to `WORKLOAD_NAMES` and its entry to `WORKLOADS`: `tier` (its namespace and sync wave), " +
            "`ecrImage` (the name), `requires` (what it connects to, which must run first), `secrets` (the generated ones it reads), `port` " +
            "(5000 for the kit), `controller: \"Deployment\"` and `sizing` per environment (`PYTHON_SERVICE` sizes it like the shop's services). " +
            "From this entry follow its ECR repository (infra), its namespace's quota and limit range (platform), its Application and its " +
            "place in the sync order (apps) and the tests' expectations. A settings file that lists `infra:ecrRepositories` needs the name too.",
    },
    {
        title: "Sources",
        detail:
            "`apps/services/<name>/app.py` and `apps/services/<name>/tests/` on the kit (`python-kit/service_kit.py`); its image builds with " +
            "`python-kit/Dockerfile`. Name it `<name>-service`: the policy exception for credentials in environment variables covers the kit's " +
            "services by that name. New tables are a new migration in `apps/services/python-kit/migrations/` (never an edit of a released one).",
    },
    {
        title: "Manifests",
        detail:
            "Copy `apps/workloads/product-service` to `apps/workloads/<name>` and rename `product-service` to `<name>` in every file; make " +
            "the overlays' replicas and resources exactly the catalogue's `sizing` (a test compares every container); pin the all-zeros " +
            "digest in both overlays' `images:` (never released: the first build pins its image).",
    },
    {
        title: "Network",
        detail:
            "In its NetworkPolicy allow exactly who calls it (ingress) and what it calls (egress: what it `requires`); on the other side, add " +
            "it to the ingress of each workload it requires (`mysql`'s and `redis`'s policies list the services) and to the egress of each " +
            "workload that calls it. Peers in another namespace are selected by `kubernetes.io/metadata.name`.",
    },
    {
        title: "Check and deliver",
        detail:
            "`npm test` renders and checks every overlay (the sizing against the catalogue, the connection matrix against `requires`, the " +
            "policies) and the layers (the repository, the quota, the IAM model); `npm run plan -- staging` shows its pods in the capacity at " +
            "the minimum and the maximum. Deliver in two pull requests to `staging`: first the catalogue and the manifests (infra creates the " +
            "repository, platform resizes the namespace, apps creates the Application), then the sources (CI builds, pushes and pins the image).",
    },
];

/** The README's numbered checklist (the `extending-service` block). */
export function addServiceChecklist(): string {
    return ADD_SERVICE_STEPS.map((s, i) => `${i + 1}. **${s.title}.** ${s.detail}`).join("\n");
}
