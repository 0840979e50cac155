/**
 * A typed client for a local Pulumi policy pack, started and spoken to exactly as the
 * Pulumi CLI does it, so that the offline checker (and the pack's own tests and benchmark)
 * exercise the real pack over the real Analyzer protocol without the CLI.
 *
 * Engine code mirrored (pulumi/pulumi):
 * - pkg/resource/plugin/analyzer_plugin.go: NewPolicyAnalyzer (launch, ConfigureStack),
 *   Analyze / AnalyzeStack / Remediate / GetAnalyzerInfo / Configure, marshalProvider,
 *   marshalResourceOptions, convertDiagnostics (the PulumiPolicy.yaml version wins).
 * - sdk/nodejs/cmd/pulumi-language-nodejs/main.go: RunPlugin for kind=analyzer: resolves
 *   `@pulumi/pulumi/cmd/run-policy-pack` from the pack directory, runs
 *   `node <run-policy-pack> <engine-address> <pack-dir>` with the pack as working directory,
 *   env PULUMI_NODEJS_{ORGANIZATION,PROJECT,STACK,DRY_RUN}, PULUMI_CONFIG (JSON of
 *   `ns:key` -> string) and PULUMI_NODEJS_TYPESCRIPT=true.
 * - sdk/policy_proxy.go: the language host's proxy forwards ConfigureStack to the pack once
 *   it printed its port (Unimplemented is fine for older packs).
 * - pkg/resource/plugin/plugin.go: newPlugin/parsePort (first stdout line is the port).
 * - sdk/go/common/resource/plugin/rpc.go: MarshalProperties with KeepUnknowns, KeepSecrets,
 *   SkipInternalKeys (see ./wire.ts).
 * - pkg/resource/analyzer/config.go: the `--policy-pack-config` file format,
 *   ReconcilePolicyPackConfig (defaults, `all`, per-policy) and its JSON-schema validation.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import Ajv, { type ValidateFunction } from "ajv";
import * as yaml from "js-yaml";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginepb from "@pulumi/pulumi/proto/engine_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PropertyMap, toEngineWire } from "./wire";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type PolicySeverity = "" | "low" | "medium" | "high" | "critical";
export type PolicyType = "unknown" | "resource" | "stack";
export type JSONSchema = Record<string, unknown>;

export interface PolicyConfigSchema {
  properties: Record<string, JSONSchema>;
  required: string[];
}

export interface PolicyInfo {
  name: string;
  displayName: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  /** As the engine reports it: with `enforcementLevel` injected when the pack supports config. */
  configSchema?: PolicyConfigSchema;
  type: PolicyType;
  severity: PolicySeverity;
  remediationSteps: string;
  url: string;
  tags: string[];
  framework?: { name: string; version: string; reference: string; specification: string };
}

export interface PolicyConfig {
  enforcementLevel: EnforcementLevel | "";
  properties?: Record<string, unknown>;
}

export interface AnalyzerInfo {
  name: string;
  displayName: string;
  version: string;
  description: string;
  supportsConfig: boolean;
  /** Sorted by name, as the engine sorts them. */
  policies: PolicyInfo[];
  initialConfig: Record<string, PolicyConfig>;
}

export interface ResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  /** undefined = not set (the engine sends deleteBeforeReplaceDefined=false). */
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number; read?: number };
  parent?: string;
}

export interface ProviderResource {
  urn: string;
  type: string;
  name: string;
  /** The provider's inputs (the engine sends `providerResource.Inputs`). */
  properties: PropertyMap;
}

export interface AnalyzerResource {
  urn: string;
  type: string;
  name: string;
  /** Property values in the engine's wire form (see ./wire.ts for secrets and unknowns). */
  properties: PropertyMap;
  options?: ResourceOptions;
  provider?: ProviderResource;
}

export interface AnalyzerStackResource extends AnalyzerResource {
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export interface AnalyzeDiagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
  severity: PolicySeverity;
}

export interface AnalyzeResult {
  diagnostics: AnalyzeDiagnostic[];
  notApplicable: { policyName: string; reason: string }[];
}

export interface Remediation {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  properties?: Record<string, unknown>;
  diagnostic: string;
}

export interface EngineLogEntry {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

export interface StartPolicyPackOptions {
  /** Directory holding PulumiPolicy.yaml (the `--policy-pack` argument). */
  packDir: string;
  /**
   * The stack the pack judges. Leave project and stack out to start the pack with no stack
   * context at all, as `pulumi policy analyze` does (it passes no PolicyAnalyzerOptions:
   * no ConfigureStack, no PULUMI_NODEJS_* or PULUMI_CONFIG).
   */
  project?: string;
  stack?: string;
  organization?: string;
  /** Stack config as the engine gives it: `namespace:key` -> string (objects as JSON). */
  config?: Record<string, string>;
  /** Config keys whose values are secrets (ConfigureStack's configSecretKeys). */
  configSecretKeys?: string[];
  /** Stack tags (ConfigureStack's tags). */
  tags?: Record<string, string>;
  /** true for `pulumi preview`, false for `pulumi up`. */
  dryRun: boolean;
  /**
   * Bound for the start and for each RPC (ms). Default 30 s. The RPC bound is a timer on this
   * side, not a gRPC deadline: the engine sends none (see PolicyPack.call).
   */
  timeoutMs?: number;
  /** Bound for each RPC (ms), where it should differ from `timeoutMs`'s. */
  callTimeoutMs?: number;
  /** The engine server to announce (shared with the program); one of its own otherwise. */
  engine?: EngineServer;
  /** Aborting stops a start in progress (the pack is killed, the start rejects). */
  signal?: AbortSignal;
  /** Called with the pack's process id as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
  /** Extra environment for the pack (the CLI passes its own environment through). */
  env?: NodeJS.ProcessEnv;
}

/** What went wrong, where: the pack failed to start, crashed, timed out or rejected a call. */
export class PolicyPackError extends Error {
  constructor(
    message: string,
    readonly stage: "start" | "timeout" | "crash" | "rpc" | "config",
  ) {
    super(message);
    this.name = "PolicyPackError";
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const STDERR_KEEP = 8_000;

// Every started pack, so that none outlives this process whatever way it ends: at exit, and
// on the signals that end a process without running exit handlers (Ctrl-C does not reach
// the pack itself, which has a process group of its own).
const livePacks = new Set<ChildProcess>();
const ENDING_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const onExit = () => {
  for (const c of livePacks) killGroup(c);
};
const onSignal = (signal: NodeJS.Signals) => {
  onExit();
  unwatch();
  // Then end as the signal would have ended this process.
  process.kill(process.pid, signal);
};
function watch(): void {
  process.on("exit", onExit);
  for (const s of ENDING_SIGNALS) process.on(s, onSignal);
}
function unwatch(): void {
  process.off("exit", onExit);
  for (const s of ENDING_SIGNALS) process.off(s, onSignal);
}
function trackChild(child: ChildProcess): void {
  if (livePacks.size === 0) watch();
  livePacks.add(child);
  child.once("exit", () => untrack(child));
}
function untrack(child: ChildProcess): void {
  if (livePacks.delete(child) && livePacks.size === 0) unwatch();
}

// The pack runs in its own process group (like the engine's cmdutil.RegisterProcessGroup)
// so that killing the group also ends anything the pack itself started.
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** The pack's PulumiPolicy.yaml, as workspace.LoadPolicyPack reads it. */
export interface PolicyPackProject {
  runtime: string;
  version?: string;
  description?: string;
}

export function loadPolicyPackProject(packDir: string): PolicyPackProject {
  const file = path.join(packDir, "PulumiPolicy.yaml");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PolicyPackError(
      `policy pack not found: ${file} does not exist (expected a directory with PulumiPolicy.yaml)`,
      "start",
    );
  }
  const doc = yaml.load(text) as Record<string, unknown> | null;
  const runtime = doc?.runtime;
  const runtimeName =
    typeof runtime === "string"
      ? runtime
      : runtime && typeof runtime === "object"
        ? (runtime as { name?: unknown }).name
        : undefined;
  if (typeof runtimeName !== "string" || runtimeName === "") {
    throw new PolicyPackError(`${file}: 'runtime' is missing (expected e.g. 'runtime: nodejs')`, "start");
  }
  return {
    runtime: runtimeName,
    version: typeof doc?.version === "string" ? doc.version : undefined,
    description: typeof doc?.description === "string" ? doc.description : undefined,
  };
}

/** plugin.go parsePort: strip terminal progress escapes, trim, 1..65535. */
export function parsePort(line: string): number {
  const cleaned = line.replaceAll("\x1b]9;4;3;\x1b\\", "").replaceAll("\x1b]9;4;0;\x1b\\", "").trim();
  if (!/^\d+$/.test(cleaned)) throw new Error(`could not parse port: ${JSON.stringify(cleaned)}`);
  const port = Number(cleaned);
  if (port <= 0 || port > 65535) throw new Error(`invalid port number: ${port}`);
  return port;
}

/**
 * The address the pack (and the program) is told is the engine's (`host.ServerAddr()`): a
 * small Engine service that records Log calls, so what they log through the engine is kept.
 */
export interface EngineServer {
  address: string;
  logs: EngineLogEntry[];
  close(): void;
}

export async function startEngineServer(): Promise<EngineServer> {
  const logs: EngineLogEntry[] = [];
  const server = new grpc.Server();
  const severities: Record<number, EngineLogEntry["severity"]> = {
    [enginepb.LogSeverity.DEBUG]: "debug",
    [enginepb.LogSeverity.INFO]: "info",
    [enginepb.LogSeverity.WARNING]: "warning",
    [enginepb.LogSeverity.ERROR]: "error",
  };
  const impl: Partial<enginerpc.IEngineServer> = {
    log: (call, cb) => {
      // Debug logs are the engine's verbose log only; the SDK's quote whole RPC responses,
      // secret values included, so they are not kept at all.
      if (call.request.getSeverity() === enginepb.LogSeverity.DEBUG) return cb(null, new Empty());
      logs.push({
        severity: severities[call.request.getSeverity()] ?? "info",
        message: call.request.getMessage(),
        urn: call.request.getUrn(),
      });
      cb(null, new Empty());
    },
    getRootResource: (_call, cb) => cb(null, new enginepb.GetRootResourceResponse()),
    setRootResource: (_call, cb) => cb(null, new enginepb.SetRootResourceResponse()),
  };
  server.addService(enginerpc.EngineService, impl as enginerpc.IEngineServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, logs, close: () => server.forceShutdown() };
}

const LEVEL_FROM_PB: Record<number, EnforcementLevel> = {
  [analyzerpb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerpb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerpb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerpb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_TO_PB: Record<EnforcementLevel, analyzerpb.EnforcementLevel> = {
  advisory: analyzerpb.EnforcementLevel.ADVISORY,
  mandatory: analyzerpb.EnforcementLevel.MANDATORY,
  disabled: analyzerpb.EnforcementLevel.DISABLED,
  remediate: analyzerpb.EnforcementLevel.REMEDIATE,
};
const SEVERITY_FROM_PB: Record<number, PolicySeverity> = {
  [analyzerpb.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED]: "",
  [analyzerpb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [analyzerpb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [analyzerpb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [analyzerpb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};
const TYPE_FROM_PB: Record<number, PolicyType> = {
  [analyzerpb.PolicyType.POLICY_TYPE_UNKNOWN]: "unknown",
  [analyzerpb.PolicyType.POLICY_TYPE_RESOURCE]: "resource",
  [analyzerpb.PolicyType.POLICY_TYPE_STACK]: "stack",
};

const ENFORCEMENT_LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];
export function isEnforcementLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && ENFORCEMENT_LEVELS.includes(v);
}

function convertLevel(el: number): EnforcementLevel {
  const level = LEVEL_FROM_PB[el];
  if (!level) throw new PolicyPackError(`invalid enforcement level ${el}`, "rpc");
  return level;
}

function toStruct(props: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]);
}

function marshalOptions(opts: ResourceOptions | undefined): analyzerpb.AnalyzerResourceOptions {
  // marshalResourceOptions: custom timeouts are always present; deleteBeforeReplace carries
  // a "defined" flag.
  const o = opts ?? {};
  const timeouts = new analyzerpb.AnalyzerResourceOptions.CustomTimeouts()
    .setCreate(o.customTimeouts?.create ?? 0)
    .setUpdate(o.customTimeouts?.update ?? 0)
    .setDelete(o.customTimeouts?.delete ?? 0)
    .setRead(o.customTimeouts?.read ?? 0);
  return new analyzerpb.AnalyzerResourceOptions()
    .setProtect(o.protect ?? false)
    .setIgnorechangesList(o.ignoreChanges ?? [])
    .setDeletebeforereplace(o.deleteBeforeReplace ?? false)
    .setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined)
    .setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? [])
    .setAliasesList(o.aliases ?? [])
    .setCustomtimeouts(timeouts)
    .setParent(o.parent ?? "");
}

function marshalProvider(p: ProviderResource | undefined): analyzerpb.AnalyzerProviderResource | undefined {
  if (!p) return undefined;
  return new analyzerpb.AnalyzerProviderResource()
    .setUrn(p.urn)
    .setType(p.type)
    .setName(p.name)
    .setProperties(toStruct(toEngineWire(p.properties)));
}

/**
 * Parses a `--policy-pack-config` file's JSON text (analyzer/config.go parsePolicyPackConfig):
 * keys are policy names or `all`; a value is an enforcement level or an object with an
 * optional `enforcementLevel` and the policy's properties. Throws one line on bad input.
 */
export function parsePolicyPackConfig(text: string): Record<string, PolicyConfig> {
  const result: Record<string, PolicyConfig> = {};
  if (text.trim() === "") return result;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PolicyPackError(`policy pack config is not valid JSON: ${(e as Error).message}`, "config");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new PolicyPackError(
      "policy pack config must be a JSON object keyed by policy name or 'all'",
      "config",
    );
  }
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === "environments") continue; // ESC environments need Pulumi Cloud; not offline.
    let level: EnforcementLevel | "" = "";
    let properties: Record<string, unknown> | undefined;
    if (typeof value === "string") {
      if (!isEnforcementLevel(value)) {
        throw new PolicyPackError(
          `parsing enforcement level for "${key}": "${value}" is not a valid enforcement level (expected advisory, mandatory, remediate or disabled)`,
          "config",
        );
      }
      level = value;
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const props = { ...(value as Record<string, unknown>) };
      if ("enforcementLevel" in props) {
        if (!isEnforcementLevel(props.enforcementLevel)) {
          throw new PolicyPackError(
            `parsing enforcement level for "${key}": ${JSON.stringify(props.enforcementLevel)} is not a valid enforcement level (expected advisory, mandatory, remediate or disabled)`,
            "config",
          );
        }
        level = props.enforcementLevel;
        delete props.enforcementLevel;
      }
      if (Object.keys(props).length > 0) properties = props;
    } else {
      throw new PolicyPackError(
        `parsing "${key}": ${JSON.stringify(value)} is not a valid value; must be a string or object`,
        "config",
      );
    }
    if (level === "" && properties === undefined) continue;
    result[key] = { enforcementLevel: level, properties };
  }
  return result;
}

const configAjv = new Ajv({ allErrors: true, strict: false });
const configValidators = new Map<string, ValidateFunction>();

/** One compiled validator per distinct schema: compiling is the costly part (~10 ms a schema). */
function configValidator(schema: JSONSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = configValidators.get(key);
  if (!validate) {
    validate = configAjv.compile(schema);
    configValidators.set(key, validate);
  }
  return validate;
}

/**
 * analyzer/config.go ReconcilePolicyPackConfig: schema defaults < the pack's initial config
 * < the given config (`all` first, then per policy), then each policy's properties are
 * validated against its schema. Returns the config to send, or the validation errors.
 */
export function reconcilePolicyPackConfig(
  policies: PolicyInfo[],
  initialConfig: Record<string, PolicyConfig>,
  config: Record<string, PolicyConfig>,
): { config: Record<string, PolicyConfig>; errors: string[] } {
  let result: Record<string, PolicyConfig> = {};
  for (const p of policies) {
    let props: Record<string, unknown> | undefined;
    for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
      if ("default" in s) (props ??= {})[k] = s.default;
    }
    result[p.name] = { enforcementLevel: p.enforcementLevel, properties: props };
  }
  result = applyConfig(applyConfig(result, initialConfig), config);

  const errors: string[] = [];
  for (const p of policies) {
    if (!p.configSchema) continue;
    const schema: JSONSchema = { type: "object" };
    if (Object.keys(p.configSchema.properties).length > 0) schema.properties = p.configSchema.properties;
    if (p.configSchema.required.length > 0) schema.required = p.configSchema.required;
    const validate = configValidator(schema);
    if (!validate(result[p.name]?.properties ?? {})) {
      for (const e of validate.errors ?? []) {
        const where = e.instancePath ? e.instancePath.slice(1).replaceAll("/", ".") + ": " : "";
        errors.push(`${p.name}: ${where}${e.message ?? "invalid"}`);
      }
    }
  }
  errors.sort();
  return { config: result, errors };
}

function applyConfig(
  result: Record<string, PolicyConfig>,
  toApply: Record<string, PolicyConfig>,
): Record<string, PolicyConfig> {
  const all = toApply.all;
  if (all && isEnforcementLevel(all.enforcementLevel)) {
    for (const k of Object.keys(result)) {
      result[k] = { enforcementLevel: all.enforcementLevel, properties: result[k].properties };
    }
  }
  for (const [policy, given] of Object.entries(toApply)) {
    let level = result[policy]?.enforcementLevel ?? "";
    let properties = result[policy]?.properties;
    if (isEnforcementLevel(given.enforcementLevel)) level = given.enforcementLevel;
    if (given.properties && Object.keys(given.properties).length > 0) {
      properties = { ...(properties ?? {}), ...given.properties };
    }
    result[policy] = { enforcementLevel: level, properties };
  }
  return result;
}

/** An RPC in flight: when it falls due (performance.now()) and how to time it out. */
interface PendingCall {
  due: number;
  timedOut: () => void;
}

/** A running policy pack. Always `close()` it (also done at process exit). */
export class PolicyPack {
  private info?: AnalyzerInfo;
  // The levels the pack itself declares: Configure may be called again, and each call
  // reconciles from these, not from an earlier call's result.
  private declaredLevels = new Map<string, EnforcementLevel>();
  private exitNote?: string;
  private stderrText = "";
  // Calls in flight, oldest first (every call gets the same bound, so this is also the order
  // in which they fall due), and the one timer that watches them (see call()).
  private readonly pending = new Set<PendingCall>();
  private watchdog?: NodeJS.Timeout;
  /** Resolves when the pack process has ended, with how it ended ("exited with code 1"). */
  readonly exited: Promise<string>;
  /** Messages the pack sent to the engine's Log service. */
  readonly engineLogs: EngineLogEntry[];

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: analyzerrpc.AnalyzerClient,
    private readonly ownEngine: EngineServer | undefined,
    engineLogs: EngineLogEntry[],
    readonly packDir: string,
    readonly project: PolicyPackProject,
    readonly port: number,
    private readonly timeoutMs: number,
    stderrSoFar: string,
  ) {
    this.engineLogs = engineLogs;
    this.stderrText = stderrSoFar;
    child.stderr?.on("data", (d: Buffer) => this.keepStderr(d));
    // Keep reading stdout after the port line (the engine traces it), or a chatty pack
    // would block on a full pipe.
    child.stdout?.on("data", (d: Buffer) => this.keepStdout(d));
    this.exited = new Promise((resolve) => {
      const note = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exitNote = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve(this.exitNote);
      };
      if (child.exitCode !== null || child.signalCode !== null) note(child.exitCode, child.signalCode);
      else child.once("exit", note);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** What the pack wrote to stderr (last few kB). */
  get stderr(): string {
    return this.stderrText;
  }

  private stdoutText = "";
  /** What the pack wrote to stdout after its port (last few kB). */
  get stdout(): string {
    return this.stdoutText;
  }

  private keepStdout(d: Buffer): void {
    this.stdoutText = (this.stdoutText + d.toString()).slice(-STDERR_KEEP);
  }

  private keepStderr(d: Buffer): void {
    this.stderrText = (this.stderrText + d.toString()).slice(-STDERR_KEEP);
  }

  /** @internal */
  static async start(opts: StartPolicyPackOptions): Promise<PolicyPack> {
    const packDir = path.resolve(opts.packDir);
    const project = loadPolicyPackProject(packDir);
    if (project.runtime !== "nodejs") {
      throw new PolicyPackError(
        `${packDir}: runtime '${project.runtime}' is not supported here (expected nodejs)`,
        "start",
      );
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    // locateModule(ctx, "@pulumi/pulumi/cmd/run-policy-pack", programDir, ...): resolved
    // from the pack's directory, so the pack's own SDK runs it.
    let runPath: string;
    try {
      runPath = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    } catch {
      throw new PolicyPackError(
        `it looks like the policy pack's dependencies are not installed; try running npm install in "${packDir}"`,
        "start",
      );
    }

    const ownEngine = opts.engine === undefined;
    const engine = opts.engine ?? (await startEngineServer());

    // RunPlugin's environment: the CLI's own, plus what the proxy learnt from ConfigureStack.
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
    for (const k of Object.keys(env)) {
      // Nothing of this process's own Pulumi runtime state may leak into the pack.
      if (k.startsWith("PULUMI_NODEJS_") || k === "PULUMI_CONFIG" || k === "PULUMI_CONFIG_SECRET_KEYS") {
        delete env[k];
      }
    }
    env.PULUMI_NODEJS_TYPESCRIPT = "true";
    const withStack = opts.project !== undefined || opts.stack !== undefined;
    if (withStack) {
      if (opts.organization) env.PULUMI_NODEJS_ORGANIZATION = opts.organization;
      if (opts.project) env.PULUMI_NODEJS_PROJECT = opts.project;
      if (opts.stack) env.PULUMI_NODEJS_STACK = opts.stack;
      env.PULUMI_NODEJS_DRY_RUN = String(opts.dryRun);
      if (opts.config) env.PULUMI_CONFIG = JSON.stringify(opts.config);
    }

    const child = spawn(process.execPath, [runPath, engine.address, packDir], {
      cwd: packDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    trackChild(child);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);

    let stderrSoFar = "";
    const onStderr = (d: Buffer) => {
      stderrSoFar = (stderrSoFar + d.toString()).slice(-STDERR_KEEP);
    };
    child.stderr?.on("data", onStderr);

    let port: number;
    try {
      port = await readPort(child, timeoutMs, () => stderrSoFar, opts.signal);
    } catch (e) {
      await killAndWait(child);
      if (ownEngine) engine.close();
      throw e;
    } finally {
      child.stderr?.off("data", onStderr);
    }

    const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    const pack = new PolicyPack(
      child,
      client,
      ownEngine ? engine : undefined,
      engine.logs,
      packDir,
      project,
      port,
      opts.callTimeoutMs ?? timeoutMs,
      stderrSoFar,
    );
    if (!withStack) return pack;
    try {
      // policy_proxy.go Attach: forward the stack configuration; Unimplemented is fine.
      const req = new analyzerpb.AnalyzerStackConfigureRequest()
        .setStack(opts.stack ?? "")
        .setProject(opts.project ?? "")
        .setOrganization(opts.organization ?? "")
        .setDryRun(opts.dryRun)
        .setConfigSecretKeysList(opts.configSecretKeys ?? []);
      for (const [k, v] of Object.entries(opts.config ?? {})) req.getConfigMap().set(k, v);
      for (const [k, v] of Object.entries(opts.tags ?? {})) req.getTagsMap().set(k, v);
      await pack.call("ConfigureStack", (cb) => client.configureStack(req, new grpc.Metadata(), cb), true);
    } catch (e) {
      await pack.close();
      throw e;
    }
    return pack;
  }

  /**
   * Runs one unary RPC; turns failures into a one-line PolicyPackError.
   *
   * No gRPC deadline is sent: the engine sends none on any Analyzer call (analyzer_plugin.go
   * passes `a.ctx.Request()`, a context.WithCancel without a deadline), and a deadline costs
   * a timer per call on both sides (the pack's grpc-js server arms one for the
   * `grpc-timeout` header): 8-11% of a bare grpc-js Analyze call's wall time, a smaller
   * share of this client's (docs/performance.md).
   * A call that is not answered within `timeoutMs` is cancelled here instead, by one timer
   * per pack that is re-armed only when it fires, not per call.
   */
  private call<T>(
    method: string,
    invoke: (cb: (err: grpc.ServiceError | null, res?: T) => void) => grpc.ClientUnaryCall,
    allowUnimplemented = false,
  ): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      let grpcCall: grpc.ClientUnaryCall | undefined;
      const pending: PendingCall = {
        due: performance.now() + this.timeoutMs,
        timedOut: () => {
          this.settled(pending);
          reject(new PolicyPackError(this.timeoutMessage(method), "timeout"));
          grpcCall?.cancel(); // its callback then finds the call settled
        },
      };
      this.pending.add(pending);
      // The timer keeps this process alive only while a call is in flight.
      if (this.watchdog) this.watchdog.ref();
      else this.watchdog = setTimeout(() => this.watch(), this.timeoutMs);
      try {
        grpcCall = invoke((err, res) => {
          if (!this.settled(pending)) return;
          if (!err) return resolve(res);
          if (allowUnimplemented && err.code === grpc.status.UNIMPLEMENTED) return resolve(undefined);
          reject(this.rpcError(method, err));
        });
      } catch (e) {
        this.settled(pending);
        reject(e as Error);
      }
    });
  }

  /** Forgets a call; false if it was settled already. */
  private settled(pending: PendingCall): boolean {
    if (!this.pending.delete(pending)) return false;
    if (this.pending.size === 0) this.watchdog?.unref();
    return true;
  }

  /** The watchdog fired: time out the calls that are due, then wait for the oldest left. */
  private watch(): void {
    this.watchdog = undefined;
    const now = performance.now();
    for (const p of this.pending) {
      if (p.due > now) break;
      p.timedOut();
    }
    const oldest = this.pending.values().next().value;
    if (oldest) this.watchdog = setTimeout(() => this.watch(), Math.max(1, Math.ceil(oldest.due - now)));
  }

  private timeoutMessage(method: string): string {
    return `policy pack ${this.packDir} did not answer ${method} within ${this.timeoutMs} ms`;
  }

  private rpcError(method: string, err: grpc.ServiceError): PolicyPackError {
    const where = `policy pack ${this.packDir}`;
    if (err.code === grpc.status.DEADLINE_EXCEEDED) {
      return new PolicyPackError(this.timeoutMessage(method), "timeout");
    }
    if (this.exitNote || err.code === grpc.status.UNAVAILABLE) {
      const tail = errorLine(this.stderrText);
      return new PolicyPackError(
        `${where} ${this.exitNote ?? "became unreachable"} during ${method}${tail ? `: ${tail}` : ""}`,
        "crash",
      );
    }
    return new PolicyPackError(`${where} failed ${method}: ${err.details || err.message}`, "rpc");
  }

  /** GetAnalyzerInfo, converted as analyzer_plugin.go does (cached, policies sorted). */
  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    if (this.info) return this.info;
    const resp = (await this.call<analyzerpb.AnalyzerInfo>("GetAnalyzerInfo", (cb) =>
      this.client.getAnalyzerInfo(new Empty(), new grpc.Metadata(), cb),
    ))!;
    const supportsConfig = resp.getSupportsconfig();
    const policies: PolicyInfo[] = resp.getPoliciesList().map((p) => {
      let configSchema: PolicyConfigSchema | undefined;
      if (supportsConfig) {
        const s = p.getConfigschema();
        configSchema = {
          properties: (s?.getProperties()?.toJavaScript() ?? {}) as Record<string, JSONSchema>,
          required: s?.getRequiredList() ?? [],
        };
        configSchema.properties.enforcementLevel = {
          type: "string",
          enum: ["advisory", "mandatory", "remediate", "disabled"],
        };
      }
      const fw = p.getFramework();
      return {
        name: p.getName(),
        displayName: p.getDisplayname(),
        description: p.getDescription(),
        message: p.getMessage(),
        enforcementLevel: convertLevel(p.getEnforcementlevel()),
        configSchema,
        type: TYPE_FROM_PB[p.getPolicyType()] ?? "unknown",
        severity: SEVERITY_FROM_PB[p.getSeverity()] ?? "",
        remediationSteps: p.getRemediationSteps(),
        url: p.getUrl(),
        tags: p.getTagsList(),
        framework: fw
          ? {
              name: fw.getName(),
              version: fw.getVersion(),
              reference: fw.getReference(),
              specification: fw.getSpecification(),
            }
          : undefined,
      };
    });
    policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const initialConfig: Record<string, PolicyConfig> = {};
    resp.getInitialconfigMap().forEach((v, k) => {
      initialConfig[k] = {
        enforcementLevel: convertLevel(v.getEnforcementlevel()),
        properties: (v.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
      };
    });
    for (const p of policies) this.declaredLevels.set(p.name, p.enforcementLevel);
    this.info = {
      name: resp.getName(),
      displayName: resp.getDisplayname(),
      // The version from PulumiPolicy.yaml is used, if set, over the version from the response.
      version: this.project.version || resp.getVersion(),
      description: resp.getDescription() || this.project.description || "",
      supportsConfig,
      policies,
      initialConfig,
    };
    return this.info;
  }

  /**
   * Configures the pack as `pulumi preview --policy-pack DIR [--policy-pack-config FILE]`
   * does for a local pack: reconcile defaults with the given config (the file's JSON format,
   * as text or already parsed), validate it against the policies' schemas, then Configure.
   * Returns the config sent. Throws a PolicyPackError (stage "config") on invalid config.
   */
  async configure(policyConfig?: string | Record<string, unknown>): Promise<Record<string, PolicyConfig>> {
    const given =
      policyConfig === undefined
        ? {}
        : parsePolicyPackConfig(
            typeof policyConfig === "string" ? policyConfig : JSON.stringify(policyConfig),
          );
    const info = await this.getAnalyzerInfo();
    if (!info.supportsConfig) {
      if (policyConfig !== undefined) {
        throw new PolicyPackError(
          `policy pack "${info.name}" at "${this.packDir}" does not support config`,
          "config",
        );
      }
      return {};
    }
    const declared = info.policies.map((p) => ({
      ...p,
      enforcementLevel: this.declaredLevels.get(p.name) ?? p.enforcementLevel,
    }));
    const { config, errors } = reconcilePolicyPackConfig(declared, info.initialConfig, given);
    if (errors.length > 0) {
      throw new PolicyPackError(
        `invalid policy config for ${info.name}@${info.version}: ${errors.join("; ")}`,
        "config",
      );
    }
    const req = new analyzerpb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      if (!isEnforcementLevel(c.enforcementLevel)) {
        throw new PolicyPackError(`invalid enforcement level "${c.enforcementLevel}" for ${name}`, "config");
      }
      req
        .getPolicyconfigMap()
        .set(
          name,
          new analyzerpb.PolicyConfig()
            .setEnforcementlevel(LEVEL_TO_PB[c.enforcementLevel])
            .setProperties(toStruct(c.properties ?? {})),
        );
    }
    if (Object.keys(config).length > 0) {
      await this.call("Configure", (cb) => this.client.configure(req, new grpc.Metadata(), cb));
    }
    // Update the cached info with the configured enforcement levels, as the engine does.
    for (const p of info.policies) {
      const c = config[p.name];
      if (c && isEnforcementLevel(c.enforcementLevel)) p.enforcementLevel = c.enforcementLevel;
    }
    return config;
  }

  private analyzeRequest(r: AnalyzerResource): analyzerpb.AnalyzeRequest {
    const req = new analyzerpb.AnalyzeRequest()
      .setUrn(r.urn)
      .setType(r.type)
      .setName(r.name)
      .setProperties(toStruct(toEngineWire(r.properties)))
      .setOptions(marshalOptions(r.options));
    const provider = marshalProvider(r.provider);
    if (provider) req.setProvider(provider);
    return req;
  }

  /** Analyze: one resource's inputs, before it is created or updated. */
  async analyze(r: AnalyzerResource): Promise<AnalyzeResult> {
    const resp = (await this.call<analyzerpb.AnalyzeResponse>("Analyze", (cb) =>
      this.client.analyze(this.analyzeRequest(r), new grpc.Metadata(), cb),
    ))!;
    return this.convertResponse(resp);
  }

  /** Remediate: what the pack would change on one resource (undefined if unimplemented). */
  async remediate(r: AnalyzerResource): Promise<Remediation[]> {
    const resp = await this.call<analyzerpb.RemediateResponse>(
      "Remediate",
      (cb) => this.client.remediate(this.analyzeRequest(r), new grpc.Metadata(), cb),
      true,
    );
    return (resp?.getRemediationsList() ?? []).map((m) => ({
      policyName: m.getPolicyname(),
      policyPackName: m.getPolicypackname(),
      policyPackVersion: this.project.version || m.getPolicypackversion(),
      description: m.getDescription(),
      properties: m.getProperties()?.toJavaScript() as Record<string, unknown> | undefined,
      diagnostic: m.getDiagnostic(),
    }));
  }

  /** AnalyzeStack: every resource of the stack (outputs), with parents and dependencies. */
  async analyzeStack(resources: AnalyzerStackResource[]): Promise<AnalyzeResult> {
    const req = new analyzerpb.AnalyzeStackRequest().setResourcesList(
      resources.map((r) => {
        const res = new analyzerpb.AnalyzerResource()
          .setUrn(r.urn)
          .setType(r.type)
          .setName(r.name)
          .setProperties(toStruct(toEngineWire(r.properties)))
          .setOptions(marshalOptions(r.options))
          .setParent(r.parent ?? "")
          .setDependenciesList(r.dependencies ?? []);
        const provider = marshalProvider(r.provider);
        if (provider) res.setProvider(provider);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
          if (urns.length === 0) continue; // "Skip properties that have no dependencies."
          res
            .getPropertydependenciesMap()
            .set(k, new analyzerpb.AnalyzerPropertyDependencies().setUrnsList(urns));
        }
        return res;
      }),
    );
    const resp = await this.call<analyzerpb.AnalyzeResponse>(
      "AnalyzeStack",
      (cb) => this.client.analyzeStack(req, new grpc.Metadata(), cb),
      true, // packs too old for AnalyzeStack are skipped, as the engine does
    );
    return resp ? this.convertResponse(resp) : { diagnostics: [], notApplicable: [] };
  }

  private async convertResponse(resp: analyzerpb.AnalyzeResponse): Promise<AnalyzeResult> {
    const diags = resp.getDiagnosticsList();
    const info = diags.some((d) => d.getSeverity() === analyzerpb.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED)
      ? await this.getAnalyzerInfo()
      : undefined;
    return {
      diagnostics: diags.map((d) => {
        let severity = SEVERITY_FROM_PB[d.getSeverity()] ?? "";
        if (severity === "") {
          // Unspecified in the diagnostic: take it from the policy's info.
          severity = info?.policies.find((p) => p.name === d.getPolicyname())?.severity ?? "";
        }
        return {
          policyName: d.getPolicyname(),
          policyPackName: d.getPolicypackname(),
          policyPackVersion: this.project.version || d.getPolicypackversion(),
          description: d.getDescription(),
          message: d.getMessage(),
          enforcementLevel: convertLevel(d.getEnforcementlevel()),
          urn: d.getUrn(),
          severity,
        };
      }),
      notApplicable: resp
        .getNotApplicableList()
        .map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
    };
  }

  /** Kills the pack (its whole process group) and stops its own engine server. Idempotent. */
  async close(): Promise<void> {
    this.client.close();
    await killAndWait(this.child);
    // Calls still in flight fail now that the pack is gone; the watchdog is not needed.
    if (this.pending.size === 0) {
      clearTimeout(this.watchdog);
      this.watchdog = undefined;
    }
    this.ownEngine?.close();
    untrack(this.child);
  }
}

/** Kills the pack's process group and resolves once the pack has exited (and was reaped). */
function killAndWait(child: ChildProcess): Promise<void> {
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child);
  return exited;
}

/**
 * The line of a pack's stderr that says what went wrong: a compiler error (`error TS2322`),
 * else the thrown error (`Error: ...`, not run-policy-pack's "Running program ... failed"
 * wrapper), else the last line that is not a stack frame.
 */
export function errorLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes from Node's stack traces
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("at "));
  return (
    lines.find((l) => /\berror TS\d+/.test(l)) ??
    lines.find((l) => /^\w*Error\b.*?:/.test(l) && !l.includes("[runtime] Running program")) ??
    lines[lines.length - 1] ??
    ""
  );
}

function readPort(
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
  signal: AbortSignal | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const onAbort = () => {
      done();
      reject(new PolicyPackError("policy pack start was cancelled", "start"));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort);
    const timer = setTimeout(() => {
      done();
      reject(new PolicyPackError(`policy pack did not print its port within ${timeoutMs} ms`, "timeout"));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      done();
      try {
        resolve(parsePort(out.slice(0, nl)));
      } catch (e) {
        reject(
          new PolicyPackError(
            `policy pack wrote an invalid port to stdout: ${(e as Error).message}`,
            "start",
          ),
        );
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      // Let the last stderr chunk arrive before quoting it.
      setImmediate(() => {
        const tail = errorLine(stderr());
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(
          new PolicyPackError(
            `policy pack failed to start: it ${how} before printing its port${tail ? `: ${tail}` : ""}`,
            "start",
          ),
        );
      });
    };
    const onError = (e: Error) => {
      done();
      reject(new PolicyPackError(`policy pack failed to start: ${e.message}`, "start"));
    };
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

/**
 * Starts a local policy pack as `pulumi preview --policy-pack <packDir>` does and returns a
 * client for its Analyzer service. The caller must `close()` it.
 */
export function startPolicyPack(opts: StartPolicyPackOptions): Promise<PolicyPack> {
  return PolicyPack.start(opts);
}
