"""The dependency layer keeps of stripe only what its webhook signature check loads, and the
check still works from what is kept."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import stripe

from infra.package import keep_only, stripe_verifier_files

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys, time
sys.path.insert(0, {kept!r})
sys.path.insert(1, {root!r})
import stripe
assert stripe.__file__.startswith({kept!r}), stripe.__file__
from chalicelib.errors import Unauthorized
from chalicelib.signatures import verify
import hashlib, hmac
secret, body, now = "whsec_layer", b'{{"id": "evt_1", "type": "file.created"}}', int(time.time())
good = hmac.new(secret.encode(), f"{{now}}.".encode() + body, hashlib.sha256).hexdigest()
signed = verify("stripe", secret, body, {{"stripe-signature": f"t={{now}},v1={{good}}"}}, 300, now)
assert signed.event_id == "evt_1"
for header in (f"t={{now}},v1=00", f"t={{now - 900}},v1={{good}}", "garbled"):
    try:
        verify("stripe", secret, body, {{"stripe-signature": header}}, 300, now)
    except Unauthorized:
        continue
    raise AssertionError(header)
print("verified")
"""


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_the_trimmed_stripe_package_still_verifies_signatures(tmp_path: Path) -> None:
    # Given the stripe package as the layer installs it, trimmed to what the check loads
    kept = tmp_path / "python"
    shutil.copytree(Path(stripe.__file__).parent, kept / "stripe", ignore=shutil.ignore_patterns("__pycache__"))
    whole = size(kept / "stripe")
    keep_only(kept / "stripe", stripe_verifier_files())
    # Then what is left is a small part of it
    assert size(kept / "stripe") < whole / 20
    # And Insight's Stripe check, importing that copy alone, accepts a good signature and refuses bad ones
    run = subprocess.run(
        [sys.executable, "-I", "-c", CHECK.format(kept=str(kept), root=str(ROOT))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and "verified" in run.stdout, run.stderr
