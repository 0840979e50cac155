/**
 * moto's server (moto.sh: pinned, installed into an ignored virtual environment) on a free port of
 * 127.0.0.1, for the engine tests that need an AWS to read and write: started by the test file and
 * stopped after it, so that no test leaves it running.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

export interface Moto {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** What the SDK, the stand-in provider and the audit need to use it (no real credentials). */
  env: Record<string, string>;
  close(): void;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

export async function startMoto(timeoutMs = 60_000): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = "";
  // Its own process group: close() ends the shell and the server it execs into, whatever they started.
  const child = spawn("bash", [path.join(__dirname, "moto.sh"), String(port)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on("data", (d) => (output = (output + d).slice(-4000)));
  const close = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      return {
        endpoint,
        env: {
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: "testing",
          AWS_SECRET_ACCESS_KEY: "testing",
          AWS_REGION: "us-east-1",
        },
        close,
      };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  close();
  throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms:\n${output}`);
}
