/**
 * What the gate tests share: one started policy pack, fixture paths, a state export builder.
 * Also a mocha root hook plugin (.mocharc.js requires it): it closes the shared pack after the run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PolicyPack } from "../../gate/analyzer";
import { checkProgram } from "../../gate/check";
import { runProgram, type PlannedResource } from "../../gate/run-program";
import { loadStackConfig } from "../../gate/stack-config";

export const ROOT = path.join(__dirname, "..", "..");
export const PACK = path.join(ROOT, "policy");
export const fixture = (name: string) => path.join(ROOT, "test", "fixtures", "programs", name);

let devPack: Promise<PolicyPack> | undefined;

/** The real pack for the dev stack's config, started once for all test files (a start type-checks it). */
export function sharedDevPack(): Promise<PolicyPack> {
  const { project, config, secretKeys } = loadStackConfig(ROOT, "dev");
  devPack ??= PolicyPack.start(PACK, 60_000, {
    project: project.name,
    stack: "dev",
    config,
    secretKeys,
    dryRun: true,
  });
  return devPack;
}

/** `npm run check`'s program check of the project in `cwd` (stack dev), in this process, on the shared pack. */
export async function checkWithDevPack(cwd: string, extra: Partial<Parameters<typeof checkProgram>[0]> = {}) {
  return checkProgram(
    { cwd, stack: "dev", packDir: PACK, timeoutMs: 60_000, ...extra },
    { pack: await sharedDevPack(), inProcess: true },
  );
}

export const mochaHooks = {
  async afterAll() {
    await devPack?.then(
      (pack) => pack.close(),
      () => undefined,
    );
  },
};

/** Writes a `pulumi stack export` of these resources, as the engine saves them after `up`. */
export function exportOf(planned: PlannedResource[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-state-")), "state.json");
  const ids = new Map(planned.map((r) => [r.urn, r.id ?? ""]));
  const resources = planned
    .filter((r) => r.op !== "delete")
    .map((r) => ({
      urn: r.urn,
      id: r.id,
      type: r.type,
      custom: r.custom,
      inputs: r.inputs,
      outputs: r.outputs,
      parent: r.parent || undefined,
      provider: r.provider
        ? `${r.provider}::${ids.get(r.provider) || "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}`
        : undefined,
      replacementTrigger:
        r.options.replacementTrigger === undefined ? undefined : JSON.parse(r.options.replacementTrigger),
    }));
  fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { manifest: {}, resources } }));
  return file;
}

/** The export of a stack's state after `pulumi up` of its program (run in this process, not a preview). */
export async function deployedExport(cwd = ROOT, stack = "dev"): Promise<string> {
  const { project, config, secretKeys } = loadStackConfig(cwd, stack);
  const programDir = path.resolve(cwd, project.main);
  const opts = { programDir, project: project.name, stack, config, secretKeys, preview: false };
  return exportOf((await runProgram(opts)).resources);
}
