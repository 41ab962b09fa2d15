import { type ConnectOptions, connect } from "./connect.js";
import { ADVISORY_LOCK, migrate } from "./schema.js";
import { databaseError } from "./unavailable.js";

interface CertificatePair {
  key: string;
  cert: string;
}

/**
 * The self-signed certificate of a sandbox on PostgreSQL (docs/scaling.md, "TLS"), in
 * `mailnest_certificates`: read, and made when missing or no longer usable, under an advisory lock,
 * so instances starting at once agree on one. Opened for the one read at startup. The private key
 * is stored in the database: it protects test mail only, and whoever reads the database reads that
 * mail anyway. (The shape of `SharedCertificate` in `smtp/tls-credentials.ts`, which the store
 * layer does not import.)
 */
export function sharedCertificate(url: string, connection: ConnectOptions = {}) {
  return {
    async keep(
      names: readonly string[],
      make: (names: readonly string[]) => Promise<CertificatePair>,
      usable: (pair: CertificatePair, names: readonly string[]) => boolean,
    ): Promise<CertificatePair> {
      const sql = connect(url, { max: 1, ...connection });
      try {
        await migrate(sql);
        const key = names.join(",");
        return await sql.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.certificate.toString()}::bigint)`;
          const [stored] = await tx<{ cert: string; key: string }[]>`
            SELECT cert, key FROM mailnest_certificates WHERE names = ${key}`;
          if (stored && usable(stored, names)) return { cert: stored.cert, key: stored.key };
          const pair = await make(names);
          await tx`
            INSERT INTO mailnest_certificates (names, cert, key) VALUES (${key}, ${pair.cert}, ${pair.key})
            ON CONFLICT (names) DO UPDATE SET cert = EXCLUDED.cert, key = EXCLUDED.key, created_at = now()`;
          return { cert: pair.cert, key: pair.key };
        });
      } catch (error) {
        throw databaseError("reading the shared TLS certificate from PostgreSQL", error);
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    },
  };
}
