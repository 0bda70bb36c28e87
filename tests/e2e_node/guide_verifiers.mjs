// The published webhook-integration guide's Node.js verifier, reproduced as the guide writes
// it (shared/spec/seed-webhook-integration.txt, "Example Verification (Node.js)"), so our
// end-to-end tests can prove that the guide's own code accepts our callbacks. Do not "fix"
// it: its quirks are what integrators run.
//
// Behaviour kept on purpose:
// - `signatureHeader.replace('sha256=', '')` removes the first `sha256=` anywhere in the
//   header (not only a prefix), and a header without it is compared as is;
// - `crypto.createHmac('sha256', secret)`: a string secret is used as its UTF-8 bytes;
// - `timingSafeEqual` compares the hex *strings* as Buffers, so case matters (our lowercase
//   hex is what it expects), and it THROWS a RangeError when the lengths differ (in the
//   guide's Express route that becomes a 500, not a 401).

import crypto from 'node:crypto';
import express from 'express';

export function verifyWebhookSignature(payload, signatureHeader, secret) {
  if (!secret || !signatureHeader) {
    return false;
  }

  // Extract signature (remove "sha256=" prefix)
  const providedSignature = signatureHeader.replace('sha256=', '');

  // Compute expected signature
  const expectedSignature = crypto
    .createHmac('sha256', secret)
    .update(payload)
    .digest('hex');

  // Use constant-time comparison
  return crypto.timingSafeEqual(
    Buffer.from(expectedSignature),
    Buffer.from(providedSignature)
  );
}

// The guide's Express receiver ("Example usage (Express)"), with the path and secret as
// parameters and a hook where the guide says "Process webhook data...". Returns the app;
// listen on 127.0.0.1:0 in tests.
export function createGuideReceiver({ secret, path = '/webhook/callback', onEvent = () => {} }) {
  const app = express();
  app.post(path, express.raw({ type: 'application/json' }), (req, res) => {
    const signature = req.headers['x-webhook-signature'];
    const payload = req.body;

    if (!verifyWebhookSignature(payload, signature, secret)) {
      return res.status(401).json({ error: 'Invalid signature' });
    }

    const data = JSON.parse(payload);
    // Process webhook data...
    onEvent(data, req);
    res.json({ status: 'ok' });
  });
  return app;
}
