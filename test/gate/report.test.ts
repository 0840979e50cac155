/**
 * No secret reaches a report, not even a piece of one: secrets in all three forms (wire value,
 * export ciphertext, export --show-secrets plaintext), in the properties policies quote, through
 * the real pack and every report format.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as assert from "node:assert/strict";
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
