// Bundled by packaging.test.mjs with esbuild for the browser: the installed core must need nothing of Node.
export { Mailnest } from "@mailnest/client";
