/** The program's child process: ts-node type-checks it as the language host would. */
import { ProgramError, runProgram, type PriorResource, type RunOptions } from "./run-program";

let answered = false;
const answer = (m: { run?: unknown; error?: string; planned?: unknown }) => {
  answered = true;
  process.send!(m);
};
process.once("message", (m: Omit<RunOptions, "prior"> & { prior?: [string, PriorResource][] }) => {
  // The channel alone must not keep the program alive: when nothing else is left to run, it ends below.
  process.channel?.unref();
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
