import type { DnsZone } from "./dns-zone.js";

/**
 * How the API changes the zone verification reads. Every instance keeps its zone in memory, so a
 * lookup never waits; where several instances share one sandbox (PostgreSQL, docs/scaling.md,
 * "DNS"), a change is made to the shared zone and then replaces each instance's copy.
 */
export interface ZoneEditor {
  /**
   * Runs `change` on the zone: this process's own, or a copy of the shared one read under its lock,
   * which becomes every instance's once the change is stored. `change` throws to refuse (a record
   * that is not valid, a full zone); the error comes back as thrown and nothing changes.
   */
  edit<T>(change: (zone: DnsZone) => T): Promise<T>;
  close(): Promise<void>;
}

/** The embedded sandbox's editor: changes apply to `zone` itself, at once. */
export function localZoneEditor(zone: DnsZone): ZoneEditor {
  return {
    edit: async (change) => change(zone),
    close: async () => {},
  };
}
