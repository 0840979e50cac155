/**
 * Required after ts-node (.mocharc.js): stack traces go through Node's own source maps, not ts-node's
 * source-map-support. @pulumi/pulumi reads `new Error().stack` for every promise it makes
 * (runtime/debuggable.js), and the tests run programs that make thousands; source-map-support maps every
 * one of those stacks in JavaScript. A failing test still points at its .ts line: ts-node inlines the
 * source maps Node reads.
 */
process.setSourceMapsEnabled(true);
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
