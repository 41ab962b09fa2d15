#!/usr/bin/env node
// Thin launcher so the `mailnest` bin exists before the build has run. It starts the bundled CLI
// (scripts/bundle.mjs), the same code as dist/cli/main.js in far fewer files.
import "../dist/bundle/main.js";
