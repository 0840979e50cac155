/**
 * bootstrap-user-expiry: the bootstrap user's ExpiresOn tag bounds its life, judged before the user is
 * created or updated, in every form a user can take.
 */
import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { addDays, todayUtc } from "../../lib/expiry";
import { T } from "../../policy/lib/resource-types";
import { byName, runResource, UNKNOWN, type Outcome, type ResourceInput } from "./harness";

const policy = () => byName("bootstrap-user-expiry") as ResourceValidationPolicy;
const user = (tags?: unknown, name = "mgmt-org-admin"): ResourceInput => ({
  type: T.user,
  props: tags === undefined ? { name } : { name, tags },
});
const findings = (o: Outcome) => o.diagnostics.map((d) => [d.enforcementLevel, d.message.split("\n").pop()]);
const inDays = (n: number) => addDays(todayUtc(), n);

describe("bootstrap-user-expiry", () => {
  it("passes a user that expires in more than 7 and at most 90 days", async () => {
    for (const n of [8, 30, 90])
      assert.deepEqual(findings(await runResource(policy(), user({ ExpiresOn: inDays(n) }))), []);
  });

  it("advises in the last 7 days, naming the date and what to do", async () => {
    const soon = await runResource(policy(), user({ ExpiresOn: inDays(3) }));
    assert.deepEqual(findings(soon), [
      [
        "advisory",
        `User "subject" (the bootstrap user "mgmt-org-admin") expires on ${inDays(3)} (in 3 days): finish the bootstrap and destroy it, or extend bootstrapUserLifetimeDays.`,
      ],
    ]);
    const today = await runResource(policy(), user({ ExpiresOn: todayUtc() }));
    assert.match(String(findings(today)[0][1]), /\(today\)/);
    assert.equal(findings(today)[0][0], "advisory");
  });

  it("is mandatory once the date has passed, with no tag, a date that is not one, or one more than 90 days ahead", async () => {
    for (const [tags, says] of [
      [{ ExpiresOn: inDays(-1) }, `expired on ${inDays(-1)}: destroy it`],
      [undefined, "has no ExpiresOn tag: nothing bounds its life"],
      [{ Purpose: "leverage-bootstrap" }, "has no ExpiresOn tag"],
      [{ ExpiresOn: "2026-02-31" }, `has ExpiresOn "2026-02-31", which is not a calendar date (YYYY-MM-DD)`],
      [{ ExpiresOn: "someday" }, "which is not a calendar date"],
      [{ ExpiresOn: inDays(91) }, `has ExpiresOn ${inDays(91)}, more than 90 days ahead`],
    ] as const) {
      const o = await runResource(policy(), user(tags));
      assert.equal(o.diagnostics.length, 1, JSON.stringify(tags));
      assert.equal(o.diagnostics[0].enforcementLevel, "mandatory");
      assert.ok(o.diagnostics[0].message.includes(says), o.diagnostics[0].message);
    }
  });

  it("judges only the bootstrap user (IAM names compare case-insensitively)", async () => {
    assert.deepEqual(findings(await runResource(policy(), user(undefined, "someone-else"))), []);
    const upper = await runResource(policy(), user({ ExpiresOn: inDays(-10) }, "MGMT-ORG-ADMIN"));
    assert.equal(upper.diagnostics[0]?.enforcementLevel, "mandatory");
  });

  it("counts the provider's defaultTags, and takes a tag unknown in preview as not checked yet (advisory)", async () => {
    const viaDefaults = await runResource(policy(), {
      ...user({}),
      provider: {
        type: "pulumi:providers:aws",
        name: "p",
        props: { defaultTags: JSON.stringify({ tags: { ExpiresOn: inDays(-1) } }) },
      },
    });
    assert.match(String(findings(viaDefaults)[0]?.[1]), /expired on/);
    const unknown = await runResource(policy(), user(UNKNOWN));
    assert.deepEqual(
      unknown.diagnostics.map((d) => d.enforcementLevel),
      ["advisory"],
    );
    assert.match(unknown.diagnostics[0].message, /cannot check tags during preview/);
  });

  it("reads the tag of a user in a template (CloudFormation) too", async () => {
    const o = await runResource(policy(), {
      type: T.cfnStack,
      props: {
        templateBody: JSON.stringify({
          Resources: {
            U: {
              Type: "AWS::IAM::User",
              Properties: { UserName: "mgmt-org-admin", Tags: [{ Key: "ExpiresOn", Value: inDays(-2) }] },
            },
          },
        }),
      },
    });
    assert.equal(o.diagnostics[0]?.enforcementLevel, "mandatory");
    assert.match(String(o.diagnostics[0]?.message), /template resource "U" .* expired on/);
  });

  it("takes its warning window from config", async () => {
    const o = await runResource(policy(), user({ ExpiresOn: inDays(20) }), {
      config: { warningDays: 30 },
    });
    assert.deepEqual(
      o.diagnostics.map((d) => d.enforcementLevel),
      ["advisory"],
    );
  });
});
