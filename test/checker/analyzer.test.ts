import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PolicyPack,
  PolicyPackError,
  parsePolicyPackConfig,
  parsePort,
  reconcilePolicyPackConfig,
  startPolicyPack,
} from "../../checker/analyzer";
import { UNKNOWN, secret } from "../../checker/wire";

const MINIMAL_PACK = path.join(__dirname, "..", "fixtures", "packs", "minimal");

/** Running (a zombie waiting to be reaped by whoever inherited it counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; Z = exited, not yet reaped.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("checker/analyzer: a local policy pack over the engine's Analyzer protocol", function () {
  let pack: PolicyPack;

  before(async function () {
    pack = await startPolicyPack({
      packDir: MINIMAL_PACK,
      project: "management-bootstrap",
      stack: "dev",
      organization: "acme-org",
      config: { "checker:greeting": "hello", "aws:region": "us-east-1" },
      configSecretKeys: [],
      tags: { owner: "platform" },
      dryRun: true,
      timeoutMs: 20_000,
    });
  });

  after(async function () {
    await pack?.close();
  });

  it("reports the pack's info the way the engine converts it (sorted, version from PulumiPolicy.yaml or package.json)", async function () {
    const info = await pack.getAnalyzerInfo();
    assert.equal(info.name, "checker-test-pack");
    assert.equal(info.version, "0.0.7");
    assert.equal(info.supportsConfig, true);
    assert.deepEqual(
      info.policies.map((p) => p.name),
      ["echo", "no-forbidden-name", "read-unknown", "stack-count"],
    );
    const forbidden = info.policies.find((p) => p.name === "no-forbidden-name")!;
    assert.equal(forbidden.enforcementLevel, "mandatory");
    assert.equal(forbidden.severity, "high");
    assert.equal(forbidden.type, "resource");
    assert.equal(forbidden.url, "https://example.com/policies#no-forbidden-name");
    assert.equal(forbidden.remediationSteps, "Rename the resource.");
    // The engine injects enforcementLevel into every schema of a pack that supports config.
    assert.deepEqual(Object.keys(forbidden.configSchema!.properties).sort(), [
      "enforcementLevel",
      "forbidden",
    ]);
    assert.equal(info.policies.find((p) => p.name === "stack-count")!.type, "stack");
  });

  it("gives the pack project, stack, organization, dry-run, config and tags as the CLI does, with the pack as cwd", async function () {
    await pack.configure();
    const res = await pack.analyze({
      urn: "urn:pulumi:dev::management-bootstrap::test:index:Echo::e",
      type: "test:index:Echo",
      name: "e",
      properties: { plain: "x", password: secret("hunter2"), __internal: 1 },
      options: {
        protect: true,
        parent: "urn:pulumi:dev::management-bootstrap::pulumi:pulumi:Stack::management-bootstrap-dev",
      },
      provider: {
        urn: "urn:pulumi:dev::management-bootstrap::pulumi:providers:aws::default_7_48_0",
        type: "pulumi:providers:aws",
        name: "default_7_48_0",
        properties: { region: "us-east-1", version: "7.48.0" },
      },
    });
    const echo = res.diagnostics.find((d) => d.policyName === "echo");
    assert.ok(echo, `no echo diagnostic in ${JSON.stringify(res)}`);
    const seen = JSON.parse(echo.message.slice(echo.message.indexOf("\n") + 1));
    assert.equal(seen.project, "management-bootstrap");
    assert.equal(seen.stack, "dev");
    assert.equal(seen.organization, "acme-org");
    assert.equal(seen.dryRun, true);
    assert.equal(seen.config, "hello");
    assert.equal(fs.realpathSync(seen.cwd), fs.realpathSync(MINIMAL_PACK));
    // Internal keys are skipped; the secret arrives (validation policies see it unwrapped).
    assert.deepEqual(seen.propKeys, ["password", "plain"]);
    assert.equal(seen.passwordLength, 7);
    assert.equal(seen.protect, true);
    assert.equal(
      seen.parent,
      "urn:pulumi:dev::management-bootstrap::pulumi:pulumi:Stack::management-bootstrap-dev",
    );
    assert.deepEqual(seen.provider, {
      urn: "urn:pulumi:dev::management-bootstrap::pulumi:providers:aws::default_7_48_0",
      region: "us-east-1",
    });
    assert.deepEqual(seen.stackTags, { owner: "platform" });
    assert.equal(echo.enforcementLevel, "advisory");
    assert.equal(echo.severity, "low");
    assert.equal(echo.policyPackVersion, "0.0.7");
  });

  it("reports a mandatory violation with its URN, and notApplicable for policies that do not apply", async function () {
    const urn = "urn:pulumi:dev::management-bootstrap::test:index:Thing::forbidden";
    const res = await pack.analyze({ urn, type: "test:index:Thing", name: "forbidden", properties: {} });
    const d = res.diagnostics.find((x) => x.policyName === "no-forbidden-name");
    assert.ok(d);
    assert.equal(d.enforcementLevel, "mandatory");
    // @pulumi/policy puts the policy's description before the message.
    assert.equal(d.message, `A resource named 'forbidden' is rejected.\nresource ${urn} is named forbidden`);
    const ok = await pack.analyze({
      urn: urn.replace(/forbidden$/, "fine"),
      type: "test:index:Thing",
      name: "fine",
      properties: {},
    });
    assert.equal(ok.diagnostics.filter((x) => x.policyName === "no-forbidden-name").length, 0);
  });

  it("sends unknowns as the engine does: reading one is an advisory 'can't run during preview'", async function () {
    const res = await pack.analyze({
      urn: "urn:pulumi:dev::management-bootstrap::test:index:Unknown::u",
      type: "test:index:Unknown",
      name: "u",
      properties: { size: UNKNOWN },
    });
    const d = res.diagnostics.find((x) => x.policyName === "read-unknown");
    assert.ok(d);
    assert.equal(d.enforcementLevel, "advisory");
    assert.match(d.message, /can't run policy 'read-unknown'.*during preview/);
  });

  it("applies --policy-pack-config (per-policy properties and `all`) and validates it against the schema", async function () {
    await pack.configure({ "no-forbidden-name": { forbidden: "evil" } });
    const urn = "urn:pulumi:dev::management-bootstrap::test:index:Thing::evil";
    const res = await pack.analyze({ urn, type: "test:index:Thing", name: "evil", properties: {} });
    assert.equal(res.diagnostics.filter((d) => d.policyName === "no-forbidden-name").length, 1);

    await pack.configure(JSON.stringify({ all: "disabled" }));
    const none = await pack.analyze({ urn, type: "test:index:Thing", name: "forbidden", properties: {} });
    assert.deepEqual(none.diagnostics, []);
    assert.equal(
      (await pack.getAnalyzerInfo()).policies.every((p) => p.enforcementLevel === "disabled"),
      true,
    );

    await assert.rejects(
      pack.configure({ "no-forbidden-name": { forbidden: 42 } }),
      (e: PolicyPackError) =>
        e.stage === "config" && /no-forbidden-name: forbidden: must be string/.test(e.message),
    );
    await pack.configure(); // back to the pack's defaults for the next tests
    (await pack.getAnalyzerInfo()).policies.forEach((p) => assert.notEqual(p.enforcementLevel, "disabled"));
  });

  it("runs AnalyzeStack over several resources with their parents", async function () {
    const stackUrn = "urn:pulumi:dev::management-bootstrap::pulumi:pulumi:Stack::management-bootstrap-dev";
    const res = await pack.analyzeStack([
      { urn: stackUrn, type: "pulumi:pulumi:Stack", name: "management-bootstrap-dev", properties: {} },
      {
        urn: "urn:pulumi:dev::management-bootstrap::test:index:Thing::a",
        type: "test:index:Thing",
        name: "a",
        properties: { n: 1 },
        parent: stackUrn,
        dependencies: [],
        propertyDependencies: { n: [stackUrn], empty: [] },
      },
    ]);
    const d = res.diagnostics.find((x) => x.policyName === "stack-count");
    assert.ok(d);
    assert.match(d.message, /\nresources=2 parents=a<-management-bootstrap-dev$/);
  });

  it("a pack that dies mid-session: stage 'crash' naming the call; close() leaves no process", async function () {
    // Last test on the shared pack: it kills it.
    const pid = pack.pid!;
    assert.equal(isAlive(pid), true);
    process.kill(pid, "SIGKILL");
    assert.equal(await pack.exited, "was killed by SIGKILL");
    await assert.rejects(
      pack.analyze({
        urn: "urn:pulumi:dev::management-bootstrap::t:i:T::x",
        type: "t:i:T",
        name: "x",
        properties: {},
      }),
      (e: PolicyPackError) => e.stage === "crash" && /killed by SIGKILL during Analyze/.test(e.message),
    );
    await pack.close();
    assert.equal(isAlive(pid), false);
  });
});

describe("checker/analyzer: policy pack config parsing (analyzer/config.go)", function () {
  it("accepts levels and objects, drops empty entries, rejects bad levels and values with one line", function () {
    assert.deepEqual(parsePolicyPackConfig('{"a":"advisory","b":{"x":1},"c":{}}'), {
      a: { enforcementLevel: "advisory", properties: undefined },
      b: { enforcementLevel: "", properties: { x: 1 } },
    });
    assert.deepEqual(parsePolicyPackConfig("  "), {});
    assert.throws(
      () => parsePolicyPackConfig('{"a":"loud"}'),
      /"a": "loud" is not a valid enforcement level/,
    );
    assert.throws(
      () => parsePolicyPackConfig('{"a":3}'),
      /parsing "a": 3 is not a valid value; must be a string or object/,
    );
    assert.throws(() => parsePolicyPackConfig("[1]"), /must be a JSON object/);
    assert.throws(() => parsePolicyPackConfig("{"), /not valid JSON/);
  });

  it("reconciles schema defaults < initial config < file config, `all` before per-policy", function () {
    const policies = [
      {
        name: "p",
        enforcementLevel: "mandatory" as const,
        configSchema: { properties: { n: { type: "number", default: 20 } }, required: [] },
      },
      { name: "q", enforcementLevel: "advisory" as const },
    ].map((p) => ({
      displayName: "",
      description: "",
      message: "",
      type: "resource" as const,
      severity: "" as const,
      remediationSteps: "",
      url: "",
      tags: [],
      ...p,
    }));
    const { config, errors } = reconcilePolicyPackConfig(
      policies,
      { p: { enforcementLevel: "", properties: { n: 25 } } },
      { all: { enforcementLevel: "advisory" }, q: { enforcementLevel: "disabled" } },
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(config.p, { enforcementLevel: "advisory", properties: { n: 25 } });
    assert.equal(config.q.enforcementLevel, "disabled");
    const bad = reconcilePolicyPackConfig(
      policies,
      {},
      { p: { enforcementLevel: "", properties: { n: "x" } } },
    );
    assert.deepEqual(bad.errors, ["p: n: must be number"]);
  });

  it("parses the port line as plugin.go does", function () {
    assert.equal(parsePort("41539\n"), 41539);
    assert.equal(parsePort("\x1b]9;4;3;\x1b\\123"), 123);
    assert.throws(() => parsePort("hello"), /could not parse port/);
    assert.throws(() => parsePort("70000"), /invalid port number/);
  });
});

describe("checker/analyzer: failures are bounded and leave no process behind", function () {
  let tmp: string;
  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "checker-pack-"));
  });
  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function writePack(name: string, indexJs: string): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name, version: "1.0.0", main: "index.js" }),
    );
    fs.writeFileSync(path.join(dir, "index.js"), indexJs);
    // The temporary pack resolves @pulumi/pulumi from this repository, as a workspace would.
    fs.symlinkSync(path.resolve(__dirname, "..", "..", "node_modules"), path.join(dir, "node_modules"));
    return dir;
  }

  const base = { project: "p", stack: "s", dryRun: true };

  // A pack that throws while loading: test/checker/check.test.ts runs one through the CLI.

  // A short bound: the pack is killed while run-policy-pack is still loading (which is all the
  // CPU such a pack would spend), and the time-out path is the same.
  it("a pack that never prints its port: stage 'timeout' within the bound, and the process is gone", async function () {
    const dir = writePack("hangs", "setInterval(() => {}, 1000);\n");
    const before = Date.now();
    let pid = 0;
    await assert.rejects(
      startPolicyPack({ ...base, packDir: dir, timeoutMs: 300, onSpawn: (p) => (pid = p) }),
      (e: PolicyPackError) => e.stage === "timeout" && /did not print its port within 300 ms/.test(e.message),
    );
    assert.ok(Date.now() - before < 5_000);
    assert.ok(pid > 0);
    assert.equal(isAlive(pid), false);
  });

  // A pack that answers like any other, except that it records the deadline of every call it
  // receives (as its grpc-js server sees it) and never answers Analyze for a `test:index:Hang`.
  const SLOW_PACK = `"use strict";
const path = require("node:path");
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/policy"))] }),
);
const { PolicyPack } = require("@pulumi/policy");
const deadlines = {};
const addService = grpc.Server.prototype.addService;
grpc.Server.prototype.addService = function (service, impl) {
  const wrapped = {};
  for (const [name, fn] of Object.entries(impl)) {
    wrapped[name] = function (call, cb) {
      deadlines[name] = String(call.getDeadline());
      if (name === "analyze" && call.request.getType() === "test:index:Hang") return;
      return fn.call(this, call, cb);
    };
  }
  return addService.call(this, service, wrapped);
};
new PolicyPack("slow", {
  policies: [
    {
      name: "deadlines",
      description: "Reports the deadlines seen so far.",
      enforcementLevel: "advisory",
      validateResource: (args, report) => {
        if (args.type === "test:index:Deadlines") report(JSON.stringify(deadlines));
      },
    },
  ],
});
`;
  const resource = (type: string, name: string) => ({
    urn: `urn:pulumi:s::p::${type}::${name}`,
    type,
    name,
    properties: {},
  });

  describe("a pack that never answers a call", function () {
    let slow: PolicyPack;
    before(async function () {
      this.timeout(120_000);
      // A generous bound for the start (a busy machine), a short one for each call.
      slow = await startPolicyPack({
        ...base,
        packDir: writePack("slow", SLOW_PACK),
        timeoutMs: 60_000,
        callTimeoutMs: 800,
      });
    });
    after(async function () {
      await slow?.close();
    });

    it("is sent no gRPC deadline on any call, as the engine sends none", async function () {
      await slow.configure();
      await slow.remediate(resource("test:index:Thing", "r"));
      await slow.analyzeStack([resource("test:index:Thing", "s")]);
      const res = await slow.analyze(resource("test:index:Deadlines", "d"));
      const seen = JSON.parse(res.diagnostics[0].message.split("\n").pop()!);
      assert.deepEqual(seen, {
        configureStack: "Infinity",
        getAnalyzerInfo: "Infinity",
        configure: "Infinity",
        remediate: "Infinity",
        analyzeStack: "Infinity",
        analyze: "Infinity",
      });
    });

    it("is cancelled after the bound with stage 'timeout' naming the call; the pack answers the next call", async function () {
      const t0 = performance.now();
      await assert.rejects(
        slow.analyze(resource("test:index:Hang", "h")),
        (e: PolicyPackError) =>
          e.stage === "timeout" &&
          e.message === `policy pack ${slow.packDir} did not answer Analyze within 800 ms`,
      );
      const took = performance.now() - t0;
      assert.ok(took >= 795 && took < 5_000, `rejected after ${Math.round(took)} ms`);
      const ok = await slow.analyze(resource("test:index:Deadlines", "d"));
      assert.equal(ok.diagnostics.length, 1);
    });

    it("times out each of several calls in flight at its own bound, not the others'", async function () {
      const settledAt = (p: Promise<unknown>, t0: number) =>
        p.then(
          () => assert.fail("a call to a hanging Analyze was answered"),
          (e: PolicyPackError) => (assert.equal(e.stage, "timeout"), performance.now() - t0),
        );
      const t0 = performance.now();
      const first = settledAt(slow.analyze(resource("test:index:Hang", "a")), t0);
      await new Promise((r) => setTimeout(r, 400));
      const t1 = performance.now();
      const second = settledAt(slow.analyze(resource("test:index:Hang", "b")), t1);
      // A call that is answered in between is not timed out.
      assert.equal((await slow.analyze(resource("test:index:Deadlines", "d"))).diagnostics.length, 1);
      const [a, b] = await Promise.all([first, second]);
      assert.ok(a >= 795 && a < 5_000, `first rejected after ${Math.round(a)} ms`);
      assert.ok(b >= 795 && b < 5_000, `second rejected after ${Math.round(b)} ms of its own`);
    });
  });

  it("Ctrl-C (SIGINT) on the process that started a pack ends the pack too (it has its own process group)", async function () {
    const root = path.resolve(__dirname, "..", "..");
    // Loaded as npm run check loads the checker (cached transpile, no ts-node): quick.
    const script = `
      require(${JSON.stringify(path.join(root, "checker", "ts-cache.js"))}).register(
        ${JSON.stringify(root)},
        ${JSON.stringify(path.join(root, "node_modules", ".cache", "management-bootstrap-check", "ts"))},
      );
      const { startPolicyPack } = require(${JSON.stringify(path.join(root, "checker", "analyzer.ts"))});
      startPolicyPack({ packDir: ${JSON.stringify(MINIMAL_PACK)}, project: "p", stack: "s", dryRun: true })
        .then((pack) => console.log(pack.pid));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["-e", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const packPid = await new Promise<number>((resolve, reject) => {
      child.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    assert.equal(isAlive(packPid), true);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_c, sig) => resolve(sig)),
    );
    child.kill("SIGINT");
    assert.equal(await exited, "SIGINT");
    // The child sent SIGKILL to the pack's group before re-raising SIGINT; delivery is
    // asynchronous, so wait (bounded) for the pack to be gone.
    const deadline = Date.now() + 3_000;
    while (isAlive(packPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(isAlive(packPid), false);
  });

  it("a directory without PulumiPolicy.yaml: one line naming the file", async function () {
    await assert.rejects(
      startPolicyPack({ ...base, packDir: tmp }),
      (e: PolicyPackError) => e.stage === "start" && e.message.includes(path.join(tmp, "PulumiPolicy.yaml")),
    );
  });
});
