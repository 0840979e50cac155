// Every policy's plumbing, so that a policy module holds only its rule.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type * as policy from "@pulumi/policy";
import { safeLine } from "../../lib/text";
import { knownSecrets, PackInputError } from "./engine";
import { CannotCheck, describe, plain, type Subject } from "./iam";
import { findWaiver, todayUtc, waiverKnobs, waiverProblems, waiverTarget, type Waiver } from "./waivers";

type Metadata = Required<Pick<policy.Policy, "name" | "description" | "severity" | "remediationSteps">>;
type Knobs = policy.PolicyConfigSchema["properties"];
/** A policy's metadata, and the knobs of its config besides the waivers. */
export type PolicyInfo = Metadata & { enforcementLevel: "mandatory" | "advisory"; knobs?: Knobs };
type Config<C> = C & { waivers: Waiver[]; waiverMaxDays: number };
/** Report a finding about `target` (default: the resource judged); `advisory` lowers its level. */
type Report = (message: string, target?: Subject, advisory?: boolean) => void;
// One resource at a time, so that a value unknown in one resource hides nothing about the others.
type Each = (resources: Subject[], body: (s: Subject) => void) => void;
export type ResourceCheck<C> = (s: Subject, config: Config<C>, report: Report) => void;
export type StackCheck<C> = (resources: Subject[], config: Config<C>, report: Report, each: Each) => void;

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

// Ajv fills `data` in with the knobs' defaults (useDefaults).
function problemsOf(name: string, data: unknown): string[] {
  if (name === "all") {
    return data && typeof data === "object" && Object.keys(data).length > 0
      ? [`"all" takes only an enforcement level, not ${Object.keys(data).join(", ")}`]
      : [];
  }
  const validate = validators.get(name);
  if (!validate) return [`unknown policy "${name}" (the pack has ${[...validators.keys()].join(", ")})`];
  if (!validate(data)) return (validate.errors ?? []).map((e) => `${name}: ${ajvError(e)}`);
  const c = data as Config<object>;
  return waiverProblems(c.waivers, c.waiverMaxDays, todayUtc()).map((p) => `${name}: ${p}`);
}

/** Every problem of a whole policy-pack config (policy name to knobs): what Configure rejects. */
export function configProblems(config: ReadonlyMap<string, unknown>): string[] {
  return [...config].flatMap(([name, knobs]) => problemsOf(name, structuredClone(knobs ?? {})));
}

function define<C>({ knobs, ...info }: PolicyInfo) {
  if (validators.has(info.name)) throw new Error(`two policies named ${info.name}`);
  const properties = { ...knobs, ...waiverKnobs };
  validators.set(info.name, ajv.compile({ type: "object", additionalProperties: false, properties }));
  const meta = { ...info, url: `docs/policies.md#${info.name}`, configSchema: { properties } };
  const start = (args: { getConfig(): unknown }, reportViolation: policy.ReportViolation) => {
    const raw = args.getConfig();
    const config = structuredClone(raw && typeof raw === "object" ? raw : {}) as Config<C>;
    const problems = problemsOf(info.name, config);
    if (problems.length > 0)
      throw new PackInputError(`policy config is invalid: ${problems.join("; ")}. See ${meta.url}.`);
    return { config, report: makeReport(info, config.waivers, reportViolation) };
  };
  return { meta, start };
}

function subjectOf(r: Omit<Subject, "provider"> & { provider?: { type: string; props: unknown } }): Subject {
  const s: Subject = { type: r.type, name: r.name, urn: r.urn, props: plain(r.props) };
  if (r.provider) s.provider = { type: r.provider.type, props: plain(r.provider.props) };
  return s;
}

// Undocumented in the .d.ts, but server.js makeReportViolationFun takes it: a finding with its own level.
type ReportObject = (v: { message: string; urn?: string; enforcementLevel: policy.EnforcementLevel }) => void;

function makeReport(info: PolicyInfo, waivers: Waiver[], reportViolation: policy.ReportViolation): Report {
  const today = todayUtc();
  const safe = (text: string) => safeLine(text, knownSecrets());
  return (message, target, advisory = false) => {
    const text = safe(message);
    const verdict = target ? findWaiver(waivers, target, today) : { kind: "none" as const };
    if (advisory || verdict.kind === "waived") {
      const w = verdict.kind === "waived" ? verdict.waiver : undefined;
      const why = w ? `WAIVED until ${w.expires} (${w.reason}): ` : "";
      (reportViolation as unknown as ReportObject)({
        // Each line made safe on its own: safeLine strips newlines, and the SDK's layout for a
        // string finding is the description, then the detail on the next line.
        message: `${safe(info.description)}\n${safe(why)}${text}`,
        urn: target?.urn,
        enforcementLevel: "advisory",
      });
    } else if (verdict.kind === "expired") {
      const w = verdict.waiver;
      const note = `The waiver for "${waiverTarget(w)}" expired on ${w.expires} (its reason was: ${w.reason}); fix the finding or renew the waiver. `;
      reportViolation(safe(note) + text, target?.urn);
    } else {
      reportViolation(text, target?.urn);
    }
  };
}

/** Runs `body` for one resource; a value it cannot read yet becomes that resource's finding. */
function judge(s: Subject, report: Report, body: () => void, stack = false) {
  try {
    body();
  } catch (e) {
    if (!(e instanceof CannotCheck)) throw e;
    if (!e.intrinsic) {
      const later = `cannot check ${e.what} during preview (not known yet); it is checked again when the update runs.`;
      report(`${describe(s)}: ${later}`, s, true);
    } else if (!stack) {
      // The resource policies reject an intrinsic where they need a literal; a stack policy only skips it.
      const why = `it is a CloudFormation intrinsic function, which the pack cannot resolve; write the value literally.`;
      report(`${describe(s)}: cannot check ${e.what}: ${why}`, s);
    }
  }
}

/** A policy judged on each resource, before its step runs: it prevents. */
export function resourcePolicy<C = object>(info: PolicyInfo, check: ResourceCheck<C>) {
  const { meta, start } = define<C>(info);
  return {
    ...meta,
    validateResource: (args, reportViolation) => {
      const { config, report } = start(args, reportViolation);
      const s = subjectOf(args);
      judge(s, report, () => check(s, config, (m, t = s, advisory) => report(m, t, advisory)));
    },
  } satisfies policy.ResourceValidationPolicy;
}

/** A policy judged on the whole stack, after every step: it only detects. */
export function stackPolicy<C = object>(info: PolicyInfo, check: StackCheck<C>) {
  const { meta, start } = define<C>(info);
  return {
    ...meta,
    validateStack: (args, reportViolation) => {
      const { config, report } = start(args, reportViolation);
      check(args.resources.map(subjectOf), config, report, (list, body) => {
        for (const s of list) judge(s, report, () => body(s), true);
      });
    },
  } satisfies policy.StackValidationPolicy;
}
