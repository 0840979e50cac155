/**
 * `npm run check` as a user runs it: flags, exit statuses, report files. Two runs start the
 * program as the language host would (a type-checked child); the rest share one pack and run
 * the program in this process.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import AjvDraft04 from "ajv-draft-04";
import { XMLParser } from "fast-xml-parser";
import type { PolicyPack } from "../../gate/analyzer";
import type { Parts } from "../../gate/check";
import { main, type CliIO } from "../../gate/cli";
import { fixture, ROOT, sharedDevPack } from "./helpers";

function io(cwd = ROOT) {
  const out = { stdout: "", stderr: "" };
  const cli: CliIO = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    isTTY: false,
    cwd,
  };
  return { cli, out };
}

describe("gate CLI: flags, formats and exit statuses", function () {
  let pack: PolicyPack;
  let dir: string;
  before(async () => {
    pack = await sharedDevPack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-cli-"));
  });
  const run = async (argv: string[], cwd = ROOT) => {
    const { cli, out } = io(cwd);
    const code = await main(argv, cli, { pack, inProcess: true });
    return { code, ...out };
  };

  for (const [argv, message] of [
    [["--nope"], /^error: Unknown option '--nope'/],
    [["--format", "xml"], /^error: --format 'xml' is not one of text, json, sarif, junit/],
    [["--timeout", "0"], /^error: --timeout '0' is not a whole number of seconds from 1 to 3600\n/],
    [["--timeout", "1.5"], /^error: --timeout '1\.5' is not a whole number of seconds from 1 to 3600\n/],
    [["--timeout", "3601"], /^error: --timeout '3601' is not a whole number of seconds from 1 to 3600\n/],
    [["--timeout", "1e3"], /^error: --timeout '1e3' is not a whole number of seconds from 1 to 3600\n/],
    [["--state", "a.json", "--file", "b.json"], /^error: --state and --file exclude each other/],
    [["--docs-url", "docs/"], /^error: --docs-url 'docs\/' is not an absolute URL/],
  ] as const) {
    it(`exits 2 with one error line and the usage for ${argv.join(" ")}`, async () => {
      const r = await run([...argv]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /\nusage: npm run check -- /);
    });
  }

  // Refused before anything starts: no pack, no program (they would fail first, or after seconds).
  const nothingStarts: Parts = {
    get pack(): PolicyPack {
      throw new Error("the pack was asked for");
    },
    get inProcess(): boolean {
      throw new Error("the program was started");
    },
  };
  const refused = async (argv: string[], cwd = ROOT) => {
    const { cli, out } = io(cwd);
    const code = await main(argv, cli, nothingStarts);
    assert.equal(code, 2, out.stderr);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr.split("\n").length, 2, `one line: ${out.stderr}`);
    return out.stderr;
  };

  it("refuses a --policy-pack folder that does not exist, in one line (not `spawn node ENOENT`)", async () => {
    assert.equal(
      await refused(["--policy-pack", "nope"]),
      "error: --policy-pack nope: no such folder (expected the policy pack's folder, e.g. ./policy)\n",
    );
    assert.match(
      await refused(["--policy-pack", "package.json"]),
      /^error: --policy-pack package\.json: not a folder/,
    );
  });

  it("refuses a --policy-pack folder without PulumiPolicy.yaml in the Pulumi CLI's words", async () => {
    assert.equal(
      await refused(["--policy-pack", "gate"]),
      `error: failed to load Pulumi policy project located at "gate": open ${path.join("gate", "PulumiPolicy.yaml")}: no such file or directory\n`,
    );
  });

  /** A folder nobody may create files in: chmod 555, or for root (who ignores the bits) sysfs. */
  function readOnlyFolder(): string {
    const ro = fs.mkdtempSync(path.join(os.tmpdir(), "gate-ro-"));
    fs.chmodSync(ro, 0o555);
    try {
      fs.writeFileSync(path.join(ro, "probe"), "");
    } catch {
      return ro;
    }
    fs.rmSync(ro, { recursive: true });
    return "/sys";
  }

  for (const [what, output, message] of [
    ["a folder", () => os.tmpdir(), /^error: --output \S+ is a folder; expected a file name/],
    [
      "a path in a missing folder",
      () => path.join(dir, "missing", "policy.sarif"),
      /^error: --output \S+: folder \S+missing does not exist; expected a file name/,
    ],
    [
      "a path in a read-only folder",
      () => path.join(readOnlyFolder(), "policy.sarif"),
      /^error: --output \S+ cannot be written \(EACCES\); expected a file name/,
    ],
  ] as const) {
    it(`refuses --output that is ${what} before the run, writing nothing`, async () => {
      const file = output();
      const folder = path.dirname(file);
      const listing = () => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : "no folder");
      const before = listing();
      assert.match(await refused(["--format", "sarif", "--output", file]), message);
      assert.deepEqual(listing(), before);
    });
  }

  it("exits 1 on a mandatory violation, naming the policy", async () => {
    const r = await run(["--policy-pack", path.join(ROOT, "policy")], fixture("in-group"));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /\[mandatory\] \[severity: high\] {2}bootstrap-user-no-groups/);
    assert.match(r.stdout, /policy check FAILED\.$/m);
  });

  it("exits 2 naming an unknown policy in --policy-pack-config", async () => {
    const file = path.join(dir, "typo.json");
    fs.writeFileSync(file, JSON.stringify({ "bootstrap-user-no-grups": "advisory" }));
    const r = await run(["--policy-pack-config", file]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: policy pack .* refused Configure: .*unknown policy "bootstrap-user-no-grups"/,
    );
  });

  it("shows a waived finding as preview does (description, then detail) and a stale waiver's URN whole", async () => {
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const urn = (type: string, name: string) => `urn:pulumi:dev::management-bootstrap::${type}::${name}`;
    const gone = urn("aws:iam/accessKey:AccessKey", "bootstrap-access-key-that-was-deleted-long-ago");
    const file = path.join(dir, "waivers.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        "bootstrap-credentials-encrypted": {
          waivers: [
            {
              urn: urn("aws:iam/userLoginProfile:UserLoginProfile", "console-login"),
              reason: "OPS-1",
              expires,
            },
            { urn: gone, reason: "OPS-2", expires },
          ],
        },
      }),
    );
    const r = await run(["--policy-pack-config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {10}Console passwords .*\(pgpKey set\)\.\n {10}WAIVED until \S+ \(OPS-1\): /m);
    assert.ok(r.stdout.includes(`for "${gone}" matches no resource of this stack`), r.stdout);
  });

  for (const name of ["__proto__", "constructor"]) {
    it(`exits 2 with one line for ${name} as a policy name in --policy-pack-config (issue 19)`, async () => {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, `{"${name}": "disabled"}`);
      const r = await run(["--policy-pack-config", file]);
      assert.equal(r.code, 2, r.stdout);
      assert.equal(r.stdout, "");
      assert.equal(
        r.stderr,
        `error: ${file}: "${name}" is not a policy name; expected a policy of the pack or "all"\n`,
      );
      assert.equal(Object.hasOwn(Object.prototype, "enforcementLevel"), false, "Object.prototype untouched");
    });
  }

  it("writes SARIF 2.1.0 that validates, with absolute help URLs", async () => {
    const file = path.join(dir, "policy.sarif");
    const r = await run([
      "--format",
      "sarif",
      "--output",
      file,
      "--docs-url",
      "https://example.com/repo/blob/main/",
    ]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Report \(sarif\): .*policy\.sarif/);
    const sarif = JSON.parse(fs.readFileSync(file, "utf8")) as {
      runs: { tool: { driver: { rules: { helpUri: string }[]; informationUri: string } } }[];
    };
    const schema = JSON.parse(
      fs.readFileSync(path.join(ROOT, "test/fixtures/schema/sarif-schema-2.1.0.json"), "utf8"),
    );
    const validate = new AjvDraft04({ strict: false, validateFormats: false }).compile(schema);
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
    const rules = sarif.runs[0].tool.driver.rules;
    assert.ok(rules.length >= 5);
    for (const rule of rules)
      assert.match(rule.helpUri, /^https:\/\/example\.com\/repo\/blob\/main\/docs\/policies\.md#/);
    assert.match(sarif.runs[0].tool.driver.informationUri, /^https:\/\//);
  });

  it("writes JUnit XML with one case per policy and the failures of mandatory ones", async () => {
    const file = path.join(dir, "policy.xml");
    const r = await run(
      ["--format", "junit", "--output", file, "--policy-pack", path.join(ROOT, "policy")],
      fixture("in-group"),
    );
    assert.equal(r.code, 1);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(fs.readFileSync(file, "utf8"));
    const cases = [xml.testsuites.testsuite.testcase].flat();
    const failed = cases.filter((c: Record<string, unknown>) => c.failure);
    assert.ok(failed.some((c: Record<string, unknown>) => c["@_name"] === "bootstrap-user-no-groups"));
    assert.equal(Number(xml.testsuites["@_failures"]), failed.length);
  });

  // The type-checked children, as the language host runs a program and the CLI a pack (CI's
  // `npm run check` runs the dev stack the same way and must pass). Started together: each is seconds
  // of one core's type-checking, and they are independent.
  describe("a type error stops the check with the compiler's message: exit 2", function () {
    const typeErrorRun = (cwd: string, argv: string[], parts: Parts) => {
      const { cli, out } = io(cwd);
      return main(argv, cli, parts).then((code) => ({ code, ...out }));
    };
    let inProgram: ReturnType<typeof typeErrorRun>;
    let inPack: ReturnType<typeof typeErrorRun>;
    before(() => {
      inProgram = typeErrorRun(fixture("type-error"), ["--policy-pack", path.join(ROOT, "policy")], { pack });
      inPack = typeErrorRun(ROOT, ["--policy-pack", path.join(ROOT, "test/fixtures/packs/type-error")], {
        inProcess: true,
      });
    });

    it("in the program", async () => {
      const r = await inProgram;
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^error: the program failed: .*index\.ts\(4,\d+\): error TS2322: Type 'number' is not assignable/,
      );
      assert.equal(r.stdout, "");
    });

    it("in the policy pack", async () => {
      const r = await inPack;
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: policy pack failed to start: .*index\.ts\(4,7\): error TS2322/);
    });
  });

  it("passes the dev stack: exit 0, the plan and the summary", async () => {
    const r = await run([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ {2}aws:iam:User {2}bootstrap-user {2}create/);
    assert.match(
      r.stdout,
      /Summary: 7 to create; 0 mandatory and \d+ advisory policy violations?; policy check passed\./,
    );
  });

  it("shows the program's warning for a stack key Pulumi.yaml does not declare", async () => {
    // The real program and project, with a stack whose key has a typo.
    const project = path.join(dir, "typo");
    fs.mkdirSync(project);
    const pulumiYaml = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), `${pulumiYaml}main: ${JSON.stringify(ROOT)}\n`);
    fs.writeFileSync(
      path.join(project, "Pulumi.dev.yaml"),
      "config:\n  aws:region: us-east-1\n  management-bootstrap:projectName: acme\n  management-bootstrap:createAcessKey: true\n",
    );
    const r = await run(["--cwd", project, "--policy-pack", path.join(ROOT, "policy")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Diagnostics:\n {4}warning: .*"management-bootstrap:createAcessKey" is not a key of this project \(Pulumi\.yaml\), so it has no effect; did you mean createAccessKey\?$/m,
    );
  });

  it("prints JSON with the steps and the outputs, secret values never shown", async () => {
    const r = await run(["--format", "json"]);
    assert.equal(r.code, 0);
    const report = JSON.parse(r.stdout);
    assert.ok(report.steps.every((s: { op: string }) => s.op === "create"));
    assert.deepEqual(report.outputs.consolePassword, { secret: true });
    assert.equal(report.outputs.userName.value, "mgmt-org-admin");
  });

  it("plans a deployed stack's update with --state, with preview's markers", async () => {
    const json = await run(["--format", "json"]);
    const report = JSON.parse(json.stdout);
    assert.equal(report.mode, "program");
    // A deployed stack that also holds an access key the program no longer declares.
    const file = path.join(dir, "state.json");
    const resources = report.steps.map((s: { urn: string; type: string }) => ({
      urn: s.urn,
      type: s.type,
      custom: true,
      inputs: report.resources.find((x: { urn: string }) => x.urn === s.urn).inputs,
      outputs: {},
    }));
    resources.push({
      urn: "urn:pulumi:dev::management-bootstrap::aws:iam/accessKey:AccessKey::old",
      type: "aws:iam/accessKey:AccessKey",
      custom: true,
      inputs: {},
      outputs: {},
    });
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources } }));
    const r = await run(["--state", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Previewing update of the deployed stack/);
    assert.match(r.stdout, /^ {2}- {2}aws:iam:AccessKey {2}old {2}delete$/m);
    // The export has no stack resource: it is the one create.
    assert.match(r.stdout, /Summary: 1 to create, 1 to delete, \d+ to replace, \d+ unchanged;/);
  });
});
