/**
 * Day two: the program planned against its own deployed state, as `pulumi preview` plans an
 * update (the gate's runner keeps ignored inputs, compares the replacement trigger, and lets the
 * fake AWS's ForceNew properties decide replacements).
 */
import * as assert from "node:assert/strict";
import { T } from "../../policy/lib/resource-types";
import { runProgram, stackConfig, throwawayPgpKey, type ProgramRun } from "./harness";

const op = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type).map((r) => r.op);
const ops = (run: ProgramRun) =>
  Object.fromEntries(run.resources.map((r) => [`${r.type.split(":").pop()}/${r.name}`, r.op]));

describe("program lifecycle: updates of a deployed stack", function () {
  let deployed: ProgramRun;
  before(async () => {
    deployed = await runProgram(stackConfig({ createAccessKey: "true" }));
  });

  it("plans a first deployment as creates only", async () => {
    const first = await runProgram(stackConfig(), { prior: new Map() });
    assert.ok(first.resources.length > 0);
    assert.ok(first.resources.every((r) => r.op === "create"));
  });

  it("changes nothing when the config is the same", async () => {
    const again = await runProgram(stackConfig({ createAccessKey: "true" }), { prior: deployed.state });
    assert.ok(
      again.resources.every((r) => r.op === "same"),
      JSON.stringify(ops(again)),
    );
    assert.equal(again.outputs.consolePassword, deployed.outputs.consolePassword);
    assert.equal(again.outputs.secretAccessKey, deployed.outputs.secretAccessKey);
    assert.deepEqual(again.warnings, []);
  });

  it("with pgpKey set, replaces nothing, keeps the outputs and says what waits for the rotation", async () => {
    const key = await throwawayPgpKey();
    const run = await runProgram(stackConfig({ createAccessKey: "true", pgpKey: key.base64 }), {
      prior: deployed.state,
    });
    assert.ok(
      run.resources.every((r) => r.op === "same"),
      JSON.stringify(ops(run)),
    );
    assert.equal(run.outputs.consolePassword, deployed.outputs.consolePassword);
    assert.equal(run.outputs.secretAccessKey, deployed.outputs.secretAccessKey);
    assert.ok(!("encryptedPassword" in run.outputs));
    assert.equal(run.warnings.length, 1, run.warnings.join("\n"));
    assert.match(run.warnings[0], /pgpKey is set, the current credentials are not PGP-encrypted/);
    assert.match(run.warnings[0], /credentialsRotation/);
  });

  it("a new credentialsRotation replaces the login profile (delete first) and the access key (create first)", async () => {
    const run = await runProgram(stackConfig({ createAccessKey: "true", credentialsRotation: "2" }), {
      prior: deployed.state,
    });
    assert.deepEqual(op(run, T.loginProfile), ["replace"]);
    assert.deepEqual(op(run, T.accessKey), ["replace"]);
    assert.equal(run.resources.find((r) => r.type === T.loginProfile)!.deleteBeforeReplace, true);
    assert.equal(run.resources.find((r) => r.type === T.accessKey)!.deleteBeforeReplace, false);
    // The old issue goes, a new one comes; the user, its start date and its admin attachment stay.
    assert.deepEqual(op(run, "random:index/randomId:RandomId").sort(), ["create", "delete", "same"]);
    assert.deepEqual(op(run, T.user), ["same"]);
    assert.deepEqual(op(run, T.userPolicyAttachment), ["same"]);
    assert.notEqual(run.outputs.consolePassword, deployed.outputs.consolePassword);
  });

  it("keeps the first deployment's start date: a later run or a rotation never moves ExpiresOn; the lifetime does", async () => {
    // The stack as deployed on 2026-01-01: the start resource's keepers hold that day.
    const state = structuredClone(deployed.state);
    const [startUrn, start] = [...state].find(([urn]) => urn.endsWith("::bootstrap-user-start"))!;
    for (const props of [start.inputs, start.outputs] as Record<string, unknown>[])
      props.keepers = { startedOn: "2026-01-01" };
    state.set(startUrn, start);
    const expiresOn = (run: ProgramRun) =>
      (run.resources.find((r) => r.type === T.user)!.inputs.tags as Record<string, string>).ExpiresOn;
    const rotated = await runProgram(stackConfig({ createAccessKey: "true", credentialsRotation: "2" }), {
      prior: state,
    });
    assert.equal(expiresOn(rotated), "2026-01-31");
    assert.equal(rotated.outputs.expiresOn, "2026-01-31");
    assert.equal(rotated.resources.find((r) => r.name === "bootstrap-user-start")!.op, "same");
    const extended = await runProgram(
      stackConfig({ createAccessKey: "true", bootstrapUserLifetimeDays: "60" }),
      {
        prior: state,
      },
    );
    assert.equal(expiresOn(extended), "2026-03-02");
    // A tag: updated in place, never a new user (whose credentials would go with it).
    assert.deepEqual(op(extended, T.user), ["update"]);
  });

  it("createAccessKey turned off deletes the key", async () => {
    const run = await runProgram(stackConfig({ createAccessKey: "false" }), { prior: deployed.state });
    assert.deepEqual(op(run, T.accessKey), ["delete"]);
    assert.ok(!("accessKeyId" in run.outputs));
  });

  it("manageAccountAlias false deletes the alias and falls back to the account-id sign-in URL", async () => {
    const run = await runProgram(stackConfig({ createAccessKey: "true", manageAccountAlias: "false" }), {
      prior: deployed.state,
    });
    assert.deepEqual(op(run, T.accountAlias), ["delete"]);
    assert.match(
      String(run.outputs.consoleSignInUrl),
      /^https:\/\/\d{12}\.signin\.aws\.amazon\.com\/console$/,
    );
  });

  it("passwordLength alone changes nothing in AWS until the rotation", async () => {
    const run = await runProgram(stackConfig({ createAccessKey: "true", passwordLength: "48" }), {
      prior: deployed.state,
    });
    assert.deepEqual(op(run, T.loginProfile), ["same"]);
    assert.match(run.warnings.join("\n"), /passwordLength is 48, the current password has 32/);
  });
});
