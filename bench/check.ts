/**
 * `npm run bench:check [-- --runs N]`: wall time of `npm run check` on the dev stack, with
 * the breakdown the checker prints under --verbose (pack start, program run, analysis),
 * as medians over N runs (default 5), one run at a time.
 *
 * Two rows, for the two ways policy/index.js can start the pack: from policy/bin, compiled by
 * `npm run build:policy` (run first, a no-op while it is fresh), as after `npm ci`; and from the
 * TypeScript sources, which the CLI's ts-node type-checks, as when policy/bin is stale or
 * missing (a copy of policy/ and lib/ without policy/bin, in a temporary folder).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { median } from "./stats";

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

/** Copies policy/ (without bin/ and node_modules/) and lib/ into `dir`, sharing node_modules. */
function unbuiltPackCopy(dir: string): string {
  const skip = (src: string) => !/[/\\](bin|node_modules)$/.test(src);
  fs.cpSync(path.join(ROOT, "policy"), path.join(dir, "policy"), { recursive: true, filter: skip });
  fs.cpSync(path.join(ROOT, "lib"), path.join(dir, "lib"), { recursive: true });
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
    const built = spawnSync("npm", ["run", "-s", "build:policy"], { cwd: ROOT, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`npm run build:policy failed: ${built.stderr.trim()}`);
    const unbuilt = unbuiltPackCopy(tmp);
    const rows: [string, string[]][] = [
      ["npm run check, policy/bin fresh (compiled pack)", []],
      ["npm run check, policy/bin stale or missing (sources, type-checked)", ["--policy-pack", unbuilt]],
    ];
    console.log(
      `npm run check on the dev stack, ${runs} run(s) each, medians (ms); ${os.cpus().length} CPUs`,
    );
    console.log("| mode | wall | pack start | program run | analysis |");
    console.log("|---|---:|---:|---:|---:|");
    for (const [label, args] of rows) {
      const samples: Sample[] = [];
      for (let i = 0; i < runs; i++) samples.push(runCheck(args));
      const med = (k: keyof Sample) => Math.round(median(samples.map((s) => s[k])));
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
