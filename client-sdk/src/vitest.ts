/**
 * Vitest setup: `test: { setupFiles: ["@mailnest/client/vitest"] }` adds the Mailnest matchers to
 * Vitest's `expect`. The types come with any import of this module (the setup file counts when it
 * is imported once: `import "@mailnest/client/vitest";`; a tsconfig `types` entry resolves as
 * CommonJS, which ESM test files under node16/nodenext do not see).
 */
import { expect } from "vitest";
import { mailnestMatchers } from "./matchers/mailnest-matchers.js";
import type { MailnestMatchers } from "./matchers/matcher-types.js";

expect.extend(mailnestMatchers);

export type { MailnestMatchers };
export { mailnestMatchers };

declare module "vitest" {
  // No type parameters: Vitest 4 declares `Matchers<T = any>`, Vitest 5 `Matchers<R extends void |
  // Promise<void> = void | Promise<void>, T = unknown>`, and a merging declaration must repeat them
  // exactly (TS2428) unless it declares none, which TypeScript allows when every one has a default.
  interface Matchers extends MailnestMatchers<void> {}
}
