import type { DnsRecord } from "@mailnest/protocol";
import { JsonDocument } from "../rules/json-document.js";
import type { DnsZone } from "./dns-zone.js";
import type { ZoneEditor } from "./zone-editor.js";

/** `<dataDir>/dns-zone.json`: the zone as the API left it, so a restart finds the records again. */
export const SAVED_ZONE_FILE = "dns-zone.json";

interface SavedZoneDocument {
  version: 1;
  records: DnsRecord[];
}

function isSavedZone(value: unknown): value is SavedZoneDocument {
  const candidate = value as Partial<SavedZoneDocument> | null;
  return candidate?.version === 1 && Array.isArray(candidate.records);
}

/**
 * The embedded sandbox's zone, kept in its data directory like the fault rules: `open` reads the
 * records saved last (the caller puts them in the zone), and the editor saves the zone after each
 * change the API makes, before the change is answered. The zone file's records are not saved: the
 * file is read at every start, so a record taken out of it is gone at the next one (a saved copy
 * would stay beside its edited successor: two SPF records, say). A saved record the zone no longer
 * accepts is left out (`DnsZone.replace`), as with a hand-edited file.
 */
export class SavedZone {
  private constructor(
    readonly document: JsonDocument<SavedZoneDocument>,
    /** `recordKey` of each record the zone file gave at this start. */
    readonly fromFile: ReadonlySet<string>,
  ) {}

  static async open(
    dataDir: string,
    fromFile: ReadonlySet<string>,
  ): Promise<{ saved: readonly DnsRecord[]; kept: SavedZone }> {
    const { document, saved } = await JsonDocument.open<SavedZoneDocument>({
      dataDir,
      file: SAVED_ZONE_FILE,
      label: "the DNS records added through the API",
      empty: () => ({ version: 1, records: [] }),
      isValid: isSavedZone,
    });
    return { saved: saved.records, kept: new SavedZone(document, fromFile) };
  }

  save(zone: DnsZone): Promise<void> {
    const records = zone.list().filter((record) => !this.fromFile.has(recordKey(record)));
    return this.document.save({ version: 1, records });
  }

  /** Changes go to `zone` at once, and the zone to the file before the change resolves. */
  editor(zone: DnsZone): ZoneEditor {
    return {
      edit: async (change) => {
        const result = change(zone);
        await this.save(zone);
        return result;
      },
      close: () => this.document.flushed(),
    };
  }
}

/** What makes a record itself (its TTL aside), as the zone compares them. */
export function recordKey(record: Pick<DnsRecord, "name" | "type" | "value">): string {
  return `${record.name}\u0000${record.type}\u0000${record.value}`;
}
