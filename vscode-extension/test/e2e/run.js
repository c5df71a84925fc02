// Drives the workbench (code-server) with Chromium: the target picker; a Node.js debug
// session through the built-in engine (the target's process env, including variables only
// its image sets, and mirrored requests printed in the Debug Console); a session through
// the mirrord CLI engine (a fake CLI: its `environment` in, its `env_to_unset` out); and a
// config diagnostic in the Problems panel.
// Env: CS_URL, SHOTS (screenshot dir), WORKSPACE (the workspace folder on disk),
// LOGS (the workbench's log folder, where the extension's output channel is written),
// FAKE_MIRRORD (the fake mirrord CLI), IMAGE_ENV (NAME=VALUE of a variable only the
// target's image sets), INHERITED_ENV (NAME=VALUE the workbench itself runs with),
// KUBECONFIG_FILE (the simulated cluster, for kubectl).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const { CS_URL, SHOTS, WORKSPACE, LOGS, FAKE_MIRRORD, IMAGE_ENV, INHERITED_ENV, KUBECONFIG_FILE } = process.env;
const splitVar = (nv) => [nv.slice(0, nv.indexOf('=')), nv.slice(nv.indexOf('=') + 1)];
const [IMAGE_NAME, IMAGE_VALUE] = splitVar(IMAGE_ENV || 'GREETER_BUILD=');
const [INHERITED_NAME, INHERITED_VALUE] = splitVar(INHERITED_ENV || 'E2E_INHERITED=from-the-workbench');
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

/** The first file called `name` under `dir`, or undefined. */
function findFile(dir, name) {
  if (!dir || !fs.existsSync(dir)) return undefined;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    }
  }
  return undefined;
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrord-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const input = page.locator('.quick-input-widget input');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const row = (text) => rows.filter({ hasText: text }).first();
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const command = async (title, rowText = title) => {
    await page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(`>${title}`);
    await row(rowText).waitFor({ timeout: 20000 });
    await page.keyboard.press('Enter');
  };
  const waitForFile = async (file, ms) => {
    const deadline = Date.now() + ms;
    while (!fs.existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`${file} was not written`);
      await page.waitForTimeout(500);
    }
    await page.waitForTimeout(500);
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  };
  const stopDebugging = async () => {
    for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
    // The debug toolbar's Stop button (the palette would offer "Debug: Start" lookalikes first).
    await page.locator('.debug-toolbar .codicon-debug-stop').first().click({ timeout: 10000 });
    await page.locator('.statusbar-item', { hasText: 'mirrord: on' }).first().waitFor({ timeout: 30000 });
  };
  // The Debug Console renders only the rows in view: its filter (terms separated by commas
  // match any) keeps the lines a step looks for in view, also for the screenshot.
  const replFilter = page.getByPlaceholder('Filter (e.g. text, !exclude');
  const replShows = async (terms, lines, ms) => {
    await replFilter.fill(terms.join(', '));
    for (const line of lines) {
      await page.locator('.repl').filter({ hasText: line }).first().waitFor({ timeout: ms });
    }
  };
  const settingsFile = path.join(WORKSPACE, '.vscode', 'settings.json');
  const updateSettings = (changes) => {
    const current = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(settingsFile, JSON.stringify({ ...current, ...changes }, null, 2));
  };
  const results = [];
  let broken = false;
  const step = async (name, fn, { independent = false } = {}) => {
    if (broken && !independent) {
      log(`SKIP ${name}`);
      results.push([name, false]);
      return;
    }
    try {
      await fn();
      log(`PASS ${name}`);
      results.push([name, true]);
    } catch (err) {
      log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
      results.push([name, false]);
      broken = true;
      await shot(`99-failure-${results.length}`).catch(() => undefined);
      for (let i = 0; i < 3; i++) await page.keyboard.press('Escape').catch(() => undefined);
    }
  };

  try {
    await step('workbench loads with the extension', async () => {
      await page.goto(CS_URL);
      await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 90000 });
      await page.locator('.statusbar-item', { hasText: 'mirrord' }).first().waitFor({ timeout: 30000 });
      await shot('00-workbench');
    });

    await step('picker lists pods, deployments and targetless', async () => {
      await command('mirrord: Select Target');
      await row('pod/greeter').waitFor({ timeout: 60000 });
      const texts = await rows.allInnerTexts();
      log(`picker rows: ${JSON.stringify(texts.map((t) => t.replace(/\s+/g, ' ')))}`);
      const all = texts.join('\n');
      for (const want of ['deployment/greeter', 'pod/greeter', 'No Target ("targetless")', 'default']) {
        if (!all.includes(want)) throw new Error(`picker has no row with ${want}`);
      }
      await shot('01-picker');
      await input.fill('pod/greeter');
      await page.keyboard.press('Enter');
      await page.locator('.notifications-toasts', { hasText: 'mirrord: selected pod/greeter' }).waitFor({ timeout: 20000 });
      await shot('02-picked');
    });

    let outFile;
    await step('built-in engine: the target process env and mirrored requests in the Debug Console', async () => {
      outFile = path.join(WORKSPACE, 'out', 'env.json');
      // The `debug ` quick access starts a launch configuration by name.
      await page.keyboard.press('F1');
      await input.fill('debug Run app');
      await row('Run app').waitFor({ timeout: 20000 });
      await page.keyboard.press('Enter');
      // The picker opens for the launch, with the last choice first under Recent.
      const picker = page.locator('.quick-input-widget', { hasText: 'target for "Run app"' });
      await picker.waitFor({ timeout: 60000 });
      await picker.locator('.quick-input-list', { hasText: 'Recent' }).waitFor({ timeout: 60000 });
      await row('pod/greeter').waitFor({ timeout: 60000 });
      await shot('03-launch-picker');
      await input.fill('pod/greeter');
      await page.keyboard.press('Enter');
      const env = await waitForFile(outFile, 120000);
      log(`debuggee env (from the target): ${JSON.stringify(Object.keys(env).filter((k) => k.startsWith('MIRRORD') || k === 'GREETING' || k === IMAGE_NAME))}`);
      if (env.GREETING !== 'hello') throw new Error(`GREETING is ${JSON.stringify(env.GREETING)}, expected the greeter pod's "hello"`);
      if (env[IMAGE_NAME] !== IMAGE_VALUE) {
        throw new Error(`${IMAGE_NAME} is ${JSON.stringify(env[IMAGE_NAME])}, expected ${JSON.stringify(IMAGE_VALUE)} from the container image (the process env)`);
      }
      // The control for the CLI step below: the debuggee normally inherits the workbench's env.
      if (env[INHERITED_NAME] !== INHERITED_VALUE) throw new Error(`${INHERITED_NAME} was not inherited: ${JSON.stringify(env[INHERITED_NAME])}`);
      try {
        await page.locator('.statusbar-item', { hasText: '(built-in)' }).first().waitFor({ timeout: 20000 });
        // The Debug Console: the image-only variable, and requests mirrored from the cluster.
        await replShows([IMAGE_NAME, 'GREETING from', 'request #'], [`${IMAGE_NAME}=${IMAGE_VALUE}`, /request #\d+: [A-Z]+ \//], 60000);
        await page.waitForTimeout(7000); // a few more requests for the picture
        const lines = (await page.locator('.repl').innerText()).split('\n').filter((l) => /request #|GREETING/.test(l));
        log(`debug console: ${JSON.stringify(lines.slice(0, 8))}`);
        await shot('04-builtin-session');
        await replFilter.fill('');
        // The agent pod goes away: the server ends the session, the window says why.
        execFileSync('kubectl', ['--kubeconfig', KUBECONFIG_FILE, '-n', 'default', 'delete', 'pods', '-l', 'app=mirrord', '--wait=false'], { stdio: 'pipe' });
        const ended = page.locator('.notifications-toasts', { hasText: /mirrord: the session on .* ended \(/ }).first();
        await ended.waitFor({ timeout: 20000 });
        await page.locator('.statusbar-item', { hasText: 'ended' }).first().waitFor({ timeout: 10000 });
        log(`session ended: ${(await ended.innerText()).replace(/\s+/g, ' ').slice(0, 200)}`);
        await shot('05-session-ended');
      } finally {
        // Ending the debug session stops the mirrord session.
        await stopDebugging();
      }
    });

    await step('switching namespace in the launch picker; Esc cancels the launch', async () => {
      fs.rmSync(outFile, { force: true });
      await page.keyboard.press('F1');
      await input.fill('debug Run app');
      await row('Run app').waitFor({ timeout: 20000 });
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: 'target for "Run app"' }).waitFor({ timeout: 60000 });
      await row('switch namespace').waitFor({ timeout: 60000 });
      await input.fill('shop');
      await row('switch namespace').waitFor({ timeout: 10000 });
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: '— shop' }).waitFor({ timeout: 30000 });
      await row('deployment/frontend').waitFor({ timeout: 60000 });
      await shot('06-namespace-shop');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(3000);
      if (fs.existsSync(outFile)) throw new Error('the program ran although the picker was cancelled');
      if (await page.locator('.quick-input-widget').isVisible()) throw new Error('the picker is still open');
    });

    await step('a launch whose debugger cannot start stops its agent', async () => {
      for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
      const launchFile = path.join(WORKSPACE, '.vscode', 'launch.json');
      const launch = JSON.parse(fs.readFileSync(launchFile, 'utf8'));
      // The launch names its target (no picker); the debugger then fails to start node.
      launch.configurations.push({
        type: 'node', request: 'launch', name: 'Run app with a missing runtime', program: '${workspaceFolder}/app.js',
        runtimeExecutable: '/nonexistent/node', console: 'internalConsole', env: { MIRRORD_IMPERSONATED_TARGET: 'deployment/greeter' },
      });
      fs.writeFileSync(launchFile, JSON.stringify(launch, null, 2));
      await page.waitForTimeout(1500);
      await page.keyboard.press('F1');
      await input.fill('debug Run app with a missing runtime');
      await row('missing runtime').waitFor({ timeout: 20000 });
      await page.keyboard.press('Enter');
      // VS Code reports the failed start itself; the extension stops the agent it started.
      await page.locator('.monaco-dialog-box, .notifications-toasts', { hasText: '/nonexistent/node' }).first().waitFor({ timeout: 60000 });
      const logFile = () => findFile(LOGS, 'mirrord.log');
      const deadline = Date.now() + 30000;
      let text = '';
      while (!/did not start[\s\S]*stopped \(agent removed\)/.test(text)) {
        if (Date.now() > deadline) throw new Error(`the agent was not stopped; extension log ends with:\n${text.slice(-1500)}`);
        await page.waitForTimeout(500);
        const f = logFile();
        text = f ? fs.readFileSync(f, 'utf8') : '';
      }
      log(`extension log: ${text.split('\n').filter((l) => /did not start|stopped \(agent/.test(l)).map((l) => l.replace(/^\S+ \S+ /, '')).join(' | ')}`);
      await shot('07-failed-start');
      for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
      await page.locator('.statusbar-item', { hasText: 'mirrord: on' }).first().waitFor({ timeout: 10000 });
    });

    await step('mirrord CLI engine: the CLI\'s environment in, its env_to_unset names out', async () => {
      for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
      const cliOut = path.join(WORKSPACE, 'out', 'env-cli.json');
      fs.rmSync(cliOut, { force: true });
      const launchFile = path.join(WORKSPACE, '.vscode', 'launch.json');
      const launch = JSON.parse(fs.readFileSync(launchFile, 'utf8'));
      launch.configurations.push({
        type: 'node', request: 'launch', name: 'Run app through the mirrord CLI', program: '${workspaceFolder}/app.js', console: 'internalConsole',
        env: {
          MIRRORD_IMPERSONATED_TARGET: 'deployment/greeter',
          DEMO_OUT_FILE: cliOut,
          PORT: '0',
          E2E_LOCAL_SECRET: 'must-not-reach-the-debuggee',
          // What the fake CLI answers with (its final `environment` and `env_to_unset`).
          FAKE_MIRRORD_ENVIRONMENT: JSON.stringify({ FROM_MIRRORD_CLI: 'cli-env' }),
          FAKE_MIRRORD_UNSET: `E2E_LOCAL_SECRET,${INHERITED_NAME}`,
        },
      });
      fs.writeFileSync(launchFile, JSON.stringify(launch, null, 2));
      // Sent to the running server as a configuration change (no restart).
      updateSettings({ 'mirrord.engine': 'mirrord-cli', 'mirrord.cliPath': FAKE_MIRRORD });
      await page.waitForTimeout(2000);
      await page.keyboard.press('F1');
      await input.fill('debug Run app through the mirrord CLI');
      await row('through the mirrord CLI').waitFor({ timeout: 20000 });
      await page.keyboard.press('Enter');
      const env = await waitForFile(cliOut, 90000);
      log(`debuggee env (CLI engine): ${JSON.stringify(Object.keys(env).filter((k) => /MIRRORD|E2E|LD_PRELOAD/.test(k)))}`);
      if (env.FROM_MIRRORD_CLI !== 'cli-env') throw new Error(`FROM_MIRRORD_CLI is ${JSON.stringify(env.FROM_MIRRORD_CLI)}: the CLI's environment was not applied`);
      if (!env.MIRRORD_LAYER_INTPROXY_ADDR) throw new Error('the CLI environment\'s MIRRORD_LAYER_INTPROXY_ADDR is missing');
      for (const name of ['E2E_LOCAL_SECRET', INHERITED_NAME]) {
        if (name in env) throw new Error(`${name} reached the debuggee although the CLI listed it in env_to_unset`);
      }
      try {
        await page.locator('.statusbar-item', { hasText: '(mirrord CLI)' }).first().waitFor({ timeout: 20000 });
        await replShows(['FROM_MIRRORD_CLI', 'MIRRORD_LAYER', 'listening'], ['FROM_MIRRORD_CLI=cli-env'], 20000);
        await shot('08-cli-session');
        await replFilter.fill('');
        // The CLI's Info line is information and its Warning a warning. The center lists every
        // notification; the toasts show only the newest three.
        await command('Notifications: Show Notifications', 'Show Notifications');
        const notes = page.locator('.notifications-center .notification-list-item');
        await notes.filter({ hasText: 'mirrord: session ID: 0123-fake' }).first().locator('.codicon-info').waitFor({ timeout: 20000 });
        await notes.filter({ hasText: 'does not match the local mirrord version' }).first().locator('.codicon-warning').waitFor({ timeout: 20000 });
        await shot('09-cli-notifications');
        await command('Notifications: Hide Notifications', 'Hide Notifications');
      } finally {
        await stopDebugging();
        updateSettings({ 'mirrord.engine': 'builtin' });
      }
    }, { independent: true });

    await step('broken mirrord.json shows a diagnostic in Problems', async () => {
      for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
      fs.writeFileSync(path.join(WORKSPACE, '.mirrord', 'mirrord.json'), '{\n  "feature": {\n    "nework": true\n  }\n}\n');
      await page.keyboard.press('Control+P');
      await input.fill('.mirrord/mirrord.json');
      await row('mirrord.json').waitFor({ timeout: 20000 });
      await page.keyboard.press('Enter');
      await page.waitForSelector('.monaco-editor .squiggly-error', { timeout: 60000 });
      await command('Problems: Focus on Problems View', 'Focus on Problems View');
      const marker = page.locator('.markers-panel .monaco-list-row', { hasText: 'nework' }).first();
      await marker.waitFor({ timeout: 30000 });
      log(`problems panel: ${(await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ').slice(0, 300)}`);
      await shot('10-problems');
    }, { independent: true });
  } finally {
    await ctx.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const passed = results.filter(([, ok]) => ok).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  process.exitCode = passed === results.length ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
