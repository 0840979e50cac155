import * as assert from "node:assert/strict";
import type { CheckResult, Violation } from "../../checker/check";
import {
  displayType,
  makeScrubber,
  renderText,
  secretValues,
  sortViolations,
  summaryLine,
} from "../../checker/report";
import { OUTPUT_VALUE_SIG, SIG_KEY, secret } from "../../checker/wire";

function violation(p: Partial<Violation>): Violation {
  return {
    policyPackName: "pack",
    policyPackVersion: "1.0.0",
    policyName: "p",
    enforcementLevel: "advisory",
    severity: "",
    resourceUrn: "urn:pulumi:s::proj::t:m:T::r",
    message: "m",
    ...p,
  };
}

function result(p: Partial<CheckResult>): CheckResult {
  return {
    mode: "program",
    project: "proj",
    stack: "s",
    resources: [],
    packs: [],
    violations: [],
    logs: [],
    timings: { packStartMs: 0, programMs: 0, analysisMs: 0, totalMs: 0 },
    summary: { mandatory: 0, advisory: 0 },
    ...p,
  };
}

describe("checker/report: pieces of the text, JSON, SARIF and JUnit reports", function () {
  it("shows types as pulumi preview does (tokens.Type.DisplayName)", function () {
    assert.equal(displayType("aws:iam/user:User"), "aws:iam:User");
    assert.equal(displayType("aws:iam/userLoginProfile:UserLoginProfile"), "aws:iam:UserLoginProfile");
    assert.equal(displayType("random:index/randomId:RandomId"), "random:index:RandomId");
    assert.equal(displayType("pulumi:providers:aws"), "pulumi:providers:aws");
    assert.equal(displayType("aws:iam/foo:Bar"), "aws:iam/foo:Bar");
  });

  it("orders violations as the preview does: level, severity, policy, URN", function () {
    const sorted = sortViolations([
      violation({ policyName: "b", enforcementLevel: "advisory", severity: "critical" }),
      violation({ policyName: "z", enforcementLevel: "mandatory", severity: "low" }),
      violation({ policyName: "a", enforcementLevel: "mandatory", severity: "high" }),
      violation({ policyName: "a", enforcementLevel: "mandatory", severity: "high", resourceUrn: "urn:a" }),
    ]);
    assert.deepEqual(
      sorted.map((v) => `${v.enforcementLevel}/${v.policyName}/${v.resourceUrn}`),
      [
        "mandatory/a/urn:a",
        "mandatory/a/urn:pulumi:s::proj::t:m:T::r",
        "mandatory/z/urn:pulumi:s::proj::t:m:T::r",
        "advisory/b/urn:pulumi:s::proj::t:m:T::r",
      ],
    );
  });

  it("finds every secret value (secrets, secret output values, export plaintexts) and scrubs them, longest first", function () {
    const found = secretValues([
      {
        a: secret("hunter2hunter2"),
        b: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: "outputsecret", secret: true },
      },
      { nested: [secret({ inner: "deepsecret" })], plain: "visible" },
    ]).sort();
    assert.deepEqual(found, ["deepsecret", "hunter2hunter2", "outputsecret"]);
    const scrub = makeScrubber(["hunter2", "hunter2hunter2", "ab"]);
    assert.equal(scrub("x hunter2hunter2 y hunter2 z ab"), "x [secret] y [secret] z ab");
  });

  it("text: cuts long values, puts the summary last, one line", function () {
    const r = result({
      resources: [
        {
          urn: "urn:pulumi:s::proj::aws:iam/userLoginProfile:UserLoginProfile::lp",
          type: "aws:iam/userLoginProfile:UserLoginProfile",
          name: "lp",
          custom: true,
          parent: "",
          provider: "",
          inputs: { pgpKey: "k".repeat(500), password: secret("pw-pw-pw-pw") },
          outputs: {},
          options: {},
          dependencies: [],
          propertyDependencies: {},
          defaultProvider: false,
        },
      ],
      summary: { mandatory: 0, advisory: 1 },
    });
    const text = renderText(r, { color: false, artifact: "index.ts" });
    assert.match(text, /pgpKey: "k{80}"\.\.\. \(500 characters\)\n/);
    assert.match(text, /password: \[secret\]\n/);
    assert.ok(!text.includes("pw-pw-pw-pw"));
    assert.equal(text.trimEnd().split("\n").pop(), summaryLine(r));
    assert.equal(
      summaryLine(r),
      "Summary: 1 resource to create; 0 mandatory and 1 advisory policy violation; policy check passed.",
    );
  });
});
