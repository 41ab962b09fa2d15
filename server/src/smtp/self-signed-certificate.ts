import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";

/** How long a generated certificate is valid; it is replaced a month before it runs out. */
const VALIDITY_MS = 3 * 365 * 24 * 3_600_000;
const RENEW_BEFORE_MS = 30 * 24 * 3_600_000;

export interface SelfSignedPair {
  key: string;
  cert: string;
  /** DNS names and IP addresses the certificate is valid for. */
  names: string[];
}

/**
 * The names a client may use to reach the sandbox: the configured domain (the greeting name),
 * `localhost`, the loopback addresses, and the bind address when it is a specific one.
 */
export function certificateNames(domain: string, host: string): string[] {
  const names = [domain, "localhost", "127.0.0.1", "::1"];
  const bound = host.replace(/^\[|\]$/g, "");
  if (bound !== "" && bound !== "0.0.0.0" && bound !== "::") names.push(bound.toLowerCase());
  return [...new Set(names)];
}

/**
 * The self-signed certificate in `dir` (`cert.pem`, `key.pem`), generated when missing, broken,
 * about to expire or no longer covering `names`; reused otherwise, so a client that trusts
 * `cert.pem` keeps trusting it across restarts. With `dir` null it is generated for this run only.
 */
export async function selfSignedCertificate(
  dir: string | null,
  names: readonly string[],
): Promise<SelfSignedPair> {
  if (dir !== null) {
    const saved = await readSaved(dir);
    if (saved && isUsable(saved, names)) return { ...saved, names: [...names] };
  }
  const pair = await generatePair(names);
  if (dir !== null) await save(dir, pair);
  return pair;
}

export function certificatePaths(dir: string): { certFile: string; keyFile: string } {
  return { certFile: path.join(dir, "cert.pem"), keyFile: path.join(dir, "key.pem") };
}

/** A new self-signed certificate for `names`, valid for three years. */
export async function generatePair(names: readonly string[]): Promise<SelfSignedPair> {
  const notBeforeDate = new Date(Date.now() - 60_000); // a client clock slightly behind still accepts it
  // Loaded only when a certificate must be made: selfsigned pulls in a full X.509 stack (~18 MB of
  // resident memory) that a sandbox without --tls, or with a stored certificate, never needs.
  // selfsigned is CommonJS: take its exports object as the default export, which is what both Node
  // and the bundle (scripts/bundle.mjs) give; only Node also lifts out named exports.
  const { generate } = (await import("selfsigned")).default;
  const pems = await generate([{ name: "commonName", value: names[0] ?? "localhost" }], {
    // P-256 generates in milliseconds (an RSA key takes much longer) and every current TLS stack speaks it.
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_MS),
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
      },
    ],
  });
  return { key: pems.private, cert: pems.cert, names: [...names] };
}

async function readSaved(dir: string): Promise<{ key: string; cert: string } | null> {
  const { certFile, keyFile } = certificatePaths(dir);
  try {
    return { key: await readFile(keyFile, "utf8"), cert: await readFile(certFile, "utf8") };
  } catch {
    return null;
  }
}

/** Whether the pair matches, is valid now and for another month, and covers every one of `names`. */
export function isUsable(pair: { key: string; cert: string }, names: readonly string[]): boolean {
  try {
    const certificate = new X509Certificate(pair.cert);
    if (!certificate.checkPrivateKey(createPrivateKey(pair.key))) return false;
    if (new Date(certificate.validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return false;
    if (new Date(certificate.validFrom).getTime() > Date.now()) return false;
    return names.every((name) =>
      isIP(name) ? certificate.checkIP(name) !== undefined : certificate.checkHost(name) !== undefined,
    );
  } catch {
    return false;
  }
}

/** Key first, each through a temp file and a rename: a crash in between leaves a pair that fails `isUsable`. */
async function save(dir: string, pair: SelfSignedPair): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { certFile, keyFile } = certificatePaths(dir);
  await writeAtomically(keyFile, pair.key, 0o600);
  await writeAtomically(certFile, pair.cert, 0o644);
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode });
  await chmod(temp, mode);
  await rename(temp, file);
}
