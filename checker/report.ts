/**
 * The check's reports: text (laid out like `pulumi preview`'s plan and Policies section),
 * JSON, SARIF 2.1.0 (GitHub code scanning) and JUnit XML. None of them shows a secret's
 * value: properties go through `redact`, and every other string through a scrubber that
 * replaces any secret value seen in the plan or config (like the engine's global secret
 * filter on logs).
 */
import * as path from "node:path";
import type { Log as SarifLog, ReportingDescriptor, Result as SarifResult } from "sarif";
import type { PolicyInfo } from "./analyzer";
import type { CheckResult, PlannedResource, Violation } from "./check";
import { parseUrn } from "./check";
import { OUTPUT_VALUE_SIG, SECRET_PLACEHOLDER, SECRET_SIG, SIG_KEY, redact } from "./wire";

export type Format = "text" | "json" | "sarif" | "junit";
export const FORMATS: readonly Format[] = ["text", "json", "sarif", "junit"];

export interface ReportContext {
  /** Colour (ANSI) for text: only on a TTY. */
  color: boolean;
  /** Where the program or export file lives, relative to the report's readers (SARIF locations). */
  artifact: string;
  /** Extra secret values to scrub (e.g. from config). */
  secrets?: string[];
}

/** Collects the plaintext of every secret in the given property trees. */
export function secretValues(trees: unknown[]): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, inSecret: boolean) => {
    if (v === null || v === undefined) return;
    if (typeof v === "string") {
      if (inSecret && v !== SECRET_PLACEHOLDER) found.add(v);
      return;
    }
    // A secret boolean reveals nothing worth scrubbing ("true" would garble every message).
    if (typeof v === "number") {
      if (inSecret) found.add(String(v));
      return;
    }
    if (Array.isArray(v)) return v.forEach((e) => walk(e, inSecret));
    if (typeof v === "object") {
      const obj = v as Record<string, unknown>;
      const sig = obj[SIG_KEY];
      if (sig === SECRET_SIG) {
        if (typeof obj.plaintext === "string") found.add(obj.plaintext);
        return walk(obj.value, true);
      }
      if (sig === OUTPUT_VALUE_SIG) return walk(obj.value, inSecret || obj.secret === true);
      for (const [k, e] of Object.entries(obj)) if (k !== SIG_KEY) walk(e, inSecret);
    }
  };
  for (const t of trees) walk(t, false);
  return [...found];
}

/** Replaces every occurrence of a known secret (4+ characters, longest first) by [secret]. */
export function makeScrubber(secrets: string[]): (s: string) => string {
  const list = [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return (s) => s;
  return (s) => {
    let out = s;
    for (const secret of list) out = out.split(secret).join(SECRET_PLACEHOLDER);
    return out;
  };
}

function scrubberFor(result: CheckResult, ctx: ReportContext): (s: string) => string {
  return makeScrubber([
    ...secretValues(result.resources.flatMap((r) => [r.inputs, r.outputs])),
    ...(ctx.secrets ?? []),
  ]);
}

/** tokens.Type.DisplayName: `aws:iam/user:User` -> `aws:iam:User`. */
export function displayType(type: string): string {
  const parts = type.split(":");
  if (parts.length !== 3 || parts[2] === "") return type;
  const [pkg, module, name] = parts;
  const slash = module.lastIndexOf("/");
  if (slash < 0 || module.slice(slash + 1).toLowerCase() !== name.toLowerCase()) return type;
  return `${pkg}:${module.slice(0, slash)}:${name}`;
}

/** The resources a plan shows: default providers are the engine's, not the program's. */
export function plannedResources(result: CheckResult): PlannedResource[] {
  return result.resources.filter((r) => !r.defaultProvider);
}

const LEVEL_RANK: Record<string, number> = { remediate: 0, mandatory: 1, advisory: 2, disabled: 3 };
const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, "": 4 };

/** progress.go: by enforcement level, severity, policy name, then URN. */
export function sortViolations(vs: Violation[]): Violation[] {
  return [...vs].sort(
    (a, b) =>
      (LEVEL_RANK[a.enforcementLevel] ?? 99) - (LEVEL_RANK[b.enforcementLevel] ?? 99) ||
      (SEVERITY_RANK[a.severity] ?? 99) - (SEVERITY_RANK[b.severity] ?? 99) ||
      cmp(a.policyName, b.policyName) ||
      cmp(a.resourceUrn, b.resourceUrn) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// text

const ANSI = {
  red: "\x1b[31m",
  yellow: "\x1b[33m",
  green: "\x1b[32m",
  cyan: "\x1b[36m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  reset: "\x1b[0m",
};

/** Long strings (a PGP key, a policy document) are cut in the text plan; JSON has them whole. */
const TEXT_VALUE_MAX = 100;

function formatValue(v: unknown, indent: string): string {
  if (typeof v === "string" && v.length > TEXT_VALUE_MAX) {
    return `${JSON.stringify(v.slice(0, TEXT_VALUE_MAX - 20))}... (${v.length} characters)`;
  }
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return (
      "[\n" + v.map((e) => `${indent}    ${formatValue(e, indent + "    ")}`).join(",\n") + `\n${indent}]`
    );
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return (
    "{\n" +
    entries.map(([k, e]) => `${indent}    ${k}: ${formatValue(e, indent + "    ")}`).join("\n") +
    `\n${indent}}`
  );
}

function showValue(v: unknown, indent: string): string {
  // Markers stay bare, as the preview shows `[secret]` and `output<string>`.
  if (v === SECRET_PLACEHOLDER || v === "[unknown]") return String(v);
  return formatValue(v, indent);
}

export function renderText(result: CheckResult, ctx: ReportContext): string {
  const c = (code: keyof typeof ANSI, s: string) => (ctx.color ? `${ANSI[code]}${s}${ANSI.reset}` : s);
  const scrub = scrubberFor(result, ctx);
  const out: string[] = [];
  const resources = plannedResources(result);

  if (result.mode === "program") {
    out.push(
      c("bold", `Previewing update (${result.stack}) of ${result.project}`) +
        c("dim", " [offline: program under mocks]"),
    );
  } else {
    out.push(
      c(
        "bold",
        `Analyzing ${result.stack === "unknown" ? "state file" : `stack ${result.stack} of ${result.project}`}`,
      ) + c("dim", " [offline: exported state]"),
    );
  }
  out.push("");
  const verb = result.mode === "program" ? "create" : "exists";
  const sign = result.mode === "program" ? c("green", "+") : " ";
  out.push(c("bold", "Resources:"));
  for (const r of resources) {
    out.push(`  ${sign} ${displayType(r.type)}  ${r.name}  ${c("dim", verb)}`);
    const props = redact(result.mode === "program" ? r.inputs : r.outputs) as Record<string, unknown>;
    for (const [k, v] of Object.entries(props)) out.push(`        ${k}: ${scrub(showValue(v, "        "))}`);
  }
  out.push(
    `    ${resources.length} ${resources.length === 1 ? "resource" : "resources"}${result.mode === "program" ? " to create" : ""}`,
  );
  out.push("");

  const notes = result.logs.filter((l) => l.severity === "warning" || l.severity === "error");
  if (notes.length > 0) {
    out.push(c("bold", "Diagnostics:"));
    for (const l of notes) {
      const parsed = l.urn ? parseUrn(l.urn) : undefined;
      const where = parsed
        ? `${displayType(parsed.type)} (${parsed.name})`
        : `pulumi:pulumi:Stack (${result.project}-${result.stack})`;
      out.push(`  ${where}:`);
      out.push(`    ${c(l.severity === "error" ? "red" : "yellow", `${l.severity}:`)} ${scrub(l.message)}`);
    }
    out.push("");
  }

  out.push(c("bold", "Policies:"));
  for (const pack of result.packs) {
    const vs = sortViolations(
      result.violations.filter((v) => v.policyPackName === pack.name && v.policyPackVersion === pack.version),
    );
    const mark = vs.some((v) => v.enforcementLevel === "mandatory") ? "❌" : vs.length > 0 ? "⚠️" : "✅";
    out.push(`    ${mark} ${c("cyan", `${pack.name}@v${pack.version}`)} (local: ${pack.path})`);
    for (const v of vs) {
      const colour = v.enforcementLevel === "mandatory" ? "red" : "yellow";
      const severity = v.severity ? ` [severity: ${v.severity}]` : "";
      const parsed = parseUrn(v.resourceUrn);
      const clause = parsed ? `  (${displayType(parsed.type)}: ${parsed.name})` : "";
      out.push(`        - ${c(colour, `[${v.enforcementLevel}]${severity}  ${v.policyName}`)}${clause}`);
      out.push(`          ${c("dim", v.resourceUrn)}`);
      for (const line of scrub(v.message).replace(/\n$/, "").split("\n")) out.push(`          ${line}`);
    }
  }
  out.push("");
  out.push(summaryLine(result, ctx.color));
  return out.join("\n") + "\n";
}

export function summaryLine(result: CheckResult, color = false): string {
  const { mandatory, advisory } = result.summary;
  const n = plannedResources(result).length;
  const what =
    result.mode === "program"
      ? `${n} ${n === 1 ? "resource" : "resources"} to create`
      : `${n} ${n === 1 ? "resource" : "resources"} analyzed`;
  const verdict = mandatory > 0 ? "FAILED" : "passed";
  const text = `Summary: ${what}; ${mandatory} mandatory and ${advisory} advisory policy ${mandatory + advisory === 1 ? "violation" : "violations"}; policy check ${verdict}.`;
  if (!color) return text;
  return mandatory > 0 ? `${ANSI.red}${text}${ANSI.reset}` : `${ANSI.green}${text}${ANSI.reset}`;
}

// ---------------------------------------------------------------------------------------
// json

export function renderJson(result: CheckResult, ctx: ReportContext): string {
  const scrub = scrubberFor(result, ctx);
  const report = {
    mode: result.mode,
    project: result.project,
    stack: result.stack,
    resources: plannedResources(result).map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      inputs: scrubDeep(redact(r.inputs), scrub),
    })),
    policyPacks: result.packs.map((p) => ({
      name: p.name,
      version: p.version,
      policies: p.policies.map((pol) => ({
        name: pol.name,
        description: pol.description,
        enforcementLevel: pol.enforcementLevel,
        severity: pol.severity,
        url: pol.url,
        remediationSteps: pol.remediationSteps,
      })),
    })),
    violations: sortViolations(result.violations).map((v) => ({
      policyPackName: v.policyPackName,
      policyPackVersion: v.policyPackVersion,
      policyName: v.policyName,
      enforcementLevel: v.enforcementLevel,
      severity: v.severity,
      resourceUrn: v.resourceUrn,
      message: scrub(v.message),
    })),
    diagnostics: result.logs
      .filter((l) => l.severity === "warning" || l.severity === "error")
      .map((l) => ({ severity: l.severity, urn: l.urn, message: scrub(l.message) })),
    summary: result.summary,
  };
  return JSON.stringify(report, null, 2) + "\n";
}

function scrubDeep(v: unknown, scrub: (s: string) => string): unknown {
  if (typeof v === "string") return scrub(v);
  if (Array.isArray(v)) return v.map((e) => scrubDeep(e, scrub));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, scrubDeep(e, scrub)]));
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// sarif

/** GitHub code scanning reads a 0-10 "security-severity" to rank alerts. */
const SECURITY_SEVERITY: Record<string, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "2.0" };
const SARIF_LEVEL: Record<string, SarifResult.level> = {
  mandatory: "error",
  remediate: "error",
  advisory: "warning",
  disabled: "none",
};

function sarifRule(p: PolicyInfo): ReportingDescriptor {
  const rule: ReportingDescriptor = {
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
  };
  if (p.url) rule.helpUri = p.url;
  if (p.remediationSteps) rule.help = { text: p.remediationSteps };
  return rule;
}

export function renderSarif(result: CheckResult, ctx: ReportContext): string {
  const scrub = scrubberFor(result, ctx);
  const runs = result.packs.map((pack) => {
    const rules = pack.policies.map(sarifRule);
    const index = new Map(rules.map((r, i) => [r.id, i]));
    const results: SarifResult[] = sortViolations(
      result.violations.filter((v) => v.policyPackName === pack.name && v.policyPackVersion === pack.version),
    ).map((v) => {
      const parsed = parseUrn(v.resourceUrn);
      const r: SarifResult = {
        ruleId: v.policyName,
        level: SARIF_LEVEL[v.enforcementLevel] ?? "warning",
        message: { text: scrub(v.message) },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri: ctx.artifact }, region: { startLine: 1 } },
            logicalLocations: [
              {
                name: parsed?.name ?? v.resourceUrn,
                fullyQualifiedName: v.resourceUrn,
                kind: "resource",
              },
            ],
          },
        ],
        // Stable across runs, so code scanning tracks one alert per policy and resource.
        partialFingerprints: { "policyResource/v1": `${v.policyName}|${v.resourceUrn}` },
        properties: { enforcementLevel: v.enforcementLevel, ...(v.severity ? { severity: v.severity } : {}) },
      };
      const i = index.get(v.policyName);
      if (i !== undefined) r.ruleIndex = i;
      return r;
    });
    return {
      tool: {
        driver: {
          name: pack.name,
          version: pack.version,
          semanticVersion: /^\d+\.\d+\.\d+/.test(pack.version) ? pack.version : undefined,
          informationUri: pack.policies.find((p) => p.url)?.url.split("#")[0],
          rules,
        },
      },
      automationDetails: { id: `policy-check/${result.project}/${result.stack}/` },
      results,
    };
  });
  const log: SarifLog = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs,
  };
  return JSON.stringify(log, null, 2) + "\n";
}

// ---------------------------------------------------------------------------------------
// junit

/** XML 1.0 forbids most control characters, even escaped: they are dropped. */
function dropControlChars(s: string): string {
  return [...s]
    .filter((ch) => ch === "\t" || ch === "\n" || ch === "\r" || ch.charCodeAt(0) >= 0x20)
    .join("");
}

function xml(s: string): string {
  return dropControlChars(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * One test suite per policy pack, one test case per policy: a mandatory violation is a
 * failure, a disabled policy is skipped, advisory violations are written to system-out.
 */
export function renderJunit(result: CheckResult, ctx: ReportContext): string {
  const scrub = scrubberFor(result, ctx);
  const seconds = (result.timings.totalMs / 1000).toFixed(3);
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const pack of result.packs) {
    const cases: string[] = [];
    let packFailures = 0;
    let packSkipped = 0;
    for (const p of pack.policies) {
      const vs = sortViolations(
        result.violations.filter(
          (v) =>
            v.policyPackName === pack.name && v.policyPackVersion === pack.version && v.policyName === p.name,
        ),
      );
      const attrs = `classname="${xml(`${pack.name}.${p.name}`)}" name="${xml(p.name)}"`;
      const body: string[] = [];
      if (p.enforcementLevel === "disabled") {
        body.push(`      <skipped message="policy disabled"/>`);
        packSkipped++;
      }
      for (const v of vs.filter((x) => x.enforcementLevel === "mandatory")) {
        body.push(
          `      <failure type="mandatory" message="${xml(`${p.name}: ${v.resourceUrn}`)}">${xml(`${v.resourceUrn}\n${scrub(v.message)}`)}</failure>`,
        );
      }
      if (vs.some((x) => x.enforcementLevel === "mandatory")) packFailures++;
      const advisories = vs.filter((x) => x.enforcementLevel === "advisory");
      if (advisories.length > 0) {
        body.push(
          `      <system-out>${xml(advisories.map((v) => `[advisory] ${v.resourceUrn}\n${scrub(v.message)}`).join("\n\n"))}</system-out>`,
        );
      }
      cases.push(
        body.length === 0
          ? `    <testcase ${attrs}/>`
          : `    <testcase ${attrs}>\n${body.join("\n")}\n    </testcase>`,
      );
    }
    tests += pack.policies.length;
    failures += packFailures;
    skipped += packSkipped;
    suites.push(
      `  <testsuite name="${xml(`${pack.name}@${pack.version}`)}" tests="${pack.policies.length}" failures="${packFailures}" errors="0" skipped="${packSkipped}" time="${seconds}">\n` +
        `    <properties>\n      <property name="project" value="${xml(result.project)}"/>\n      <property name="stack" value="${xml(result.stack)}"/>\n      <property name="source" value="${xml(ctx.artifact)}"/>\n    </properties>\n` +
        cases.join("\n") +
        "\n  </testsuite>",
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="policy check ${xml(result.project)}/${xml(result.stack)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds}">\n` +
    suites.join("\n") +
    `\n</testsuites>\n`
  );
}

export function render(format: Format, result: CheckResult, ctx: ReportContext): string {
  switch (format) {
    case "json":
      return renderJson(result, ctx);
    case "sarif":
      return renderSarif(result, ctx);
    case "junit":
      return renderJunit(result, ctx);
    default:
      return renderText(result, ctx);
  }
}

/** A path as SARIF wants it: relative to where the report is read, with forward slashes. */
export function artifactUri(file: string, base: string): string {
  return path.relative(base, file).split(path.sep).join("/") || path.basename(file);
}
