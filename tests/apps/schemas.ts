/**
 * Validates Kubernetes objects against the schemas of kubernetes-models (Kubernetes, ArgoCD, External Secrets,
 * Prometheus operator), offline, two ways:
 * - each model's own validate() (JSON schema: required fields, types, enums, formats);
 * - unknown fields: the models' validators accept any extra property, so a typo such as `runAsNonroot` would pass.
 *   The objects are also type-checked, as object literals, against the models' TypeScript interfaces, whose
 *   excess-property check rejects every field the schema does not define.
 * The packages are ES modules only: they are loaded with a native dynamic import.
 */
import * as path from "path";
import * as ts from "typescript";
import { REPO_ROOT } from "../../lib/environment";

export type { KubeObject } from "../../lib/workloads";
import type { KubeObject } from "../../lib/workloads";

// A real `import()` (TypeScript would compile `import()` to `require()`, which these packages do not support).
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/** The kubernetes-models module of a kind: `<package>/<group>/<version>/<Kind>`. */
export function modelModule(apiVersion: string, kind: string): string {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const packages: Record<string, string> = {
        "external-secrets.io": "@kubernetes-models/external-secrets",
        "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
        "argoproj.io": "@kubernetes-models/argo-cd",
    };
    const pkg = packages[group] ?? "kubernetes-models";
    return group === "" ? `${pkg}/${version}/${kind}` : `${pkg}/${group}/${version}/${kind}`;
}

function label(o: KubeObject): string {
    return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;
}

/** Every schema problem of the objects, each naming its object ("" when none). */
export async function schemaProblems(objects: KubeObject[]): Promise<string[]> {
    const problems: string[] = [];
    for (const o of objects) {
        let model: any;
        try {
            model = (await importEsm(modelModule(o.apiVersion, o.kind)))[o.kind];
        } catch (error) {
            problems.push(`${label(o)}: no schema for ${o.apiVersion} ${o.kind} (${(error as Error).message.split("\n")[0]})`);
            continue;
        }
        if (typeof model !== "function") {
            problems.push(`${label(o)}: no schema for ${o.apiVersion} ${o.kind}`);
            continue;
        }
        try {
            new model(o).validate();
        } catch (error) {
            problems.push(`${label(o)}: ${(error as Error).message}`);
        }
    }
    problems.push(...unknownFieldProblems(objects));
    return problems;
}

const declarations = new Map<string, ts.SourceFile | undefined>();

/** Type-checks the objects as literals of their model interfaces (one compilation for all of them). */
export function unknownFieldProblems(objects: KubeObject[]): string[] {
    const file = path.join(REPO_ROOT, "tests", "apps", "__schema_check__.ts");
    const lines: string[] = [];
    const owner: number[] = [];
    objects.forEach((o, i) => {
        lines.push(`import type { I${o.kind} as T${i} } from "${modelModule(o.apiVersion, o.kind)}";`);
        owner.push(i);
    });
    objects.forEach((o, i) => {
        for (const line of `export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`.split("\n")) {
            lines.push(line);
            owner.push(i);
        }
    });
    const source = lines.join("\n");
    const host = ts.createCompilerHost({});
    const read = host.getSourceFile.bind(host);
    // The models' declaration files are the same for every check: parsed once per process.
    host.getSourceFile = (name, language, ...rest) => {
        if (path.resolve(name) === file) return ts.createSourceFile(name, source, language);
        const key = `${name}\0${typeof language === "object" ? language.languageVersion : language}`;
        if (!declarations.has(key)) declarations.set(key, read(name, language, ...rest));
        return declarations.get(key);
    };
    const program = ts.createProgram(
        [file],
        { strict: true, noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2022 },
        host,
    );
    return ts.getPreEmitDiagnostics(program).map((d) => {
        const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
        const o = line >= 0 ? objects[owner[line]] : undefined;
        return `${o ? label(o) : "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
}
