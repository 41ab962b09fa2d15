import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { base64OnlyJoi, requireWithoutJoi, validateBase64 } from "./mailauth-base64-check.js";

const require = createRequire(import.meta.url);
// The joi mailauth depends on, resolved from mailauth's own directory (it is not Mailnest's dependency).
const joi = require(require.resolve("joi", { paths: [require.resolve("mailauth/lib/tools.js")] })) as {
  string(): {
    base64(options: { paddingRequired: boolean }): { validate(value: unknown): { error?: unknown } };
  };
};
const upstream = joi.string().base64({ paddingRequired: false });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ODD = "=-_ .\r\n\t\0é~%";

/** Deterministic strings near the edges of base64: every length 0–13, padding anywhere, odd characters. */
function candidates(): string[] {
  let seed = 7;
  const next = (bound: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % bound;
  };
  const pick = (characters: string) => characters[next(characters.length)] ?? "";
  const out = ["", "=", "==", "A=", "AA=", "AA==", "AAA=", "AAAA", "AAAA=", "AAAA==", "AAA==", "A", "AAAAA"];
  for (let index = 0; index < 3_000; index += 1) {
    const length = next(14);
    let text = "";
    for (let at = 0; at < length; at += 1) text += next(10) === 0 ? pick(ODD) : pick(ALPHABET);
    out.push(text, `${text}=`, `${text}==`);
  }
  const key = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
  const spki = key.export({ type: "spki", format: "der" }).toString("base64");
  out.push(spki, spki.replace(/=+$/, ""), `${spki}=`, spki.replace("A", "-"), `${spki} `, spki.slice(1));
  return out;
}

describe("the base64 check mailauth's tools.js gets instead of joi", () => {
  it("answers as joi's Joi.string().base64({ paddingRequired: false }) does, for every candidate", () => {
    const disagreements = candidates().filter(
      (text) => (validateBase64(text).error === undefined) !== (upstream.validate(text).error === undefined),
    );
    expect(disagreements).toEqual([]);
  });

  it("refuses what is not a non-empty string and lets no value pass, as joi's string schema does", () => {
    for (const value of [null, 42, "", Buffer.from("AAAA")]) {
      expect(validateBase64(value).error).toBeInstanceOf(Error);
      expect(upstream.validate(value).error).toBeDefined();
    }
    expect(validateBase64(undefined).error).toBeUndefined();
    expect(upstream.validate(undefined).error).toBeUndefined();
  });

  it("throws for any other use, so a mailauth that asks for more fails loudly instead of passing", () => {
    expect(() => base64OnlyJoi.string().base64({ paddingRequired: true })).toThrow(/paddingRequired/);
    expect(() => base64OnlyJoi.string().base64({ paddingRequired: false, urlSafe: true })).toThrow();
    expect((base64OnlyJoi as unknown as { object?: unknown }).object).toBeUndefined();
  });

  it("leaves the module cache's joi as it was, and a module loaded already as it is", () => {
    const cache = require.cache;
    const joiPath = require.resolve("joi", { paths: [require.resolve("mailauth/lib/tools.js")] });
    const before = cache[joiPath];
    // tools.js is loaded by now (the comparison above went through mailauth's directory, and other
    // tests may have loaded it): requiring it again returns that module and touches nothing.
    const tools = require("mailauth/lib/tools.js") as unknown;
    expect(requireWithoutJoi(require, "mailauth/lib/tools.js")).toBe(tools);
    expect(cache[joiPath]).toBe(before);
  });

  it("stands in for joi only while the module loads", async () => {
    // Modules of our own in a directory of their own, so the real module cache is not involved.
    const dir = await mkdtemp(join(tmpdir(), "mailnest-joi-stand-in-"));
    const module = async (name: string, source: string) => {
      await mkdir(join(dir, "node_modules", name), { recursive: true });
      await writeFile(join(dir, "node_modules", name, "index.js"), source);
    };
    try {
      await module("joi", 'module.exports = "the real joi";');
      await module("uses-joi", 'module.exports = { joi: require("joi") };');
      const local = createRequire(join(dir, "index.js"));
      expect(requireWithoutJoi<{ joi: unknown }>(local, "uses-joi").joi).toBe(base64OnlyJoi);
      expect(local("joi")).toBe("the real joi");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
