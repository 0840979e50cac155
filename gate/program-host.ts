/** The program's child process: ts-node type-checks it as the language host would. */
import { runProgram, type PriorResource, type RunOptions } from "./run-program";

process.once("message", (m: Omit<RunOptions, "prior"> & { prior?: [string, PriorResource][] }) => {
  runProgram({ ...m, prior: m.prior ? new Map(m.prior) : undefined }).then(
    (run) => process.send!({ run }),
    (e: Error) => process.send!({ error: e.message }),
  );
});
