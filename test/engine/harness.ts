/**
 * What the engine tests share: the real Pulumi CLI (built by pulumi.sh), the stand-in provider
 * plugins (fake-provider.ts) attached through PULUMI_DEBUG_PROVIDERS, a local file backend with a
 * passphrase, and stacks whose program runs inline (Automation API) from a project folder.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import {
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type PolicyEvent,
  type ProjectSettings,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation";
import * as yaml from "js-yaml";
import * as openpgp from "openpgp";
import * as ts from "typescript";
import type { Account } from "../../gate/fake-aws";

export const ROOT = path.join(__dirname, "..", "..");
export const PACK = path.join(ROOT, "policy");
export const ENGINE = path.join(ROOT, "node_modules", ".cache", "engine");
export const PULUMI = path.join(ENGINE, "bin", "pulumi");
export const fixture = (name: string) => path.join(ROOT, "test", "fixtures", "programs", name);
/** Versions the program's SDKs declare (the engine asks the plugin for nothing else). */
const PROVIDERS = { aws: "7.48.0", random: "4.21.2" };

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

/** A failed CLI command's exit status (the Automation API wraps it in a CommandError). */
export function exitCodeOf(e: unknown): number | undefined {
  const r = (e as { commandResult?: { code?: number; err?: { exitCode?: number } } }).commandResult;
  return r?.err?.exitCode ?? r?.code;
}

/**
 * The language host type-checks a TypeScript program with the project's tsconfig before it runs
 * it (ts-node, PULUMI_NODEJS_TYPESCRIPT); an inline program is loaded by this process's
 * transpile-only loader, so it is type-checked here first, with the same compiler options.
 */
let checked: ts.Program | undefined;
function typeCheck(file: string): void {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  );
  checked = ts.createProgram([file], { ...config!.options, noEmit: true }, undefined, checked);
  const errors = ts.getPreEmitDiagnostics(checked).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new Error(
      "Unable to compile TypeScript:\n" +
        errors
          .map((d) => {
            const where = d.file ? `${path.relative(ROOT, d.file.fileName)}: ` : "";
            return `${where}error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
          })
          .join("\n"),
    );
  }
}

/**
 * The program of a project folder as an inline program: type-checked, loaded afresh (a
 * top-level program declares its resources when loaded), its exported function called.
 */
export function programOf(dir: string): PulumiFn {
  return async () => {
    const entry = require.resolve(dir);
    typeCheck(entry);
    for (const k of Object.keys(require.cache))
      if (k.startsWith(ROOT) && !k.includes(`${path.sep}node_modules${path.sep}`) && !k.startsWith(__dirname))
        delete require.cache[k];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is only known at run time
    const loaded = require(entry);
    const main = loaded?.default ?? loaded;
    return typeof main === "function" ? await main() : main;
  };
}

/** A project folder's Pulumi.yaml, as the workspace's project settings. */
export const projectOf = (dir: string) =>
  yaml.load(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as ProjectSettings;

/** Pulumi.<stack>.yaml's values as strings (YAML numbers and booleans as the CLI prints them). */
export function stackConfigOf(dir: string, stack = "dev"): Record<string, unknown> {
  const doc = yaml.load(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  return doc.config ?? {};
}

/** What one preview or up showed: the policy findings, each resource's steps, the outcome. */
export interface Run {
  ok: boolean;
  exitCode?: number;
  stderr: string;
  policies: PolicyEvent[];
  /** Step ops by URN, in the engine's order (a replacement: create-replacement, replace, delete-replaced). */
  ops: Map<string, string[]>;
  outputs?: Record<string, { value: unknown; secret: boolean }>;
}

export const mandatoryOf = (run: Pick<Run, "policies">) =>
  [
    ...new Set(
      run.policies
        .filter((p) => (p.enforcementLevel as string) !== "advisory" && p.enforcementLevel !== "warning")
        .map((p) => p.policyName),
    ),
  ].sort();

/** One backend, one pair of provider plugins, one account: started once per test file. */
export class Engine {
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-test-"));
  readonly accountFile = path.join(this.tmp, "account.json");
  private children: ChildProcess[] = [];
  private ports: Record<string, number> = {};

  static async start(): Promise<Engine> {
    const engine = new Engine();
    try {
      for (const [pkg, version] of Object.entries(PROVIDERS))
        engine.ports[pkg] = await engine.startProvider(pkg, version);
    } catch (e) {
      engine.close();
      throw e;
    }
    fs.mkdirSync(path.join(engine.tmp, "state"));
    return engine;
  }

  private startProvider(pkg: string, version: string): Promise<number> {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "fake-provider.ts"),
        pkg,
        version,
        this.accountFile,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    this.children.push(child);
    return new Promise((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the ${pkg} stand-in exited with ${code}`)));
      readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve(Number(line)));
    });
  }

  /** The environment of every CLI command: this backend, passphrase secrets, the stand-ins. */
  get env(): Record<string, string> {
    return {
      PULUMI_CONFIG_PASSPHRASE: "engine-tests",
      PULUMI_BACKEND_URL: `file://${path.join(this.tmp, "state")}`,
      PULUMI_HOME: path.join(this.tmp, "home"),
      PULUMI_DEBUG_PROVIDERS: `aws:${this.ports.aws},random:${this.ports.random}`,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
  }

  /** A stack of the project in `dir` whose program is `programDir`'s, inline, in its own workspace. */
  stack(dir: string, name: string, programDir = dir): Promise<Stack> {
    return openStack(dir, path.join(this.tmp, `work-${name}`), this.env, programDir);
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

  /** Runs the CLI in a stack's workspace (for what the Automation API does not wrap). */
  cli(stack: Stack, args: string[]): string {
    return execFileSync(PULUMI, args, {
      cwd: stack.workspace.workDir,
      env: { ...process.env, ...this.env },
      encoding: "utf8",
    });
  }

  close(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill("SIGKILL");
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** The `dev` stack of the project in `dir`, its config from Pulumi.dev.yaml, its program inline. */
export async function openStack(
  dir: string,
  workDir: string,
  env: Record<string, string>,
  programDir = dir,
): Promise<Stack> {
  fs.mkdirSync(workDir, { recursive: true });
  const project = projectOf(dir);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "dev", projectName: project.name, program: programOf(programDir) },
    {
      workDir,
      projectSettings: project,
      envVars: env,
      pulumiCommand: await PulumiCommand.get({ root: ENGINE }),
    },
  );
  await setConfig(stack, stackConfigOf(dir));
  return stack;
}

/** Replaces the stack's config with these values (`secret` ones encrypted with the passphrase). */
export async function setConfig(stack: Stack, values: Record<string, unknown>, secret: string[] = []) {
  const old = Object.keys(await stack.getAllConfig());
  if (old.length > 0) await stack.removeAllConfig(old);
  await stack.setAllConfig(
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        k,
        { value: typeof v === "string" ? v : JSON.stringify(v), secret: secret.includes(k) },
      ]),
    ),
  );
}

/** `preview` or `up` with the project's pack, collecting the policy findings and steps. */
export async function run(
  stack: Stack,
  op: "preview" | "up",
  extra: { policyPack?: boolean; program?: PulumiFn } = {},
): Promise<Run> {
  const policies: PolicyEvent[] = [];
  const ops = new Map<string, string[]>();
  let stderr = "";
  const onEvent = (e: EngineEvent) => {
    if (e.policyEvent) policies.push(e.policyEvent);
    const pre = e.resourcePreEvent?.metadata;
    if (pre) ops.set(pre.urn, [...(ops.get(pre.urn) ?? []), pre.op]);
  };
  const opts = {
    onEvent,
    onError: (s: string) => void (stderr += s),
    ...(extra.policyPack === false ? {} : { policyPacks: [PACK] }),
    ...(extra.program ? { program: extra.program } : {}),
  };
  try {
    if (op === "preview") {
      await stack.preview(opts);
      return { ok: true, stderr, policies, ops };
    }
    const result = await stack.up(opts);
    return { ok: true, stderr, policies, ops, outputs: result.outputs };
  } catch (e) {
    const r = (e as { commandResult?: { stderr?: string; stdout?: string } }).commandResult;
    return { ok: false, exitCode: exitCodeOf(e), stderr: stderr + (r?.stderr ?? ""), policies, ops };
  }
}

/** A public key as the program's pgpKey wants it: base64 of the binary key (gpg --export | base64). */
export async function binaryPublicKey(armoredPublicKey: string): Promise<string> {
  const key = await openpgp.readKey({ armoredKey: armoredPublicKey });
  return Buffer.from(key.write()).toString("base64");
}
