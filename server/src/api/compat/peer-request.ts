import type { Request } from "express";
import { InvalidParameterError } from "../http/errors.js";

/** How the peers (Go's `net/url`, express) read requests, where that differs from Mailnest's own routes. */

/** The first value of a query parameter, as Go's `Query().Get` returns it; "" when absent. */
export function queryValue(req: Request, name: string): string {
  const value = req.query[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : "";
}

/** Go's `strconv.Atoi`: an optional sign and digits only, else null. */
export function goAtoi(text: string): number | null {
  return /^[+-]?\d+$/.test(text) ? Number(text) : null;
}

/**
 * A field of a JSON body decoded the way Go's `encoding/json` matches struct fields: the exact
 * name first, else any key equal to it ignoring case (`{"ids": […]}` fills `IDs`).
 */
export function bodyField(body: unknown, name: string): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  if (name in record) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** A list of strings from a body field; anything else counts as none, as Go leaves the slice empty. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * A JSON body decoded into a Go struct the way the peers' servers do: absent or `null` is the zero
 * value, a value of another type is a decoding error (Mailpit answers 400). Used where the zero value
 * means "every message": a malformed `IDs` must not delete or mark them all.
 */
export function goBody(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidParameterError("body", "Expected a JSON object");
  }
}

/** `[]string`: null or absent is none; anything but a list of strings is refused. */
export function goStringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.every((entry) => typeof entry === "string")) return value;
  throw new InvalidParameterError(field, `Expected ${field} to be a list of strings`);
}

/** `bool`: null or absent is false; anything but true or false is refused. */
export function goBool(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  throw new InvalidParameterError(field, `Expected ${field} to be true or false`);
}

/** A path parameter as one string ("" when absent). */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === "string" ? value : "";
}
