/**
 * `npm run leverage-credentials`: turns the stack outputs into the access keys CSV that
 * `leverage credentials configure --type BOOTSTRAP --credentials-file keys.csv` reads.
 */
import { stripControl } from "../lib/text";
import {
  parseFlags,
  readSecretOutput,
  readStackOutputs,
  resolvePath,
  runCli,
  runMain,
  type CliIo,
} from "./cli";
import { HandoffInputError } from "./errors";
import { leverageCredentialsCsv, validateAccessKeyId } from "./leverageCsv";
import { PASSPHRASE_ENV } from "./prompt";
import { assertSecretFileTarget, writeSecretFileAtomically } from "./secureFile";
import { OUTPUT, optionalStringOutput, requireStringOutput } from "./stackOutputs";

const TOOL = "leverage-credentials";
export const DEFAULT_CSV_PATH = "keys.csv";
/** `--output -` is the explicit request to print the CSV on standard output. */
const STDOUT = "-";

export const LEVERAGE_CREDENTIALS_USAGE = `Usage: pulumi stack output --json --show-secrets | npm run --silent leverage-credentials -- [options]

Writes the bootstrap user's access key as the CSV that
\`leverage credentials configure --type BOOTSTRAP --credentials-file ${DEFAULT_CSV_PATH}\` reads (mode 0600).
Relative paths are taken from the folder you run the command in.

Options:
  --stack-output FILE  read the stack output JSON from FILE instead of standard input
  --output FILE        where to write the CSV (default ${DEFAULT_CSV_PATH}): a new or regular file; "-" prints it on standard output
  --private-key FILE   OpenPGP private key that decrypts encryptedSecretAccessKey (when the stack has pgpKey),
                       e.g. <(gpg --export-secret-keys --armor FINGERPRINT); its passphrase comes from
                       ${PASSPHRASE_ENV} or a prompt on the terminal
  -h, --help           show this help
Exit status: 0 written, 2 bad input (nothing written).
`;

export async function leverageCredentials(argv: string[], io: CliIo): Promise<number> {
  return runCli(TOOL, io, async () => {
    const { values } = parseFlags(argv, {
      "stack-output": { type: "string" },
      output: { type: "string", default: DEFAULT_CSV_PATH },
      "private-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.stdout.write(LEVERAGE_CREDENTIALS_USAGE);
      return;
    }
    const output = values.output as string;
    if (output === "") {
      throw new HandoffInputError("--output needs a file path such as keys.csv, or - for standard output");
    }
    const target = output === STDOUT ? undefined : resolvePath(io, output);
    // Checked before anything is read or decrypted, so a bad --output never costs a passphrase prompt.
    if (target !== undefined) await assertSecretFileTarget(target, output);

    const outputs = await readStackOutputs(io, values["stack-output"] as string | undefined);
    const accessKeyId = requireStringOutput(
      outputs,
      OUTPUT.accessKeyId,
      "set `pulumi config set createAccessKey true` and run `pulumi up` to create the bootstrap user's access key",
    );
    // Cheap format check first, so a wrong value never costs a passphrase prompt.
    validateAccessKeyId(accessKeyId);

    const secretAccessKey = await readSecretOutput(
      io,
      outputs,
      { plain: OUTPUT.secretAccessKey, encrypted: OUTPUT.encryptedSecretAccessKey },
      values["private-key"] as string | undefined,
      `stack output has \`${OUTPUT.accessKeyId}\` but neither \`${OUTPUT.secretAccessKey}\` nor \`${OUTPUT.encryptedSecretAccessKey}\``,
    );

    const csv = leverageCredentialsCsv(accessKeyId, secretAccessKey);
    if (target === undefined) {
      io.stdout.write(csv);
      return;
    }
    await writeSecretFileAtomically(target, output, csv);
    const user = stripControl(optionalStringOutput(outputs, OUTPUT.userName) ?? "the bootstrap user");
    const shown = stripControl(output);
    io.stderr.write(
      `${TOOL}: wrote ${shown} (mode 0600) with the access key of ${user}.\n` +
        `Next: leverage credentials configure --type BOOTSTRAP --credentials-file ${shown}\n` +
        `Then: shred -u ${shown} (the key stays in ~/.aws/<short-name>/credentials).\n`,
    );
  });
}

if (require.main === module) runMain(leverageCredentials);
