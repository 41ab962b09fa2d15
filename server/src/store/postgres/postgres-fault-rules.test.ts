import { MAX_FAULT_LOG_ENTRIES } from "@mailnest/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { StorageFailedError } from "../errors.js";
import { PostgresFaultRules } from "./postgres-fault-rules.js";

const databases: TestDatabase[] = [];
afterAll(() => Promise.all(databases.splice(0).map((database) => database.drop())));

async function database(): Promise<TestDatabase> {
  const created = await createDatabaseOn(testPostgresServerUrl());
  databases.push(created);
  return created;
}

describe("PostgresFaultRules", () => {
  it("opens a fresh database (migrating it), and a call after the pool is gone fails as storage unavailable", async () => {
    const rules = await PostgresFaultRules.open((await database()).url, {
      maxLogEntries: MAX_FAULT_LOG_ENTRIES,
    });
    expect(rules.rules).toEqual([]);
    expect(await rules.log()).toEqual([]);
    await rules.close();
    const listing = rules.list();
    await expect(listing).rejects.toBeInstanceOf(StorageFailedError);
    await expect(listing).rejects.toMatchObject({ unavailable: true });
    await expect(listing).rejects.toThrow(/reading the fault rules in PostgreSQL/);
  });
});
