import * as assert from "node:assert/strict";
import {
  administratorAccessPolicyArn,
  consoleSignInUrl,
  isAdministratorAccessPolicyArn,
  isValidAccountAlias,
  isValidIamUserName,
  isValidProjectName,
  managementAccountName,
  sameIamUserName,
} from "../../lib/naming";

describe("naming rules", () => {
  it("accepts Leverage project names and rejects the rest", () => {
    for (const ok of ["acme", "bbl", "le-tf", "a1b", "x".repeat(25)]) assert.ok(isValidProjectName(ok), ok);
    for (const bad of ["", "a", "bb", "Acme", "-acme", "acme-", "acme_1", "x".repeat(26)])
      assert.ok(!isValidProjectName(bad), bad);
  });

  it("derives the management account name", () => {
    assert.equal(managementAccountName("acme"), "acme-management");
  });

  it("follows IAM's user-name alphabet and length", () => {
    for (const ok of ["mgmt-org-admin", "a", "x+=,.@_-y", "u".repeat(64)])
      assert.ok(isValidIamUserName(ok), ok);
    for (const bad of ["", "with space", "slash/", "u".repeat(65), "ñ"])
      assert.ok(!isValidIamUserName(bad), bad);
  });

  it("compares IAM user names case-insensitively", () => {
    assert.ok(sameIamUserName("MGMT-ORG-ADMIN", "mgmt-org-admin"));
    assert.ok(!sameIamUserName("mgmt-org-admin", "mgmt-org-admin2"));
  });

  it("follows CreateAccountAlias's rule", () => {
    for (const ok of ["acme-management", "abc", "a".repeat(63)]) assert.ok(isValidAccountAlias(ok), ok);
    for (const bad of ["ab", "a--b", "-ab", "ab-", "Abc", "a".repeat(64)])
      assert.ok(!isValidAccountAlias(bad), bad);
  });

  it("builds and recognises the AdministratorAccess ARN in every partition", () => {
    for (const p of ["aws", "aws-us-gov", "aws-cn"]) {
      assert.equal(administratorAccessPolicyArn(p), `arn:${p}:iam::aws:policy/AdministratorAccess`);
      assert.ok(isAdministratorAccessPolicyArn(administratorAccessPolicyArn(p)));
    }
    assert.ok(!isAdministratorAccessPolicyArn("arn:aws:iam::aws:policy/ReadOnlyAccess"));
    assert.ok(!isAdministratorAccessPolicyArn("arn:aws:iam::123456789012:policy/AdministratorAccess"));
  });

  it("gives the sign-in URL per partition", () => {
    assert.equal(
      consoleSignInUrl("acme-management"),
      "https://acme-management.signin.aws.amazon.com/console",
    );
    assert.equal(
      consoleSignInUrl("123456789012", "aws-us-gov"),
      "https://123456789012.signin.amazonaws-us-gov.com/console",
    );
    assert.equal(
      consoleSignInUrl("123456789012", "aws-cn"),
      "https://123456789012.signin.amazonaws.cn/console",
    );
  });
});
