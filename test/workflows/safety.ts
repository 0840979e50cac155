/**
 * The safety properties every workflow in .github/workflows must keep, as a function that lists
 * what a workflow breaks (so tests can show each rule catches a broken workflow, too).
 */

export type Workflow = {
  on?: unknown;
  permissions?: unknown;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
};
export type Job = {
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  if?: string;
  uses?: string;
  steps?: Step[];
  concurrency?: { group?: string; "cancel-in-progress"?: boolean } | string;
  strategy?: { matrix?: Record<string, unknown> };
};
export type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  id?: string;
};

const CONFIGURE_AWS = "aws-actions/configure-aws-credentials@";
const PULUMI_ACTION = "pulumi/actions@";
const STATIC_KEY_INPUTS = ["aws-access-key-id", "aws-secret-access-key", "aws-session-token"];
const STATIC_KEY_TEXT =
  /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|\b(AKIA|ASIA)[A-Z0-9]{16}\b/;
/** `owner/repo[/path]@<40 hex> # vX...`: a remote action pinned to a commit, with its version named. */
const PINNED_USES = /^\s*(?:-\s+)?uses:\s+[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+(\.\d+){0,2}\s*$/;

/** The file setup-node and .ci/node-env.sh both take the Node release from. */
export const NODE_VERSION_FILE = ".node-version";
/** A `pulumi up` or `pulumi preview` command line in a run step. */
const CLI_OPERATION = /(?:^|[\s;&|(])pulumi\s+(up|preview|update)\b((?:[^\n\\]|\\[^\n]|\\\n)*)/m;

const stepsOf = (job: Job) => job.steps ?? [];
const mentionsSecrets = (env: Record<string, string> | undefined) =>
  Object.values(env ?? {}).some((v) => /\bsecrets\./.test(String(v)));
/** The Pulumi operation a step runs, through pulumi/actions or the CLI; undefined for none. */
function pulumiOperation(step: Step): { command: string; via: "action" | "cli"; flags: string } | undefined {
  if (usesAction(step, PULUMI_ACTION)) {
    const command = step.with?.command;
    return command === undefined ? undefined : { command: String(command), via: "action", flags: "" };
  }
  const match = CLI_OPERATION.exec(step.run ?? "");
  if (!match) return undefined;
  return { command: match[1] === "update" ? "up" : match[1], via: "cli", flags: match[2] };
}
const usesAction = (step: Step, prefix: string) => step.uses?.startsWith(prefix) === true;
const permissionsOf = (job: Job) => (typeof job.permissions === "object" ? job.permissions : {});

/** Problems with one workflow, as `<job>: <what>` lines; none means it keeps every property. */
export function workflowSafetyProblems(workflow: Workflow, rawText: string): string[] {
  const problems: string[] = [];

  if (JSON.stringify(workflow.permissions) !== "{}") {
    problems.push("workflow: top-level permissions must be {} (each job asks for what it needs)");
  }
  if (rawText.includes("pull_request_target")) {
    problems.push("workflow: pull_request_target runs untrusted code with secrets");
  }
  if (STATIC_KEY_TEXT.test(rawText)) problems.push("workflow: mentions static AWS keys");
  if (rawText.includes("--show-secrets")) problems.push("workflow: prints secrets with --show-secrets");
  if (mentionsSecrets(workflow.env)) {
    problems.push(
      "workflow: secrets in the workflow's env reach every step; give them to the steps that run Pulumi",
    );
  }
  rawText.split("\n").forEach((line, index) => {
    if (/^\s*(-\s+)?uses:/.test(line) && !/uses:\s+\.\//.test(line) && !PINNED_USES.test(line)) {
      problems.push(
        `line ${index + 1}: action not pinned to a commit SHA with a # vX comment: ${line.trim()}`,
      );
    }
  });

  for (const [name, job] of Object.entries(workflow.jobs)) {
    const steps = stepsOf(job);
    const permissions = permissionsOf(job);
    if (job.permissions === undefined || typeof job.permissions === "string") {
      problems.push(`${name}: must list its permissions explicitly`);
    }
    const assumesRole = steps.some((s) => usesAction(s, CONFIGURE_AWS));
    if (permissions["id-token"] === "write" && !assumesRole) {
      problems.push(`${name}: id-token: write without an OIDC role to assume`);
    }
    for (const step of steps.filter((s) => usesAction(s, CONFIGURE_AWS))) {
      const inputs = step.with ?? {};
      if (permissions["id-token"] !== "write")
        problems.push(`${name}: assumes a role without id-token: write`);
      if (!/^\$\{\{ vars\.[A-Z_]+ \}\}$/.test(String(inputs["role-to-assume"] ?? ""))) {
        problems.push(`${name}: role-to-assume must come from a repository variable`);
      }
      for (const input of STATIC_KEY_INPUTS) {
        if (input in inputs) problems.push(`${name}: passes ${input} (static keys)`);
      }
    }
    for (const step of steps.filter((s) => usesAction(s, "actions/checkout@"))) {
      if (step.with?.["persist-credentials"] !== false)
        problems.push(`${name}: checkout must not persist the token`);
    }
    if (mentionsSecrets(job.env)) {
      problems.push(
        `${name}: secrets in the job's env reach every step (npm ci's install scripts too); give them to the steps that run Pulumi`,
      );
    }
    for (const step of steps) {
      if (mentionsSecrets(step.env) && pulumiOperation(step) === undefined) {
        problems.push(
          `${name}: step ${step.name ?? step.uses ?? step.run?.split("\n")[0]} gets secrets but runs no Pulumi operation`,
        );
      }
    }
    for (const step of steps.filter((s) => usesAction(s, "actions/setup-node@"))) {
      if (step.with?.["node-version-file"] !== NODE_VERSION_FILE) {
        problems.push(
          `${name}: Node must come from ${NODE_VERSION_FILE}, the release .ci/node-env.sh provisions`,
        );
      }
      if (assumesRole && (step.with?.cache !== undefined || step.with?.["package-manager-cache"] !== false)) {
        problems.push(`${name}: no dependency cache in a job that holds cloud credentials`);
      }
    }
    for (const step of steps) {
      const operation = pulumiOperation(step);
      if (!operation) continue;
      const { command, via, flags } = operation;
      const inputs = step.with ?? {};
      if (via === "action") {
        if (inputs.policyPacks !== "policy")
          problems.push(`${name}: pulumi ${command} without policyPacks: policy`);
        if (!inputs.policyPackConfigs) problems.push(`${name}: pulumi ${command} without policyPackConfigs`);
      } else {
        if (!/--policy-pack\s+policy\b/.test(flags))
          problems.push(`${name}: pulumi ${command} without policyPacks: policy`);
        if (!/--policy-pack-config\s/.test(flags))
          problems.push(`${name}: pulumi ${command} without policyPackConfigs`);
      }
      const installIndex = steps.findIndex((s) => s.run?.trim() === "npm ci");
      if (installIndex < 0 || installIndex > steps.indexOf(step)) {
        problems.push(`${name}: pulumi ${command} before npm ci installed the policy pack's dependencies`);
      }
      if (!assumesRole) problems.push(`${name}: pulumi ${command} without OIDC AWS credentials`);
      if (command === "up") {
        const group = typeof job.concurrency === "object" ? job.concurrency.group : job.concurrency;
        if (!String(group ?? "").includes("matrix.stack"))
          problems.push(`${name}: pulumi up without a per-stack concurrency group`);
        if (typeof job.concurrency === "object" && job.concurrency["cancel-in-progress"] !== false) {
          problems.push(`${name}: pulumi up must not be cancelled mid-update`);
        }
        const suppressed =
          via === "action" ? inputs["suppress-outputs"] === true : /--suppress-outputs\b/.test(flags);
        if (!suppressed) problems.push(`${name}: pulumi up must suppress outputs in the log`);
        // The Automation API (pulumi/actions) always adds --skip-preview: the stack policies would
        // run only after the changes. The CLI previews first unless told to skip it.
        if (via === "action" || /--skip-preview\b|\s-f\b/.test(flags)) {
          problems.push(
            `${name}: pulumi up skips the preview; run the CLI's \`pulumi up --yes\`, which previews with the pack first`,
          );
        }
      }
      if (command === "preview" && !/vars\.AWS_[A-Z_]*ROLE_ARN != ''/.test(job.if ?? "")) {
        problems.push(`${name}: pulumi preview must run only where AWS access is configured`);
      }
    }
  }
  return problems;
}
