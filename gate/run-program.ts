/** Runs a program under mocks and the fake AWS: its resources as the engine would hand them to a pack. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { isSecretValue } from "../lib/text";
import * as fakeAws from "./fake-aws";
import type { Props } from "./fake-aws";

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** A resource of the plan, properties in wire form (secrets wrapped, unknowns as sentinels). */
export interface PlannedResource {
  urn: string;
  /** The provider's id ("" for components and for what is not created yet). */
  id?: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** The provider's URN, or "". */
  provider: string;
  inputs: Props;
  outputs: Props;
  options: ResourceOptions;
  dependencies: string[];
  /** Only against a deployed stack. */
  op?: StepOp;
}

type Step = { id?: string; inputs: Props; state: Props; op?: StepOp };

/** What `--state` plans for a resource, with preview's names. */
export type StepOp = "create" | "same" | "update" | "replace" | "delete";

/** A resource of the deployed stack, with the replacementTrigger the engine stored as JSON text. */
export type PriorResource = Pick<PlannedResource, "id" | "inputs" | "outputs"> & {
  replacementTrigger?: string;
};

export interface ResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  /** The resolved replacementTrigger as JSON text. */
  replacementTrigger?: string;
}

/** `value` is absent when secret: a report never needs it. */
export type StackOutput = { secret: boolean; value?: unknown };

export interface ProgramRun {
  resources: PlannedResource[];
  outputs: Record<string, StackOutput>;
  /** What the program logged with pulumi.log.warn / error. */
  warnings: string[];
  invokes: string[];
}

export interface RunOptions {
  /** Pulumi.yaml `main`: its default export runs. */
  programDir: string;
  project: string;
  stack: string;
  /** Full keys (`project:key`, `aws:region`) to strings. */
  config: Record<string, string>;
  secretKeys?: string[];
  /** true for `pulumi preview` (default), false for `pulumi up`. */
  preview?: boolean;
  /** The deployed stack by URN: plan an update of it instead of a first deployment. */
  prior?: Map<string, PriorResource>;
  /** Answers to provider functions that replace the fake AWS's (a test's root caller, say). */
  calls?: Record<string, Props>;
  /** Secure config the gate cannot decrypt: full key to two valid values that stand in for it. */
  standIns?: Record<string, readonly [string, string]>;
}

/** The program stopped; what it had registered and called by then. */
export class ProgramError extends Error {
  constructor(
    readonly cause: unknown,
    readonly registered: number,
    readonly invokes: string[],
    /** What the program registered before it failed: the engine judges these (the stack resource first). */
    readonly planned: PlannedResource[] = [],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** A resource with the fields most resources leave empty filled in. */
const resource = (
  r: Pick<PlannedResource, "urn" | "type" | "name"> & Partial<PlannedResource>,
): PlannedResource => ({
  custom: true,
  parent: "",
  provider: "",
  inputs: {},
  outputs: {},
  options: {},
  dependencies: [],
  ...r,
});

const { specialSigKey, specialSecretSig, unknownValue } = pulumi.runtime;
export const secretWire = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
/** The SDK's signature of an output value (sdk/nodejs/runtime/rpc.ts specialOutputValueSig). */
const OUTPUT_VALUE_SIG = "d0e6a833-031e-40d5-8b1a-3ec7e2f4ae68";

/**
 * A resource's URN as the engine builds it (pkg/resource/deploy/deployment.go generateURN, urn.New): the
 * parent's qualified type, which chains every ancestor's type but the root stack's, prefixes the type.
 */
export function resourceUrn(stack: string, project: string, type: string, name: string, parent = "") {
  const parentType = parent ? parent.split("::")[2] : "";
  const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** An output's value once the program has run: one not resolved by the next turn is unknown. */
function settled(o: pulumi.Output<unknown>): Promise<{ known: boolean; value?: unknown }> {
  return new Promise((resolve) => {
    o.apply((value) => resolve({ known: true, value }));
    setImmediate(() => resolve({ known: false }));
  });
}

/** A wire value as plain data: secrets and output values unwrapped, an unknown output the unknown sentinel. */
function plainWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainWire);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o[specialSigKey] === specialSecretSig) return plainWire(o.value);
  if (o[specialSigKey] === OUTPUT_VALUE_SIG) return "value" in o ? plainWire(o.value) : unknownValue;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plainWire(x)]));
}

const hasUnknown = (v: unknown): boolean =>
  v === unknownValue || (v !== null && typeof v === "object" && Object.values(v).some(hasUnknown));

const hasSecret = (v: unknown): boolean =>
  isSecretValue(v) || (v !== null && typeof v === "object" && Object.values(v as object).some(hasSecret));

/** A trigger as ResourceOptions keeps it: JSON text, or the unknown sentinel. */
const triggerText = (plain: unknown) => (hasUnknown(plain) ? unknownValue : JSON.stringify(plain));

/**
 * Whether the replacement trigger replaces the resource, as shouldTriggerReplace
 * (pkg/resource/deploy/step_generator.go): an unknown on either side always counts as a change;
 * only then does a missing trigger (null: none declared, or none stored) mean no trigger.
 */
export function triggerFires(news?: string, olds?: string): boolean {
  if (news === unknownValue || olds === unknownValue) return true;
  const [n, o] = [news, olds].map((t) => (t === undefined ? null : plainWire(JSON.parse(t))));
  if (hasUnknown(n) || hasUnknown(o)) return true;
  if (n === null || o === null) return false;
  return fakeAws.canonical(n) !== fakeAws.canonical(o);
}

/** The default provider the engine registers for a package, its config as inputs. */
function defaultProvider(pkg: string, opts: RunOptions): PlannedResource {
  let version = "";
  try {
    const file = require.resolve(`@pulumi/${pkg}/package.json`, { paths: [opts.programDir] });
    version = (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    // A package the program does not depend on: no version in the name.
  }
  const name = version ? `default_${version.replace(/[.-]/g, "_")}` : "default";
  const inputs: Props = { version };
  for (const [k, v] of Object.entries(opts.config)) {
    if (!k.startsWith(`${pkg}:`)) continue;
    const key = k.slice(pkg.length + 1);
    inputs[key] = opts.secretKeys?.includes(k) ? secretWire(v) : v;
  }
  const type = `pulumi:providers:${pkg}`;
  const urn = resourceUrn(opts.stack, opts.project, type, name);
  return resource({ urn, type, name, inputs, outputs: inputs });
}

/** The parts of the mock monitor (sdk/nodejs/runtime/mocks.ts) the runner takes over. */
interface MockMonitor {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterResourceRequest, callback: unknown): Promise<void>;
}

/** A registration as the engine receives it: URN, parent and options from the request. */
interface Registration {
  urn: string;
  parent: string;
  custom: boolean;
  /** The request's inputs in wire form (secrets wrapped, unknowns as the sentinel). */
  wire: Props;
  options: ResourceOptions;
  dependencies: string[];
}

/**
 * Runs the program once. Throws ProgramError with the program's own message if it fails.
 * With `standIns` (secure config the gate cannot decrypt) it runs twice, once with each stand-in:
 * whatever differs between the two runs is what the secret decides, so it is unknown.
 */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const keys = Object.keys(opts.standIns ?? {});
  if (keys.length === 0) return runOnce(opts);
  const withStandIn = (i: 0 | 1) => ({
    ...opts,
    config: { ...opts.config, ...Object.fromEntries(keys.map((k) => [k, opts.standIns![k][i]])) },
  });
  const a = await runOnce(withStandIn(0));
  // The same autonames in both runs: only the stand-ins differ.
  const names = new Map(a.resources.map((r) => [r.urn, r.inputs.name]));
  const b = await runOnce(withStandIn(1), names);
  return blend(a, b);
}

/** Run `a` with every value that differs in run `b` unknown (kept secret if it was). */
function blend(a: ProgramRun, b: ProgramRun): ProgramRun {
  const unknownLike = (v: unknown) => (isSecretValue(v) ? secretWire(unknownValue) : unknownValue);
  const blendProps = (x: Props, y: Props | undefined): Props =>
    Object.fromEntries(
      Object.entries(x).map(([k, v]) => [
        k,
        y && fakeAws.canonical(v) === fakeAws.canonical(y[k]) ? v : unknownLike(v),
      ]),
    );
  const others = new Map(b.resources.map((r) => [r.urn, r]));
  const resources = a.resources.map((r) => {
    const o = others.get(r.urn);
    const trigger = r.options.replacementTrigger;
    const options = {
      ...r.options,
      replacementTrigger: trigger === o?.options.replacementTrigger ? trigger : trigger && unknownValue,
    };
    return {
      ...r,
      inputs: blendProps(r.inputs, o?.inputs),
      outputs: blendProps(r.outputs, o?.outputs),
      options,
    };
  });
  const outputs: Record<string, StackOutput> = {};
  for (const [k, v] of Object.entries(a.outputs)) {
    const same = fakeAws.canonical(v) === fakeAws.canonical(b.outputs[k]);
    outputs[k] = same || v.secret ? v : { secret: false, value: unknownValue };
  }
  const warnings = a.warnings.filter((w) => b.warnings.includes(w));
  return { resources, outputs, warnings, invokes: a.invokes };
}

async function runOnce(opts: RunOptions, autonames = new Map<string, unknown>()): Promise<ProgramRun> {
  const region = opts.config["aws:region"];
  const registered = new Map<string, Registration & { step?: Step }>();
  const warnings: string[] = [];
  const invokes: string[] = [];
  const preview = opts.preview ?? true;
  let current: Registration | undefined;
  let duplicate: Error | undefined;

  /** A custom resource's step: created, or against a deployed stack what the engine would plan. */
  async function plan(type: string, name: string, reg: Registration, news: Props): Promise<Step> {
    const old = opts.prior?.get(reg.urn);
    const hint = typeof autonames.get(reg.urn) === "string" ? { name: autonames.get(reg.urn) } : undefined;
    const inputs = fakeAws.check(type, name, news, old?.inputs ?? hint);
    // In a preview, the provider only says what a create will compute: unknowns (and no id yet).
    const create = async (op?: StepOp): Promise<Step> =>
      preview
        ? { state: fakeAws.preview(type, inputs), inputs, op }
        : { ...(await fakeAws.create(type, name, inputs, region)), inputs, op };
    if (!old) return create(opts.prior ? "create" : undefined);
    // As step_generator.go: ignored inputs keep their old values, then the replacement trigger and
    // the provider's diff decide the step.
    for (const p of reg.options.ignoreChanges ?? []) if (p in old.inputs) inputs[p] = old.inputs[p];
    const { changed, replaces } = fakeAws.diff(type, old.inputs, inputs);
    if (triggerFires(reg.options.replacementTrigger, old.replacementTrigger) || replaces.length > 0)
      return create("replace");
    const state = fakeAws.update(type, old.outputs, inputs);
    return { id: old.id, inputs, state, op: changed.length > 0 ? "update" : "same" };
  }

  // A fresh SDK store for every run (sdk/nodejs/runtime/state.ts makes one when it is unset):
  // config, mocks and the stack resource of an earlier run in this process must not leak in.
  (globalThis as { globalStore?: unknown }).globalStore = undefined;
  pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        // The mock monitor calls this synchronously from registerResource, whose request is `current`.
        const reg = current!;
        // As the engine (step_generator.go, diag.GetDuplicateResourceURNError): one resource per URN.
        if (registered.has(reg.urn))
          duplicate ??= new Error(`Duplicate resource URN '${reg.urn}'; try giving it a unique name`);
        if (duplicate) throw duplicate;
        const entry = { ...reg, step: undefined as Step | undefined };
        registered.set(reg.urn, entry);
        if (!args.custom) return { id: undefined, state: {} };
        const news = plainWire(reg.wire) as Props;
        entry.step = await plan(args.type, args.name, reg, news);
        return { id: entry.step.id, state: entry.step.state };
      },
      call: (args) => {
        invokes.push(args.token);
        return opts.calls?.[args.token] ?? fakeAws.invoke(args.token, args.inputs, region);
      },
    },
    opts.project,
    opts.stack,
    preview,
  );
  // The engine's URNs and requests, not the mock monitor's (its URNs name only the parent's own type).
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  monitor.newUrn = (parent, type, name) => resourceUrn(opts.stack, opts.project, type, name, parent);
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const trigger = req.getReplacementTrigger()?.toJavaScript();
    current = {
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      parent: req.getParent(),
      custom: req.getCustom(),
      wire: (req.getObject()?.toJavaScript() ?? {}) as Props,
      options: {
        protect: req.getProtect(),
        ignoreChanges: req.getIgnorechangesList(),
        deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
        replacementTrigger: trigger === undefined ? undefined : triggerText(plainWire(trigger)),
      },
      dependencies: req.getDependenciesList(),
    };
    return register(req, callback);
  };
  // Without an engine, pulumi.log writes to the console (sdk/nodejs/log): keep it as the engine would.
  const saved = { warn: console.warn, error: console.error };
  console.warn = console.error = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));

  /** The registrations so far as the engine's resources: the root stack, default providers, the rest. */
  const planOf = (wireOutputs: Props): PlannedResource[] => {
    const resources: PlannedResource[] = [];
    let rootUrn = "";
    for (const [urn, reg] of registered) {
      const [type, name] = [urn.split("::")[2].split("$").pop()!, urn.split("::").slice(3).join("::")];
      if (type === ROOT_STACK_TYPE) {
        rootUrn = urn;
        continue;
      }
      const { step } = reg;
      // A secret input stays secret in the plan (the fake AWS saw it unwrapped).
      const inputs: Props = { ...(step?.inputs ?? (plainWire(reg.wire) as Props)) };
      for (const [prop, v] of Object.entries(reg.wire))
        if (inputs[prop] !== undefined && hasSecret(v)) inputs[prop] = secretWire(inputs[prop]);
      const outputs = { ...(step?.state ?? inputs) };
      for (const prop of fakeAws.SECRET_OUTPUTS[type] ?? [])
        if (outputs[prop] !== undefined) outputs[prop] = secretWire(outputs[prop]);
      const { parent, custom, options, dependencies } = reg;
      resources.push(
        resource({
          urn,
          id: step?.id,
          type,
          name,
          custom,
          parent,
          inputs,
          outputs,
          options,
          dependencies,
          op: step?.op,
        }),
      );
    }
    const customs = resources.filter((r) => r.custom);
    const packages = new Set(customs.map((r) => r.type.split(":")[0]));
    const providers = [...packages].sort().map((pkg) => defaultProvider(pkg, opts));
    for (const r of customs)
      r.provider = providers.find((p) => p.type === `pulumi:providers:${r.type.split(":")[0]}`)!.urn;
    const rootName = `${opts.project}-${opts.stack}`;
    const root = resource({
      urn: rootUrn || resourceUrn(opts.stack, opts.project, ROOT_STACK_TYPE, rootName),
      type: ROOT_STACK_TYPE,
      name: rootName,
      custom: false,
      outputs: wireOutputs,
    });
    for (const r of providers) r.parent = root.urn;
    const planned = [root, ...providers, ...resources];
    return planned;
  };

  let result: Props | undefined;
  try {
    // As the language host runs a program (sdk/nodejs/cmd/run): inside the root stack resource,
    // an exported function called, its result the stack outputs.
    await pulumi.runtime.runInPulumiStack(async () => {
      // A program that declares its resources at the top level runs when loaded: load it afresh.
      const entry = require.resolve(path.resolve(opts.programDir));
      delete require.cache[entry];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is only known at run time
      const loaded = require(entry);
      const main = loaded?.default ?? loaded;
      result = (typeof main === "function" ? await main() : main) ?? {};
      return result;
    });
    // As the language host ends: wait until every registration has been answered.
    await pulumi.runtime.disconnect();
    if (duplicate) throw duplicate;
  } catch (e) {
    // A refused registration fails the program later, with the SDK's words: the engine's come first.
    const customs = [...registered.values()].filter((r) => r.custom).length;
    throw new ProgramError(duplicate ?? e, customs, invokes, planOf({}));
  } finally {
    Object.assign(console, saved);
  }

  const outputs: Record<string, StackOutput> = {};
  const wireOutputs: Props = {};
  for (const [name, value] of Object.entries(result ?? {})) {
    const o = pulumi.output(value);
    const { known, value: v } = await settled(o);
    const plain = known ? v : unknownValue;
    const secret = await pulumi.isSecret(o);
    outputs[name] = secret ? { secret } : { secret, value: plain };
    wireOutputs[name] = secret ? secretWire(plain) : plain;
  }
  const planned = planOf(wireOutputs);
  if (opts.prior) {
    for (const r of planned) r.op ??= opts.prior.has(r.urn) ? "same" : "create";
    // What the deployed stack has and the program no longer declares is deleted.
    for (const [urn, old] of opts.prior) {
      if (planned.some((r) => r.urn === urn)) continue;
      const [type, ...name] = urn.split("::").slice(2);
      const deleted = {
        urn,
        id: old.id,
        type: type.split("$").pop()!,
        name: name.join("::"),
        parent: planned[0].urn,
      };
      planned.push(resource({ ...deleted, inputs: old.inputs, outputs: old.outputs, op: "delete" }));
    }
  }
  return { resources: planned, outputs, warnings, invokes };
}
