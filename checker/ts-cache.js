// Loads TypeScript files by transpiling them (no type-checking, like ts-node's transpile-only)
// and keeps the JavaScript in an on-disk cache keyed by the file's content, the compiler
// options and the TypeScript version: after the first run, `npm run check` loads neither the
// TypeScript compiler nor ts-node, which otherwise costs about a second of every run.
// Type errors are `npm run typecheck`'s job.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Compiler options the Node language host uses when a project has no tsconfig (run.ts). */
const DEFAULT_OPTIONS = {
  target: "ES2020",
  module: "commonjs",
  moduleResolution: "node",
  esModuleInterop: true,
};

function typescriptVersion(fromDir) {
  try {
    const pkg = require.resolve("typescript/package.json", { paths: [fromDir, __dirname] });
    return JSON.parse(fs.readFileSync(pkg, "utf8")).version;
  } catch {
    return "none";
  }
}

/**
 * Registers the `.ts` loader for files outside node_modules. `projectDir` holds the
 * tsconfig.json whose compilerOptions apply (defaults without one); `cacheDir` the cache.
 * `inlineSourceMap` embeds source maps, so that with process.setSourceMapsEnabled(true) stack
 * traces name .ts lines (the tests want that; npm run check does not pay for it).
 */
function register(projectDir, cacheDir, { inlineSourceMap = false } = {}) {
  const tsconfigFile = path.join(projectDir, "tsconfig.json");
  const tsconfigText = fs.existsSync(tsconfigFile) ? fs.readFileSync(tsconfigFile, "utf8") : "";
  const version = typescriptVersion(projectDir);
  let compile; // loaded on the first cache miss only
  const transpile = (source, filename) => {
    if (!compile) {
      const ts = require(require.resolve("typescript", { paths: [projectDir, __dirname] }));
      let options = DEFAULT_OPTIONS;
      if (tsconfigText) {
        const parsed = ts.parseConfigFileTextToJson(tsconfigFile, tsconfigText);
        options = { ...DEFAULT_OPTIONS, ...((parsed.config && parsed.config.compilerOptions) || {}) };
      }
      const { options: compilerOptions } = ts.convertCompilerOptionsFromJson(options, projectDir);
      // One file at a time: declarations, no-emit and project references do not apply.
      Object.assign(compilerOptions, {
        noEmit: false,
        declaration: false,
        composite: false,
        sourceMap: false,
        inlineSourceMap,
        inlineSources: inlineSourceMap,
      });
      compile = (src, file) => ts.transpileModule(src, { compilerOptions, fileName: file }).outputText;
    }
    return compile(source, filename);
  };
  const previous = require.extensions[".ts"];
  require.extensions[".ts"] = function loadTs(module, filename) {
    if (filename.includes(`${path.sep}node_modules${path.sep}`) && previous)
      return previous(module, filename);
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto
      .createHash("sha256")
      .update(`${version}\0${tsconfigText}\0${inlineSourceMap}\0${filename}\0${source}`)
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

module.exports = { register };
