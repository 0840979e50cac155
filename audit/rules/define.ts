/**
 * An audit-only rule: a fact of the live account that no plan holds (the root user, Identity Center, how long a
 * credential sat unused). Each rule is a file of its own, its metadata beside its code, as the pack's are.
 */
import type { AccountFacts, UserFacts } from "../aws";

export type Knob = {
  type: "integer";
  default: number;
  minimum: number;
  maximum: number;
  description: string;
};

export interface RuleContext<K> {
  facts: AccountFacts;
  /** The bootstrap user, when the account has it. */
  user?: UserFacts;
  userName: string;
  config: K;
  now: Date;
  /** The URN of the resource the audit made of an AWS identifier (see shapes.ts), or the stack's. */
  urnOf(type: string, name: string): string;
  stackUrn: string;
}

export type Finding = { message: string; urn: string };

export interface AuditRule<K = Record<string, number>> {
  name: string;
  description: string;
  enforcementLevel: "mandatory" | "advisory";
  severity: "low" | "medium" | "high" | "critical";
  remediationSteps: string;
  knobs?: Record<keyof K & string, Knob>;
  check(ctx: RuleContext<K>): Finding[];
}

/** The rule with its documentation's address, as the pack's rules have theirs. */
export const urlOf = (rule: Pick<AuditRule, "name">) => `docs/audit.md#${rule.name}`;
