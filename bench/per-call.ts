/**
 * `npx ts-node --transpile-only bench/per-call.ts [options]`: where the time of one `Analyze`
 * round trip goes (docs/performance.md). Starts a pack as the CLI does (checker/analyzer.ts),
 * warms it up, then sends N `Analyze` calls one at a time and prints, per call, the wall time,
 * the pack's CPU (/proc/<pid>/stat) and this client's CPU, as medians over --runs.
 *
 * --pack noop|real          bench/noop-policy-pack (default) or policy/
 * --client checker|raw|go   PolicyPack.analyze (per call: build and serialise the request,
 *                           new Metadata, a deadline), a bare grpc-js unary call with a
 *                           request serialised once and no deadline (the cheapest Node
 *                           client), or bench/h2-client, a Go client on raw HTTP/2 frames that
 *                           stands in for the CLI (build it first:
 *                           `cd bench/h2-client && go build -o /tmp/h2-client .`)
 * --go-client BIN           the built h2-client (default /tmp/h2-client)
 * --deadline                with --client raw: give every call a deadline, as checker does
 * --compare A,B,...         several Node clients (raw, raw+deadline, checker) on the same pack,
 *                           interleaved run by run, so that the machine's other load is shared
 * --child-node-options S    NODE_OPTIONS for the pack process (e.g. "--cpu-prof ...")
 * --child-require FILE      preload a module into the pack (a NODE_OPTIONS --require)
 * --launcher cli|plain      cli (default): as the CLI starts it (run-policy-pack: ts-node with
 *                           type-checking, source-map-support, v8 hooks with the inspector's
 *                           Debugger enabled); plain: `node -r ts-node/register/transpile-only
 *                           <pack>/index.ts`, the same server without run-policy-pack (no stack
 *                           config or Configure, so --pack noop and --client raw or go only)
 * --echo                    instead of a pack, a bare grpc-js server (no Pulumi at all) that
 *                           answers Analyze with an empty response: the transport's floor
 * --n N (10000), --warmup N (1000), --runs N (3)
 *
 * The pack is stopped with SIGTERM (exit 0 via a preloaded handler) so that --cpu-prof can
 * write its profile; the engine address it is given counts every Engine RPC it receives,
 * which shows whether the pack calls back into the engine per Analyze.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginepb from "@pulumi/pulumi/proto/engine_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { startPolicyPack, type EngineServer, type PolicyPack } from "../checker/analyzer";
import { median } from "./stats";

const PROJECT = "management-bootstrap";
const RESOURCE = {
  urn: `urn:pulumi:dev::${PROJECT}::aws:s3/bucket:Bucket::bucket-1`,
  type: "aws:s3/bucket:Bucket",
  name: "bucket-1",
  properties: { bucket: "acme-logs-1", tags: { Team: "platform" } },
};

/** An Engine service that answers everything and counts what it is asked. */
async function countingEngine(): Promise<EngineServer & { calls: Record<string, number> }> {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const server = new grpc.Server();
  const impl: Partial<enginerpc.IEngineServer> = {
    log: (_call, cb) => (count("Log"), cb(null, new Empty())),
    getRootResource: (_call, cb) => (
      count("GetRootResource"),
      cb(null, new enginepb.GetRootResourceResponse())
    ),
    setRootResource: (_call, cb) => (
      count("SetRootResource"),
      cb(null, new enginepb.SetRootResourceResponse())
    ),
  };
  server.addService(enginerpc.EngineService, impl as enginerpc.IEngineServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, logs: [], calls, close: () => server.forceShutdown() };
}

function cpuMsOf(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, 10 ms ticks
}

/** Spawns a server that prints its port on its first stdout line. */
function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
    child.once("exit", (c) => reject(new Error(`server ${args.join(" ")} exited with ${c}`)));
  });
}

/** A bare grpc-js server answering Analyze with an empty response, started like a pack. */
function startEcho(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const code = `
    const grpc = require(${JSON.stringify(require.resolve("@grpc/grpc-js"))});
    process.on("SIGTERM", () => process.exit(0));
    const empty = Buffer.alloc(0);
    const s = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    s.register("/pulumirpc.Analyzer/Analyze", (call, cb) => cb(null, empty), (x) => x, (x) => x, "unary");
    s.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => console.log(String(p)));`;
  return spawnServer(["-e", code], env);
}

/** Runs bench/h2-client; the pack's CPU is read when it says "start" and "done". */
async function goRuns(
  bin: string,
  port: number,
  bytes: Buffer,
  pid: number,
  values: { warmup?: string },
  n: number,
  runs: number,
): Promise<{ wall: number; pack: number; client: number }[]> {
  const args = [`127.0.0.1:${port}`, "/pulumirpc.Analyzer/Analyze", bytes.toString("hex")];
  const child = spawn(bin, [...args, String(values.warmup), String(n), String(runs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const out: { wall: number; pack: number; client: number }[] = [];
  let p0 = 0;
  let buf = "";
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).split(" ");
      buf = buf.slice(nl + 1);
      if (line[0] === "start") p0 = cpuMsOf(pid);
      else out.push({ wall: Number(line[1]) / 1e6, pack: cpuMsOf(pid) - p0, client: Number(line[2]) / 1e6 });
    }
  });
  const code = await new Promise((r) => child.once("exit", r));
  if (code !== 0) throw new Error(`h2-client exited with ${code}`);
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: {
      pack: { type: "string", default: "noop" },
      client: { type: "string", default: "checker" },
      deadline: { type: "boolean", default: false },
      "child-node-options": { type: "string", default: "" },
      "child-require": { type: "string", multiple: true, default: [] },
      echo: { type: "boolean", default: false },
      launcher: { type: "string", default: "cli" },
      compare: { type: "string", default: "" },
      "go-client": { type: "string", default: "/tmp/h2-client" },
      n: { type: "string", default: "10000" },
      warmup: { type: "string", default: "1000" },
      runs: { type: "string", default: "3" },
    },
  });
  const n = Number(values.n);
  const runs = Number(values.runs);

  // Preloaded into the pack: exit cleanly on SIGTERM, so that --cpu-prof writes its profile.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "per-call-"));
  const onTerm = path.join(tmp, "exit-on-sigterm.js");
  fs.writeFileSync(onTerm, 'process.on("SIGTERM", () => process.exit(0));\n');
  const requires = [onTerm, ...(values["child-require"] ?? []).map((f) => path.resolve(f))];
  const nodeOptions = [values["child-node-options"], ...requires.map((f) => `--require ${f}`)]
    .filter(Boolean)
    .join(" ");
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };

  const engine = await countingEngine();
  let pack: PolicyPack | undefined;
  let spawnedAt = performance.now();
  let echo: { child: ChildProcess; port: number } | undefined;
  const packDir = path.join(__dirname, values.pack === "real" ? "../policy" : "noop-policy-pack");
  if (values.echo) {
    spawnedAt = performance.now();
    echo = await startEcho(env);
  } else if (values.launcher === "plain") {
    spawnedAt = performance.now();
    const args = ["-r", require.resolve("ts-node/register/transpile-only"), path.join(packDir, "index.ts")];
    echo = await spawnServer(args, env, packDir);
  } else {
    pack = await startPolicyPack({
      packDir,
      project: PROJECT,
      stack: "bench",
      dryRun: true,
      config: { [`${PROJECT}:projectName`]: "acme", [`${PROJECT}:accountName`]: "acme-management" },
      timeoutMs: 120_000,
      engine,
      env,
      onSpawn: () => (spawnedAt = performance.now()),
    });
    await pack.configure();
  }
  const pid = (pack?.pid ?? echo!.child.pid)!;
  const port = pack?.port ?? echo!.port;
  const enginesAfterStart = { ...engine.calls };

  // The cheapest client: one request serialised once, a bare unary call.
  const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const bytes = Buffer.from(
    new analyzerpb.AnalyzeRequest()
      .setUrn(RESOURCE.urn)
      .setType(RESOURCE.type)
      .setName(RESOURCE.name)
      .setProperties(Struct.fromJavaScript(RESOURCE.properties))
      // @pulumi/policy rejects a request without options ("a more recent CLI is required").
      .setOptions(
        new analyzerpb.AnalyzerResourceOptions().setCustomtimeouts(
          new analyzerpb.AnalyzerResourceOptions.CustomTimeouts(),
        ),
      )
      .serializeBinary(),
  );
  const rawCall = (deadline: boolean) => () =>
    new Promise<void>((resolve, reject) =>
      raw.makeUnaryRequest(
        "/pulumirpc.Analyzer/Analyze",
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new grpc.Metadata(),
        deadline ? { deadline: Date.now() + 120_000 } : {},
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  const clients: Record<string, () => Promise<void>> = {
    raw: rawCall(false),
    "raw+deadline": rawCall(true),
    checker: () => pack!.analyze(RESOURCE).then(() => undefined),
  };
  const client = values.client === "go" ? "go" : values.client === "raw" || !pack ? "raw" : "checker";
  const chosen = values.compare
    ? values.compare.split(",")
    : [values.deadline && client === "raw" ? "raw+deadline" : client];
  for (const c of chosen) if (c !== "go" && !clients[c]) throw new Error(`unknown client ${c}`);

  const samples: Record<string, { wall: number; pack: number; client: number }[]> = {};
  for (const c of chosen) samples[c] = [];
  if (client === "go")
    samples.go.push(...(await goRuns(values["go-client"]!, port, bytes, pid, values, n, runs)));
  else for (let i = 0; i < Number(values.warmup); i++) for (const c of chosen) await clients[c]();
  for (let r = 0; client !== "go" && r < runs; r++) {
    // Interleaved, in a rotating order, so that load from elsewhere falls on every variant.
    for (let k = 0; k < chosen.length; k++) {
      const name = chosen[(r + k) % chosen.length];
      const call = clients[name];
      const c0 = process.cpuUsage();
      const p0 = cpuMsOf(pid);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await call();
      const t1 = performance.now();
      const wall = t1 - t0;
      const win = (o: number) => `--from-ms ${(t0 - o).toFixed(0)} --to-ms ${(t1 - o).toFixed(0)}`;
      console.log(`  run ${r + 1} ${name} window: client profile ${win(0)}, pack profile ${win(spawnedAt)}`);
      const c = process.cpuUsage(c0);
      samples[name].push({ wall, pack: cpuMsOf(pid) - p0, client: (c.user + c.system) / 1000 });
    }
  }
  raw.close();

  const us = (ms: number) => ((ms * 1000) / n).toFixed(0).padStart(6);
  const label = values.echo
    ? "echo (bare grpc-js server)"
    : `${values.pack} pack${values.launcher === "plain" ? " (plain launcher)" : ""}`;
  console.log(
    `${label}` +
      `${values["child-node-options"] ? `, child NODE_OPTIONS "${values["child-node-options"]}"` : ""}` +
      `${values["child-require"]?.length ? `, child --require ${values["child-require"].join(",")}` : ""}`,
  );
  for (const [name, ss] of Object.entries(samples)) {
    for (const s of ss) {
      console.log(
        `  ${name} run: wall ${s.wall.toFixed(0)} ms  pack cpu ${s.pack} ms  client cpu ${s.client.toFixed(0)} ms`,
      );
    }
    const wall = median(ss.map((s) => s.wall));
    console.log(
      `  ${name.padEnd(13)} median per call (us): wall ${us(wall)}  pack cpu ${us(median(ss.map((s) => s.pack)))}` +
        `  client cpu ${us(median(ss.map((s) => s.client)))}   (${n} calls; 10k wall ${((wall * 10_000) / n).toFixed(0)} ms)`,
    );
  }
  const perCall: Record<string, number> = {};
  for (const [k, v] of Object.entries(engine.calls)) perCall[k] = v - (enginesAfterStart[k] ?? 0);
  console.log(
    `  Engine RPCs from the pack: at start ${JSON.stringify(enginesAfterStart)}, during the ${
      Number(values.warmup) + runs * n
    } Analyze calls or more ${JSON.stringify(perCall)}`,
  );

  if (pack?.stderr.trim()) console.log(`  pack stderr: ${pack.stderr.trim()}`);

  // SIGTERM, not close()'s SIGKILL, so that the pack's --cpu-prof profile is written.
  const child = { pid };
  const exited = pack ? pack.exited : new Promise((r) => echo!.child.once("exit", r));
  process.kill(child.pid, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  await pack?.close();
  engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(`per-call: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
