/**
 * The docs, executed: every `sh` block of docs/runbook.md and README.md runs, verbatim and in order,
 * in a terminal (util-linux `script`, as an operator's shell has one), with `pulumi` being the CLI
 * built here against the stand-in providers. A doc that drifts from the CLI, the gate or the hand-off
 * tools fails here. Three shells, as the runbook has them: the first CloudShell session (install,
 * stack, check, preview, deploy, the README's gate commands, outputs, hand-off), a later session
 * (install again, coming back, rotate, destroy), and the README's "Try it without AWS".
 *
 * What cannot run here is replaced in ONE place, INSTEAD below, each with why; a replacement that
 * no longer matches a doc line fails the test, and so does a block that no session runs.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { T } from "../../policy/lib/resource-types";
import { ROOT, Workspace } from "./harness";

interface Block {
  doc: string;
  line: number;
  section: string;
  commands: string[];
}

/** The `sh` blocks of a Markdown file (fences may be indented in lists), continuation lines joined. */
function blocksOf(doc: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, doc), "utf8").split("\n");
  const blocks: Block[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#+ (.*)$/.exec(lines[i]);
    if (heading) section = heading[1];
    const fence = /^( *)```sh$/.exec(lines[i]);
    if (!fence) continue;
    const commands: string[] = [];
    let pending = "";
    for (i++; !/^ *```$/.test(lines[i]); i++) {
      const text = lines[i].slice(fence[1].length);
      if (text.endsWith("\\")) pending += text.slice(0, -1);
      else {
        commands.push(pending + text);
        pending = "";
      }
    }
    blocks.push({ doc, line: i - commands.length, section, commands });
  }
  return blocks;
}

/**
 * Everything the test does instead of what the docs say, and why. `find` is a substring of a doc
 * line; the line runs with it replaced (an empty `replace` with `whole` drops the line).
 */
const INSTEAD: { find: string; replace: string; whole?: boolean; why: string }[] = [
  {
    find: "git clone <your team's copy of this repository> management-bootstrap",
    replace: 'cp -a "$PRISTINE" management-bootstrap',
    why: "no git host here: a copy of this checkout stands in for the team's repository",
  },
  {
    find: "git clone <your team's copy of this repository> ~/management-bootstrap",
    replace: 'ln -s "$CLOUDSHELL_CLONE" ~/management-bootstrap',
    why: "the workstation's clone: the CloudShell one, linked (one machine plays both)",
  },
  {
    find: "source .ci/node-env.sh && npm ci",
    replace: "source .ci/node-env.sh",
    whole: true,
    why: "node_modules is this checkout's, linked, already installed (npm ci would empty it)",
  },
  { find: "npm ci ", replace: "", whole: true, why: "as above: node_modules is already installed" },
  {
    find: "curl -fsSL https://get.pulumi.com",
    replace: 'mkdir -p "$PULUMI_HOME/bin" && cp "$PULUMI_SHIM" "$PULUMI_HOME/bin/pulumi"',
    whole: true,
    why: "no downloads: the CLI built from Go modules, through npm run engine:pulumi (pulumi-cli.ts)",
  },
  {
    find: "pulumi login 's3://BUCKET?region=REGION'",
    replace: "",
    whole: true,
    why: "an S3 bucket needs AWS: the folder backend in $HOME, the runbook's other choice, is used",
  },
  {
    find: "&& git push",
    replace: "",
    whole: true,
    why: "no git host (and the copy is no repository): the configuration is kept in $HOME, the runbook's other choice",
  },
  {
    find: "leverage credentials configure --type BOOTSTRAP --credentials-file keys.csv",
    replace: 'python3 -c "$LEVERAGE_READS_CSV" keys.csv',
    whole: true,
    why: "the leverage CLI is not here: keys.csv is read as Leverage reads it (csv.DictReader, first row, exact headers)",
  },
  {
    find: "pulumi stack output --stack management --json --show-secrets | npm run --silent show-password",
    replace: "",
    whole: true,
    why: "the path without pgpKey; this walk sets pgpKey (the lifecycle engine test runs the plain path)",
  },
  {
    find: "npm run check -- --policy-pack-config policy/policy-config.example.json",
    replace: 'set +e; LINE; rc=$?; set -e; [ "$rc" -eq 1 ]',
    whole: true,
    why: "the README says it fails on dev (exit status 1): asserted",
  },
  {
    find: "aws iam create-open-id-connect-provider",
    replace: "",
    whole: true,
    why: "IAM's OIDC provider needs AWS",
  },
];
/** Whole blocks of the path the walk does not take, and why. */
const OTHER_PATH: { first: string; why: string }[] = [
  {
    first:
      "pulumi stack output --stack management --json --show-secrets | npm run --silent leverage-credentials",
    why: "keys.csv without pgpKey (the lifecycle engine test writes it from --show-secrets outputs)",
  },
  { first: "mv ~/Downloads/keys.csv ~/leverage/acme/", why: "as above, its workstation half" },
  { first: "source .ci/node-env.sh", why: "the developer's set-up: .ci/run runs npm ci and npm test itself" },
  {
    first: "aws iam create-role --role-name github-audit",
    why: "the audit role needs AWS (account.engine.ts runs npm run audit against moto)",
  },
  { first: "npx mocha test/gate/check.test.ts", why: "developer commands: .ci/run runs each of them itself" },
];
/** The placeholders of the runbook's list, and what they are here. */
const PLACEHOLDERS: Record<string, string> = { FINGERPRINT: "$FINGERPRINT" };

/** Which sections each shell runs, in order. */
const SESSIONS: { name: string; sections: [doc: string, section: RegExp][] }[] = [
  {
    name: "the first CloudShell session",
    sections: [
      ["docs/runbook.md", /^2\. Install/],
      ["docs/runbook.md", /^3\. State/],
      ["docs/runbook.md", /^4\. Check/],
      ["README.md", /^The offline policy gate/],
      ["docs/runbook.md", /^5\. Read the outputs/],
      ["docs/runbook.md", /^6\. Hand over/],
    ],
  },
  {
    name: "a later CloudShell session",
    sections: [
      ["docs/runbook.md", /^2\. Install/],
      ["docs/runbook.md", /^7\. Coming back/],
      ["docs/runbook.md", /^8\. Rotate/],
      ["docs/runbook.md", /^9\. Destroy/],
      ["docs/runbook.md", /^11\. Set up the OIDC/],
    ],
  },
  { name: "the README's try-out", sections: [["README.md", /^Try it without AWS/]] },
];

/** Leverage's reading of the access keys file (leverage/modules/credentials.py: csv.DictReader). */
const LEVERAGE_READS_CSV = `
import csv, re, sys
with open(sys.argv[1], newline="") as f:
    row = next(csv.DictReader(f))
assert re.fullmatch(r"[A-Z0-9]{20}", row["Access key ID"]), "access key id"
assert re.fullmatch(r"[a-zA-Z0-9/+]{40}", row["Secret access key"]), "secret access key"
print("leverage stand-in: keys.csv read")
`;

/** The shell's `pulumi`: the built CLI with the stand-ins, answering yes where the operator would type it. */
const PULUMI_SHIM = `#!/usr/bin/env bash
set -- "$@" $( { [ "$1" = up ] || [ "$1" = destroy ] || { [ "$1" = stack ] && [ "$2" = rm ]; }; } && echo --yes)
exec npm --prefix "$PRISTINE" run --silent engine:pulumi -- "$@"
`;

const ALL = [...blocksOf("docs/runbook.md"), ...blocksOf("README.md")];

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The lines a session runs: its sections' blocks, with INSTEAD and the placeholders applied. */
function scriptOf(session: (typeof SESSIONS)[number], used: Set<string>): string {
  const out: string[] = [];
  for (const [doc, section] of session.sections) {
    const blocks = ALL.filter((b) => b.doc === doc && section.test(b.section));
    assert.ok(blocks.length > 0, `${doc} has no sh block in a section matching ${section}`);
    for (const block of blocks) {
      used.add(`${block.doc}:${block.line}`);
      if (OTHER_PATH.some((o) => block.commands[0].startsWith(o.first))) continue;
      block.commands.forEach((command, n) => {
        let line = command;
        for (const i of INSTEAD)
          if (line.includes(i.find)) {
            used.add(i.find);
            line = i.whole ? i.replace.replace("LINE", line) : line.replace(i.find, i.replace);
          }
        for (const [p, v] of Object.entries(PLACEHOLDERS)) line = line.replaceAll(p, v);
        line = line.replaceAll("/tmp", "$WORK"); // each CloudShell session has a new /tmp
        out.push(`echo ${shellQuote(`=== ${block.doc}:${block.line + n}: ${command}`)}`, line);
      });
    }
  }
  return ["set -euo pipefail", ...out, "echo '=== done'"].join("\n");
}

/** A shell's bound: 3 min alone, 8 min beside fidelity's commands (parallel mode), on this machine. */
const SESSION_TIMEOUT_MS = 20 * 60_000;

describe("engine docs: the README's and the runbook's commands run as written", function () {
  this.timeout(SESSION_TIMEOUT_MS + 60_000);
  let ws: Workspace;
  let home: string;
  let fingerprint = "";
  let goCaches: Record<string, string> = {};
  let tryOut: ReturnType<typeof session> | undefined;
  const used = new Set<string>();

  before(() => {
    ws = new Workspace();
    home = path.join(ws.tmp, "operator");
    const [GOCACHE, GOMODCACHE, GOPATH] = execFileSync("go", ["env", "GOCACHE", "GOMODCACHE", "GOPATH"], {
      encoding: "utf8",
    }).split("\n");
    goCaches = { GOCACHE, GOMODCACHE, GOPATH };
    fs.mkdirSync(path.join(home, "leverage", "acme"), { recursive: true });
    // CloudShell's Download file: one machine plays both, so the workstation's Downloads is the home.
    fs.symlinkSync(home, path.join(home, "Downloads"));
    fs.writeFileSync(path.join(ws.tmp, "pulumi-shim"), PULUMI_SHIM, { mode: 0o755 });
    // The recipient's OpenPGP key, made by GnuPG as an operator makes it (no passphrase: none to type).
    execFileSync(
      "gpg",
      ["--batch", "--passphrase", "", "--quick-gen-key", "Docs Test <docs@example.invalid>"],
      {
        env: { ...process.env, HOME: home },
        stdio: "ignore",
      },
    );
    fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(
      execFileSync("gpg", ["--list-keys", "--with-colons"], {
        env: { ...process.env, HOME: home },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    )![1];
  });
  after(() => {
    if (home) execFileSync("gpgconf", ["--kill", "all"], { env: { ...process.env, HOME: home } });
    ws?.close();
  });

  /**
   * One shell, in a terminal; what the operator types at `read -rs` is typed when the shell gets there
   * (typed ahead, a program reading the terminal, as the CLI does, would take it). Its output and status.
   */
  function session(index: number): Promise<{ code: number | null; out: string }> {
    const work = path.join(ws.tmp, `tmp-${index}`);
    fs.mkdirSync(work);
    const script = path.join(work, "session.sh");
    fs.writeFileSync(script, scriptOf(SESSIONS[index], used));
    const start = index === 2 ? path.join(work, "clone") : home;
    // cp -a keeps the timestamps: pulumi.sh rebuilds the CLI when a Go file looks newer than it.
    if (index === 2) execFileSync("cp", ["-a", ws.project, start]);
    const child = spawn(
      "script",
      ["--quiet", "--return", "--echo", "never", "--command", `bash ${script}`, "/dev/null"],
      {
        cwd: start,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        env: {
          PATH: process.env.PATH,
          HOME: home,
          TERM: "xterm",
          LANG: "C.UTF-8",
          WORK: work,
          PRISTINE: ws.project,
          CLOUDSHELL_CLONE: path.join(ws.tmp, "tmp-0", "management-bootstrap"),
          PULUMI_SHIM: path.join(ws.tmp, "pulumi-shim"),
          FINGERPRINT: fingerprint,
          LEVERAGE_READS_CSV,
          PULUMI_SKIP_UPDATE_CHECK: "true",
          // The operator's HOME is a temp dir: Go keeps this machine's caches, should pulumi.sh rebuild.
          ...goCaches,
        },
      },
    );
    let out = "";
    let typed = 0;
    const onOutput = (d: Buffer) => {
      out += d.toString();
      const prompts = out.match(/^=== .*: read -rs /gm)?.length ?? 0;
      for (; typed < prompts; typed++) child.stdin!.write("operator passphrase\n");
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), SESSION_TIMEOUT_MS);
    return new Promise((resolve) => {
      child.once("close", (code) => {
        clearTimeout(timer);
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // the session's group is gone
        }
        resolve({ code, out: out.replace(/\r/g, "") });
      });
    });
  }
  const failedAt = (out: string) => out.slice(out.lastIndexOf("=== ")).slice(0, 3000);

  it("the first CloudShell session: install, stack, check, preview, deploy, outputs, hand-off to Leverage", async () => {
    // The README's try-out is a shell of its own, independent of these two: it runs alongside.
    tryOut = session(2);
    const { code, out } = await session(0);
    assert.equal(code, 0, failedAt(out));
    assert.match(out, /=== done/);
    const account = JSON.parse(
      fs.readFileSync(path.join(home, "bootstrap", "state", "stand-in-account.json"), "utf8"),
    );
    assert.deepEqual(Object.keys(account.resources[T.user]), ["mgmt-org-admin"]);
    assert.equal(Object.keys(account.resources[T.accessKey]).length, 1);
    assert.match(out, /leverage stand-in: keys\.csv read/);
    // show-password printed the decrypted password to the terminal, and nothing of it is left on disk.
    assert.match(out, /mgmt-org-admin/);
    assert.ok(!fs.existsSync(path.join(home, "leverage", "acme", "keys.csv")));
    assert.ok(
      fs.existsSync(path.join(home, "bootstrap", "Pulumi.management.yaml")),
      "the configuration outlives the session",
    );
  });

  it("a later session: install again, come back, rotate, destroy", async () => {
    const { code, out } = await session(1);
    assert.equal(code, 0, failedAt(out));
    assert.match(out, /=== done/);
    assert.match(out, /deleted/);
    assert.ok(
      !fs.existsSync(path.join(home, "bootstrap")),
      "the runbook's clean-up removed the state folder",
    );
  });

  it("the README's try-out runs in a fresh clone with the local backend", async () => {
    const { code, out } = await (tryOut ?? session(2));
    assert.equal(code, 0, failedAt(out));
    // What `stack output ... userName` printed, up to the next command's line.
    assert.match(
      out,
      /stack output --stack management userName\n(?:(?!===)[^\n]*\n)*(?!===)[^\n]*mgmt-org-admin/,
    );
    assert.ok(fs.existsSync(path.join(ws.tmp, "tmp-2", "clone", ".pulumi-local")));
  });

  it("every sh block is run or named as the other path, and every replacement still matches a doc line", () => {
    const unplaced = ALL.filter(
      (b) => !used.has(`${b.doc}:${b.line}`) && !OTHER_PATH.some((o) => b.commands[0].startsWith(o.first)),
    );
    assert.deepEqual(
      unplaced.map((b) => `${b.doc}:${b.line} (${b.section})`),
      [],
      "add the block's section to a session, or its first line to OTHER_PATH",
    );
    assert.deepEqual(
      INSTEAD.filter((i) => !used.has(i.find)).map((i) => i.find),
      [],
      "a replacement matches no doc line any more: remove it",
    );
  });
});
