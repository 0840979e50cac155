/**
 * Root hooks of `npm run test:engine`: builds the real Pulumi CLI (pulumi.sh; a link with Go's
 * build cache warm, ~13 min cold) and names its version, or, where Go is missing, says so in one
 * line and skips every engine test: never a fake CLI.
 */
import { buildCli, hasGo } from "./harness";

export const mochaHooks = {
  beforeAll(this: Mocha.Context) {
    this.timeout(30 * 60_000);
    if (!hasGo()) {
      console.log("engine: Go is not installed; skipping engine tests");
      this.skip();
    }
    console.log(`engine: pulumi ${buildCli()}`);
  },
};
