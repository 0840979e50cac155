// The pack's entry point, run by the Pulumi CLI (`pulumi preview --policy-pack policy`). It only
// constructs the PolicyPack, which starts the analyzer's gRPC server: tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  description: "Keeps an AWS Organization's management account on the binbash Leverage bootstrap runbook.",
  policies,
});
