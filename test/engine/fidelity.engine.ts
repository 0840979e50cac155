/**
 * Fidelity, measured: for every program the offline gate has (test/fixtures/programs/* and the
 * real program on the dev stack), the verdict of `npm run check` (gate/check.ts checkProgram,
 * the program in a type-checked child as the CLI runs it) equals the real engine's
 * `pulumi preview --policy-pack policy`: the same outcome (pass, mandatory failure, no verdict)
 * and the same set of mandatory policies. Any difference fails. Also: a violating program
 * fails naming the mandatory policy, and the CLI's exit status is recorded.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { PolicyPack } from "../../gate/analyzer";
import { checkProgram } from "../../gate/check";
import { loadStackConfig } from "../../gate/stack-config";
import { generateThrowawayKey } from "../handoff/helpers";
import {
  binaryPublicKey,
  Engine,
  fixture,
  mandatoryOf,
  PACK,
  programOf,
  projectOf,
  ROOT,
  run,
  setConfig,
  stackConfigOf,
  type Run,
} from "./harness";
import { BREAKS } from "../fixtures/programs/verdicts";

/** What a check ends with: no mandatory finding, mandatory findings, or no verdict at all. */
interface Verdict {
  outcome: "pass" | "fail" | "no verdict";
  mandatory: string[];
}
/** A verdict and, for no verdict, why (not compared: the gate and the CLI word it differently). */
type Explained = Verdict & { why?: string };
const verdict = ({ outcome, mandatory }: Explained): Verdict => ({ outcome, mandatory });

/** Every program fixture, and what the runbook's rules say of it (the policy it breaks). */
const CASES: [name: string, breaks: string | "pass" | "no verdict"][] = [
  ["the real program (index.ts, dev stack)", "pass"],
  ["passes", "pass"],
  ["warns", "pass"],
  ["secure-config", "pass"],
  ...BREAKS,
  ["throws", "no verdict"],
  ["bad-config", "no verdict"],
  ["type-error", "no verdict"],
  ["hangs", "no verdict"],
];
const dirOf = (name: string) => (name.startsWith("the real program") ? ROOT : fixture(name));
/** The gate's bound for a program run (npm run check's default; 20 s for `hangs`), and the engine's. */
const GATE_TIMEOUT_MS = 120_000;
const HANG_BOUND_MS = 30_000;

describe("engine fidelity: the gate's verdicts equal the real preview's", function () {
  let engine: Engine;
  let stack: Stack;
  /** One started pack per distinct stack config, as `npm run check` would start it for that config. */
  const packs = new Map<string, Promise<PolicyPack>>();
  const results: { name: string; gate: Explained; engine: Explained; exitCode?: number; equal: boolean }[] =
    [];
  let secureValue = "";

  before(async function () {
    engine = await Engine.start();
    stack = await engine.stack(ROOT, "fidelity");
    const key = await generateThrowawayKey("fidelity");
    secureValue = await binaryPublicKey(key.armoredPublicKey);
  });
  after(async () => {
    for (const p of packs.values()) await (await p.catch(() => undefined))?.close();
    engine?.close();
    if (results.length === 0) return;
    const equal = results.filter((r) => r.equal).length;
    console.log(
      `      fidelity: ${equal} of ${results.length} programs: the gate's verdict equals the engine's`,
    );
    // Each program's two verdicts, and the CLI's exit status where the preview failed.
    for (const r of results)
      console.log(
        `      ${r.equal ? "equal" : "DIFFERS"}: ${r.name}: gate ${JSON.stringify(r.gate)}; engine ${JSON.stringify(r.engine)}` +
          (r.exitCode === undefined ? "" : `; CLI exit ${r.exitCode}`),
      );
  });

  async function gateVerdict(dir: string, timeoutMs: number): Promise<Explained> {
    let pack: PolicyPack | undefined;
    try {
      const { project, config, secretKeys } = loadStackConfig(dir, "dev");
      const key = JSON.stringify([config, secretKeys]);
      if (!packs.has(key))
        packs.set(
          key,
          PolicyPack.start(PACK, 60_000, {
            project: project.name,
            stack: "dev",
            config,
            secretKeys,
            dryRun: true,
          }),
        );
      pack = await packs.get(key);
    } catch {
      // A stack config the gate refuses: checkProgram says so below.
    }
    try {
      const r = await checkProgram({ cwd: dir, stack: "dev", packDir: PACK, timeoutMs }, { pack });
      const mandatory = [
        ...new Set(r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
      ].sort();
      return { outcome: mandatory.length > 0 ? "fail" : "pass", mandatory };
    } catch (e) {
      return { outcome: "no verdict", mandatory: [], why: (e as Error).message.split("\n")[0] };
    }
  }

  const engineVerdict = (r: Run): Explained => {
    const mandatory = mandatoryOf(r);
    const outcome = r.ok ? "pass" : mandatory.length > 0 ? "fail" : "no verdict";
    const why = r.stderr
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /error|no result/i.test(l))
      .slice(-1)[0];
    return outcome === "no verdict" ? { outcome, mandatory, why } : { outcome, mandatory };
  };

  /** A preview in a process group of its own, killed after HANG_BOUND_MS: for a program that spins. */
  function boundedPreview(dir: string): Promise<Run> {
    const input = JSON.stringify({ dir, workDir: path.join(engine.tmp, "work-bounded"), env: engine.env });
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(__dirname, "preview-child.ts"), input],
      { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "ignore"] },
    );
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    return new Promise((resolve) => {
      // SIGINT first: the CLI cancels and stops its plugins (which it starts in process groups of
      // their own); what is left of the group goes 5 s later.
      const timer = setTimeout(() => {
        process.kill(-child.pid!, "SIGINT");
        setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            // all gone
          }
        }, 5_000).unref();
      }, HANG_BOUND_MS);
      child.once("exit", () => {
        clearTimeout(timer);
        try {
          const r = JSON.parse(out) as Run & { ops: [string, string[]][] };
          resolve({ ...r, ops: new Map(r.ops) });
        } catch {
          resolve({
            ok: false,
            stderr: `no result within ${HANG_BOUND_MS} ms`,
            policies: [],
            ops: new Map(),
          });
        }
      });
    });
  }

  async function enginePreview(name: string, dir: string): Promise<Run> {
    if (name === "hangs") return boundedPreview(dir);
    await stack.workspace.saveProjectSettings(projectOf(dir));
    const config = stackConfigOf(dir);
    // The gate never decrypts a secure value (set, value unknown); the engine needs one it can
    // decrypt with this backend's passphrase: a valid key stands in for the fixture's ciphertext.
    const secure = Object.keys(config).filter((k) => typeof config[k] === "object" && config[k] !== null);
    for (const k of secure) config[k] = secureValue;
    await setConfig(stack, config, secure);
    return run(stack, "preview", { program: programOf(dir) });
  }

  for (const [name, breaks] of CASES) {
    it(`${name}: ${breaks === "pass" || breaks === "no verdict" ? breaks : `fails on ${breaks}`}, in the engine and the gate alike`, async function () {
      const dir = dirOf(name);
      const [engineRun, gate] = await Promise.all([
        enginePreview(name, dir),
        gateVerdict(dir, name === "hangs" ? 20_000 : GATE_TIMEOUT_MS),
      ]);
      const real = engineVerdict(engineRun);
      results.push({
        name,
        gate,
        engine: real,
        exitCode: engineRun.exitCode,
        equal: JSON.stringify(verdict(gate)) === JSON.stringify(verdict(real)),
      });
      if (breaks === "pass") assert.equal(real.outcome, "pass", engineRun.stderr.slice(-2000));
      else if (breaks === "no verdict")
        assert.equal(real.outcome, "no verdict", engineRun.stderr.slice(-2000));
      else {
        assert.ok(real.mandatory.includes(breaks), `engine: ${JSON.stringify(real)}`);
        // The CLI's exit status for a mandatory violation: 1, as for any failed preview.
        assert.equal(engineRun.exitCode, 1);
      }
      assert.deepEqual(
        verdict(gate),
        verdict(real),
        `the gate's verdict differs from the engine's: ${gate.why ?? ""}`,
      );
    });
  }
});
