import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { build } from "esbuild";
import ts from "typescript";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";

/**
 * The core of the SDK (`@mailnest/client`, not its Playwright/Jest/Vitest entries) is for any
 * JavaScript runtime with `fetch`: Node, browsers, edge runtimes. These tests fail on a Node-only
 * import, on a Node global, and on a Node type in its public surface.
 */
const ENTRY = fileURLToPath(new URL("../src/index.ts", import.meta.url));

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

async function bundleForBrowser(format: "esm" | "iife"): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "browser",
    format,
    globalName: "MailnestSdk",
    target: "es2022",
    // Minified so that comments go; free names such as `Buffer` or `process` survive minification.
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

it("the core bundles for a browser (esbuild, platform: browser) and names no Node global", async () => {
  // esbuild fails the build on any node: or Node built-in import when the platform is the browser.
  const code = await bundleForBrowser("esm");
  expect(code).toContain("waitForMessage");
  expect(code).not.toMatch(/\bBuffer\b/);
  expect(code).not.toMatch(/\brequire\(/);
});

it("the core runs where only web-platform globals exist (no process, Buffer or require)", async () => {
  const code = await bundleForBrowser("iife");
  const context = vm.createContext({
    fetch,
    Headers,
    Request,
    Response,
    AbortController,
    AbortSignal,
    DOMException,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    setTimeout,
    clearTimeout,
    performance,
    btoa,
    atob,
    console,
  });
  vm.runInContext(code, context);
  const run = vm.runInContext(
    `(async (url, send) => {
      const mail = new MailnestSdk.Mailnest({ url, timeout: 5000 });
      const inbox = await mail.createInbox({ prefix: "edge" });
      const next = inbox.nextMessage({ subject: /edge/ });
      await send(inbox.address);
      const message = await next;
      const raw = await message.raw();
      return {
        subject: message.subject,
        rawIsBytes: raw instanceof Uint8Array,
        rawHasSubject: new TextDecoder().decode(raw).includes("Subject: From the edge"),
        attachment: await message.attachments[0].text(),
      };
    })`,
    context,
  ) as (url: string, send: (to: string) => Promise<void>) => Promise<Record<string, unknown>>;
  const outcome = await run(server.sandbox.url, (to) =>
    server.send({
      to,
      subject: "From the edge",
      text: "hi",
      attachments: [{ filename: "a.txt", content: "één" }],
    }),
  );
  expect(outcome).toEqual({
    subject: "From the edge",
    rawIsBytes: true,
    rawHasSubject: true,
    attachment: "één",
  });
});

it("the core type-checks with the DOM library alone: its types need no @types/node", () => {
  const program = ts.createProgram([ENTRY], {
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: false,
    noEmit: true,
  });
  const errors = ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
  expect(errors).toEqual([]);
}, 60_000); // a whole program check: seconds on a busy machine
