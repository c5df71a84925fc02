// A small HTTP service to debug with mirrord. At start it prints the environment it got
// from the target (and writes it to out/env.json); then it listens on $PORT, the port the
// target's container declares, and prints every request it receives: with mirrord, the
// requests the target pod gets in the cluster arrive here too.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const NOISE = /^(PATH|HOME|PWD|OLDPWD|SHELL|TERM|USER|LOGNAME|LANG|LC_.*|SHLVL|_|HOSTNAME|XDG_.*|DBUS_.*|COLORTERM|TERM_PROGRAM.*)$/;
const interesting = Object.fromEntries(
  Object.entries(process.env)
    .filter(([k]) => !NOISE.test(k) && !k.startsWith('VSCODE_') && !k.startsWith('NODE_OPTIONS') && !k.startsWith('ELECTRON_'))
    .sort(([a], [b]) => a.localeCompare(b)),
);
const out = process.env.DEMO_OUT_FILE || path.join(__dirname, 'out', 'env.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(interesting, null, 2));

/** The parent process's environment (Linux), to show only what this launch added. */
function parentEnv() {
  try {
    const raw = fs.readFileSync(`/proc/${process.ppid}/environ`, 'utf8');
    return new Map(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } catch {
    return undefined;
  }
}

console.log(`GREETING from the target: ${process.env.GREETING ?? '(not set: run with mirrord on a greeter pod)'}`);
const parent = parentEnv();
const added = Object.entries(interesting).filter(([k, v]) => !parent || parent.get(k) !== v);
console.log(parent ? 'Variables this launch added (mirrord and the launch configuration):' : 'Environment:');
for (const [k, v] of added) {
  console.log(`  ${k}=${v.length > 80 ? `${v.slice(0, 77)}...` : v}`);
}
console.log(`the whole environment is in ${out}`);

const port = Number(process.env.PORT || 8080);
let received = 0;
const server = http.createServer((req, res) => {
  let size = 0;
  req.on('data', (chunk) => (size += chunk.length));
  req.on('end', () => {
    received += 1;
    const from = req.headers['user-agent'] ? ` (${req.headers['user-agent']})` : '';
    console.log(`request #${received}: ${req.method} ${req.url}${from}, ${size} bytes of body`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${process.env.GREETING ?? 'hello'} from a local debug session\n`);
  });
});
server.on('error', (err) => {
  console.error(`cannot listen on port ${port}: ${err.message}`);
  process.exitCode = 1;
});
server.listen(port, () => console.log(`listening on port ${port}; requests to the target are printed here`));

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
