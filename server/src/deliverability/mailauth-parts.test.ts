import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

/**
 * Runs `mailauth-parts.ts` in a thread of its own (its own CommonJS module cache, as a verification
 * thread has), verifies a signed message, an ARC chain and an SPF record through it, and reports
 * which of mailauth's files and dependencies that loaded.
 */
interface Loaded {
  loaded: string[];
  results: string[];
  keyComments: string[];
}

let verifiedOnce: Promise<Loaded> | undefined;

/** One thread for both tests below. */
function filesLoadedByVerifying(): Promise<Loaded> {
  verifiedOnce ??= verifyInAThread();
  return verifiedOnce;
}

async function verifyInAThread(): Promise<Loaded> {
  const parts = new URL("./mailauth-parts.ts", import.meta.url).href;
  const code = `
    import { register } from "tsx/esm/api";
    register();
    const { createRequire } = await import("node:module");
    const { parentPort } = await import("node:worker_threads");
    const { dkimVerify, verifyArc, spfVerify } = await import(${JSON.stringify(parts)});
    const resolver = async (name, type) => {
      if (type === "TXT" && name === "example.test") return [["v=spf1 ip4:192.0.2.0/24 -all"]];
      throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    };
    const raw = Buffer.from("From: a@example.test\\r\\nDKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=s1; h=from; bh=x; b=y\\r\\n\\r\\nHi\\r\\n");
    const dkim = await dkimVerify(raw, { resolver });
    const arc = await verifyArc(dkim.arc, { resolver });
    const spf = await spfVerify("example.test", {
      sender: "a@example.test", ip: "192.0.2.10", mta: "mx.test", helo: "mail.example.test",
      resolver, createSubResolver: () => resolver,
    });
    // A signature whose body hash holds, against a key record that is not base64 and one that is
    // base64 but not a key: the first must fail joi's check (or what stands in for it).
    const bh = (await import("node:crypto")).createHash("sha256").update("Hi\\r\\n").digest("base64");
    const signed = Buffer.from("From: a@example.test\\r\\nDKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=s1; h=from; bh=" + bh + "; b=y\\r\\n\\r\\nHi\\r\\n");
    const keyComments = [];
    for (const p of ["AB*C", "MIIB"]) {
      const verified = await dkimVerify(signed, { resolver: async () => [["v=DKIM1; k=rsa; p=" + p]] });
      keyComments.push(verified.results[0].status.comment);
    }
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    parentPort.postMessage({ loaded, keyComments, results: [dkim.results[0].status.result, arc.status.result, spf.qualifier ?? spf.error] });
  `;
  const worker = new Worker(code, { eval: true });
  const [message] = (await once(worker, "message")) as [Loaded];
  await worker.terminate();
  return message;
}

describe("the parts of mailauth Mailnest loads", () => {
  it("are DKIM, ARC and SPF only: BIMI, its VMC validation and their HTTP client never load", async () => {
    const { loaded, results } = await filesLoadedByVerifying();
    // The three parts ran: a signature with a key that is not published, no ARC chain, an SPF pass.
    expect(results).toEqual(["neutral", "none", "+"]);
    const mailauthFiles = loaded.filter((file) => file.includes("/mailauth/lib/"));
    expect(mailauthFiles.some((file) => file.includes("/dkim/"))).toBe(true);
    expect(mailauthFiles.some((file) => file.includes("/arc/"))).toBe(true);
    expect(
      loaded.filter((file) =>
        /\/mailauth\/lib\/(bimi|mailauth\.js)|\/undici\/|\/@peculiar\/|\/@postalsys\/vmc\//.test(file),
      ),
    ).toEqual([]);
  }, 60_000);

  it("do not load joi, and still refuse a key record that is not base64 (mailauth-base64-check.ts)", async () => {
    const { loaded, keyComments } = await filesLoadedByVerifying();
    expect(loaded.filter((file) => /\/(joi|@hapi|@sideway|@standard-schema)\//.test(file))).toEqual([]);
    // mailauth's own comments: the base64 check failed; the check passed and the key did not parse.
    expect(keyComments).toEqual(["invalid public key", "unknown key type"]);
  }, 60_000);
});
