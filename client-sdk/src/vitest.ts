/**
 * Vitest setup: `test: { setupFiles: ["@mailnest/client/vitest"] }` adds the Mailnest matchers to
 * Vitest's `expect`. The types come with any import of this module (the setup file counts when it
 * is in your tsconfig's `types` or imported once: `import "@mailnest/client/vitest";`).
 */
import { expect } from "vitest";
import { mailnestMatchers } from "./matchers/mailnest-matchers.js";
import type { MailnestMatchers } from "./matchers/matcher-types.js";

expect.extend(mailnestMatchers);

export type { MailnestMatchers };
export { mailnestMatchers };

declare module "vitest" {
  // biome-ignore lint/suspicious/noExplicitAny: must repeat Vitest's own declaration to merge with it.
  interface Matchers<T = any> extends MailnestMatchers<void> {}
}
