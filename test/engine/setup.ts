/**
 * Root hooks of `npm run test:engine`: builds the real Pulumi CLI (pulumi.sh; a link with Go's
 * build cache warm, ~13 min cold) and names its version, or, where Go is missing, says so in one
 * line and skips every engine test: never a fake CLI. Installs moto (moto.sh, about a minute the
 * first time), which the tests that need an AWS start and stop themselves.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { buildCli, hasGo } from "./harness";

export const mochaHooks = {
  beforeAll(this: Mocha.Context) {
    this.timeout(30 * 60_000);
    if (!hasGo()) {
      console.log("engine: Go is not installed; skipping engine tests");
      this.skip();
    }
    console.log(`engine: pulumi ${buildCli()}`);
    // Without python3 the tests that need moto fail, saying so (moto.sh), and the others run.
    if (spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0)
      execFileSync("bash", [path.join(__dirname, "moto.sh")], {
        env: { ...process.env, ENGINE_MOTO_INSTALL_ONLY: "1" },
        stdio: "inherit",
      });
    else console.log("engine: python3 is not installed; the tests that need moto will fail");
  },
};
