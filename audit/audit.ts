/**
 * `npm run audit`: the live account read through the SDK (aws.ts), made into the pack's resource shapes
 * (shapes.ts) and judged by the same pack through the path `npm run check -- --file` takes (gate/check.ts
 * judge), plus the audit-only rules (rules/) in the same report.
 */
import { DEFAULT_BOOTSTRAP_USER_NAME, sameIamUserName } from "../lib/naming";
import { quote } from "../lib/text";
import { PolicyPack, type LogEntry, type PolicyInfo } from "../gate/analyzer";
import { CheckError, judge, type CheckResult, type Violation } from "../gate/check";
import { loadStackConfig } from "../gate/stack-config";
import { expiryProblem, todayUtc } from "../policy/lib/waivers";
import { makeClients, readAccount, whoAmI, type Clients } from "./aws";
import { toResources } from "./shapes";
import { AUDIT_RULES } from "./rules";
import { urlOf, type AuditRule } from "./rules/define";

export const AUDIT_PACK = { name: "management-bootstrap-audit", version: "0.1.0" };

/** How the credentials were handed over is not in the account: this pack rule is off unless configured. */
const NOT_IN_ACCOUNT = "bootstrap-credentials-encrypted";

export interface AuditOptions {
  cwd: string;
  stack: string;
  packDir: string;
  policyConfig?: { text: string; file: string };
  timeoutMs: number;
}

/** For tests: a started pack to reuse (left running), clients with a stand-in `send`, the time. */
export type AuditParts = { pack?: PolicyPack; clients?: Clients; now?: Date };

type RuleConfig = {
  enforcementLevel: "mandatory" | "advisory" | "disabled";
  knobs: Record<string, number>;
  /** A mandatory rule lowered: why and until when, reported with every audit (as policy-config-overrides does). */
  override?: { reason: string; expires: string };
};

/**
 * Splits the policy config: entries for audit-only rules are judged here (level, knobs, and for a lowered
 * mandatory rule a reason and an expiry, as the pack asks), the rest goes to the pack.
 */
export function splitPolicyConfig(
  text: string | undefined,
  file: string,
  today = todayUtc(),
): { packText: string; rules: Map<string, RuleConfig>; explicitUserName?: string } {
  let given: Record<string, unknown> = {};
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CheckError(`${file} is not valid JSON; expected an object keyed by policy name or "all"`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new CheckError(`${file} must be a JSON object keyed by policy name or "all"`);
    given = parsed as Record<string, unknown>;
  }
  const rules = new Map<string, RuleConfig>();
  const pack: Record<string, unknown> = { [NOT_IN_ACCOUNT]: "disabled" };
  for (const [name, value] of Object.entries(given)) {
    const rule = AUDIT_RULES.find((r) => r.name === name);
    if (!rule) {
      pack[name] = value;
      continue;
    }
    rules.set(name, ruleConfig(rule as AuditRule, value, file, today));
  }
  // "all": mandatory raises the advisory rules too, as the pack's reconcile does (the pack refuses lowering all).
  const all =
    typeof given.all === "string" ? given.all : (given.all as Record<string, unknown>)?.enforcementLevel;
  for (const rule of AUDIT_RULES)
    if (!rules.has(rule.name))
      rules.set(
        rule.name,
        ruleConfig(rule as AuditRule, all === "mandatory" ? "mandatory" : {}, file, today),
      );
  const userName = (given["bootstrap-user-name"] as Record<string, unknown> | undefined)?.userName;
  return {
    packText: JSON.stringify(pack),
    rules,
    explicitUserName: typeof userName === "string" ? userName : undefined,
  };
}

function ruleConfig(rule: AuditRule, value: unknown, file: string, today: string): RuleConfig {
  const where = `${file}: ${quote(rule.name)}`;
  const raw = (typeof value === "string" ? { enforcementLevel: value } : value) as Record<string, unknown>;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new CheckError(`${where} must be an enforcement level or an object`);
  const { enforcementLevel = rule.enforcementLevel, reason, expires, ...knobs } = raw;
  if (!["mandatory", "advisory", "disabled"].includes(enforcementLevel as string))
    throw new CheckError(
      `${where} has enforcement level ${quote(enforcementLevel)}; expected mandatory, advisory or disabled`,
    );
  if (rule.enforcementLevel === "mandatory" && enforcementLevel !== "mandatory") {
    if (typeof reason !== "string" || reason === "" || typeof expires !== "string")
      throw new CheckError(
        `${where}: ${String(enforcementLevel)} instead of mandatory needs a "reason" and an "expires" date (YYYY-MM-DD), as a waiver does`,
      );
    const problems = expiryProblem(`${rule.name} override expires on`, expires, 90, today);
    if (today > expires) problems.push(`${rule.name} override expired on ${expires}: renew it or remove it`);
    if (problems.length > 0) throw new CheckError(`${file}: ${problems.join("; ")}`);
  }
  const out: Record<string, number> = {};
  for (const [k, knob] of Object.entries(rule.knobs ?? {})) out[k] = knob.default;
  for (const [k, v] of Object.entries(knobs)) {
    const knob = rule.knobs?.[k];
    if (!knob)
      throw new CheckError(
        `${where}: unknown key ${quote(k)} (it takes enforcementLevel${Object.keys(rule.knobs ?? {})
          .map((n) => `, ${n}`)
          .join("")}, reason, expires)`,
      );
    if (typeof v !== "number" || !Number.isInteger(v) || v < knob.minimum || v > knob.maximum)
      throw new CheckError(
        `${where}: ${k} ${quote(v)} is not a whole number from ${knob.minimum} to ${knob.maximum}`,
      );
    out[k] = v;
  }
  const level = enforcementLevel as RuleConfig["enforcementLevel"];
  const lowered = rule.enforcementLevel === "mandatory" && level !== "mandatory";
  return {
    enforcementLevel: level,
    knobs: out,
    ...(lowered ? { override: { reason: reason as string, expires: expires as string } } : {}),
  };
}

/** The audit rules as a pack's policies, with their configured levels, for the report. */
function auditPolicies(rules: Map<string, RuleConfig>): PolicyInfo[] {
  return AUDIT_RULES.map((r) => ({
    name: r.name,
    description: r.description,
    enforcementLevel: rules.get(r.name)!.enforcementLevel,
    severity: r.severity,
    remediationSteps: r.remediationSteps,
    url: urlOf(r),
    tags: ["audit"],
  }));
}

export async function runAudit(opts: AuditOptions, parts: AuditParts = {}): Promise<CheckResult> {
  const started = Date.now();
  const { project: projectFile, config, secretKeys } = loadStackConfig(opts.cwd, opts.stack);
  const project = projectFile.name;
  const file = opts.policyConfig?.file ?? "policy config";
  const split = splitPolicyConfig(opts.policyConfig?.text, file);
  const userName =
    split.explicitUserName ?? config[`${project}:bootstrapUserName`] ?? DEFAULT_BOOTSTRAP_USER_NAME;
  // Credentials and endpoint first (milliseconds), so that without them nothing starts; then the account is
  // read while the pack starts (seconds: it type-checks).
  const clients = parts.clients ?? makeClients();
  const caller = await whoAmI(clients);
  let packStartMs = 0;
  const packP =
    parts.pack ??
    PolicyPack.start(opts.packDir, opts.timeoutMs, {
      project,
      stack: opts.stack,
      config,
      secretKeys,
      dryRun: false,
    }).finally(() => (packStartMs = Date.now() - started));
  let readMs = 0;
  const factsP = readAccount(clients, caller).finally(() => (readMs = Date.now() - started));
  const [packR, factsR] = await Promise.allSettled([packP, factsP]);
  const pack = packR.status === "fulfilled" ? packR.value : undefined;
  try {
    if (factsR.status === "rejected") throw factsR.reason;
    if (packR.status === "rejected") throw packR.reason;
    const facts = factsR.value;
    const resources = toResources(facts, project, opts.stack);
    const verdict = await judge(
      pack!,
      { packDir: opts.packDir, policyConfig: { text: split.packText, file }, timeoutMs: opts.timeoutMs },
      resources,
    );
    const stackUrn = resources[0].urn;
    const urnOf = (type: string, name: string) =>
      resources.find((r) => r.type === type && r.name === name)?.urn ?? stackUrn;
    const user = facts.users.find((u) => sameIamUserName(u.name, userName));
    const now = parts.now ?? new Date();
    const violations: Violation[] = [];
    for (const rule of AUDIT_RULES) {
      const c = split.rules.get(rule.name)!;
      if (c.enforcementLevel === "disabled") continue;
      const ctx = { facts, user, userName, config: c.knobs as never, now, urnOf, stackUrn };
      for (const f of rule.check(ctx))
        violations.push({
          policyName: rule.name,
          policyPackName: AUDIT_PACK.name,
          policyPackVersion: AUDIT_PACK.version,
          message: `${rule.description}\n${f.message}`,
          enforcementLevel: c.enforcementLevel,
          severity: rule.severity,
          resourceUrn: f.urn,
        });
    }
    const logs: LogEntry[] = [
      {
        severity: "info",
        message: `account ${facts.accountId}${facts.organization ? `, ${facts.organization.accountName ? `named ${quote(facts.organization.accountName)} ` : ""}in organization ${facts.organization.id}` : ", in no organization"}`,
        urn: stackUrn,
      },
      ...(user
        ? []
        : [
            {
              severity: "info" as const,
              message: `the bootstrap user ${quote(userName)} does not exist in account ${facts.accountId}`,
              urn: stackUrn,
            },
          ]),
      ...[...split.rules].flatMap(([name, c]) =>
        c.override
          ? [
              {
                severity: "warning" as const,
                message: `the policy config overrides ${quote(name)}: ${c.enforcementLevel} instead of mandatory, until ${c.override.expires} (reason: ${c.override.reason})`,
                urn: stackUrn,
              },
            ]
          : [],
      ),
      ...facts.unchecked.map((message) => ({ severity: "warning" as const, message, urn: "" })),
      {
        severity: "info",
        message: `not in the account, so not checked: whether the credentials were handed over encrypted (${NOT_IN_ACCOUNT}) and the generated password's length`,
        urn: "",
      },
    ];
    const count = (level: string) => violations.filter((v) => v.enforcementLevel === level).length;
    const analysed = Date.now();
    return {
      mode: "audit",
      project,
      stack: opts.stack,
      resources,
      outputs: {},
      packs: [...verdict.packs, { ...AUDIT_PACK, path: "audit/rules", policies: auditPolicies(split.rules) }],
      violations: [...verdict.violations, ...violations],
      logs: [...logs, ...verdict.logs],
      uncheckedKeys: [],
      timings: {
        packStartMs,
        programMs: readMs,
        analysisMs: analysed - Math.max(readMs, packStartMs) - started,
        totalMs: analysed - started,
      },
      summary: {
        mandatory: verdict.summary.mandatory + count("mandatory"),
        advisory: verdict.summary.advisory + count("advisory"),
      },
    };
  } finally {
    if (!parts.pack) await pack?.close();
  }
}
