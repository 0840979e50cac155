/**
 * `npm run engine:pulumi -- ARGS` (after pulumi.sh has built the CLI): runs `pulumi ARGS` in the
 * folder npm was started in, as a user would, with what this machine cannot have stood in for:
 * - for the commands that talk to providers, the stand-in AWS and random plugins, started for
 *   the command and stopped after it, their account kept beside the backend's state, so state
 *   and account agree from one command to the next; or, with AWS_ENDPOINT_URL set (moto: `npm
 *   run engine:moto`), in that endpoint, which the stand-ins reach through the AWS SDK;
 * - without PULUMI_BACKEND_URL or a `pulumi login`, a local file backend in the project's
 *   `.pulumi-local/` (ignored by git).
 * Secrets use the CLI's own passphrase provider (PULUMI_CONFIG_PASSPHRASE).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startStandIns, type StandIns } from "./stand-ins";

const PULUMI = path.join(__dirname, "..", "..", "node_modules", ".cache", "engine", "bin", "pulumi");
/** The commands that load provider plugins. */
const PROVIDER_COMMANDS = new Set(["preview", "up", "update", "refresh", "destroy", "import"]);
/** Global flags that take a value, so the command is the first argument that is neither. */
const VALUED_FLAGS = new Set(["--cwd", "-C", "--color", "--verbose", "-v", "--tracing"]);

function commandOf(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (VALUED_FLAGS.has(args[i])) i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}

/** The folder with Pulumi.yaml at or above `dir`, or `dir` itself. */
function projectOf(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "Pulumi.yaml"))) return d;
    if (path.dirname(d) === d) return dir;
  }
}

/** The backend's URL (env, else `pulumi login`'s), and where the stand-in account lives beside it. */
function backendOf(project: string): { url?: string; accountDir: string } {
  const local = path.join(project, ".pulumi-local");
  let url = process.env.PULUMI_BACKEND_URL;
  if (!url) {
    const home = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    try {
      url = JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8")).current || undefined;
    } catch {
      // not logged in
    }
  }
  if (!url) return { url: `file://${local}`, accountDir: local };
  if (!url.startsWith("file://")) return { accountDir: local };
  const dir = url.slice("file://".length).split("?")[0];
  return { accountDir: dir === "~" || dir.startsWith("~/") ? path.join(os.homedir(), dir.slice(1)) : dir };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const env: Record<string, string | undefined> = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
  const backend = backendOf(projectOf(cwd));
  if (!process.env.PULUMI_BACKEND_URL && backend.url) {
    fs.mkdirSync(backend.accountDir, { recursive: true });
    env.PULUMI_BACKEND_URL = backend.url;
  }
  let standIns: StandIns | undefined;
  if (PROVIDER_COMMANDS.has(commandOf(args) ?? "")) {
    fs.mkdirSync(backend.accountDir, { recursive: true });
    // Which account the command changes, so that nobody mistakes one for the other.
    if (process.env.AWS_ENDPOINT_URL)
      console.error(`engine:pulumi: the stand-in AWS provider works against ${process.env.AWS_ENDPOINT_URL}`);
    standIns = await startStandIns(path.join(backend.accountDir, "stand-in-account.json"));
    Object.assign(env, standIns.env);
  }
  try {
    const child = spawn(PULUMI, args, { cwd, env, stdio: "inherit" });
    // Ctrl-C reaches the CLI through the terminal's process group; the CLI decides what it means.
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    process.on("SIGTERM", () => child.kill("SIGTERM"));
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)),
      );
    });
  } finally {
    standIns?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`engine:pulumi: ${e.message}`);
    process.exit(2);
  },
);
