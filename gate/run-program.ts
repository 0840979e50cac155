/** Runs a program under mocks and the fake AWS: its resources as the engine would hand them to a pack. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
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
}

/** The program stopped; what it had registered and called by then. */
export class ProgramError extends Error {
  constructor(
    readonly cause: unknown,
    readonly registered: number,
    readonly invokes: string[],
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

/** A resource's URN as the engine builds it for a child of the root stack (no parent type). */
export const resourceUrn = (stack: string, project: string, type: string, name: string) =>
  `urn:pulumi:${stack}::${project}::${type}::${name}`;

/** An output's value once the program has run: one not resolved by the next turn is unknown. */
function settled(o: pulumi.Output<unknown>): Promise<{ known: boolean; value?: unknown }> {
  return new Promise((resolve) => {
    o.apply((value) => resolve({ known: true, value }));
    setImmediate(() => resolve({ known: false }));
  });
}

const triggerOf = (o: pulumi.CustomResourceOptions) =>
  o.replacementTrigger === undefined ? undefined : settled(pulumi.output(o.replacementTrigger));

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

/** Runs the program once. Throws ProgramError with the program's own message if it fails. */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const region = opts.config["aws:region"];
  const created = new Map<string, Step>();
  const declared = new Map<string, pulumi.ResourceTransformationArgs>();
  const warnings: string[] = [];
  const invokes: string[] = [];
  const key = (type: string, name: string) => `${type}::${name}`;

  /** A custom resource's step: created, or against a deployed stack what the engine would plan. */
  async function plan(type: string, name: string, news: Props): Promise<Step> {
    const old = opts.prior?.get(resourceUrn(opts.stack, opts.project, type, name));
    const inputs = fakeAws.check(type, name, news, old?.inputs);
    const create = async (op?: StepOp) => ({
      ...(await fakeAws.create(type, name, inputs, region)),
      inputs,
      op,
    });
    if (!old) return create(opts.prior ? "create" : undefined);
    // As step_generator.go: ignored inputs keep their old values, then the provider's diff and
    // the replacement trigger decide the step.
    const options = declared.get(key(type, name))?.opts ?? {};
    for (const p of options.ignoreChanges ?? []) if (p in old.inputs) inputs[p] = old.inputs[p];
    const { changed, replaces } = fakeAws.diff(type, old.inputs, inputs);
    const trigger = await triggerOf(options);
    const triggered =
      trigger !== undefined &&
      old.replacementTrigger !== undefined &&
      JSON.stringify(trigger.value) !== old.replacementTrigger;
    if (replaces.length > 0 || triggered) return create("replace");
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
        if (!args.custom) return { id: undefined, state: {} };
        const step = await plan(args.type, args.name, args.inputs);
        created.set(key(args.type, args.name), step);
        return { id: step.id, state: step.state };
      },
      call: (args) => {
        invokes.push(args.token);
        return opts.calls?.[args.token] ?? fakeAws.invoke(args.token, args.inputs, region);
      },
    },
    opts.project,
    opts.stack,
    opts.preview ?? true,
  );
  // Without an engine, pulumi.log writes to the console (sdk/nodejs/log): keep it as the engine would.
  const saved = { warn: console.warn, error: console.error };
  console.warn = console.error = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));

  let result: Props | undefined;
  try {
    // As the language host runs a program (sdk/nodejs/cmd/run): inside the root stack resource,
    // an exported function called, its result the stack outputs.
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((args) => {
        declared.set(key(args.type, args.name), args);
        return undefined;
      });
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
  } catch (e) {
    throw new ProgramError(e, created.size, invokes);
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
  const resources: PlannedResource[] = [];
  for (const { type, name, props, opts: d } of declared.values()) {
    const step = created.get(key(type, name));
    if (!step) continue; // component resources
    const inputs = { ...step.inputs };
    for (const [prop, v] of Object.entries(props)) {
      if (inputs[prop] !== undefined && (await pulumi.isSecret(pulumi.output(v))))
        inputs[prop] = secretWire(inputs[prop]);
    }
    const outputs = { ...step.state };
    for (const prop of fakeAws.SECRET_OUTPUTS[type] ?? [])
      if (outputs[prop] !== undefined) outputs[prop] = secretWire(outputs[prop]);
    const trigger = await triggerOf(d);
    const replacementTrigger = trigger && (trigger.known ? JSON.stringify(trigger.value) : unknownValue);
    const urn = resourceUrn(opts.stack, opts.project, type, name);
    const options: ResourceOptions = {
      protect: d.protect === true,
      ignoreChanges: d.ignoreChanges ?? [],
      deleteBeforeReplace: (d as pulumi.CustomResourceOptions).deleteBeforeReplace,
      replacementTrigger,
    };
    resources.push(resource({ urn, id: step.id, type, name, inputs, outputs, options, op: step.op }));
  }
  const packages = new Set(resources.map((r) => r.type.split(":")[0]));
  const providers = [...packages].sort().map((pkg) => defaultProvider(pkg, opts));
  for (const r of resources)
    r.provider = providers.find((p) => p.type === `pulumi:providers:${r.type.split(":")[0]}`)!.urn;
  const rootName = `${opts.project}-${opts.stack}`;
  const root = resource({
    urn: resourceUrn(opts.stack, opts.project, ROOT_STACK_TYPE, rootName),
    type: ROOT_STACK_TYPE,
    name: rootName,
    custom: false,
    outputs: wireOutputs,
  });
  for (const r of [...providers, ...resources]) r.parent = root.urn;
  const planned = [root, ...providers, ...resources];
  if (opts.prior) {
    for (const r of planned) r.op ??= opts.prior.has(r.urn) ? "same" : "create";
    // What the deployed stack has and the program no longer declares is deleted.
    for (const [urn, old] of opts.prior) {
      if (planned.some((r) => r.urn === urn)) continue;
      const [type, name] = urn.split("::").slice(2);
      const deleted = { urn, id: old.id, type: type.split("$").pop()!, name, parent: root.urn };
      planned.push(resource({ ...deleted, inputs: old.inputs, outputs: old.outputs, op: "delete" }));
    }
  }
  return { resources: planned, outputs, warnings, invokes };
}
