/**
 * Runs a Pulumi Node.js program under mocks inside a worker thread (see ./program.ts) and
 * posts back every resource registration the way the engine would have recorded it.
 *
 * Mirrors, in pulumi/pulumi:
 * - sdk/nodejs/cmd/run/run.ts: `require(<project dir>/)` (package.json `main`), call the export
 *   if it is a function, await it, all inside `runInPulumiStack`, whose result becomes the
 *   stack outputs (registerResourceOutputs on the root `pulumi:pulumi:Stack`).
 * - sdk/go/common/resource/urn/urn.go New: URN = urn:pulumi:<stack>::<project>::<type>::<name>,
 *   the type prefixed by the parent's qualified type unless the parent is the root stack.
 * - pkg/resource/deploy/default_providers.go newRegisterDefaultProviderEvent: a custom
 *   resource or invoke without an explicit provider gets `pulumi:providers:<pkg>` named
 *   `default_<version with underscores>`, no parent, inputs = the stack config of the package
 *   plus `version`; it is registered the first time it is needed.
 * - additionalSecretOutputs: the engine marks those outputs secret.
 */
import * as path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type { MockContext } from "./mocks";
import { mockCall, mockResource } from "./mocks";
import { SECRET_SIG, SIG_KEY, UNKNOWN } from "./wire";

export interface WorkerInput {
  programDir: string;
  /** The program's entry (Pulumi.yaml `main`), relative to programDir; default ".". */
  main: string;
  project: string;
  stack: string;
  organization?: string;
  dryRun: boolean;
  /** Stack config (`ns:key` -> string): the language host's PULUMI_CONFIG. */
  config: Record<string, string>;
  /** PULUMI_CONFIG_SECRET_KEYS. */
  secretKeys: string[];
}

export interface CapturedOptions {
  protect: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs: string[];
  aliases: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number; read?: number };
  parent: string;
}

export interface CapturedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string;
  parent: string;
  /** Provider reference `<provider urn>::<id>`, "" for components and providers. */
  provider: string;
  /** Inputs in wire form, as the SDK sent them (secrets and unknowns encoded). */
  inputs: Record<string, unknown>;
  /** Outputs in wire form (the mock provider's state, or a component's registered outputs). */
  outputs: Record<string, unknown>;
  options: CapturedOptions;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** true for a default provider the engine would have registered by itself. */
  defaultProvider: boolean;
}

/** Host -> worker: run one program. */
export interface RunRequest {
  kind: "run";
  id: number;
  input: WorkerInput;
}

/** Worker -> host: the outcome of one run (`ready` once the runtime is loaded). */
export type WorkerMessage =
  | { kind: "ready"; loadMs: number }
  | { kind: "done"; id: number; resources: CapturedResource[]; runMs: number }
  | { kind: "failed"; id: number; message: string; resources: CapturedResource[] };

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** urn.New: the parent's qualified type prefixes the type, unless the parent is the root stack. */
export function engineUrn(
  stack: string,
  project: string,
  parentUrn: string,
  type: string,
  name: string,
): string {
  let qualified = type;
  if (parentUrn) {
    const parentType = parentUrn.split("::")[2];
    if (parentType && parentType !== ROOT_STACK_TYPE) qualified = `${parentType}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** The package of a type or function token: `aws:iam/user:User` -> `aws`. */
export function packageOf(token: string): string {
  return token.split(":")[0];
}

/** Go duration strings ("5m", "1h30m", "90s") to seconds, as the engine stores custom timeouts. */
export function durationSeconds(d: string): number | undefined {
  if (!d) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  const scale: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  let matched = "";
  for (const m of d.matchAll(re)) {
    total += Number(m[1]) * scale[m[2]];
    matched += m[0];
  }
  return matched === d ? total : undefined;
}

function secretWire(v: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value: v };
}

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports --
   the SDK's internal runtime modules are untyped, and are loaded from the program's own
   @pulumi/pulumi (the one its resources register with), not from this file's. */
/**
 * Loads the Pulumi runtime once (from the first program's directory), then runs programs
 * one at a time as the host asks. Each run starts from fresh runtime settings (mocks,
 * project, stack, config) and reloads the program's own modules.
 */
function host(firstProgramDir: string): void {
  const started = Date.now();
  const fromProgram = (mod: string) => require(require.resolve(mod, { paths: [firstProgramDir] }));
  const pulumiDir = path.dirname(
    require.resolve("@pulumi/pulumi/package.json", { paths: [firstProgramDir] }),
  );
  const mocksMod = require(path.join(pulumiDir, "runtime", "mocks"));
  const settings = require(path.join(pulumiDir, "runtime", "settings"));
  const state = require(path.join(pulumiDir, "runtime", "state"));
  const config = require(path.join(pulumiDir, "runtime", "config"));
  const rpc = require(path.join(pulumiDir, "runtime", "rpc"));
  const stackMod = require(path.join(pulumiDir, "runtime", "stack"));
  const resproto = require(path.join(pulumiDir, "proto", "resource_pb"));
  const structproto = fromProgram("google-protobuf/google/protobuf/struct_pb");
  const MockMonitor: new (mocks: unknown) => any = mocksMod.MockMonitor;

  let current: { id: number; captured: CapturedResource[] } | undefined;
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  const fail = (e: unknown) => {
    if (!current) return;
    const message = e instanceof Error ? e.message : String(e);
    post({ kind: "failed", id: current.id, message, resources: current.captured });
    current = undefined;
  };
  // run.ts: an unhandled rejection or exception is the program failing.
  process.on("unhandledRejection", fail);
  process.on("uncaughtException", fail);

  async function run(id: number, input: WorkerInput): Promise<void> {
    const t0 = Date.now();
    const ctx: MockContext = { region: input.config["aws:region"] };
    const captured: CapturedResource[] = [];
    current = { id, captured };
    const byUrn = new Map<string, CapturedResource>();
    const defaultProviders = new Map<string, Promise<string>>();
    const mocks = {
      newResource: (args: any) => {
        const r = mockResource(args, ctx);
        return { id: r.id, state: r.state };
      },
      call: (args: any) => mockCall(args.token, args.inputs, ctx),
    };
    const record = (r: CapturedResource) => {
      captured.push(r);
      byUrn.set(r.urn, r);
    };
    class CapturingMonitor extends MockMonitor {
      // The default provider reference for a package at a version, registered on first use.
      defaultProviderRef(pkg: string, version: string): Promise<string> {
        const key = `${pkg}@${version}`;
        let ref = defaultProviders.get(key);
        if (!ref) {
          ref = (async () => {
            const name = version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
            const type = `pulumi:providers:${pkg}`;
            const urn = engineUrn(input.stack, input.project, "", type, name);
            const inputs: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(input.config)) {
              if (k.startsWith(`${pkg}:`)) inputs[k.slice(pkg.length + 1)] = v;
            }
            if (version) inputs.version = version;
            const id = input.dryRun ? UNKNOWN : "00000000-0000-4000-8000-000000000000";
            record({
              urn,
              type,
              name,
              custom: true,
              id,
              parent: "",
              provider: "",
              inputs,
              outputs: { ...inputs },
              options: {
                protect: false,
                ignoreChanges: [],
                additionalSecretOutputs: [],
                aliases: [],
                parent: "",
              },
              dependencies: [],
              propertyDependencies: {},
              defaultProvider: true,
            });
            (this as any).resources.set(urn, { urn, id, state: { ...inputs } });
            return `${urn}::${id}`;
          })();
          defaultProviders.set(key, ref);
        }
        return ref;
      }

      async invoke(req: any, callback: any) {
        const tok: string = req.getTok();
        if (!req.getProvider() && tok !== "pulumi:pulumi:getResource") {
          await this.defaultProviderRef(packageOf(tok), req.getVersion());
        }
        return super.invoke(req, callback);
      }

      async registerResource(req: any, callback: any) {
        try {
          const type: string = req.getType();
          const name: string = req.getName();
          const parent: string = req.getParent();
          const custom: boolean = req.getCustom();
          const urn = engineUrn(input.stack, input.project, parent, type, name);
          const isProvider = type.startsWith("pulumi:providers:");
          let provider: string = req.getProvider();
          if (custom && !isProvider && !provider) {
            provider = await this.defaultProviderRef(packageOf(type), req.getVersion());
          }
          const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
          let id = "";
          let outputs: Record<string, unknown> = {};
          if (custom) {
            const r = isProvider
              ? {
                  id: input.dryRun ? UNKNOWN : "00000000-0000-4000-8000-000000000001",
                  state: {},
                  secretOutputs: [],
                }
              : mockResource({ type, name, inputs: rpc.deserializeProperties(req.getObject()), custom }, ctx);
            id = r.id;
            outputs = (await rpc.serializeProperties("", r.state)) as Record<string, unknown>;
            if (isProvider) outputs = { ...inputs };
            const secretOutputs = new Set<string>([
              ...r.secretOutputs,
              ...req.getAdditionalsecretoutputsList(),
            ]);
            for (const k of secretOutputs) {
              if (k in outputs && !(outputs[k] as any)?.[SIG_KEY]) outputs[k] = secretWire(outputs[k]);
            }
          }
          const propertyDependencies: Record<string, string[]> = {};
          req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
            propertyDependencies[key] = deps.getUrnsList();
          });
          const timeouts = req.getCustomtimeouts();
          const aliases: string[] = [...req.getAliasurnsList()];
          for (const a of req.getAliasesList()) if (a.getUrn()) aliases.push(a.getUrn());
          record({
            urn,
            type,
            name,
            custom,
            id,
            parent,
            provider: custom && !isProvider ? provider : "",
            inputs,
            outputs,
            options: {
              protect: req.getProtect() ?? false,
              ignoreChanges: req.getIgnorechangesList(),
              deleteBeforeReplace: req.getDeletebeforereplacedefined()
                ? req.getDeletebeforereplace()
                : undefined,
              additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
              aliases,
              customTimeouts: timeouts
                ? {
                    create: durationSeconds(timeouts.getCreate()),
                    update: durationSeconds(timeouts.getUpdate()),
                    delete: durationSeconds(timeouts.getDelete()),
                    read: durationSeconds(timeouts.getRead()),
                  }
                : undefined,
              parent,
            },
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            defaultProvider: false,
          });
          (this as any).resources.set(urn, { urn, id: id || null, state: outputs });
          const response = new resproto.RegisterResourceResponse();
          response.setUrn(urn);
          response.setId(id);
          response.setObject(structproto.Struct.fromJavaScript(outputs));
          callback(null, response);
        } catch (err) {
          callback(err, undefined);
        }
      }

      registerResourceOutputs(req: any, callback: any) {
        const r = byUrn.get(req.getUrn());
        if (r) r.outputs = (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
        return super.registerResourceOutputs(req, callback);
      }
    }

    // setMocks (runtime/mocks.ts), with the capturing monitor in the mock monitor's place.
    settings.setMockOptions(
      new CapturingMonitor(mocks),
      input.project,
      input.stack,
      input.dryRun,
      input.organization,
    );
    const store = state.getStore();
    store.supportsSecrets = true;
    store.supportsResourceReferences = true;
    store.supportsOutputValues = false;
    store.supportsDeletedWith = true;
    store.supportsReplaceWith = true;
    store.supportsAliasSpecs = true;
    store.supportsTransforms = true;
    store.supportsInvokeTransforms = true;
    store.supportsParameterization = true;
    store.supportsResourceHooks = true;
    store.supportsErrorHooks = true;
    store.supportsInvokeDependsOn = false;
    // The language host's PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS, for this run.
    config.setAllConfig(input.config, input.secretKeys);

    // The program's own modules load afresh for every run (not its dependencies).
    const programDir = path.resolve(input.programDir) + path.sep;
    for (const file of Object.keys(require.cache)) {
      if (file.startsWith(programDir) && !file.includes(`${path.sep}node_modules${path.sep}`))
        delete require.cache[file];
    }

    try {
      let program = path.resolve(input.programDir, input.main);
      // run.ts: require the folder (so package.json `main` applies), not an adjacent .json.
      if (input.main === ".") program += path.sep;
      await stackMod.runInPulumiStack(async () => {
        const programExport = require(program);
        const result = programExport instanceof Function ? programExport() : programExport;
        return await result;
      });
      await settings.waitForRPCs();
    } catch (e) {
      fail(e);
      return;
    }
    if (current?.id !== id) return; // already failed through an unhandled rejection
    current = undefined;
    post({ kind: "done", id, resources: captured, runMs: Date.now() - t0 });
  }

  post({ kind: "ready", loadMs: Date.now() - started });
  parentPort!.on("message", (m: RunRequest) => {
    if (m.kind === "run") void run(m.id, m.input);
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */

if (parentPort && workerData?.checkerProgramWorker) {
  host(workerData.programDir as string);
}
