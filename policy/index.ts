// The CLI's entry point (package.json "main"); tests import ./policies, since a PolicyPack starts its server.
import { PolicyPack } from "@pulumi/policy";
import { configProblems } from "./lib/define";
import { hookAnalyzerService } from "./lib/engine";
import { policies } from "./policies";

hookAnalyzerService(configProblems);
new PolicyPack("management-bootstrap", {
  description: "Keeps an AWS Organization's management account on the binbash Leverage bootstrap runbook.",
  policies,
});
