/**
 * Secrets for leak tests, shared with the gate's report-format tests: a secret value in each of
 * the three forms a property can carry one (the gRPC value form, and `pulumi stack export`'s
 * `ciphertext` and `--show-secrets` `plaintext` forms), and the assertion that no piece of any
 * secret (any `piece`-character substring) appears in a text.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { stripControl } from "../../lib/text";

const SIG = pulumi.runtime.specialSigKey;
const SECRET = pulumi.runtime.specialSecretSig;

export type SecretForm = "value" | "ciphertext" | "plaintext";
export const SECRET_FORMS: readonly SecretForm[] = ["value", "ciphertext", "plaintext"];

/** `text` wrapped as a secret in `form`; for `ciphertext`, the text stands for the ciphertext. */
export function secretIn(form: SecretForm, text: string): Record<string, unknown> {
  if (form === "value") return { [SIG]: SECRET, value: text };
  if (form === "ciphertext") return { [SIG]: SECRET, ciphertext: text };
  return { [SIG]: SECRET, plaintext: JSON.stringify(text) };
}

/**
 * Secret texts that break naive redaction: longer than any cut, with `"` and `\` (JSON
 * escaping), with control characters, shaped like values rules echo (user names, ARNs). Every
 * 10-character window holds random characters from `seed`, so a piece found in a text leaked.
 */
export function awkwardSecrets(seed: string): string[] {
  const hex = createHash("sha512").update(seed).digest("hex");
  const r = (i: number) => hex.slice(i * 6, i * 6 + 6);
  return [
    `${r(0)}-${r(1)}`,
    `${r(2)}:iam::${r(3)}:policy/${r(10)}`,
    `${r(4)}"${r(5)}\\${r(6)}`,
    Array.from({ length: 12 }, (_, i) => `${r(i % 10)}${i}`).join("-"),
    `${r(7)}\u001b[31m${r(8)}\u0007${r(9)}`,
  ];
}

/** Fails when `text` holds any `piece`-character substring of any secret. */
export function assertNoSecretPiece(text: string, secrets: Iterable<string>, piece = 10): void {
  for (const s of [...secrets].flatMap((x) => [x, stripControl(x)])) {
    for (let i = 0; i + piece <= s.length; i++) {
      const part = s.slice(i, i + piece);
      if (text.includes(part))
        assert.fail(
          `a ${piece}-character piece of a secret (${JSON.stringify(part)}) leaked into: ${text.slice(0, 300)}`,
        );
      const escaped = JSON.stringify(part).slice(1, -1);
      if (escaped !== part && text.includes(escaped))
        assert.fail(`an escaped piece of a secret leaked into: ${text.slice(0, 300)}`);
    }
  }
}
