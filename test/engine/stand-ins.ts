/**
 * The stand-in AWS and random provider plugins (fake-provider.ts), started for one CLI command
 * or one test file and stopped after it. The engine attaches to them through
 * PULUMI_DEBUG_PROVIDERS and downloads no plugin. They inherit this process's environment: with
 * AWS_ENDPOINT_URL (and credentials, moto's dummy ones) the aws stand-in keeps IAM in that endpoint,
 * without it in `accountFile`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

/** The versions the program's SDKs declare (the engine asks the plugins for nothing else). */
const VERSIONS: Record<string, string> = { aws: "7.48.0", random: "4.21.2" };
/**
 * The packages stood in for: aws and random, and any package ENGINE_STAND_IN_EXTRA names (comma-separated),
 * for tests whose programs declare other providers' types (the attack test's `command`).
 */
const packages = () => [
  "aws",
  "random",
  ...(process.env.ENGINE_STAND_IN_EXTRA?.split(",").filter(Boolean) ?? []),
];
const ROOT = path.join(__dirname, "..", "..");

export interface StandIns {
  /** What the CLI needs to use them: PULUMI_DEBUG_PROVIDERS and no plugin downloads. */
  env: Record<string, string>;
  close(): void;
}

export async function startStandIns(accountFile: string): Promise<StandIns> {
  const children: ChildProcess[] = [];
  const close = () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const start = (pkg: string, version: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "-r",
          path.join(ROOT, "test", "ts-node-swc.js"),
          path.join(__dirname, "fake-provider.ts"),
          pkg,
          version,
          accountFile,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
      );
      children.push(child);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`the stand-in ${pkg} provider exited with ${code}`)));
      readline.createInterface({ input: child.stdout! }).once("line", (port) => resolve(`${pkg}:${port}`));
    });
  try {
    const ports = await Promise.all(packages().map((pkg) => start(pkg, VERSIONS[pkg] ?? "1.0.0")));
    return {
      env: {
        PULUMI_DEBUG_PROVIDERS: ports.join(","),
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
      },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}
