// Makes server/dist self-contained, so that the package a user installs runs the code the tests run:
//
// - @mailnest/protocol is private (never published): its compiled ESM output and schemas.json are
//   copied to dist/vendor/protocol/, as the SDK's build does.
// - smtp-server is patched (patches/smtp-server@*.patch: the greeting without the 100 ms pause,
//   quoted local parts, enhanced status codes kept, replies of one tick in one write, DATA's dots
//   found with indexOf), and a pnpm patch does not travel with a
//   published package: an `npm install` would fetch upstream's copy. So the patched copy that pnpm
//   installed here is copied to dist/vendor/smtp-server/ (with its MIT licence), and its own
//   dependencies must be dependencies of the server (checked below).
//
// Every `@mailnest/protocol` and `smtp-server` specifier in dist (JavaScript and declarations) is
// then pointed at the copy. Run after `tsc`; running it twice changes nothing.
import { readFileSync } from "node:fs";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const server = fileURLToPath(new URL("..", import.meta.url));
const dist = path.join(server, "dist");
const vendor = path.join(dist, "vendor");
const requireFromServer = createRequire(path.join(server, "package.json"));
const serverManifest = JSON.parse(await readFile(path.join(server, "package.json"), "utf8"));

await rm(vendor, { recursive: true, force: true });

// @mailnest/protocol
const protocolDist = path.dirname(requireFromServer.resolve("@mailnest/protocol/schemas.json"));
// Without its source maps: they point at protocol/src, which is not in the package.
await cp(path.join(protocolDist, "esm"), path.join(vendor, "protocol"), {
  recursive: true,
  filter: (source) => !source.endsWith(".map"),
});
for (const file of await filesUnder(path.join(vendor, "protocol"))) {
  if (!file.endsWith(".js")) continue;
  const text = await readFile(file, "utf8");
  await writeFile(file, text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"));
}
await cp(path.join(protocolDist, "schemas.json"), path.join(vendor, "protocol/schemas.json"));

// smtp-server, as patched by pnpm
const smtpRoot = path.dirname(requireFromServer.resolve("smtp-server/package.json"));
const smtpManifest = JSON.parse(await readFile(path.join(smtpRoot, "package.json"), "utf8"));
const smtpTarget = path.join(vendor, "smtp-server");
await cp(path.join(smtpRoot, "dist/esm"), smtpTarget, { recursive: true });
await cp(path.join(smtpRoot, "LICENSE"), path.join(smtpTarget, "LICENSE"));
await writeFile(
  path.join(smtpTarget, "package.json"),
  `${JSON.stringify({ name: "smtp-server", version: smtpManifest.version, license: smtpManifest.license, type: "module", private: true }, null, 2)}\n`,
);
const connection = await readFile(path.join(smtpTarget, "smtp-connection.js"), "utf8");
if (!connection.includes("options.greetingDelay") || !connection.includes("[mailnest patch]")) {
  fail(
    `${smtpRoot} is not patched: run \`pnpm install\` (patches/smtp-server@${smtpManifest.version}.patch must be listed ` +
      "under patchedDependencies in pnpm-workspace.yaml)",
  );
}
for (const [name, range] of Object.entries(smtpManifest.dependencies ?? {})) {
  const ours = serverManifest.dependencies?.[name];
  if (
    ours === undefined ||
    (ours !== range && !(ours.startsWith("catalog:") && isCatalogVersion(name, range)))
  ) {
    fail(
      `the vendored smtp-server needs ${name}@${range}: make it a dependency of server/package.json with that version`,
    );
  }
}

// Point the server's own output at the copies.
const targets = [
  { specifier: "@mailnest/protocol/schemas.json", file: path.join(vendor, "protocol/schemas.json") },
  { specifier: "@mailnest/protocol", file: path.join(vendor, "protocol/index.js") },
  { specifier: "smtp-server", file: path.join(smtpTarget, "smtp-server.js") },
];
for (const file of await filesUnder(dist)) {
  if (file.startsWith(vendor + path.sep) || !/\.(js|d\.ts)$/.test(file)) continue;
  const text = await readFile(file, "utf8");
  let rewritten = text;
  for (const { specifier, file: target } of targets) {
    const pattern = new RegExp(`(["'])${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\1`, "g");
    rewritten = rewritten.replace(
      pattern,
      (_match, quote) => `${quote}${relativeSpecifier(file, target)}${quote}`,
    );
  }
  if (rewritten !== text) await writeFile(file, rewritten);
}

function relativeSpecifier(from, to) {
  const relative = path.relative(path.dirname(from), to).split(path.sep).join("/");
  return relative.startsWith(".") ? relative : `./${relative}`;
}

/** `catalog:` in server/package.json: the version pnpm-workspace.yaml's catalog gives `name`. */
function isCatalogVersion(name, range) {
  const installed = requireFromServer.resolve(`${name}/package.json`);
  return JSON.parse(readFileSync(installed, "utf8")).version === range;
}

async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

function fail(message) {
  process.stderr.write(`server/scripts/vendor.mjs: ${message}\n`);
  process.exit(1);
}
