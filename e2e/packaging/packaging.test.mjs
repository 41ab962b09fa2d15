// The packages as a user gets them (issue #16): both are packed with pnpm, installed with npm into
// an empty project outside the workspace (their dependencies come from the registry), and used
// the way docs/ci.md says: `npx mailnest` started by the GitHub Actions and GitLab CI steps and by
// Playwright's webServer, nodemailer sending, the SDK waiting from ESM and from CommonJS, a
// Playwright test with the `inbox` fixture and the viewer. Then what the types and the package
// metadata promise: strict TypeScript (node16 and bundler, skipLibCheck false, no @types/node for
// the core), the matcher types against Vitest 4 and 5 and Jest 29 and 30, a browser bundle of the
// core, @arethetypeswrong/cli and publint. Run by `pnpm --filter @mailnest/e2e test:packaging`
// after `pnpm build`; about two minutes, most of it `npm install`.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freePort } from "./free-port.mjs";
import { untilHealthy } from "./health.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, "../..");
const requireHere = createRequire(import.meta.url);
const tsc = requireHere.resolve("typescript/bin/tsc");
const PNPM = ["-y", "pnpm@10.34.8"];
/** Versions the installs pin: the workspace's own where it has them, so results are reproducible. */
const versions = {
  playwright: await workspaceVersion("e2e", "@playwright/test"),
  nodemailer: await workspaceVersion("server", "nodemailer"),
  vitest4: await workspaceVersion("client-sdk", "vitest"),
  vitest5: "5.1.2",
  jest29: { expect: "29.7.0", types: "29.5.14" },
  jest30: { expect: await workspaceVersion("client-sdk", "expect"), types: "30.0.0" },
};
const INSTALL_TIMEOUT_MS = 5 * 60_000;
/** The installed server must greet at once: upstream smtp-server's pause alone is 100 ms. */
const GREETING_LIMIT_MS = 20;

/**
 * skipLibCheck false checks every declaration file of every package involved; TypeScript's own
 * lib.*.d.ts are left out (skipDefaultLibCheck), being neither ours nor a package's.
 */
const STRICT = ["--noEmit", "--strict", "--skipLibCheck", "false", "--skipDefaultLibCheck"];
/** One project per pair: a program sees one Vitest and one `expect`. */
const matcherProjects = [
  { vitest: versions.vitest4, jest: versions.jest29, nodeTypes: "@types/node@20", dir: "types-old" },
  // Vitest 5 wants the types of Node 22 or later.
  { vitest: versions.vitest5, jest: versions.jest30, nodeTypes: "@types/node@22", dir: "types-new" },
];

const keep = Boolean(process.env.MAILNEST_KEEP_PACKAGING);
let root;
let app;
let tarballs;
const recipes = parseRecipes(await readFile(path.join(workspace, "docs/ci.md"), "utf8"));

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "mailnest-packaging-"));
  app = path.join(root, "app");
  tarballs = { server: await pack("server"), client: await pack("client-sdk") };
  await cp(path.join(here, "app"), app, { recursive: true });
  await writeFile(
    path.join(app, "package.json"),
    `${JSON.stringify({ name: "newcomer-app", private: true, type: "module" }, null, 2)}\n`,
  );
  // The three projects install at once: the time goes to the network, not the CPU.
  await Promise.all([
    npmInstall(app, [
      tarballs.server,
      tarballs.client,
      `@playwright/test@${versions.playwright}`,
      `nodemailer@${versions.nodemailer}`,
      "@types/node@20",
    ]),
    ...matcherProjects.map((project) => installMatcherProject(project)),
  ]);
});

after(async () => {
  if (root && !keep) await rm(root, { recursive: true, force: true });
});

describe("the packed packages, installed in an empty project", () => {
  it("@mailnest/server carries the viewer, README, LICENSE, the docs it links to and the patched SMTP engine", async () => {
    const server = path.join(app, "node_modules/@mailnest/server");
    const manifest = JSON.parse(await readFile(path.join(server, "package.json"), "utf8"));
    for (const name of ["@mailnest/protocol", "smtp-server"]) {
      assert.equal(manifest.dependencies[name], undefined, `${name} must be bundled, not a dependency`);
    }
    await readFile(path.join(server, "web/index.html"));
    await readFile(path.join(server, "LICENSE"));
    const readme = await readFile(path.join(server, "README.md"), "utf8");
    const help = await run("npx", ["mailnest", "--help"], { cwd: app });
    const linked = new Set([
      ...[...readme.matchAll(/\]\((docs\/[a-z-]+\.md)/g)].map((match) => match[1]),
      ...[...help.stdout.matchAll(/\b(docs\/[a-z-]+\.md)/g)].map((match) => match[1]),
    ]);
    assert.ok(linked.has("docs/smtp.md") && linked.has("docs/ci.md"), [...linked].join(", "));
    for (const doc of linked) await readFile(path.join(server, doc));
    // What the bin runs is the bundle (scripts/bundle.mjs), and the patched engine must be in it.
    const bin = await readFile(path.join(server, manifest.bin.mailnest), "utf8");
    assert.match(bin, /import "\.\.\/dist\/bundle\/main\.js"/);
    assert.equal(manifest.exports["."].default, "./dist/bundle/index.js");
    const bundle = path.join(server, "dist/bundle");
    const chunks = await Promise.all(
      (await readdir(bundle)).map((name) => readFile(path.join(bundle, name), "utf8")),
    );
    assert.ok(
      chunks.some((text) => /options\.greetingDelay/.test(text)),
      "the bundle does not carry the patched smtp-server",
    );
    const client = path.join(app, "node_modules/@mailnest/client");
    await readFile(path.join(client, "README.md"));
    await readFile(path.join(client, "LICENSE"));
    await assert.rejects(readFile(path.join(app, "node_modules/@mailnest/protocol/package.json")));
  });

  it("every source map in either package carries its sources, and the server ships no unbundled code", async () => {
    // Maps that named src/*.ts files the packages do not ship made every Vitest run warn, and
    // Playwright point stack traces at files that do not exist.
    const files = async (dir) =>
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
    const client = path.join(app, "node_modules/@mailnest/client");
    const server = path.join(app, "node_modules/@mailnest/server");
    const maps = [...(await files(client)), ...(await files(server))].filter((file) => file.endsWith(".map"));
    assert.ok(maps.length > 0, "the SDK's source maps are gone");
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(await readFile(map, "utf8"));
      assert.equal(sourcesContent?.length, sources.length, `${map} names sources it does not carry`);
    }
    // The server runs dist/bundle (bin and exports); tsc's own .js beside the .d.ts was dead weight.
    const unbundled = (await files(path.join(server, "dist"))).filter(
      (file) =>
        file.endsWith(".js") &&
        !file.includes(`${path.sep}bundle${path.sep}`) &&
        !file.includes(`${path.sep}vendor${path.sep}`),
    );
    assert.deepEqual(unbundled, []);
  });

  describe("the GitHub Actions steps of docs/ci.md", () => {
    let started;
    before(async () => {
      started = await runCiSteps(recipes.github);
    });
    after(async () => {
      await started?.stop();
    });

    it("start `npx mailnest` in the background and wait for /api/health; it serves the viewer", async () => {
      const health = await (await fetch(`${started.url}/api/health`)).json();
      assert.equal(health.status, "ok");
      const page = await fetch(`${started.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<!doctype html>/i);
    });

    it("the installed server greets within a few ms (no 100 ms pre-greeting pause)", async (t) => {
      await timeToGreeting(started.smtpPort); // warm-up: the first connection pays for lazy loading
      const samples = [];
      for (let i = 0; i < 15; i += 1) samples.push(await timeToGreeting(started.smtpPort));
      const median = [...samples].sort((a, b) => a - b)[7];
      t.diagnostic(
        `connect → 220: median ${median.toFixed(2)} ms (${samples.map((ms) => ms.toFixed(1)).join(", ")})`,
      );
      assert.ok(median < GREETING_LIMIT_MS, `median ${median.toFixed(1)} ms`);
    });

    it("nodemailer sends and the SDK waits, from ESM", async () => {
      const { stdout } = await run("node", ["wait.mjs"], { cwd: app, env: started.env });
      assert.match(stdout, /^esm: #\d+ "Hello from ESM"/);
    });

    it("nodemailer sends and the SDK waits, from CommonJS", async () => {
      const { stdout } = await run("node", ["wait.cjs"], { cwd: app, env: started.env });
      assert.match(stdout, /^cjs: #\d+ "Hello from CJS"/);
    });

    it("the compose recipe's health check passes against it", async () => {
      const check = recipes.compose.match(/"node", "-e", "(.+)"\]/)?.[1];
      assert.ok(check, "no node health check in the compose recipe");
      await run("node", ["-e", check.replaceAll("127.0.0.1:8025", `127.0.0.1:${started.httpPort}`)], {
        cwd: app,
      });
    });
  });

  it("the GitLab CI script of docs/ci.md starts it the same way", async () => {
    const started = await runCiSteps(recipes.gitlab);
    try {
      await run("node", ["wait.mjs"], { cwd: app, env: started.env });
    } finally {
      await started.stop();
    }
  });

  it("the installed server loads the verifier, the relay's client, the report and compose builders and the PostgreSQL client only when first used", async () => {
    // What each of them is, as the bundle's chunks name the modules they hold.
    const lazy = {
      "the verifier's public suffix list": "/node_modules/tldts/",
      "nodemailer's SMTP transport": "/nodemailer/dist/esm/smtp-transport/",
      "nodemailer's composer": "/nodemailer/dist/esm/mail-composer/",
      "the report builder (mime-node)": "/nodemailer/dist/esm/mime-node/",
      "the PostgreSQL client": "/node_modules/postgres/",
    };
    const bundle = path.join(app, "node_modules/@mailnest/server/dist/bundle");
    const chunks = new Map();
    for (const name of await readdir(bundle))
      chunks.set(name, await readFile(path.join(bundle, name), "utf8"));
    // Each is in the package: its absence below means it was not loaded, not that it was renamed.
    for (const [what, marker] of Object.entries(lazy)) {
      assert.ok(
        [...chunks.values()].some((text) => text.includes(marker)),
        `${what} (${marker}) is in no chunk`,
      );
    }
    const log = path.join(root, "loaded.log");
    const hooks = path.join(root, "record-loads.mjs");
    await writeFile(
      hooks,
      `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(log)}, url + "\\n");\n  return next(url, context);\n}\n`,
    );
    const register = path.join(root, "register-loads.mjs");
    await writeFile(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const loaded = async () => {
      const names = new Set((await readFile(log, "utf8")).split("\n").map((url) => url.split("/").pop()));
      return (marker) => [...names].some((name) => chunks.get(name)?.includes(marker));
    };

    const env = await portsEnv();
    // Verification on the event loop, so every module the server loads is the main thread's.
    const server = spawn(
      "node",
      ["--import", register, "node_modules/@mailnest/server/bin/mailnest.js", "--verify-threads", "0"],
      {
        cwd: app,
        env: { ...process.env, ...env, MAILNEST_DATA_DIR: path.join(root, "lazy-data") },
        stdio: "ignore",
      },
    );
    let exited = null;
    const exit = new Promise((resolve) => {
      server.on("exit", (code, signal) => {
        exited = signal ?? code;
        resolve();
      });
    });
    try {
      await untilHealthy(env.MAILNEST_URL, { timeoutMs: 30_000, exited: () => exited });
      const atStart = await loaded();
      for (const [what, marker] of Object.entries(lazy))
        assert.ok(!atStart(marker), `${what} loaded at start`);

      await run("node", ["wait.mjs"], { cwd: app, env });
      const [message] = (await (await fetch(`${env.MAILNEST_URL}/api/messages?limit=1`)).json()).messages;
      assert.deepEqual(message.authSummary, { dkim: "none", spf: "none", dmarc: "none", arc: "none" });
      const afterMessage = await loaded();
      assert.ok(
        afterMessage(lazy["the verifier's public suffix list"]),
        "the verifier did not load for the message",
      );
      assert.ok(
        !afterMessage(lazy["nodemailer's SMTP transport"]),
        "capturing a message loaded the relay's client",
      );
    } finally {
      server.kill("SIGTERM");
      await exit;
    }
  });

  it("Playwright with the webServer config of docs/ci.md: the inbox fixture waits and the viewer shows the mail", async () => {
    await writeFile(path.join(app, "playwright.config.ts"), recipes.playwrightConfig);
    const env = { ...(await portsEnv()), CI: "1" };
    const { stdout } = await run("npx", ["playwright", "test", "--reporter=line"], {
      cwd: app,
      env,
      timeout: 120_000,
    });
    assert.match(stdout, /1 passed/);
  });

  it("strict TypeScript compiles against the SDK: node16 (ESM and CJS) and bundler, skipLibCheck false", async () => {
    // The core with the DOM library and no @types/node; the Playwright config and spec with Node's types.
    for (const project of ["tsconfig.node16.json", "tsconfig.bundler.json", "tsconfig.playwright.json"]) {
      await run("node", [tsc, "-p", project], { cwd: app });
    }
  });

  it("the SDK's core bundles for the browser (esbuild, platform browser)", async () => {
    const { build } = requireHere("esbuild");
    const result = await build({
      entryPoints: [path.join(app, "browser.mjs")],
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    const code = result.outputFiles[0].text;
    assert.doesNotMatch(code, /\bBuffer\b|\brequire\(/);
  });

  it("@arethetypeswrong/cli and publint find no problem in either package", async () => {
    await run("npx", ["attw", "--profile", "esm-only", tarballs.server], { cwd: here });
    await run("npx", ["attw", tarballs.client], { cwd: here });
    for (const name of ["server", "client"]) {
      const { stdout } = await run(
        "npx",
        ["publint", "--strict", "--pack", "false", path.join(app, "node_modules/@mailnest", name)],
        {
          cwd: here,
        },
      );
      assert.doesNotMatch(stdout, /Errors:|Warnings:/, stdout);
    }
  });

  for (const { vitest, jest, dir } of matcherProjects) {
    it(`the matcher types compile with Vitest ${vitest} and Jest ${jest.expect} (skipLibCheck false)`, async () => {
      const project = path.join(root, dir);
      const strict = [
        ...STRICT,
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
      ];
      await run("node", [tsc, ...strict, "--types", "node", "vitest-matchers.ts"], { cwd: project });
      await run("node", [tsc, ...strict, "--types", "node,jest", "jest-matchers.ts"], { cwd: project });
    });
  }

  it("the Jest globalSetup of docs/ci.md is the one e2e/jest-project runs", async () => {
    for (const file of ["global-setup.cjs", "global-teardown.cjs"]) {
      const tested = await readFile(path.join(workspace, "e2e/jest-project", file), "utf8");
      assert.equal(
        withoutComments(recipes[file]),
        withoutComments(tested),
        `docs/ci.md's ${file} differs from e2e/jest-project/${file}`,
      );
    }
  });
});

async function installMatcherProject({ vitest, jest, nodeTypes, dir }) {
  const project = path.join(root, dir);
  await mkdir(project);
  await cp(path.join(here, "matcher-types"), project, { recursive: true });
  await writeFile(
    path.join(project, "package.json"),
    `${JSON.stringify({ name: dir, private: true, type: "module" })}\n`,
  );
  await npmInstall(
    project,
    [tarballs.client, `vitest@${vitest}`, `expect@${jest.expect}`, `@types/jest@${jest.types}`, nodeTypes],
    ["--ignore-scripts"],
  );
}

/** The fenced blocks of docs/ci.md, by the file name on their first line. */
function parseRecipes(markdown) {
  const blocks = new Map();
  for (const [, body] of markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    const name = /^(?:#|\/\/) ([\w./-]+)\n/.exec(body)?.[1];
    if (name) blocks.set(name, body);
  }
  const need = (name) => {
    const block = blocks.get(name);
    if (!block) throw new Error(`docs/ci.md has no block for ${name}`);
    return block;
  };
  // The CI steps that concern Mailnest: the lines that name it or MAILNEST_URL.
  const steps = (block, prefix) =>
    block
      .split("\n")
      .map((line) => prefix.exec(line)?.[1])
      .filter((command) => command && /mailnest|MAILNEST_URL/.test(command));
  return {
    github: steps(need(".github/workflows/test.yml"), /^\s+run: (.+)$/),
    gitlab: steps(need(".gitlab-ci.yml"), /^\s+- (.+)$/),
    playwrightConfig: need("playwright.config.ts"),
    compose: need("compose.yaml"),
    "global-setup.cjs": need("global-setup.cjs"),
    "global-teardown.cjs": need("global-teardown.cjs"),
  };
}

function withoutComments(code) {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((line) => !/^\s*\/\//.test(line) && line.trim() !== "")
    .join("\n");
}

/**
 * Runs CI steps in one bash, as a CI runner would, on free ports. The server they start in the
 * background is in the process group of that bash, which `stop` ends.
 */
async function runCiSteps(steps) {
  assert.equal(steps.length, 2, `expected a start and a wait step, got: ${steps.join(" | ")}`);
  const env = await portsEnv();
  const child = spawn("bash", ["-euo", "pipefail", "-c", steps.join("\n")], {
    cwd: app,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  };
  const code = await new Promise((resolve) => child.on("exit", resolve));
  if (code !== 0) {
    await stop();
    throw new Error(`the CI steps failed (exit ${code}):\n${steps.join("\n")}\n${output}`);
  }
  return {
    env,
    url: env.MAILNEST_URL,
    smtpPort: Number(env.MAILNEST_SMTP_PORT),
    httpPort: Number(env.MAILNEST_HTTP_PORT),
    stop,
  };
}

/** MAILNEST_* variables for a server on free ports (and no POP3/IMAP listeners to collide). */
async function portsEnv() {
  const [smtp, http] = [await freePort(), await freePort()];
  return {
    MAILNEST_SMTP_PORT: String(smtp),
    MAILNEST_HTTP_PORT: String(http),
    MAILNEST_POP3_PORT: "off",
    MAILNEST_IMAP_PORT: "off",
    MAILNEST_URL: `http://127.0.0.1:${http}`,
  };
}

async function timeToGreeting(port) {
  const started = performance.now();
  const socket = net.connect({ host: "127.0.0.1", port });
  try {
    await new Promise((resolve, reject) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n")) resolve();
      });
      socket.on("error", reject);
    });
    return performance.now() - started;
  } finally {
    socket.end("QUIT\r\n");
  }
}

async function pack(folder) {
  const destination = path.join(root, "tarballs");
  await mkdir(destination, { recursive: true });
  const before = new Set(await readdir(destination));
  await run("npx", [...PNPM, "pack", "--pack-destination", destination], {
    cwd: path.join(workspace, folder),
  });
  const created = (await readdir(destination)).filter((file) => !before.has(file) && file.endsWith(".tgz"));
  assert.equal(created.length, 1, `pnpm pack in ${folder} made ${created.join(", ") || "nothing"}`);
  return path.join(destination, created[0]);
}

async function npmInstall(cwd, specs, extra = []) {
  await run(
    "npm",
    ["install", "--save-dev", "--no-audit", "--no-fund", "--loglevel=error", ...extra, ...specs],
    {
      cwd,
      timeout: INSTALL_TIMEOUT_MS,
    },
  );
}

async function workspaceVersion(folder, name) {
  const manifest = JSON.parse(await readFile(path.join(workspace, folder, "package.json"), "utf8"));
  const wanted = manifest.dependencies?.[name] ?? manifest.devDependencies?.[name];
  if (wanted && /^\d/.test(wanted)) return wanted;
  // catalog: or a range: the version installed in the workspace.
  const require = createRequire(path.join(workspace, folder, "package.json"));
  return JSON.parse(await readFile(require.resolve(`${name}/package.json`), "utf8")).version;
}

/** Runs a command to completion; rejects with its output when it fails or outlives `timeout`. */
function run(command, args, { cwd, env = {}, timeout = 60_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(
            `${command} ${args.join(" ")} (in ${cwd}) ${signal ? `was killed (${signal}, after ${timeout} ms?)` : `exited ${code}`}\n${stdout}\n${stderr}`,
          ),
        );
    });
  });
}
