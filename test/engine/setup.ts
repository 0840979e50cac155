/**
 * Set-up of `npm run test:engine`. Once, before any file runs (mocha's global setup, in the main
 * process even in parallel mode): builds the real Pulumi CLI (pulumi.sh; a link with Go's build
 * cache warm, ~13 min cold) and names its version, and installs moto (moto.sh, about a minute the
 * first time), which the tests that need an AWS start and stop themselves. Where Go is missing it
 * says so in one line, and every engine test is skipped (a root hook, in each worker): never a fake
 * CLI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { buildCli, hasGo } from "./harness";

export function mochaGlobalSetup() {
  if (!hasGo()) return console.log("engine: Go is not installed; skipping engine tests");
  console.log(`engine: pulumi ${buildCli()}`);
  // Without python3 the tests that need moto fail, saying so (moto.sh), and the others run.
  if (spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0)
    execFileSync("bash", [path.join(__dirname, "moto.sh")], {
      env: { ...process.env, ENGINE_MOTO_INSTALL_ONLY: "1" },
      stdio: "inherit",
    });
  else console.log("engine: python3 is not installed; the tests that need moto will fail");
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context) {
    if (!hasGo()) this.skip();
  },
};
