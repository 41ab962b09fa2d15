import { readFileSync } from "node:fs";

/** The server package's version: `package.json` sits one level up from both `src/` and `dist/`. */
export const SERVER_VERSION: string = readVersion();

function readVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const version =
    typeof manifest === "object" && manifest !== null && "version" in manifest ? manifest.version : null;
  return typeof version === "string" ? version : "0.0.0";
}
