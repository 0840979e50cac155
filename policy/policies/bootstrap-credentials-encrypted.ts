/**
 * Runbook: share the credentials "using a secure way (e.g. password management service, GPG
 * keys, etc)". With `pgpKey` the provider encrypts the password / secret key for the operator's
 * key; without it the plaintext sits in the stack state (as a Pulumi secret) and must be read out.
 */
import { describe } from "../lib/bootstrap-user";
import { resourcePolicy } from "../lib/define";
import { isUnset, str } from "../lib/props";
import { T } from "../lib/resource-types";

export const bootstrapCredentialsEncrypted = resourcePolicy<object>(
  {
    name: "bootstrap-credentials-encrypted",
    description: "Console passwords and access keys should be PGP-encrypted for hand-off (pgpKey set).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Set the stack config `pgpKey` (a base64 public key or `keybase:<user>`) so the UserLoginProfile and " +
      "AccessKey get `pgpKey` and the outputs carry only ciphertext for the receiving operator.",
  },
  {},
  new Set([T.loginProfile, T.accessKey]),
  (args, _config, report) => {
    if (!isUnset(args.props, "pgpKey")) return;
    const user = str(args.props, "user");
    const secret = args.type === T.loginProfile ? "console password" : "secret access key";
    report(
      `${describe(args)}${user ? ` (user "${user}")` : ""} has no pgpKey, so its ${secret} is handed over as a plain value (a Pulumi secret, ` +
        `readable by anyone who can read the stack) rather than encrypted for the receiving operator: set pgpKey to their public key.`,
    );
  },
);
