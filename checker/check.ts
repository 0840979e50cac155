/**
 * The offline check: what `pulumi preview --policy-pack DIR` and `pulumi policy analyze
 * --file` do with a policy pack, without the CLI, providers or a cloud account.
 *
 * Engine code mirrored (pulumi/pulumi):
 * - pkg/resource/deploy/step_generator.go: for every registered resource (root stack and
 *   default providers included), Remediate then Analyze on its inputs with its options and
 *   its provider's inputs; at the end AnalyzeStack on every resource's outputs with parents,
 *   dependencies and property dependencies. Per-resource diagnostics are attributed to the
 *   resource analysed; stack diagnostics to their own URN when it names a resource of the
 *   stack, else to the root stack (resolveStackPolicyViolationURN).
 * - pkg/resource/deploy/analyze_snapshot.go (AnalyzeSnapshot) and
 *   pkg/cmd/pulumi/policy/policy_analyze.go for `--file`: deleted resources skipped,
 *   remediations reported but not applied, inputs to Analyze, outputs to AnalyzeStack, and
 *   the pack started without stack context; secrets it cannot decrypt are redacted.
 * - A mandatory violation fails the check, in preview too (sawError).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AnalyzeDiagnostic,
  AnalyzerResource,
  EngineLogEntry,
  EngineServer,
  PolicyInfo,
  PolicyPack,
  PolicyPackError,
  ProviderResource,
  ResourceOptions,
  startEngineServer,
  startPolicyPack,
} from "./analyzer";
import { CapturedResource, ProgramError, ProgramHost, RunProgramOptions, runProgram } from "./program";
import { StackConfigError, loadStackConfig } from "./stack-config";

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** A resource of the plan (or of the exported state), properties in wire form. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** URN of the resource's provider, "" if none. */
  provider: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  options: ResourceOptions;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** A default provider the engine would register by itself. */
  defaultProvider: boolean;
}

export interface Violation {
  policyPackName: string;
  policyPackVersion: string;
  policyName: string;
  enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  severity: string;
  resourceUrn: string;
  message: string;
}

export interface PackReport {
  name: string;
  version: string;
  description: string;
  /** The pack's directory as given. */
  path: string;
  policies: PolicyInfo[];
}

export interface Timings {
  packStartMs: number;
  programMs: number;
  analysisMs: number;
  totalMs: number;
}

export interface CheckResult {
  mode: "program" | "file";
  project: string;
  stack: string;
  resources: PlannedResource[];
  packs: PackReport[];
  violations: Violation[];
  /** Warnings and errors the program logged (pulumi.log), and the pack's. */
  logs: EngineLogEntry[];
  timings: Timings;
  summary: { mandatory: number; advisory: number };
}

/** Anything that stops the check before it has a verdict: exit status 2. */
export class CheckError extends Error {
  constructor(
    message: string,
    readonly stage: "usage" | "config" | "program" | "pack" | "timeout" | "file",
  ) {
    super(message);
    this.name = "CheckError";
  }
}

export interface CheckProgramOptions {
  /** The project: Pulumi.yaml, Pulumi.<stack>.yaml and the program. */
  cwd: string;
  /**
   * Runs the program found here instead of the one in `cwd`, under `cwd`'s project and stack
   * config (the tests judge small fixture programs under the real dev stack's config).
   */
  programDir?: string;
  stack: string;
  packDir: string;
  /** Text of the --policy-pack-config file, if any, and its path for messages. */
  policyConfig?: { text: string; file: string };
  /** Bound for the program run and for the pack's start and each call (ms). */
  timeoutMs: number;
  /** true for `pulumi preview` (default), false for `pulumi up`. */
  dryRun?: boolean;
  organization?: string;
}

export interface CheckFileOptions {
  file: string;
  packDir: string;
  policyConfig?: { text: string; file: string };
  timeoutMs: number;
}

function toCheckError(e: unknown, packDir: string): CheckError {
  if (e instanceof CheckError) return e;
  if (e instanceof StackConfigError) return new CheckError(e.message, "config");
  if (e instanceof ProgramError)
    return new CheckError(e.message, e.stage === "timeout" ? "timeout" : "program");
  if (e instanceof PolicyPackError) {
    const stage = e.stage === "timeout" ? "timeout" : e.stage === "config" ? "config" : "pack";
    const where = e.message.includes(packDir) ? "" : ` (policy pack ${packDir})`;
    return new CheckError(`${e.message}${where}`, stage);
  }
  return new CheckError(e instanceof Error ? e.message : String(e), "program");
}

function fromCaptured(r: CapturedResource): PlannedResource {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    parent: r.parent,
    provider: r.provider ? providerUrn(r.provider) : "",
    inputs: r.inputs,
    outputs: r.outputs,
    options: r.options,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
    defaultProvider: r.defaultProvider,
  };
}

/** A provider reference is `<urn>::<id>` (sdk/go/common/providers ParseReference). */
export function providerUrn(ref: string): string {
  const i = ref.lastIndexOf("::");
  return i < 0 ? ref : ref.slice(0, i);
}

/** The URN parts: urn:pulumi:<stack>::<project>::<qualified type>::<name>. */
export function parseUrn(
  urn: string,
): { stack: string; project: string; type: string; name: string } | undefined {
  if (!urn.startsWith("urn:pulumi:")) return undefined;
  const parts = urn.slice("urn:pulumi:".length).split("::");
  if (parts.length < 4) return undefined;
  const qualified = parts[2];
  return {
    stack: parts[0],
    project: parts[1],
    type: qualified.slice(qualified.lastIndexOf("$") + 1),
    name: parts.slice(3).join("::"),
  };
}

export function defaultRootStackUrn(stack: string, project: string): string {
  return `urn:pulumi:${stack}::${project}::${ROOT_STACK_TYPE}::${project}-${stack}`;
}

function providerOf(r: PlannedResource, byUrn: Map<string, PlannedResource>): ProviderResource | undefined {
  if (!r.provider) return undefined;
  const p = byUrn.get(r.provider);
  return p ? { urn: p.urn, type: p.type, name: p.name, properties: p.inputs } : undefined;
}

function diagnosticToViolation(d: AnalyzeDiagnostic, urn: string): Violation {
  return {
    policyPackName: d.policyPackName,
    policyPackVersion: d.policyPackVersion,
    policyName: d.policyName,
    // "If we ran a remediation but are still triggering a violation, downgrade to mandatory."
    enforcementLevel: d.enforcementLevel === "remediate" ? "mandatory" : d.enforcementLevel,
    severity: d.severity,
    resourceUrn: urn,
    message: d.message,
  };
}

/**
 * Sends the resources to the pack as the engine does and collects the violations.
 * `applyRemediations`: a deployment applies them to the inputs before Analyze; a snapshot
 * analysis only reports them.
 */
async function analyze(
  pack: PolicyPack,
  resources: PlannedResource[],
  rootStackUrn: string,
  applyRemediations: boolean,
): Promise<Violation[]> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const violations: Violation[] = [];
  await Promise.all(
    resources.map(async (r) => {
      const base: AnalyzerResource = {
        urn: r.urn,
        type: r.type,
        name: r.name,
        properties: r.inputs,
        options: r.options,
        provider: providerOf(r, byUrn),
      };
      for (const m of await pack.remediate(base)) {
        if (m.diagnostic) {
          violations.push({
            policyPackName: m.policyPackName,
            policyPackVersion: m.policyPackVersion,
            policyName: m.policyName,
            enforcementLevel: "advisory",
            severity: "",
            resourceUrn: r.urn,
            message: m.diagnostic,
          });
        } else if (applyRemediations && m.properties) {
          base.properties = m.properties;
        }
      }
      const res = await pack.analyze(base);
      for (const d of res.diagnostics) violations.push(diagnosticToViolation(d, r.urn));
    }),
  );
  const stackRes = await pack.analyzeStack(
    resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      properties: r.outputs,
      options: r.options,
      provider: providerOf(r, byUrn),
      parent: r.parent,
      dependencies: r.dependencies,
      propertyDependencies: r.propertyDependencies,
    })),
  );
  for (const d of stackRes.diagnostics) {
    violations.push(diagnosticToViolation(d, byUrn.has(d.urn) ? d.urn : rootStackUrn));
  }
  return violations;
}

async function packReport(pack: PolicyPack, given: string): Promise<PackReport> {
  const info = await pack.getAnalyzerInfo();
  return {
    name: info.name,
    version: info.version,
    description: info.description,
    path: given,
    policies: info.policies,
  };
}

function summarize(violations: Violation[]): CheckResult["summary"] {
  return {
    mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
    advisory: violations.filter((v) => v.enforcementLevel === "advisory").length,
  };
}

async function configurePack(
  pack: PolicyPack,
  policyConfig: CheckProgramOptions["policyConfig"],
): Promise<void> {
  try {
    await pack.configure(policyConfig?.text);
  } catch (e) {
    if (e instanceof PolicyPackError && e.stage === "config" && policyConfig) {
      throw new CheckError(`${e.message} (in ${policyConfig.file})`, "config");
    }
    throw e;
  }
}

/**
 * Already running parts to reuse across checks (the tests run many programs): a pack
 * started for the same project, stack and config, a program host, and the engine server
 * both of them talk to. Reused parts are not closed by the check.
 */
export interface SharedParts {
  engine: EngineServer;
  pack?: PolicyPack;
  host?: ProgramHost;
}

/** `pulumi preview --policy-pack <packDir>` on the program in `cwd`, offline. */
export async function checkProgram(opts: CheckProgramOptions, shared?: SharedParts): Promise<CheckResult> {
  const started = Date.now();
  const dryRun = opts.dryRun ?? true;
  let pack: PolicyPack | undefined = shared?.pack;
  const engine = shared?.engine ?? (await startEngineServer());
  const logsFrom = engine.logs.length;
  try {
    const stackConfig = loadStackConfig(opts.cwd, opts.stack);
    const project = stackConfig.project.name;
    if (stackConfig.project.runtime !== "nodejs") {
      throw new CheckError(
        `${path.join(opts.cwd, "Pulumi.yaml")}: runtime '${stackConfig.project.runtime}' is not supported (expected nodejs)`,
        "config",
      );
    }

    // The pack starts while the program runs: they are independent until the analysis. If
    // one fails, the other is stopped at once.
    const cancel = new AbortController();
    const packStarted = Date.now();
    const packP = shared?.pack
      ? Promise.resolve({ pack: shared.pack, ms: 0 })
      : startPolicyPack({
          packDir: opts.packDir,
          project,
          stack: opts.stack,
          organization: opts.organization,
          config: stackConfig.config,
          configSecretKeys: stackConfig.secretKeys,
          dryRun,
          timeoutMs: opts.timeoutMs,
          engine,
          signal: cancel.signal,
        }).then(
          (p) => {
            pack = p;
            return { pack: p, ms: Date.now() - packStarted };
          },
          (e) => {
            cancel.abort();
            throw e;
          },
        );
    const programStarted = Date.now();
    const runOpts: RunProgramOptions = {
      programDir: opts.programDir ?? opts.cwd,
      main: stackConfig.project.main,
      project,
      stack: opts.stack,
      organization: opts.organization,
      dryRun,
      config: stackConfig.config,
      secretKeys: stackConfig.secretKeys,
      engineAddress: engine.address,
      timeoutMs: opts.timeoutMs,
      signal: cancel.signal,
    };
    const programP = (shared?.host ? shared.host.run(runOpts) : runProgram(runOpts)).then(
      (run) => ({ run, ms: Date.now() - programStarted }),
      (e) => {
        cancel.abort();
        throw e;
      },
    );
    const [packR, programR] = await Promise.allSettled([packP, programP]);
    // The first failure is the one to report; the other side was cancelled because of it.
    const cancelled = (r: PromiseSettledResult<unknown>) =>
      r.status === "rejected" && /was cancelled$/.test((r.reason as Error).message);
    if (programR.status === "rejected" && !cancelled(programR)) throw programR.reason;
    if (packR.status === "rejected" && !cancelled(packR)) throw packR.reason;
    if (programR.status === "rejected") throw programR.reason;
    if (packR.status === "rejected") throw packR.reason;
    const { run, ms: programMs } = programR.value;
    const { ms: packStartMs } = packR.value;
    pack = packR.value.pack;

    const analysisStarted = Date.now();
    await configurePack(pack, opts.policyConfig);
    const resources = run.resources.map(fromCaptured);
    const violations = await analyze(pack, resources, defaultRootStackUrn(opts.stack, project), true);
    const packs = [await packReport(pack, opts.packDir)];
    const analysisMs = Date.now() - analysisStarted;

    return {
      mode: "program",
      project,
      stack: opts.stack,
      resources,
      packs,
      violations,
      logs: engine.logs.slice(logsFrom).filter((l) => l.severity !== "debug"),
      timings: { packStartMs, programMs, analysisMs, totalMs: Date.now() - started },
      summary: summarize(violations),
    };
  } catch (e) {
    throw toCheckError(e, opts.packDir);
  } finally {
    if (!shared?.pack) await (pack as PolicyPack | undefined)?.close();
    if (!shared) engine.close();
  }
}

/** The state of one resource in a `pulumi stack export` file (apitype.ResourceV3). */
interface ExportedResource {
  urn?: unknown;
  custom?: unknown;
  delete?: unknown;
  type?: unknown;
  inputs?: unknown;
  outputs?: unknown;
  parent?: unknown;
  provider?: unknown;
  protect?: unknown;
  dependencies?: unknown;
  propertyDependencies?: unknown;
  additionalSecretOutputs?: unknown;
  aliases?: unknown;
  customTimeouts?: unknown;
  ignoreChanges?: unknown;
}

const asObject = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asStrings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((e): e is string => typeof e === "string") : [];

/** Reads a `pulumi stack export` file (apitype.UntypedDeployment of a DeploymentV3). */
export function readExport(file: string): PlannedResource[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new CheckError(`could not open file: ${file}`, "file");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CheckError(`reading deployment from ${file}: not valid JSON (${(e as Error).message})`, "file");
  }
  const deployment = asObject(asObject(doc).deployment);
  const version = asObject(doc).version;
  if (typeof version !== "number" || !("deployment" in asObject(doc))) {
    throw new CheckError(
      `reading deployment from ${file}: expected the output of 'pulumi stack export' ({"version": 3, "deployment": {...}})`,
      "file",
    );
  }
  if (version > 3) {
    throw new CheckError(
      `reading deployment from ${file}: deployment version ${version} is newer than this tool reads (3)`,
      "file",
    );
  }
  const raw = deployment.resources ?? [];
  if (!Array.isArray(raw))
    throw new CheckError(`reading deployment from ${file}: 'deployment.resources' must be an array`, "file");
  const resources: PlannedResource[] = [];
  for (const [i, item] of raw.entries()) {
    const r = item as ExportedResource;
    if (typeof r.urn !== "string" || !parseUrn(r.urn)) {
      throw new CheckError(
        `state file ${file} contains a resource with an invalid URN ${JSON.stringify(r.urn)} (resources[${i}])`,
        "file",
      );
    }
    if (r.delete === true) continue;
    const parsed = parseUrn(r.urn)!;
    const timeouts = asObject(r.customTimeouts);
    const num = (v: unknown) => (typeof v === "number" ? v : undefined);
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(asObject(r.propertyDependencies)))
      propertyDependencies[k] = asStrings(v);
    resources.push({
      urn: r.urn,
      type: typeof r.type === "string" ? r.type : parsed.type,
      name: parsed.name,
      custom: r.custom === true,
      parent: typeof r.parent === "string" ? r.parent : "",
      provider: typeof r.provider === "string" && r.provider ? providerUrn(r.provider) : "",
      inputs: asObject(r.inputs),
      outputs: asObject(r.outputs),
      options: {
        protect: r.protect === true,
        ignoreChanges: asStrings(r.ignoreChanges),
        additionalSecretOutputs: asStrings(r.additionalSecretOutputs),
        aliases: asStrings(r.aliases),
        customTimeouts: {
          create: num(timeouts.create),
          update: num(timeouts.update),
          delete: num(timeouts.delete),
          read: num(timeouts.read),
        },
        parent: typeof r.parent === "string" ? r.parent : "",
      },
      dependencies: asStrings(r.dependencies),
      propertyDependencies,
      defaultProvider: false,
    });
  }
  return resources;
}

/** `pulumi policy analyze --policy-pack <packDir> --file <export.json>`, offline. */
export async function checkExport(opts: CheckFileOptions, shared?: SharedParts): Promise<CheckResult> {
  const started = Date.now();
  let pack: PolicyPack | undefined = shared?.pack;
  try {
    const resources = readExport(opts.file);
    // stackReferenceForFile: one stack and project if all URNs agree, "multiple" otherwise.
    const names = new Set(resources.map((r) => `${parseUrn(r.urn)!.stack}::${parseUrn(r.urn)!.project}`));
    const [stack, project] =
      names.size === 1
        ? [...names][0].split("::")
        : names.size === 0
          ? ["unknown", "unknown"]
          : ["multiple", "multiple"];
    const root =
      resources.find((r) => r.type === ROOT_STACK_TYPE && r.parent === "")?.urn ??
      (resources.length > 0
        ? defaultRootStackUrn(parseUrn(resources[0].urn)!.stack, parseUrn(resources[0].urn)!.project)
        : "");

    const packStarted = Date.now();
    pack ??= await startPolicyPack({ packDir: opts.packDir, dryRun: true, timeoutMs: opts.timeoutMs });
    const packStartMs = Date.now() - packStarted;

    const analysisStarted = Date.now();
    await configurePack(pack, opts.policyConfig);
    const violations = await analyze(pack, resources, root, false);
    const packs = [await packReport(pack, opts.packDir)];
    return {
      mode: "file",
      project,
      stack,
      resources,
      packs,
      violations,
      logs: pack.engineLogs.filter((l) => l.severity !== "debug"),
      timings: {
        packStartMs,
        programMs: 0,
        analysisMs: Date.now() - analysisStarted,
        totalMs: Date.now() - started,
      },
      summary: summarize(violations),
    };
  } catch (e) {
    throw toCheckError(e, opts.packDir);
  } finally {
    if (!shared?.pack) await pack?.close();
  }
}
