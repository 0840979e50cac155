import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { HandoffInputError } from "../../handoff/errors";
import {
  leverageCredentialsCsv,
  validateAccessKeyId,
  validateSecretAccessKey,
} from "../../handoff/leverageCredentials";

describe("handoff/leverageCsv", () => {
  it("writes the exact bytes of Leverage's own test fixture (header, one row, LF, no quoting, no BOM)", () => {
    // binbashar/leverage tests/test_modules/test_credentials.py, test_extract_credentials.
    const csv = leverageCredentialsCsv("ACCESSKEYXXXXXXXXXXX", "secretkeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert.equal(
      csv,
      "Access key ID,Secret access key\nACCESSKEYXXXXXXXXXXX,secretkeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    );
    assert.notEqual(Buffer.from(csv)[0], 0xef, "no UTF-8 byte-order mark");
  });

  it("accepts every value in Leverage's formats and keeps / and + in the secret unquoted", () => {
    const keyId = fc.stringMatching(/^[A-Z0-9]{20}$/);
    const secret = fc.stringMatching(/^[a-zA-Z0-9/+]{40}$/);
    fc.assert(
      fc.property(keyId, secret, (id, s) => {
        const lines = leverageCredentialsCsv(id, s).split("\n");
        assert.deepEqual(lines, ["Access key ID,Secret access key", `${id},${s}`, ""]);
      }),
      { numRuns: 200 },
    );
  });

  const badKeyIds: Array<[string, string]> = [
    ["19 characters", "AKIAIOSFODNN7EXAMPL"],
    ["21 characters", "AKIAIOSFODNN7EXAMPLEX"],
    ["lower case", "akiaiosfodnn7example"],
    ["a comma", "AKIAIOSFODNN7EXAMP,E"],
    ["a trailing newline", "AKIAIOSFODNN7EXAMPLE\n"],
  ];
  for (const [what, value] of badKeyIds) {
    it(`rejects an access key ID with ${what}, naming the expected form`, () => {
      assert.throws(
        () => validateAccessKeyId(value),
        (error: Error) =>
          error instanceof HandoffInputError &&
          /expected 20 characters of A-Z and 0-9/.test(error.message) &&
          !error.message.includes(value),
      );
    });
  }

  it("rejects any secret outside Leverage's format without quoting it in the error", () => {
    const notSecret = fc
      .string({ minLength: 0, maxLength: 60 })
      .filter((s) => !/^[a-zA-Z0-9/+]{40}$/.test(s) && s.length >= 8);
    fc.assert(
      fc.property(notSecret, (s) => {
        assert.throws(
          () => validateSecretAccessKey(s),
          (error: Error) =>
            error instanceof HandoffInputError &&
            error.message.includes(`got ${s.length} characters`) &&
            !error.message.includes(s),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("refuses to build a CSV from a bad secret", () => {
    assert.throws(() => leverageCredentialsCsv("AKIAIOSFODNN7EXAMPLE", "short"), HandoffInputError);
  });
});
