// The pack's entry point (package.json "main"), run by the Pulumi CLI through
// @pulumi/pulumi/cmd/run-policy-pack, which type-checks it with ts-node and ./tsconfig.json.
// It wraps @pulumi/policy's gRPC handlers (./lib/engine.ts) and constructs the PolicyPack, which
// starts the analyzer's server: tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { configProblems } from "./lib/define";
import { hookAnalyzerService } from "./lib/engine";
import { PACK_NAME, policies } from "./policies";

hookAnalyzerService(configProblems);
new PolicyPack(PACK_NAME, {
  description: "Keeps an AWS Organization's management account on the binbash Leverage bootstrap runbook.",
  policies,
});
