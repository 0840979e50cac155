/**
 * Where the engine decides, the gate does the same: secure config it cannot decrypt, URNs of
 * children, the replacement trigger, another stack's state, the preview's counts and unknown
 * outputs, and a program that leaves a process behind. In-process runs on the shared pack, but
 * for the last (the program's own process group).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyPack } from "../../gate/analyzer";
import { checkProgram, type CheckResult } from "../../gate/check";
import { main, type CliIO } from "../../gate/cli";
import { render } from "../../gate/report";
import { triggerFires } from "../../gate/run-program";
import { CONFIG_KEYS, type ConfigKey } from "../../lib/config";
import { deployedExport, fixture, PACK, ROOT, checkWithDevPack, sharedDevPack } from "./helpers";

const BASE = "urn:pulumi:dev::management-bootstrap::";
const NO_STORED_TRIGGER = path.join(ROOT, "test/fixtures/exports/no-stored-trigger.json");
const CTX = { color: false, artifact: "index.ts", docsUrl: "https://example.com/" };
const { unknownValue } = pulumi.runtime;

const mandatory = (r: CheckResult) => r.violations.filter((v) => v.enforcementLevel === "mandatory");

/** A project folder running `main` (default: the real program) with the dev stack's config plus `lines`. */
function project(lines: string, { withProjectName = true, main = ROOT } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-parity-"));
  const projectFile = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${projectFile}main: ${main}\n`);
  const name = withProjectName ? "  management-bootstrap:projectName: acme\n" : "";
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `config:\n  aws:region: us-east-1\n${name}${lines}`);
  return dir;
}

/** What `pulumi config set --secret KEY VALUE` writes. */
const secure = (key: ConfigKey) =>
  `  management-bootstrap:${key}:\n    secure: v1:c2FsdHNhbHQ=:Y2lwaGVydGV4dC1uZXZlci1kZWNyeXB0ZWQ=\n`;

/** The policy that needs each key's value, where the real program's resources carry it. */
const NEEDS: Partial<Record<ConfigKey, string>> = {
  projectName: "management-account-name",
  bootstrapUserName: "bootstrap-user-name",
  passwordLength: "bootstrap-user-password-strength",
  pgpKey: "bootstrap-credentials-encrypted",
};

describe("gate parity with the engine", function () {
  let pack: PolicyPack;
  before(async () => {
    pack = await sharedDevPack();
  });
  const check = checkWithDevPack;
  const cli = async (argv: string[], cwd = ROOT) => {
    const out = { stdout: "", stderr: "" };
    const io: CliIO = {
      stdout: (t) => void (out.stdout += t),
      stderr: (t) => void (out.stderr += t),
      isTTY: false,
      cwd,
    };
    const code = await main(["--policy-pack", PACK, ...argv], io, { pack, inProcess: true });
    return { code, ...out };
  };

  describe("secure config the gate cannot decrypt", function () {
    for (const key of CONFIG_KEYS) {
      it(`${key}: the program runs, the key is named not checked, no mandatory finding rests on it`, async () => {
        const r = await check(project(secure(key), { withProjectName: key !== "projectName" }));
        const full = `management-bootstrap:${key}`;
        assert.deepEqual(mandatory(r), []);
        assert.deepEqual(r.uncheckedKeys, [full]);
        assert.match(render("text", r, CTX), new RegExp(`Not checked offline .*:\\n {4}${full}\\n`));
        assert.deepEqual(JSON.parse(render("json", r, CTX)).uncheckedConfigKeys, [full]);
        const needs = NEEDS[key];
        if (needs) {
          const cannot = r.violations.filter((v) => v.policyName === needs && /cannot check/.test(v.message));
          assert.ok(
            cannot.length > 0 && cannot.every((v) => v.enforcementLevel === "advisory"),
            JSON.stringify(r.violations),
          );
        }
      });
    }

    it("exits 0 through the CLI with a secure pgpKey (it used to exit 2 with no reason)", async () => {
      const r = await cli(["--cwd", project(secure("pgpKey"))]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /Not checked offline \(secure config, never decrypted\):\n {4}management-bootstrap:pgpKey\n/,
      );
    });

    it("still fails another rule: exit 1", async () => {
      const r = await cli(["--cwd", project(secure("passwordLength"), { main: fixture("in-group") })]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /\[mandatory\] .* bootstrap-user-no-groups/);
    });
  });

  describe("URNs as the engine builds them", function () {
    it("chains every ancestor's type but the stack's: same-named children of two parents both reach the pack", async () => {
      const r = await check(fixture("components"));
      const outer = `${BASE}fixture:index:Red$aws:iam/user:User::member`;
      const inner = `${BASE}fixture:index:Red$fixture:index:Blue$aws:iam/user:User::member`;
      const urns = r.resources.map((x) => x.urn);
      for (const urn of [
        `${BASE}aws:iam/user:User::bootstrap-user`,
        `${BASE}fixture:index:Red::red`,
        `${BASE}fixture:index:Red$fixture:index:Blue::blue`,
        outer,
        inner,
      ])
        assert.ok(urns.includes(urn), `${urn} not in ${urns.join("\n")}`);
      assert.equal(
        r.resources.find((x) => x.urn === inner)?.parent,
        `${BASE}fixture:index:Red$fixture:index:Blue::blue`,
      );
      const flagged = r.violations
        .filter((v) => v.policyName === "bootstrap-user-name")
        .map((v) => v.resourceUrn);
      assert.ok(flagged.includes(outer) && flagged.includes(inner), flagged.join("\n"));
    });

    it("stops on one URN registered twice, as the engine does, judging what came before it", async () => {
      // The engine judged the first "member" before the second was refused: a second IAM user.
      const r = await check(fixture("duplicate-urn"));
      assert.deepEqual([...new Set(mandatory(r).map((v) => v.policyName))], ["bootstrap-user-name"]);
      assert.ok(
        r.logs.some(
          (l) =>
            l.severity === "error" &&
            l.message.includes(
              `Duplicate resource URN '${BASE}fixture:index:Red$aws:iam/user:User::member'; try giving it a unique name`,
            ),
        ),
        JSON.stringify(r.logs),
      );
    });
  });

  describe("the replacement trigger, as shouldTriggerReplace", function () {
    it("counts an unknown on either side as a change; only then does a missing one mean none", () => {
      const cases: [string | undefined, string | undefined, boolean][] = [
        [unknownValue, undefined, true],
        [unknownValue, '"a"', true],
        ['"a"', unknownValue, true],
        [JSON.stringify({ k: unknownValue }), undefined, true],
        ['"a"', undefined, false],
        [undefined, '"a"', false],
        [undefined, undefined, false],
        ["null", '"a"', false],
        ['"a"', '"a"', false],
        ['{"a":1,"b":2}', '{"b":2,"a":1}', false],
        ['"a"', '"b"', true],
      ];
      for (const [news, olds, fires] of cases)
        assert.equal(triggerFires(news, olds), fires, `${news} vs ${olds}`);
    });

    it("replaces the login profile on a rotation although the deployed state stored no trigger", async () => {
      const rotated = await check(project('  management-bootstrap:credentialsRotation: "2"\n'), {
        state: NO_STORED_TRIGGER,
      });
      assert.equal(rotated.resources.find((x) => x.name === "console-login")?.op, "replace");
      const same = await check(project(""), { state: NO_STORED_TRIGGER });
      assert.equal(same.resources.find((x) => x.name === "console-login")?.op, "same");
    });
  });

  it("refuses --state of another stack or project: exit 2, one line naming both", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-parity-")), "state.json");
    const text = fs.readFileSync(NO_STORED_TRIGGER, "utf8");
    fs.writeFileSync(file, text.replaceAll("urn:pulumi:dev::management-bootstrap::", "urn:pulumi:prod::x::"));
    const r = await cli(["--state", file]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `error: --state ${file} is an export of stack 'prod' of project 'x'; this check is of stack 'dev' of project 'management-bootstrap'\n`,
    );
    assert.equal(r.stdout, "");
  });

  describe("the preview's counts and unknown outputs, as the CLI shows them", function () {
    it("first deployment: the stack resource counts among the creates; computed outputs are unknown", async () => {
      const text = await cli([]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Summary: 7 to create; /m);
      assert.match(text.stdout, /^ {4}userArn: output<string>$/m);
      assert.match(text.stdout, /^ {4}accountId: "123456789012"$/m);
      const json = JSON.parse((await cli(["--format", "json"])).stdout);
      assert.deepEqual(json.changeSummary, { create: 7 });
      assert.deepEqual(json.outputs.userArn, { secret: false, value: unknownValue });
    });

    it("an update that changes nothing: every resource unchanged, the stack too; outputs known from the state", async () => {
      const state = await deployedExport();
      const text = await cli(["--state", state]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Summary: 7 unchanged; /m);
      assert.match(text.stdout, /^ {4}userArn: "arn:aws:iam::123456789012:user\/mgmt-org-admin"$/m);
      const json = JSON.parse((await cli(["--format", "json", "--state", state])).stdout);
      assert.deepEqual(json.changeSummary, { same: 7 });
    });

    it("a stack deployed before the expiry existed: its start is created today, the user's tags updated in place", async () => {
      const json = JSON.parse((await cli(["--format", "json", "--state", NO_STORED_TRIGGER])).stdout);
      assert.deepEqual(json.changeSummary, { create: 1, update: 1, same: 5 });
      const steps = json.steps as { urn: string; op: string }[];
      assert.equal(steps.find((s) => s.urn.endsWith("::bootstrap-user-start"))?.op, "create");
      assert.equal(steps.find((s) => s.urn.endsWith("::bootstrap-user"))?.op, "update");
    });
  });

  it("ends a program that leaves a process holding its stderr, and kills that process", async function () {
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-parity-")), "pid");
    process.env.GATE_FIXTURE_PID_FILE = pidFile;
    let r: CheckResult;
    try {
      // The program runs in its own child (its own process group) as `npm run check` runs it, but not
      // type-checked: that is the other child test's (cli.test.ts), and costs seconds.
      r = await checkProgram(
        { cwd: fixture("leaves-process"), stack: "dev", packDir: PACK, timeoutMs: 60_000 },
        { pack, typeCheck: false },
      );
    } finally {
      delete process.env.GATE_FIXTURE_PID_FILE;
    }
    assert.ok(
      r.logs.some((l) => /left processes running when it ended; the check killed them/.test(l.message)),
      JSON.stringify(r.logs),
    );
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    assert.ok(pid > 0);
    // Killed: gone, or a zombie until whatever adopted it reaps it (state Z in /proc/PID/stat).
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 40 && alive(); i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(alive(), false, `process ${pid} is still running`);
  });
});
