// A fake resource provider for engine tests, served with @pulumi/pulumi/provider: the engine
// attaches to it through PULUMI_DEBUG_PROVIDERS=<package>:<port> instead of downloading and
// starting the real plugin (the AWS and random providers cannot be built here).
//
//   node test/engine/fake-provider.js <package> <version>   -> prints the gRPC port on stdout
//
// It accepts any resource type of its package: check returns the inputs (autonaming `name`
// like the real AWS provider when FAKE_AUTONAME is set), create returns the inputs plus an id
// and an arn, and invokes of getCallerIdentity/getPartition answer with a fixed account.
// Every call is appended as a JSON line to $FAKE_PROVIDER_LOG when set, for assertions.
"use strict";
const fs = require("node:fs");
const crypto = require("node:crypto");
const provider = require("@pulumi/pulumi/provider");

const [pkg = "aws", version = "7.48.0"] = process.argv.slice(2);
const ACCOUNT = "123456789012";

function log(call, fields) {
  if (process.env.FAKE_PROVIDER_LOG) {
    fs.appendFileSync(process.env.FAKE_PROVIDER_LOG, JSON.stringify({ pkg, call, ...fields }) + "\n");
  }
}

const logical = (urn) => urn.split("::").pop();
// "aws:iam/user:User" -> arn:aws:iam::<account>:user/<id>, the shape of the real ARNs.
const arnOf = (urn, id) => {
  const [, mod = "fake", res = "thing"] = urn.split("::")[2].split("$").pop().split(/[:/]/);
  return `arn:aws:${mod}::${ACCOUNT}:${res}/${id}`;
};

provider.main(
  {
    version,
    async check(urn, olds, news) {
      const inputs = { ...news };
      if (process.env.FAKE_AUTONAME && inputs.name === undefined) {
        inputs.name = olds.name ?? `${logical(urn)}-${crypto.randomBytes(4).toString("hex").slice(0, 7)}`;
      }
      log("check", { urn, inputs });
      return { inputs };
    },
    async diff(id, urn, olds, news) {
      const changed = Object.keys({ ...olds, ...news }).filter(
        (k) => !["id", "arn"].includes(k) && JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
      );
      log("diff", { urn, changed });
      return { changes: changed.length > 0, replaces: changed.filter((k) => k === "name") };
    },
    async create(urn, inputs) {
      const id = inputs.name ?? `${logical(urn)}-id`;
      log("create", { urn, inputs });
      return { id, outs: { ...inputs, arn: arnOf(urn, id) } };
    },
    async read(id, urn, props) {
      return { id, props };
    },
    async update(id, urn, olds, news) {
      log("update", { urn, news });
      return { outs: { ...news, arn: olds.arn } };
    },
    async delete(id, urn) {
      log("delete", { urn, id });
    },
    async invoke(token, inputs) {
      log("invoke", { token, inputs });
      if (token.endsWith("getCallerIdentity")) {
        const arn = `arn:aws:iam::${ACCOUNT}:user/engine-test`;
        return { outputs: { accountId: ACCOUNT, arn, userId: "AIDAENGINETEST", id: ACCOUNT } };
      }
      if (token.endsWith("getPartition")) {
        return {
          outputs: {
            partition: "aws",
            dnsSuffix: "amazonaws.com",
            id: "aws",
            reverseDnsSuffix: "com.amazonaws",
          },
        };
      }
      return { outputs: {} };
    },
  },
  [], // no engine address: the engine attaches to us, not the other way round
);
