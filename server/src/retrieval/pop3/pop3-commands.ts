import { decodeSaslPlain } from "../sasl-plain.js";
import type { Pop3Handler as Handler, Pop3Context } from "./pop3-context.js";

/** RFC 1939 `msg`: a message number that exists and is not marked deleted. */
async function message(session: Pop3Context, arg: string | undefined) {
  const number = /^[1-9]\d{0,9}$/.test(arg ?? "") ? Number(arg) : null;
  if (number === null) {
    await session.reply("-ERR Expected a message number");
    return null;
  }
  const maildrop = session.maildrop!;
  if (maildrop.isDeleted(number)) {
    await session.reply(`-ERR Message ${number} is already deleted`);
    return null;
  }
  const summary = maildrop.get(number);
  if (summary === null) {
    await session.reply(`-ERR No message ${number}`);
    return null;
  }
  return { number, summary };
}

/** The bytes of a message, or null (answered) when it was deleted elsewhere since login. */
async function bytesOf(session: Pop3Context, id: string) {
  const parsed = await session.deps.model.content.parsed(id);
  if (parsed === null) await session.reply("-ERR That message was deleted meanwhile");
  return parsed;
}

async function expectArgs(session: Pop3Context, args: string[], min: number, max: number): Promise<boolean> {
  if (args.length >= min && args.length <= max) return true;
  await session.reply(`-ERR Wrong number of arguments`);
  return false;
}

/** RFC 2449 section 5. */
const capa: Handler = async (session) => {
  const lines = ["+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
  if (session.state === "authorization") {
    if (!session.loginDisabled) lines.push("USER", "SASL PLAIN");
    if (session.stlsOffered) lines.push("STLS");
  }
  lines.push("IMPLEMENTATION Mailnest", ".");
  await session.connection.write(`${lines.join("\r\n")}\r\n`);
};

const quit: Handler = async (session) => {
  if (session.state === "transaction") {
    // The UPDATE state (RFC 1939 section 6): the marked messages are deleted from the store,
    // and so from every inbox, folder and session that lists them.
    let deleted = 0;
    for (const id of session.maildrop!.marked()) {
      if (await session.deps.model.store.deleteMessage(id)) deleted += 1;
    }
    await session.reply(`+OK Mailnest POP3 signing off (${deleted} messages deleted)`);
  } else {
    await session.reply("+OK Mailnest POP3 signing off");
  }
  session.close();
};

const noop: Handler = async (session, args) => {
  if (await expectArgs(session, args, 0, 0)) await session.reply("+OK");
};

const stls: Handler = async (session, args) => {
  if (!(await expectArgs(session, args, 0, 0))) return;
  if (!session.stlsOffered) {
    await session.reply(
      session.connection.secure ? "-ERR The connection is already TLS" : "-ERR STLS is not offered",
    );
    return;
  }
  await session.startTls();
};

const user: Handler = async (session, args) => {
  if (session.loginDisabled) {
    await session.reply("-ERR [AUTH] Plain-text login refused: use STLS first");
    return;
  }
  if (args.length === 0 || args.join(" ").trim() === "") {
    await session.reply("-ERR Expected a user name");
    return;
  }
  session.pendingUser = args.join(" ");
  await session.reply("+OK Now PASS");
};

const pass: Handler = async (session, args) => {
  const name = session.pendingUser;
  session.pendingUser = null;
  if (name === null) {
    await session.reply("-ERR USER first");
    return;
  }
  if (session.loginDisabled) {
    await session.reply("-ERR [AUTH] Plain-text login refused: use STLS first");
    return;
  }
  // RFC 1939 section 7: the password is the rest of the line, spaces included.
  await session.logIn(name, args.join(" "));
};

/** RFC 5034 with PLAIN only; the initial response may come with the command. */
const auth: Handler = async (session, args) => {
  if (args.length === 0) {
    await session.connection.write("+OK\r\nPLAIN\r\n.\r\n");
    return;
  }
  if (args[0]!.toUpperCase() !== "PLAIN") {
    await session.reply("-ERR Unsupported mechanism; use PLAIN");
    return;
  }
  if (session.loginDisabled) {
    await session.reply("-ERR [AUTH] Plain-text login refused: use STLS first");
    return;
  }
  let response = args[1];
  if (response === undefined) {
    await session.reply("+ ");
    const line = await session.nextLine();
    if (line === null) return;
    response = line.trim();
  }
  if (response === "*") {
    await session.reply("-ERR AUTH cancelled");
    return;
  }
  const credentials = decodeInitial(response);
  if (credentials === null) {
    await session.reply("-ERR Invalid SASL PLAIN response (base64 of authzid NUL user NUL password)");
    return;
  }
  await session.logIn(credentials.user, credentials.password);
};

function decodeInitial(response: string) {
  // RFC 5034 section 4: "=" stands for an empty initial response.
  return response === "=" ? null : decodeSaslPlain(response);
}

const stat: Handler = async (session, args) => {
  if (!(await expectArgs(session, args, 0, 0))) return;
  const listed = session.maildrop!.listed();
  await session.reply(`+OK ${listed.length} ${listed.reduce((sum, [, summary]) => sum + summary.size, 0)}`);
};

type Format = (session: Pop3Context, number: number, summary: { size: number; sequence: number }) => string;

function listing(format: Format): Handler {
  return async (session, args) => {
    if (!(await expectArgs(session, args, 0, 1))) return;
    if (args.length === 1) {
      const found = await message(session, args[0]);
      if (found) await session.reply(`+OK ${format(session, found.number, found.summary)}`);
      return;
    }
    const lines = session.maildrop!.listed().map(([number, summary]) => format(session, number, summary));
    await session.connection.write(`${["+OK", ...lines, "."].join("\r\n")}\r\n`);
  };
}

/** Sizes are of the stored bytes, which RETR sends unchanged (dot-stuffing aside). */
const list = listing((_session, number, summary) => `${number} ${summary.size}`);

/**
 * UIDL: `<uidvalidity>.<sequence>`, stable across sessions and restarts, and new for a new data
 * directory (where sequences start again at 1).
 */
const uidl = listing(
  (session, number, summary) => `${number} ${session.deps.model.uidValidity}.${summary.sequence}`,
);

/** RFC 1939 section 7 (RETR): the exact stored bytes; the message becomes read (\Seen everywhere). */
const retr: Handler = async (session, args) => {
  if (!(await expectArgs(session, args, 1, 1))) return;
  const found = await message(session, args[0]);
  if (!found) return;
  const parsed = await bytesOf(session, found.summary.id);
  if (!parsed) return;
  await session.multiline(`+OK ${parsed.raw.length} octets`, parsed.raw);
  if (!found.summary.read) await session.deps.model.store.setRead(found.summary.id, true);
};

/** RFC 1939 section 7 (TOP): the header, the empty line, and the first `n` lines of the body. */
const top: Handler = async (session, args) => {
  if (!(await expectArgs(session, args, 2, 2))) return;
  const found = await message(session, args[0]);
  if (!found) return;
  if (!/^\d{1,10}$/.test(args[1]!)) {
    await session.reply("-ERR Expected a number of lines");
    return;
  }
  const parsed = await bytesOf(session, found.summary.id);
  if (!parsed) return;
  const { raw, root } = parsed;
  let end = root.header.bodyStart;
  for (let lines = Number(args[1]); lines > 0 && end < raw.length; lines--) {
    const newline = raw.indexOf(0x0a, end);
    end = newline === -1 ? raw.length : newline + 1;
  }
  await session.multiline("+OK", raw.subarray(0, end));
};

const dele: Handler = async (session, args) => {
  if (!(await expectArgs(session, args, 1, 1))) return;
  const found = await message(session, args[0]);
  if (!found) return;
  session.maildrop!.markDeleted(found.number);
  await session.reply(`+OK Message ${found.number} marked deleted (deleted at QUIT)`);
};

const rset: Handler = async (session, args) => {
  if (!(await expectArgs(session, args, 0, 0))) return;
  session.maildrop!.reset();
  await session.reply(`+OK ${session.maildrop!.listed().length} messages`);
};

/** The commands of each state (RFC 1939 sections 4-6). */
export const HANDLERS: Record<"authorization" | "transaction", ReadonlyMap<string, Handler>> = {
  authorization: new Map([
    ["CAPA", capa],
    ["QUIT", quit],
    ["NOOP", noop],
    ["STLS", stls],
    ["USER", user],
    ["PASS", pass],
    ["AUTH", auth],
  ]),
  transaction: new Map([
    ["CAPA", capa],
    ["QUIT", quit],
    ["NOOP", noop],
    ["STAT", stat],
    ["LIST", list],
    ["UIDL", uidl],
    ["RETR", retr],
    ["TOP", top],
    ["DELE", dele],
    ["RSET", rset],
  ]),
};
