#!/usr/bin/env node
// Thin launcher so the `mailnest` bin exists before the TypeScript build has run.
import "../dist/cli/main.js";
