// What the browser suites share: the real binary started and stopped, fixture scripts (the test
// IdPs) that print one JSON line when ready, and Debian's Chromium with the flags a sandboxed CI
// machine needs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

// Starts `challenge serve` with `env` and waits (with `waitFor`, the suite's deadline helper) until
// /healthz answers at `base`. Its stderr goes to `onLog`.
export async function startServer(binary, env, base, onLog, waitFor) {
  const child = spawn(binary, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', onLog);
  await waitFor(async () => {
    try { return (await fetch(`${base}/healthz`)).ok; } catch { return false; }
  }, 15000, 'the server to start');
  return child;
}

// Starts a fixture script (path relative to this folder) that prints one JSON line when ready;
// returns { child, ...that line }.
export async function startFixture(script, args = []) {
  const child = spawn(process.execPath, [path.join(here, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready in 15 s: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) { clearTimeout(timer); resolve(JSON.parse(line)); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited ${code}: ${stderr}`)); });
  });
  return { child, ...ready };
}

// SIGTERM, then waits for the exit (at once if it already exited). Accepts nothing.
export async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}
