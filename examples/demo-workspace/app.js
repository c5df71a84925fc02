// A tiny service to debug with mirrord: it prints the environment it runs with and
// writes it to out/env.json, so you can see what the target pod's environment adds.
const fs = require('node:fs');
const path = require('node:path');

const interesting = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(PATH|HOME|PWD|SHELL|TERM|USER|LANG|SHLVL|_)$/.test(k) && !k.startsWith('VSCODE_') && !k.startsWith('NODE_OPTIONS')),
);
const out = process.env.DEMO_OUT_FILE || path.join(__dirname, 'out', 'env.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(interesting, null, 2));

console.log(`GREETING from the target: ${process.env.GREETING ?? '(not set: run with mirrord on a greeter pod)'}`);
console.log(`mirrord agent: ${process.env.MIRRORD_AGENT_CONNECT_INFO ?? '(none)'}`);
console.log(`environment written to ${out}`);
