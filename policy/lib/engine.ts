// Wraps @pulumi/policy 1.21's gRPC handlers (server.js), which drop the stack config, accept any policy
// config, unwrap secrets before the pack can note them, and send errors with their stack traces.
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import type * as rpc from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { parseJson, safeLine, secretStrings } from "../../lib/text";

/** An input the pack refuses: sent to the engine as INVALID_ARGUMENT with this message. */
export class PackInputError extends Error {}

const secrets = new Set<string>();
export const noteSecrets = (value: unknown) => secretStrings(value).forEach((s) => secrets.add(s));
/** Forgets the secrets seen (tests: one engine run per test). */
export const forgetSecrets = () => secrets.clear();

/** Every secret seen so far: from resource properties, and the values of secret stack config keys. */
export function knownSecrets(): string[] {
  const out = [...secrets];
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig()))
    if (isSecret?.(k)) out.push(v, ...secretStrings(parseJson(v), true));
  return out;
}

let project: string | undefined;

/** The stack's config, as `pulumi.Config` reads it (project from ConfigureStack, else the environment). */
export function stackConfig(): pulumi.Config {
  return new pulumi.Config(project ?? (process.env.PULUMI_PROJECT || pulumi.getProject()));
}

/** What ConfigureStack carries (config keys are `<project>:<key>`), which @pulumi/policy drops. */
type StackSettings = { project?: string; config?: Record<string, string>; secretKeys?: string[] };
export function configureStack(req: StackSettings) {
  if (req.project) project = req.project;
  const config = req.config && Object.keys(req.config).length > 0 ? req.config : pulumi.runtime.allConfig();
  const env = parseJson(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
  const keys = Array.isArray(env) ? env.filter((k) => typeof k === "string") : [];
  pulumi.runtime.setAllConfig(config, [...new Set([...keys, ...(req.secretKeys ?? [])])]);
}

/** Every policy's config as last sent by Configure (for the stale-waiver check). */
let policyConfigs: ReadonlyMap<string, Record<string, unknown>> = new Map();
export const setPolicyConfigs = (configs: typeof policyConfigs) => void (policyConfigs = configs);
export const getPolicyConfigs = () => policyConfigs;

const SIG = pulumi.runtime.specialSigKey;
const ASSET: string = pulumi.runtime.specialAssetSig;
const ARCHIVE: string = pulumi.runtime.specialArchiveSig;

// Before @pulumi/policy unwraps secrets: note them, make an export's `plaintext` one value-form and a
// `ciphertext` one unknown, and refuse what deserializeProperties would choke on, naming its path.
export function prepareProps(props: unknown, where: string): { props: unknown; changed: boolean } {
  noteSecrets(props);
  let changed = false;
  const bad = (at: string, what: string): never => {
    throw new PackInputError(`${where}: property ${at || "(root)"} is a malformed ${what}`);
  };
  const walk = (v: unknown, at: string, depth: number): unknown => {
    if (depth > 200) bad(at, "value (nested too deep)");
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`, depth + 1));
    const o = v as Record<string, unknown>;
    const sig = o[SIG];
    const exactlyOne = (keys: string[], what: string) =>
      keys.filter((k) => typeof o[k] === "string").length === 1 ? o : bad(at, what);
    if (sig === undefined) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = walk(x, `${at}.${k}`, depth + 1);
      return out;
    }
    if (sig === pulumi.runtime.specialSecretSig) {
      if ("value" in o && o.value !== undefined) return { [SIG]: sig, value: walk(o.value, at, depth + 1) };
      changed = true;
      if (typeof o.plaintext === "string")
        return { [SIG]: sig, value: walk(parseJson(o.plaintext, o.plaintext), at, depth + 1) };
      if (typeof o.ciphertext === "string") return { [SIG]: sig, value: pulumi.runtime.unknownValue };
      return bad(at, "secret (no value, plaintext or ciphertext)");
    }
    if (sig === ASSET)
      return exactlyOne(["path", "text", "uri"], "asset (needs one string path, text or uri)");
    if (sig === ARCHIVE) {
      if (o.assets === null || typeof o.assets !== "object" || Array.isArray(o.assets))
        return exactlyOne(["path", "uri"], "archive (needs assets, or one string path or uri)");
      for (const [k, a] of Object.entries(o.assets)) {
        const s = (a as Record<string, unknown> | null)?.[SIG];
        if (s !== ASSET && s !== ARCHIVE)
          bad(`${at}.assets.${k}`, "archive member (not an asset or archive)");
        walk(a, `${at}.assets.${k}`, depth + 1);
      }
      return o;
    }
    return bad(at, "special value (unknown signature)");
  };
  const out = walk(props, "", 0);
  return { props: changed ? out : props, changed };
}

function prepareRequest(r: rpc.AnalyzeRequest | rpc.AnalyzerResource) {
  for (const holder of [r, r.getProvider?.()]) {
    const s = holder?.getProperties();
    if (!holder || !s) continue;
    const where = `${holder.getType()} ${JSON.stringify(holder.getName())}`;
    const { props, changed } = prepareProps(s.toJavaScript(), where);
    if (changed) holder.setProperties(Struct.fromJavaScript(props as never));
  }
}

export function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n").filter((l) => l.trim() && !/^\s+at /.test(l));
  const line = safeLine(lines.join(" "), knownSecrets()).replace(/\s+/g, " ").trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line;
}

type Validate = (config: Map<string, Record<string, unknown>>) => string[];
type Callback = (err: unknown, resp?: unknown) => void;
type Handler = (call: { request: unknown }, callback: Callback) => unknown;
type Handlers = Record<string, Handler>;

export function wrapAnalyzer(impl: Handlers, status: typeof grpcTypes.status, validateConfig: Validate) {
  const guarded =
    (before: (req: never) => void, original: Handler | undefined): Handler =>
    (call, callback) => {
      let answered = false;
      const once: Callback = (err, resp) => {
        if (answered) return;
        answered = true;
        if (!err) return callback(null, resp);
        const code = err instanceof PackInputError ? status.INVALID_ARGUMENT : status.UNKNOWN;
        callback({ code, details: errorLine(err), message: errorLine(err) });
      };
      (async () => {
        before(call.request as never);
        if (original) await original(call, once);
        else once(null, undefined);
      })().catch(once);
    };
  return {
    ...impl,
    configure: guarded((req: rpc.ConfigureAnalyzerRequest) => {
      const config = new Map<string, Record<string, unknown>>();
      for (const [k, v] of req.getPolicyconfigMap().entries())
        config.set(k, v.getProperties()?.toJavaScript() ?? {});
      const problems = validateConfig(config);
      if (problems.length > 0)
        throw new PackInputError(`policy pack config is invalid: ${problems.join("; ")}`);
      setPolicyConfigs(config);
    }, impl.configure),
    configureStack: guarded((req: rpc.AnalyzerStackConfigureRequest) => {
      configureStack({
        project: req.getProject(),
        config: Object.fromEntries(req.getConfigMap().entries()),
        secretKeys: req.getConfigSecretKeysList(),
      });
    }, impl.configureStack),
    analyze: guarded(prepareRequest, impl.analyze),
    analyzeStack: guarded((req: rpc.AnalyzeStackRequest) => {
      for (const r of req.getResourcesList()) prepareRequest(r);
    }, impl.analyzeStack),
  };
}

/** Makes every gRPC server @pulumi/policy creates (with its own copy of @grpc/grpc-js) serve the wrapped handlers. */
export function hookAnalyzerService(validateConfig: Validate) {
  const from = path.dirname(require.resolve("@pulumi/policy"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy @pulumi/policy uses
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [from] })) as typeof grpcTypes;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, impl) {
    return addService.call(this, service, wrapAnalyzer(impl as never, grpc.status, validateConfig) as never);
  };
}
