/** The engine's side of the analyzer protocol: starts a policy pack as the CLI does, and calls it. */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginepb from "@pulumi/pulumi/proto/engine_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { safeLine } from "../lib/text";
import type { PlannedResource } from "./run-program";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

/** A policy's config properties, as JSON Schemas. */
type Schema = Record<string, Record<string, unknown>>;

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  severity: string;
  remediationSteps: string;
  url: string;
  tags: string[];
  configSchema?: { properties: Schema };
}

export type AnalyzerInfo = { name: string; version: string; policies: PolicyInfo[] };

export type PolicyConfig = { enforcementLevel: EnforcementLevel; properties?: Record<string, unknown> };

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  severity: string;
  urn: string;
}

/** `info`: only the audit's own notes (what it found absent); the pack logs warnings and errors. */
export type LogEntry = { severity: "info" | "warning" | "error"; message: string; urn: string };

/** The stack the pack runs for; absent for `--file` (as `pulumi policy analyze`). */
export interface StackContext {
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  dryRun: boolean;
}

/** A failure of the pack: it did not start, crashed, refused a call or did not answer in time. */
export class PolicyPackError extends Error {}

const LEVEL = ["advisory", "mandatory", "disabled", "remediate"] as const; // analyzer.proto EnforcementLevel
const SEVERITY = ["", "low", "medium", "high", "critical"]; // PolicySeverity

/**
 * Why `dir` cannot be a local policy pack, or "". A folder without PulumiPolicy.yaml gets the
 * Pulumi CLI's own words (plugin.NewPolicyAnalyzer loads DIR/PulumiPolicy.yaml first); without
 * this, a missing folder surfaced as `spawn .../node ENOENT`. `shown`: the folder as the user gave it.
 */
export function policyPackDirProblem(dir: string, shown = dir): string {
  const expected = "expected the policy pack's folder, e.g. ./policy";
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat) return `--policy-pack ${shown}: no such folder (${expected})`;
  if (!stat.isDirectory()) return `--policy-pack ${shown}: not a folder (${expected})`;
  if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
    const file = path.join(shown, "PulumiPolicy.yaml");
    return `failed to load Pulumi policy project located at "${shown}": open ${file}: no such file or directory`;
  }
  return "";
}

/** The one line worth showing from a failed process's stderr: the compiler's, else the error's. */
export function errorLine(stderr: string): string {
  const lines = safeLine(stderr.replace(/\n/g, "\u2028"))
    .split("\u2028")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("at "));
  const first = (pattern: RegExp) => lines.find((l) => pattern.test(l));
  return first(/\berror TS\d+/) ?? first(/^\w*Error\b.*?:/) ?? lines.at(-1) ?? "";
}

/** `: <the line>` to end a message with, if stderr has one. */
const tail = (stderr: string) => {
  const line = errorLine(stderr);
  return line && `: ${line}`;
};

/** The engine's side of the protocol: a pack only logs through it. */
function startEngine(logs: LogEntry[]): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  const severity: Record<number, LogEntry["severity"]> = {
    [enginepb.LogSeverity.WARNING]: "warning",
    [enginepb.LogSeverity.ERROR]: "error",
  };
  server.addService(enginerpc.EngineService, {
    log: (call: grpc.ServerUnaryCall<enginepb.LogRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => {
      // Debug and info logs are the engine's verbose log only (the SDK's quote whole RPC payloads).
      const s = severity[call.request.getSeverity()];
      if (s) logs.push({ severity: s, message: call.request.getMessage(), urn: call.request.getUrn() });
      cb(null, new Empty());
    },
  } as unknown as enginerpc.IEngineServer);
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve({ server, address: `127.0.0.1:${port}` }),
    ),
  );
}

const struct = (v: Record<string, unknown>) =>
  Struct.fromJavaScript(v as Parameters<typeof Struct.fromJavaScript>[0]);

/** A unary method of the generated client, in its overload that takes call options. */
type Rpc<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

export class PolicyPack {
  private client!: analyzerrpc.AnalyzerClient;
  private info?: AnalyzerInfo;
  private stderr = "";
  private exit?: string;

  private constructor(
    private readonly child: ChildProcess,
    private readonly engine: grpc.Server,
    readonly logs: LogEntry[],
    readonly packDir: string,
    private readonly timeoutMs: number,
  ) {
    child.stderr?.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-8192)));
    child.stdout?.resume(); // the pack may print more; never let its pipe fill up
    child.once(
      "exit",
      (code, signal) => (this.exit = signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  }

  /** Starts the pack in `packDir`; the caller must close() it. */
  static async start(packDir: string, timeoutMs: number, stack?: StackContext): Promise<PolicyPack> {
    packDir = path.resolve(packDir);
    const problem = policyPackDirProblem(packDir);
    if (problem) throw new PolicyPackError(problem);
    let runPolicyPack: string;
    try {
      runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    } catch {
      throw new PolicyPackError(
        `the policy pack's dependencies are not installed: run npm ci (pack: ${packDir})`,
      );
    }
    const logs: LogEntry[] = [];
    const engine = await startEngine(logs);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env))
      if (/^PULUMI_(NODEJS_|CONFIG|PROJECT|STACK|DRY_RUN|ORGANIZATION)/.test(k)) delete env[k];
    if (stack) {
      Object.assign(env, {
        PULUMI_CONFIG: JSON.stringify(stack.config),
        PULUMI_NODEJS_PROJECT: stack.project,
        PULUMI_NODEJS_STACK: stack.stack,
        PULUMI_NODEJS_DRY_RUN: String(stack.dryRun),
        PULUMI_PROJECT: stack.project,
        PULUMI_STACK: stack.stack,
        PULUMI_DRY_RUN: String(stack.dryRun),
      });
    }
    const child = spawn(process.execPath, [runPolicyPack, engine.address, packDir], {
      cwd: packDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pack = new PolicyPack(child, engine.server, logs, packDir, timeoutMs);
    try {
      const port = await pack.readPort();
      pack.client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      if (stack) {
        const req = new analyzerpb.AnalyzerStackConfigureRequest()
          .setProject(stack.project)
          .setStack(stack.stack)
          .setDryRun(stack.dryRun)
          .setConfigSecretKeysList(stack.secretKeys);
        for (const [k, v] of Object.entries(stack.config)) req.getConfigMap().set(k, v);
        await pack.call("ConfigureStack", pack.client.configureStack, req, true);
      }
      return pack;
    } catch (e) {
      await pack.close();
      throw e;
    }
  }

  /** The port the pack prints on its first line of output, as the CLI reads it. */
  private readPort(): Promise<number> {
    const { child, timeoutMs } = this;
    return new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => fail(`policy pack did not print its port within ${timeoutMs} ms`),
        timeoutMs,
      );
      const onData = (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf("\n");
        if (nl < 0) return;
        const port = Number(out.slice(0, nl).trim());
        if (Number.isInteger(port) && port > 0 && port < 65536) {
          done();
          resolve(port);
        } else fail("policy pack did not print a port on its first line of output");
      };
      // Let the last stderr chunk arrive before quoting it.
      const onExit = () =>
        setImmediate(() => fail(`policy pack failed to start: it ${this.exit}${tail(this.stderr)}`));
      const onError = (e: Error) => fail(`policy pack failed to start: ${e.message}`);
      function fail(message: string) {
        done();
        reject(new PolicyPackError(message));
      }
      function done() {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        child.off("error", onError);
      }
      child.stdout?.on("data", onData);
      child.once("exit", onExit);
      child.once("error", onError);
    });
  }

  private call<Req, Res>(
    method: string,
    rpc: Rpc<Req, Res>,
    req: Req,
    allowUnimplemented = false,
  ): Promise<Res | undefined> {
    const options = { deadline: Date.now() + this.timeoutMs };
    return new Promise((resolve, reject) =>
      rpc.call(this.client, req, new grpc.Metadata(), options, (err, res) => {
        if (!err) return resolve(res);
        if (allowUnimplemented && err.code === grpc.status.UNIMPLEMENTED) return resolve(undefined);
        const what =
          err.code === grpc.status.DEADLINE_EXCEEDED
            ? `did not answer ${method} within ${this.timeoutMs} ms`
            : this.exit || err.code === grpc.status.UNAVAILABLE
              ? `${this.exit ?? "became unreachable"} during ${method}${tail(this.stderr)}`
              : `refused ${method}: ${safeLine(err.details || err.message)}`;
        reject(new PolicyPackError(`policy pack ${this.packDir} ${what}`));
      }),
    );
  }

  /** GetAnalyzerInfo, as analyzer_plugin.go converts it (policies sorted by name). */
  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    if (this.info) return this.info;
    const resp = (await this.call("GetAnalyzerInfo", this.client.getAnalyzerInfo, new Empty()))!;
    const policies = resp.getPoliciesList().map((p): PolicyInfo => ({
      name: p.getName(),
      description: p.getDescription(),
      enforcementLevel: LEVEL[p.getEnforcementlevel()] ?? "advisory",
      severity: SEVERITY[p.getSeverity()] ?? "",
      remediationSteps: p.getRemediationSteps(),
      url: p.getUrl(),
      tags: p.getTagsList(),
      configSchema: resp.getSupportsconfig()
        ? { properties: (p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Schema }
        : undefined,
    }));
    policies.sort((a, b) => a.name.localeCompare(b.name));
    this.info = { name: resp.getName(), version: resp.getVersion(), policies };
    return this.info;
  }

  async configure(config: Record<string, PolicyConfig>): Promise<void> {
    const req = new analyzerpb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      const level = LEVEL.indexOf(c.enforcementLevel);
      const policy = new analyzerpb.PolicyConfig().setEnforcementlevel(level);
      req.getPolicyconfigMap().set(name, policy.setProperties(struct(c.properties ?? {})));
    }
    await this.call("Configure", this.client.configure, req);
  }

  private resource<R extends analyzerpb.AnalyzeRequest | analyzerpb.AnalyzerResource>(
    msg: R,
    r: PlannedResource,
    props: Record<string, unknown>,
    provider?: PlannedResource,
  ): R {
    msg.setUrn(r.urn).setType(r.type).setName(r.name).setProperties(struct(props));
    msg.setOptions(
      new analyzerpb.AnalyzerResourceOptions()
        .setProtect(r.options.protect ?? false)
        .setIgnorechangesList(r.options.ignoreChanges ?? [])
        .setDeletebeforereplace(r.options.deleteBeforeReplace ?? false)
        .setDeletebeforereplacedefined(r.options.deleteBeforeReplace !== undefined)
        .setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts())
        .setParent(r.parent),
    );
    if (provider) {
      msg.setProvider(
        new analyzerpb.AnalyzerProviderResource()
          .setUrn(provider.urn)
          .setType(provider.type)
          .setName(provider.name)
          .setProperties(struct(provider.inputs)),
      );
    }
    return msg;
  }

  /** Analyze: one resource's inputs, before its step runs. */
  async analyze(r: PlannedResource, provider?: PlannedResource): Promise<Diagnostic[]> {
    const req = this.resource(new analyzerpb.AnalyzeRequest(), r, r.inputs, provider);
    return this.diagnostics((await this.call("Analyze", this.client.analyze, req))!);
  }

  /** AnalyzeStack: every resource's outputs, once all steps ran. */
  async analyzeStack(
    resources: PlannedResource[],
    providerOf: (r: PlannedResource) => PlannedResource | undefined,
  ): Promise<Diagnostic[]> {
    const req = new analyzerpb.AnalyzeStackRequest().setResourcesList(
      resources.map((r) =>
        this.resource(new analyzerpb.AnalyzerResource(), r, r.outputs, providerOf(r))
          .setParent(r.parent)
          .setDependenciesList(r.dependencies),
      ),
    );
    const resp = await this.call("AnalyzeStack", this.client.analyzeStack, req, true);
    return resp ? this.diagnostics(resp) : [];
  }

  private diagnostics(resp: analyzerpb.AnalyzeResponse): Diagnostic[] {
    return resp.getDiagnosticsList().map((d) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      message: d.getMessage(),
      enforcementLevel: LEVEL[d.getEnforcementlevel()] ?? "advisory",
      severity:
        SEVERITY[d.getSeverity()] ||
        (this.info?.policies.find((p) => p.name === d.getPolicyname())?.severity ?? ""),
      urn: d.getUrn(),
    }));
  }

  /** Stops the pack and the engine server; resolves once the pack has exited. */
  async close(): Promise<void> {
    this.client?.close();
    this.engine.forceShutdown();
    // A pack that never spawned (no pid) has no exit to wait for.
    if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null)
      return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }
}
