// Mocha compiles the TypeScript sources on the fly with SWC: fast, no type checking (`npm run typecheck` does that).
"use strict";
require("ts-node").register({ swc: true });
// "Today" is an input (lib/today.ts): the suite pins it, so no test depends on the day it runs. Tests of date logic
// pass their own dates.
process.env.GITOPS_TODAY = "2026-11-25";
