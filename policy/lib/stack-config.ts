/**
 * The stack's own configuration, as the engine hands it to a policy pack: the CLI starts the
 * pack with PULUMI_CONFIG (JSON of "<project>:<key>" to string, secrets decrypted) and
 * PULUMI_PROJECT / PULUMI_NODEJS_PROJECT in its environment
 * (pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv).
 *
 * Read straight from the environment rather than through @pulumi/pulumi's runtime store, whose
 * state is process-global. Only the keys asked for are ever returned: the rest (which may hold
 * decrypted secrets) is never logged or echoed.
 */

export interface StackConfig {
  /** The Pulumi project whose config namespace is read, when the engine said. */
  project?: string;
  /** Value of `<project>:<key>`, or undefined when unset or not a string. */
  get(key: string): string | undefined;
}

/** Legacy config keys carried a ":config:" infix; @pulumi/pulumi's runtime/config.js cleanKey drops it. */
function cleanKey(key: string): string {
  const idx = key.indexOf(":");
  if (idx > 0 && key.startsWith("config:", idx + 1)) return key.slice(0, idx) + ":" + key.slice(idx + 8);
  return key;
}

export function readStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const project = env.PULUMI_PROJECT || env.PULUMI_NODEJS_PROJECT || undefined;
  const values = new Map<string, string>();
  const raw = env.PULUMI_CONFIG;
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") values.set(cleanKey(k), v);
      }
    } catch {
      // A malformed PULUMI_CONFIG is the engine's problem, not a policy finding: act as if unset.
    }
  }
  return {
    project,
    get: (key) => (project === undefined ? undefined : values.get(`${project}:${key}`)),
  };
}
