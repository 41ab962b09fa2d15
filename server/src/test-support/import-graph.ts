import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The workspace root: `server/src/test-support/` is three levels below it. */
export const WORKSPACE = fileURLToPath(new URL("../../../", import.meta.url));

/** The TypeScript sources the graph covers, and what each package's name resolves to. */
const SOURCE_ROOTS = ["protocol/src", "server/src", "client-sdk/src", "web/src"];
const PACKAGE_ENTRIES: Record<string, string> = {
  "@mailnest/protocol": "protocol/src/index.ts",
  "@mailnest/server": "server/src/index.ts",
  "@mailnest/client": "client-sdk/src/index.ts",
  "@mailnest/client/playwright": "client-sdk/src/playwright.ts",
  "@mailnest/client/jest": "client-sdk/src/jest.ts",
  "@mailnest/client/vitest": "client-sdk/src/vitest.ts",
};
/** Imports of files that are not modules of the graph (styles, generated JSON). */
const ASSET = /\.(css|json|svg|png)$/;

export interface ImportGraph {
  /** Workspace-relative module path → the modules it imports (type-only imports included). */
  edges: Map<string, string[]>;
  /** Imports that look like workspace modules but resolve to no file: `from → specifier`. */
  unresolved: string[];
}

/** Every import of every `.ts`/`.tsx` module of the workspace's packages, tests included. */
export function buildImportGraph(): ImportGraph {
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const root of SOURCE_ROOTS) {
    for (const file of sourceFiles(root)) {
      const { importedFiles } = ts.preProcessFile(
        readFileSync(path.join(WORKSPACE, file), "utf8"),
        true,
        true,
      );
      const targets: string[] = [];
      for (const { fileName: specifier } of importedFiles) {
        if (ASSET.test(specifier)) continue;
        const target = resolve(file, specifier);
        if (target === undefined) continue;
        if (target === null) unresolved.push(`${file} → ${specifier}`);
        else targets.push(target);
      }
      edges.set(file, targets);
    }
  }
  return { edges, unresolved };
}

/**
 * Every import cycle, one per strongly connected component (Tarjan), each as the path that closes
 * it: `[a, b, c, a]`.
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const indexOf = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  const connect = (file: string): void => {
    indexOf.set(file, counter);
    lowLink.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of edges.get(file) ?? []) {
      if (!indexOf.has(next)) {
        connect(next);
        lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(file, Math.min(lowLink.get(file)!, indexOf.get(next)!));
      }
    }
    if (lowLink.get(file) !== indexOf.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (edges.get(file) ?? []).includes(file)) components.push(component);
  };
  for (const file of edges.keys()) if (!indexOf.has(file)) connect(file);
  return components.map((component) => cycleWithin(edges, new Set(component)));
}

/** One cycle through the first module of a strongly connected component, found breadth-first. */
function cycleWithin(edges: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of edges.get(file) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const trail = [file];
        while (trail[0] !== start) trail.unshift(cameFrom.get(trail[0]!)!);
        return [...trail, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start];
}

function sourceFiles(root: string): string[] {
  return readdirSync(path.join(WORKSPACE, root), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file) && !file.endsWith(".d.ts"))
    .map((file) => path.posix.join(root, file.split(path.sep).join("/")));
}

/**
 * The workspace module an import names; undefined for a package outside the workspace (or Node's),
 * null for a relative or workspace import that matches no file.
 */
function resolve(from: string, specifier: string): string | null | undefined {
  if (specifier.startsWith(".")) {
    const base = path.posix.join(path.posix.dirname(from), specifier).replace(/\.js$/, "");
    const candidates = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`];
    return candidates.find((candidate) => existsSync(path.join(WORKSPACE, candidate))) ?? null;
  }
  if (!specifier.startsWith("@mailnest/")) return undefined;
  return PACKAGE_ENTRIES[specifier] ?? null;
}
