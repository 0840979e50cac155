/**
 * Fidelity, measured: `npm run check` (the offline gate) against `pulumi preview --policy-pack
 * policy` (the real CLI, stand-in providers), both run as a user runs them, in a copy of the
 * project folder:
 * - the real program (index.ts) under every config shape: every key of Pulumi.yaml at its default,
 *   all at a valid other value at once, each at an invalid value, and all as `secure:` values at once
 *   (the CLI decrypts them, the gate does not and must name each one not checked);
 * - every program fixture (test/fixtures/programs/*), components with same-named children among them;
 * - the `--state` plan of a deployed stack that has no stored replacementTrigger, rotated.
 * Each case must end the same way in both (pass, mandatory failure, no verdict) with the same set of
 * mandatory policies, or the test fails. It prints `fidelity: N of M`.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import * as yaml from "js-yaml";
import { T } from "../../policy/lib/resource-types";
import { BREAKS } from "../fixtures/programs/verdicts";
import { generateThrowawayKey } from "../handoff/helpers";
import { binaryPublicKey, inPool, mandatoryOf, PROJECT, ROOT, Workspace, type CliRun } from "./harness";

/** What a check ends with: no mandatory finding, mandatory findings, or no verdict at all. */
interface Verdict {
  outcome: "pass" | "fail" | "no verdict";
  mandatory: string[];
}

const run = promisify(execFile);
const CLI = path.join(ROOT, "node_modules", ".cache", "engine", "bin", "pulumi");

const KEYS = Object.keys(
  (yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: object }).config,
);

/** For each key: a valid value other than its default, an invalid one, and a valid one to hold as a secret. */
function shapesOf(pgpKey: string): Record<string, { other: string; invalid: string; secret: string }> {
  return {
    projectName: { other: "globex", invalid: "Acme_Corp", secret: "acme" },
    accountName: { other: "globex-management", invalid: "acme-prod", secret: "acme-management" },
    bootstrapUserName: { other: "bootstrap-admin", invalid: "not a user name!", secret: "mgmt-org-admin" },
    passwordLength: { other: "40", invalid: "12", secret: "32" },
    passwordResetRequired: { other: "false", invalid: "maybe", secret: "true" },
    pgpKey: { other: pgpKey, invalid: "not-a-key", secret: pgpKey },
    manageAccountAlias: { other: "false", invalid: "sometimes", secret: "true" },
    credentialsRotation: { other: "2", invalid: " ", secret: "1" },
    createAccessKey: { other: "true", invalid: "yes please", secret: "true" },
    bootstrapUserLifetimeDays: { other: "60", invalid: "91", secret: "30" },
  };
}

const verdictOfPreview = (run: CliRun): Verdict => {
  const mandatory = mandatoryOf(run);
  return { outcome: run.code === 0 ? "pass" : mandatory.length > 0 ? "fail" : "no verdict", mandatory };
};

type GateReport = {
  violations: { policyName: string; enforcementLevel: string }[];
  uncheckedConfigKeys?: string[];
};

function verdictOfCheck(run: CliRun): Verdict {
  if (run.code === 2) return { outcome: "no verdict", mandatory: [] };
  const report = JSON.parse(run.stdout) as GateReport;
  const mandatory = [
    ...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
  ].sort();
  return { outcome: mandatory.length > 0 ? "fail" : "pass", mandatory };
}

/** One comparison: a folder and stack to set up, then preview and check side by side. */
interface Case {
  name: string;
  cwd: () => string;
  stack: string;
  setup: () => Promise<void>;
  gateArgs?: string[];
  /** Environment for both commands beyond the workspace's. */
  env?: Record<string, string>;
  /** What the runbook's rules say of it, beyond the two verdicts being equal. */
  expect?: (engine: Verdict, preview: CliRun) => void;
  /** What the gate's report must say besides its verdict. */
  expectGate?: (report: GateReport) => void;
}

describe("engine fidelity: the gate's verdicts equal the real preview's", function () {
  let ws: Workspace;
  let pgpKey = "";
  const results = new Map<
    string,
    { gate: Verdict; engine: Verdict; preview: CliRun; check: CliRun; why: string }
  >();

  /** A fresh stack in `cwd` holding exactly these values (`secret` ones through --secret). */
  async function stackWith(
    cwd: string,
    stack: string,
    plain: Record<string, string>,
    secret: Record<string, string> = {},
  ) {
    // Setting a case up is not what is compared: the CLI binary itself, without npm and the stand-ins.
    const cli = (args: string[]) =>
      run(CLI, args, { cwd, env: { ...process.env, ...ws.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    await cli(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    const pairs = [
      ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
      ...Object.entries(secret).flatMap(([k, v]) => ["--secret", `${k}=${v}`]),
    ];
    if (pairs.length > 0) await cli(["config", "set-all", "--stack", stack, ...pairs]);
  }

  const base = { "aws:region": "us-east-1", projectName: "acme" };
  const project = () => ws.project;
  const cases: Case[] = [
    {
      name: "index.ts, every key at its default",
      cwd: project,
      stack: "defaults",
      setup: () => stackWith(ws.project, "defaults", base),
      expect: (e) => assert.equal(e.outcome, "pass"),
    },
    {
      name: "index.ts, projectName unset",
      cwd: project,
      stack: "no-project",
      setup: () => stackWith(ws.project, "no-project", { "aws:region": "us-east-1" }),
      expect: (e) => assert.equal(e.outcome, "no verdict"),
    },
  ];
  for (const key of KEYS) {
    const shape = () => {
      const all = shapesOf(pgpKey);
      assert.ok(all[key], `no shapes for the Pulumi.yaml key ${key}: add them to shapesOf`);
      return all[key];
    };
    const s = (kind: string) => `${key}-${kind}`.toLowerCase();
    cases.push({
      name: `index.ts, ${key} = an invalid value`,
      cwd: project,
      stack: s("invalid"),
      setup: () => stackWith(ws.project, s("invalid"), { ...base, [key]: shape().invalid }),
      expect: (e) => {
        assert.notEqual(e.outcome, "pass", `${key} = ${JSON.stringify(shape().invalid)} passed`);
        // A wrong account name fails the preview naming the runbook's rule, not only the program's error.
        if (key === "accountName") assert.ok(e.mandatory.includes("management-account-name"));
      },
    });
  }
  // Every key at a valid value other than its default, at once (one stack: each case costs a CLI preview).
  cases.push({
    name: "index.ts, every key at a valid other value",
    cwd: project,
    stack: "all-other",
    setup: () =>
      stackWith(ws.project, "all-other", {
        "aws:region": "us-east-1",
        ...Object.fromEntries(KEYS.map((k) => [k, shapesOf(pgpKey)[k].other])),
      }),
  });
  // Every key as a secure value at once: the CLI decrypts them, the gate names each one not checked.
  cases.push({
    name: "index.ts, every key as a secure value",
    cwd: project,
    stack: "all-secure",
    setup: () =>
      stackWith(
        ws.project,
        "all-secure",
        { "aws:region": "us-east-1" },
        Object.fromEntries(KEYS.map((k) => [k, shapesOf(pgpKey)[k].secret])),
      ),
    expect: (e, p) => assert.equal(e.outcome, "pass", p.stdout + p.stderr),
    expectGate: (report) =>
      assert.deepEqual(report.uncheckedConfigKeys?.sort(), KEYS.map((k) => `${PROJECT}:${k}`).sort()),
  });
  const FIXTURES: [name: string, breaks: string][] = [
    ["passes", "pass"],
    ["warns", "pass"],
    ["secure-config", "pass"],
    ...BREAKS,
    ["components", "bootstrap-user-name"],
    // The engine judged the first registration (a second IAM user) before it refused the second.
    ["duplicate-urn", "bootstrap-user-name"],
    ["throws", "no verdict"],
    ["bad-config", "no verdict"],
    ["type-error", "no verdict"],
    ["hangs", "no verdict"],
  ];
  for (const [name, breaks] of FIXTURES)
    cases.push({
      name: `fixture ${name}`,
      cwd: () => ws.fixture(name),
      // One backend and one project name for all fixtures: each its own stack.
      stack: name,
      gateArgs: name === "hangs" ? ["--timeout", "20"] : [],
      // Type-checked, as by default: the workspace runs programs transpile-only.
      env: name === "type-error" ? { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } : {},
      // The fixture's values, through the CLI, so that secure ones are encrypted with this backend's passphrase.
      setup: async () => {
        const file = path.join(ws.fixture(name), "Pulumi.dev.yaml");
        const { config = {} } = yaml.load(fs.readFileSync(file, "utf8")) as {
          config?: Record<string, unknown>;
        };
        fs.rmSync(file);
        const plain: Record<string, string> = {};
        const secret: Record<string, string> = {};
        for (const [k, v] of Object.entries(config))
          if (typeof v === "object" && v !== null) secret[k] = pgpKey;
          else plain[k] = String(v);
        await stackWith(ws.fixture(name), name, plain, secret);
      },
      expect: (e, p) => {
        if (breaks === "pass" || breaks === "no verdict")
          assert.equal(e.outcome, breaks, p.stderr.slice(-1500));
        else {
          assert.ok(e.mandatory.includes(breaks), JSON.stringify(e));
          assert.equal(p.code, 1, "the CLI's exit status for a mandatory violation");
        }
      },
    });
  // Transpile-only, as the workspace runs programs: the language host runs the program despite its type
  // error, and so must the gate.
  cases.push({
    name: "fixture type-error, PULUMI_NODEJS_TRANSPILE_ONLY=true",
    cwd: () => ws.fixture("type-error"),
    stack: "type-error-transpile-only",
    setup: () =>
      stackWith(ws.fixture("type-error"), "type-error-transpile-only", {
        ...base,
        accountName: "acme-management",
      }),
    expect: (e, p) => assert.equal(e.outcome, "pass", p.stderr.slice(-1500)),
  });

  /** The preview and the gate on one case's folder and stack, side by side. */
  async function compare(c: Case) {
    await c.setup();
    const pack = path.join(ws.project, "policy");
    const [preview, check] = await Promise.all([
      ws.pulumi(["preview", "--stack", c.stack, "--policy-pack", pack], {
        cwd: c.cwd(),
        env: c.env,
        // Generous: two cases share two cores; only `hangs` is meant to run out of time.
        timeoutMs: c.name === "fixture hangs" ? 30_000 : 180_000,
      }),
      ws.npm(
        "check",
        ["--stack", c.stack, "--policy-pack", pack, "--format", "json", ...(c.gateArgs ?? [])],
        { cwd: c.cwd(), env: c.env },
      ),
    ]);
    const why = `${check.stderr.trim()}\n--- preview:\n${(preview.stdout + preview.stderr).slice(-1500)}`;
    results.set(c.name, {
      gate: verdictOfCheck(check),
      engine: verdictOfPreview(preview),
      preview,
      check,
      why,
    });
  }

  before(async function () {
    this.timeout(60 * 60_000);
    ws = new Workspace();
    pgpKey = await binaryPublicKey((await generateThrowawayKey("fidelity")).armoredPublicKey);
    await inPool(cases, 2, compare);
  });
  after(() => {
    ws?.close();
    const equal = [...results.values()].filter((r) => JSON.stringify(r.gate) === JSON.stringify(r.engine));
    console.log(`      fidelity: ${equal.length} of ${results.size}`);
    for (const [name, r] of results)
      if (!equal.includes(r))
        console.log(
          `      DIFFERS: ${name}: gate ${JSON.stringify(r.gate)}; engine ${JSON.stringify(r.engine)}`,
        );
  });

  for (const c of cases)
    it(`${c.name}: the same verdict in the engine and the gate`, () => {
      const r = results.get(c.name);
      assert.ok(r, "not run");
      assert.deepEqual(r.gate, r.engine, `the gate's verdict differs from the engine's\n${r.why}`);
      c.expect?.(r.engine, r.preview);
      c.expectGate?.(JSON.parse(r.check.stdout) as GateReport);
    });

  it("--state: a deployed stack without a stored replacementTrigger, rotated, is planned as the engine previews it", async () => {
    const stack = "no-trigger";
    await stackWith(ws.project, stack, base);
    await ws.ok(["up", "--stack", stack, "--yes"]);
    // A deployment whose resources have no stored trigger (made before the program set one).
    const exported = JSON.parse(await ws.ok(["stack", "export", "--stack", stack])) as {
      deployment: { resources: { type: string; replacementTrigger?: unknown }[] };
    };
    for (const r of exported.deployment.resources) delete r.replacementTrigger;
    fs.writeFileSync(path.join(ws.project, "state.json"), JSON.stringify(exported));
    await ws.ok(["stack", "import", "--stack", stack, "--file", "state.json"]);
    await ws.ok(["config", "set", "--stack", stack, "credentialsRotation", "2"]);
    const c: Case = {
      name: "--state, no stored trigger, rotated",
      cwd: project,
      stack,
      setup: async () => undefined,
      gateArgs: ["--state", "state.json"],
    };
    await compare(c);
    const r = results.get(c.name)!;
    assert.deepEqual(r.gate, r.engine, `the gate's verdict differs from the engine's\n${r.why}`);
    const ops = r.preview.events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []));
    assert.ok(
      ops.some(
        (m) =>
          m.urn === `urn:pulumi:${stack}::${PROJECT}::${T.loginProfile}::console-login` &&
          /replace/.test(m.op),
      ),
      "the engine replaces the login profile when the deployed state has no trigger",
    );
    await ws.ok(["destroy", "--stack", stack, "--yes"]);
  });
});
