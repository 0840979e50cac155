// The freshness check of the compiled pack, shared by the entry point (./index.js) and the build
// (./build.js). policy/bin/stamp.json lists every input of the last build (the .ts files the
// compiler compiled, ../lib/naming.ts among them, and the tsconfig files), each with the sha256
// of its contents; the compiled JavaScript lives in policy/bin/<first 16 hex of the digest>/.
// The build is fresh only while every listed file still has those contents. A new file can only
// change what runs through an import, which changes the importing file, so the list need not
// be complete beyond what was compiled. Plain JavaScript: it runs before any TypeScript loader.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const STAMP_FORMAT = 1;

function sha256(text) {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/** The TypeScript compiler drops a byte-order mark when it reads a file; so does the check. */
function stripBom(text) {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** One digest over `{ relativePath: sha256 }`, in path order: it names the build's folder. */
function digestOf(hashes) {
  const lines = Object.keys(hashes)
    .sort()
    .map((rel) => `${rel}\0${hashes[rel]}\n`);
  return sha256(lines.join(""));
}

/** Where the build for `digest` keeps the compiled pack entry (layout of rootDir "..", outDir bin/<id>). */
function compiledEntry(packDir, digest) {
  return path.join(packDir, "bin", digest.slice(0, 16), path.basename(packDir), "index.js");
}

function stampFile(packDir) {
  return path.join(packDir, "bin", "stamp.json");
}

/**
 * `{ entry, stamp }` when policy/bin holds a build of exactly the current sources, else
 * `{ reason }`. Never throws: anything unexpected means "not fresh".
 */
function checkBuild(packDir) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile(packDir), "utf8"));
  } catch {
    return { reason: "no build" };
  }
  try {
    const inputs = stamp && stamp.format === STAMP_FORMAT ? stamp.inputs : undefined;
    if (!inputs || typeof inputs !== "object" || typeof stamp.digest !== "string") {
      return { reason: "unreadable stamp" };
    }
    if (Object.keys(inputs).length === 0 || digestOf(inputs) !== stamp.digest) {
      return { reason: "unreadable stamp" };
    }
    for (const rel of Object.keys(inputs).sort()) {
      let text;
      try {
        text = fs.readFileSync(path.resolve(packDir, rel), "utf8");
      } catch {
        return { reason: `${rel} is gone` };
      }
      if (sha256(stripBom(text)) !== inputs[rel]) return { reason: `${rel} changed` };
    }
    const entry = compiledEntry(packDir, stamp.digest);
    if (!fs.existsSync(entry)) return { reason: "compiled files missing" };
    return { entry, stamp };
  } catch (e) {
    return { reason: `cannot check the build: ${e && e.message}` };
  }
}

module.exports = { STAMP_FORMAT, sha256, stripBom, digestOf, compiledEntry, stampFile, checkBuild };
