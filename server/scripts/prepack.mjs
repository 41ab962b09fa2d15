// `pnpm pack` / `pnpm publish` of @mailnest/server: the package a user installs carries what the
// workspace has beside the server folder, namely the built viewer (served at /, see
// src/cli/main.ts), the README and the docs it and `mailnest --help` link to. They are copied in
// here and removed again by `postpack` (`node scripts/prepack.mjs --clean`); .gitignore lists them.
// Packing without a built server or viewer fails: the package would otherwise be "API only" or empty.
// `prepack` runs scripts/vendor.mjs first, so a dist that a bare `tsc` rebuilt still gets its
// imports pointed at the vendored protocol and smtp-server.
import { cp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const server = fileURLToPath(new URL("..", import.meta.url));
const workspace = path.dirname(server);
const copies = [
  { from: path.join(workspace, "web/dist"), to: path.join(server, "web") },
  { from: path.join(workspace, "docs"), to: path.join(server, "docs") },
  { from: path.join(workspace, "README.md"), to: path.join(server, "README.md") },
];

for (const { to } of copies) await rm(to, { recursive: true, force: true });
if (process.argv.includes("--clean")) process.exit(0);

for (const required of [
  path.join(server, "dist/bundle/main.js"),
  path.join(server, "dist/vendor/smtp-server/smtp-server.js"),
  path.join(workspace, "web/dist/index.html"),
]) {
  if (!(await exists(required))) {
    process.stderr.write(
      `server/scripts/prepack.mjs: ${path.relative(workspace, required)} is missing: run \`pnpm build\` first\n`,
    );
    process.exit(1);
  }
}
for (const { from, to } of copies) await cp(from, to, { recursive: true });

async function exists(file) {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
