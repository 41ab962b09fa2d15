import { existsSync, readFileSync } from "node:fs";

/**
 * The server package's folder (the one holding its package.json), as a `file:` URL ending in "/".
 *
 * Found by walking up from this module rather than by a fixed "../", because the same code runs at
 * three depths: `src/` under tsx, `dist/` as tsc emits it, and `dist/bundle/` as scripts/bundle.mjs
 * emits it (there every module's `import.meta.url` is the bundle file's).
 */
export const SERVER_PACKAGE_ROOT: URL = findPackageRoot(new URL(".", import.meta.url));

/** The server package's version, from its package.json. */
export const SERVER_VERSION: string = readVersion();

function findPackageRoot(start: URL): URL {
  for (let folder = start; ; folder = new URL("../", folder)) {
    const manifest = new URL("package.json", folder);
    if (existsSync(manifest) && packageName(manifest) === "@mailnest/server") return folder;
    if (new URL("../", folder).href === folder.href) {
      throw new Error(`no package.json of @mailnest/server above ${start.href}`);
    }
  }
}

function packageName(manifest: URL): unknown {
  const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
  return typeof parsed === "object" && parsed !== null && "name" in parsed ? parsed.name : undefined;
}

function readVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL("package.json", SERVER_PACKAGE_ROOT), "utf8"));
  const version =
    typeof manifest === "object" && manifest !== null && "version" in manifest ? manifest.version : null;
  return typeof version === "string" ? version : "0.0.0";
}
