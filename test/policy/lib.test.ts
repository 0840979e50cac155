import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { prop, show, strings, str } from "../../policy/lib/props";
import { readStackConfig } from "../../policy/lib/stack-config";
import { findWaiver, isCalendarDate, todayUtc, type Waiver } from "../../policy/lib/waivers";
import { bootstrapUserNoGroups } from "../../policy/policies/bootstrap-user-no-groups";
import { managementAccountName } from "../../policy/policies/management-account-name";
import { T } from "../../policy/lib/resource-types";
import { runResource, runStack, urnOf, wireProps, UNKNOWN, withEnv } from "./harness";

const w = (resource: string, expires: string, reason = "r"): Waiver => ({ resource, reason, expires });

describe("policy lib: waivers", () => {
  const target = { urn: "urn:pulumi:dev::p::t::name", name: "name" };
  it("matches a waiver by URN, by resource name, or by *", () => {
    for (const resource of [target.urn, "name", "*"]) {
      assert.equal(findWaiver([w(resource, "2026-06-30")], target, "2026-06-01").kind, "waived", resource);
    }
    assert.equal(findWaiver([w("other", "2026-06-30")], target, "2026-06-01").kind, "none");
    assert.equal(findWaiver([w("name", "2026-06-30")], {}, "2026-06-01").kind, "none", "stack-wide needs *");
  });
  it("holds through its expiry date and expires the day after", () => {
    assert.equal(findWaiver([w("*", "2026-06-30")], target, "2026-06-30").kind, "waived");
    assert.equal(findWaiver([w("*", "2026-06-30")], target, "2026-07-01").kind, "expired");
  });
  it("prefers a waiver still in force over an expired one, whatever the order", () => {
    const v = findWaiver(
      [w("*", "2026-01-01", "old"), w("name", "2026-12-31", "renewed")],
      target,
      "2026-06-01",
    );
    assert.equal(v.kind, "waived");
    assert.equal(v.kind === "waived" && v.waiver.reason, "renewed");
  });
  it("knows calendar dates and today's UTC date", () => {
    assert.ok(isCalendarDate("2028-02-29"));
    for (const bad of ["2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", ""])
      assert.ok(!isCalendarDate(bad), bad);
    assert.equal(todayUtc(new Date("2026-03-04T23:59:59-05:00")), "2026-03-05");
  });
  it("rejects a waiver whose expiry is no calendar date, in one line naming the policy and the form", async () => {
    const o = await runResource(
      bootstrapUserNoGroups as ResourceValidationPolicy,
      { type: T.userGroupMembership, props: { user: "mgmt-org-admin" } },
      { config: { waivers: [w("*", "2026-02-30")] } },
    );
    assert.equal(o.diagnostics.length, 1);
    assert.match(
      o.diagnostics[0].message,
      /policy config of "bootstrap-user-no-groups" is invalid: .*"2026-02-30".*YYYY-MM-DD/,
    );
  });
  it("rejects unknown config keys instead of ignoring a typo", async () => {
    const o = await runResource(
      bootstrapUserNoGroups as ResourceValidationPolicy,
      { type: T.userGroupMembership, props: { user: "alice" } },
      { config: { usrName: "x" } },
    );
    assert.match(o.diagnostics[0]?.message ?? "", /unknown key "usrName"/);
  });
  it("waives a stack-wide finding with * and reports it advisory with the reason", async () => {
    await withEnv(
      {
        PULUMI_PROJECT: "proj",
        PULUMI_CONFIG: JSON.stringify({ "proj:projectName": "acme", "proj:accountName": "acme" }),
      },
      async () => {
        const o = await runStack(managementAccountName as never, [], {
          config: { waivers: [w("*", "2999-12-31", "legacy account name, renamed in OPS-9")] },
        });
        assert.equal(o.diagnostics.length, 1);
        assert.equal(o.diagnostics[0].enforcementLevel, "advisory");
        assert.match(
          o.diagnostics[0].message,
          /WAIVED until 2999-12-31 \(legacy account name, renamed in OPS-9\): Stack config/,
        );
      },
    );
  });
});

describe("policy lib: safe property access", () => {
  it("reads own properties only and never throws on wrong types", () => {
    const p = wireProps({ user: "a", users: ["x", 3, null, "y"], n: 5, obj: { constructor: 1 } });
    assert.equal(str(p, "user"), "a");
    assert.equal(str(p, "n"), undefined);
    assert.deepEqual(strings(p, "users"), ["x", "y"]);
    assert.deepEqual(strings(p, "user"), []);
    assert.equal(prop(p, "constructor"), undefined);
    assert.equal(prop(undefined, "x"), undefined);
  });
  it("lets an unknown through as UnknownValueError, as @pulumi/policy expects", () => {
    const p = wireProps({ user: UNKNOWN.string });
    assert.throws(
      () => str(p, "user"),
      (e: Error) => e.constructor.name === "UnknownValueError",
    );
  });
  it("shortens long values in messages", () => {
    assert.equal(show("abc"), '"abc"');
    assert.ok(show("x".repeat(500)).length <= 80);
    assert.equal(show(undefined), "undefined");
  });
});

describe("policy lib: the stack's config", () => {
  it("reads <project>:<key> from PULUMI_CONFIG, also the legacy :config: form", () => {
    const c = readStackConfig({
      PULUMI_PROJECT: "p",
      PULUMI_CONFIG: JSON.stringify({
        "p:projectName": "acme",
        "p:config:accountName": "acme-management",
        "q:projectName": "other",
      }),
    });
    assert.equal(c.get("projectName"), "acme");
    assert.equal(c.get("accountName"), "acme-management");
    assert.equal(
      readStackConfig({
        PULUMI_NODEJS_PROJECT: "q",
        PULUMI_CONFIG: JSON.stringify({ "q:projectName": "o" }),
      }).get("projectName"),
      "o",
    );
  });
  it("treats a missing project or malformed config as unset", () => {
    assert.equal(
      readStackConfig({ PULUMI_CONFIG: JSON.stringify({ "p:projectName": "acme" }) }).get("projectName"),
      undefined,
    );
    assert.equal(
      readStackConfig({ PULUMI_PROJECT: "p", PULUMI_CONFIG: "{not json" }).get("projectName"),
      undefined,
    );
  });
  it("leaves the test's environment as it found it", async () => {
    const before = process.env.PULUMI_CONFIG;
    await withEnv({ PULUMI_CONFIG: "{}" }, async () => assert.equal(process.env.PULUMI_CONFIG, "{}"));
    assert.equal(process.env.PULUMI_CONFIG, before);
    assert.ok(urnOf("a", "b").endsWith("::a::b"));
  });
});
