/**
 * How every policy of this pack is put together, so each policy module holds only its rule:
 * metadata beside the code, its config knobs validated with their JSON Schema (plus the shared
 * `waivers` knob), and a `report` that applies waivers before anything reaches the engine.
 */
import Ajv, { type ErrorObject } from "ajv";
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  findWaiver,
  isCalendarDate,
  todayUtc,
  waiversConfigProperty,
  type FindingTarget,
  type Waiver,
} from "./waivers";

/** Where each policy's `url` points: its heading in the repository's docs/policies.md. */
export const POLICY_DOCS = "docs/policies.md";

/** The metadata every policy of this pack carries. */
export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: Extract<EnforcementLevel, "mandatory" | "advisory">;
  severity: Severity;
  remediationSteps: string;
}

/** A policy's own knobs, as JSON Schema properties, each with its default. */
export type ConfigProperties = PolicyConfigSchema["properties"];

/** Report a finding; `target` names the resource it is about (defaults to the resource validated). */
export type Report = (message: string, target?: FindingTarget) => void;

interface BaseConfig {
  waivers: Waiver[];
}

/**
 * The object form of reportViolation: undocumented in @pulumi/policy's .d.ts, but handled by
 * node_modules/@pulumi/policy/server.js makeReportViolationFun (`typeof message === "object"`),
 * which lets one finding carry its own enforcement level. Used to report waived findings as advisory.
 */
interface ViolationInfo {
  message: string;
  urn?: string;
  enforcementLevel: EnforcementLevel;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: true });

function formatAjvError(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "(config)";
  if (e.keyword === "additionalProperties") {
    return `unknown key "${String(e.params.additionalProperty)}" in ${where}`;
  }
  return `${where} ${e.message ?? "is invalid"}`;
}

/** Build the validator of one policy's config; returns the config with defaults, or an error line. */
function makeConfigReader<C>(name: string, properties: ConfigProperties) {
  const schema = {
    type: "object",
    additionalProperties: false,
    properties: { ...properties, waivers: waiversConfigProperty },
  };
  const validate = ajv.compile(schema);
  // getConfig() builds a fresh object on every call, but its content only changes when the
  // engine calls Configure: remember the last result by content, so the schema runs once.
  let lastText: string | undefined;
  let lastResult: { config: C & BaseConfig } | { error: string } | undefined;
  return (raw: unknown): { config: C & BaseConfig } | { error: string } => {
    const text = JSON.stringify(raw && typeof raw === "object" ? raw : {});
    if (text === lastText && lastResult) return lastResult;
    lastText = text;
    lastResult = check(text);
    return lastResult;
  };

  function check(text: string): { config: C & BaseConfig } | { error: string } {
    // A parsed copy, because Ajv fills in defaults in place.
    const data: unknown = JSON.parse(text);
    if (!validate(data)) {
      const details = (validate.errors ?? []).map(formatAjvError).join("; ");
      return { error: `policy config of "${name}" is invalid: ${details}. See ${POLICY_DOCS}#${name}.` };
    }
    const config = data as C & BaseConfig;
    const badDate = config.waivers.find((w) => !isCalendarDate(w.expires));
    if (badDate) {
      return {
        error: `policy config of "${name}" is invalid: waiver for "${badDate.resource}" expires on "${badDate.expires}", which is not a calendar date; expected YYYY-MM-DD.`,
      };
    }
    return { config: Object.freeze(config) };
  }
}

function makeReport(
  info: PolicyInfo,
  waivers: readonly Waiver[],
  reportViolation: ReportViolation,
  defaultTarget: FindingTarget,
): Report {
  return (message, target = defaultTarget) => {
    const verdict = findWaiver(waivers, target, todayUtc());
    if (verdict.kind === "waived") {
      const waived: ViolationInfo = {
        message: `${info.description}\nWAIVED until ${verdict.waiver.expires} (${verdict.waiver.reason}): ${message}`,
        urn: target.urn,
        enforcementLevel: "advisory",
      };
      (reportViolation as unknown as (v: ViolationInfo) => void)(waived);
    } else if (verdict.kind === "expired") {
      reportViolation(
        `The waiver for "${verdict.waiver.resource}" expired on ${verdict.waiver.expires} ` +
          `(its reason was: ${verdict.waiver.reason}); fix the finding or renew the waiver with a new date. ${message}`,
        target.urn,
      );
    } else {
      reportViolation(message, target.urn);
    }
  };
}

function metadata(info: PolicyInfo, properties: ConfigProperties) {
  return {
    ...info,
    url: `${POLICY_DOCS}#${info.name}`,
    configSchema: { properties: { ...properties, waivers: waiversConfigProperty } },
  };
}

/**
 * A policy run on each resource. `appliesTo` says which resource types it looks at; every other
 * resource returns at once, before config or props are touched (most resources of a stack are
 * of no interest to any one rule, and Analyze runs for each of them).
 */
export function resourcePolicy<C>(
  info: PolicyInfo,
  properties: ConfigProperties,
  appliesTo: ReadonlySet<string> | ((type: string) => boolean),
  check: (args: ResourceValidationArgs, config: C & BaseConfig, report: Report) => void,
): ResourceValidationPolicy {
  const readConfig = makeConfigReader<C>(info.name, properties);
  const applies = typeof appliesTo === "function" ? appliesTo : (type: string) => appliesTo.has(type);
  return {
    ...metadata(info, properties),
    validateResource: (args, reportViolation) => {
      if (!applies(args.type)) return;
      const read = readConfig(args.getConfig());
      if ("error" in read) return reportViolation(read.error);
      const report = makeReport(info, read.config.waivers, reportViolation, {
        urn: args.urn,
        name: args.name,
      });
      check(args, read.config, report);
    },
  };
}

export function stackPolicy<C>(
  info: PolicyInfo,
  properties: ConfigProperties,
  check: (args: StackValidationArgs, config: C & BaseConfig, report: Report) => void,
): StackValidationPolicy {
  const readConfig = makeConfigReader<C>(info.name, properties);
  return {
    ...metadata(info, properties),
    validateStack: (args, reportViolation) => {
      const read = readConfig(args.getConfig());
      if ("error" in read) return reportViolation(read.error);
      const report = makeReport(info, read.config.waivers, reportViolation, {});
      check(args, read.config, report);
    },
  };
}

/** The waiver target of a stack resource. */
export function targetOf(resource: PolicyResource): FindingTarget {
  return { urn: resource.urn, name: resource.name };
}
