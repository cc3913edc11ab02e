/**
 * The extension drill: in a temporary copy of the repository, add a fifth service exactly as the README's checklist
 * says (tools/extending.ts: one action per step, in its order), then the suites the change affects run in that copy
 * (tests/run.ts starts them beside the rest of `npm test`). A test list or table that ignores the catalogue, or a
 * quota or policy that does not follow it, fails here before a fork finds it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lib/environment";
import { ADD_SERVICE_STEPS } from "../../tools/extending";

/** The service the drill adds, and the one it copies (the checklist's example). */
export const DRILL_SERVICE = "review-service";
const TEMPLATE = "product-service";

/** The suites that read the catalogue or render the workloads: what adding a service affects. */
export const DRILL_SUITES = [
    "tests/apps/*.spec.ts",
    "tests/platform/*.spec.ts",
    "tests/infra/infra.spec.ts",
    "tests/ci/services.spec.ts",
    "tests/ci/layers.spec.ts",
    "tests/capacity.spec.ts",
    "tests/policies/whole-graph.spec.ts",
];

const git = (cwd: string, args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function edit(file: string, change: (text: string) => string): void {
    const before = fs.readFileSync(file, "utf8");
    const after = change(before);
    if (after === before) throw new Error(`the drill changed nothing in ${file}: the checklist and the repository have drifted apart`);
    fs.writeFileSync(file, after);
}

function copyTree(from: string, to: string, rename: [string, string]): void {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
        const source = path.join(from, entry.name);
        const target = path.join(to, entry.name.split(rename[0]).join(rename[1]));
        if (entry.isDirectory()) {
            fs.mkdirSync(target, { recursive: true });
            copyTree(source, target, rename);
        } else {
            fs.writeFileSync(target, fs.readFileSync(source, "utf8").split(rename[0]).join(rename[1]));
        }
    }
}

/** One action per step of ADD_SERVICE_STEPS, in order; the last step (check and deliver) is the suites' run. */
const ACTIONS: ((root: string) => void)[] = [
    // 1. Catalogue: the name and its entry, sized like the shop's services.
    (root) =>
        edit(path.join(root, "lib", "catalogue.ts"), (text) =>
            text
                .replace(/(export const WORKLOAD_NAMES = \[[^\]]*)\] as const;/, `$1, "${DRILL_SERVICE}"] as const;`)
                .replace(
                    /(export const WORKLOADS: Record<WorkloadName, Workload> = \{\n)/,
                    `$1    "${DRILL_SERVICE}": { name: "${DRILL_SERVICE}", tier: "backend", ecrImage: "${DRILL_SERVICE}", requires: ["mysql", "redis"], secrets: ["mysql", "redis", "session"], port: 5000, controller: "Deployment", sizing: PYTHON_SERVICE },\n`,
                ),
        ),
    // 2. Sources: an app.py and its tests on the kit (the template's, renamed).
    (root) => copyTree(path.join(root, "apps", "services", TEMPLATE), mkdir(path.join(root, "apps", "services", DRILL_SERVICE)), [TEMPLATE, DRILL_SERVICE]),
    // 3. Manifests: the template's workload, renamed; sized like the catalogue says (the template's sizing); never released.
    (root) => {
        const dir = mkdir(path.join(root, "apps", "workloads", DRILL_SERVICE));
        copyTree(path.join(root, "apps", "workloads", TEMPLATE), dir, [TEMPLATE, DRILL_SERVICE]);
        for (const env of ["staging", "production"]) {
            const file = path.join(dir, "overlays", env, "kustomization.yaml");
            const pinned = fs.readFileSync(file, "utf8").replace(/digest: sha256:[0-9a-f]{64}/, `digest: sha256:${"0".repeat(64)}`);
            if (!pinned.includes(`name: ${DRILL_SERVICE}\n    digest: sha256:${"0".repeat(64)}`)) throw new Error(`${file}: no digest pin of ${DRILL_SERVICE} to reset`);
            fs.writeFileSync(file, pinned);
        }
    },
    // 4. Network: nobody calls it (no ingress); it calls MySQL and Redis, whose policies admit it.
    (root) => {
        edit(path.join(root, "apps", "workloads", DRILL_SERVICE, "base", "networkpolicy.yaml"), (text) => text.replace(/ {2}ingress:\n[\s\S]*?\n {2}egress:/, "  ingress: []\n  egress:"));
        for (const peer of ["mysql", "redis"]) {
            edit(path.join(root, "apps", "workloads", peer, "base", "networkpolicy.yaml"), (text) => text.replace(/values: \[([^\]]*-service)\]/, `values: [$1, ${DRILL_SERVICE}]`));
        }
    },
    // 5. Check: the suites run in the copy (tests/run.ts); the copy is a repository of its own (the plan's --base needs history).
    (root) => {
        git(root, ["init", "-q"]);
        fs.appendFileSync(path.join(root, ".git", "info", "exclude"), "node_modules\n");
        git(root, ["add", "-A"]);
        git(root, ["-c", "user.name=drill", "-c", "user.email=drill@example.com", "commit", "-q", "-m", `add ${DRILL_SERVICE} by the README's checklist`]);
    },
];

function mkdir(dir: string): string {
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

/** Files of the checkout as a clone has them (tracked, and new files git does not ignore). */
function checkoutFiles(root: string): string[] {
    return git(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .split("\0")
        .filter((f) => f && fs.existsSync(path.join(root, f)));
}

/**
 * Makes the drill's copy: this checkout's files (node_modules shared, by a link), the checklist applied. Returns
 * its directory; the caller removes it.
 */
export function prepareDrill(root: string = REPO_ROOT, into: string = fs.mkdtempSync(path.join(os.tmpdir(), "extension-drill-"))): string {
    if (ACTIONS.length !== ADD_SERVICE_STEPS.length) throw new Error(`the drill has ${ACTIONS.length} actions for the checklist's ${ADD_SERVICE_STEPS.length} steps`);
    for (const file of checkoutFiles(root)) {
        const target = path.join(into, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(root, file), target);
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(into, "node_modules"), "dir");
    ACTIONS.forEach((apply, i) => {
        try {
            apply(into);
        } catch (error) {
            throw new Error(`drill step ${i + 1} (${ADD_SERVICE_STEPS[i].title}): ${(error as Error).message}`);
        }
    });
    return into;
}
