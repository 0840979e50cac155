/**
 * `npm run bench:check [-- --runs N]`: wall time of `npm run check` on the dev stack, with
 * the breakdown the checker prints under --verbose (pack start, program run, analysis),
 * as medians over N runs (default 5), one run at a time.
 *
 * A second row runs the same check on a compiled copy of the pack (policy/ and the lib/ it
 * imports, transpiled to JavaScript in a temporary folder, `main: index.js`): the CLI starts
 * such a pack without ts-node compiling or type-checking anything, so the row shows what
 * shipping the pack compiled would save, in `pulumi preview --policy-pack` too.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");

interface Sample {
  wallMs: number;
  packStartMs: number;
  programMs: number;
  analysisMs: number;
  exit: number;
}

function runCheck(extraArgs: string[]): Sample {
  const started = process.hrtime.bigint();
  const r = spawnSync("npm", ["run", "-s", "check", "--", "--verbose", ...extraArgs], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, INIT_CWD: ROOT },
  });
  const wallMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  const m = /timing: pack start (\d+) ms, program run (\d+) ms.*analysis (\d+) ms/.exec(r.stderr);
  if (!m || (r.status !== 0 && r.status !== 1)) {
    throw new Error(`npm run check failed (exit ${r.status}): ${r.stderr.split("\n")[0]}`);
  }
  return {
    wallMs,
    packStartMs: Number(m[1]),
    programMs: Number(m[2]),
    analysisMs: Number(m[3]),
    exit: r.status,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

/** Transpiles policy/ and lib/ into `dir` (same layout), `main: index.js`, sharing node_modules. */
function compiledPackMirror(dir: string): string {
  for (const top of ["policy", "lib"]) {
    const walk = (rel: string) => {
      for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
        const from = path.join(rel, e.name);
        if (e.name === "node_modules") continue;
        if (e.isDirectory()) walk(from);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
          const out = ts.transpileModule(fs.readFileSync(path.join(ROOT, from), "utf8"), {
            compilerOptions: {
              module: ts.ModuleKind.CommonJS,
              target: ts.ScriptTarget.ES2022,
              esModuleInterop: true,
            },
            fileName: from,
          });
          fs.mkdirSync(path.join(dir, rel), { recursive: true });
          fs.writeFileSync(path.join(dir, from.replace(/\.ts$/, ".js")), out.outputText);
        } else if (/\.(ya?ml|json)$/.test(e.name)) {
          fs.mkdirSync(path.join(dir, rel), { recursive: true });
          fs.copyFileSync(path.join(ROOT, from), path.join(dir, from));
        }
      }
    };
    walk(top);
  }
  const pkgFile = path.join(dir, "policy", "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  fs.writeFileSync(pkgFile, JSON.stringify({ ...pkg, main: "index.js" }, null, 2));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return path.join(dir, "policy");
}

function main(): void {
  const { values } = parseArgs({ strict: true, options: { runs: { type: "string", default: "5" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs must be a positive whole number, got "${values.runs}"`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-check-"));
  try {
    const compiled = compiledPackMirror(tmp);
    const rows: [string, string[]][] = [
      ["npm run check (pack as the CLI runs it: ts-node, type-checked)", []],
      ["npm run check, compiled pack (no ts-node compile)", ["--policy-pack", compiled]],
    ];
    console.log(
      `npm run check on the dev stack, ${runs} run(s) each, medians (ms); ${os.cpus().length} CPUs`,
    );
    console.log("| mode | wall | pack start | program run | analysis |");
    console.log("|---|---:|---:|---:|---:|");
    for (const [label, args] of rows) {
      const samples: Sample[] = [];
      for (let i = 0; i < runs; i++) samples.push(runCheck(args));
      const med = (k: keyof Sample) => median(samples.map((s) => s[k]));
      console.log(
        `| ${label} | ${med("wallMs")} | ${med("packStartMs")} | ${med("programMs")} | ${med("analysisMs")} |`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:check: ${(e as Error).message}`);
  process.exit(2);
}
