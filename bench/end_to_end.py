"""Local end to end: seconds from upload to SUCCEEDED for each sample (documents, an image, a
voicemail translated and summed up aloud), split into
the offline AI engines' own time and the runtime's overhead (API, S3, events, Step
Functions, Lambdas, DynamoDB). Samples run one at a time so the split is exact, except where a
workflow runs engines in parallel (the image's four analyses), where it is not made."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from insight_local.__main__ import call, submit
from insight_local.ai.services import engine_clock
from insight_local.runtime import Runtime
from insight_local.server import free_port

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
#: Each sample with what its upload asks for beyond the file.
SAMPLED: tuple[tuple[str, dict[str, Any]], ...] = (
    ("invoice.pdf", {}),
    ("report.pdf", {}),
    ("astronaut.jpg", {}),
    ("voicemail.mp3", {"translate_to": ["es"], "spoken_summary": True}),
)


def main() -> None:
    runtime = Runtime(api_port=free_port()).start()
    try:
        base = runtime.api.url
        # The first execution loads the ASL parser (about a second): warm it up, unmeasured.
        warm = submit(base, SAMPLES / "invoice.pdf", quiet=True)
        wait(base, warm)
        print("local end to end (upload to SUCCEEDED):")
        for name, fields in SAMPLED:
            engines_before = engine_clock.seconds
            started = time.perf_counter()
            job_id = submit(base, SAMPLES / name, quiet=True, **fields)
            status = wait(base, job_id)
            total = time.perf_counter() - started
            engines = engine_clock.seconds - engines_before
            if engines <= total:
                split = f"= AI engines {engines:5.2f} s + runtime overhead {total - engines:5.2f} s"
            else:  # parallel branches (the image's analyses): their engine times overlap
                split = f"(AI engines {engines:5.2f} s summed over parallel branches: no exact split)"
            print(f"  {name:<14} {status:<9} {total:6.2f} s {split}")
    finally:
        runtime.stop()


def wait(base: str, job_id: str | None, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while job_id and time.monotonic() < deadline:
        status, view = call(base, "GET", f"/jobs/{job_id}")
        if status == 200 and view["job"]["status"] in ("SUCCEEDED", "FAILED"):
            return str(view["job"]["status"])
        time.sleep(0.02)
    return "TIMED OUT"


if __name__ == "__main__":
    main()
