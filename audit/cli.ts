/** `npm run audit -- --stack S`: the live account judged by the pack and the audit-only rules; flags as `npm run check`. */
import { runCli, type CliIO } from "../gate/cli";
import { runAudit, type AuditParts } from "./audit";

const USAGE =
  "usage: npm run audit -- --stack NAME [--cwd DIR] [--policy-pack DIR] [--policy-pack-config FILE] " +
  "[--format text|json|sarif|junit] [--output FILE] [--docs-url URL] [--timeout SECONDS] [--verbose]";

const HELP = `${USAGE}

Reads the live AWS account (standard credential chain, AWS_ENDPOINT_URL; only List, Get and Describe
calls: docs/audit-policy.json) and judges what it finds with the policy pack, as 'npm run check'
judges a plan, plus the audit-only rules (root MFA, root access keys, Identity Center, unused
credentials). docs/audit.md.

  -s, --stack NAME           the stack whose Pulumi.<stack>.yaml names the bootstrap user (required)
  --cwd DIR                  project folder (Pulumi.yaml, Pulumi.<stack>.yaml); default: current
  --policy-pack DIR          local policy pack (a folder with PulumiPolicy.yaml); default: ./policy
  --policy-pack-config FILE  policy config JSON, as for the Pulumi CLI; also takes the audit-only rules
  --format FORMAT            text (default), json, sarif or junit
  -o, --output FILE          write the report to FILE (stdout gets the summary line)
  --docs-url URL             base URL of the policies' docs for SARIF; default: package.json homepage
  --timeout SECONDS          bound for each pack call, 1 to 3600; default: 120
  -v, --verbose              time breakdown on stderr

Exit status: 0 no mandatory finding, 1 mandatory findings, 2 error (no credentials, access denied,
AWS unreachable, bad input).
`;

/** Runs the audit; returns the exit status. Never throws. `parts`: see runAudit (tests). */
export function main(argv: string[], io?: CliIO, parts: AuditParts = {}): Promise<number> {
  return runCli(argv, io, { kind: "audit", usage: USAGE, help: HELP }, (flags, common) =>
    runAudit({ ...common, cwd: flags.cwd, stack: flags.stack }, parts),
  );
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
