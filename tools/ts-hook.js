/**
 * The TypeScript loader of the repository's own tools and tests: each .ts file is transpiled by SWC once per content
 * (and per options) and kept in node_modules/.cache/eks-gitops-platform/ts, and Node's compile cache keeps V8's
 * bytecode of every module (the SDKs too) in .../v8. No type check (`npm run typecheck` does that).
 *   require("./tools/ts-hook").register({ sourceMaps: true })   // tests: stack traces point at the .ts lines
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");

// GITOPS_CACHE_DIR moves the caches (lib/workloads.ts cacheDir; npm run bench times a first run with empty ones).
const CACHE = process.env.GITOPS_CACHE_DIR || path.join(__dirname, "..", "node_modules", ".cache", "eks-gitops-platform");
// What tsconfig.json asks of ts-node: ES2022, CommonJS with esModuleInterop, define semantics for class fields.
const BASE_OPTIONS = {
    jsc: { parser: { syntax: "typescript" }, target: "es2022", keepClassNames: true, transform: { useDefineForClassFields: true } },
    module: { type: "commonjs", strictMode: true, noInterop: false },
    swcrc: false,
    configFile: false,
};
let SWC_OPTIONS = { ...BASE_OPTIONS, sourceMaps: false };


let swc;
let salt;
function transpile(source, filename) {
    swc ??= require("@swc/core");
    return swc.transformSync(source, { ...SWC_OPTIONS, filename }).code;
}

/** The transpiled code of a file, from the cache when its content (and the compiler) are the same. */
function compiled(filename) {
    const source = fs.readFileSync(filename, "utf8");
    salt ??= `${require("@swc/core/package.json").version}\0${JSON.stringify(SWC_OPTIONS)}\0`;
    const key = crypto.createHash("sha256").update(salt).update(source).digest("hex");
    const file = path.join(CACHE, "ts", key.slice(0, 2), `${key}.js`);
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        const code = transpile(source, filename);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        // Written whole, then renamed: a concurrent run never reads half a file.
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, code);
        fs.renameSync(partial, file);
        return code;
    }
}

/** Installs the loader for .ts files (once). `sourceMaps` inlines maps and turns Node's source-map support on. */
function register(options = {}) {
    if (require.extensions[".ts"] && require.extensions[".ts"].gitops) return;
    if (typeof Module.enableCompileCache === "function") Module.enableCompileCache(path.join(CACHE, "v8"));
    if (options.sourceMaps) {
        SWC_OPTIONS = { ...BASE_OPTIONS, sourceMaps: "inline" };
        process.setSourceMapsEnabled(true);
    }
    const load = function (module, filename) {
        module._compile(compiled(filename), filename);
    };
    load.gitops = true;
    require.extensions[".ts"] = load;
}

module.exports = { register, CACHE };


