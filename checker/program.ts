/**
 * Runs the Pulumi program offline, under mocks, in a worker thread: the Pulumi runtime's
 * state (mocks, config, the root stack) is per-thread, so nothing leaks into the caller
 * (a test process, say), and a program that hangs, even in a busy loop, is bounded by
 * terminating the worker.
 *
 * The program gets its config as from the Node language host (pulumi-language-nodejs
 * constructEnv): PULUMI_CONFIG (JSON of `ns:key` -> string), PULUMI_CONFIG_SECRET_KEYS,
 * PULUMI_NODEJS_{PROJECT,STACK,DRY_RUN,ORGANIZATION}, and PULUMI_NODEJS_ENGINE so that its
 * `pulumi.log` calls reach an Engine service (see analyzer.ts startEngineServer).
 *
 * TypeScript is transpiled without type-checking (ts-cache.js; the language host type-checks
 * with ts-node, here `npm run typecheck` does that, and skipping it keeps the check fast).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { CapturedResource, RunRequest, WorkerInput, WorkerMessage } from "./program-worker";

export type { CapturedResource } from "./program-worker";

export class ProgramError extends Error {
  constructor(
    message: string,
    readonly stage: "load" | "run" | "timeout",
    readonly resources: CapturedResource[] = [],
  ) {
    super(message);
    this.name = "ProgramError";
  }
}

/** What the worker gets (see WorkerInput), plus how the host runs it. */
export interface RunProgramOptions extends Omit<WorkerInput, "main"> {
  main?: string;
  /** Address of the Engine service the program logs to. */
  engineAddress?: string;
  timeoutMs: number;
  /** Aborting stops the program (the worker is terminated, the run rejects). */
  signal?: AbortSignal;
}

export interface ProgramRun {
  resources: CapturedResource[];
  /** What the program wrote to stdout/stderr (console), for diagnostics. */
  console: string;
  phases: { loadMs: number; runMs: number };
}

const WORKER_FILE = path.join(__dirname, "program-worker.ts");

// The worker has its own module system: a TypeScript loader goes in first (transpile only,
// cached on disk, see ts-cache.js), then the worker module, which loads the program.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const nodeModule = require("node:module");
if (process.env.NODE_COMPILE_CACHE && typeof nodeModule.enableCompileCache === "function") {
  nodeModule.enableCompileCache(process.env.NODE_COMPILE_CACHE);
}
require(workerData.tsCache).register(workerData.programDir, workerData.tsCacheDir);
require(workerData.workerFile);
`;

/** Transpiled TypeScript, shared by every run (content-addressed). */
const TS_CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "management-bootstrap-check", "ts");

function workerEnv(engineAddress: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith("PULUMI_NODEJS_") || k === "PULUMI_CONFIG" || k === "PULUMI_CONFIG_SECRET_KEYS")
      delete env[k];
  }
  // The engine address is fixed for the worker's life; project, stack and config are set
  // per run (settings.setMockOptions, config.setAllConfig).
  if (engineAddress) env.PULUMI_NODEJS_ENGINE = engineAddress;
  return env;
}

/**
 * A worker that runs programs one after another with the Pulumi runtime loaded once (the
 * checker's tests run many small programs). `runProgram` is the one-shot form.
 */
export class ProgramHost {
  private worker: Worker;
  private ready: Promise<number>;
  private nextId = 1;
  private pending = new Map<
    number,
    { resolve: (r: ProgramRun) => void; reject: (e: Error) => void; console: () => string }
  >();
  private consoleText = "";
  private exitError?: Error;

  /** `extraEnv`: added to the worker's environment (e.g. NODE_COMPILE_CACHE). */
  constructor(
    firstProgramDir: string,
    readonly engineAddress?: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ) {
    this.worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: { ...workerEnv(engineAddress), ...extraEnv },
      workerData: {
        checkerProgramWorker: true,
        programDir: path.resolve(firstProgramDir),
        tsCache: path.join(__dirname, "ts-cache.js"),
        tsCacheDir: TS_CACHE_DIR,
        workerFile: WORKER_FILE,
      },
      stdout: true,
      stderr: true,
    });
    const keep = (d: Buffer) => {
      this.consoleText = (this.consoleText + d.toString()).slice(-16_000);
    };
    this.worker.stdout.on("data", keep);
    this.worker.stderr.on("data", keep);
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (m: WorkerMessage) => {
        if (m.kind === "ready") return resolve(m.loadMs);
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.kind === "done") {
          p.resolve({ resources: m.resources, console: p.console(), phases: { loadMs: 0, runMs: m.runMs } });
        } else {
          p.reject(new ProgramError(`program failed: ${m.message}`, "run", m.resources));
        }
      });
      const failAll = (e: Error) => {
        this.exitError = e;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      this.worker.on("error", (e) => failAll(new ProgramError(`program failed: ${e.message}`, "run")));
      this.worker.on("exit", () =>
        failAll(
          new ProgramError("program ended without finishing: a promise it awaited never settled", "run"),
        ),
      );
    });
    // Reported by run(); never an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Runs one program; rejects with a ProgramError (stage timeout after opts.timeoutMs). */
  async run(opts: RunProgramOptions): Promise<ProgramRun> {
    const programDir = path.resolve(opts.programDir);
    if (!fs.existsSync(programDir))
      throw new ProgramError(`program directory not found: ${programDir}`, "load");
    const t0 = Date.now();
    const where = `program ${programDir}`;
    const relabel = (e: unknown) =>
      e instanceof ProgramError
        ? new ProgramError(e.message.replace(/^program /, `${where} `), e.stage, e.resources)
        : e;

    return new Promise<ProgramRun>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      // A program that does not finish in time (even one stuck in a busy loop) is stopped
      // by terminating the worker: this host is then closed.
      const timer = setTimeout(() => {
        finish(() =>
          reject(new ProgramError(`${where} did not finish within ${opts.timeoutMs} ms`, "timeout")),
        );
        void this.close();
      }, opts.timeoutMs);
      const onAbort = () => {
        finish(() => reject(new ProgramError(`${where} was cancelled`, "run")));
        void this.close();
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort);

      this.ready.then(
        (loadMs) => {
          if (settled) return;
          const id = this.nextId++;
          const consoleStart = this.consoleText.length;
          this.pending.set(id, {
            resolve: (r) =>
              finish(() => resolve({ ...r, phases: { loadMs, runMs: Date.now() - t0 - loadMs } })),
            reject: (e) => finish(() => reject(relabel(e))),
            console: () => this.consoleText.slice(consoleStart),
          });
          const input: WorkerInput = {
            programDir,
            main: opts.main ?? ".",
            project: opts.project,
            stack: opts.stack,
            organization: opts.organization,
            dryRun: opts.dryRun,
            config: opts.config,
            secretKeys: opts.secretKeys,
          };
          this.worker.postMessage({ kind: "run", id, input } satisfies RunRequest);
        },
        (e) => finish(() => reject(relabel(this.exitError ?? e))),
      );
    });
  }

  /** Terminates the worker (and whatever program it was running). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Runs one program in a worker of its own, then ends the worker. */
export async function runProgram(opts: RunProgramOptions): Promise<ProgramRun> {
  const host = new ProgramHost(opts.programDir, opts.engineAddress);
  try {
    return await host.run(opts);
  } finally {
    await host.close();
  }
}
