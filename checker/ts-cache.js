// Loads TypeScript files by transpiling them (no type-checking, like ts-node's transpile-only)
// and keeps the JavaScript in an on-disk cache keyed by the file's content, the tsconfig and
// the transpiler's version. The transpiler is esbuild: a native binary that turns the whole
// repository into CommonJS in about 0.3 s, where TypeScript's own transpileModule took about
// 2 s plus half a second to load the compiler in every process (the test workers, the
// program's worker, npm run check). Type errors are `npm run typecheck`'s job (tsc).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Compiler options the Node language host uses when a project has no tsconfig (run.ts). */
const DEFAULT_TSCONFIG = JSON.stringify({ compilerOptions: { target: "ES2020", esModuleInterop: true } });

function esbuildVersion() {
  return JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json"), "utf8")).version;
}

/**
 * Registers the `.ts` loader for files outside node_modules. `projectDir` holds the
 * tsconfig.json whose compilerOptions apply (the language host's defaults without one);
 * `cacheDir` the cache. `inlineSourceMap` embeds source maps, so that with
 * process.setSourceMapsEnabled(true) stack traces name .ts lines (the tests want that;
 * npm run check does not pay for it).
 */
function register(projectDir, cacheDir, { inlineSourceMap = false } = {}) {
  const tsconfigFile = path.join(projectDir, "tsconfig.json");
  const tsconfigText = fs.existsSync(tsconfigFile) ? fs.readFileSync(tsconfigFile, "utf8") : "";
  const version = `esbuild ${esbuildVersion()}`;
  let esbuild; // loaded on the first cache miss only
  const transpile = (source, filename) => {
    esbuild ??= require("esbuild");
    return esbuild.transformSync(source, {
      loader: "ts",
      format: "cjs",
      platform: "node",
      target: `node${process.versions.node.split(".")[0]}`,
      // esbuild reads what changes the emitted JavaScript (useDefineForClassFields from the
      // target, experimentalDecorators, verbatimModuleSyntax, ...) from the tsconfig text.
      tsconfigRaw: tsconfigText || DEFAULT_TSCONFIG,
      sourcemap: inlineSourceMap ? "inline" : false,
      sourcefile: filename,
    }).code;
  };
  const previous = require.extensions[".ts"];
  require.extensions[".ts"] = function loadTs(module, filename) {
    if (filename.includes(`${path.sep}node_modules${path.sep}`) && previous)
      return previous(module, filename);
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto
      .createHash("sha256")
      .update(
        `${version}\0${process.versions.node}\0${tsconfigText}\0${inlineSourceMap}\0${filename}\0${source}`,
      )
      .digest("hex");
    const cached = path.join(cacheDir, `${key}.js`);
    let output;
    try {
      output = fs.readFileSync(cached, "utf8");
    } catch {
      output = transpile(source, filename);
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, output);
        fs.renameSync(tmp, cached); // atomic: concurrent runs never read half a file
      } catch {
        // A read-only cache only costs speed.
      }
    }
    module._compile(output, filename);
  };
}

/**
 * Turns on Node's on-disk compile cache (V8 code cache; Node >= 22.1) in the repository's cache
 * folder, or where NODE_COMPILE_CACHE already points, and exports the variable so that every
 * process started from here (the program's worker, policy packs, the tests' children) shares
 * it: @pulumi/*, gRPC, openpgp and the like then load from cached bytecode after the first run.
 * Start-up time only. Returns whether the cache is on.
 */
function enableCompileCache(projectDir) {
  const nodeModule = require("node:module");
  if (typeof nodeModule.enableCompileCache !== "function" || process.env.NODE_DISABLE_COMPILE_CACHE) {
    return false;
  }
  process.env.NODE_COMPILE_CACHE ??= path.join(
    projectDir,
    "node_modules",
    ".cache",
    "management-bootstrap-check",
  );
  nodeModule.enableCompileCache(process.env.NODE_COMPILE_CACHE);
  return true;
}

/**
 * What the repository's TypeScript CLIs (`npm run check`, `npm run show-password`,
 * `npm run leverage-credentials`) do before loading any TypeScript: the compile cache above,
 * and the `.ts` loader with its cache beside it.
 */
function registerForCli(projectDir) {
  enableCompileCache(projectDir);
  register(projectDir, path.join(projectDir, "node_modules", ".cache", "management-bootstrap-check", "ts"));
}

module.exports = { register, registerForCli, enableCompileCache };
