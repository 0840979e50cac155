// A user's tags as the account will hold them: its own over the provider's defaultTags.
import { parseJson } from "../../lib/text";
import { field, need, rec, type Subject } from "./iam";

/** Tags as string pairs, from a map (`aws`) or a list of {key, value} (aws-native, CloudFormation). */
function tagsOf(v: unknown, into = new Map<string, string>()): Map<string, string> {
  const pairs = Array.isArray(v)
    ? v.map((t) => [field(t, "key"), field(t, "value")])
    : Object.entries(rec(v) ?? {});
  for (const [k, x] of pairs) if (typeof k === "string" && typeof x === "string") into.set(k, x);
  return into;
}

/** The provider's `defaultTags` (object values reach the pack JSON-encoded, @pulumi/aws provider.js). */
const defaultTags = (v: unknown) => tagsOf(field(typeof v === "string" ? parseJson(v) : v, "tags"));

/** The tags of the user `f` (a fact of `s`); a tag not known yet makes it CannotCheck. */
export function userTags(s: Subject, f: { tags: unknown }): Map<string, string> {
  const own = need(f.tags, "tags");
  const inherited = need(s.provider?.props.defaultTags, "the provider's defaultTags");
  return tagsOf(own, defaultTags(inherited));
}
