import { capability, id, logout, noop } from "./any-state.js";
import { authenticateCommand, login, starttls } from "./auth.js";
import type { ImapCommand } from "./command.js";
import { close, expunge, unselect } from "./expunge.js";
import { fetch, uidFetch } from "./fetch.js";
import { check, examine, list, lsub, namespace, refused, select, status, subscribe } from "./folders.js";
import { idle } from "./idle.js";
import { search, uidSearch } from "./search.js";
import { store, uidStore } from "./store-flags.js";

/** Every command the server knows, by name (UID commands as "UID FETCH"…). */
export const COMMANDS: ReadonlyMap<string, ImapCommand> = new Map<string, ImapCommand>([
  ["CAPABILITY", capability],
  ["NOOP", noop],
  ["LOGOUT", logout],
  ["ID", id],
  ["STARTTLS", starttls],
  ["LOGIN", login],
  ["AUTHENTICATE", authenticateCommand],
  ["SELECT", select],
  ["EXAMINE", examine],
  ["NAMESPACE", namespace],
  ["LIST", list],
  ["LSUB", lsub],
  ["STATUS", status],
  ["SUBSCRIBE", subscribe],
  ["UNSUBSCRIBE", subscribe],
  ["CREATE", refused("CREATE")],
  ["DELETE", refused("DELETE")],
  ["RENAME", refused("RENAME")],
  ["APPEND", refused("APPEND")],
  ["COPY", refused("COPY")],
  ["UID COPY", refused("UID COPY")],
  ["IDLE", idle],
  ["CHECK", check],
  ["CLOSE", close],
  ["UNSELECT", unselect],
  ["EXPUNGE", expunge],
  ["SEARCH", search],
  ["UID SEARCH", uidSearch],
  ["FETCH", fetch],
  ["UID FETCH", uidFetch],
  ["STORE", store],
  ["UID STORE", uidStore],
]);
