/**
 * Jest setup: `setupFilesAfterEnv: ["@mailnest/client/jest"]` adds the Mailnest matchers to
 * Jest's `expect`. For the types, also reference this module once in a file your tsconfig
 * includes (`import "@mailnest/client/jest";` or `"types": ["@mailnest/client/jest"]`); both the
 * global `expect` (@types/jest) and `expect` from `@jest/globals` are covered.
 */
import type {} from "expect";
import { mailnestMatchers } from "./matchers/mailnest-matchers.js";
import type { MailnestMatchers } from "./matchers/matcher-types.js";

type Extendable = { extend(matchers: Record<string, unknown>): void };

const jestExpect = (globalThis as { expect?: Partial<Extendable> }).expect;
if (typeof jestExpect?.extend !== "function") {
  throw new Error(
    "@mailnest/client/jest found no global `expect`: list it in Jest's `setupFilesAfterEnv` (not `setupFiles`, which runs before `expect` exists), " +
      "or call `expect.extend(mailnestMatchers)` yourself with `mailnestMatchers` from @mailnest/client/matchers.",
  );
}
jestExpect.extend(mailnestMatchers);

export type { MailnestMatchers };
export { mailnestMatchers };

declare module "expect" {
  interface Matchers<R extends void | Promise<void>, T = unknown> extends MailnestMatchers<R> {}
}

declare global {
  namespace jest {
    // biome-ignore lint/complexity/noBannedTypes: must repeat @types/jest's own declaration to merge with it.
    interface Matchers<R, T = {}> extends MailnestMatchers<R> {}
  }
}
