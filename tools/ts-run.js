#!/usr/bin/env node
/**
 * Runs a TypeScript tool of this repository with Node alone: `node tools/ts-run.js tools/plan.ts <args>`.
 *
 * Each .ts file is transpiled by SWC once per content and kept in node_modules/.cache/eks-gitops-platform/ts, and
 * Node's compile cache keeps V8's bytecode of every module (the SDKs too) in .../v8: a run compiles only what
 * changed since the last one, where ts-node loads TypeScript and compiles every file at every run. No type check
 * (`npm run typecheck` does that) and no source maps (the plan reports user errors as messages, not stack traces).
 */
"use strict";
const path = require("path");
const Module = require("module");
require("./ts-hook").register();

const [script, ...args] = process.argv.slice(2);
if (!script) {
    console.error("usage: node tools/ts-run.js <file.ts> [args...]");
    process.exit(2);
}
process.argv = [process.argv[0], path.resolve(script), ...args];
Module.runMain();
