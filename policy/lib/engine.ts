// Wraps @pulumi/policy 1.21's gRPC handlers (server.js), which drop the stack config, accept any policy
// config, unwrap secrets before the pack can note them, and send errors with their stack traces.
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import type * as rpc from "@pulumi/pulumi/proto/analyzer_pb";
import { BinaryReader } from "google-protobuf";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { parseJson, safeLine } from "../../lib/text";
import { configSecrets, markSecret, Secrets } from "./secrets";

/** An input the pack refuses: sent to the engine as INVALID_ARGUMENT with this message. */
export class PackInputError extends Error {}

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

/** Every policy's config (its level and knobs) as last sent by Configure. */
export type PolicyConfigs = ReadonlyMap<string, Record<string, unknown>>;
let policyConfigs: PolicyConfigs = new Map();
export const setPolicyConfigs = (configs: PolicyConfigs) => void (policyConfigs = configs);
export const getPolicyConfigs = () => policyConfigs;

const SIG = pulumi.runtime.specialSigKey;
const ASSET: string = pulumi.runtime.specialAssetSig;
const ARCHIVE: string = pulumi.runtime.specialArchiveSig;

/**
 * Before @pulumi/policy unwraps secrets: each secret becomes `{ [MARK]: value }` (./secrets.ts), so the
 * pack knows what came from a secret; an export's `plaintext` is its value, a `ciphertext` an unknown.
 * What deserializeProperties would choke on is refused, naming its path, but never a path inside a secret.
 * `secrets`: everything inside the secrets, for the net over error lines; `changed`: whether any was marked.
 */
export function prepareProps(
  props: unknown,
  where: string,
): { props: unknown; secrets: Secrets; changed: boolean } {
  const secrets = new Secrets();
  let changed = false;
  const bad = (at: string, what: string, inSecret: boolean): never => {
    const place = `property ${at || "(root)"}${inSecret ? " (inside a secret)" : ""}`;
    throw new PackInputError(`${where}: ${place} is a malformed ${what}`);
  };
  // Inside a secret the path stops growing: its keys and indices are secret too.
  const walk = (v: unknown, at: string, depth: number, inSecret: boolean): unknown => {
    const next = (step: string) => (inSecret ? at : at + step);
    if (depth > 200) bad(at, "value (nested too deep)", inSecret);
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, next(`[${i}]`), depth + 1, inSecret));
    const o = v as Record<string, unknown>;
    const sig = o[SIG];
    const exactlyOne = (keys: string[], what: string) =>
      keys.filter((k) => typeof o[k] === "string").length === 1 ? o : bad(at, what, inSecret);
    if (sig === undefined) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = walk(x, next(`.${k}`), depth + 1, inSecret);
      return out;
    }
    if (sig === pulumi.runtime.specialSecretSig) {
      let value: unknown;
      if ("value" in o && o.value !== undefined) value = walk(o.value, at, depth + 1, true);
      else if (typeof o.plaintext === "string")
        value = walk(parseJson(o.plaintext, o.plaintext), at, depth + 1, true);
      else if (typeof o.ciphertext === "string") value = pulumi.runtime.unknownValue;
      else return bad(at, "secret (no value, plaintext or ciphertext)", inSecret);
      secrets.add(value);
      changed = true;
      return markSecret(value);
    }
    if (sig === ASSET)
      return exactlyOne(["path", "text", "uri"], "asset (needs one string path, text or uri)");
    if (sig === ARCHIVE) {
      if (o.assets === null || typeof o.assets !== "object" || Array.isArray(o.assets))
        return exactlyOne(["path", "uri"], "archive (needs assets, or one string path or uri)");
      for (const [k, a] of Object.entries(o.assets)) {
        const s = (a as Record<string, unknown> | null)?.[SIG];
        if (s !== ASSET && s !== ARCHIVE)
          bad(next(`.assets.${k}`), "archive member (not an asset or archive)", inSecret);
        walk(a, next(`.assets.${k}`), depth + 1, inSecret);
      }
      return o;
    }
    return bad(at, "special value (unknown signature)", inSecret);
  };
  const out = walk(props, "", 0, false);
  return { props: changed ? out : props, secrets, changed };
}

function prepareRequest(r: rpc.AnalyzeRequest | rpc.AnalyzerResource, secrets: Secrets) {
  for (const holder of [r, r.getProvider?.()]) {
    const s = holder?.getProperties();
    if (!holder || !s) continue;
    const where = `${holder.getType()} ${JSON.stringify(holder.getName())}`;
    const prepared = prepareProps(s.toJavaScript(), where);
    secrets.merge(prepared.secrets);
    if (prepared.changed) holder.setProperties(Struct.fromJavaScript(prepared.props as never));
  }
}

/** One line, no stack frames; the net: no value of the request's secrets or the secret stack config. */
export function errorLine(e: unknown, secrets: Secrets = new Secrets()): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n").filter((l) => l.trim() && !/^\s+at /.test(l));
  const net = configSecrets().merge(secrets).list();
  const line = safeLine(lines.join(" "), net).replace(/\s+/g, " ").trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const; // analyzer.proto EnforcementLevel
/** Each policy's knobs and its `enforcementLevel`, as Configure sends them (and getConfig, without the level). */
type Validate = (config: PolicyConfigs) => string[];
type Callback = (err: unknown, resp?: unknown) => void;
type Handler = (call: { request: unknown }, callback: Callback) => unknown;
type Handlers = Record<string, Handler>;

/** The policy names each Configure request was sent with: protobuf's JS map drops a `__proto__` entry. */
const sentNames = new WeakMap<object, string[]>();

function policyNamesOf(buf: Uint8Array): string[] {
  const names: string[] = [];
  const reader = new BinaryReader(buf);
  // ConfigureAnalyzerRequest field 1: map<string, PolicyConfig>, each entry a message whose field 1 is the key.
  while (reader.nextField() && !reader.isEndGroup()) {
    if (reader.getFieldNumber() !== 1) {
      reader.skipField();
      continue;
    }
    reader.readMessage(names, (_: unknown, entry: BinaryReader) => {
      while (entry.nextField() && !entry.isEndGroup()) {
        if (entry.getFieldNumber() === 1) names.push(entry.readString());
        else entry.skipField();
      }
    });
  }
  return names;
}

type Method = { requestDeserialize: (buf: Buffer) => object };
/** `service` with Configure's request deserializer noting the policy names as sent. */
export function withSentNames<S extends { configure?: Method }>(service: S): S {
  const configure = service.configure;
  if (!configure) return service;
  const requestDeserialize = (buf: Buffer) => {
    const req = configure.requestDeserialize(buf);
    sentNames.set(req, policyNamesOf(buf));
    return req;
  };
  return { ...service, configure: { ...configure, requestDeserialize } };
}

export function wrapAnalyzer(impl: Handlers, status: typeof grpcTypes.status, validateConfig: Validate) {
  const guarded =
    (before: (req: never, secrets: Secrets) => void, original: Handler | undefined): Handler =>
    (call, callback) => {
      let answered = false;
      const secrets = new Secrets();
      const once: Callback = (err, resp) => {
        if (answered) return;
        answered = true;
        if (!err) return callback(null, resp);
        const code = err instanceof PackInputError ? status.INVALID_ARGUMENT : status.UNKNOWN;
        const line = errorLine(err, secrets);
        callback({ code, details: line, message: line });
      };
      (async () => {
        before(call.request as never, secrets);
        if (original) await original(call, once);
        else once(null, undefined);
      })().catch(once);
    };
  return {
    ...impl,
    configure: guarded((req: rpc.ConfigureAnalyzerRequest) => {
      const config = new Map<string, Record<string, unknown>>();
      for (const [k, v] of req.getPolicyconfigMap().entries()) {
        const properties = (v.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>;
        config.set(k, { ...properties, enforcementLevel: LEVELS[v.getEnforcementlevel()] ?? "advisory" });
      }
      // A name the map dropped (`__proto__`) is an unknown policy like any other.
      for (const k of sentNames.get(req) ?? []) if (!config.has(k)) config.set(k, {});
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
    analyzeStack: guarded((req: rpc.AnalyzeStackRequest, secrets: Secrets) => {
      for (const r of req.getResourcesList()) prepareRequest(r, secrets);
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
    const wrapped = wrapAnalyzer(impl as never, grpc.status, validateConfig);
    return addService.call(this, withSentNames(service as never), wrapped as never);
  };
}
