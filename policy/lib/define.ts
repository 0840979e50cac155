/**
 * How every policy of this pack is put together, so each policy module holds only its rule:
 * metadata beside the code; its knobs validated with a strict JSON Schema (plus the shared
 * waiver knobs), a bad config being an error that stops the check; resources handed over as
 * plain data (./iam.ts Subject); a value that cannot be read yet judged per resource; and a
 * `report` that redacts secrets and applies waivers before anything reaches the engine.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationPolicy,
} from "@pulumi/policy";
import { safeLine } from "../../lib/text";
import { knownSecrets, PackInputError } from "./engine";
import { describe, type Subject } from "./iam";
import { CannotCheck } from "./values";
import { findWaiver, todayUtc, waiverKnobs, waiverProblems, waiverTarget, type Waiver } from "./waivers";

/** Where each policy's `url` points: its heading in the repository's docs/policies.md. */
export const POLICY_DOCS = "docs/policies.md";

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: Extract<EnforcementLevel, "mandatory" | "advisory">;
  severity: Severity;
  remediationSteps: string;
}

export type Knobs = PolicyConfigSchema["properties"];

interface BaseConfig {
  waivers: Waiver[];
  waiverMaxDays: number;
}

/** Report a finding about `target` (default: the resource judged); `advisory` lowers its level. */
export type Report = (message: string, target?: Subject, advisory?: boolean) => void;

const ajv = new Ajv({
  useDefaults: true,
  allErrors: true,
  strict: true,
  strictRequired: false,
  strictTypes: false,
});
const validators = new Map<string, ValidateFunction>();

function ajvError(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "(config)";
  if (e.keyword === "additionalProperties")
    return `unknown key "${String(e.params.additionalProperty)}" in ${where}`;
  return `${where} ${e.message ?? "is invalid"}`;
}

/** The problems of one policy's config, `data` filled in with defaults; unknown policy: one problem. */
function problemsOf(name: string, data: unknown): string[] {
  if (name === "all") {
    return data && typeof data === "object" && Object.keys(data).length > 0
      ? [`"all" takes only an enforcement level, not ${Object.keys(data).join(", ")}`]
      : [];
  }
  const validate = validators.get(name);
  if (!validate) return [`unknown policy "${name}" (the pack has ${[...validators.keys()].join(", ")})`];
  if (!validate(data)) return (validate.errors ?? []).map((e) => `${name}: ${ajvError(e)}`);
  const c = data as BaseConfig;
  return waiverProblems(c.waivers, c.waiverMaxDays, todayUtc()).map((p) => `${name}: ${p}`);
}

/** Every problem of a whole policy-pack config (policy name to knobs): what Configure rejects. */
export function configProblems(config: ReadonlyMap<string, unknown>): string[] {
  return [...config].flatMap(([name, knobs]) => problemsOf(name, structuredClone(knobs ?? {})));
}

function readConfig<C>(name: string, raw: unknown): C & BaseConfig {
  const data = structuredClone(raw && typeof raw === "object" ? raw : {});
  const problems = problemsOf(name, data);
  if (problems.length > 0)
    throw new PackInputError(`policy config is invalid: ${problems.join("; ")}. See ${POLICY_DOCS}#${name}.`);
  return data as C & BaseConfig;
}

function register(info: PolicyInfo, knobs: Knobs) {
  if (validators.has(info.name)) throw new Error(`two policies named ${info.name}`);
  const properties = { ...knobs, ...waiverKnobs };
  validators.set(info.name, ajv.compile({ type: "object", additionalProperties: false, properties }));
  return { ...info, url: `${POLICY_DOCS}#${info.name}`, configSchema: { properties } };
}

// @pulumi/policy's proxy hands back its plain target for this key (node_modules/@pulumi/policy/proxy.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- @internal module, no typings
const TARGET = (require("@pulumi/policy/proxy") as { getSpecialProxyTarget: string }).getSpecialProxyTarget;
const plain = (props: unknown): Record<string, unknown> =>
  ((props as Record<string, unknown> | undefined)?.[TARGET] ?? props ?? {}) as Record<string, unknown>;

/** A resource as the engine sent it, as plain data. */
export function subjectOf(
  r: Pick<ResourceValidationArgs, "type" | "name" | "urn" | "props" | "provider">,
): Subject {
  const s: Subject = { type: r.type, name: r.name, urn: r.urn, props: plain(r.props) };
  if (r.provider) s.provider = { type: r.provider.type, props: plain(r.provider.props) };
  return s;
}

/**
 * The object form of reportViolation: undocumented in @pulumi/policy's .d.ts, but handled by
 * server.js makeReportViolationFun, which lets one finding carry its own enforcement level.
 */
type ReportObject = (v: { message: string; urn?: string; enforcementLevel: EnforcementLevel }) => void;

function makeReport(info: PolicyInfo, config: BaseConfig, reportViolation: ReportViolation) {
  const today = todayUtc();
  return (message: string, target?: Subject, advisory = false) => {
    const text = safeLine(message, knownSecrets());
    const verdict = target ? findWaiver(config.waivers, target, today) : { kind: "none" as const };
    if (advisory || verdict.kind === "waived") {
      const why =
        verdict.kind === "waived"
          ? `WAIVED until ${verdict.waiver.expires} (${verdict.waiver.reason}): `
          : "";
      const line = safeLine(`${info.description}\n${why}${text}`, knownSecrets());
      (reportViolation as unknown as ReportObject)({
        message: line,
        urn: target?.urn,
        enforcementLevel: "advisory",
      });
    } else if (verdict.kind === "expired") {
      const w = verdict.waiver;
      const note = `The waiver for "${waiverTarget(w)}" expired on ${w.expires} (its reason was: ${w.reason}); fix the finding or renew the waiver. `;
      reportViolation(safeLine(note, knownSecrets()) + text, target?.urn);
    } else {
      reportViolation(text, target?.urn);
    }
  };
}

type Judge = ReturnType<typeof makeReport>;

/** Runs `body` for one resource; a value it cannot read yet becomes that resource's finding. */
function judge(s: Subject, report: Judge, body: () => void, stack = false) {
  try {
    body();
  } catch (e) {
    if (!(e instanceof CannotCheck)) throw e;
    if (e.intrinsic) {
      // The resource policies reject an intrinsic where they need a literal; a stack policy only skips it.
      if (stack) return;
      report(
        `${describe(s)}: cannot check ${e.what}: it is a CloudFormation intrinsic function, which the pack cannot resolve; write the value literally.`,
        s,
      );
    } else {
      report(
        `${describe(s)}: cannot check ${e.what} during preview (not known yet); it is checked again when the update runs.`,
        s,
        true,
      );
    }
  }
}

/** A policy judged on each resource, before its step runs: it prevents. */
export function resourcePolicy<C = object>(
  info: PolicyInfo,
  knobs: Knobs,
  check: (s: Subject, config: C & BaseConfig, report: Report) => void,
): ResourceValidationPolicy {
  return {
    ...register(info, knobs),
    validateResource: (args, reportViolation) => {
      const config = readConfig<C>(info.name, args.getConfig());
      const report = makeReport(info, config, reportViolation);
      const s = subjectOf(args);
      judge(s, report, () => check(s, config, (m, t = s, advisory) => report(m, t, advisory)));
    },
  };
}

/**
 * A policy judged on the whole stack, after every step: it only detects. `each` judges one
 * resource at a time, so a value unknown in one resource hides nothing about the others.
 */
export function stackPolicy<C = object>(
  info: PolicyInfo,
  knobs: Knobs,
  check: (
    resources: Subject[],
    config: C & BaseConfig,
    report: (message: string, target: Subject) => void,
    each: (resources: Subject[], body: (s: Subject) => void) => void,
  ) => void,
): StackValidationPolicy {
  return {
    ...register(info, knobs),
    validateStack: (args, reportViolation) => {
      const config = readConfig<C>(info.name, args.getConfig());
      const report = makeReport(info, config, reportViolation);
      const resources = args.resources.map(subjectOf);
      check(resources, config, report, (list, body) => {
        for (const s of list) judge(s, report, () => body(s), true);
      });
    },
  };
}
