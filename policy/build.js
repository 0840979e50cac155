// `npm run build:policy [-- --force]` (also run by `npm ci` / `npm install` through the root's
// "prepare"): type-checks and compiles the pack with tsconfig.build.json into
// policy/bin/<digest>/ and then writes policy/bin/stamp.json (see ./stamp.js), which
// ./index.js checks at every pack start. Skips the work while policy/bin is already a build of
// the current sources by the installed TypeScript. A type error fails the build and removes the
// stamp, so the pack falls back to its sources and the CLI reports the same error.
// Concurrent pack starts stay safe: each build gets its own folder, the stamp is replaced
// atomically and last, and the previous build's folder is kept for packs still loading it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { STAMP_FORMAT, sha256, stripBom, digestOf, checkBuild, stampFile } = require("./stamp");

const KEEP_YOUNGER_MS = 60_000;

function log(text) {
  process.stdout.write(`build:policy: ${text}\n`);
}

function typescriptPath(packDir, request) {
  return require.resolve(request, { paths: [packDir, __dirname] });
}

function writeAtomically(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Removes old builds: keeps `keep`, the stamp, and anything younger than a minute (other builds). */
function prune(binDir, keep) {
  for (const name of fs.readdirSync(binDir)) {
    if (name === "stamp.json" || keep.has(name)) continue;
    const full = path.join(binDir, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs < KEEP_YOUNGER_MS) continue;
      fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // Gone already (another build pruned it).
    }
  }
}

function build(packDir, force) {
  const started = Date.now();
  const binDir = path.join(packDir, "bin");
  const tsVersion = JSON.parse(
    fs.readFileSync(typescriptPath(packDir, "typescript/package.json"), "utf8"),
  ).version;
  const current = checkBuild(packDir);
  if (!force && current.entry && current.stamp.typescript === tsVersion) {
    log(`policy/bin is up to date (${current.stamp.digest.slice(0, 16)})`);
    return 0;
  }
  const ts = require(typescriptPath(packDir, "typescript"));
  let previousId; // kept by prune: a pack may be loading it right now
  try {
    previousId = JSON.parse(fs.readFileSync(stampFile(packDir), "utf8")).digest.slice(0, 16);
  } catch {
    previousId = undefined;
  }

  // Every config file the compiler reads is an input too (compiler options change the output).
  const inputs = {};
  const rel = (file) => path.relative(packDir, file).split(path.sep).join("/");
  const configHost = {
    ...ts.sys,
    readFile(file) {
      const text = ts.sys.readFile(file);
      if (text !== undefined) inputs[rel(path.resolve(file))] = sha256(stripBom(text));
      return text;
    },
    onUnRecoverableConfigFileDiagnostic(d) {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(packDir, "tsconfig.build.json"),
    {},
    configHost,
  );
  const tmpName = `.tmp-${process.pid}-${Date.now()}`;
  const tmpDir = path.join(binDir, tmpName);
  // Same depth as bin/<id>, so the source maps' relative paths stay right after the rename.
  const options = { ...parsed.options, outDir: tmpDir };
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options,
    configFileParsingDiagnostics: parsed.errors,
  });
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    fs.rmSync(stampFile(packDir), { force: true });
    const host = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => "\n",
    };
    const format = process.stderr.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
    process.stderr.write(format(errors, host));
    process.stderr.write(`build:policy: ${errors.length} error(s); policy/bin is not used until it builds\n`);
    return 1;
  }

  // The sources exactly as compiled (not re-read: an edit during the build must not be stamped).
  const sources = program
    .getSourceFiles()
    .filter((sf) => !sf.isDeclarationFile && !program.isSourceFileFromExternalLibrary(sf));
  for (const sf of sources) inputs[rel(path.resolve(sf.fileName))] = sha256(stripBom(sf.text));
  const digest = digestOf(inputs);
  const id = digest.slice(0, 16);
  const outDir = path.join(binDir, id);

  fs.mkdirSync(binDir, { recursive: true });
  try {
    const emitted = program.emit();
    if (emitted.emitSkipped) throw new Error("the compiler emitted nothing");
    if (fs.existsSync(outDir)) {
      // Same sources, rebuilt (--force or another TypeScript): swap the folder in.
      const old = path.join(binDir, `.old-${process.pid}-${Date.now()}`);
      fs.renameSync(outDir, old);
      fs.renameSync(tmpDir, outDir);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmpDir, outDir);
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  const sorted = Object.fromEntries(
    Object.keys(inputs)
      .sort()
      .map((k) => [k, inputs[k]]),
  );
  const stamp = { format: STAMP_FORMAT, digest, typescript: tsVersion, inputs: sorted };
  writeAtomically(stampFile(packDir), `${JSON.stringify(stamp, null, 2)}\n`);
  prune(binDir, new Set([id, previousId]));
  log(
    `compiled ${sources.length} files into policy/bin/${id} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

function main(argv) {
  const force = argv.includes("--force");
  const rest = argv.filter((a) => a !== "--force");
  if (rest.length > 1 || rest.some((a) => a.startsWith("-"))) {
    process.stderr.write("usage: node policy/build.js [--force] [pack-dir]\n");
    return 2;
  }
  return build(path.resolve(rest[0] ?? __dirname), force);
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`build:policy: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

module.exports = { build };
