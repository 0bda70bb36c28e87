// What the tests against the real binary share: a free loopback port, and waiting for a
// condition with a deadline (never a bare sleep).
import net from 'node:net';

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Polls `condition` every 50 ms until it holds or `ms` pass; the error names `what` and ends
// with `context()` (e.g. the server's log) to explain the failure.
export async function waitFor(condition, ms, what, context = () => '') {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}
