// Entry point of `npm run show-password` and `npm run leverage-credentials`
// (`node handoff/main.js TOOL [options]`): loads the tool's TypeScript through the same cached
// loader as `npm run check` (checker/ts-cache.js), which starts in a fraction of ts-node's
// time, and sets the exit status the tool returns.
"use strict";
const path = require("node:path");

const TOOLS = {
  "show-password": ["./showPassword.ts", "showPassword"],
  "leverage-credentials": ["./leverageCredentials.ts", "leverageCredentials"],
};

const [name, ...argv] = process.argv.slice(2);
if (!Object.hasOwn(TOOLS, name ?? "")) {
  process.stderr.write(
    `handoff: unknown tool ${JSON.stringify(name ?? "")}; expected one of: ${Object.keys(TOOLS).join(", ")}\n`,
  );
  process.exitCode = 2;
} else {
  require("../checker/ts-cache").registerForCli(path.join(__dirname, ".."));
  const [file, exported] = TOOLS[name];
  const { processIo } = require("./cli.ts");
  require(file)
    [exported](argv, processIo())
    .then((code) => {
      process.exitCode = code;
    });
}
