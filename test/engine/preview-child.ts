/**
 * One preview with the pack in a process of its own, for a program that may never finish
 * (the `hangs` fixture spins on the thread an inline program runs on): the test kills this
 * process's group after a bound, the CLI and the pack with it.
 *
 *   node -r ts-node/register/transpile-only preview-child.ts '{"dir": ..., "workDir": ..., "env": {...}}'
 *
 * prints the run as one JSON line.
 */
import { openStack, run } from "./harness";

void (async () => {
  const { dir, workDir, env } = JSON.parse(process.argv[2]) as {
    dir: string;
    workDir: string;
    env: Record<string, string>;
  };
  const r = await run(await openStack(dir, workDir, env), "preview");
  console.log(JSON.stringify({ ...r, ops: [...r.ops] }));
})();
