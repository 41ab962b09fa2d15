// Bundles what `mailnest` and `import "@mailnest/server"` run into dist/bundle/, after tsc and
// scripts/vendor.mjs: the CLI, the library entry and the two worker threads, with their shared code
// and their dependencies split into common chunks.
//
// Why: loading ~1,000 separate modules (our own ESM plus express, mailparser and the rest as CJS)
// cost about 1.3 s before the server listened on a slow 2-core machine, most of it in Node's module
// resolution, file reads and per-module format detection, not in running the code. One graph of
// chunks starts in about 0.8 s there (docs/performance.md, "Startup").
//
// The bundle is built from dist/, not src/, so it is exactly the code tsc checked, with the
// vendored (patched) smtp-server and protocol. What it cannot carry stays outside: modules loaded
// through `createRequire` at run time (mailauth, see mailauth-parts.ts) are resolved from the
// installed dependencies as before, and a dependency that reads files beside itself would need to be
// listed under `external` (none does today: the checks below fail the build if a bundled module
// refers to __dirname or __filename, which do not exist in an ES module, or if a CommonJS module is
// loaded with import() and its code reads a named export: esbuild gives such a module only a
// default export, where Node also lifts out the names).
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";

const server = fileURLToPath(new URL("..", import.meta.url));

// mailparser's line splitter is patched (patches/@zone-eu__mailsplit@*.patch: it looked for line
// ends one byte at a time in JavaScript); the bundle must carry the patched copy, since a user's
// install gets upstream's. pnpm applies the patch when it installs.
const fromMailparser = createRequire(createRequire(path.join(server, "package.json")).resolve("mailparser"));
const splitter = fromMailparser.resolve("@zone-eu/mailsplit/lib/message-splitter.js");
// Its base64 decoder too (patches/libbase64@*.patch: it removed line breaks with a regular
// expression, about 5 ms of CPU per MiB of attachment).
const base64Decoder = createRequire(splitter).resolve("libbase64");
// And PostalMime (patches/postal-mime@*.patch): its two decoders' last step (each part's bytes were
// joined through a Blob and its asynchronous reader, and each quoted-printable or base64 part got a
// zero-filled 100 KiB buffer), which took about half of its time for a 2 KB message; and its
// windows-1252 decoder, which Node 20 reads as ISO-8859-1 (curly quotes became control characters).
const postalMime = path.dirname(
  createRequire(path.join(server, "package.json")).resolve("postal-mime/package.json"),
);
const postalDecoders = ["chunk-writer.js", "pass-through-decoder.js", "decode-strings.js"].map((name) =>
  path.join(postalMime, "dist", "esm", name),
);
for (const file of [splitter, base64Decoder, ...postalDecoders]) {
  if (!(await readFile(file, "utf8")).includes("[mailnest patch]")) {
    fail(
      `${file} is not patched: run \`pnpm install\` (the patch must be listed under patchedDependencies in pnpm-workspace.yaml)`,
    );
  }
}
/**
 * One copy of libmime: mailparser `require`s its CommonJS build and smtp/view-fields.ts `import`s it,
 * which by the package's export conditions is its ES build, so the bundle carried both (130 KB of
 * code to compile, and iconv's GBK codec built twice at load). Both now get the file mailparser
 * uses; the bundle check below fails if a second copy comes back.
 */
function oneLibmime() {
  const file = fromMailparser.resolve("libmime");
  return {
    name: "one-libmime",
    setup(builder) {
      builder.onResolve({ filter: /^libmime$/ }, () => ({ path: file }));
    },
  };
}

const dist = path.join(server, "dist");
const outdir = path.join(dist, "bundle");

await rm(outdir, { recursive: true, force: true });
await build({
  // Output names matter: the pools start their threads with new URL("./parser-worker.js",
  // import.meta.url), which from any chunk in dist/bundle/ names the worker's own bundle beside it.
  entryPoints: {
    main: path.join(dist, "cli/main.js"),
    index: path.join(dist, "index.js"),
    "parser-worker": path.join(dist, "smtp/parser-worker.js"),
    "verifier-worker": path.join(dist, "deliverability/verifier-worker.js"),
  },
  outdir,
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  // No `keepNames`: it wraps every named function expression in a call that defines its `name`, and
  // per-message closures made that about 3 % of the event loop at 16 connections (CPU per message
  // 1.04 → 0.95 ms without it). Nothing is minified, so names survive except where two modules'
  // top-level names collide and one gets a digit (`Parser2`); the checks below refuse that for an
  // error class, whose name users read in logs and code may compare.
  legalComments: "eof",
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __mailnestCreateRequire } from "node:module"; const require = __mailnestCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
  plugins: [oneLibmime()],
});

const chunks = new Map();
for (const file of await readdir(outdir))
  chunks.set(file, await asciiOnly(file, await readFile(path.join(outdir, file), "utf8")));
for (const [file, text] of chunks) {
  const found = text.match(/\b__(dirname|filename)\b/);
  if (found) {
    fail(
      `dist/bundle/${file} refers to ${found[0]}, which an ES module does not have: mark the dependency that uses it as external`,
    );
  }
  const renamed = text.match(
    /\b(?:class\s+|(?:var|let|const)\s+)([A-Za-z_$][\w$]*Error)\d+\b(?=\s*(?:=\s*class\b|extends\b|\{))/,
  );
  if (renamed) {
    fail(
      `dist/bundle/${file} renames the error class ${renamed[1]} to avoid a collision (${renamed[0]}), so its name would change: rename one of the two in the source`,
    );
  }
  // `const { name } = await import("./chunk-X.js")` where chunk-X is `export default require_x()`.
  for (const [, names, chunk] of text.matchAll(/const\s*\{([^}]*)\}\s*=\s*await import\("\.\/([^"]+)"\)/g)) {
    if (/^export default require_/m.test(chunks.get(chunk) ?? "") && !/^\s*default\b/.test(names)) {
      fail(
        `dist/bundle/${file} takes {${names.trim()}} from import() of a CommonJS module (${chunk}): take .default instead`,
      );
    }
  }
}

const libmimeBuilds = new Set();
for (const text of chunks.values())
  for (const [, build] of text.matchAll(/^\/\/ \S*\/libmime\/dist\/(\w+)\//gm)) libmimeBuilds.add(build);
if (libmimeBuilds.size > 1) {
  fail(`the bundle carries libmime twice (${[...libmimeBuilds].join(" and ")} builds): see oneLibmime()`);
}

// mailparser loads at the main thread's first parse (smtp/parser-loaded-when-used.ts), not before the
// server listens: no chunk the CLI or the library entry imports statically may carry it.
for (const entry of ["main.js", "index.js"]) {
  const reached = new Set([entry]);
  for (const file of reached) {
    const text = chunks.get(file) ?? "";
    // Static imports only: `import "./x.js";`, `import { a } from "./x.js";`, or a block's `} from "./x.js";`.
    for (const [, from, bare] of text.matchAll(
      /^(?:import [^"\n]*|\} )from "\.\/([^"]+)";$|^import "\.\/([^"]+)";$/gm,
    ))
      reached.add(from ?? bare);
    if (/^\/\/ \S*\/node_modules\/mailparser\//m.test(text)) {
      fail(
        `dist/bundle/${entry} loads mailparser at start (through ${file}): import smtp/parse-message.js lazily`,
      );
    }
  }
}

/**
 * esbuild writes code as ASCII (its default charset escapes the rest) but keeps comments as they are,
 * and a few non-ASCII characters in comments (an arrow, iconv tables' notes) made Node decode the two
 * largest chunks as UTF-8 and V8 hold and scan them as two-byte source: about 12 ms of every start.
 * Escaping those characters inside comments changes no code; the check proves it by comparing the
 * chunk with and without the change once comments are gone.
 */
async function asciiOnly(file, text) {
  if (!/[^\x00-\x7f]/.test(text)) return text;
  const ascii = text.replace(
    /[^\x00-\x7f]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const withoutComments = (source) =>
    transform(source, { minifyWhitespace: true, format: "esm", platform: "node", logLevel: "silent" }).then(
      (result) => result.code,
    );
  const [before, after] = await Promise.all([withoutComments(text), withoutComments(ascii)]);
  if (before !== after)
    fail(
      `dist/bundle/${file} has non-ASCII characters outside comments: escaping them would change its code`,
    );
  await writeFile(path.join(outdir, file), ascii);
  return ascii;
}

function fail(message) {
  process.stderr.write(`server/scripts/bundle.mjs: ${message}\n`);
  process.exit(1);
}
