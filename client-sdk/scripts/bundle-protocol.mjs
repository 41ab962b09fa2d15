// The SDK has no runtime dependencies, yet its types and constants come from @mailnest/protocol (a
// private workspace package, never published). So the build copies the protocol's compiled output
// into dist/{esm,cjs}/protocol/ and points every `@mailnest/protocol` import of the SDK's own output
// (JavaScript and declarations) at that copy: the package is self-contained, types included.
import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const sdk = fileURLToPath(new URL("..", import.meta.url));
const protocolDist = path.join(sdk, "node_modules/@mailnest/protocol/dist");
const SPECIFIER = /(["'])@mailnest\/protocol\1/g;

for (const format of ["esm", "cjs"]) {
  const out = path.join(sdk, "dist", format);
  const target = path.join(out, "protocol");
  await cp(path.join(protocolDist, format), target, { recursive: true });
  for (const file of await filesUnder(out)) {
    if (file.startsWith(target + path.sep) || !/\.(js|d\.ts)$/.test(file)) continue;
    const text = await readFile(file, "utf8");
    if (!SPECIFIER.test(text)) continue;
    let relative = path.relative(path.dirname(file), path.join(target, "index.js")).split(path.sep).join("/");
    if (!relative.startsWith(".")) relative = `./${relative}`;
    await writeFile(
      file,
      text.replace(SPECIFIER, (_match, quote) => `${quote}${relative}${quote}`),
    );
  }
}

async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}
