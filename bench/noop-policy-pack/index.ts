// Baseline for bench/policy.ts: the same transport and @pulumi/policy server as the real pack,
// with one resource policy and one stack policy that do nothing.
import { PolicyPack } from "@pulumi/policy";

new PolicyPack("noop", {
  policies: [
    {
      name: "noop-resource",
      description: "Does nothing.",
      enforcementLevel: "advisory",
      validateResource: () => {},
    },
    {
      name: "noop-stack",
      description: "Does nothing.",
      enforcementLevel: "advisory",
      validateStack: () => {},
    },
  ],
});
