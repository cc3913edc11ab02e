// Mocha loads the TypeScript sources through the repository's loader (tools/ts-hook.js): SWC, each file transpiled
// once per content, V8's compile cache for every module; no type checking (`npm run typecheck` does that). Source
// maps inline, so a failing test's stack points at the .ts line.
"use strict";
require("../tools/ts-hook").register({ sourceMaps: true });
// "Today" is an input (lib/today.ts): the suite pins it, so no test depends on the day it runs. Tests of date logic
// pass their own dates.
process.env.GITOPS_TODAY = "2026-11-25";
