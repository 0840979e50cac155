// Every policy's plumbing, so that a policy module holds only its rule.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type * as policy from "@pulumi/policy";
import { sameIamUserName } from "../../lib/naming";
import { quote, safeLine } from "../../lib/text";
import { getPolicyConfigs, PackInputError } from "./engine";
import { CannotCheck, describe, plain, type Subject } from "./iam";
import { configSecrets, Secrets, secretsNow, unmark, within } from "./secrets";
import {
  expiryProblem,
  findWaiver,
  overrideKnobs,
  todayUtc,
  waiverKnobs,
  waiverProblems,
  waiverTarget,
  type Waiver,
} from "./waivers";

type Metadata = Required<Pick<policy.Policy, "name" | "description" | "severity" | "remediationSteps">>;
type Knobs = policy.PolicyConfigSchema["properties"];
/** A policy's metadata, and the knobs of its config besides the waivers; `alwaysOn`: it cannot be disabled. */
export type PolicyInfo = Metadata & {
  enforcementLevel: "mandatory" | "advisory";
  knobs?: Knobs;
  alwaysOn?: boolean;
};
type Config<C> = C & { waivers: Waiver[]; waiverMaxDays: number; reason?: string; expires?: string };
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

/** What Configure judges of each policy beyond its schema: its declared level, its default userName. */
const declared = new Map<string, { level: string; userName?: string; alwaysOn?: boolean }>();

// Ajv fills `data` in with the knobs' defaults (useDefaults).
function problemsOf(name: string, data: unknown): string[] {
  if (name === "all") {
    return data && typeof data === "object" && Object.keys(data).length > 0
      ? [`"all" takes only an enforcement level, not ${Object.keys(data).join(", ")}`]
      : [];
  }
  const validate = validators.get(name);
  if (!validate) return [`unknown policy ${quote(name)} (the pack has ${[...validators.keys()].join(", ")})`];
  if (!validate(data)) return (validate.errors ?? []).map((e) => `${name}: ${ajvError(e)}`);
  const c = data as Config<object>;
  return waiverProblems(c.waivers, c.waiverMaxDays, todayUtc()).map((p) => `${name}: ${p}`);
}

/** A change of a policy's config that weakens the runbook, with its reason and expiry (if given). */
export type Override = { policy: string; changes: string[]; reason?: unknown; expires?: unknown };

/**
 * The changes that weaken a rule: a mandatory rule lowered to advisory or disabled, a `userName` other
 * than the runbook's user. `config`: each policy's knobs and `enforcementLevel`, as Configure sends them.
 */
export function overridesOf(config: ReadonlyMap<string, Record<string, unknown>>): Override[] {
  return [...declared].flatMap(([policy, d]) => {
    const c = config.get(policy) ?? {};
    const changes: string[] = [];
    const level = c.enforcementLevel;
    if (d.level === "mandatory" && (level === "advisory" || level === "disabled"))
      changes.push(`${level} instead of mandatory`);
    const user = c.userName;
    if (
      d.userName !== undefined &&
      user !== undefined &&
      !(typeof user === "string" && sameIamUserName(user, d.userName))
    )
      changes.push(`userName ${quote(user)} instead of ${quote(d.userName)}`);
    return changes.length > 0 ? [{ policy, changes, reason: c.reason, expires: c.expires }] : [];
  });
}

/** An override needs a reason and a current expiry date, as a waiver does; `all` may not lower every rule. */
function overrideProblems(config: ReadonlyMap<string, Record<string, unknown>>): string[] {
  const today = todayUtc();
  const all = config.get("all")?.enforcementLevel;
  // Said once: not once per rule it lowers.
  if (all === "advisory" || all === "disabled")
    return [
      `"all" may not set every policy to ${all}: lower a mandatory rule by its name, with a "reason" and an "expires" date (docs/policies.md#overrides)`,
    ];
  const problems: string[] = [];
  for (const [policy, d] of declared)
    if (d.alwaysOn && config.get(policy)?.enforcementLevel === "disabled")
      problems.push(`${policy} cannot be disabled: it reports every override of the policy config`);
  for (const o of overridesOf(config)) {
    const what = `${o.policy}: ${o.changes.join(", ")}`;
    if (typeof o.reason !== "string" || typeof o.expires !== "string") {
      problems.push(`${what} needs a "reason" and an "expires" date (YYYY-MM-DD), as a waiver does`);
      continue;
    }
    const max = Number(config.get(o.policy)?.waiverMaxDays ?? 90);
    problems.push(...expiryProblem(`${what} expires on`, o.expires, max, today));
    if (today > o.expires) problems.push(`${what} expired on ${o.expires}: renew it or remove it`);
  }
  return problems;
}

/**
 * Every problem of a whole policy-pack config (policy name to its knobs and, as Configure sends it, its
 * `enforcementLevel`): what Configure rejects.
 */
export function configProblems(config: ReadonlyMap<string, unknown>): string[] {
  const flat = new Map<string, Record<string, unknown>>();
  const problems = [...config].flatMap(([name, value]) => {
    const { enforcementLevel, ...knobs } = structuredClone((value ?? {}) as Record<string, unknown>);
    const problems = problemsOf(name, knobs);
    flat.set(name, { ...knobs, enforcementLevel });
    return problems;
  });
  return problems.length > 0 ? problems : overrideProblems(flat);
}

function define<C>({ knobs, alwaysOn, ...info }: PolicyInfo) {
  if (validators.has(info.name)) throw new Error(`two policies named ${info.name}`);
  const properties = { ...knobs, ...waiverKnobs, ...overrideKnobs };
  const userName = knobs?.userName?.default;
  declared.set(info.name, {
    level: info.enforcementLevel,
    userName: typeof userName === "string" ? userName : undefined,
    alwaysOn,
  });
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

/** A resource as rules see it, and its secrets: what came inside the engine's secret wrappers. */
function subjectOf(r: Omit<Subject, "provider"> & { provider?: { type: string; props: unknown } }): {
  s: Subject;
  secrets: Secrets;
} {
  const secrets = new Secrets();
  const props = (p: unknown) => unmark(plain(p), secrets) as Record<string, unknown>;
  const s: Subject = { type: r.type, name: r.name, urn: r.urn, props: props(r.props) };
  if (r.provider) s.provider = { type: r.provider.type, props: props(r.provider.props) };
  return { s, secrets };
}

// Undocumented in the .d.ts, but server.js makeReportViolationFun takes it: a finding with its own level.
type ReportObject = (v: { message: string; urn?: string; enforcementLevel: policy.EnforcementLevel }) => void;

function makeReport(info: PolicyInfo, waivers: Waiver[], reportViolation: policy.ReportViolation): Report {
  const today = todayUtc();
  // The last-resort net: values of what is secret now, searched for in the whole line.
  const safe = (text: string) => safeLine(text, secretsNow().list());
  // A finding of an overridden rule says so, as a waived one does.
  const o = overridesOf(getPolicyConfigs()).find((x) => x.policy === info.name);
  const overridden = o
    ? `OVERRIDDEN until ${String(o.expires)} (${String(o.reason)}; ${o.changes.join(", ")}): `
    : "";
  return (message, target, advisory = false) => {
    const text = safe(overridden + message);
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
      const { s, secrets } = subjectOf(args);
      within(secrets.merge(configSecrets()), () =>
        judge(s, report, () => check(s, config, (m, t = s, advisory) => report(m, t, advisory))),
      );
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
      const fromConfig = configSecrets();
      const subjects = args.resources.map(subjectOf);
      const secretsOf = new Map(subjects.map(({ s, secrets }) => [s, secrets]));
      // One resource at a time, only its own secrets are secret; over the whole stack, all of them.
      const all = new Secrets().merge(fromConfig, ...secretsOf.values());
      within(all, () =>
        check([...secretsOf.keys()], config, report, (list, body) => {
          for (const s of list) {
            const own = new Secrets().merge(fromConfig, secretsOf.get(s) ?? all);
            within(own, () => judge(s, report, () => body(s), true));
            all.merge(own); // with what was parsed from its secret texts (template logical IDs)
          }
        }),
      );
    },
  } satisfies policy.StackValidationPolicy;
}
