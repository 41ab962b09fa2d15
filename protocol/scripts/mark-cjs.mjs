// The package is "type": "module", so Node would read dist/cjs/*.js as ESM. A nested package.json
// scopes that folder back to CommonJS, which is what the `require` condition in `exports` points at.
import { writeFile } from "node:fs/promises";

const target = new URL("../dist/cjs/package.json", import.meta.url);
await writeFile(target, `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
