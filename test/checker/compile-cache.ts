import * as path from "node:path";

/**
 * While the checker's tests run, the packs and program workers they start use Node's on-disk
 * compile cache, as `npm run check` gives them (checker/main.js): faster starts, same
 * behaviour. Call in a `before`; the returned function (for `after`) restores the variable.
 */
export function useCompileCache(): () => void {
  const before = process.env.NODE_COMPILE_CACHE;
  process.env.NODE_COMPILE_CACHE ??= path.join(
    __dirname,
    "..",
    "..",
    "node_modules",
    ".cache",
    "management-bootstrap-check",
  );
  return () => {
    if (before === undefined) delete process.env.NODE_COMPILE_CACHE;
    else process.env.NODE_COMPILE_CACHE = before;
  };
}
