import { loadMailauthParts } from "../deliverability/mailauth-parts.js";

/**
 * Imported first by any test module that also loads mailauth itself (its signers, `authenticate`):
 * Mailnest's replacements (the cached key parse, the faster tag parser, the line scan) are installed
 * on mailauth's modules when they first load, and the modules that bind them at load then take them.
 * `mailauth-parts.ts` loads lazily, so importing it is not enough: if the test's own `import "mailauth"`
 * came first, its verifier would run upstream's functions and the tests would not check the server's.
 * ES modules evaluate their imports in order, so this module's body runs before the next import.
 */
loadMailauthParts();
