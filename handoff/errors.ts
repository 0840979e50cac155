/**
 * A problem with what the operator gave the hand-off tools (stack output, key, passphrase, flags).
 * The CLIs print its message as one line and exit with status 2. Messages never carry secret values.
 */
export class HandoffInputError extends Error {
  override readonly name = "HandoffInputError";
}

/** Exit status for bad input, as for the other CLIs of this repository. */
export const EXIT_BAD_INPUT = 2;
