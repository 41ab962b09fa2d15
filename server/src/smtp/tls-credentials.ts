import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createSecureContext } from "node:tls";
import type { MailnestConfig } from "../config.js";
import {
  certificateNames,
  certificatePaths,
  generatePair,
  isUsable,
  type SelfSignedPair,
  selfSignedCertificate,
} from "./self-signed-certificate.js";
import { TlsCertificateError } from "./tls-certificate-error.js";

/** The certificate both TLS listeners (STARTTLS and implicit) present. */
export interface TlsCredentials {
  key: string;
  cert: string;
  source: "files" | "self-signed";
  /**
   * The PEM file a client can trust: the `--tls-cert` file or `<dataDir>/tls/cert.pem`; null for a
   * self-signed certificate in memory mode (then `cert` is the only copy).
   */
  certFile: string | null;
  /** For a self-signed certificate, the names it is valid for; empty for files. */
  names: string[];
  /** A self-signed certificate every instance on one PostgreSQL database presents (`SharedCertificate`). */
  shared: boolean;
}

/**
 * A self-signed certificate kept outside this process, so that every instance of a sandbox presents
 * the same one (PostgreSQL: `store/postgres/shared-certificate.ts`): a client behind a load balancer
 * that trusts it once trusts every instance.
 */
export interface SharedCertificate {
  /**
   * The stored pair for `names` when `usable` says it still is; otherwise one from `make`, stored
   * for the others. Instances asking at once get the same pair.
   */
  keep(
    names: readonly string[],
    make: (names: readonly string[]) => Promise<SelfSignedPair>,
    usable: (pair: { key: string; cert: string }, names: readonly string[]) => boolean,
  ): Promise<{ key: string; cert: string }>;
}

/** What loading the certificate reads: the PEM files, or where and for which names to make one. */
export type TlsConfig = Pick<MailnestConfig, "tls" | "dataDir" | "domain" | "host">;

/** Where the self-signed certificate is kept. */
export function selfSignedDir(dataDir: string): string {
  return path.join(dataDir, "tls");
}

/**
 * `config.tls` files when given (both or neither), else the self-signed certificate of the data
 * dir. Throws `TlsCertificateError` with the file and the reason when they cannot be used.
 */
export async function loadTlsCredentials(
  config: TlsConfig,
  shared: SharedCertificate | null = null,
): Promise<TlsCredentials> {
  const { certFile, keyFile } = config.tls;
  if (certFile === null && keyFile === null) {
    const names = certificateNames(config.domain, config.host);
    if (shared !== null) {
      const pair = await shared.keep(names, generatePair, isUsable);
      return { ...pair, source: "self-signed", certFile: null, names, shared: true };
    }
    const dir = config.dataDir === null ? null : selfSignedDir(config.dataDir);
    const pair = await selfSignedCertificate(dir, names);
    return {
      key: pair.key,
      cert: pair.cert,
      source: "self-signed",
      certFile: dir === null ? null : certificatePaths(dir).certFile,
      names: pair.names,
      shared: false,
    };
  }
  if (certFile === null || keyFile === null) {
    throw new TlsCertificateError(
      "--tls-cert and --tls-key go together: give both PEM files, or neither for a self-signed certificate",
    );
  }
  const cert = await readPem(certFile, "--tls-cert");
  const key = await readPem(keyFile, "--tls-key");
  // Fails now, naming the files, rather than at the first client's handshake. The context alone
  // is not enough: it takes an empty key and certificate without a word (they are optional to it),
  // and every STARTTLS then fails.
  const refuse = (what: string, error: unknown) =>
    new TlsCertificateError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw refuse(`--tls-cert ${certFile} holds no PEM certificate`, error);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw refuse(`--tls-key ${keyFile} holds no PEM private key`, error);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsCertificateError(
      `--tls-key ${keyFile} is not the private key of the certificate in --tls-cert ${certFile}`,
    );
  }
  try {
    createSecureContext({ key, cert });
  } catch (error) {
    throw refuse(`--tls-cert ${certFile} / --tls-key ${keyFile}`, error);
  }
  return { key, cert, source: "files", certFile, names: [], shared: false };
}

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new TlsCertificateError(`${flag} ${file}: cannot read it (${reason})`);
  }
}
