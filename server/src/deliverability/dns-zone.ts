import { type DnsRecord, type DnsRecordType, MAX_ZONE_RECORDS } from "@mailnest/protocol";
import { InvalidDnsRecordError, normalizeDnsName, toDnsRecord } from "./dns-record.js";

/** The zone is full: `MAX_ZONE_RECORDS` records. */
export class ZoneFullError extends Error {
  override name = "ZoneFullError" as const;

  constructor() {
    super(`The DNS zone already holds ${MAX_ZONE_RECORDS} records; delete some first`);
  }
}

/** Which records a delete or a list is about: every record of `name`, or only those of a type/value. */
export interface DnsRecordSelector {
  name: string;
  type?: DnsRecordType;
  value?: string;
}

/** A change to a zone, as its listeners hear it (a worker thread's copy of the zone replays them). */
export type ZoneChange =
  | { kind: "add"; record: DnsRecord }
  | { kind: "remove"; selector: DnsRecordSelector }
  | { kind: "clear" }
  | { kind: "replace"; records: DnsRecord[] };

/**
 * The records Mailnest answers from, held in memory: lookups never wait. One name may hold many
 * records, except that a CNAME stands alone (RFC 1034 section 3.6.2). Adding a record that is
 * already there (same name, type and value) only updates its TTL, so a test may publish the same
 * record twice.
 */
export class DnsZone {
  readonly #byName = new Map<string, DnsRecord[]>();
  readonly #listeners = new Set<(change: ZoneChange) => void>();
  /** How many records sit at or below each name: a name with none of its own but some below exists (RFC 8020). */
  readonly #below = new Map<string, number>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Calls `listener` after every change that took effect; returns the unsubscribe function. */
  onChange(listener: (change: ZoneChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #announce(change: ZoneChange): void {
    for (const listener of this.#listeners) listener(change);
  }

  /** Adds one record (checked and normalized) and returns it as stored. */
  add(input: { name: unknown; type: unknown; value: unknown; ttl?: unknown }): DnsRecord {
    const stored = this.#insert(input);
    this.#announce({ kind: "add", record: { ...stored } });
    return { ...stored };
  }

  /** `add` without the announcement; returns the record as stored (not a copy). */
  #insert(input: { name: unknown; type: unknown; value: unknown; ttl?: unknown }): DnsRecord {
    const record = toDnsRecord(input);
    const existing = this.#byName.get(record.name) ?? [];
    const same = existing.find((other) => other.type === record.type && other.value === record.value);
    if (same) {
      same.ttl = record.ttl;
      return same;
    }
    if (record.type === "CNAME" && existing.length > 0) {
      throw new InvalidDnsRecordError(
        "type",
        `${record.name} already has ${existing[0]?.type} records; a CNAME must be the only record of its name`,
      );
    }
    if (record.type !== "CNAME" && existing.some((other) => other.type === "CNAME")) {
      throw new InvalidDnsRecordError(
        "name",
        `${record.name} is a CNAME; it cannot hold ${record.type} records too`,
      );
    }
    if (record.type === "CNAME" && record.value === record.name) {
      throw new InvalidDnsRecordError("value", `${record.name} cannot be a CNAME of itself`);
    }
    if (this.#size >= MAX_ZONE_RECORDS) throw new ZoneFullError();
    existing.push(record);
    this.#byName.set(record.name, existing);
    this.#size += 1;
    for (const ancestor of ancestorsOf(record.name))
      this.#below.set(ancestor, (this.#below.get(ancestor) ?? 0) + 1);
    return record;
  }

  /** Removes the selected records; returns how many went. */
  remove(selector: DnsRecordSelector): number {
    const name = normalizeDnsName(selector.name);
    const existing = this.#byName.get(name);
    if (!existing) return 0;
    // A value is compared as stored ("10 MX.Example.test." is "10 mx.example.test").
    const value =
      selector.value !== undefined && selector.type !== undefined
        ? toDnsRecord({ name, type: selector.type, value: selector.value }).value
        : selector.value;
    const kept = existing.filter((record) => !selected(record, selector.type, value));
    const removed = existing.length - kept.length;
    if (kept.length === 0) this.#byName.delete(name);
    else this.#byName.set(name, kept);
    this.#size -= removed;
    for (const ancestor of ancestorsOf(name)) {
      const left = (this.#below.get(ancestor) ?? 0) - removed;
      if (left > 0) this.#below.set(ancestor, left);
      else this.#below.delete(ancestor);
    }
    if (removed > 0) this.#announce({ kind: "remove", selector: { ...selector } });
    return removed;
  }

  clear(): void {
    this.#forget();
    this.#announce({ kind: "clear" });
  }

  /**
   * Makes the zone hold exactly `records`, in their order, as one change: the zone another process
   * keeps (a shared zone on PostgreSQL) becomes this one's, and a verification thread never sees a
   * half-replaced copy. A record that cannot stand beside the others is left out. Announces nothing
   * and returns false when the zone already held exactly these.
   */
  replace(records: readonly DnsRecord[]): boolean {
    if (sameRecords(this.list(), groupedByName(records))) return false;
    this.#forget();
    for (const record of records) {
      try {
        this.#insert(record);
      } catch (error) {
        if (!(error instanceof InvalidDnsRecordError || error instanceof ZoneFullError)) throw error;
      }
    }
    this.#announce({ kind: "replace", records: this.list() });
    return true;
  }

  #forget(): void {
    this.#byName.clear();
    this.#below.clear();
    this.#size = 0;
  }

  /** Every record (copies), grouped by name in insertion order; only those of `name` when given. */
  list(name?: string): DnsRecord[] {
    if (name !== undefined)
      return (this.#byName.get(normalizeDnsName(name)) ?? []).map((record) => ({ ...record }));
    return [...this.#byName.values()].flat().map((record) => ({ ...record }));
  }

  /** The records of exactly this name (no wildcards), or []; `name` must be normalized. */
  recordsOf(name: string): readonly DnsRecord[] {
    return this.#byName.get(name) ?? [];
  }

  /** Whether the name exists: it has records, or some name below it has (an empty non-terminal). */
  has(name: string): boolean {
    return this.#below.has(name);
  }
}

/** `records` in the order `list()` gives them: grouped by name, names in order of first appearance. */
function groupedByName(records: readonly DnsRecord[]): DnsRecord[] {
  const byName = new Map<string, DnsRecord[]>();
  for (const record of records) {
    const group = byName.get(record.name);
    if (group) group.push(record);
    else byName.set(record.name, [record]);
  }
  return [...byName.values()].flat();
}

function sameRecords(a: readonly DnsRecord[], b: readonly DnsRecord[]): boolean {
  return (
    a.length === b.length &&
    a.every((record, index) => {
      const other = b[index];
      return (
        other !== undefined &&
        record.name === other.name &&
        record.type === other.type &&
        record.value === other.value &&
        record.ttl === other.ttl
      );
    })
  );
}

function selected(record: DnsRecord, type: DnsRecordType | undefined, value: string | undefined): boolean {
  if (type !== undefined && record.type !== type) return false;
  return value === undefined || record.value === value;
}

/** `a.b.example.test` → itself, `b.example.test`, `example.test`, `test`. */
function ancestorsOf(name: string): string[] {
  const labels = name.split(".");
  return labels.map((_, index) => labels.slice(index).join("."));
}
