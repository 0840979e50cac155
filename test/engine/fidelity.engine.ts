/**
 * Fidelity, measured: `npm run check` (the offline gate) against `pulumi preview --policy-pack
 * policy` (the real CLI, stand-in providers), both run as a user runs them, in a copy of the
 * project folder:
 * - the real program (index.ts) under every config shape: each key of Pulumi.yaml at its default,
 *   at a valid other value, at an invalid value, and as a `secure:` value (the CLI decrypts it,
 *   the gate does not);
 * - every program fixture (test/fixtures/programs/*), components with same-named children among them;
 * - the `--state` plan of a deployed stack that has no stored replacementTrigger, rotated.
 * Each case must end the same way in both (pass, mandatory failure, no verdict) with the same set of
 * mandatory policies, or the test fails. It prints `fidelity: N of M`.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { T } from "../../policy/lib/resource-types";
import { BREAKS } from "../fixtures/programs/verdicts";
import { generateThrowawayKey } from "../handoff/helpers";
import { binaryPublicKey, mandatoryOf, PROJECT, ROOT, Workspace, type CliRun } from "./harness";

/** What a check ends with: no mandatory finding, mandatory findings, or no verdict at all. */
interface Verdict {
  outcome: "pass" | "fail" | "no verdict";
  mandatory: string[];
}

const KEYS = Object.keys(
  (yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: object }).config,
);

/** For each key: a valid value other than its default, an invalid one, and a valid one to hold as a secret. */
function shapesOf(pgpKey: string): Record<string, { other: string; invalid: string; secret: string }> {
  return {
    projectName: { other: "globex", invalid: "Acme_Corp", secret: "acme" },
    accountName: { other: "acme-management", invalid: "acme-prod", secret: "acme-management" },
    bootstrapUserName: { other: "bootstrap-admin", invalid: "not a user name!", secret: "mgmt-org-admin" },
    passwordLength: { other: "40", invalid: "12", secret: "32" },
    passwordResetRequired: { other: "false", invalid: "maybe", secret: "true" },
    pgpKey: { other: pgpKey, invalid: "not-a-key", secret: pgpKey },
    manageAccountAlias: { other: "false", invalid: "sometimes", secret: "true" },
    credentialsRotation: { other: "2", invalid: " ", secret: "1" },
    createAccessKey: { other: "true", invalid: "yes please", secret: "true" },
  };
}

const verdictOfPreview = (run: CliRun): Verdict => {
  const mandatory = mandatoryOf(run);
  return { outcome: run.code === 0 ? "pass" : mandatory.length > 0 ? "fail" : "no verdict", mandatory };
};

function verdictOfCheck(run: CliRun): Verdict {
  if (run.code === 2) return { outcome: "no verdict", mandatory: [] };
  const report = JSON.parse(run.stdout) as { violations: { policyName: string; enforcementLevel: string }[] };
  const mandatory = [
    ...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
  ].sort();
  return { outcome: mandatory.length > 0 ? "fail" : "pass", mandatory };
}

describe("engine fidelity: the gate's verdicts equal the real preview's", function () {
  let ws: Workspace;
  let pgpKey: string;
  const results: { name: string; gate: Verdict; engine: Verdict; equal: boolean; why?: string }[] = [];

  before(async () => {
    ws = new Workspace();
    pgpKey = await binaryPublicKey((await generateThrowawayKey("fidelity")).armoredPublicKey);
  });
  after(() => {
    ws?.close();
    if (results.length === 0) return;
    console.log(`      fidelity: ${results.filter((r) => r.equal).length} of ${results.length}`);
    for (const r of results.filter((x) => !x.equal))
      console.log(
        `      DIFFERS: ${r.name}: gate ${JSON.stringify(r.gate)}; engine ${JSON.stringify(r.engine)}`,
      );
  });

  /** One case: the preview and the gate on the same folder and stack, side by side; returns the engine's verdict. */
  async function compare(name: string, cwd: string, stack: string, gateArgs: string[] = []) {
    const [preview, check] = await Promise.all([
      ws.pulumi(["preview", "--stack", stack, "--policy-pack", path.join(ws.project, "policy")], {
        cwd,
        timeoutMs: 60_000,
      }),
      ws.npm(
        "check",
        [
          "--stack",
          stack,
          "--policy-pack",
          path.join(ws.project, "policy"),
          "--format",
          "json",
          "--timeout",
          "30",
          ...gateArgs,
        ],
        { cwd },
      ),
    ]);
    const engine = verdictOfPreview(preview);
    const gate = verdictOfCheck(check);
    const equal = JSON.stringify(gate) === JSON.stringify(engine);
    const why = `${check.stderr.trim()}\n--- preview:\n${(preview.stdout + preview.stderr).slice(-1500)}`;
    results.push({ name, gate, engine, equal });
    assert.deepEqual(gate, engine, `${name}: the gate's verdict differs from the engine's\n${why}`);
    return { engine, preview };
  }

  /** A fresh stack in `cwd` holding exactly these values (`secret` ones through --secret). */
  async function stackWith(
    cwd: string,
    stack: string,
    plain: Record<string, string>,
    secret: Record<string, string> = {},
  ) {
    await ws.ok(["stack", "init", stack, "--secrets-provider", "passphrase"], { cwd });
    const pairs = [
      ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
      ...Object.entries(secret).flatMap(([k, v]) => ["--secret", `${k}=${v}`]),
    ];
    if (pairs.length > 0) await ws.ok(["config", "set-all", "--stack", stack, ...pairs], { cwd });
  }

  const base = { "aws:region": "us-east-1", projectName: "acme" };

  describe("index.ts under every config shape", () => {
    it("every key at its default (the dev config): pass", async () => {
      await stackWith(ws.project, "defaults", base);
      const { engine } = await compare("index.ts, every key at its default", ws.project, "defaults");
      assert.equal(engine.outcome, "pass");
    });

    for (const key of KEYS) {
      it(`${key}: a valid other value, an invalid value, a secure value`, async () => {
        const shape = shapesOf(pgpKey)[key];
        assert.ok(shape, `no shapes for the Pulumi.yaml key ${key}: add them to shapesOf`);
        const s = (kind: string) => `${key}-${kind}`.toLowerCase();
        await stackWith(ws.project, s("other"), { ...base, [key]: shape.other });
        await compare(`index.ts, ${key} = a valid other value`, ws.project, s("other"));
        await stackWith(ws.project, s("invalid"), { ...base, [key]: shape.invalid });
        const invalid = await compare(`index.ts, ${key} = an invalid value`, ws.project, s("invalid"));
        assert.notEqual(invalid.engine.outcome, "pass", `${key} = ${JSON.stringify(shape.invalid)} passed`);
        const { [key]: _, ...rest } = base as Record<string, string>;
        await stackWith(ws.project, s("secure"), rest, { [key]: shape.secret });
        const secure = await compare(`index.ts, ${key} as a secure value`, ws.project, s("secure"));
        assert.equal(secure.engine.outcome, "pass", secure.preview.stdout + secure.preview.stderr);
      });
    }

    it("projectName unset: no verdict in either", async () => {
      await stackWith(ws.project, "no-project", { "aws:region": "us-east-1" });
      const { engine } = await compare("index.ts, projectName unset", ws.project, "no-project");
      assert.equal(engine.outcome, "no verdict");
    });
  });

  describe("program fixtures", () => {
    const CASES: [name: string, breaks: string][] = [
      ["passes", "pass"],
      ["warns", "pass"],
      ["secure-config", "pass"],
      ...BREAKS,
      ["components", "bootstrap-user-name"],
      ["duplicate-urn", "no verdict"],
      ["throws", "no verdict"],
      ["bad-config", "no verdict"],
      ["type-error", "no verdict"],
      ["hangs", "no verdict"],
    ];
    for (const [name, breaks] of CASES) {
      it(`${name}: ${breaks === "pass" || breaks === "no verdict" ? breaks : `fails on ${breaks}`}, in the engine and the gate alike`, async function () {
        const dir = ws.fixture(name);
        // The fixture's values, through the CLI, so that secure ones are encrypted with this backend's passphrase.
        const file = path.join(dir, "Pulumi.dev.yaml");
        const { config = {} } = yaml.load(fs.readFileSync(file, "utf8")) as {
          config?: Record<string, unknown>;
        };
        fs.rmSync(file);
        const plain: Record<string, string> = {};
        const secret: Record<string, string> = {};
        for (const [k, v] of Object.entries(config))
          if (typeof v === "object" && v !== null) secret[k] = pgpKey;
          else plain[k] = String(v);
        await stackWith(dir, "dev", plain, secret);
        const { engine, preview } = await compare(
          `fixture ${name}`,
          dir,
          "dev",
          name === "hangs" ? ["--timeout", "20"] : [],
        );
        if (breaks === "pass" || breaks === "no verdict")
          assert.equal(engine.outcome, breaks, preview.stderr.slice(-1500));
        else {
          assert.ok(engine.mandatory.includes(breaks), JSON.stringify(engine));
          assert.equal(preview.code, 1, "the CLI's exit status for a mandatory violation");
        }
      });
    }
  });

  it("--state: a deployed stack without a stored replacementTrigger, rotated, is planned as the engine previews it", async () => {
    const stack = "no-trigger";
    await stackWith(ws.project, stack, base);
    await ws.ok(["up", "--stack", stack, "--yes"]);
    // A deployment whose login profile has no stored trigger (made before the program set one).
    const exported = JSON.parse(await ws.ok(["stack", "export", "--stack", stack])) as {
      deployment: { resources: { type: string; replacementTrigger?: unknown }[] };
    };
    for (const r of exported.deployment.resources) delete r.replacementTrigger;
    const file = path.join(ws.project, "state.json");
    fs.writeFileSync(file, JSON.stringify(exported));
    await ws.ok(["stack", "import", "--stack", stack, "--file", "state.json"]);
    await ws.ok(["config", "set", "--stack", stack, "credentialsRotation", "2"]);
    const { preview } = await compare("--state, no stored trigger, rotated", ws.project, stack, [
      "--state",
      "state.json",
    ]);
    const ops = preview.events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []));
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
