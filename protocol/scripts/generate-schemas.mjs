// Builds dist/schemas.json: a JSON Schema (the subset OpenAPI 3.1 uses) for every type that
// src/index.ts exports, read from the TypeScript source and its doc comments (@pattern, @minimum,
// @format, @asType integer...). The server's OpenAPI document takes its component schemas from this
// file, so a field added to a wire type appears in the document without anyone writing it twice.
import { mkdir, writeFile } from "node:fs/promises";
import { createGenerator } from "ts-json-schema-generator";
import ts from "typescript";

const root = new URL("..", import.meta.url);
const entry = new URL("src/index.ts", root).pathname;
const config = {
  path: entry,
  tsconfig: new URL("tsconfig.esm.json", root).pathname,
  expose: "export",
  jsDoc: "extended",
  topRef: false,
  skipTypeCheck: true,
  additionalProperties: true,
  sortProps: false,
};

// The type-only exports of the entry point (interfaces and aliases; not functions or constants).
const program = ts.createProgram([entry], { allowJs: false, noEmit: true });
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
const names = checker
  .getExportsOfModule(moduleSymbol)
  .filter((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return (target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) !== 0;
  })
  .map((symbol) => symbol.getName())
  .sort();

const generator = createGenerator(config);
const definitions = {};
for (const name of names) {
  const { definitions: children = {}, $schema: _schema, ...own } = generator.createSchema(name);
  Object.assign(definitions, children);
  // A named root comes back inline (topRef false), not as a definition of its own.
  definitions[name] ??= own;
}

// OpenAPI keeps schemas under components, not definitions; drop the generator's own markers.
const text = JSON.stringify(definitions, (key, value) => {
  if (key === "$ref" && typeof value === "string")
    return value.replace("#/definitions/", "#/components/schemas/");
  if (key === "markdownDescription") return undefined;
  return value;
});
const sorted = Object.fromEntries(Object.entries(JSON.parse(text)).sort(([a], [b]) => a.localeCompare(b)));
await mkdir(new URL("dist", root), { recursive: true });
await writeFile(new URL("dist/schemas.json", root), `${JSON.stringify(sorted, null, 2)}\n`);
