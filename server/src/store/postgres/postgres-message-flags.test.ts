import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { StorageFailedError } from "../errors.js";
import { connect, type Sql } from "./connect.js";
import { PostgresMessageFlags } from "./postgres-message-flags.js";

const opened: PostgresMessageFlags[] = [];
const pools: Sql[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((flags) => flags.close()));
  await Promise.all(pools.splice(0).map((sql) => sql.end()));
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

/** How long a notification may take to reach the other instance on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

/** Two instances' flags on one fresh database, and a pool to add and delete message rows with. */
async function twoInstances() {
  const database = await createDatabaseOn(testPostgresServerUrl());
  databases.push(database);
  const a = await PostgresMessageFlags.open(database.url);
  const b = await PostgresMessageFlags.open(database.url);
  opened.push(a, b);
  const sql = connect(database.url, { max: 2 });
  pools.push(sql);
  let sequence = 0;
  /** A message row (the flags reference it); only its id matters here. */
  const message = async (): Promise<string> => {
    sequence += 1;
    const id = `01jflags${String(sequence).padStart(18, "0")}`;
    await sql`
      INSERT INTO mailnest_messages (sequence, id, inboxes, received_time, size, sha256, summary, sidecar, raw)
      VALUES (${sequence}, ${id}, ${["a@mailnest.test"]}, 0, 1, ${"0".repeat(64)}, '{}', '{}', ${Buffer.from("x")})`;
    return id;
  };
  return { a, b, sql, message };
}

describe("IMAP flags shared through PostgreSQL", () => {
  it("a change on one instance is announced on the other, which reads the message's flags", async () => {
    const { a, b, message } = await twoInstances();
    const id = await message();
    const heard: (string | null)[] = [];
    b.subscribe((changed) => heard.push(changed));

    expect(await a.change(id, ["\\Flagged", "\\Answered"], [])).toEqual(["\\Answered", "\\Flagged"]);

    await expect.poll(() => heard, PROPAGATION).toContain(id);
    expect(await b.of(id)).toEqual(["\\Answered", "\\Flagged"]);
    expect(await b.change(id, [], ["\\Answered"])).toEqual(["\\Flagged"]);
    expect(await a.all()).toEqual(new Map([[id, ["\\Flagged"]]]));
  });

  it("flags set at once from two instances on one message are all kept", async () => {
    const { a, b, message } = await twoInstances();
    const ids = await Promise.all(Array.from({ length: 10 }, () => message()));

    await Promise.all(
      ids.flatMap((id) => [a.change(id, ["\\Flagged"], []), b.change(id, ["\\Answered", "\\Draft"], [])]),
    );

    const all = await a.all();
    for (const id of ids) expect(all.get(id)).toEqual(["\\Answered", "\\Flagged", "\\Draft"]);
  });

  it("a message with no flags left has no row, and a deleted message's flags go with it", async () => {
    const { a, sql, message } = await twoInstances();
    const [cleared, deleted] = [await message(), await message()];
    await a.change(cleared, ["\\Deleted"], []);
    await a.change(deleted, ["\\Draft"], []);

    expect(await a.change(cleared, [], ["\\Deleted"])).toEqual([]);
    await sql`DELETE FROM mailnest_messages WHERE id = ${deleted}`;

    expect(await sql`SELECT id FROM mailnest_message_flags`).toEqual([]);
    // Flagging a message that is gone changes nothing and says so.
    expect(await a.change(deleted, ["\\Flagged"], [])).toBeNull();
  });

  it("a change the database cannot take is a StorageFailedError", async () => {
    const { a, message } = await twoInstances();
    const id = await message();
    await a.close();

    const failed = await a.change(id, ["\\Flagged"], []).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(StorageFailedError);
    expect((failed as Error).message).toMatch(/changing the IMAP flags of message \S+ in PostgreSQL/);
  });
});
