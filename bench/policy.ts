/**
 * npm run bench:policy [-- --runs N] : drives the policy pack over 1,000 and 10,000 resources
 * and prints median times.
 *
 * The engine-faithful measurement ("pack, one call at a time") starts policy/ exactly as the
 * Pulumi CLI does (checker/analyzer.ts) and, like the engine's step generator
 * (pkg/resource/deploy/step_generator.go: analyzer.Analyze per resource, from the deployment
 * executor's single event loop), calls Analyze once per resource, one at a time, then
 * AnalyzeStack once with every resource. Three more rows explain where the time goes:
 * - "pack, 16 calls in flight": the same calls with concurrency, to separate latency from work;
 * - "no-op pack, one call at a time": bench/noop-policy-pack, same transport and @pulumi/policy
 *   server with policies that do nothing: the protocol's own cost;
 * - "policies in-process": every policy on args built as @pulumi/policy's server builds them
 *   (test/policy/harness.ts), no gRPC: the cost of this pack's rules.
 * CPU columns: the pack process (from /proc/<pid>/stat, all its threads) and this client process.
 *
 * Both packs (and the in-process policies) are warmed up before anything is measured, so that
 * the 1k figures, and with them the 10k/1k ratios, do not include JIT warm-up.
 *
 * Each gRPC row gets two verdicts against the same targets. "wall time" is what this benchmark
 * waits for; it includes this Node client's own CPU (grpc-js, protobuf), about as much as the
 * pack's on this machine, which the Pulumi CLI, a Go process, does not spend. "pack CPU" is
 * the pack process's own CPU time: the part of the cost that stays when the CLI is the client
 * (docs/performance.md).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startPolicyPack, type AnalyzerStackResource, type PolicyPack } from "../checker/analyzer";
import { policies } from "../policy/policies";
import { T } from "../policy/lib/resource-types";
import { goodStack } from "../test/policy/fixtures";
import { runPolicy, type ResourceInput } from "../test/policy/harness";
import { median } from "./stats";

const SIZES = [1_000, 10_000];
const ENGINE_MODE = "pack, one call at a time (as the engine)";
const IN_PROCESS_MODE = "policies in-process (no gRPC)";
const STACK_MODE = "pack, AnalyzeStack alone (stack policies)";
const LIMIT_10K_MS = 2_000;
const LIMIT_RATIO = 12;
/** Calls to each pack (one at a time, as measured) before anything is measured. */
const WARMUP_RESOURCES = 2_000;
const PROJECT = "management-bootstrap";
const STACK_CONFIG = { [`${PROJECT}:projectName`]: "acme", [`${PROJECT}:accountName`]: "acme-management" };

/** A management-account stack: the bootstrap resources plus filler of other kinds, some IAM. */
function makeStack(n: number): ResourceInput[] {
  const filler: ((i: number) => ResourceInput)[] = [
    (i) => ({
      type: "aws:s3/bucket:Bucket",
      name: `bucket-${i}`,
      props: { bucket: `acme-logs-${i}`, tags: { Team: "platform" } },
    }),
    (i) => ({
      type: "aws:iam/role:Role",
      name: `role-${i}`,
      props: { name: `role-${i}`, assumeRolePolicy: "{}" },
    }),
    (i) => ({
      type: T.policyAttachment,
      name: `attach-${i}`,
      props: { roles: [`role-${i}`], policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    }),
    (i) => ({
      type: "aws:kms/key:Key",
      name: `key-${i}`,
      props: { description: `key ${i}`, deletionWindowInDays: 30 },
    }),
    (i) => ({
      type: T.userGroupMembership,
      name: `membership-${i}`,
      props: { user: `ops-${i}`, groups: ["ops"] },
    }),
  ];
  const out = goodStack();
  for (let i = out.length; i < n; i++) out.push(filler[i % filler.length](i));
  return out;
}

function toWire(resources: ResourceInput[]): AnalyzerStackResource[] {
  const urn = (r: ResourceInput) => `urn:pulumi:dev::${PROJECT}::${r.type}::${r.name}`;
  const root = urn(resources[0]);
  return resources.map((r, i) => ({
    urn: urn(r),
    type: r.type,
    name: r.name ?? `r${i}`,
    properties: r.props ?? {},
    parent: i === 0 ? undefined : root,
    dependencies: i > 1 ? [urn(resources[i - 1])] : [],
  }));
}

function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return NaN;
  }
}

interface Sample {
  wallMs: number;
  packCpuMs: number;
  clientCpuMs: number;
}

async function measure(pack: PolicyPack | undefined, body: () => Promise<void>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const pack0 = cpuMsOf(pack?.pid);
  const t0 = performance.now();
  await body();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, packCpuMs: cpuMsOf(pack?.pid) - pack0, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Analyze every resource, `inFlight` calls at a time (0: none), then AnalyzeStack once; returns the finding count. */
async function analyzeAll(
  pack: PolicyPack,
  wire: AnalyzerStackResource[],
  inFlight: number,
): Promise<number> {
  let next = 0;
  let findings = 0;
  const worker = async () => {
    while (next < wire.length) findings += (await pack.analyze(wire[next++])).diagnostics.length;
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  findings += (await pack.analyzeStack(wire)).diagnostics.length;
  return findings;
}

/** The real pack must find nothing in the benchmark stack, or its rules did not run as in real use. */
async function analyzeClean(
  pack: PolicyPack,
  wire: AnalyzerStackResource[],
  inFlight: number,
): Promise<void> {
  const findings = await analyzeAll(pack, wire, inFlight);
  if (findings !== 0) {
    throw new Error(`the benchmark stack should be clean, but the pack reported ${findings} finding(s)`);
  }
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a positive whole number, got "${values.runs}"`);

  const stacks = new Map(SIZES.map((n) => [n, makeStack(n)]));
  const rows: { mode: string; n: number; s: Sample[] }[] = [];
  const record = (mode: string, n: number, s: Sample) => {
    let row = rows.find((r) => r.mode === mode && r.n === n);
    if (!row) rows.push((row = { mode, n, s: [] }));
    row.s.push(s);
  };

  const start = (packDir: string) =>
    startPolicyPack({
      packDir,
      project: PROJECT,
      stack: "bench",
      dryRun: true,
      config: STACK_CONFIG,
      timeoutMs: 120_000,
    });
  const real = await start(path.join(__dirname, "../policy"));
  const noop = await start(path.join(__dirname, "noop-policy-pack"));
  try {
    await real.configure();
    await noop.configure();
    // Warm-up, not recorded: the same calls the measured rows make, on a stack of its own.
    const warm = toWire(makeStack(WARMUP_RESOURCES));
    await analyzeClean(real, warm, 1);
    await analyzeClean(real, warm, 16);
    await analyzeAll(noop, warm, 1);
    for (const p of policies) await runPolicy(p, makeStack(SIZES[0]));
    for (let run = 0; run < runs; run++) {
      for (const n of SIZES) {
        const wire = toWire(stacks.get(n)!);
        record(ENGINE_MODE, n, await measure(real, () => analyzeClean(real, wire, 1)));
        record("pack, 16 calls in flight", n, await measure(real, () => analyzeClean(real, wire, 16)));
        record(STACK_MODE, n, await measure(real, () => analyzeClean(real, wire, 0)));
        record(
          "no-op pack, one call at a time",
          n,
          await measure(noop, async () => void (await analyzeAll(noop, wire, 1))),
        );
        record(
          IN_PROCESS_MODE,
          n,
          await measure(undefined, async () => {
            for (const p of policies) await runPolicy(p, stacks.get(n)!);
          }),
        );
      }
    }
  } finally {
    await real.close();
    await noop.close();
  }

  const fmt = (x: number) => (Number.isNaN(x) ? "-" : Math.round(x).toString());
  console.log(
    `policy pack benchmark: medians of ${runs} run(s); each row: Analyze per resource, then one AnalyzeStack`,
  );
  console.log(
    `${"mode".padEnd(44)}${"resources".padStart(10)}${"wall ms".padStart(10)}${"pack cpu".padStart(10)}${"client cpu".padStart(12)}${"10k/1k".padStart(8)}`,
  );
  for (const row of rows) {
    const wall = median(row.s.map((s) => s.wallMs));
    const small = rows.find((r) => r.mode === row.mode && r.n === SIZES[0])!;
    const ratio = row.n === SIZES[1] ? (wall / median(small.s.map((s) => s.wallMs))).toFixed(1) : "";
    console.log(
      `${row.mode.padEnd(44)}${String(row.n).padStart(10)}${fmt(wall).padStart(10)}` +
        `${fmt(median(row.s.map((s) => s.packCpuMs))).padStart(10)}${fmt(median(row.s.map((s) => s.clientCpuMs))).padStart(12)}${ratio.padStart(8)}`,
    );
  }
  const verdict = (mode: string, metric: "wallMs" | "packCpuMs") => {
    const at = (n: number) => median(rows.find((r) => r.mode === mode && r.n === n)!.s.map((s) => s[metric]));
    const ok = at(10_000) <= LIMIT_10K_MS && at(10_000) / at(1_000) <= LIMIT_RATIO;
    return `${ok ? "meets" : "MISSES"} the targets (10k <= ${LIMIT_10K_MS} ms: ${fmt(at(10_000))} ms; 10k/1k <= ${LIMIT_RATIO}: ${(at(10_000) / at(1_000)).toFixed(1)})`;
  };
  console.log(
    "verdicts: wall time = what this benchmark waits for, including this Node client's own CPU, which the" +
      " Pulumi CLI (Go) does not spend; pack CPU = the pack process's own CPU, what stays with the CLI as client",
  );
  for (const mode of [ENGINE_MODE, STACK_MODE, IN_PROCESS_MODE]) {
    console.log(`${mode}, wall time: ${verdict(mode, "wallMs")}`);
    if (mode !== IN_PROCESS_MODE) console.log(`${mode}, pack CPU: ${verdict(mode, "packCpuMs")}`);
  }
}

main().catch((e) => {
  console.error(`bench:policy: ${(e as Error).message}`);
  process.exit(1);
});
