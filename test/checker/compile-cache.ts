import * as path from "node:path";

/**
 * The environment `npm run check` gives the packs and program workers it starts
 * (checker/main.js): Node's on-disk compile cache, for faster starts with the same behaviour.
 * Passed to them explicitly, so this process's own environment is left as it is.
 */
export const COMPILE_CACHE_ENV: NodeJS.ProcessEnv = {
  NODE_COMPILE_CACHE:
    process.env.NODE_COMPILE_CACHE ??
    path.join(__dirname, "..", "..", "node_modules", ".cache", "management-bootstrap-check"),
};
