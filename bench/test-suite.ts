/**
 * `npm run bench:test [-- --runs N] [--warm]`: wall and CPU time of `npm test`, one run at a
 * time, with medians over N runs (default 5).
 *
 * By default every run is a first run after `npm ci`, as on a CI machine: node_modules/.cache
 * (tsc's build info, the eslint and transpile caches, the tests' V8 compile cache) is
 * deleted, and TMPDIR points at a new empty folder, so that the compile cache tsc, eslint and
 * npm keep in the system temp folder starts empty too. npm runs once (`npm --version`) before
 * the timer, as `npm ci` would have. policy/bin is kept: `npm ci` builds it. With --warm,
 * the caches stay, after one untimed run.
 *
 * CPU is user + system time of npm test and everything it started (Linux: the reaped
 * children's times of this process, /proc/self/stat); it shows how much of the wall time two
 * cores can save.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { median } from "./stats";

const ROOT = path.resolve(__dirname, "..");

/** CPU seconds of this process's reaped children, or undefined off Linux. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after "(comm) ": state is field 3, cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / ticks;
  } catch {
    return undefined;
  }
}

interface Sample {
  wallS: number;
  cpuS?: number;
  tests: string;
}

function runNpmTest(cold: boolean): Sample {
  const env = { ...process.env };
  let tmp: string | undefined;
  if (cold) {
    fs.rmSync(path.join(ROOT, "node_modules", ".cache"), { recursive: true, force: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-test-"));
    env.TMPDIR = tmp;
    spawnSync("npm", ["--version"], { cwd: ROOT, env, stdio: "ignore" });
  }
  try {
    const cpuBefore = childrenCpuSeconds();
    const started = process.hrtime.bigint();
    const r = spawnSync("npm", ["test"], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAfter = childrenCpuSeconds();
    if (r.status !== 0) {
      throw new Error(
        `npm test failed (exit ${r.status}):\n${(r.stdout + r.stderr).split("\n").slice(-30).join("\n")}`,
      );
    }
    const tests = /(\d+ passing)/.exec(r.stdout)?.[1] ?? "?";
    const cpuS = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
    return { wallS, cpuS, tests };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5" }, warm: { type: "boolean", default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs must be a positive integer, got "${values.runs}"`);
  }
  const cold = !values.warm;
  const cores = os.availableParallelism();
  console.log(
    `npm test, ${cold ? "first run after npm ci (caches deleted, empty TMPDIR)" : "warm caches"}, ` +
      `${runs} run(s), ${cores} cores, node ${process.version}`,
  );
  if (!cold) runNpmTest(false); // fills the caches
  const samples: Sample[] = [];
  for (let i = 1; i <= runs; i++) {
    const s = runNpmTest(cold);
    samples.push(s);
    const cpu = s.cpuS === undefined ? "" : `, CPU ${s.cpuS.toFixed(1)} s`;
    console.log(`  run ${i}: wall ${s.wallS.toFixed(1)} s${cpu} (${s.tests})`);
  }
  const cpus = samples.flatMap((s) => (s.cpuS === undefined ? [] : [s.cpuS]));
  const wall = samples.map((s) => s.wallS);
  console.log(
    `median wall ${median(wall).toFixed(1)} s (range ${Math.min(...wall).toFixed(1)}-${Math.max(...wall).toFixed(1)} s)` +
      (cpus.length ? `, median CPU ${median(cpus).toFixed(1)} s` : ""),
  );
}

main();
