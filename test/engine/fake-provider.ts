/**
 * The engine tests' stand-in for the AWS and random provider plugins: a provider served by
 * `@pulumi/pulumi/provider`, a thin wrapper over the one fake AWS (gate/fake-aws.ts: Check, Diff,
 * generated passwords, PGP). Where the resources live:
 * - AWS_ENDPOINT_URL set (moto): IAM and STS calls through the AWS SDK v3 to that endpoint
 *   (sdk-account.ts), for the types it lists; the rest as without it;
 * - otherwise: an account kept in a JSON file (file-account.ts), so create, read (refresh),
 *   update and delete agree across runs.
 * The engine attaches to it through PULUMI_DEBUG_PROVIDERS=<package>:<port>, so it downloads no
 * plugin. The AWS and random providers cannot be built here (local `replace` of patched
 * upstreams), and the real ones would need a cloud account.
 *
 *   node -r ./test/ts-node-swc.js test/engine/fake-provider.ts <package> <version> <account.json>
 *
 * (the package is only for `ps`: the engine names the package in PULUMI_DEBUG_PROVIDERS)
 *
 * Either way it appends each create, update and delete to `<account.json>.log` (tests assert the
 * order of steps). It prints its gRPC port on stdout. AWS_REGION (default us-east-1) gives the partition: the SDK's
 * provider server does not hand a provider its configuration.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import * as fake from "../../gate/fake-aws";
import * as fileAccount from "./file-account";
import * as sdkAccount from "./sdk-account";

type Props = Record<string, unknown>;

const [, version = "0.0.0", accountFile = ""] = process.argv.slice(2);
const region = process.env.AWS_REGION ?? "us-east-1";
const SIG = pulumi.runtime.specialSigKey;
const SECRET = pulumi.runtime.specialSecretSig;
/** Whether a type's resources live behind AWS_ENDPOINT_URL rather than in the file. */
const atEndpoint = (type: string) =>
  sdkAccount.endpoint() !== undefined && sdkAccount.SDK_TYPES.includes(type);

const isSecret = (v: unknown): v is { value: unknown } =>
  v !== null && typeof v === "object" && (v as Props)[SIG] === SECRET;
const wrap = (value: unknown) => ({ [SIG]: SECRET, value });

/** Values without their secret wrapping, and which top-level keys were secret. */
function unwrap(props: Props): { plain: Props; secret: Set<string> } {
  const deep = (v: unknown): unknown =>
    isSecret(v)
      ? deep(v.value)
      : Array.isArray(v)
        ? v.map(deep)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, e]) => [k, deep(e)]))
          : v;
  const secret = new Set(Object.keys(props).filter((k) => JSON.stringify(props[k]).includes(SECRET)));
  return { plain: deep(props) as Props, secret };
}

/** Secret what was secret going in, and what the provider's schema marks secret. */
function rewrap(type: string, props: Props, secret: Set<string>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    // An absent output is no key at all: the provider server cannot send `undefined`.
    if (v === undefined) continue;
    const mark = secret.has(k) || fake.SECRET_OUTPUTS[type]?.includes(k);
    out[k] = mark ? wrap(v) : v;
  }
  return out;
}

const typeOf = (urn: string) => urn.split("::")[2].split("$").pop()!;
const nameOf = (urn: string) => urn.split("::")[3];

/** Reads the account, lets `change` edit it, writes it back (atomically: a rename). */
function withAccount<R>(change: (account: fileAccount.Account) => R): R {
  const before = fs.existsSync(accountFile) ? fs.readFileSync(accountFile, "utf8") : '{"resources":{}}';
  const account: fileAccount.Account = JSON.parse(before);
  const result = change(account);
  // Write only a change: the aws and random stand-ins share the file, and a process writing back
  // what it read (a read, or random's resources, which live in no account) could undo the
  // other's change made in between.
  const after = JSON.stringify(account, null, 1);
  if (after !== JSON.stringify(JSON.parse(before), null, 1)) {
    fs.writeFileSync(`${accountFile}.tmp`, after);
    fs.renameSync(`${accountFile}.tmp`, accountFile);
  }
  return result;
}

/** What the provider was asked, for tests to assert the order of steps. */
function journal(call: string, urn: string, id = "") {
  fs.appendFileSync(`${accountFile}.log`, `${call} ${typeOf(urn)} ${nameOf(urn)} ${id}\n`);
}

const fakeProvider: provider.Provider = {
  version,
  async check(urn, olds: Props, news: Props) {
    const n = unwrap(news);
    const inputs = fake.check(typeOf(urn), nameOf(urn), n.plain, unwrap(olds ?? {}).plain);
    return { inputs: rewrap(typeOf(urn), inputs, n.secret) };
  },
  async diff(_id, urn, olds: Props, news: Props) {
    const { changed, replaces } = fake.diff(typeOf(urn), unwrap(olds).plain, unwrap(news).plain);
    return { changes: changed.length > 0, replaces };
  },
  async create(urn, inputs: Props) {
    const type = typeOf(urn);
    const i = unwrap(inputs);
    let created: { id: string; state: Props };
    if (atEndpoint(type)) created = await sdkAccount.create(type, i.plain, region);
    else {
      created = await fake.create(type, nameOf(urn), i.plain, region);
      withAccount((account) => fileAccount.addToAccount(account, type, created.id, created.state));
    }
    const { id, state } = created;
    journal("create", urn, id);
    return { id, outs: rewrap(type, state, i.secret) };
  },
  async read(id, urn, props: Props) {
    const type = typeOf(urn);
    const secret = unwrap(props ?? {}).secret;
    if (atEndpoint(type)) {
      const now = await sdkAccount.read(type, id, unwrap(props ?? {}).plain, region);
      return now === undefined ? { id: "", props: {} } : { id, props: rewrap(type, now, secret) };
    }
    const stored = withAccount((account) => account.resources[type]?.[id]);
    // Not an IAM resource (random's): what the engine has is all there is.
    if (stored === undefined && !fileAccount.inAccount(type)) return { id, props };
    if (stored === undefined) return { id: "", props: {} };
    return { id, props: rewrap(type, stored, secret) };
  },
  async update(id, urn, olds: Props, news: Props) {
    const type = typeOf(urn);
    const n = unwrap(news);
    const state = fake.update(type, unwrap(olds).plain, n.plain);
    if (atEndpoint(type)) await sdkAccount.update(type, id, unwrap(olds).plain, n.plain, region);
    else
      withAccount((account) => {
        if (account.resources[type]?.[id]) account.resources[type][id] = state;
      });
    journal("update", urn, id);
    return { outs: rewrap(type, state, n.secret) };
  },
  async delete(id, urn, props: Props) {
    const type = typeOf(urn);
    if (atEndpoint(type)) await sdkAccount.remove(type, id, unwrap(props ?? {}).plain, region);
    else withAccount((account) => fileAccount.removeFromAccount(account, type, id));
    journal("delete", urn, id);
  },
  async invoke(token, inputs: Props) {
    const plain = unwrap(inputs ?? {}).plain;
    return {
      outputs: sdkAccount.endpoint()
        ? await sdkAccount.invoke(token, plain, region)
        : fake.invoke(token, plain, region),
    };
  },
};

// No engine address: the engine attaches to this process, not the other way round.
void provider.main(fakeProvider, []);
