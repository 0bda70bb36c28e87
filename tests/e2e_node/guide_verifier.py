#!/usr/bin/env python3
"""The published webhook-integration guide's Python verifier, as a command.

    python3 guide_verifier.py <secret> <signature_header> < raw_body

Exit status 0 when the guide's verify_webhook_signature accepts the body read from stdin,
1 otherwise. verify_webhook_signature is the guide's function exactly as published
(shared/spec/seed-webhook-integration.txt, "Example Verification (Python)"); only the
Flask example around it is left out (stdlib only). Do not "fix" it: its behaviour is what
integrators run (only a leading "sha256=" is removed; hmac.compare_digest on the hex
strings, so case matters, and it raises TypeError for a non-ASCII header, reported here
as "invalid").
"""
import hmac
import hashlib
import sys


def verify_webhook_signature(payload, signature_header, secret):
    """
    Verify webhook signature.

    Args:
        payload: Raw request body (bytes or string)
        signature_header: Value from X-Webhook-Signature header
        secret: Your webhook secret

    Returns:
        bool: True if signature is valid
    """
    if not secret or not signature_header:
        return False

    # Extract signature (remove "sha256=" prefix)
    if signature_header.startswith('sha256='):
        provided_signature = signature_header[7:]
    else:
        provided_signature = signature_header

    # Convert payload to bytes if string
    if isinstance(payload, str):
        payload = payload.encode('utf-8')

    # Compute expected signature
    expected_signature = hmac.new(
        secret.encode('utf-8'),
        payload,
        hashlib.sha256
    ).hexdigest()

    # Use constant-time comparison to prevent timing attacks
    return hmac.compare_digest(expected_signature, provided_signature)


def main(argv):
    if len(argv) != 3:
        print("usage: guide_verifier.py <secret> <signature_header> < raw_body", file=sys.stderr)
        return 2
    secret, signature_header = argv[1], argv[2]
    payload = sys.stdin.buffer.read()  # the exact raw bytes, as Flask's request.get_data()
    try:
        valid = verify_webhook_signature(payload, signature_header, secret)
    except (TypeError, UnicodeError) as error:
        print(f"guide verifier raised {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
