/** The stand-in provider's file account (no AWS_ENDPOINT_URL): IAM's limits, in IAM's words. In-process. */
import * as assert from "node:assert/strict";
import { T } from "../../policy/lib/resource-types";
import { addToAccount, removeFromAccount, type Account } from "./file-account";

describe("stand-in file account: IAM's errors as IAM words them (moto answers the same)", () => {
  const withUser = (forceDestroy: boolean): Account => {
    const account: Account = { resources: {} };
    addToAccount(account, T.user, "u", { name: "u", forceDestroy });
    return account;
  };

  it("refuses to delete a user with a login profile, keys or a policy unless forceDestroy", () => {
    for (const [type, words] of [
      [T.loginProfile, "must delete login profile first"],
      [T.accessKey, "must delete access keys first"],
      [T.userPolicyAttachment, "must detach all policies first"],
    ] as const) {
      const account = withUser(false);
      addToAccount(account, type, "x", { user: "u" });
      assert.throws(() => removeFromAccount(account, T.user, "u"), {
        message: `DeleteConflict: Cannot delete entity, ${words}.`,
      });
      const forced = withUser(true);
      addToAccount(forced, type, "x", { user: "u" });
      removeFromAccount(forced, T.user, "u");
      assert.deepEqual(forced.resources, {});
    }
  });

  it("refuses a second login profile and a third access key", () => {
    const account = withUser(false);
    addToAccount(account, T.loginProfile, "u", { user: "u" });
    assert.throws(
      () => addToAccount(account, T.loginProfile, "u2", { user: "u" }),
      /^Error: EntityAlreadyExists/,
    );
    addToAccount(account, T.accessKey, "k1", { user: "u" });
    addToAccount(account, T.accessKey, "k2", { user: "u" });
    assert.throws(() => addToAccount(account, T.accessKey, "k3", { user: "u" }), /LimitExceeded/);
  });
});
