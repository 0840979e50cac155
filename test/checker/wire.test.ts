import * as assert from "node:assert/strict";
import {
  OUTPUT_VALUE_SIG,
  RESOURCE_REFERENCE_SIG,
  SECRET_PLACEHOLDER,
  SECRET_SIG,
  SIG_KEY,
  UNKNOWN,
  redact,
  secret,
  toEngineWire,
} from "../../checker/wire";

describe("checker/wire: properties as the engine marshals them for a policy pack", function () {
  it("keeps secrets as {sig: secret, value}, collapses nested secrets, skips top-level internal keys only", function () {
    const wire = toEngineWire({
      password: secret(secret("p")),
      __defaults: ["x"],
      nested: { __kept: 1, list: [1, undefined, "a"] },
      gone: undefined,
    });
    assert.deepEqual(wire, {
      password: { [SIG_KEY]: SECRET_SIG, value: "p" },
      nested: { __kept: 1, list: [1, null, "a"] },
    });
  });

  it("turns a stack export's ciphertext into a placeholder secret and its plaintext into the value", function () {
    assert.deepEqual(toEngineWire({ c: { [SIG_KEY]: SECRET_SIG, ciphertext: "AAAA" } }), {
      c: secret(SECRET_PLACEHOLDER),
    });
    assert.deepEqual(toEngineWire({ p: { [SIG_KEY]: SECRET_SIG, plaintext: '{"a":1}' } }), {
      p: secret({ a: 1 }),
    });
  });

  it("unwraps output values (unknown -> the unknown sentinel, secret -> secret) and resource references", function () {
    assert.deepEqual(
      toEngineWire({
        known: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: "v" },
        unknown: { [SIG_KEY]: OUTPUT_VALUE_SIG },
        secretOut: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: "s", secret: true },
        ref: { [SIG_KEY]: RESOURCE_REFERENCE_SIG, urn: "urn:x", id: "i-1" },
        refNoId: { [SIG_KEY]: RESOURCE_REFERENCE_SIG, urn: "urn:y" },
        refPending: { [SIG_KEY]: RESOURCE_REFERENCE_SIG, urn: "urn:z", id: "" },
      }),
      {
        known: "v",
        unknown: UNKNOWN,
        secretOut: secret("s"),
        ref: "i-1",
        refNoId: "urn:y",
        refPending: UNKNOWN,
      },
    );
  });

  it("redacts every secret and marks unknowns, whatever their depth or form", function () {
    const shown = redact({
      a: secret("hunter2"),
      b: [{ c: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: "x", secret: true } }],
      d: UNKNOWN,
      e: "plain",
    });
    assert.deepEqual(shown, { a: "[secret]", b: [{ c: "[secret]" }], d: "[unknown]", e: "plain" });
    assert.equal(JSON.stringify(shown).includes("hunter2"), false);
  });
});
