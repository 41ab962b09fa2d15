import { existsSync, readFileSync } from "node:fs";

const SERVER_PACKAGE = findServerPackage(new URL(".", import.meta.url));

/**
 * The server package's folder (the one holding its package.json), as a `file:` URL ending in "/".
 *
 * Found by walking up from this module rather than by a fixed "../", because the same code runs at
 * three depths: `src/` under tsx, `dist/` as tsc emits it, and `dist/bundle/` as scripts/bundle.mjs
 * emits it (there every module's `import.meta.url` is the bundle file's).
 */
export const SERVER_PACKAGE_ROOT: URL = SERVER_PACKAGE.root;

/** The server package's version, from its package.json. */
export const SERVER_VERSION: string =
  typeof SERVER_PACKAGE.manifest.version === "string" ? SERVER_PACKAGE.manifest.version : "0.0.0";

/** The nearest package.json above `start` that is @mailnest/server's, read once. */
function findServerPackage(start: URL): { root: URL; manifest: Record<string, unknown> } {
  for (let folder = start; ; folder = new URL("../", folder)) {
    const file = new URL("package.json", folder);
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown> | null;
      if (manifest?.name === "@mailnest/server") return { root: folder, manifest };
    }
    if (new URL("../", folder).href === folder.href) {
      throw new Error(`no package.json of @mailnest/server above ${start.href}`);
    }
  }
}
