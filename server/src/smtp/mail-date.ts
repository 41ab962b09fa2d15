/**
 * The `Date` header as RFC 5322 §3.3 writes it, with the obsolete forms of §4.3 that mailers still
 * send, read to an instant. `Date.parse` did this before and guessed: `Version 1` became 1 January
 * 2001, 31 February rolled into March, and a date without a zone was read in the server's own time
 * zone, so one message had one `date` on a laptop and another in CI.
 *
 * Read: `[day-name,] day month year hh:mm[:ss] zone`, the parts in the other orders mailers use
 * (`Jun 2 2025`, asctime, date(1)'s output, RFC 850's `02-Jun-25`), two- and three-digit years
 * (§4.3: under 50 is 20xx, otherwise 19xx; three digits add 1900), comments (`(CEST)`) or a zone
 * name after the offset, `+02:00` and `GMT+0200`, and ISO 8601 with a zone (not RFC 5322, but some
 * applications send it).
 * Zones: `±hhmm`, the US names of §4.3; any other name (military letters, `CEST`) counts as
 * `-0000` (§4.3: "equivalent to -0000"), as does a missing zone, which §3.3 does not allow.
 * Anything else, or a day, time or offset out of range, is null: no date rather than a wrong one.
 */
export function parseMailDate(value: string): string | null {
  const iso = ISO_8601.exec(value.trim());
  if (iso) return fromIso(iso);
  const tokens = withoutComments(value)
    .replace(/,/g, " ")
    .split(/\s+/)
    // RFC 850 (`Monday, 02-Jun-25`, still sent by some HTTP-born code) writes the date with dashes.
    .flatMap((token) => (/^\d{1,2}-[a-z]{3,9}-\d{2,4}$/i.test(token) ? token.split("-") : [token]))
    .filter((token) => token !== "");
  if (
    tokens[0] !== undefined &&
    DAY_NAMES.has(tokens[0].toLowerCase().slice(0, 3)) &&
    /^[a-z]+\.?$/i.test(tokens[0])
  ) {
    tokens.shift();
  }
  // Each part is told by its shape, so the orders mailers use all read (`2 Jun 2025 10:00 +0200`,
  // `Jun 2 2025 …`, asctime's `Jun 2 10:00:00 2025`, date(1)'s `Jun 2 10:00:00 UTC 2025`).
  let month: number | null = null;
  let clock: RegExpExecArray | null = null;
  const numbers: string[] = [];
  const zones: string[] = [];
  for (const token of tokens) {
    const asMonth: number | null = month === null ? monthIndex(token) : null;
    const asClock: RegExpExecArray | null = clock === null ? CLOCK.exec(token) : null;
    if (asMonth !== null) month = asMonth;
    else if (asClock !== null) clock = asClock;
    else if (/^\d{1,4}$/.test(token) && numbers.length < 2) numbers.push(token);
    else zones.push(token);
  }
  if (month === null || clock === null || numbers.length !== 2 || zones.length > 2) return null;
  const [day, year] = numbers[0]!.length <= 2 ? [numbers[0]!, numbers[1]!] : [numbers[1]!, numbers[0]!];
  if (day.length > 2 || year.length < 2) return null;
  const offset = zoneOf(zones);
  if (offset === null) return null;
  const fullYear = widenYear(year);
  const [hour, minute, second] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
  const dayNumber = Number(day);
  if (
    fullYear < 1900 ||
    hour > 23 ||
    minute > 59 ||
    second > 60 ||
    dayNumber < 1 ||
    dayNumber > daysIn(fullYear, month)
  ) {
    return null;
  }
  // A leap second (:60) is the last instant of its minute.
  const utc = Date.UTC(fullYear, month, dayNumber, hour, minute, Math.min(second, 59)) - offset * 60_000;
  return Number.isFinite(utc) ? new Date(utc).toISOString() : null;
}

const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The zone from what is left of the date: an offset (`+0200`, `+02:00`, `GMT+0200`) wins over a
 * name beside it (`+0200 CEST`); a name alone is read by `zoneOffsetMinutes`; none is -0000.
 */
function zoneOf(zones: readonly string[]): number | null {
  if (zones.length === 0) return 0;
  const offsets = zones.map((zone) => /^(?:gmt|utc|ut)?([+-]\d{2}):?(\d{2})$/i.exec(zone));
  const numeric = offsets.find((match) => match !== null);
  if (offsets.filter((match) => match !== null).length > 1) return null;
  if (numeric) return zoneOffsetMinutes(`${numeric[1]}${numeric[2]}`);
  return zones.length === 1 ? zoneOffsetMinutes(zones[0]) : null;
}

const DAY_NAMES = new Set(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
/** RFC 5322 §4.3's zone names; any other alphabetic zone reads as -0000. */
const NAMED_ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  edt: -4 * 60,
  est: -5 * 60,
  cdt: -5 * 60,
  cst: -6 * 60,
  mdt: -6 * 60,
  mst: -7 * 60,
  pdt: -7 * 60,
  pst: -8 * 60,
};

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function fromIso(match: RegExpExecArray): string | null {
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = Number(match[6] ?? 0);
  const offset = match[8]!.toUpperCase() === "Z" ? 0 : zoneOffsetMinutes(match[8]!.replace(":", ""));
  if (offset === null || year < 1900 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month - 1)) {
    return null;
  }
  if (hour > 23 || minute > 59 || second > 59) return null;
  const millis = Math.round(Number(`0${match[7] ?? ""}`) * 1000);
  return new Date(
    Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000,
  ).toISOString();
}

/** Minutes east of UTC; null for an offset out of range (`+2500`, `+0075`) or a zone that is not one. */
function zoneOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined) return 0;
  const numeric = /^([+-])(\d{2})(\d{2})$/.exec(zone);
  if (numeric) {
    const [hours, minutes] = [Number(numeric[2]), Number(numeric[3])];
    if (hours > 23 || minutes > 59) return null;
    return (numeric[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  if (!/^[a-z]{1,5}$/i.test(zone)) return null;
  return NAMED_ZONES[zone.toLowerCase()] ?? 0;
}

function monthIndex(token: string): number | null {
  const index = MONTHS.indexOf(token.toLowerCase().slice(0, 3));
  return index !== -1 && /^[a-z]+\.?$/i.test(token) ? index : null;
}

function widenYear(year: string): number {
  const value = Number(year);
  if (year.length === 2) return value < 50 ? 2000 + value : 1900 + value;
  if (year.length === 3) return 1900 + value;
  return value;
}

function daysIn(year: number, monthIndexZeroBased: number): number {
  return new Date(Date.UTC(year, monthIndexZeroBased + 1, 0)).getUTCDate();
}

/** The text without RFC 5322 comments (nested parentheses, backslash escapes inside them). */
function withoutComments(value: string): string {
  let depth = 0;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (depth > 0 && char === "\\") {
      i++;
    } else if (char === "(") {
      depth++;
    } else if (char === ")" && depth > 0) {
      depth--;
      out += " ";
    } else if (depth === 0) {
      out += char;
    }
  }
  return out;
}
