/** `npm run show-password`: the bootstrap user's console sign-in details, on the operator's terminal only. */
import { stripControl } from "../lib/text";
import { cli, readSecretOutput, readStackOutputs, requireOutput, runMain } from "./cli";
import { HandoffInputError } from "./errors";

const PROGRAM_HINT = "it is one of the program's outputs; run `pulumi up` first";

export const SHOW_PASSWORD_USAGE = `Usage: pulumi stack output --json --show-secrets | npm run --silent show-password -- [options]

Shows the console sign-in URL, user name and console password of the bootstrap user on the terminal.
Relative paths are taken from the folder you run the command in.

Options:
  --stack-output FILE  read the stack output JSON from FILE instead of standard input
  --private-key FILE   OpenPGP private key that decrypts encryptedPassword (when the stack has pgpKey),
                       e.g. <(gpg --export-secret-keys --armor FINGERPRINT); its passphrase comes from
                       PGP_PASSPHRASE or a prompt on the terminal
  --password-only      print only the password and a newline, also into a pipe
                       (for a password manager's CLI); without it the output must be a terminal
  -h, --help           show this help
Exit status: 0 shown, 2 bad input.
`;

export const showPassword = cli(
  "show-password",
  SHOW_PASSWORD_USAGE,
  { "password-only": { type: "boolean" } },
  async (flags, io) => {
    const passwordOnly = flags["password-only"] === true;
    // Checked before anything is decrypted: a password must not land in a file or a CI log by accident.
    if (!passwordOnly && !io.stdout.isTTY) {
      throw new HandoffInputError(
        "refusing to print the console password into a pipe or file; run it in a terminal, or pass --password-only to pipe just the password",
      );
    }
    const outputs = await readStackOutputs(io, flags);
    const signInUrl = passwordOnly ? "" : requireOutput(outputs, "consoleSignInUrl", PROGRAM_HINT);
    const userName = passwordOnly ? "" : requireOutput(outputs, "userName", PROGRAM_HINT);
    const password = await readSecretOutput(io, flags, outputs, {
      plain: "consolePassword",
      encrypted: "encryptedPassword",
      missing:
        "stack output has neither `consolePassword` nor `encryptedPassword`; the program exports one of them: run `pulumi up` first",
    });
    // Stripping would hand over a password that does not work; an AWS console password is printable.
    if (stripControl(password) !== password) {
      throw new HandoffInputError(
        "the console password holds control characters; expected the printable password AWS generates (is this the program's stack output?)",
      );
    }
    if (passwordOnly) {
      io.stdout.write(`${password}\n`);
      return;
    }
    io.stdout.write(
      `Console sign-in URL: ${stripControl(signInUrl)}\n` +
        `User name:           ${stripControl(userName)}\n` +
        `Console password:    ${password}\n` +
        (outputs.passwordResetRequired === true ? "AWS asks for a new password at the first sign-in.\n" : ""),
    );
  },
);

if (require.main === module) runMain(showPassword);
