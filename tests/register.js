// Mocha compiles the TypeScript sources on the fly with SWC: fast, no type checking (`npm run typecheck` does that).
"use strict";
require("ts-node").register({ swc: true });
