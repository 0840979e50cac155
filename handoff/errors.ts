/** Bad input from the operator (stack output, key, passphrase, flags): one line, exit 2, never a secret value. */
export class HandoffInputError extends Error {
  override readonly name = "HandoffInputError";
}
