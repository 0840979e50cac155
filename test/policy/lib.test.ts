import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { configProblems } from "../../policy/lib/define";
import { ConfigureAnalyzerRequest, PolicyConfig } from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { errorLine, prepareProps, stackConfig, withSentNames, wrapAnalyzer } from "../../policy/lib/engine";
import { configSecrets } from "../../policy/lib/secrets";
import { T } from "../../policy/lib/resource-types";
import { findWaiver, isCalendarDate, todayUtc, type Waiver } from "../../policy/lib/waivers";
import { policies } from "../../policy/policies";
import { goodStack } from "./fixtures";
import { runPolicy, runResource, urnOf, withStack } from "./harness";
import type { ResourceValidationPolicy } from "@pulumi/policy";

const days = (n: number) => todayUtc(new Date(Date.now() + n * 86_400_000));
const noGroups = policies.find((p) => p.name === "bootstrap-user-no-groups") as ResourceValidationPolicy;
const membership = {
  type: T.userGroupMembership,
  name: "m",
  props: { user: "mgmt-org-admin", groups: ["admins"] },
};

describe("policy lib: waivers name one resource", () => {
  const target = { urn: urnOf(T.userGroupMembership, "m"), type: T.userGroupMembership, name: "m" };
  const w = (x: Partial<Waiver>, expires = "2026-06-30"): Waiver => ({ reason: "r", expires, ...x });
  it("match by URN, or by type and name together, never by a bare name", () => {
    assert.equal(findWaiver([w({ urn: target.urn })], target, "2026-06-01").kind, "waived");
    assert.equal(
      findWaiver([w({ type: T.userGroupMembership, name: "m" })], target, "2026-06-01").kind,
      "waived",
    );
    assert.equal(
      findWaiver([w({ type: T.user, name: "m" })], target, "2026-06-01").kind,
      "none",
      "same name, other type",
    );
    assert.deepEqual(
      configProblems(
        new Map([
          ["bootstrap-user-no-groups", { waivers: [{ resource: "m", reason: "r", expires: days(5) }] }],
        ]),
      ).length > 0,
      true,
    );
    assert.ok(
      configProblems(
        new Map([["bootstrap-user-no-groups", { waivers: [{ name: "m", reason: "r", expires: days(5) }] }]]),
      ).length > 0,
    );
  });
  it("hold through the expiry date, expire the day after; a renewal wins over an expired entry", () => {
    assert.equal(findWaiver([w({ urn: target.urn })], target, "2026-06-30").kind, "waived");
    assert.equal(findWaiver([w({ urn: target.urn })], target, "2026-07-01").kind, "expired");
    const v = findWaiver(
      [w({ urn: target.urn }, "2026-01-01"), w({ urn: target.urn, reason: "renewed" })],
      target,
      "2026-06-01",
    );
    assert.equal(v.kind === "waived" && v.waiver.reason, "renewed");
    assert.ok(isCalendarDate("2028-02-29") && !isCalendarDate("2026-02-30"));
  });
  it("run at most waiverMaxDays (default 90) ahead", () => {
    const cfg = (expires: string, max?: number) =>
      configProblems(
        new Map([
          [
            "bootstrap-user-no-groups",
            { waivers: [{ urn: target.urn, reason: "r", expires }], ...(max ? { waiverMaxDays: max } : {}) },
          ],
        ]),
      );
    assert.deepEqual(cfg(days(90)), []);
    assert.match(cfg(days(91)).join(), /more than waiverMaxDays \(90\)/);
    assert.deepEqual(cfg(days(200), 366), []);
  });
  it("a waived finding is reported advisory with its reason; an expired one at the policy's level", async () => {
    const waived = await runResource(noGroups, membership, {
      config: {
        waivers: [{ urn: urnOf(T.userGroupMembership, "m"), reason: "migration", expires: days(3) }],
      },
    });
    assert.equal(waived.diagnostics[0].enforcementLevel, "advisory");
    // Description, then the detail on the next line, as for any finding (pulumi preview shows both).
    const [description, detail, ...more] = waived.diagnostics[0].message.split("\n");
    assert.equal(description, noGroups.description);
    assert.match(detail, /^WAIVED until .* \(migration\): UserGroupMembership "m" adds/);
    assert.deepEqual(more, []);
  });
  it("a waiver that matches no resource of the stack is reported as stale, its URN whole", async () => {
    const stale = policies.find((p) => p.name === "waivers-not-stale")!;
    // Longer than a quoted value's usual cut (80): a URN is not secret, and a cut one cannot be found.
    const gone = urnOf(T.userGroupMembership, "bootstrap-user-in-the-administrators-group-gone");
    const configs = {
      "bootstrap-user-no-groups": {
        waivers: [
          { type: T.userGroupMembership, name: "gone", reason: "r", expires: days(3) },
          { urn: gone, reason: "r", expires: days(3) },
        ],
      },
    };
    const o = await withStack({ policyConfigs: configs }, () => runPolicy(stale, goodStack()));
    assert.equal(o.diagnostics.length, 2);
    assert.match(o.diagnostics[0].message, /matches no resource of this stack: it is stale/);
    assert.ok(gone.length > 100);
    assert.ok(
      o.diagnostics[1].message.includes(`for "${gone}" matches no resource`),
      o.diagnostics[1].message,
    );
  });
});

describe("policy lib: a bad policy config stops the check, naming the key", () => {
  it("an unknown policy name, an unknown knob, a bad value", () => {
    const problems = configProblems(
      new Map<string, unknown>([
        ["bootstrap-user-no-group", {}],
        ["bootstrap-user-access-keys", { maximumAccesKeys: 1 }],
        ["bootstrap-user-password-strength", { minimumPasswordLength: 2 }],
        ["all", {}],
      ]),
    );
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.match(problems[0], /unknown policy "bootstrap-user-no-group"/);
    assert.match(problems[1], /unknown key "maximumAccesKeys"/);
    assert.match(problems[2], /minimumPasswordLength must be >= 6/);
  });
  it("inside a policy run too: an error, not a finding", async () => {
    await assert.rejects(runResource(noGroups, membership, { config: { typo: 1 } }), /unknown key "typo"/);
  });
  it("Configure answers INVALID_ARGUMENT and never calls @pulumi/policy's handler", async () => {
    let called = false;
    const impl = wrapAnalyzer(
      {
        configure: (_c, cb) => {
          called = true;
          cb(null, {});
        },
      },
      grpc.status,
      configProblems,
    );
    const pc = new Map([
      ["no-such-policy", { getProperties: () => Struct.fromJavaScript({}), getEnforcementlevel: () => 1 }],
    ]);
    const err = await new Promise<{ code: number; details: string }>((resolve) =>
      impl.configure({ request: { getPolicyconfigMap: () => pc } }, (e) => resolve(e as never)),
    );
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /unknown policy "no-such-policy"/);
    assert.equal(called, false);
  });
});

describe("policy lib: __proto__ as a policy name is refused, though protobuf's JS map drops it (issue 19)", () => {
  it("Configure answers INVALID_ARGUMENT naming it", async () => {
    // The engine sends the name as given; the bytes are built by hand, since this client's map drops it too.
    const req = new ConfigureAnalyzerRequest();
    req.getPolicyconfigMap().set("xxproto__", new PolicyConfig().setEnforcementlevel(2));
    const bytes = Buffer.from(
      Buffer.from(req.serializeBinary()).toString("latin1").replace("xxproto__", "__proto__"),
      "latin1",
    );
    const service = withSentNames(
      AnalyzerService as unknown as { configure: { requestDeserialize: (b: Buffer) => object } },
    );
    const request = service.configure.requestDeserialize(bytes);
    assert.deepEqual(
      [...(request as ConfigureAnalyzerRequest).getPolicyconfigMap().keys()],
      [],
      "the map dropped it",
    );
    const impl = wrapAnalyzer({}, grpc.status, configProblems);
    const err = await new Promise<{ code: number; details: string }>((resolve) =>
      impl.configure({ request }, (e) => resolve(e as never)),
    );
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /unknown policy "__proto__"/);
  });
});

describe("policy lib: malformed input fails at once, in one line", () => {
  const S = pulumi.runtime.specialSigKey;
  for (const [what, v] of Object.entries({
    "secret without value": { [S]: pulumi.runtime.specialSecretSig },
    "asset without path/text/uri": { [S]: pulumi.runtime.specialAssetSig },
    "asset with an object path": { [S]: pulumi.runtime.specialAssetSig, path: { a: 1 } },
    "archive with a bad member": { [S]: pulumi.runtime.specialArchiveSig, assets: { x: "s" } },
    "unknown signature": { [S]: "not-a-signature" },
  })) {
    it(what, () =>
      assert.throws(
        () => prepareProps({ a: [v] }, 'aws:iam/user:User "u"'),
        /property \.a\[0\][^ ]* is a malformed/,
      ),
    );
  }
  it("a handler that throws is answered; the error has no stack frames, no secret, no control characters", async () => {
    const impl = wrapAnalyzer(
      {
        analyze: () => {
          throw new Error("boom \u001b[31mred\nat x\n    at frame (file.js:1:1)");
        },
      },
      grpc.status,
      () => [],
    );
    const req = {
      getProperties: () => Struct.fromJavaScript({}),
      setProperties: () => undefined,
      getType: () => "t",
      getName: () => "n",
    };
    const err = await new Promise<{ details: string }>((resolve) =>
      impl.analyze({ request: req }, (e) => resolve(e as never)),
    );
    assert.equal(err.details, "boom red at x");
  });
  it("errorLine redacts the secrets of the request it answers, and only those", () => {
    const { secrets } = prepareProps(
      {
        k: { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: "hunter2-secret-value" },
      },
      "x",
    );
    assert.equal(errorLine(new Error("bad hunter2-secret-value"), secrets), "bad [secret]");
    assert.equal(errorLine(new Error("bad hunter2-secret-value")), "bad hunter2-secret-value");
  });
});

describe("policy lib: the stack's config through pulumi.Config, secret keys honoured", () => {
  it("reads <project>:<key> as ConfigureStack set it and knows the secret values", async () => {
    await withStack(
      {
        config: { "management-bootstrap:projectName": "acme", "management-bootstrap:pw": "s3cr3t-config" },
        secretKeys: ["management-bootstrap:pw"],
      },
      async () => {
        assert.equal(stackConfig().get("projectName"), "acme");
        assert.ok(configSecrets().holds("s3cr3t-config"));
        assert.ok(!configSecrets().holds("acme"));
      },
    );
    assert.ok(!configSecrets().holds("s3cr3t-config"), "restored");
  });
});

describe("policy lib: the policy config cannot quietly switch the runbook off (issue 20, item 6)", () => {
  const ok = { reason: "OPS-9: group removed next release", expires: days(30) };
  const problems = (entries: Record<string, Record<string, unknown>>) =>
    configProblems(new Map(Object.entries(entries)));

  it('"all" may not lower every rule, with or without the rest of the config', () => {
    for (const level of ["advisory", "disabled"]) {
      const p = problems({ all: { enforcementLevel: level } });
      assert.equal(p.length, 1, p.join("\n"));
      assert.match(p[0], new RegExp(`"all" may not set every policy to ${level}`));
    }
    assert.deepEqual(problems({ all: { enforcementLevel: "mandatory" } }), []);
  });

  it("lowering or disabling a mandatory rule, or another userName, needs a reason and an expiry", () => {
    for (const change of [
      { enforcementLevel: "advisory" },
      { enforcementLevel: "disabled" },
      { userName: "someone-else" },
    ]) {
      assert.match(
        problems({ "bootstrap-user-no-groups": change }).join(),
        /bootstrap-user-no-groups: .* needs a "reason" and an "expires" date/,
        JSON.stringify(change),
      );
      assert.deepEqual(problems({ "bootstrap-user-no-groups": { ...change, ...ok } }), []);
    }
    // Not a change: the same user in other letter case, an advisory rule made advisory.
    assert.deepEqual(problems({ "bootstrap-user-no-groups": { userName: "MGMT-ORG-ADMIN" } }), []);
    assert.deepEqual(problems({ "bootstrap-user-temporary": { enforcementLevel: "advisory" } }), []);
  });

  it("an override's expiry is a calendar date, at most waiverMaxDays ahead, and not past", () => {
    const lowered = (expires: string) =>
      problems({ "bootstrap-user-no-groups": { enforcementLevel: "advisory", reason: "r", expires } }).join();
    assert.match(lowered(days(-1)), /expired on/);
    assert.match(lowered(days(91)), /more than waiverMaxDays \(90\)/);
    assert.match(lowered("2026-02-30"), /not a calendar date/);
  });

  it("the rule that reports overrides cannot be disabled", () => {
    assert.match(
      problems({ "policy-config-overrides": { enforcementLevel: "disabled" } }).join(),
      /policy-config-overrides cannot be disabled/,
    );
  });

  it("every override is reported, advisory, with its reason and expiry", async () => {
    const reporter = policies.find((p) => p.name === "policy-config-overrides")!;
    const policyConfigs = {
      "bootstrap-user-no-groups": { enforcementLevel: "disabled", ...ok },
      "bootstrap-user-name": { enforcementLevel: "mandatory", userName: "other-admin", ...ok },
      "bootstrap-user-temporary": { enforcementLevel: "advisory" },
    };
    const o = await withStack({ policyConfigs }, () => runPolicy(reporter, goodStack()));
    assert.deepEqual(
      o.diagnostics.map((d) => d.enforcementLevel),
      ["advisory", "advisory"],
    );
    const text = o.diagnostics.map((d) => d.message).join("\n");
    assert.match(
      text,
      /overrides "bootstrap-user-no-groups": disabled instead of mandatory, until .* \(reason: OPS-9/,
    );
    assert.match(text, /overrides "bootstrap-user-name": userName "other-admin" instead of "mgmt-org-admin"/);
  });
});

describe("policy lib: a waiver by type and name matches the same parent chain only, as a URN would", () => {
  const w: Waiver = { type: T.userGroupMembership, name: "m", reason: "r", expires: days(3) };
  it("a top-level waiver is not borrowed by a same-named resource under a component", () => {
    const top = urnOf(T.userGroupMembership, "m");
    const nested = urnOf(`acme:index:Bootstrap$${T.userGroupMembership}`, "m");
    assert.equal(
      findWaiver([w], { urn: top, type: T.userGroupMembership, name: "m" }, days(0)).kind,
      "waived",
    );
    assert.equal(
      findWaiver([w], { urn: nested, type: T.userGroupMembership, name: "m" }, days(0)).kind,
      "none",
    );
  });
});
