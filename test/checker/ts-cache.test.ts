import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const TS_CACHE = path.resolve(__dirname, "..", "..", "checker", "ts-cache.js");

/**
 * checker/ts-cache.js replaces require's `.ts` loader, so it runs in a child process here
 * (this mocha process loads its own TypeScript through it, with another cache).
 */
describe("checker/ts-cache: transpile-only TypeScript loading with an on-disk cache", function () {
  let tmp: string;
  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ts-cache-"));
    fs.writeFileSync(
      path.join(tmp, "program.ts"),
      'import * as path from "node:path";\nconst n: number = 41;\nexport = { answer: n + 1, sep: path.sep };\n',
    );
  });
  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const load = (file = "program.ts", options = "{}") =>
    spawnSync(
      process.execPath,
      [
        "-e",
        `process.setSourceMapsEnabled(true);
         require(${JSON.stringify(TS_CACHE)}).register(${JSON.stringify(tmp)}, ${JSON.stringify(path.join(tmp, "cache"))}, ${options});
         const m = require(${JSON.stringify(path.join(tmp, file))});
         const compiler = Object.keys(require.cache).some((f) => f.endsWith(require("node:path").join("esbuild", "lib", "main.js")));
         console.log(JSON.stringify({ answer: m.answer, compiler, where: m.where && m.where() }));`,
      ],
      { cwd: path.resolve(__dirname, "..", ".."), encoding: "utf8" },
    );

  it("transpiles `export =` on the first load and serves later loads from the cache without the compiler", function () {
    const first = load();
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { answer: 42, compiler: true });
    assert.equal(fs.readdirSync(path.join(tmp, "cache")).filter((f) => f.endsWith(".js")).length, 1);

    const second = load();
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { answer: 42, compiler: false });
  });

  it("with inlineSourceMap, a stack trace from a cached file names the .ts file and line", function () {
    fs.writeFileSync(
      path.join(tmp, "trace.ts"),
      [
        "type Unused = { a: number };",
        "export function where(): string {",
        '  return new Error("here").stack!.split("\\n")[1];',
        "}",
        "",
      ].join("\n"),
    );
    for (const round of ["transpiled", "cached"]) {
      const r = load("trace.ts", "{ inlineSourceMap: true }");
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.compiler, round === "transpiled");
      assert.match(out.where, /trace\.ts:3:\d+\)$/, round);
    }
  });

  it("a changed file is transpiled again (the cache is keyed by content)", function () {
    fs.writeFileSync(path.join(tmp, "program.ts"), "export = { answer: 7 as number };\n");
    const r = load();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { answer: 7, compiler: true });
  });
});
