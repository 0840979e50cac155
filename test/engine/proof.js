// Proof that the engine path works end to end (issue 14, part 1): the real CLI built by
// pulumi.sh, an inline Automation API program, a fake `aws` provider attached through
// PULUMI_DEBUG_PROVIDERS, and (with --policy) the project's policy pack. Not a test suite:
//
//   node test/engine/proof.js [fake|aws|real] [--policy] [--up] [--bad-name] [--bad-project] [--no-tags]
//                           [--mandatory-tags] [--destroy]
//
// fake: a raw CustomResource of type aws:fake/thing:Thing; aws: new aws.iam.User from @pulumi/aws;
// real: the project's own index.ts (loaded with the tests' TypeScript loader), with `random` faked too.
// Environment knobs: FAKE_VERSION (what the fake reports; the engine ignores it), NO_DEBUG (no
// PULUMI_DEBUG_PROVIDERS: the engine then tries to download pulumi-resource-aws v7.48.0),
// NO_ACQUISITION, ENGINE_ROOT (another dir holding bin/pulumi), KEEP (keep the temp dir),
// PROOF_VERBOSE (print the CLI's whole stderr on failure).
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");

const ROOT = path.resolve(__dirname, "../..");
const ENGINE = process.env.ENGINE_ROOT || path.join(ROOT, "node_modules/.cache/engine");
const args = process.argv.slice(2);
const mode = args.includes("real") ? "real" : args.includes("aws") ? "aws" : "fake";

/** Starts the fake provider for `pkg` and resolves with [child, port]. */
function startProvider(pkg, version, logFile) {
  const child = spawn(process.execPath, [path.join(__dirname, "fake-provider.js"), pkg, version], {
    env: { ...process.env, FAKE_PROVIDER_LOG: logFile },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`fake provider exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).once("line", (line) => resolve([child, Number(line)]));
  });
}

async function main() {
  execFileSync("bash", [path.join(__dirname, "pulumi.sh")], {
    env: { ...process.env, ENGINE_PULUMI_BUILD_ONLY: "1" },
    stdio: "inherit",
  });
  const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
  const pulumi = require("@pulumi/pulumi");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-proof-"));
  const logFile = path.join(tmp, "provider.log");
  const [provider, port] = await startProvider("aws", process.env.FAKE_VERSION || "7.48.0", logFile);
  const [randomProvider, randomPort] = await startProvider("random", "4.21.2", logFile);
  try {
    const userName = args.includes("--bad-name") ? "someone-else" : "mgmt-org-admin";
    const program = async () => {
      if (mode === "real") {
        require("../register.js");
        return require(path.join(ROOT, "index.ts"))();
      }
      if (mode === "aws") {
        const aws = require("@pulumi/aws");
        const user = new aws.iam.User("bootstrap-user", {
          name: userName,
          forceDestroy: true,
          tags: args.includes("--no-tags")
            ? undefined
            : { Purpose: "leverage-bootstrap", Temporary: "true", ManagedBy: "pulumi" },
        });
        return { arn: user.arn };
      }
      const thing = new pulumi.CustomResource("aws:fake/thing:Thing", "t1", {
        name: "thing-1",
        arn: undefined,
      });
      return { arn: thing.arn };
    };
    const t0 = Date.now();
    fs.mkdirSync(path.join(tmp, "state")); // the file backend wants an existing directory
    fs.mkdirSync(path.join(tmp, "work")); // else LocalWorkspace leaves an automation-* dir in os.tmpdir()
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "dev", projectName: "management-bootstrap", program },
      {
        workDir: path.join(tmp, "work"),
        projectSettings: {
          name: "management-bootstrap",
          runtime: "nodejs",
          backend: { url: `file://${tmp}/state` },
        },
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: "test",
          PULUMI_BACKEND_URL: `file://${tmp}/state`,
          PULUMI_HOME: path.join(tmp, "home"), // proves nothing is downloaded into the plugin cache
          ...(process.env.NO_DEBUG ? {} : { PULUMI_DEBUG_PROVIDERS: `aws:${port},random:${randomPort}` }),
          PULUMI_SKIP_UPDATE_CHECK: "true",
          ...(process.env.NO_ACQUISITION ? { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" } : {}),
        },
        pulumiCommand: await PulumiCommand.get({ root: ENGINE }),
      },
    );
    await stack.setConfig("aws:region", { value: "us-east-1" });
    await stack.setConfig("projectName", { value: args.includes("--bad-project") ? "Bad_Project" : "acme" });
    console.log(`stack ready in ${Date.now() - t0} ms (workDir ${stack.workspace.workDir})`);

    const opts = { onOutput: (s) => process.stdout.write(s) };
    if (args.includes("--policy")) opts.policyPacks = [path.join(ROOT, "policy")];
    if (args.includes("--mandatory-tags")) {
      // A resource policy made mandatory: it stops the resource's step instead of reporting after.
      fs.writeFileSync(
        path.join(tmp, "pack-config.json"),
        JSON.stringify({ "bootstrap-user-temporary": "mandatory" }),
      );
      opts.policyPackConfigs = [path.join(tmp, "pack-config.json")];
    }
    for (const op of args.includes("--up") ? ["preview", "up"] : ["preview"]) {
      const t = Date.now();
      try {
        const res = await stack[op](opts);
        const summary = op === "up" ? res.summary.resourceChanges : res.changeSummary;
        console.log(`${op} ok in ${Date.now() - t} ms: ${JSON.stringify(summary)}`);
        if (op === "up") console.log(`outputs=${JSON.stringify(res.outputs)}`);
      } catch (e) {
        const r = e.commandResult;
        console.log(
          `${op} FAILED in ${Date.now() - t} ms: ${e.constructor.name} code=${r?.code} cli exit=${r?.err?.exitCode}`,
        );
        console.log(`stderr's last lines: ${JSON.stringify((r?.stderr ?? "").trim().split("\n").slice(-3))}`);
        if (process.env.PROOF_VERBOSE) console.log(r?.stderr ?? e);
        process.exitCode = 1;
      }
    }
    if (args.includes("--destroy")) {
      const t = Date.now();
      const ref = await stack.refresh({ onOutput: (s) => process.stdout.write(s) });
      const des = await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
      console.log(
        `refresh ${JSON.stringify(ref.summary.resourceChanges)} and destroy ${JSON.stringify(des.summary.resourceChanges)} ok in ${Date.now() - t} ms`,
      );
    }
    const deployment = await stack.exportStack();
    for (const r of deployment.deployment.resources ?? [])
      console.log(`state: ${r.urn} ${r.inputs?.version ?? ""} ${r.id ?? ""}`);
    console.log("provider calls:\n" + (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "(none)"));
    const plugins = path.join(tmp, "home", "plugins");
    console.log(
      `plugin cache: ${fs.existsSync(plugins) ? fs.readdirSync(plugins).join(", ") || "(empty)" : "(none)"}`,
    );
  } finally {
    provider.kill();
    randomProvider.kill();
    if (!process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
