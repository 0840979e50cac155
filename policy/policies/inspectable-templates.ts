// The rules reach inside CloudFormation and Cloud Control: what the pack cannot read, it cannot judge.
import { resourcePolicy } from "../lib/define";
import { factsOf } from "../lib/iam";

export const inspectableTemplates = resourcePolicy(
  {
    name: "inspectable-templates",
    description: "CloudFormation templates and Cloud Control desired states must be readable by the pack.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Give the CloudFormation stack its template inline (`templateBody`, JSON or YAML) rather than `templateUrl`, and make Cloud Control `desiredState` valid JSON, so the pack can apply the runbook's rules to what they create.",
  },
  (s, _config, report) => {
    for (const f of factsOf(s, "uninspectable")) {
      const message = `${f.via}: cannot inspect: ${f.why}; the runbook's rules cannot be applied to what it creates.`;
      report(message, undefined, f.advisory);
    }
  },
);
