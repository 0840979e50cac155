/**
 * `npm run check`: the real policy pack on the program (or on an exported state file), with
 * no cloud and no Pulumi CLI. Flags mirror the CLI's (`pulumi preview --policy-pack`,
 * `pulumi policy analyze --file`).
 *
 * Exit status: 0 no mandatory violation; 1 mandatory violations; 2 anything else, with one
 * line on stderr that says what went wrong and where.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { CheckError, CheckResult, SharedParts, checkExport, checkProgram } from "./check";
import { FORMATS, Format, artifactUri, render, summaryLine } from "./report";
import { loadProject } from "./stack-config";

export const USAGE =
  "usage: npm run check -- [--cwd DIR] [--stack NAME] [--policy-pack DIR] [--policy-pack-config FILE] " +
  "[--file EXPORT.json] [--format text|json|sarif|junit] [--output FILE] [--timeout SECONDS] [--verbose]";

const HELP = `${USAGE}

Runs the program under Pulumi mocks (or reads a 'pulumi stack export' file with --file) and
sends every resource to the policy pack over the engine's analyzer protocol, as
'pulumi preview --policy-pack' does. Needs no Pulumi CLI, no provider plugin, no cloud account.

  --cwd DIR                  project directory (Pulumi.yaml, Pulumi.<stack>.yaml); default: current
  -s, --stack NAME           stack whose Pulumi.<stack>.yaml config to use; default: dev
  --policy-pack DIR          local policy pack; default: ./policy
  --policy-pack-config FILE  policy config JSON, as for the Pulumi CLI
  --file EXPORT.json         analyze this 'pulumi stack export' state instead of the program
  --format FORMAT            text (default), json, sarif or junit
  -o, --output FILE          write the report to FILE (stdout gets the summary line)
  --timeout SECONDS          bound for the program run and the pack's start and calls; default: 120
  -v, --verbose              time breakdown on stderr (pack start, program run, analysis)

Exit status: 0 no mandatory violation, 1 mandatory violations, 2 error.
`;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (colour). */
  isTTY: boolean;
  /** Directory relative paths resolve against (before --cwd). */
  cwd: string;
}

export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  // Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
  isTTY: process.stdout.isTTY === true && !process.env.NO_COLOR,
  // `npm run` moves to the package root; INIT_CWD is where the user ran it.
  cwd: process.env.INIT_CWD ?? process.cwd(),
};

class UsageError extends Error {}

interface Flags {
  cwd: string;
  stack: string;
  packDir: string;
  packDirGiven: string;
  policyConfigFile?: string;
  file?: string;
  format: Format;
  output?: string;
  timeoutMs: number;
  verbose: boolean;
  help: boolean;
}

function parseFlags(argv: string[], io: CliIO): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        cwd: { type: "string", short: "C" },
        stack: { type: "string", short: "s" },
        "policy-pack": { type: "string" },
        "policy-pack-config": { type: "string" },
        file: { type: "string" },
        format: { type: "string" },
        output: { type: "string", short: "o" },
        timeout: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    // node:util's messages are already one clear line ("Unknown option '--x'").
    throw new UsageError(
      `${(e as Error).message.split("\n")[0].replace(/\. To specify a positional.*$/, "")}`,
    );
  }
  const format = values.format ?? "text";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format '${format}' is not one of ${FORMATS.join(", ")}`);
  }
  let timeoutMs = 120_000;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new UsageError(`--timeout '${values.timeout}' is not a positive number of seconds`);
    }
    timeoutMs = Math.round(seconds * 1000);
  }
  const stack = values.stack ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new UsageError(`--stack '${stack}' is not a stack name (letters, digits, '-', '_', '.')`);
  }
  // As with the Pulumi CLI's --cwd, every other relative path resolves against it.
  const cwd = path.resolve(io.cwd, values.cwd ?? ".");
  const packDirGiven = values["policy-pack"] ?? "./policy";
  return {
    cwd,
    stack,
    packDir: path.resolve(cwd, packDirGiven),
    packDirGiven,
    policyConfigFile: values["policy-pack-config"] && path.resolve(cwd, values["policy-pack-config"]),
    file: values.file && path.resolve(cwd, values.file),
    format: format as Format,
    output: values.output && path.resolve(cwd, values.output),
    timeoutMs,
    verbose: values.verbose === true,
    help: values.help === true,
  };
}

function readPolicyConfig(file: string | undefined): { text: string; file: string } | undefined {
  if (!file) return undefined;
  try {
    return { text: fs.readFileSync(file, "utf8"), file };
  } catch {
    throw new CheckError(`policy pack config file not found: ${file}`, "config");
  }
}

/** The program's entry file, for SARIF locations: package.json `main`, else index.ts. */
function programArtifact(cwd: string, base: string): string {
  try {
    const main = loadProject(cwd).main;
    const dir = path.resolve(cwd, main);
    const pkgMain = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main;
    return artifactUri(path.join(dir, typeof pkgMain === "string" ? pkgMain : "index.ts"), base);
  } catch {
    return artifactUri(path.join(cwd, "index.ts"), base);
  }
}

/**
 * Runs the check; returns the exit status. Never throws. `shared` is for tests only: an
 * already running pack and program host to use instead of starting new ones.
 */
export async function main(argv: string[], io: CliIO = processIO, shared?: SharedParts): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv, io);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout(HELP);
    return 0;
  }

  let result: CheckResult;
  try {
    if (!fs.existsSync(flags.cwd) || !fs.statSync(flags.cwd).isDirectory()) {
      throw new CheckError(`--cwd ${flags.cwd} is not a directory`, "usage");
    }
    const policyConfig = readPolicyConfig(flags.policyConfigFile);
    result = flags.file
      ? await checkExport(
          { file: flags.file, packDir: flags.packDir, policyConfig, timeoutMs: flags.timeoutMs },
          shared,
        )
      : await checkProgram(
          {
            cwd: flags.cwd,
            stack: flags.stack,
            packDir: flags.packDir,
            policyConfig,
            timeoutMs: flags.timeoutMs,
          },
          shared,
        );
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const [first, ...rest] = message.split("\n");
    io.stderr(`error: ${first}\n${rest.length > 0 ? rest.map((l) => `  ${l}`).join("\n") + "\n" : ""}`);
    return 2;
  }
  // The pack's path as the user gave it, as in `(local: policy)`.
  for (const p of result.packs) p.path = flags.packDirGiven;

  const reportBase = flags.output ? path.dirname(flags.output) : flags.cwd;
  const artifact = flags.file ? artifactUri(flags.file, reportBase) : programArtifact(flags.cwd, reportBase);
  const text = render(flags.format, result, {
    color: flags.format === "text" && !flags.output && io.isTTY,
    artifact,
  });
  if (flags.output) {
    try {
      fs.mkdirSync(path.dirname(flags.output), { recursive: true });
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
      `timing: pack start ${t.packStartMs} ms, program run ${t.programMs} ms` +
        `${result.mode === "program" ? " (in parallel)" : ""}, analysis ${t.analysisMs} ms, total ${t.totalMs} ms\n`,
    );
  }
  return result.summary.mandatory > 0 ? 1 : 0;
}

/** The command line entry (checker/main.js): exits with main's status. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`error: ${(e as Error).message.split("\n")[0]}\n`);
      process.exit(2);
    },
  );
}

if (require.main === module) run();
