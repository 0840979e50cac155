/**
 * Runs one policy in-process with arguments built the way @pulumi/policy's analyzer server
 * builds them (node_modules/@pulumi/policy/server.js, makeAnalyzeRpcFun / makeAnalyzeStackRpcFun),
 * after the pack's own request hook (policy/lib/engine.ts prepareProps: secrets marked, malformed
 * special values refused): props go through a protobuf Struct, @pulumi/policy's own
 * deserializeProperties (which unwraps secrets) and its unknown-checking proxy; getConfig returns
 * the policy's config; notApplicable throws; an UnknownValueError becomes an advisory diagnostic;
 * any other error is thrown, as the server turns it into a gRPC error.
 */
import * as assert from "node:assert/strict";
import type {
  EnforcementLevel,
  Policy,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { configureStack, prepareProps, setPolicyConfigs } from "../../policy/lib/engine";
import { policies } from "../../policy/policies";
import { GOOD_STACK_CONFIG } from "./fixtures";

/* eslint-disable @typescript-eslint/no-require-imports -- these @internal helpers have no typings */
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties(s: Struct, keepSecrets: boolean): Record<string, unknown>;
};
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(o: T): T;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownObjectValue: string;
  unknownNumberValue: string;
  unknownBooleanValue: string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** What the engine sends for values not known during preview (the sentinels the proxy checks). */
export const UNKNOWN = {
  string: pulumi.runtime.unknownValue,
  array: proxy.unknownArrayValue,
  object: proxy.unknownObjectValue,
  number: proxy.unknownNumberValue,
  boolean: proxy.unknownBooleanValue,
} as const;

/** A secret as it travels over gRPC. */
export function secret(value: unknown): Record<string, unknown> {
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

export interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn?: string;
}

export interface Outcome {
  diagnostics: Diagnostic[];
  notApplicable?: string;
}

class NotApplicableError extends Error {}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason ?? "Policy does not apply");
}

/** Engine-side props: the pack's hook, then plain JSON on the wire, @pulumi/policy's deserialization and proxy. */
export function wireProps(props: Record<string, unknown>, where = "test resource"): Record<string, unknown> {
  const prepared = prepareProps(props, where).props as Record<string, unknown>;
  return proxy.unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(prepared as never), false));
}

const URN_PREFIX = "urn:pulumi:dev::management-bootstrap::";

export function urnOf(type: string, name: string): string {
  return `${URN_PREFIX}${type}::${name}`;
}

/** Mirrors makeReportViolationFun: the string form prefixes the description, the object form sets its own level. */
function makeReport(policy: Policy, level: EnforcementLevel, out: Diagnostic[]) {
  return (message: unknown, urn?: string) => {
    if (message && typeof message === "object") {
      const info = message as { message?: string; urn?: string; enforcementLevel?: EnforcementLevel };
      out.push({
        policyName: policy.name,
        message: info.message ?? policy.description,
        enforcementLevel: info.enforcementLevel ?? level,
        urn: info.urn,
      });
    } else {
      const text = message ? `${policy.description}\n${String(message)}` : policy.description;
      out.push({ policyName: policy.name, message: text, enforcementLevel: level, urn });
    }
  };
}

async function guard(policy: Policy, out: Diagnostic[], body: () => Promise<void> | void): Promise<Outcome> {
  try {
    await body();
  } catch (e) {
    if (e instanceof UnknownValueError) {
      out.push({
        policyName: policy.name,
        message: `can't run policy '${policy.name}' during preview: ${(e as Error).message}`,
        enforcementLevel: "advisory",
      });
    } else if (e instanceof NotApplicableError) {
      return { diagnostics: out, notApplicable: e.message };
    } else {
      throw e;
    }
  }
  return { diagnostics: out };
}

export interface ResourceInput {
  type: string;
  name?: string;
  props?: Record<string, unknown>;
  provider?: { type: string; name: string; props: Record<string, unknown> };
}

export interface RunOptions {
  /** The policy's config as getConfig() returns it, with `enforcementLevel` as Configure sends it. */
  config?: Record<string, unknown>;
  stackTags?: Map<string, string>;
}

function levelOf(policy: Policy, config?: Record<string, unknown>): EnforcementLevel {
  const configured = config?.enforcementLevel;
  return typeof configured === "string"
    ? (configured as EnforcementLevel)
    : (policy.enforcementLevel ?? "advisory");
}

function withoutLevel(config?: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...(config ?? {}) };
  delete rest.enforcementLevel;
  return rest;
}

/** The fields @pulumi/policy's server gives a resource, for resource and stack policies alike. */
function engineResource(input: ResourceInput, name: string) {
  const type = input.type;
  const props = wireProps(input.props ?? {}, `${type} ${JSON.stringify(name)}`);
  return {
    type,
    props,
    urn: urnOf(type, name),
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      additionalSecretOutputs: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    },
    isType: (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type,
    asType: (cls: unknown) => ((cls as { __pulumiType?: string }).__pulumiType === type ? props : undefined),
    provider: input.provider && {
      ...input.provider,
      urn: urnOf(input.provider.type, input.provider.name),
      props: wireProps(input.provider.props),
    },
  };
}

export async function runResource(
  policy: ResourceValidationPolicy,
  input: ResourceInput,
  opts: RunOptions = {},
): Promise<Outcome> {
  const out: Diagnostic[] = [];
  const report = makeReport(policy, levelOf(policy, opts.config), out);
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource];
  return guard(policy, out, async () => {
    const resource = engineResource(input, input.name ?? "subject");
    const args: ResourceValidationArgs = {
      ...resource,
      asType: resource.asType as ResourceValidationArgs["asType"],
      stackTags: opts.stackTags ?? new Map(),
      getConfig: <T extends object>() => withoutLevel(opts.config) as T,
      notApplicable: throwNotApplicable,
    };
    if (!args.provider) delete args.provider;
    for (const v of validations) if (v) await v(args, report);
  });
}

export async function runStack(
  policy: StackValidationPolicy,
  inputs: ResourceInput[],
  opts: RunOptions = {},
): Promise<Outcome> {
  const out: Diagnostic[] = [];
  const report = makeReport(policy, levelOf(policy, opts.config), out);
  return guard(policy, out, async () => {
    const resources: PolicyResource[] = inputs.map((input, i) => {
      const resource = engineResource(input, input.name ?? `r${i}`);
      return {
        ...resource,
        asType: resource.asType as PolicyResource["asType"],
        dependencies: [],
        propertyDependencies: {},
      };
    });
    const args: StackValidationArgs = {
      resources,
      stackTags: opts.stackTags ?? new Map(),
      getConfig: <T extends object>() => withoutLevel(opts.config) as T,
      notApplicable: throwNotApplicable,
    };
    await policy.validateStack(args, report);
  });
}

/** Runs any policy of the pack against a set of resources, as the engine would (each resource, or the stack). */
export async function runPolicy(
  policy: Policy,
  inputs: ResourceInput[],
  opts: RunOptions = {},
): Promise<Outcome> {
  if ("validateStack" in policy) return runStack(policy as StackValidationPolicy, inputs, opts);
  const all: Outcome = { diagnostics: [] };
  for (const input of inputs) {
    const o = await runResource(policy as ResourceValidationPolicy, input, opts);
    all.diagnostics.push(...o.diagnostics);
  }
  return all;
}

/**
 * Runs `body` with the stack config (`<project>:<key>` to string) and secret keys set as
 * ConfigureStack sets them, and every policy's config as Configure sets it; then restores both.
 */
export async function withStack<T>(
  stack: {
    config?: Record<string, string>;
    secretKeys?: string[];
    policyConfigs?: Record<string, Record<string, unknown>>;
  },
  body: () => Promise<T>,
): Promise<T> {
  const saved = pulumi.runtime.allConfig();
  const savedKeys = process.env.PULUMI_CONFIG_SECRET_KEYS;
  configureStack({
    project: "management-bootstrap",
    config: stack.config ?? {},
    secretKeys: stack.secretKeys,
  });
  if (stack.config && Object.keys(stack.config).length === 0)
    pulumi.runtime.setAllConfig({}, stack.secretKeys);
  setPolicyConfigs(new Map(Object.entries(stack.policyConfigs ?? {})));
  try {
    return await body();
  } finally {
    pulumi.runtime.setAllConfig(saved, []);
    if (savedKeys === undefined) delete process.env.PULUMI_CONFIG_SECRET_KEYS;
    setPolicyConfigs(new Map());
  }
}

export function byName(name: string): Policy {
  const p = policies.find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
}

/** Every policy of the pack on `resources` (with each policy's config from `configs`): all their diagnostics. */
export async function runAll(
  resources: ResourceInput[],
  config = GOOD_STACK_CONFIG,
  configs: Record<string, Record<string, unknown>> = {},
): Promise<Diagnostic[]> {
  return withStack({ config }, async () => {
    const out: Diagnostic[] = [];
    for (const p of policies)
      out.push(...(await runPolicy(p, resources, { config: configs[p.name] })).diagnostics);
    return out;
  });
}

/** Exactly the named resource policies reject `r` (mandatory), with every fragment in the message. */
export async function assertRejected(r: ResourceInput, policyNames: string[], ...fragments: string[]) {
  const ds = (await runAll([r])).filter((d) => d.enforcementLevel === "mandatory");
  assert.deepEqual(
    [...new Set(ds.map((d) => d.policyName))].sort(),
    [...policyNames].sort(),
    JSON.stringify(ds, null, 1),
  );
  for (const f of fragments)
    assert.ok(
      ds.some((d) => d.message.includes(f)),
      `no message with ${JSON.stringify(f)}: ${JSON.stringify(ds)}`,
    );
  for (const name of policyNames)
    assert.ok("validateResource" in byName(name), `${name} prevents (a resource policy)`);
}

export async function assertAccepted(r: ResourceInput) {
  const ds = (await runAll([r])).filter((d) => d.enforcementLevel === "mandatory");
  assert.deepEqual(ds, []);
}
