// docs/audit-policy.json allows exactly the calls audit/ makes, and only reads (List, Get, Describe).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const SERVICE: Record<string, string> = {
  "@aws-sdk/client-iam": "iam",
  "@aws-sdk/client-organizations": "organizations",
  "@aws-sdk/client-sts": "sts",
};

/** `service:Action` of every command and paginator a source file imports from an SDK client and uses. */
export function actionsOf(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/client-[a-z-]+)"/g)) {
    const service = SERVICE[m[2]];
    assert.ok(service, `audit/ imports ${m[2]}, which this test does not map to an IAM service prefix`);
    for (const name of m[1].split(",").map((n) => n.trim().replace(/^type\s+/, ""))) {
      const action = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
      // Imported and used: `new XCommand(` or `paginateX(`.
      if (action && new RegExp(`(new ${name}\\(|${name}\\()`).test(source.slice(m.index! + m[0].length)))
        out.add(`${service}:${action}`);
    }
  }
  return [...out];
}

describe("audit: the least-privilege policy (docs/audit-policy.json)", () => {
  const files = fs
    .readdirSync(path.join(ROOT, "audit"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(ROOT, "audit", f));
  const used = [...new Set(files.flatMap((f) => actionsOf(fs.readFileSync(f, "utf8"))))].sort();
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, "docs", "audit-policy.json"), "utf8"));

  it("allows exactly the calls the code makes, on the actions' own names", () => {
    assert.ok(used.length >= 10, `found only ${used.join(", ")}`);
    const allowed = doc.Statement.flatMap((s: { Action: string[] }) => s.Action).sort();
    assert.deepEqual(allowed, used);
  });

  it("allows only reads: List, Get and Describe, no wildcard, one Allow statement", () => {
    assert.equal(doc.Statement.length, 1);
    assert.equal(doc.Statement[0].Effect, "Allow");
    for (const a of doc.Statement[0].Action) assert.match(a, /^[a-z]+:(List|Get|Describe)[A-Za-z]+$/);
  });

  it("finds a command and a paginator, and ignores an import that is not used", () => {
    const src = `import { GetUserCommand, paginateListUsers, DeleteUserCommand } from "@aws-sdk/client-iam";
      new GetUserCommand({}); paginateListUsers({}, {});`;
    assert.deepEqual(actionsOf(src).sort(), ["iam:GetUser", "iam:ListUsers"]);
  });

  it("is shown in docs/audit.md", () => {
    const md = fs.readFileSync(path.join(ROOT, "docs", "audit.md"), "utf8");
    assert.match(md, /audit-policy\.json/);
  });
});
