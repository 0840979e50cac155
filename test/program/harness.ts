/**
 * Runs the bootstrap program in this process through the gate's program runner
 * (gate/run-program.ts: Pulumi mocks answered by the one fake AWS), with the example stack's
 * config, and shapes the result for assertions: secrets unwrapped, options at hand.
 */
import * as openpgp from "openpgp";
import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../../lib/text";
import { FAKE_ACCOUNT_ID } from "../../gate/fake-aws";
import {
  ProgramError,
  runProgram as run,
  type PlannedResource,
  type PriorResource,
  type StepOp,
} from "../../gate/run-program";

export const PROJECT = "management-bootstrap";
export const ACCOUNT_ID = FAKE_ACCOUNT_ID;
const ROOT = process.cwd();

export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  /** Checked inputs, secrets unwrapped. */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  replacementTrigger: unknown;
  ignoreChanges: string[];
  deleteBeforeReplace: boolean | undefined;
  op?: StepOp;
}

export interface ProgramRun {
  /** Output values by name (secret ones too, for the tests). */
  outputs: Record<string, unknown>;
  secretOutputs: Set<string>;
  resources: RegisteredResource[];
  invokes: string[];
  warnings: string[];
  /** The deployed state this run leaves behind, for the next run's `prior`. */
  state: Map<string, PriorResource>;
}

export interface RunOptions {
  /** Caller ARN getCallerIdentity answers (default: an IAM user). */
  callerArn?: string;
  partition?: "aws" | "aws-us-gov" | "aws-cn";
  preview?: boolean;
  /** Config keys (without namespace) the stack holds as secrets. */
  secretKeys?: string[];
  /** A deployed stack: plan its update. */
  prior?: Map<string, PriorResource>;
}

/** Config of the example stack (Pulumi.dev.yaml), plus overrides; keys without namespace. */
export function stackConfig(overrides: Record<string, string> = {}): Record<string, string> {
  return { projectName: "acme", ...overrides };
}

const REGION = { aws: "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1" };

function unwrap(v: unknown): unknown {
  if (isSecretValue(v)) return unwrap(v.value);
  if (Array.isArray(v)) return v.map(unwrap);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, unwrap(e)]));
  return v;
}

function options(config: Record<string, string>, o: RunOptions) {
  const full: Record<string, string> = { "aws:region": REGION[o.partition ?? "aws"] };
  for (const [k, v] of Object.entries(config)) full[`${PROJECT}:${k}`] = v;
  return {
    programDir: ROOT,
    project: PROJECT,
    stack: "dev",
    config: full,
    secretKeys: (o.secretKeys ?? []).map((k) => `${PROJECT}:${k}`),
    preview: o.preview ?? false,
    prior: o.prior,
    calls: o.callerArn
      ? {
          "aws:index/getCallerIdentity:getCallerIdentity": {
            accountId: ACCOUNT_ID,
            arn: o.callerArn,
            userId: "AIDAEXAMPLE",
          },
        }
      : undefined,
  };
}

/** Runs the program with the given config (keys without namespace). */
export async function runProgram(config: Record<string, string>, o: RunOptions = {}): Promise<ProgramRun> {
  const r = await run(options(config, o));
  const declared = r.resources.filter(
    (x: PlannedResource) => x.custom && !x.type.startsWith("pulumi:providers:"),
  );
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  const root = r.resources[0];
  for (const [k, v] of Object.entries(root.outputs)) {
    outputs[k] = unwrap(v);
    if (isSecretValue(v)) secretOutputs.add(k);
  }
  return {
    outputs,
    secretOutputs,
    invokes: r.invokes,
    warnings: r.warnings,
    resources: declared.map((x) => ({
      urn: x.urn,
      type: x.type,
      name: x.name,
      inputs: unwrap(x.inputs) as Record<string, unknown>,
      outputs: unwrap(x.outputs) as Record<string, unknown>,
      replacementTrigger:
        x.options.replacementTrigger === undefined ? undefined : JSON.parse(x.options.replacementTrigger),
      ignoreChanges: x.options.ignoreChanges ?? [],
      deleteBeforeReplace: x.options.deleteBeforeReplace,
      op: x.op,
    })),
    // The engine keeps outputs, inputs and the trigger it was given (wire form, as in an export).
    state: new Map(
      r.resources.map((x) => [
        x.urn,
        { id: x.id, inputs: x.inputs, outputs: x.outputs, replacementTrigger: x.options.replacementTrigger },
      ]),
    ),
  };
}

/** Runs the program expecting it to stop; returns the error and what got registered anyway. */
export async function runProgramExpectingError(
  config: Record<string, string>,
  o: RunOptions = {},
): Promise<{ error: Error; registered: number; invokes: string[] }> {
  try {
    await run(options(config, o));
  } catch (e) {
    if (e instanceof ProgramError)
      return { error: e.cause as Error, registered: e.registered, invokes: e.invokes };
    throw e;
  }
  throw new Error("the program did not stop");
}

export function findResource(r: { resources: RegisteredResource[] }, type: string): RegisteredResource[] {
  return r.resources.filter((x) => x.type === type);
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

export const UNKNOWN = pulumi.runtime.unknownValue;
