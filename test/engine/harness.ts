/**
 * What the engine tests share: a copy of the project folder (and of the program fixtures) in a
 * temp dir, driven as a user drives it: `npm run engine:pulumi -- ARGS` (the real CLI with the
 * stand-in providers, pulumi-cli.ts) and `npm run check`, in that folder, with a file backend and
 * passphrase secrets of the copy's own.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent, PolicyEvent } from "@pulumi/pulumi/automation";
import * as openpgp from "openpgp";
import type { Account } from "./file-account";

export const ROOT = path.join(__dirname, "..", "..");
export const PULUMI = path.join(ROOT, "node_modules", ".cache", "engine", "bin", "pulumi");
export const PROJECT = "management-bootstrap";

/** Whether `go` is on PATH: without it the CLI cannot be built and the engine tests skip. */
export const hasGo = () => spawnSync("go", ["version"], { stdio: "ignore" }).status === 0;

/** Builds the CLI when missing or stale (pulumi.sh) and returns the version it reports. */
export function buildCli(): string {
  execFileSync("bash", [path.join(__dirname, "pulumi.sh")], {
    env: { ...process.env, ENGINE_PULUMI_BUILD_ONLY: "1" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return execFileSync(PULUMI, ["version"], { encoding: "utf8" }).trim();
}

/** What one command printed, how it ended, and (for preview and up) the engine's events. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  events: EngineEvent[];
}

/** The mandatory policies a preview or up reported, sorted. */
export const mandatoryOf = (run: CliRun) =>
  [
    ...new Set(
      policiesOf(run)
        .filter((p) => (p.enforcementLevel as string) !== "advisory" && p.enforcementLevel !== "warning")
        .map((p) => p.policyName),
    ),
  ].sort();
export const policiesOf = (run: CliRun): PolicyEvent[] =>
  run.events.flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));

/** Step ops by URN, in the engine's order (a replacement: create-replacement, replace, delete-replaced). */
export function opsOf(run: CliRun): Map<string, string[]> {
  const ops = new Map<string, string[]>();
  for (const e of run.events) {
    const pre = e.resourcePreEvent?.metadata;
    if (pre) ops.set(pre.urn, [...(ops.get(pre.urn) ?? []), pre.op]);
  }
  return ops;
}

/** Files of the project a user has in a clone: what git tracks and what it does not ignore. */
function projectFiles(): string[] {
  return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
}

/**
 * A temp dir with a copy of the project (`project/`, its node_modules a link to this checkout's)
 * and of the program fixtures (`programs/`), one file backend (`state/`, where the stand-in
 * account lives too) and a PULUMI_HOME of its own. With `aws` (a started moto, moto.ts), every
 * command gets its environment (AWS_ENDPOINT_URL, dummy credentials), so the stand-in provider
 * creates in that moto; without it AWS_ENDPOINT_URL is removed, so the account is the file even
 * when the shell that runs the tests has one set.
 */
export class Workspace {
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-test-"));
  readonly project = path.join(this.tmp, "project");
  readonly state = path.join(this.tmp, "state");
  readonly accountFile = path.join(this.state, "stand-in-account.json");

  private readonly aws?: { env: Record<string, string> };

  constructor(opts: { aws?: { env: Record<string, string> } } = {}) {
    this.aws = opts.aws;
    for (const f of projectFiles()) {
      fs.mkdirSync(path.dirname(path.join(this.project, f)), { recursive: true });
      // Timestamps kept: pulumi.sh rebuilds the CLI when a Go file is newer than the binary.
      fs.copyFileSync(path.join(ROOT, f), path.join(this.project, f));
      const { atime, mtime } = fs.statSync(path.join(ROOT, f));
      fs.utimesSync(path.join(this.project, f), atime, mtime);
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.project, "node_modules"));
    // Fixture programs resolve their packages and tsconfig upward, as in the checkout.
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.tmp, "node_modules"));
    fs.copyFileSync(path.join(ROOT, "tsconfig.json"), path.join(this.tmp, "tsconfig.json"));
    fs.cpSync(path.join(ROOT, "test", "fixtures", "programs"), path.join(this.tmp, "programs"), {
      recursive: true,
    });
    fs.mkdirSync(this.state);
  }

  /** A fixture program's folder in this workspace. */
  fixture(name: string): string {
    return path.join(this.tmp, "programs", name);
  }

  /**
   * The environment of every command: this backend and home, passphrase secrets, the moto given. The
   * programs run transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY, which the language host and the gate
   * both honour): `npm test`'s tsc has type-checked them, and a type check is seconds of CPU per run.
   * The docs test runs as an operator does, type-checked, and the fidelity test's type-error case too.
   */
  get env(): Record<string, string> {
    return {
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_CONFIG_PASSPHRASE: "engine-tests",
      PULUMI_BACKEND_URL: `file://${this.state}`,
      PULUMI_HOME: path.join(this.tmp, "home"),
      ...this.aws?.env,
    };
  }

  /**
   * `npm --prefix PROJECT run --silent SCRIPT -- ARGS` in `cwd` (default: the project copy), as a
   * user types it; ended (SIGINT, then SIGKILL of its process group) after `timeoutMs`.
   */
  npm(
    script: string,
    args: string[],
    opts: { cwd?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<CliRun> {
    const inherited = { ...process.env };
    if (!this.aws) delete inherited.AWS_ENDPOINT_URL;
    const child = spawn("npm", ["--prefix", this.project, "run", "--silent", script, "--", ...args], {
      cwd: opts.cwd ?? this.project,
      env: { ...inherited, ...this.env, ...opts.env },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end(opts.input ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stderr += `\n[test] ended after ${opts.timeoutMs} ms\n`;
      group("SIGINT");
      setTimeout(() => group("SIGKILL"), 10_000).unref();
    }, opts.timeoutMs ?? 300_000);
    return new Promise((resolve) => {
      child.once("close", (code) => {
        clearTimeout(timer);
        group("SIGKILL"); // nothing of the command outlives it
        resolve({ code, stdout, stderr, events: [] });
      });
    });
  }

  /** `pulumi ARGS` through `npm run engine:pulumi`; preview and up also record the engine's events. */
  async pulumi(
    args: string[],
    opts: { cwd?: string; input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<CliRun> {
    const log = path.join(this.tmp, `events-${Date.now()}-${Math.random().toString(16).slice(2)}.jsonl`);
    const records = ["preview", "up"].includes(args[0]);
    // --event-log exists where PULUMI_DEBUG_COMMANDS is set, as the Automation API sets it.
    const run = await this.npm("engine:pulumi", records ? [...args, "--event-log", log] : args, {
      ...opts,
      env: { ...opts.env, ...(records ? { PULUMI_DEBUG_COMMANDS: "true" } : {}) },
    });
    if (records && fs.existsSync(log)) {
      run.events = fs
        .readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EngineEvent);
      fs.rmSync(log);
    }
    return run;
  }

  /** `pulumi ARGS` that must succeed; its stdout. */
  async ok(
    args: string[],
    opts: { cwd?: string; input?: string; env?: Record<string, string> } = {},
  ): Promise<string> {
    const run = await this.pulumi(args, opts);
    if (run.code !== 0)
      throw new Error(
        `pulumi ${args.join(" ")} exited with ${run.code}:\n${(run.stdout + run.stderr).slice(-3000)}`,
      );
    return run.stdout;
  }

  account(): Account {
    return fs.existsSync(this.accountFile)
      ? JSON.parse(fs.readFileSync(this.accountFile, "utf8"))
      : { resources: {} };
  }

  /** The provider calls so far (`create|update|delete <type> <name> <id>`), in order. */
  journal(): string[] {
    const file = `${this.accountFile}.log`;
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
  }

  close(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/**
 * Runs `fn` on every item, `width` at a time: an engine test case waits on its CLI commands as much as
 * it computes, so two or three at once use the machine's cores better than one.
 */
export async function inPool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** A public key as the program's pgpKey wants it: base64 of the binary key (gpg --export | base64). */
export async function binaryPublicKey(armoredPublicKey: string): Promise<string> {
  const key = await openpgp.readKey({ armoredKey: armoredPublicKey });
  return Buffer.from(key.write()).toString("base64");
}
