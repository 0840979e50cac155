/**
 * What the gate tests share: one started policy pack, fixture paths, a state export builder.
 * Also a mocha root hook plugin (.mocharc.js requires it): it closes the shared pack after the run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PolicyPack } from "../../gate/analyzer";
import type { CheckResult } from "../../gate/check";
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

export const mochaHooks = {
  async afterAll() {
    await devPack?.then(
      (pack) => pack.close(),
      () => undefined,
    );
  },
};

/** A `pulumi stack export` of the plan, as the engine would have saved it after `up`. */
export function exportOf(result: CheckResult): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-state-")), "state.json");
  const ids = new Map(result.resources.map((r) => [r.urn, r.id ?? ""]));
  const resources = result.resources
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
