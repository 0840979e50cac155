/** Reports: text like `pulumi preview`'s, JSON, SARIF 2.1.0, JUnit XML; every value through lib/text. */
import { XMLBuilder } from "fast-xml-parser";
import type { Log as SarifLog, ReportingDescriptor, Result as SarifResult } from "sarif";
import * as pulumi from "@pulumi/pulumi";
import { REDACTED, quote, safeLine, secretStrings, stripControl } from "../lib/text";
import type { CheckResult, Violation } from "./check";
import type { StepOp } from "./run-program";

export const FORMATS = ["text", "json", "sarif", "junit"] as const;
export type Format = (typeof FORMATS)[number];

export interface ReportContext {
  color: boolean;
  /** The file the findings are about, relative to the report (SARIF artifact, JUnit source). */
  artifact: string;
  /** Absolute base URL that policies' relative `url`s resolve against. */
  docsUrl: string;
}

const LEVEL_RANK: Record<string, number> = { mandatory: 0, advisory: 1, disabled: 2 };
const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

function sortViolations(vs: Violation[]): Violation[] {
  const key = (v: Violation) => [
    LEVEL_RANK[v.enforcementLevel] ?? 9,
    SEVERITY_RANK[v.severity] ?? 9,
    v.policyName,
    v.resourceUrn,
    v.message,
  ];
  return [...vs].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}

/**
 * The last-resort net over a line about resource `urn`: that resource's secrets, searched for as text (the
 * pack decides what is secret by where each value came from; this catches another pack's slip). Only that
 * resource's: a secret elsewhere that equals a public value (the user name) must not hide it here.
 * Lines about no resource get every secret of the plan.
 */
function scrubber(result: CheckResult, urn?: string): (text: string) => string {
  const of = (r: CheckResult["resources"][number]) =>
    [...secretStrings(r.inputs), ...secretStrings(r.outputs)]
      // A secret not known yet (a password in a preview) is the unknown sentinel: nothing to hide.
      .filter((s) => s !== unknownValue);
  const own = result.resources.find((r) => r.urn === urn);
  const secrets = own ? of(own) : result.resources.flatMap(of);
  return (text) => safeLine(text, secrets);
}

/** The findings of one pack: a report may hold two (the pack's and the audit's own rules). */
const ofPack = (result: CheckResult, pack: { name: string }) =>
  result.packs.length > 1
    ? result.violations.filter((v) => v.policyPackName === pack.name)
    : result.violations;

/** Reports that list resources as read (an export, the live account), not as planned steps. */
const asRead = (result: CheckResult) => result.mode === "file" || result.mode === "audit";

const lines = (text: string, scrub: (t: string) => string) => text.replace(/\n$/, "").split("\n").map(scrub);

/** The resources a report lists: what the program declares, not the engine's own. */
const declared = (result: CheckResult) =>
  result.resources.filter((r) => !r.type.startsWith("pulumi:providers:") && r.type !== "pulumi:pulumi:Stack");

const MARK: Record<StepOp, string> = { create: "+ ", same: "  ", update: "~ ", replace: "+-", delete: "- " };
const shortType = (type: string) => type.replace(/^(\w[\w-]*):(\w+)\/\w+:(\w+)$/, "$1:$2:$3");
const { specialSigKey, unknownValue } = pulumi.runtime;
// Not known until the update runs: the CLI's words for it.
const shownValue = (v: unknown) => (v === unknownValue ? "output<string>" : quote(v, { max: 100 }));

/**
 * The steps per operation as `pulumi preview` counts them: every resource's step but the default providers'
 * (pkg/engine/update.go isInternalStep), so the stack resource counts too.
 */
export function changeSummary(result: CheckResult): Partial<Record<StepOp, number>> {
  const counts: Partial<Record<StepOp, number>> = {};
  for (const r of result.resources) {
    if (r.type.startsWith("pulumi:providers:") && r.name.startsWith("default")) continue;
    const op = r.op ?? "create";
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}

export function summaryLine(result: CheckResult): string {
  const { mandatory, advisory } = result.summary;
  const n = declared(result).length;
  // In the CLI's order and words (pkg/backend/display/diff.go renderSummaryEvent).
  const changes = changeSummary(result);
  const counts = asRead(result)
    ? `${n} ${n === 1 ? "resource" : "resources"} ${result.mode === "audit" ? "read from the account" : "analyzed"}`
    : [
        ...(["create", "update", "delete", "replace"] as const).flatMap((op) =>
          changes[op] ? [`${changes[op]} to ${op}`] : [],
        ),
        ...(changes.same ? [`${changes.same} unchanged`] : []),
      ].join(", ");
  const total = mandatory + advisory;
  return `Summary: ${counts}; ${mandatory} mandatory and ${advisory} advisory policy ${total === 1 ? "violation" : "violations"}; ${result.mode === "audit" ? "audit" : "policy check"} ${mandatory > 0 ? "FAILED" : "passed"}.`;
}

function renderText(result: CheckResult, ctx: ReportContext): string {
  const paint = (code: number, s: string) => (ctx.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const scrub = scrubber(result);
  const out: string[] = [];
  const what = {
    program:
      "Previewing update (first deployment: no deployed state given; --state EXPORT.json plans an update)",
    update: "Previewing update of the deployed stack (from --state)",
    file: "Analyzing exported state",
    audit: "Auditing the live AWS account for stack",
  }[result.mode];
  const title = paint(1, `${what}: ${scrub(result.project)}/${scrub(result.stack)}`);
  const where = result.mode === "audit" ? " [live: read-only AWS calls]" : " [offline: fake AWS]";
  out.push(title + paint(2, where), "", paint(1, "Resources:"));
  for (const r of declared(result)) {
    const op = r.op ?? (result.mode === "program" ? "create" : "same");
    const own = scrubber(result, r.urn);
    out.push(`  ${MARK[op]} ${shortType(r.type)}  ${own(r.name)}  ${paint(2, op)}`);
    if (op === "delete" || op === "same") continue;
    for (const [k, v] of Object.entries(asRead(result) ? r.outputs : r.inputs))
      out.push(`        ${k}: ${own(shownValue(v))}`);
  }
  out.push("");
  if (Object.keys(result.outputs).length > 0) {
    out.push(paint(1, "Outputs:"));
    for (const [k, o] of Object.entries(result.outputs))
      out.push(`    ${k}: ${o.secret ? REDACTED : scrub(shownValue(o.value))}`);
    out.push("");
  }
  if (result.logs.length > 0) {
    out.push(paint(1, "Diagnostics:"));
    for (const l of result.logs)
      for (const line of lines(`${l.severity}: ${l.message}`, scrub)) out.push(`    ${line}`);
    out.push("");
  }
  if (result.uncheckedKeys.length > 0) {
    out.push(
      paint(1, "Not checked offline (secure config, never decrypted):"),
      ...result.uncheckedKeys.map((k) => `    ${scrub(k)}`),
      "",
    );
  }
  out.push(paint(1, "Policies:"));
  for (const pack of result.packs) {
    const vs = sortViolations(ofPack(result, pack));
    const mark = vs.some((v) => v.enforcementLevel === "mandatory") ? "❌" : vs.length > 0 ? "⚠️" : "✅";
    out.push(`    ${mark} ${paint(36, `${pack.name}@v${pack.version}`)} (local: ${scrub(pack.path)})`);
    for (const v of vs) {
      const color = v.enforcementLevel === "mandatory" ? 31 : 33;
      const severity = v.severity ? ` [severity: ${v.severity}]` : "";
      out.push(`        - ${paint(color, `[${v.enforcementLevel}]${severity}  ${v.policyName}`)}`);
      const own = scrubber(result, v.resourceUrn);
      out.push(`          ${paint(2, own(v.resourceUrn))}`);
      for (const line of lines(v.message, own)) out.push(`          ${line}`);
    }
  }
  out.push("", summaryLine(result));
  return out.join("\n") + "\n";
}

/** A policy's fields the JSON report shows, in this order. */
const JSON_KEYS = ["name", "description", "enforcementLevel", "severity", "url", "remediationSteps"] as const;

function renderJson(result: CheckResult): string {
  const text = (message: string, urn?: string) => lines(message, scrubber(result, urn)).join("\n");
  const redactDeep = (v: unknown, urn?: string): unknown => {
    const scrub = scrubber(result, urn);
    const redact = (_k: string, x: unknown) =>
      typeof x === "string"
        ? scrub(x)
        : (x as Record<string, unknown> | null)?.[specialSigKey]
          ? REDACTED
          : x;
    return JSON.parse(JSON.stringify(v ?? null, redact));
  };
  const report = {
    mode: result.mode,
    project: result.project,
    stack: result.stack,
    resources: declared(result).map(({ urn, type, name, inputs }) => ({
      urn,
      type,
      name,
      inputs: redactDeep(inputs, urn),
    })),
    ...(asRead(result)
      ? {}
      : {
          steps: declared(result).map(({ urn, type, name, op }) => ({ urn, type, name, op: op ?? "create" })),
          changeSummary: changeSummary(result),
          outputs: Object.fromEntries(
            Object.entries(result.outputs).map(([k, o]) => [
              k,
              o.secret ? { secret: true } : { secret: false, value: redactDeep(o.value) },
            ]),
          ),
        }),
    policyPacks: result.packs.map((p) => ({
      name: p.name,
      version: p.version,
      policies: p.policies.map((policy) => Object.fromEntries(JSON_KEYS.map((k) => [k, policy[k]]))),
    })),
    violations: sortViolations(result.violations).map((v) => ({
      ...v,
      message: text(v.message, v.resourceUrn),
    })),
    diagnostics: result.logs.map((l) => ({ severity: l.severity, urn: l.urn, message: text(l.message) })),
    uncheckedConfigKeys: result.uncheckedKeys,
    summary: result.summary,
  };
  return JSON.stringify(report, null, 2) + "\n";
}

const SECURITY_SEVERITY: Record<string, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "2.0" };
const SARIF_LEVEL: Record<string, SarifResult.level> = {
  mandatory: "error",
  remediate: "error",
  advisory: "warning",
  disabled: "none",
};

function renderSarif(result: CheckResult, ctx: ReportContext): string {
  const absolute = (url: string) => new URL(url, ctx.docsUrl).href;
  const physicalLocation = { artifactLocation: { uri: ctx.artifact }, region: { startLine: 1 } };
  const runs = result.packs.map((pack) => {
    const rules: ReportingDescriptor[] = pack.policies.map((p) => ({
      id: p.name,
      name: p.name,
      shortDescription: { text: p.description.split("\n")[0] || p.name },
      fullDescription: { text: p.description || p.name },
      defaultConfiguration: {
        level: SARIF_LEVEL[p.enforcementLevel] ?? "warning",
        enabled: p.enforcementLevel !== "disabled",
      },
      properties: {
        tags: ["pulumi-policy", ...p.tags],
        enforcementLevel: p.enforcementLevel,
        ...(p.severity ? { severity: p.severity, "security-severity": SECURITY_SEVERITY[p.severity] } : {}),
      },
      ...(p.url ? { helpUri: absolute(p.url) } : {}),
      ...(p.remediationSteps ? { help: { text: p.remediationSteps } } : {}),
    }));
    const results: SarifResult[] = sortViolations(ofPack(result, pack)).map((v) => {
      const scrub = scrubber(result, v.resourceUrn);
      const ruleIndex = rules.findIndex((r) => r.id === v.policyName);
      const name = scrub(v.resourceUrn.split("::").pop() ?? v.resourceUrn);
      const resource = { name, fullyQualifiedName: scrub(v.resourceUrn), kind: "resource" };
      return {
        ruleId: v.policyName,
        ruleIndex: Math.max(0, ruleIndex),
        level: SARIF_LEVEL[v.enforcementLevel] ?? "warning",
        message: { text: lines(v.message, scrub).join("\n") },
        locations: [{ physicalLocation, logicalLocations: [resource] }],
        partialFingerprints: { "policyResource/v1": scrub(`${v.policyName}|${v.resourceUrn}`) },
        properties: { enforcementLevel: v.enforcementLevel, ...(v.severity ? { severity: v.severity } : {}) },
      };
    });
    const docs = pack.policies.find((p) => p.url)?.url;
    return {
      tool: {
        driver: {
          name: pack.name,
          version: pack.version,
          ...(docs ? { informationUri: absolute(docs.split("#")[0]) } : {}),
          rules,
        },
      },
      // Code scanning keeps one category's alerts apart from another's: the plan's and the account's.
      automationDetails: {
        id: `${result.mode === "audit" ? "account-audit" : "policy-check"}/${result.project}/${result.stack}/`,
      },
      results,
    };
  });
  const log: SarifLog = { $schema: "https://json.schemastore.org/sarif-2.1.0.json", version: "2.1.0", runs };
  return JSON.stringify(log, null, 2) + "\n";
}

/** One suite per pack, one case per policy: mandatory violations fail it, disabled skips it. */
function renderJunit(result: CheckResult, ctx: ReportContext): string {
  // XML 1.0 allows no control characters but tab and newline; each line is stripped.
  const text = (s: string, urn?: string) => {
    const scrub = scrubber(result, urn);
    return s
      .split("\n")
      .map((line) => stripControl(scrub(line)))
      .join("\n");
  };
  const time = (result.timings.totalMs / 1000).toFixed(3);
  const tally = (cases: { failure: unknown[]; skipped?: unknown }[]) => ({
    "@_tests": cases.length,
    "@_failures": cases.filter((c) => c.failure.length > 0).length,
    "@_errors": 0,
    "@_skipped": cases.filter((c) => c.skipped).length,
    "@_time": time,
  });
  const about = { project: result.project, stack: result.stack, source: ctx.artifact };
  const property = Object.entries(about).map(([n, v]) => ({ "@_name": n, "@_value": text(v) }));
  const suites = result.packs.map((pack) => {
    const cases = pack.policies.map((p) => {
      const vs = sortViolations(ofPack(result, pack).filter((v) => v.policyName === p.name));
      const mandatory = vs.filter((v) => v.enforcementLevel === "mandatory");
      const advisory = vs.filter((v) => v.enforcementLevel === "advisory");
      // The builder writes no element for an undefined value or an empty list.
      return {
        "@_classname": `${pack.name}.${p.name}`,
        "@_name": p.name,
        skipped: p.enforcementLevel === "disabled" ? { "@_message": "policy disabled" } : undefined,
        failure: mandatory.map((v) => ({
          "@_type": "mandatory",
          "@_message": text(`${p.name}: ${v.resourceUrn}`, v.resourceUrn),
          "#text": text(`${v.resourceUrn}\n${v.message}`, v.resourceUrn),
        })),
        "system-out":
          advisory.length > 0
            ? advisory
                .map((v) => text(`[advisory] ${v.resourceUrn}\n${v.message}`, v.resourceUrn))
                .join("\n\n")
            : undefined,
      };
    });
    return {
      "@_name": `${pack.name}@${pack.version}`,
      ...tally(cases),
      properties: { property },
      testcase: cases,
    };
  });
  const doc = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    testsuites: {
      "@_name": text(
        `${result.mode === "audit" ? "account audit" : "policy check"} ${result.project}/${result.stack}`,
      ),
      ...tally(suites.flatMap((s) => s.testcase)),
      testsuite: suites,
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true }).build(doc);
}

export function render(format: Format, result: CheckResult, ctx: ReportContext): string {
  return { text: renderText, json: renderJson, sarif: renderSarif, junit: renderJunit }[format](result, ctx);
}
