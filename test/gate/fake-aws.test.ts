/**
 * What the fake AWS computes where a real account answers (measured against moto, issue 21): key
 * ids that carry the account, unique ids by kind, the provider's ids for attachments, the SES SMTP
 * password derived from the secret.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fake from "../../gate/fake-aws";
import { T } from "../../policy/lib/resource-types";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The account in an access key id, as it is documented to be read: base32, first 6 bytes, bits 7 to 46. */
function accountOfKeyId(keyId: string): string {
  const bits = [...keyId.slice(4)].map((c) => BASE32.indexOf(c).toString(2).padStart(5, "0")).join("");
  return ((BigInt("0b" + bits.slice(0, 48)) & 0x7fffffffff80n) >> 7n).toString();
}

describe("fake AWS: what it computes looks as IAM's and the provider's answers do", () => {
  it("reads the account from a key id moto issued (the decoder is right)", () => {
    assert.equal(accountOfKeyId("AKIARZPUZDIKGOZMQ4FI"), "123456789012");
  });

  it("issues access key ids of IAM's shape that carry the fake account, each new", async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await fake.create(T.accessKey, "k", { user: "u" }, "us-east-1")).id),
    );
    for (const id of ids) {
      assert.match(id, /^AKIA[A-Z2-7]{16}$/);
      assert.equal(accountOfKeyId(id), fake.FAKE_ACCOUNT_ID);
    }
    assert.equal(new Set(ids).size, 3);
    assert.equal(accountOfKeyId(fake.accessKeyId("210987654321")), "210987654321");
  });

  it("gives users, groups and roles unique ids with IAM's prefix for each", async () => {
    const uid = async (type: string) => (await fake.create(type, "n", { name: "n" })).state.uniqueId;
    assert.match(String(await uid(T.user)), /^AIDA[A-Z2-7]{17}$/);
    assert.match(String(await uid("aws:iam/group:Group")), /^AGPA[A-Z2-7]{17}$/);
    assert.match(String(await uid(T.role)), /^AROA[A-Z2-7]{17}$/);
  });

  it("fills in a group's and a role's schema defaults, as a user's, so a refresh reads back what the state has", () => {
    assert.equal(fake.check("aws:iam/group:Group", "g", { name: "g" }).path, "/");
    const role = fake.check(T.role, "r", { name: "r", assumeRolePolicy: "{}" });
    assert.deepEqual([role.path, role.maxSessionDuration, role.forceDetachPolicies], ["/", 3600, false]);
  });

  it("ids policy attachments and group memberships as the provider does (prefix, 18 digits of time, 8 hex)", async () => {
    const id = async (type: string, inputs: fake.Props) => (await fake.create(type, "n", inputs)).id;
    assert.match(
      await id(T.userPolicyAttachment, { user: "mgmt-org-admin" }),
      /^mgmt-org-admin-\d{18}[0-9a-f]{8}$/,
    );
    assert.match(await id(T.rolePolicyAttachment, { role: "ops" }), /^ops-\d{18}[0-9a-f]{8}$/);
    assert.match(await id(T.userGroupMembership, { user: "u", groups: [] }), /^terraform-\d{18}[0-9a-f]{8}$/);
    const year = new Date().getUTCFullYear().toString();
    assert.ok((await id(T.userGroupMembership, {})).startsWith(`terraform-${year}`));
  });

  it("derives the key's SES SMTP password from its secret and region, not at random", async () => {
    const { state } = await fake.create(T.accessKey, "k", { user: "u" }, "eu-west-1");
    const smtp = String(state.sesSmtpPasswordV4);
    assert.equal(smtp, fake.sesSmtpPasswordV4(String(state.secret), "eu-west-1"));
    const bytes = Buffer.from(smtp, "base64");
    assert.equal(bytes.length, 33);
    assert.equal(bytes[0], 4, "version byte");
    // The last step of the chain signs "SendRawEmail" with the key derived for SES in that region.
    let key: Buffer = Buffer.from(`AWS4${String(state.secret)}`);
    for (const part of ["11111111", "eu-west-1", "ses", "aws4_request"])
      key = crypto.createHmac("sha256", key).update(part).digest();
    assert.deepEqual(bytes.subarray(1), crypto.createHmac("sha256", key).update("SendRawEmail").digest());
    assert.notEqual(fake.sesSmtpPasswordV4(String(state.secret), "us-east-1"), smtp);
  });
});
