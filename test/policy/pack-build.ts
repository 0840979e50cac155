/**
 * What the policy pack's entry point (policy/index.js) decides at start, for the tests that
 * check it: policy/stamp.js's freshness check of the compiled policy/bin, and the note the entry
 * point writes on stderr when it falls back to the TypeScript sources.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain-JS module of the pack
export const { checkBuild } = require("../../policy/stamp") as {
  checkBuild(packDir: string): { entry?: string; reason?: string };
};

/** The entry point's note when policy/bin is stale or missing; group 1 is the reason. */
export const STALE_NOTE =
  /^policy\/bin is stale or missing \((.+)\): type-checking the TypeScript sources \(run npm run build:policy to start faster\)$/m;
