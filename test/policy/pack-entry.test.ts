/**
 * The pack's entry point (policy/index.js) and build (policy/build.js, `npm run build:policy`):
 * the CLI gets the compiled policy/bin while it was compiled from exactly the current sources,
 * and otherwise the TypeScript sources (type-checked by the CLI's ts-node), never stale code;
 * the entry point prints nothing on stdout (the CLI reads the port from there). Everything runs
 * on temporary copies: the real policy/ and lib/ are never touched.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkBuild, STALE_NOTE } from "./pack-build";

const ROOT = path.resolve(__dirname, "..", "..");
const TS_LOADER = path.join(ROOT, "checker", "ts-cache.js");

/** A folder laid out like the repository (pack in policy/, ../lib, node_modules), under a temp dir. */
function tempRepo(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

function build(repo: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repo, "policy", "build.js"), ...args], {
    cwd: repo,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function edit(file: string, change: (text: string) => string): void {
  fs.writeFileSync(file, change(fs.readFileSync(file, "utf8")));
}

describe("policy pack entry point and build", function () {
  this.timeout(120_000);

  describe("which code the entry point loads (a small stand-in pack)", function () {
    let base: string;
    let n = 0;

    // The real entry point, stamp check, build script and tsconfig.build.json; sources that only
    // report which file runs, importing one another and ../lib like the real pack. Their own
    // tsconfig.json leaves out @types/node and takes the ES5 lib (the sources need nothing newer),
    // so that each build type-checks in under half a second.
    before(function () {
      base = tempRepo("pack-entry-");
      const pack = path.join(base, "policy");
      fs.mkdirSync(path.join(pack, "lib"), { recursive: true });
      fs.mkdirSync(path.join(base, "lib"));
      for (const f of ["index.js", "stamp.js", "build.js", "tsconfig.build.json", "package.json"]) {
        fs.copyFileSync(path.join(ROOT, "policy", f), path.join(pack, f));
      }
      const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "tsconfig.json"), "utf8"));
      tsconfig.compilerOptions.types = [];
      tsconfig.compilerOptions.lib = ["ES5"];
      fs.writeFileSync(path.join(pack, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
      fs.writeFileSync(path.join(base, "lib", "naming.ts"), 'export const SUFFIX = "-management";\n');
      fs.writeFileSync(
        path.join(pack, "lib", "dep.ts"),
        'import { SUFFIX } from "../../lib/naming";\nexport const VERSION = `one${SUFFIX}`;\n',
      );
      fs.writeFileSync(
        path.join(pack, "index.ts"),
        [
          'import { VERSION } from "./lib/dep";',
          "declare const process: { stderr: { write(s: string): void } };",
          "declare const __filename: string;",
          "process.stderr.write(`ran ${__filename} ${VERSION}\\n`);",
          "",
        ].join("\n"),
      );
      const r = build(base);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^build:policy: compiled 3 files into policy\/bin\/[0-9a-f]{16} in /);
    });
    after(() => fs.rmSync(base, { recursive: true, force: true }));

    /** A copy of the built stand-in, so that every test changes its own. */
    function copy(): string {
      const dir = path.join(base, `case-${++n}`);
      fs.mkdirSync(dir);
      fs.cpSync(path.join(base, "policy"), path.join(dir, "policy"), { recursive: true });
      fs.cpSync(path.join(base, "lib"), path.join(dir, "lib"), { recursive: true });
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      return dir;
    }

    /** The child's script: loads the pack directory as run-policy-pack does (`require(packDir)`). */
    function loadScript(repo: string): string {
      const pack = path.join(repo, "policy");
      // With a TypeScript loader registered, as under the CLI: the repository's own
      // (checker/ts-cache.js), which starts faster than ts-node.
      return [
        `require(${JSON.stringify(TS_LOADER)}).register(${JSON.stringify(pack)}, ${JSON.stringify(path.join(repo, "ts-cache"))});`,
        `require(${JSON.stringify(pack)});`,
      ].join("\n");
    }

    function parseRun(repo: string, stderr: string, stdout: string) {
      const ran = /^ran (\S+) (\S+)$/m.exec(stderr);
      assert.ok(ran, stderr);
      return {
        ran: `${path.relative(path.join(repo, "policy"), ran[1]).split(path.sep).join("/")} ${ran[2]}`,
        note: STALE_NOTE.exec(stderr)?.[1],
        stdout,
      };
    }

    function load(repo: string): { ran: string; note?: string; stdout: string } {
      const r = spawnSync(process.execPath, ["-e", loadScript(repo)], {
        cwd: path.join(repo, "policy"),
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      return parseRun(repo, r.stderr, r.stdout);
    }

    /**
     * Loads the pack in a child that stays up, and ends it with SIGKILL once the pack is loaded
     * (`require(packDir)` returned: a real pack prints its port only after that), as the engine
     * and the checker end a pack: nothing that Node does at exit happens.
     */
    async function loadAndKill(repo: string, env: NodeJS.ProcessEnv) {
      const child = spawn(
        process.execPath,
        ["-e", `${loadScript(repo)}\nprocess.stderr.write("loaded\\n");\nsetInterval(() => {}, 60_000);`],
        {
          cwd: path.join(repo, "policy"),
          env: { ...process.env, ...env },
        },
      );
      let stderr = "";
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once("exit", (_c, sig) => resolve(sig)),
      );
      await new Promise<void>((resolve, reject) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d;
          if (/^loaded$/m.test(stderr)) resolve();
        });
        child.once("exit", (code) => reject(new Error(`the child exited with ${code}: ${stderr}`)));
      });
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
      return parseRun(repo, stderr, stdout);
    }

    it("a fresh build: loads policy/bin, silently, with nothing on stdout", function () {
      const out = load(copy());
      assert.match(out.ran, /^bin\/[0-9a-f]{16}\/policy\/index\.js one-management$/);
      assert.equal(out.note, undefined);
      assert.equal(out.stdout, "");
    });

    // Engines and the checker end a pack with a kill, which skips Node's save of its compile
    // cache at exit: the entry point saves it itself once the pack is loaded.
    it("saves Node's compile cache once the pack is loaded, so a pack ended by a kill still leaves it", async function () {
      const repo = copy();
      const compileCache = path.join(repo, "compile-cache");
      const out = await loadAndKill(repo, { NODE_COMPILE_CACHE: compileCache });
      assert.match(out.ran, /^bin\/[0-9a-f]{16}\/policy\/index\.js one-management$/);
      const saved = fs.existsSync(compileCache)
        ? fs.readdirSync(compileCache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
        : [];
      assert.ok(saved.length > 0, "nothing saved in the compile cache");
    });

    it("the stamp lists every compiled source, ../lib/naming.ts included, and the tsconfig files", function () {
      const stamp = JSON.parse(fs.readFileSync(path.join(base, "policy", "bin", "stamp.json"), "utf8"));
      assert.deepEqual(Object.keys(stamp.inputs).sort(), [
        "../lib/naming.ts",
        "index.ts",
        "lib/dep.ts",
        "tsconfig.build.json",
        "tsconfig.json",
      ]);
      assert.match(stamp.digest, /^[0-9a-f]{64}$/);
    });

    const stale: [string, (repo: string) => void, string, string][] = [
      [
        "the entry's source changed",
        (r) => edit(path.join(r, "policy", "index.ts"), (t) => t.replace("${VERSION}", "${VERSION}-edited")),
        "index.ts changed",
        "index.ts one-management-edited",
      ],
      [
        "an imported source changed",
        (r) => edit(path.join(r, "policy", "lib", "dep.ts"), (t) => t.replace("one", "two")),
        "lib/dep.ts changed",
        "index.ts two-management",
      ],
      [
        "../lib/naming.ts changed",
        (r) => edit(path.join(r, "lib", "naming.ts"), (t) => t.replace("-management", "-mgmt")),
        "../lib/naming.ts changed",
        "index.ts one-mgmt",
      ],
      [
        "a new file is imported (its importer changed)",
        (r) => {
          fs.writeFileSync(path.join(r, "policy", "lib", "extra.ts"), 'export const EXTRA = "-extra";\n');
          edit(
            path.join(r, "policy", "lib", "dep.ts"),
            (t) => `import { EXTRA } from "./extra";\n${t.replace("${SUFFIX}`", "${SUFFIX}${EXTRA}`")}`,
          );
        },
        "lib/dep.ts changed",
        "index.ts one-management-extra",
      ],
      [
        "a compiler option changed",
        (r) => edit(path.join(r, "policy", "tsconfig.json"), (t) => t.replace('"ES2022"', '"ES2021"')),
        "tsconfig.json changed",
        "index.ts one-management",
      ],
      [
        "the stamp is missing (never built)",
        (r) => fs.rmSync(path.join(r, "policy", "bin", "stamp.json")),
        "no build",
        "index.ts one-management",
      ],
      [
        "the stamp is not a stamp",
        (r) => fs.writeFileSync(path.join(r, "policy", "bin", "stamp.json"), '{"format":1,"digest":"x"}'),
        "unreadable stamp",
        "index.ts one-management",
      ],
      [
        "the compiled files are gone",
        (r) => {
          for (const e of fs.readdirSync(path.join(r, "policy", "bin"))) {
            if (e !== "stamp.json") fs.rmSync(path.join(r, "policy", "bin", e), { recursive: true });
          }
        },
        "compiled files missing",
        "index.ts one-management",
      ],
    ];
    // The entry point only asks checkBuild, so each case asks it in-process; one case also loads
    // the pack in a child process (a TypeScript start costs ~0.6 s), proving the whole path.
    for (const [i, [what, change, reason, ran]] of stale.entries()) {
      it(`${what}: the build counts as stale, naming why${i === 0 ? "; the entry point loads the TypeScript sources, says why on stderr, nothing on stdout" : ""}`, function () {
        const repo = copy();
        change(repo);
        assert.deepEqual(checkBuild(path.join(repo, "policy")), { reason });
        if (i === 0) {
          const out = load(repo);
          assert.equal(out.ran, ran);
          assert.equal(out.note, reason);
          assert.equal(out.stdout, "");
        }
      });
    }

    it("build:policy rebuilds a stale build (the new code then runs), and skips a fresh one", function () {
      const repo = copy();
      edit(path.join(repo, "policy", "lib", "dep.ts"), (t) => t.replace("one", "three"));
      const first = build(repo);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /compiled 3 files/);
      assert.match(load(repo).ran, /^bin\/[0-9a-f]{16}\/policy\/index\.js three-management$/);
      assert.match(build(repo).stdout, /^build:policy: policy\/bin is up to date \([0-9a-f]{16}\)\n$/);
      // The build it replaced is kept (a pack may be loading it), older ones are pruned later.
      assert.equal(fs.readdirSync(path.join(repo, "policy", "bin")).length, 3);
    });

    it("a type error fails the build and removes the stamp, so the CLI type-checks and reports it", function () {
      const repo = copy();
      edit(
        path.join(repo, "policy", "lib", "dep.ts"),
        (t) => `${t}export const N: number = "not a number";\n`,
      );
      const r = build(repo);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /lib\/dep\.ts\(\d+,\d+\): error TS2322/);
      assert.equal(fs.existsSync(path.join(repo, "policy", "bin", "stamp.json")), false);
    });
  });

  // That the real pack, started as the CLI starts it, runs the compiled build silently is asserted
  // where it is started anyway: test/policy/analyzer-protocol.test.ts.
  describe("the real pack's build", function () {
    let repo: string;

    before(function () {
      repo = tempRepo("pack-entry-real-");
      // policy/bin comes along: when it is fresh (npm ci and npm test build it), the build
      // below only checks it, else it compiles the copy.
      const skip = (src: string) => !/[/\\]node_modules$/.test(src);
      fs.cpSync(path.join(ROOT, "policy"), path.join(repo, "policy"), { recursive: true, filter: skip });
      fs.cpSync(path.join(ROOT, "lib"), path.join(repo, "lib"), { recursive: true });
      const r = build(repo);
      assert.equal(r.status, 0, r.stderr);
    });
    after(() => fs.rmSync(repo, { recursive: true, force: true }));

    it("compiles every .ts file of policy/ and ../lib/naming.ts", function () {
      const stamp = JSON.parse(fs.readFileSync(path.join(repo, "policy", "bin", "stamp.json"), "utf8"));
      const sources: string[] = [];
      const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(repo, "policy", rel), { withFileTypes: true })) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory() && e.name !== "bin" && e.name !== "node_modules") walk(r);
          else if (e.isFile() && e.name.endsWith(".ts")) sources.push(r);
        }
      };
      walk("");
      assert.deepEqual(
        Object.keys(stamp.inputs)
          .filter((f) => f.endsWith(".ts"))
          .sort(),
        ["../lib/naming.ts", ...sources].sort(),
      );
    });

    // The stale path of the real pack (a type-checked start, ~5 s) is the stand-in's above; a
    // changed policy makes the real build stale just the same.
    it("is fresh as built, and a changed policy makes it stale, naming the file", function () {
      assert.ok(checkBuild(path.join(repo, "policy")).entry, "the copied build is fresh");
      edit(path.join(repo, "policy", "policies", "no-identity-center.ts"), (t) =>
        t.replace("must not create IAM Identity Center", "must never create IAM Identity Center"),
      );
      assert.deepEqual(checkBuild(path.join(repo, "policy")), {
        reason: "policies/no-identity-center.ts changed",
      });
    });
  });
});
