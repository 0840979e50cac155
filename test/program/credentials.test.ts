import * as assert from "node:assert/strict";
import { BootstrapConfig } from "../../lib/config";
import { credentialsIssueName, issueKeepers, pendingSettings, readIssueKeepers } from "../../lib/credentials";

const config: BootstrapConfig = {
  projectName: "acme",
  accountName: "acme-management",
  bootstrapUserName: "mgmt-org-admin",
  passwordLength: 32,
  passwordResetRequired: true,
  manageAccountAlias: true,
  credentialsRotation: "1",
  createAccessKey: false,
  bootstrapUserLifetimeDays: 30,
};

describe("credential rotation rules", () => {
  it("names one issue per rotation value, stable across runs and URN-safe", () => {
    assert.equal(credentialsIssueName("1"), credentialsIssueName("1"));
    assert.notEqual(credentialsIssueName("1"), credentialsIssueName("2"));
    assert.match(credentialsIssueName("weird::value with spaces/ü"), /^credentials-issue-[0-9a-f]{12}$/);
  });

  it("records the settings as random keepers (strings) and reads them back", () => {
    const withKey = { ...config, passwordLength: 40, pgpKey: { value: "keybase:alice" } };
    const keepers = issueKeepers(withKey);
    assert.deepEqual(keepers, { credentialsRotation: "1", passwordLength: "40", pgpKey: "keybase:alice" });
    assert.deepEqual(readIssueKeepers(keepers, config), { passwordLength: 40, pgpKey: "keybase:alice" });
    assert.deepEqual(readIssueKeepers(issueKeepers(config), withKey), {
      passwordLength: 32,
      pgpKey: undefined,
    });
  });

  it("falls back to the config only when the keepers are absent altogether", () => {
    assert.deepEqual(readIssueKeepers(undefined, { ...config, pgpKey: { value: "keybase:bob" } }), {
      passwordLength: 32,
      pgpKey: "keybase:bob",
    });
  });

  it("lists what waits for the next rotation, without repeating key material", () => {
    assert.deepEqual(pendingSettings(config, { passwordLength: 32 }), []);
    const keyA = { ...config, pgpKey: { value: "mQINBKEYA" } };
    assert.deepEqual(pendingSettings(keyA, { passwordLength: 32, pgpKey: "mQINBKEYB" }), [
      "pgpKey is set, the current credentials are encrypted with a different key",
    ]);
    assert.deepEqual(pendingSettings(config, { passwordLength: 20, pgpKey: "mQINBKEYB" }), [
      "passwordLength is 32, the current password has 20",
      "pgpKey is unset, the current credentials are encrypted with a different key",
    ]);
  });
});
