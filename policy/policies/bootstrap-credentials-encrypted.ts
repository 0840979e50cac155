// Runbook: share the credentials "using a secure way"; without `pgpKey` the plaintext sits in the state.
import { resourcePolicy } from "../lib/define";
import { factsOf, need, q } from "../lib/iam";
import { T } from "../lib/resource-types";

export const bootstrapCredentialsEncrypted = resourcePolicy(
  {
    name: "bootstrap-credentials-encrypted",
    description: "Console passwords and access keys should be PGP-encrypted for hand-off (pgpKey set).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Set the stack config `pgpKey` (a base64 public key or `keybase:<user>`) so the UserLoginProfile and AccessKey get `pgpKey` and the outputs carry only ciphertext for the receiving operator.",
  },
  (s, _config, report) => {
    if (s.type !== T.loginProfile && s.type !== T.accessKey) return;
    for (const f of factsOf(s, "credential")) {
      const key = need(f.pgpKey, "pgpKey");
      if (key !== undefined && key !== null && key !== "") continue;
      const user = typeof f.user === "string" ? ` (user ${q(f.user)})` : "";
      const secret = f.kind === "access key" ? "secret access key" : "console password";
      report(
        `${f.via}${user} has no pgpKey, so its ${secret} is handed over as a plain value (a Pulumi secret, readable by anyone who can read the stack) rather than encrypted for the receiving operator: set pgpKey to their public key.`,
      );
    }
  },
);
