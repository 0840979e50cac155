/** `npm run check`: flags mirror `pulumi preview --policy-pack` and `pulumi policy analyze --file`. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { safeLine } from "../lib/text";
import { homepage } from "../package.json";
import { policyPackDirProblem } from "./analyzer";
import { checkExport, checkProgram, type CheckResult, type Parts } from "./check";
import { FORMATS, render, summaryLine, type Format } from "./report";

const USAGE =
  "usage: npm run check -- [--cwd DIR] [--stack NAME] [--state EXPORT.json | --file EXPORT.json] [--policy-pack DIR] " +
  "[--policy-pack-config FILE] [--format text|json|sarif|junit] [--output FILE] [--docs-url URL] [--timeout SECONDS] [--verbose]";

/** An hour: the dev stack takes seconds; more is a typo (milliseconds?) or a hang waiting to happen. */
const TIMEOUT_MAX_S = 3600;

const HELP = `${USAGE}

Runs the program under Pulumi mocks answered by a fake AWS and sends every resource to the policy
pack over the engine's analyzer protocol, as 'pulumi preview --policy-pack' does. Needs no Pulumi
CLI, no provider plugin, no cloud account.

  --cwd DIR                  project folder (Pulumi.yaml, Pulumi.<stack>.yaml); default: current
  -s, --stack NAME           stack whose Pulumi.<stack>.yaml config to use; default: dev
  --state EXPORT.json        plan an update of this deployed stack ('pulumi stack export --file');
                             without it the plan is a first deployment
  --file EXPORT.json         analyze this exported state instead of the program ('pulumi policy analyze')
  --policy-pack DIR          local policy pack (a folder with PulumiPolicy.yaml); default: ./policy
  --policy-pack-config FILE  policy config JSON, as for the Pulumi CLI
  --format FORMAT            text (default), json, sarif or junit
  -o, --output FILE          write the report to FILE (stdout gets the summary line); FILE's folder
                             must exist and be writable, FILE must not be a folder
  --docs-url URL             base URL of the policies' docs for SARIF; default: package.json homepage
  --timeout SECONDS          bound for the program run and each pack call: a whole number of seconds
                             from 1 to ${TIMEOUT_MAX_S}; default: 120
  -v, --verbose              time breakdown on stderr

Exit status: 0 no mandatory violation, 1 mandatory violations, 2 error.
`;

const processIO = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
  /** Whether stdout is a terminal (colour). */
  isTTY: process.stdout.isTTY === true && !process.env.NO_COLOR,
  /** Folder relative paths resolve against: where the user ran `npm run` (INIT_CWD). */
  cwd: process.env.INIT_CWD ?? process.cwd(),
};
export type CliIO = typeof processIO;

/** `npm run check`, or `npm run audit` (audit/cli.ts), which reads the account instead of a plan or an export. */
export type CliKind = "check" | "audit";

function parseFlags(argv: string[], io: CliIO, kind: CliKind) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        cwd: { type: "string", short: "C" },
        stack: { type: "string", short: "s" },
        ...(kind === "check" ? { state: { type: "string" }, file: { type: "string" } } : {}),
        "policy-pack": { type: "string" },
        "policy-pack-config": { type: "string" },
        format: { type: "string" },
        output: { type: "string", short: "o" },
        "docs-url": { type: "string" },
        timeout: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    const message = (e as Error).message.split("\n")[0].replace(/\. To specify a positional.*$/, "");
    throw new Error(message, { cause: e });
  }
  const format = values.format ?? "text";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new Error(`--format '${format}' is not one of ${FORMATS.join(", ")}`);
  const timeout = values.timeout ?? "120";
  const seconds = Number(timeout);
  if (!/^[0-9]+$/.test(timeout) || seconds < 1 || seconds > TIMEOUT_MAX_S)
    throw new Error(`--timeout '${timeout}' is not a whole number of seconds from 1 to ${TIMEOUT_MAX_S}`);
  if (kind === "audit" && values.stack === undefined && values.help !== true)
    throw new Error("--stack is required: the stack whose Pulumi.<stack>.yaml names the bootstrap user");
  const stack = values.stack ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new Error(`--stack '${stack}' is not a stack name (letters, digits, '-', '_', '.')`);
  const { state, file } = values as { state?: string; file?: string };
  if (state && file)
    throw new Error("--state and --file exclude each other: --state plans an update, --file audits a state");
  // The policies' `url`s are relative to where this repository's docs live.
  const docsUrl = values["docs-url"] ?? homepage;
  if (!URL.canParse(docsUrl)) throw new Error(`--docs-url '${docsUrl}' is not an absolute URL`);
  const cwd = path.resolve(io.cwd, values.cwd ?? ".");
  const at = (p: string | undefined) => p && path.resolve(cwd, p);
  const packDirGiven = values["policy-pack"] ?? "./policy";
  return {
    cwd,
    stack,
    packDir: path.resolve(cwd, packDirGiven),
    packDirGiven,
    policyConfigFile: at(values["policy-pack-config"]),
    state: at(state),
    file: at(file),
    format: format as Format,
    output: at(values.output),
    outputGiven: values.output,
    docsUrl,
    timeoutMs: seconds * 1000,
    verbose: values.verbose === true,
    help: values.help === true,
  };
}

/**
 * Refuses an --output the report could not be written to, before the run (which takes seconds):
 * a folder, a missing folder, a place this user cannot write. Leaves nothing behind: a new file is
 * created and removed again, an existing one opened without truncating it (as root, only trying
 * tells: the permission bits do not).
 */
function checkOutput(file: string, shown: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  const expected = "expected a file name in an existing, writable folder, e.g. reports/policy.sarif";
  if (stat?.isDirectory()) throw new Error(`--output ${shown} is a folder; ${expected}`);
  if (stat && !stat.isFile()) throw new Error(`--output ${shown} is not a regular file; ${expected}`);
  const dir = path.dirname(file);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`--output ${shown}: folder ${dir} does not exist; ${expected}`);
  try {
    if (stat) {
      fs.closeSync(fs.openSync(file, "r+"));
    } else {
      fs.closeSync(fs.openSync(file, "wx"));
      fs.unlinkSync(file);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`--output ${shown} cannot be written (${code}); ${expected}`, { cause: e });
  }
}

export type Flags = ReturnType<typeof parseFlags>;
type Common = { packDir: string; policyConfig?: { text: string; file: string }; timeoutMs: number };

/** Runs the check; returns the exit status. Never throws. `parts`: see checkProgram (tests). */
export function main(argv: string[], io: CliIO = processIO, parts: Parts = {}): Promise<number> {
  return runCli(argv, io, { kind: "check", usage: USAGE, help: HELP }, (flags, common) =>
    flags.file
      ? checkExport({ ...common, file: flags.file })
      : checkProgram({ ...common, cwd: flags.cwd, stack: flags.stack, state: flags.state }, parts),
  );
}

/**
 * Flags, the checks of paths before anything starts, the report and the exit status, shared by `npm run
 * check` and `npm run audit`; `run` produces the result. Never throws.
 */
export async function runCli(
  argv: string[],
  io: CliIO = processIO,
  cli: { kind: CliKind; usage: string; help: string },
  run: (flags: Flags, common: Common) => Promise<CheckResult>,
): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv, io, cli.kind);
  } catch (e) {
    io.stderr(`error: ${safeLine((e as Error).message)}\n${cli.usage}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout(cli.help);
    return 0;
  }
  let result: CheckResult;
  try {
    if (!fs.statSync(flags.cwd, { throwIfNoEntry: false })?.isDirectory())
      throw new Error(`--cwd ${flags.cwd} is not a folder`);
    // Bad paths are refused before anything starts, each with one line.
    const packProblem = policyPackDirProblem(flags.packDir, flags.packDirGiven);
    if (packProblem) throw new Error(packProblem);
    if (flags.output) checkOutput(flags.output, flags.outputGiven ?? flags.output);
    const file = flags.policyConfigFile;
    let policyConfig: { text: string; file: string } | undefined;
    try {
      policyConfig = file ? { text: fs.readFileSync(file, "utf8"), file } : undefined;
    } catch {
      throw new Error(`policy pack config file not found: ${file}`);
    }
    result = await run(flags, { packDir: flags.packDir, policyConfig, timeoutMs: flags.timeoutMs });
  } catch (e) {
    const [first, ...rest] = (e instanceof Error ? e.message : String(e)).split("\n").map((l) => safeLine(l));
    io.stderr(`error: ${first}\n${rest.map((l) => `  ${l.trim()}\n`).join("")}`);
    return 2;
  }
  // The pack's folder as given (the audit's own rules keep theirs).
  for (const p of result.packs) if (p.path === flags.packDir) p.path = flags.packDirGiven;
  const reportDir = flags.output ? path.dirname(flags.output) : flags.cwd;
  // What the findings are about: the program, the export, or (audit) the stack's config file.
  const source =
    flags.file ?? path.join(flags.cwd, cli.kind === "audit" ? `Pulumi.${flags.stack}.yaml` : "index.ts");
  const text = render(flags.format, result, {
    color: flags.format === "text" && !flags.output && io.isTTY,
    artifact: path.relative(reportDir, source).split(path.sep).join("/"),
    docsUrl: flags.docsUrl,
  });
  if (flags.output) {
    try {
      fs.writeFileSync(flags.output, text);
    } catch (e) {
      io.stderr(
        `error: could not write --output ${flags.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
      );
      return 2;
    }
    io.stdout(`${summaryLine(result)} Report (${flags.format}): ${flags.output}\n`);
  } else {
    io.stdout(text);
  }
  if (flags.verbose) {
    const t = result.timings;
    io.stderr(
      `timing: pack start ${t.packStartMs} ms, ${cli.kind === "audit" ? "account read" : "program run"} ${t.programMs} ms (in parallel), analysis ${t.analysisMs} ms, total ${t.totalMs} ms\n`,
    );
  }
  return result.summary.mandatory > 0 ? 1 : 0;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => (process.exitCode = code));
