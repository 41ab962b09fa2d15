import { Module } from "node:module";

/**
 * What mailauth 4.13's `lib/tools.js` asks of joi, and nothing more. That module loads joi at its
 * top for one schema, `Joi.string().base64({ paddingRequired: false })`, which checks that a key
 * record's `p=` is base64 before the key is parsed. joi is 68 files: about 60 ms to load here and
 * 1.8 MB of heap, paid by the event loop's verifier and by every verification thread. The check
 * itself is one regular expression, joi 18's own for these options (lib/types/string.js,
 * `base64Regex[false][false]`), kept to the character; the test beside this module compares both.
 */
const BASE64_PADDING_OPTIONAL =
  /^(?:[A-Za-z0-9+/]{2}[A-Za-z0-9+/]{2})*(?:[A-Za-z0-9+/]{2}(==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** What joi's `validate` returns, as far as mailauth reads it (`error` set or not). */
export interface Base64Validation {
  value: unknown;
  error?: Error;
}

/** Stands in for joi where mailauth's tools.js binds it; anything else it might ask for throws. */
export const base64OnlyJoi = {
  string() {
    return {
      base64(options: { paddingRequired?: boolean; urlSafe?: boolean } = {}) {
        if (options.paddingRequired !== false || options.urlSafe === true) {
          throw new Error(
            `mailauth asked joi for base64 with options ${JSON.stringify(options)}; Mailnest's stand-in knows only { paddingRequired: false } (mailauth-base64-check.ts)`,
          );
        }
        return { validate: validateBase64 };
      },
    };
  },
};

/**
 * joi's answers for a string schema with that rule: no value passes (joi's schemas are optional
 * unless marked required); not a string, empty, or not base64 fails.
 */
export function validateBase64(value: unknown): Base64Validation {
  if (value === undefined) return { value };
  if (typeof value !== "string") return { value, error: new Error('"value" must be a string') };
  if (value === "") return { value, error: new Error('"value" is not allowed to be empty') };
  if (!BASE64_PADDING_OPTIONAL.test(value)) {
    return { value, error: new Error('"value" must be a valid base64 string') };
  }
  return { value };
}

/**
 * Requires `id` (mailauth's tools.js) with `require("joi")` answered by `base64OnlyJoi` while it
 * loads. Whatever the module cache held for joi before is put back afterwards, so a later
 * `require("joi")` (mailauth's entry point, in the tests' signers) still gets the real one. When
 * `id` was loaded already, nothing changes: it keeps the joi it was loaded with.
 */
export function requireWithoutJoi<T>(require: NodeJS.Require, id: string): T {
  const modulePath = require.resolve(id);
  if (require.cache[modulePath] !== undefined) return require(modulePath) as T;
  const joiPath = require.resolve("joi", { paths: [modulePath] });
  const before = require.cache[joiPath];
  const standIn = new Module(joiPath);
  standIn.filename = joiPath;
  standIn.exports = base64OnlyJoi;
  standIn.loaded = true;
  require.cache[joiPath] = standIn;
  try {
    return require(modulePath) as T;
  } finally {
    if (before === undefined) delete require.cache[joiPath];
    else require.cache[joiPath] = before;
  }
}
