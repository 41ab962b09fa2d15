/**
 * The matchers on their own, for wiring them into an `expect` yourself:
 * `expect.extend(mailnestMatchers)`. The runner entry points (`/jest`, `/vitest`, `/playwright`)
 * do this for you and add the type declarations.
 */
export { mailnestMatchers } from "./matchers/mailnest-matchers.js";
export type { MailnestMatchers } from "./matchers/matcher-types.js";
