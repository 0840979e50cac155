/**
 * The program's child process. The check forks it under a transpile-only ts-node; the program itself is
 * compiled as the language host compiles it (sdk/nodejs/cmd/run): ts-node with the project's tsconfig.json,
 * type-checked unless TS_NODE_TRANSPILE_ONLY says otherwise. This host is not type-checked: the language
 * host's own code is not either.
 */
import { register, REGISTER_INSTANCE } from "ts-node";
import { ProgramError, runProgram, type PriorResource, type RunOptions } from "./run-program";

let answered = false;
const answer = (m: { run?: unknown; error?: string; planned?: unknown }) => {
  answered = true;
  process.send!(m);
};
process.once("message", (m: Omit<RunOptions, "prior"> & { prior?: [string, PriorResource][] }) => {
  // The channel alone must not keep the program alive: when nothing else is left to run, it ends below.
  process.channel?.unref();
  process[REGISTER_INSTANCE]?.enabled(false);
  register();
  // The program gets its own, checked copy of any of this host's TypeScript modules it imports.
  for (const file of Object.keys(require.cache)) if (file.endsWith(".ts")) delete require.cache[file];
  runProgram({ ...m, prior: m.prior ? new Map(m.prior) : undefined }).then(
    (run) => answer({ run }),
    (e: Error) => answer({ error: e.message, planned: e instanceof ProgramError ? e.planned : [] }),
  );
});
// The check is gone: so is the program (it runs in its own process group, out of Ctrl-C's reach).
process.once("disconnect", () => process.exit(1));
process.once("beforeExit", () => {
  if (!answered)
    answer({
      error:
        "it stopped before it returned: it awaits a value that never settles (in a preview, an output that stays unknown?)",
    });
});
