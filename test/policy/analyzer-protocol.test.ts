/**
 * The pack as the Pulumi CLI runs it: started with `@pulumi/pulumi/cmd/run-policy-pack` from
 * policy/ (policy/index.ts, type-checked by the CLI's ts-node; resolving ../lib and the hoisted
 * node_modules), spoken to over the Analyzer gRPC protocol through the gate's client
 * (gate/analyzer.ts), with the stack config and its secret keys sent in ConfigureStack. One pack
 * process serves every test here; it is killed in `after`.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import {
  ConfigureAnalyzerRequest,
  PolicyConfig as PolicyConfigMessage,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { PolicyPack, type PolicyConfig } from "../../gate/analyzer";
import type { PlannedResource } from "../../gate/run-program";
import { T } from "../../policy/lib/resource-types";
import { todayUtc } from "../../policy/lib/waivers";
import { aliasBomb, goodStack } from "./fixtures";
import { urnOf } from "./harness";
import { assertNoSecretPiece, awkwardSecrets, secretIn } from "./secrets";

const PACK_DIR = path.join(__dirname, "../../policy");

/** The table: the pack's interface. */
const EXPECTED = {
  "credentials-bootstrap-user-only": ["mandatory", "resource"],
  "administrator-bootstrap-user-only": ["mandatory", "resource"],
  "bootstrap-user-no-groups": ["mandatory", "resource"],
  "no-identity-center": ["mandatory", "resource"],
  "bootstrap-user-name": ["mandatory", "resource"],
  "management-account-name": ["mandatory", "resource"],
  "bootstrap-user-password-strength": ["mandatory", "resource"],
  "inspectable-templates": ["mandatory", "resource"],
  "no-escape-hatches": ["mandatory", "resource"],
  "bootstrap-user-no-extra-permissions": ["advisory", "resource"],
  "bootstrap-credentials-encrypted": ["advisory", "resource"],
  "bootstrap-user-temporary": ["advisory", "resource"],
  "bootstrap-user-expiry": ["mandatory", "resource"],
  "bootstrap-user-console-access": ["mandatory", "stack"],
  "bootstrap-user-administrator-access": ["mandatory", "stack"],
  "bootstrap-user-access-keys": ["mandatory", "stack"],
  "waivers-not-stale": ["advisory", "stack"],
  "policy-config-overrides": ["advisory", "stack"],
} as const;

function resource(type: string, name: string, props: Record<string, unknown>): PlannedResource {
  return {
    urn: urnOf(type, name),
    type,
    name,
    custom: true,
    parent: "",
    provider: "",
    inputs: props,
    outputs: props,
    options: {},
    dependencies: [],
  } as PlannedResource;
}

const membership = resource(T.userGroupMembership, "m", { user: "mgmt-org-admin", groups: ["admins"] });
const SECRETS = awkwardSecrets("protocol");

function daysFromToday(days: number): string {
  return todayUtc(new Date(Date.now() + days * 86_400_000));
}

/** Every policy at its own level, with `extra` knobs. */
async function configure(pack: PolicyPack, extra: Record<string, Record<string, unknown>> = {}) {
  const info = await pack.getAnalyzerInfo();
  const config: Record<string, PolicyConfig> = {};
  for (const p of info.policies)
    config[p.name] = { enforcementLevel: p.enforcementLevel, properties: extra[p.name] };
  for (const [k, v] of Object.entries(extra)) config[k] ??= { enforcementLevel: "advisory", properties: v };
  await pack.configure(config);
}

describe("policy pack over the Analyzer protocol (started as the CLI does)", function () {
  this.timeout(90_000);
  let pack: PolicyPack;

  before(async () => {
    pack = await PolicyPack.start(PACK_DIR, 60_000, {
      project: "management-bootstrap",
      stack: "dev",
      dryRun: true,
      config: {
        "management-bootstrap:projectName": "acme",
        "management-bootstrap:accountName": "acme-management",
        "management-bootstrap:token": SECRETS[3],
      },
      secretKeys: ["management-bootstrap:token"],
    });
  });
  after(async () => {
    await pack?.close();
  });

  it("GetAnalyzerInfo: every policy with its level, type, severity, docs and a strict schema", async () => {
    const info = await pack.getAnalyzerInfo();
    assert.equal(info.name, "management-bootstrap");
    assert.equal(
      info.version,
      JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")).version,
    );
    assert.deepEqual(info.policies.map((p) => p.name).sort(), Object.keys(EXPECTED).sort());
    const docs = fs.readFileSync(path.join(__dirname, "../../docs/policies.md"), "utf8");
    for (const p of info.policies) {
      assert.equal(p.enforcementLevel, EXPECTED[p.name as keyof typeof EXPECTED][0], p.name);
      assert.ok(["low", "medium", "high", "critical"].includes(p.severity), `${p.name} severity`);
      assert.equal(p.url, `docs/policies.md#${p.name}`);
      assert.ok(docs.includes(`\n## ${p.name}\n`), `docs/policies.md has a "## ${p.name}" section`);
      assert.ok(p.configSchema?.properties.waivers, `${p.name} takes waivers`);
    }
  });

  it("Configure: the example config is accepted; an unknown policy, knob or bad value is an error naming the key", async () => {
    const example = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "policy-config.example.json"), "utf8"));
    const knobs = Object.fromEntries(
      Object.entries(example).map(([k, v]) => [
        k,
        typeof v === "object" ? { ...(v as object), enforcementLevel: undefined } : {},
      ]),
    ) as Record<string, Record<string, unknown>>;
    for (const v of Object.values(knobs)) delete v.enforcementLevel;
    await configure(pack, knobs);
    await assert.rejects(
      configure(pack, { "bootstrap-user-no-group": {} }),
      /unknown policy "bootstrap-user-no-group"/,
    );
    await assert.rejects(
      configure(pack, { "bootstrap-user-access-keys": { maximumAccesKeys: 1 } }),
      /unknown key "maximumAccesKeys"/,
    );
    await assert.rejects(
      configure(pack, { "bootstrap-user-password-strength": { minimumPasswordLength: 3 } }),
      /minimumPasswordLength must be >= 6/,
    );
  });

  it("Analyze: a violation comes back mandatory, with the policy's severity and the resource's URN", async () => {
    await configure(pack);
    const [d, ...rest] = await pack.analyze(membership);
    assert.deepEqual(rest, []);
    assert.equal(d.policyName, "bootstrap-user-no-groups");
    assert.equal(d.enforcementLevel, "mandatory");
    assert.equal(d.severity, "high");
    assert.equal(d.urn, membership.urn);
    assert.match(d.message, /UserGroupMembership "m" adds the bootstrap user "mgmt-org-admin"/);
  });

  it("Analyze: a waiver by URN turns the finding advisory with its reason; once expired it blocks again", async () => {
    const waiver = { urn: membership.urn, reason: "moving off the group (OPS-7)" };
    await configure(pack, {
      "bootstrap-user-no-groups": { waivers: [{ ...waiver, expires: daysFromToday(0) }] },
    });
    let d = (await pack.analyze(membership))[0];
    assert.equal(d.enforcementLevel, "advisory");
    assert.match(d.message, /WAIVED until .*moving off the group \(OPS-7\)/);
    await configure(pack, {
      "bootstrap-user-no-groups": { waivers: [{ ...waiver, expires: daysFromToday(-1) }] },
    });
    d = (await pack.analyze(membership))[0];
    assert.equal(d.enforcementLevel, "mandatory");
    assert.match(d.message, /waiver for .* expired on \d{4}-\d{2}-\d{2} .*OPS-7/);
  });

  it("Analyze: an unknown is an advisory 'cannot check' for that resource; malformed input is an error at once", async () => {
    await configure(pack);
    const ds = await pack.analyze(
      resource(T.userGroupMembership, "m", { user: pulumi.runtime.unknownValue, groups: ["a"] }),
    );
    assert.deepEqual(
      ds.map((d) => d.enforcementLevel),
      ["advisory"],
    );
    assert.match(ds[0].message, /cannot check its users during preview/);
    const started = Date.now();
    const bad = resource(T.user, "u", {
      name: { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialAssetSig },
    });
    await assert.rejects(pack.analyze(bad), /property \.name is a malformed asset/);
    assert.ok(Date.now() - started < 5_000, "fails at once");
  });

  it("Analyze: a YAML alias bomb is refused (mandatory) within seconds, the pack's memory bounded (hung before)", async () => {
    await configure(pack);
    const pid = (pack as unknown as { child: { pid: number } }).child.pid;
    const rss = () =>
      Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
    const before = rss();
    const started = Date.now();
    const ds = await pack.analyze(resource(T.cfnStack, "bomb", { templateBody: aliasBomb() }));
    const took = Date.now() - started;
    const grew = rss() - before;
    assert.deepEqual(
      ds.map((d) => [d.policyName, d.enforcementLevel]),
      [["inspectable-templates", "mandatory"]],
    );
    assert.match(ds[0].message, /too large to inspect/);
    assert.ok(took < 5_000, `Analyze took ${took} ms`);
    assert.ok(grew < 200 * 2 ** 20, `the pack grew by ${grew} bytes`);
  });

  it("Analyze and AnalyzeStack: no secret (properties in three forms, secret stack config) in any message", async () => {
    await configure(pack, { "management-account-name": { projectName: "other" } });
    const messages: string[] = [];
    for (const form of ["value", "ciphertext", "plaintext"] as const) {
      const r = resource(T.accessKey, `k-${form}`, {
        user: secretIn(form, SECRETS[0]),
        pgpKey: secretIn(form, SECRETS[2]),
      });
      messages.push(...(await pack.analyze(r)).map((d) => d.message));
      messages.push(
        ...(
          await pack.analyze(
            resource(T.accountAlias, `a-${form}`, { accountAlias: secretIn(form, SECRETS[4]) }),
          )
        ).map((d) => d.message),
      );
    }
    assert.ok(messages.length >= 4, messages.join("\n"));
    for (const m of messages) assertNoSecretPiece(m, SECRETS);
  });

  it("secrets by provenance (issue 20): short values, keys, template IDs, error paths; no over-redaction", async () => {
    await configure(pack);
    const secret = (value: unknown) => secretIn("value", value as string);
    const text = async (r: PlannedResource) => (await pack.analyze(r)).map((d) => d.message).join("\n");
    const length = await text(
      resource(T.loginProfile, "lp", { user: "mgmt-org-admin", passwordLength: secret(8), pgpKey: "k" }),
    );
    assert.match(length, /has passwordLength \[secret\], below the minimum/);
    const key = await text(resource(T.accessKey, "k", { user: secret("bob"), pgpKey: "k" }));
    assert.match(key, /AccessKey "k"/);
    assert.doesNotMatch(key, /\bbob\b/);
    const keys = await text(
      resource(T.loginProfile, "lp2", {
        user: "mgmt-org-admin",
        passwordLength: secret({ "hidden-key": 1 }),
      }),
    );
    assert.match(keys, /not a whole number/);
    assert.doesNotMatch(keys, /hidden-key/);
    const template = `Resources:\n  HiddenLogicalId:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: hidden-user\n`;
    const cfn = await text(resource(T.cfnStack, "cfn", { templateBody: secret(template) }));
    assert.match(cfn, /template resource \[secret\]/);
    assert.doesNotMatch(cfn, /HiddenLogicalId|hidden-user/);
    const bad = resource(T.user, "u", {
      name: secret({ "hidden-path": { [pulumi.runtime.specialSigKey]: "not-a-signature" } }),
    });
    await assert.rejects(pack.analyze(bad), (e: Error) => {
      assert.match(e.message, /property \.name \(inside a secret\) is a malformed special value/);
      assert.doesNotMatch(e.message, /hidden-path/);
      return true;
    });
    // A secret equal to the user name, in an earlier request, hides it in no later one.
    await text(resource(T.user, "u2", { name: "mgmt-org-admin", tags: { Note: secret("mgmt-org-admin") } }));
    assert.match(await text(membership), /adds the bootstrap user "mgmt-org-admin"/);
  });

  it("Configure: no quiet switch-off (issue 20): all lowered, an unexplained override; overrides reported", async () => {
    const info = await pack.getAnalyzerInfo();
    const send = (changes: Record<string, PolicyConfig>) => {
      const config: Record<string, PolicyConfig> = {};
      for (const p of info.policies) config[p.name] = { enforcementLevel: p.enforcementLevel };
      return pack.configure({ ...config, ...changes });
    };
    // As the engine reconciles `{"all": "disabled"}`: every policy and "all" itself at that level.
    for (const level of ["advisory", "disabled"] as const) {
      const all = Object.fromEntries(info.policies.map((p) => [p.name, { enforcementLevel: level }]));
      await assert.rejects(
        send({ ...all, all: { enforcementLevel: level } }),
        new RegExp(`"all" may not set every policy to ${level}`),
      );
    }
    await assert.rejects(
      send({ "bootstrap-user-no-groups": { enforcementLevel: "advisory" } }),
      /bootstrap-user-no-groups: advisory instead of mandatory needs a "reason" and an "expires" date/,
    );
    await assert.rejects(
      send({
        "bootstrap-user-no-groups": { enforcementLevel: "mandatory", properties: { userName: "nobody" } },
      }),
      /userName "nobody" instead of "mgmt-org-admin" needs a "reason"/,
    );
    await assert.rejects(
      send({ constructor: { enforcementLevel: "disabled" as const } }),
      /unknown policy "constructor"/,
    );
    const why = { reason: "OPS-9", expires: daysFromToday(10) };
    await send({ "bootstrap-user-no-groups": { enforcementLevel: "advisory", properties: why } });
    const lowered = (await pack.analyze(membership))[0];
    assert.equal(lowered.enforcementLevel, "advisory");
    assert.match(
      lowered.message,
      /OVERRIDDEN until .* \(OPS-9; advisory instead of mandatory\): UserGroupMembership "m"/,
    );
    const reported = (await pack.analyzeStack([membership], () => undefined)).filter(
      (d) => d.policyName === "policy-config-overrides",
    );
    assert.equal(reported.length, 1);
    assert.equal(reported[0].enforcementLevel, "advisory");
    assert.match(
      reported[0].message,
      /"bootstrap-user-no-groups": advisory instead of mandatory, until .* \(reason: OPS-9\)/,
    );
    await configure(pack);
  });

  it("Configure: __proto__ as a policy name is refused, though protobuf's JS map drops it (issue 19)", async () => {
    // As the engine sends `{"__proto__": "disabled"}`: the bytes by hand, since this client's map drops the key too.
    const req = new ConfigureAnalyzerRequest();
    req.getPolicyconfigMap().set("xxproto__", new PolicyConfigMessage().setEnforcementlevel(2));
    const bytes = Buffer.from(
      Buffer.from(req.serializeBinary()).toString("latin1").replace("xxproto__", "__proto__"),
      "latin1",
    );
    const client = (pack as unknown as { client: grpc.Client }).client;
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        "/pulumirpc.Analyzer/Configure",
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        (e) => resolve(e),
      ),
    );
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /unknown policy "__proto__"/);
  });

  it("Analyze: a waiver by type and name is not borrowed by a same-named resource under a component", async () => {
    const waiver = { type: T.userGroupMembership, name: "m", reason: "OPS-7", expires: daysFromToday(3) };
    await configure(pack, { "bootstrap-user-no-groups": { waivers: [waiver] } });
    assert.equal((await pack.analyze(membership))[0].enforcementLevel, "advisory");
    const nested = {
      ...membership,
      urn: urnOf(`acme:index:Bootstrap$${T.userGroupMembership}`, "m"),
      parent: urnOf("acme:index:Bootstrap", "b"),
    };
    assert.equal((await pack.analyze(nested))[0].enforcementLevel, "mandatory");
    await configure(pack);
  });

  it("the program's stack is clean; a bad stack is reported per resource; the stack config reached the pack", async () => {
    await configure(pack);
    const stack = goodStack().map((r, i) => resource(r.type, r.name ?? `r${i}`, r.props ?? {}));
    for (const r of stack) assert.deepEqual(await pack.analyze(r), [], r.name);
    assert.deepEqual(await pack.analyzeStack(stack, () => undefined), []);

    await configure(pack, { "management-account-name": { projectName: "other" } });
    const pinned = (await pack.analyze(stack[0])).map((d) => d.message).join("\n");
    assert.match(
      pinned,
      /Stack config `management-bootstrap:projectName` is "acme" but this policy is configured for project "other"/,
    );
    await configure(pack);

    const bad = stack.filter((r) => r.type !== T.loginProfile);
    bad.push(resource(T.accessKey, "extra-key", { user: "mgmt-org-admin", pgpKey: "k" }));
    const names = (await pack.analyzeStack(bad, () => undefined))
      .map((d) => `${d.policyName} ${d.urn}`)
      .sort();
    assert.deepEqual(names, [
      `bootstrap-user-access-keys ${urnOf(T.accessKey, "extra-key")}`,
      `bootstrap-user-console-access ${urnOf(T.user, "bootstrap-user")}`,
    ]);
    const other = resource(T.accessKey, "ci-key", { user: "ci-bot", pgpKey: "k" });
    assert.deepEqual(
      (await pack.analyze(other)).map((d) => d.policyName),
      ["credentials-bootstrap-user-only"],
    );
  });
});
