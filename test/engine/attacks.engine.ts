/**
 * Issue 20's attacks through `pulumi up` on the CLI built here: each attack of the attack run (the
 * `attacks` fixture, one per stack) is refused by the pack before its resource is created, and the
 * stand-in account shows it was not; a policy config that would switch the runbook off stops `up`
 * before anything is created. `up --skip-preview`, as the Automation API (pulumi/actions) runs it,
 * so the update's own per-resource Analyze is what prevents, not the preview before it.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { inPool, mandatoryOf, Workspace } from "./harness";

/** Each attack: the policy that refuses it and the name of the resource that must not be created. */
const ATTACKS: [attack: string, policy: string, resource: string][] = [
  ["sam-transform", "inspectable-templates", "sam"],
  ["template-url", "inspectable-templates", "remote"],
  ["stack-set-without-body", "inspectable-templates", "everywhere"],
  ["alias-bomb", "inspectable-templates", "bomb"],
  ["weak-template-password", "bootstrap-user-password-strength", "ops-user"],
  ["foreign-admin-role", "administrator-bootstrap-user-only", "vendor-ops"],
  ["lower-cased-admin-arn", "administrator-bootstrap-user-only", "ops-admin"],
  ["command-add-to-group", "no-escape-hatches", "join-admins"],
  ["lambda-invocation", "no-escape-hatches", "run"],
  ["ssm-association", "no-escape-hatches", "run-document"],
  ["service-catalog", "no-escape-hatches", "product"],
];

describe("engine attacks: pulumi up refuses each attack before its resource is created", function () {
  let ws: Workspace;
  let dir: string;
  before(() => {
    ws = new Workspace();
    dir = ws.fixture("attacks");
  });
  after(() => ws?.close());

  /** A stack of the attacks fixture with a backend and stand-in account of its own, and `up` on it. */
  async function upWith(stack: string, attack: string, extra: string[] = []) {
    const state = path.join(ws.tmp, `state-${stack}`);
    fs.mkdirSync(state);
    // `command` is a provider the pack does not model: a stand-in serves it, so the engine reaches the pack.
    const env = { PULUMI_BACKEND_URL: `file://${state}`, ENGINE_STAND_IN_EXTRA: "command" };
    await ws.ok(["stack", "init", stack, "--secrets-provider", "passphrase"], { cwd: dir, env });
    await ws.ok(
      [
        "config",
        "set-all",
        "--stack",
        stack,
        "--plaintext",
        `attack=${attack}`,
        "--plaintext",
        "projectName=acme",
      ],
      {
        cwd: dir,
        env,
      },
    );
    const pack = ["--policy-pack", path.join(ws.project, "policy")];
    const run = await ws.pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...pack, ...extra], {
      cwd: dir,
      env,
      timeoutMs: 120_000,
    });
    const journalFile = path.join(state, "stand-in-account.json.log");
    const journal = fs.existsSync(journalFile) ? fs.readFileSync(journalFile, "utf8").trim().split("\n") : [];
    return { run, journal };
  }

  const CONFIGS = [
    ["all-disabled", { all: "disabled" }, /all/],
    ["no-groups-advisory", { "bootstrap-user-no-groups": "advisory" }, /reason/],
  ] as const;
  const runs = new Map<string, Awaited<ReturnType<typeof upWith>>>();
  before(async function () {
    this.timeout(30 * 60_000);
    await inPool([...ATTACKS.map(([a]) => a), ...CONFIGS.map(([n]) => n)], 2, async (name) => {
      const config = CONFIGS.find(([n]) => n === name);
      if (!config) return void runs.set(name, await upWith(name, name));
      const file = path.join(ws.tmp, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(config[1]));
      runs.set(name, await upWith(name, "none", ["--policy-pack-config", file]));
    });
  });

  for (const [attack, policy, resource] of ATTACKS)
    it(`${attack}: ${policy}, and ${resource} is never created`, () => {
      const { run, journal } = runs.get(attack)!;
      assert.notEqual(run.code, 0, run.stdout.slice(-2000));
      assert.ok(
        mandatoryOf(run).includes(policy),
        `${JSON.stringify(mandatoryOf(run))}\n${run.stdout.slice(-2000)}`,
      );
      assert.deepEqual(
        journal.filter((call) => call.split(" ")[2] === resource),
        [],
        "the stand-in account saw the attack's resource",
      );
    });

  for (const [name, , says] of CONFIGS)
    it(`a policy config that switches the runbook off (${name}) stops up before anything is created`, () => {
      const { run, journal } = runs.get(name)!;
      assert.notEqual(run.code, 0, run.stdout.slice(-2000));
      assert.match(run.stdout + run.stderr, says);
      assert.deepEqual(journal, [], "nothing reached the account");
    });
});
