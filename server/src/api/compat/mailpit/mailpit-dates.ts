/**
 * Dates as Mailpit's search (`after:`, `before:`) and its `before` parameter take them, through Go's
 * `dateparse`: the forms tests write. A date without an offset is read in the `tz` parameter's
 * zone (IANA name) when it names one, else in the server's local zone, as Mailpit does.
 */

const WALL_TIME =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Milliseconds since the epoch, or null when the text is no date Mailpit would read either. */
export function parseMailpitDate(text: string, timeZone?: string): number | null {
  const trimmed = text.trim();
  const match = WALL_TIME.exec(trimmed);
  if (match === null) {
    // RFC 1123 / 2822 and other forms JavaScript reads ("Mon, 02 Jan 2006 15:04:05 -0700", "Jan 2 2006").
    const parsed = /\d/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
    return Number.isNaN(parsed) ? null : parsed;
  }
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "0", offset] = match;
  const wall = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Math.trunc(Number(`0.${fraction}`) * 1000),
  );
  if (Number.isNaN(wall)) return null;
  if (offset !== undefined) return wall - offsetMinutes(offset) * 60_000;
  return fromWallTime(wall, timeZone);
}

function offsetMinutes(offset: string): number {
  if (offset.toUpperCase() === "Z") return 0;
  const digits = offset.replace(":", "");
  const sign = digits.startsWith("-") ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

/** The instant a wall-clock time (given as if it were UTC) names in a zone; the local zone for none or an unknown one. */
function fromWallTime(wall: number, timeZone: string | undefined): number {
  const zone = timeZone ? knownZone(timeZone) : null;
  if (zone === null) {
    const d = new Date(wall);
    return new Date(
      d.getUTCFullYear(),
      d.getUTCMonth(),
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ).getTime();
  }
  // The zone's offset at the guess, then again at the result: right on both sides of a DST change.
  const first = wall - zoneOffset(wall, zone);
  return wall - zoneOffset(first, zone);
}

function knownZone(timeZone: string): Intl.DateTimeFormat | null {
  try {
    return new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    return null; // Mailpit ignores an invalid `tz` and reads the date in its local zone.
  }
}

/** How far ahead of UTC the zone's clocks are at `instant`, in ms. */
function zoneOffset(instant: number, zone: Intl.DateTimeFormat): number {
  const parts = Object.fromEntries(zone.formatToParts(instant).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - (instant - (instant % 1000));
}
