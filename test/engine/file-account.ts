/**
 * The stand-in provider's own account, kept in a JSON file, for when no AWS endpoint is given
 * (AWS_ENDPOINT_URL unset: `npm run engine:pulumi` by hand, the engine tests that need no moto):
 * each resource's state by type and id, with IAM's limits as IAM's errors. With an endpoint
 * (moto), sdk-account.ts does this work against it instead.
 */
import { T } from "../../policy/lib/resource-types";
import type { Props } from "../../gate/fake-aws";

/** An error as IAM answers it: the provider fails the step with it. */
const iamError = (code: string, message: string) => new Error(`${code}: ${message}`);

/** A fake IAM account: each resource's state by type and id. Plain JSON, so it can live in a file. */
export interface Account {
  resources: Record<string, Record<string, Props>>;
}

const IN_ACCOUNT: string[] = [T.user, T.loginProfile, T.accessKey, T.userPolicyAttachment, T.accountAlias];

/** Whether the account holds resources of this type (random's live in no account). */
export const inAccount = (type: string) => IN_ACCOUNT.includes(type);

/** Records a created resource in the account, with IAM's limits as IAM's errors. */
export function addToAccount(account: Account, type: string, id: string, state: Props): void {
  if (!inAccount(type)) return;
  const all = (t: string) => Object.values(account.resources[t] ?? {});
  const user = state.user;
  const sameName = (u: Props) => String(u.name).toLowerCase() === String(state.name).toLowerCase();
  if (type === T.user && all(T.user).some(sameName))
    throw iamError("EntityAlreadyExists", `User with name ${state.name} already exists.`);
  if (user !== undefined && !all(T.user).some((u) => u.name === user))
    throw iamError("NoSuchEntity", `The user with name ${user} cannot be found.`);
  if (type === T.loginProfile && all(T.loginProfile).some((p) => p.user === user))
    throw iamError("EntityAlreadyExists", `Login Profile for user ${user} already exists.`);
  if (type === T.accessKey && all(T.accessKey).filter((k) => k.user === user).length >= 2)
    throw iamError("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2");
  (account.resources[type] ??= {})[id] = state;
}

/** Removes a resource; a user with a login profile, keys or policies only with forceDestroy. */
export function removeFromAccount(account: Account, type: string, id: string): void {
  const user = account.resources[type]?.[id];
  if (type === T.user && user) {
    // IAM's words for what is in the way, in the order it checks them.
    const what = {
      [T.loginProfile]: "delete login profile",
      [T.accessKey]: "delete access keys",
      [T.userPolicyAttachment]: "detach all policies",
    };
    for (const t of [T.loginProfile, T.accessKey, T.userPolicyAttachment] as const) {
      for (const [i, r] of Object.entries(account.resources[t] ?? {})) {
        if (r.user !== user.name) continue;
        if (user.forceDestroy !== true)
          throw iamError("DeleteConflict", `Cannot delete entity, must ${what[t]} first.`);
        delete account.resources[t][i];
      }
    }
  }
  delete account.resources[type]?.[id];
  // No empty type left behind, by this delete or by forceDestroy's.
  for (const [t, byId] of Object.entries(account.resources))
    if (Object.keys(byId).length === 0) delete account.resources[t];
}
