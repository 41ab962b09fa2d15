import { MAX_ADDRESS_LENGTH, normalizeAddress } from "@mailnest/protocol";
import { receivedValue } from "../received-value.js";

/**
 * Field checks shared by the rule parsers (fault rules, report rules). Each takes the error to
 * throw, so every parser keeps its own error type while the wording stays one.
 */
export type FieldError = (parameter: string, message: string) => Error;

/** `Invalid "<parameter>": expected <expected>, got <what came, clipped>`. */
export function invalidMessage(parameter: string, expected: string, received: unknown): string {
  return `Invalid "${parameter}": expected ${expected}, got ${receivedValue(received)}`;
}

export function ruleFields(error: FieldError) {
  const fail = (parameter: string, expected: string, received: unknown) =>
    error(parameter, invalidMessage(parameter, expected, received));
  return {
    fail,
    /** A normalized email address (the inbox key). */
    mailbox(name: string, value: unknown): string {
      const address = typeof value === "string" ? normalizeAddress(value) : "";
      const at = address.lastIndexOf("@");
      if (
        address.length > MAX_ADDRESS_LENGTH ||
        at < 1 ||
        at === address.length - 1 ||
        /[\s<>]/.test(address)
      ) {
        throw fail(name, "an email address such as user@mailnest.test", value);
      }
      return address;
    },
    probability(value: unknown): number {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
        throw fail("probability", "a number from 0 to 1", value);
      }
      return value;
    },
    whole(name: string, value: unknown, min: number, max: number): number {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
        throw fail(name, `a whole number from ${min} to ${max}`, value);
      }
      return value;
    },
    oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
      if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
        throw fail(name, `one of ${allowed.join(", ")}`, value);
      }
      return value as T;
    },
    /** Fields of a JSON object body, each one of `known`. */
    body(value: unknown, known: readonly string[], example: string): Record<string, unknown> {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw fail("body", `a JSON object such as ${example}`, value);
      }
      const fields = value as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        if (!known.includes(key)) throw fail(key, `no such field (known: ${known.join(", ")})`, fields[key]);
      }
      return fields;
    },
  };
}
