/**
 * `npx ts-node --transpile-only bench/cpuprofile-summary.ts FILE.cpuprofile [--top N] [--from-ms A --to-ms B]`:
 * summarises a V8 CPU profile (node --cpu-prof): the functions with the most self time and
 * the most inclusive time (a function counted once per sample however deep it recurses), and
 * self time grouped by where the code lives (grpc-js, @pulumi/policy, node internals, ...).
 * --from-ms/--to-ms keep only the samples taken that many ms after the profile started (the
 * measured window that bench/per-call.ts prints for each process), dropping start-up and
 * ts-node compilation.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string, name: string): string {
  if (url === "") return name.startsWith("(") ? name : "(native/V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  return url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "");
}

function label(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, "").replace(/.*node_modules\//, "");
  return `${f.functionName || "(anonymous)"} ${file ? `${file}:${f.lineNumber + 1}` : ""}`.trim();
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: "string", default: "25" },
      "from-ms": { type: "string", default: "0" },
      "to-ms": { type: "string", default: "Infinity" },
    },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
    const span = p.endTime - p.startTime;
    const from = Number(values["from-ms"]) * 1000;
    const to = Number(values["to-ms"]) * 1000;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

    const self = new Map<string, number>();
    const incl = new Map<string, number>();
    const group = new Map<string, number>();
    let total = 0;
    let t = 0;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i];
      const dt = p.timeDeltas[i + 1] ?? 0; // a sample's weight: the time until the next one
      if (t < from || t > to) continue;
      total += dt;
      const leaf = byId.get(p.samples[i])!;
      const k = label(leaf.callFrame);
      self.set(k, (self.get(k) ?? 0) + dt);
      const g = where(leaf.callFrame.url, leaf.callFrame.functionName);
      group.set(g, (group.get(g) ?? 0) + dt);
      const seen = new Set<string>();
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const l = label(byId.get(id)!.callFrame);
        if (seen.has(l)) continue;
        seen.add(l);
        incl.set(l, (incl.get(l) ?? 0) + dt);
      }
    }
    const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
    const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5);
    const show = (title: string, m: Map<string, number>, limit: number) => {
      console.log(`\n${title}`);
      for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
        console.log(`${ms(v)} ms ${pct(v)}%  ${k}`);
      }
    };
    const idle = self.get("(idle)") ?? 0;
    console.log(`${file}: ${ms(total)} ms sampled (of ${ms(span)} ms), ${ms(total - idle)} ms not idle`);
    show("self time by package / location", group, top);
    show("self time by function", self, top);
    show("inclusive time by function", incl, top);
  }
}

main();
