/**
 * The child process in which `npm run check` runs the program: started with ts-node's
 * type-checking loader, as the Node language host starts a program, so a type error fails the
 * check as it fails `pulumi preview`. Takes its RunOptions as one IPC message, answers with one.
 */
import { runProgram, type PriorResource, type RunOptions } from "./run-program";

process.once("message", (m: Omit<RunOptions, "prior"> & { prior?: [string, PriorResource][] }) => {
  runProgram({ ...m, prior: m.prior ? new Map(m.prior) : undefined }).then(
    (run) => process.send!({ run }),
    (e: Error) => process.send!({ error: e.message }),
  );
});
