import {
  apiPaths,
  type DeletedCount,
  type DkimKey,
  type DkimKeyRequest,
  type DnsRecord,
  type DnsRecordList,
  type DnsRecordRequest,
  type DnsRecordType,
} from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";

/**
 * An RSA DKIM key as `mail.dns.createDkimKey` returns it, with the options nodemailer's `dkim` takes
 * (an Ed25519 key has none: nodemailer signs with RSA only).
 */
export interface CreatedDkimKey extends DkimKey {
  /** `createTransport({ …, dkim: key.nodemailer })` */
  readonly nodemailer: { domainName: string; keySelector: string; privateKey: string };
}

/**
 * The DNS zone the server verifies SPF, DKIM, DMARC and ARC against (`mail.dns`,
 * docs/authentication.md). Give each test its own domain (`t-<random>.test`) and parallel tests
 * never see each other's records.
 * @example
 * const key = await mail.dns.createDkimKey({ domain: "t-8f3k2q9x.test", selector: "s1" });
 * await mail.dns.add({ name: "t-8f3k2q9x.test", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" });
 */
export class Dns {
  readonly #http: HttpClient;

  /** @internal Made by `Mailnest`. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Every record, or those of one name. */
  async records(name?: string): Promise<DnsRecord[]> {
    const query = name === undefined ? {} : { name };
    return (await this.#http.json<DnsRecordList>("GET", apiPaths.dnsRecords(), { query })).records;
  }

  /** Adds records (adding one that is there already only updates its TTL); returns them as stored. */
  async add(...records: DnsRecordRequest[]): Promise<DnsRecord[]> {
    const added: DnsRecord[] = [];
    for (const record of records) {
      added.push(await this.#http.json<DnsRecord>("POST", apiPaths.dnsRecords(), { body: record }));
    }
    return added;
  }

  /** Deletes the records of `name` (only those of `type`, and of `value`, when given); returns how many. */
  async delete(name: string, options: { type?: DnsRecordType; value?: string } = {}): Promise<number> {
    const query = { name, ...options };
    return (await this.#http.json<DeletedCount>("DELETE", apiPaths.dnsRecords(), { query })).deleted;
  }

  /**
   * Creates a key pair (RSA 2048 unless asked otherwise, or Ed25519), publishes the public key at
   * `<selector>._domainkey.<domain>` and returns the private key, so the app under test can sign with it.
   * @example
   * const key = await mail.dns.createDkimKey({ domain, selector: "s1" });
   * const transport = nodemailer.createTransport({ host, port, dkim: key.nodemailer });
   */
  async createDkimKey(request: DkimKeyRequest & { algorithm: "ed25519" }): Promise<DkimKey>;
  async createDkimKey(request: DkimKeyRequest): Promise<CreatedDkimKey>;
  async createDkimKey(request: DkimKeyRequest): Promise<CreatedDkimKey | DkimKey> {
    const key = await this.#http.json<DkimKey>("POST", apiPaths.dkimKeys(), { body: request });
    if (key.algorithm !== "ed25519") {
      return {
        ...key,
        nodemailer: { domainName: key.domain, keySelector: key.selector, privateKey: key.privateKeyPem },
      };
    }
    // nodemailer's DKIM signer is RSA-only: given an Ed25519 key it sends the mail unsigned, and
    // says nothing. A key whose algorithm was not known when the call was typed still has the
    // property, and reading it says why it cannot be used (not enumerable, so logging the key works).
    return Object.defineProperty({ ...key }, "nodemailer", {
      enumerable: false,
      get(): never {
        throw new TypeError(
          "key.nodemailer: nodemailer signs DKIM with RSA keys only, and sends mail unsigned, without an error, with an Ed25519 key; create an RSA key for nodemailer, or give privateKeyPem to a signer that does ed25519-sha256 (RFC 8463)",
        );
      },
    });
  }
}
