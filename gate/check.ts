/** Offline `pulumi preview --policy-pack` and `policy analyze --file`: the pack called as by the engine. */
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isSecretValue, parseJson, safeLine } from "../lib/text";
import { PolicyPack, errorLine, type AnalyzerInfo, type Diagnostic, type LogEntry } from "./analyzer";
import { reconcilePolicyConfig } from "./policy-config";
import {
  ProgramError,
  ROOT_STACK_TYPE,
  runProgram,
  secretWire,
  type PlannedResource,
  type PriorResource,
  type ProgramRun,
  type RunOptions,
  type StackOutput,
} from "./run-program";
import { loadStackConfig } from "./stack-config";

export type Violation = Omit<Diagnostic, "urn"> & { resourceUrn: string };

/** `path`: the pack's folder as given. */
export type PackReport = AnalyzerInfo & { path: string };

export interface CheckResult {
  /** program: a first deployment; update: a deployed stack's update (--state); file: --file; audit: the live account (audit/). */
  mode: "program" | "update" | "file" | "audit";
  project: string;
  stack: string;
  resources: PlannedResource[];
  /** Stack outputs of the program run (not for --file). */
  outputs: Record<string, StackOutput>;
  packs: PackReport[];
  violations: Violation[];
  /** The program's warnings and the pack's log messages. */
  logs: LogEntry[];
  /** Config keys whose values are secret and were not decrypted, so not checked offline. */
  uncheckedKeys: string[];
  timings: { packStartMs: number; programMs: number; analysisMs: number; totalMs: number };
  summary: { mandatory: number; advisory: number };
}

/** Anything that stops the check before it has a verdict: exit status 2. */
export class CheckError extends Error {}

/** The program failed; what it registered before is still judged, as the engine judges it. */
class ProgramFailed extends CheckError {
  constructor(
    message: string,
    readonly planned: PlannedResource[],
  ) {
    super(message);
  }
}

export type PackOptions = {
  packDir: string;
  policyConfig?: { text: string; file: string };
  timeoutMs: number;
};

export interface CheckOptions extends PackOptions {
  /** The project: Pulumi.yaml, Pulumi.<stack>.yaml, the program. */
  cwd: string;
  /** Run the program found here under `cwd`'s project and stack (tests judge fixture programs). */
  programDir?: string;
  stack: string;
  /** A `pulumi stack export` file: plan an update of that deployed stack. */
  state?: string;
}

/**
 * Whether the language host type-checks the program (sdk/nodejs/cmd/run/run.ts): not when
 * PULUMI_NODEJS_TRANSPILE_ONLY is "true"; set to anything else, or unset, it does (a tsconfig's noCheck,
 * its other switch, reaches ts-node through the tsconfig itself).
 */
const hostTypeChecks = () => process.env.PULUMI_NODEJS_TRANSPILE_ONLY !== "true";

/**
 * Runs the program in a child process, type-checked by ts-node as the language host runs it. The child leads
 * its own process group: when the program has answered, failed or run out of time, the whole group is killed,
 * so nothing the program started outlives the check or keeps it waiting on a pipe it inherited.
 */
function runProgramInChild(
  opts: RunOptions,
  cwd: string,
  timeoutMs: number,
  typeCheck = hostTypeChecks(),
): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, "program-host.ts"), [], {
      // ts-node finds the project's tsconfig.json from the working folder up, as under the language host.
      cwd,
      execArgv: ["--require", "ts-node/register/transpile-only"],
      env: {
        ...process.env,
        TS_NODE_PROJECT: undefined,
        TS_NODE_TRANSPILE_ONLY: String(!typeCheck),
        PULUMI_CONFIG: undefined,
      },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      detached: true,
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16384)));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
        return true;
      } catch {
        return false; // ESRCH: the group is empty
      }
    };
    // Ctrl-C reaches the check's process group, not the program's: end it, then stop as the signal would.
    const onSignal = (signal: NodeJS.Signals) => {
      killGroup();
      process.kill(process.pid, signal);
    };
    process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
    let ended: Promise<boolean> | undefined;
    /** Ends the child, then whatever is left of its group (once); whether anything was left. */
    const end = (): Promise<boolean> => (ended ??= endGroup());
    const endGroup = async (): Promise<boolean> => {
      clearTimeout(timer);
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      child.kill("SIGKILL");
      await exited;
      child.stderr?.destroy();
      return killGroup();
    };
    const left = (was: boolean) => (was ? " (it left processes running; the check killed them)" : "");
    const timer = setTimeout(
      () =>
        void end().then((was) =>
          reject(new CheckError(`the program did not finish within ${timeoutMs} ms${left(was)}`)),
        ),
      timeoutMs,
    );
    child.once(
      "message",
      (m: { run?: ProgramRun; error?: string; planned?: PlannedResource[] }) =>
        void end().then((was) => {
          if (!m.run)
            return reject(
              new ProgramFailed(
                `the program failed: ${programError(m.error ?? "")}${left(was)}`,
                m.planned ?? [],
              ),
            );
          if (was)
            m.run.warnings.push(`the program left processes running when it ended; the check killed them`);
          resolve(m.run);
        }),
    );
    void exited.then((code) =>
      // Let the last stderr chunk arrive before quoting it.
      setImmediate(() =>
        end().then((was) =>
          reject(new CheckError(`the program exited with code ${code}: ${errorLine(stderr)}${left(was)}`)),
        ),
      ),
    );
    child.send({ ...opts, prior: opts.prior && [...opts.prior] });
  });
}

/** A program's error: the compiler's lines for a type error, else the message's lines. */
function programError(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => safeLine(l).trim())
    .filter(Boolean);
  const ts = lines.filter((l) => /\berror TS\d+/.test(l));
  return (ts.length > 0 ? ts : lines).join("\n  ");
}

/**
 * An export's value in wire form. A secret the export holds only as `ciphertext` (never decrypted here) is
 * an unknown, so the pack reports that it could not check it, as it does for unknowns in preview.
 */
function toWire(v: unknown): unknown {
  if (isSecretValue(v)) {
    let value: unknown = pulumi.runtime.unknownValue;
    if (typeof v.plaintext === "string") value = parseJson(v.plaintext, v.plaintext);
    else if ("value" in v) value = v.value;
    return secretWire(toWire(value));
  }
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, toWire(e)]));
  return v;
}

/** Reads a `pulumi stack export` file: its resources, secrets left as they are (never decrypted). */
function readExport(file: string): (PlannedResource & PriorResource)[] {
  let doc: { version?: unknown; deployment?: { resources?: unknown } };
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ? "cannot be read" : "is not valid JSON";
    throw new CheckError(`${file} ${why}; expected the output of 'pulumi stack export --file FILE'`);
  }
  if (typeof doc?.version !== "number" || typeof doc.deployment !== "object") {
    throw new CheckError(
      `${file} is not a stack export; expected {"version": 3, "deployment": {...}} from 'pulumi stack export'`,
    );
  }
  if (doc.version > 3)
    throw new CheckError(`${file} has deployment version ${doc.version}; this tool reads 3`);
  const raw = doc.deployment?.resources ?? [];
  if (!Array.isArray(raw)) throw new CheckError(`${file}: deployment.resources must be an array`);
  const obj = (v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((e): e is string => typeof e === "string") : []);
  return raw.flatMap((item, i) => {
    const r = obj(item);
    // urn:pulumi:STACK::PROJECT::QUALIFIED-TYPE::NAME, the qualified type `Parent$...$Type`; a name may hold `::`.
    const m =
      typeof r.urn === "string"
        ? /^urn:pulumi:[^:]*::[^:]*::([^:$]+(?::[^:$]+)*\$)*([^:$]+(?::[^:$]+)*)::(.+)$/.exec(r.urn)
        : null;
    if (!m)
      throw new CheckError(
        `${file}: resources[${i}] has no valid URN; expected urn:pulumi:<stack>::<project>::<type>::<name>`,
      );
    if (r.delete === true) return [];
    return [
      {
        urn: r.urn as string,
        id: typeof r.id === "string" ? r.id : undefined,
        type: typeof r.type === "string" ? r.type : m[2],
        name: m[3],
        custom: r.custom === true,
        parent: typeof r.parent === "string" ? r.parent : "",
        provider: typeof r.provider === "string" ? r.provider.replace(/::[^:]*$/, "") : "",
        inputs: toWire(obj(r.inputs)) as Record<string, unknown>,
        outputs: toWire(obj(r.outputs)) as Record<string, unknown>,
        options: { protect: r.protect === true, ignoreChanges: strs(r.ignoreChanges) },
        dependencies: strs(r.dependencies),
        replacementTrigger:
          r.replacementTrigger === undefined ? undefined : JSON.stringify(r.replacementTrigger),
      },
    ];
  });
}

/** Configure, then Analyze and AnalyzeStack as the engine calls them; `logs`: the pack's after Configure. */
export async function judge(
  pack: PolicyPack,
  opts: PackOptions,
  resources: PlannedResource[],
  /** Whether the stack policies run: the engine skips AnalyzeStack when the program failed. */
  stackPolicies = true,
): Promise<Pick<CheckResult, "packs" | "violations" | "logs" | "summary">> {
  const info = await pack.getAnalyzerInfo();
  const { text, file = "policy config" } = opts.policyConfig ?? {};
  const config = reconcilePolicyConfig(info.policies, text, file);
  await pack.configure(config);
  const logsBefore = pack.logs.length;
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const providerOf = (r: PlannedResource) => (r.provider ? byUrn.get(r.provider) : undefined);
  const violations: Violation[] = [];
  const add = ({ urn: _ignored, ...d }: Diagnostic, urn: string) =>
    violations.push({
      ...d,
      // "If we ran a remediation but are still triggering a violation, downgrade to mandatory."
      enforcementLevel: d.enforcementLevel === "remediate" ? "mandatory" : d.enforcementLevel,
      resourceUrn: urn,
    });
  const after = resources.filter((r) => r.op !== "delete");
  for (const r of after) for (const d of await pack.analyze(r, providerOf(r))) add(d, r.urn);
  // Stack diagnostics on no resource of the stack go to the root stack.
  const rootUrn = resources.find((r) => r.type === ROOT_STACK_TYPE)?.urn ?? "";
  if (stackPolicies)
    for (const d of await pack.analyzeStack(after, providerOf)) add(d, byUrn.has(d.urn) ? d.urn : rootUrn);
  const count = (level: string) => violations.filter((v) => v.enforcementLevel === level).length;
  // The configured levels; the pack's declared ones stay as they are (a reused pack starts from them).
  const policies = info.policies.map((p) => ({ ...p, enforcementLevel: config[p.name].enforcementLevel }));
  return {
    packs: [{ ...info, path: opts.packDir, policies }],
    violations,
    logs: pack.logs.slice(logsBefore),
    summary: { mandatory: count("mandatory"), advisory: count("advisory") },
  };
}

/**
 * For tests: a started pack to reuse (left running); the program run in this process, not a child; or in a
 * child that does not type-check it (seconds faster).
 */
export type Parts = { pack?: PolicyPack; inProcess?: boolean; typeCheck?: false };

/** `pulumi preview --policy-pack <packDir>` on the program in `cwd`, offline. */
export async function checkProgram(opts: CheckOptions, parts: Parts = {}): Promise<CheckResult> {
  const started = Date.now();
  const { project: projectFile, config, secretKeys, standIns } = loadStackConfig(opts.cwd, opts.stack);
  const project = projectFile.name;
  if (projectFile.runtime !== "nodejs") {
    throw new CheckError(
      `${path.join(opts.cwd, "Pulumi.yaml")}: runtime '${projectFile.runtime}' is not supported; expected nodejs`,
    );
  }
  const prior = opts.state ? new Map(readExport(opts.state).map((r) => [r.urn, r])) : undefined;
  // Another stack's state would plan nonsense: every URN names its stack and project.
  const ours = `urn:pulumi:${opts.stack}::${project}::`;
  const foreign = [...(prior?.keys() ?? [])].find((urn) => !urn.startsWith(ours));
  if (foreign) {
    const [stack, other] = foreign.slice("urn:pulumi:".length).split("::");
    throw new CheckError(
      `--state ${opts.state} is an export of stack '${stack}' of project '${other}'; this check is of stack '${opts.stack}' of project '${project}'`,
    );
  }
  const programDir = path.resolve(opts.cwd, opts.programDir ?? projectFile.main);
  const runOptions = {
    programDir,
    project,
    stack: opts.stack,
    config,
    secretKeys,
    standIns,
    preview: true,
    prior,
  };
  const stackContext = { project, stack: opts.stack, config, secretKeys, dryRun: true };

  // The pack starts while the program runs: they are independent until the analysis.
  let packStartMs = 0;
  let programMs = 0;
  const packP =
    parts.pack ??
    PolicyPack.start(opts.packDir, opts.timeoutMs, stackContext).finally(
      () => (packStartMs = Date.now() - started),
    );
  const runP = (
    parts.inProcess
      ? runProgram(runOptions).catch((e: Error) =>
          Promise.reject(
            new ProgramFailed(
              `the program failed: ${programError(e.message)}`,
              e instanceof ProgramError ? e.planned : [],
            ),
          ),
        )
      : runProgramInChild(runOptions, opts.cwd, opts.timeoutMs, parts.typeCheck)
  ).finally(() => (programMs = Date.now() - started));
  const [packR, runR] = await Promise.allSettled([packP, runP]);
  const pack = packR.status === "fulfilled" ? packR.value : undefined;
  try {
    if (packR.status === "rejected") throw packR.reason;
    // As the engine: each resource a failed program registered was judged as it came (the stack resource
    // first, before the program ran); a mandatory finding among them is the verdict, the failure reported.
    const failed = runR.status === "rejected" ? (runR.reason as Error) : undefined;
    if (failed && !(failed instanceof ProgramFailed && failed.planned.length > 0)) throw failed;
    const run =
      runR.status === "fulfilled"
        ? runR.value
        : { resources: (failed as ProgramFailed).planned, outputs: {}, warnings: [] as string[] };
    const analysisStarted = Date.now();
    // The engine skips AnalyzeStack for a failed deployment.
    const verdict = await judge(pack!, opts, run.resources, !failed);
    if (failed && verdict.summary.mandatory === 0) throw failed;
    const logs: LogEntry[] = failed
      ? [{ severity: "error", message: failed.message, urn: run.resources[0].urn }]
      : run.warnings.map((message) => ({ severity: "warning", message, urn: "" }));
    const now = Date.now();
    return {
      mode: prior ? "update" : "program",
      project,
      stack: opts.stack,
      resources: run.resources,
      outputs: run.outputs,
      ...verdict,
      logs: [...logs, ...verdict.logs],
      uncheckedKeys: secretKeys,
      timings: { packStartMs, programMs, analysisMs: now - analysisStarted, totalMs: now - started },
    };
  } finally {
    if (!parts.pack) await pack?.close();
  }
}

/** `pulumi policy analyze --policy-pack <packDir> --file <export.json>`, offline. */
export async function checkExport(
  opts: PackOptions & { file: string },
  parts: Pick<Parts, "pack"> = {},
): Promise<CheckResult> {
  const started = Date.now();
  const resources = readExport(opts.file);
  const root = resources.find((r) => r.type === ROOT_STACK_TYPE);
  const [stack, project] = root ? root.urn.slice("urn:pulumi:".length).split("::") : ["unknown", "unknown"];
  // As `pulumi policy analyze`: the pack starts without stack context.
  const pack = parts.pack ?? (await PolicyPack.start(opts.packDir, opts.timeoutMs));
  try {
    const packStartMs = Date.now() - started;
    const verdict = await judge(pack, opts, resources);
    const now = Date.now();
    return {
      mode: "file",
      project,
      stack,
      resources,
      outputs: {},
      ...verdict,
      uncheckedKeys: [],
      timings: { packStartMs, programMs: 0, analysisMs: now - started - packStartMs, totalMs: now - started },
    };
  } finally {
    if (!parts.pack) await pack.close();
  }
}
