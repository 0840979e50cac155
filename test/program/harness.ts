/**
 * Runs the bootstrap program in-process under Pulumi mocks, the way the Node language host
 * does (sdk/nodejs/cmd/run/run.ts calls an exported function and awaits its result), and
 * records what it registered, with the resource options the mock monitor never passes to
 * `newResource` (replacementTrigger, ignoreChanges, deleteBeforeReplace).
 *
 * Pulumi's runtime state (mocks, config, settings) lives in one process-global store: each run
 * works in a fresh store and puts the one it found back afterwards, so whatever another test
 * file set up (mocks, config) is untouched.
 */
import * as pulumi from "@pulumi/pulumi";
import * as openpgp from "openpgp";
import program from "../../index";

// Exported by the SDK's runtime (sdk/nodejs/runtime/settings.ts) but left out of its typings:
// waits until every registration and log call has finished.
const runtimeInternals = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };
// The SDK keeps its runtime state in `global.globalStore` and creates a fresh one, with config
// from the environment, when it is undefined (sdk/nodejs/runtime/state.ts, getStore).
const sdkGlobal = globalThis as unknown as { globalStore: unknown };

export const PROJECT = "management-bootstrap";
export const ACCOUNT_ID = "123456789012";

export interface RegisteredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  replacementTrigger: unknown;
  ignoreChanges: string[];
  deleteBeforeReplace: boolean | undefined;
}

export interface ProgramRun {
  /** Resolved output values, by output name. */
  outputs: Record<string, unknown>;
  /** Names of the outputs that are Pulumi secrets. */
  secretOutputs: Set<string>;
  resources: RegisteredResource[];
  invokes: string[];
  warnings: string[];
  /** How many resources the mock monitor holds (its own registry, not our capture). */
  monitorResourceCount: number;
}

export interface RunOptions {
  /** Caller ARN returned by getCallerIdentity. */
  callerArn?: string;
  partition?: string;
  /** Extra state the mocked provider returns for a resource, on top of its inputs. */
  extraState?: (type: string, inputs: Record<string, unknown>) => Record<string, unknown>;
  preview?: boolean;
  /** Config keys (without namespace) the stack holds as secrets. */
  secretKeys?: string[];
}

/** Config of the example stack (Pulumi.dev.yaml), plus overrides; keys without namespace. */
export function stackConfig(overrides: Record<string, string> = {}): Record<string, string> {
  return { projectName: "acme", ...overrides };
}

type Monitor = {
  registerResource(req: RegisterRequest, cb: unknown): unknown;
  getRegisteredResources(): Map<string, unknown>;
};
type RegisterRequest = {
  getType(): string;
  getName(): string;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
};

/** Provider-computed state the program reads, as the AWS provider would return it. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "aws:iam/user:User":
      return { arn: `arn:aws:iam::${ACCOUNT_ID}:user/${inputs.name}` };
    case "aws:iam/userLoginProfile:UserLoginProfile":
      return inputs.pgpKey
        ? { encryptedPassword: `ENCRYPTED(${name})` }
        : { password: "mock-console-password-Aa1!", encryptedPassword: undefined };
    case "aws:iam/accessKey:AccessKey":
      return inputs.pgpKey
        ? { encryptedSecret: `ENCRYPTED(${name})` }
        : { secret: "mockSecretAccessKey0000000000000000000000" };
    default:
      return {};
  }
}

async function resolve(output: pulumi.Output<unknown>): Promise<unknown> {
  // Output.promise() is internal to the SDK; it is how its own tests read a value that may be
  // unknown (preview), where apply() would never run.
  return (output as unknown as { promise(withUnknowns?: boolean): Promise<unknown> }).promise(true);
}

async function withProgramRuntime<T>(
  config: Record<string, string>,
  options: RunOptions,
  body: (
    capture: Omit<ProgramRun, "outputs" | "secretOutputs" | "monitorResourceCount">,
    monitor: Monitor,
  ) => Promise<T>,
): Promise<T> {
  const outerStore = sdkGlobal.globalStore;
  sdkGlobal.globalStore = undefined;
  const savedWarn = console.warn;
  const capture = {
    resources: [] as RegisteredResource[],
    invokes: [] as string[],
    warnings: [] as string[],
  };
  const inputsByResource = new Map<string, Record<string, unknown>>();
  try {
    const namespaced: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) namespaced[`${PROJECT}:${key}`] = value;
    pulumi.runtime.setAllConfig(
      namespaced,
      (options.secretKeys ?? []).map((key) => `${PROJECT}:${key}`),
    );
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          inputsByResource.set(`${args.type}::${args.name}`, args.inputs);
          return {
            id: `${args.name}-id`,
            state: {
              ...args.inputs,
              ...computedState(args.type, args.name, args.inputs),
              ...options.extraState?.(args.type, args.inputs),
            },
          };
        },
        call: (args) => {
          capture.invokes.push(args.token);
          if (args.token === "aws:index/getPartition:getPartition") {
            return { partition: options.partition ?? "aws", dnsSuffix: "amazonaws.com", id: "aws" };
          }
          if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
            return {
              accountId: ACCOUNT_ID,
              arn: options.callerArn ?? `arn:aws:iam::${ACCOUNT_ID}:user/operator`,
              userId: "AIDAEXAMPLE",
              id: ACCOUNT_ID,
            };
          }
          throw new Error(`unexpected invoke ${args.token}`);
        },
      },
      PROJECT,
      "dev",
      options.preview ?? false,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      capture.resources.push({
        type: req.getType(),
        name: req.getName(),
        inputs: {},
        replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
        ignoreChanges: req.getIgnorechangesList(),
        deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      });
      return register(req, cb);
    };
    // Without an engine, pulumi.log.warn writes to console.warn (sdk/nodejs/log/index.ts).
    console.warn = (...args: unknown[]) => {
      capture.warnings.push(args.map(String).join(" "));
    };
    const result = await body(capture, monitor);
    await runtimeInternals.waitForRPCs();
    for (const resource of capture.resources) {
      resource.inputs = inputsByResource.get(`${resource.type}::${resource.name}`) ?? {};
    }
    return result;
  } finally {
    await runtimeInternals.waitForRPCs().catch(() => undefined);
    console.warn = savedWarn;
    sdkGlobal.globalStore = outerStore;
  }
}

/** Runs the program with the given config (keys without namespace) and resolves everything. */
export async function runProgram(
  config: Record<string, string>,
  options: RunOptions = {},
): Promise<ProgramRun> {
  return withProgramRuntime(config, options, async (capture, monitor) => {
    const result = await program();
    const outputs: Record<string, unknown> = {};
    const secretOutputs = new Set<string>();
    for (const [name, output] of Object.entries(result)) {
      outputs[name] = await resolve(output);
      if (await pulumi.isSecret(output)) secretOutputs.add(name);
    }
    await runtimeInternals.waitForRPCs();
    return {
      ...capture,
      outputs,
      secretOutputs,
      monitorResourceCount: monitor.getRegisteredResources().size,
    };
  });
}

/** Runs the program expecting it to stop; returns the error and what got registered anyway. */
export async function runProgramExpectingError(
  config: Record<string, string>,
  options: RunOptions = {},
): Promise<{
  error: Error;
  resources: RegisteredResource[];
  invokes: string[];
  monitorResourceCount: number;
}> {
  return withProgramRuntime(config, options, async (capture, monitor) => {
    let error: Error | undefined;
    try {
      await program();
    } catch (err) {
      error = err as Error;
    }
    await runtimeInternals.waitForRPCs();
    if (!error) throw new Error("the program did not stop");
    return {
      error,
      resources: capture.resources,
      invokes: capture.invokes,
      monitorResourceCount: monitor.getRegisteredResources().size,
    };
  });
}

export function findResource(run: { resources: RegisteredResource[] }, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** A throwaway OpenPGP key pair, base64 of the binary public key as the provider wants it. */
export async function throwawayPgpKey(): Promise<{
  base64: string;
  fingerprint: string;
  privateKey: Uint8Array;
}> {
  const { publicKey, privateKey } = await openpgp.generateKey({
    userIDs: [{ name: "bootstrap test", email: "test@example.com" }],
    format: "binary",
  });
  const key = await openpgp.readKey({ binaryKey: publicKey });
  return { base64: Buffer.from(publicKey).toString("base64"), fingerprint: key.getFingerprint(), privateKey };
}
