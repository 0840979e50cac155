/**
 * `npm run leverage-credentials`: turns the stack outputs into the access keys CSV that
 * `leverage credentials configure --type BOOTSTRAP --credentials-file keys.csv` reads.
 */
import * as path from "node:path";
import { stripControl } from "../lib/text";
import { cli, readSecretOutput, readStackOutputs, requireOutput, runMain, stringOutput } from "./cli";
import { HandoffInputError } from "./errors";
import { leverageCredentialsCsv, validateAccessKeyId } from "./leverageCsv";
import { assertSecretFileTarget, writeSecretFileAtomically } from "./secureFile";

const TOOL = "leverage-credentials";

export const LEVERAGE_CREDENTIALS_USAGE = `Usage: pulumi stack output --json --show-secrets | npm run --silent leverage-credentials -- [options]

Writes the bootstrap user's access key as the CSV that
\`leverage credentials configure --type BOOTSTRAP --credentials-file keys.csv\` reads (mode 0600).
Relative paths are taken from the folder you run the command in.

Options:
  --stack-output FILE  read the stack output JSON from FILE instead of standard input
  --output FILE        where to write the CSV (default keys.csv): a new or regular file; "-" prints it on standard output
  --private-key FILE   OpenPGP private key that decrypts encryptedSecretAccessKey (when the stack has pgpKey),
                       e.g. <(gpg --export-secret-keys --armor FINGERPRINT); its passphrase comes from
                       PGP_PASSPHRASE or a prompt on the terminal
  -h, --help           show this help
Exit status: 0 written, 2 bad input (nothing written).
`;

export const leverageCredentials = cli(
  TOOL,
  LEVERAGE_CREDENTIALS_USAGE,
  { output: { type: "string", default: "keys.csv" } },
  async (flags, io) => {
    const output = flags.output as string;
    if (output === "") {
      throw new HandoffInputError("--output needs a file path such as keys.csv, or - for standard output");
    }
    // "-" asks for standard output. A file is checked before anything is read or decrypted, so a
    // bad --output never costs a passphrase prompt.
    const target = output === "-" ? undefined : path.resolve(io.cwd, output);
    if (target !== undefined) await assertSecretFileTarget(target, output);

    const outputs = await readStackOutputs(io, flags);
    const accessKeyId = requireOutput(
      outputs,
      "accessKeyId",
      "set `pulumi config set createAccessKey true` and run `pulumi up` to create the bootstrap user's access key",
    );
    validateAccessKeyId(accessKeyId); // before the secret, so a wrong value never costs a passphrase prompt
    const secretAccessKey = await readSecretOutput(
      io,
      flags,
      outputs,
      "secretAccessKey",
      "encryptedSecretAccessKey",
      "stack output has `accessKeyId` but neither `secretAccessKey` nor `encryptedSecretAccessKey`",
    );
    const csv = leverageCredentialsCsv(accessKeyId, secretAccessKey);
    if (target === undefined) {
      io.stdout.write(csv);
      return;
    }
    await writeSecretFileAtomically(target, output, csv);
    const user = stripControl(stringOutput(outputs, "userName") ?? "the bootstrap user");
    const shown = stripControl(output);
    io.stderr.write(
      `${TOOL}: wrote ${shown} (mode 0600) with the access key of ${user}.\n` +
        `Next: leverage credentials configure --type BOOTSTRAP --credentials-file ${shown}\n` +
        `Then: shred -u ${shown} (the key stays in ~/.aws/<short-name>/credentials).\n`,
    );
  },
);

if (require.main === module) runMain(leverageCredentials);
