// The rules reach inside CloudFormation and Cloud Control: what the pack cannot read in full before it runs
// (a Transform, a macro, AWS::Include, a URL, a template past the limits), it cannot judge, so it is refused.
import { resourcePolicy } from "../lib/define";
import { factsOf } from "../lib/iam";

export const inspectableTemplates = resourcePolicy(
  {
    name: "inspectable-templates",
    description:
      "CloudFormation templates (stacks and stack sets) and Cloud Control desired states must be readable in full by the pack.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Give the CloudFormation stack or stack set its template inline (`templateBody`, JSON or YAML, at most 51,200 bytes as CloudFormation requires) rather than `templateUrl`, already expanded (no `Transform`, `Fn::Transform`, AWS::Include or macro: pass the processed template, e.g. from `aws cloudformation get-template --template-stage Processed` of a test stack), and make Cloud Control `desiredState` valid JSON, so the pack can apply the runbook's rules to what they create. Or waive the resource by URN, with a reason and an expiry.",
  },
  (s, _config, report) => {
    for (const f of factsOf(s, "uninspectable"))
      report(`${f.via}: cannot inspect: ${f.why}; the runbook's rules cannot be applied to what it creates.`);
  },
);
