/**
 * No secret reaches a report, not even a piece of one: secrets in all three forms (wire value,
 * export ciphertext, export --show-secrets plaintext), in the properties policies quote, through
 * the real pack and every report format.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyPack } from "../../gate/analyzer";
import { checkExport } from "../../gate/check";
import { FORMATS, render } from "../../gate/report";
import { T } from "../../policy/lib/resource-types";
import { assertNoSecretPiece, awkwardSecrets, SECRET_FORMS, secretIn } from "../policy/secrets";
import { PACK, sharedDevPack } from "./helpers";

const urn = (type: string, name: string) => `urn:pulumi:dev::management-bootstrap::${type}::${name}`;

describe("gate reports: no piece of a secret in any format", function () {
  let pack: PolicyPack;
  before(async () => {
    pack = await sharedDevPack();
  });
  for (const form of SECRET_FORMS) {
    for (const seed of ["a", "b"]) {
      it(`secrets in ${form} form (seed ${seed})`, async () => {
        const s = awkwardSecrets(`${form}-${seed}`);
        const secret = (i: number) => secretIn(form, s[i % s.length]);
        const resources = [
          {
            type: "pulumi:pulumi:Stack",
            name: "management-bootstrap-dev",
            custom: false,
            outputs: { consolePassword: secret(0) },
          },
          { type: T.user, name: "other", inputs: { name: secret(1) }, outputs: { name: secret(1) } },
          {
            type: T.loginProfile,
            name: "other-login",
            inputs: { user: secret(2) },
            outputs: { user: secret(2), password: secret(0) },
          },
          {
            type: T.userGroupMembership,
            name: "in-group",
            inputs: { user: "mgmt-org-admin", groups: [secret(3)] },
            outputs: {},
          },
          {
            type: T.accountAlias,
            name: "alias",
            inputs: { accountAlias: secret(4) },
            outputs: { accountAlias: secret(4) },
          },
        ].map((r) => ({ urn: urn(r.type, r.name), custom: true, inputs: {}, ...r }));
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-secrets-")), "state.json");
        fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources } }));
        const result = await checkExport({ file, packDir: PACK, timeoutMs: 60_000 }, { pack });
        assert.ok(result.violations.length > 0, "the pack found something to say about these resources");
        for (const format of FORMATS) {
          const text = render(format, result, {
            color: false,
            artifact: "state.json",
            docsUrl: "https://example.com/",
          });
          assertNoSecretPiece(text, s, 10);
        }
      });
    }
  }
});

describe("gate reports: secrets by provenance (issue 20), through --file and every format", function () {
  it("no short secret, secret key or secret template ID in any format; a secret equal to the user name hides it nowhere else", async () => {
    const pack = await sharedDevPack();
    // `pulumi stack export --show-secrets`: the plaintext form, so the values reach the pack.
    const secret = (v: unknown) => secretIn("plaintext", v as string);
    const template = `Resources:\n  HiddenLogicalId:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: hidden-user\n`;
    const resources = [
      { type: "pulumi:pulumi:Stack", name: "management-bootstrap-dev", custom: false },
      {
        type: T.user,
        name: "bootstrap-user",
        inputs: { name: "mgmt-org-admin", tags: { Note: secret("mgmt-org-admin") } },
      },
      { type: T.loginProfile, name: "short", inputs: { user: "mgmt-org-admin", passwordLength: secret(8) } },
      {
        type: T.loginProfile,
        name: "keyed",
        inputs: { user: "mgmt-org-admin", passwordLength: secret({ "hidden-key": 1 }) },
      },
      { type: T.accessKey, name: "key", inputs: { user: secret("bob"), pgpKey: "k" } },
      { type: T.cfnStack, name: "cfn", inputs: { templateBody: secret(template) } },
      {
        type: T.userGroupMembership,
        name: "in-group",
        inputs: { user: "mgmt-org-admin", groups: ["admins"] },
      },
    ].map((r) => ({ urn: urn(r.type, r.name), custom: true, inputs: {}, ...r, outputs: r.inputs ?? {} }));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-provenance-")), "state.json");
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources } }));
    const result = await checkExport({ file, packDir: PACK, timeoutMs: 60_000 }, { pack });
    const about = (policy: string, name: string) =>
      result.violations.find((v) => v.policyName === policy && v.resourceUrn.endsWith(`::${name}`))
        ?.message ?? "";
    assert.match(about("bootstrap-user-password-strength", "short"), /has passwordLength \[secret\], below/);
    assert.match(about("bootstrap-user-password-strength", "keyed"), /not a whole number/);
    assert.match(about("credentials-bootstrap-user-only", "cfn"), /template resource \[secret\]/);
    for (const format of FORMATS) {
      const text = render(format, result, {
        color: false,
        artifact: "state.json",
        docsUrl: "https://example.com/",
      });
      assert.doesNotMatch(text, /\bbob\b|hidden-key|HiddenLogicalId|hidden-user|passwordLength 8\b/, format);
      assert.match(text, /adds the bootstrap user .{0,6}mgmt-org-admin.{0,6} to IAM group/, format);
    }
  });

  it("no key path into a secret in the error line of a malformed export", async () => {
    const bad = { "hidden-path": { [pulumi.runtime.specialSigKey]: "not-a-signature" } };
    const resources = [
      {
        urn: urn(T.user, "u"),
        type: T.user,
        custom: true,
        inputs: {},
        outputs: { name: secretIn("plaintext", bad as never) },
      },
    ];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-provenance-")), "state.json");
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources } }));
    const pack = await sharedDevPack();
    await assert.rejects(checkExport({ file, packDir: PACK, timeoutMs: 60_000 }, { pack }), (e: Error) => {
      assert.match(e.message, /property \.name \(inside a secret\) is a malformed special value/);
      assert.doesNotMatch(e.message, /hidden-path/);
      return true;
    });
  });
});
