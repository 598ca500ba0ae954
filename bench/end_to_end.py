"""Local end to end: seconds from upload to SUCCEEDED for each sample document, split into
the offline AI engines' own time and the runtime's overhead (API, S3, events, Step
Functions, Lambdas, DynamoDB). Samples run one at a time so the split is exact."""

from __future__ import annotations

import time
from pathlib import Path

from insight_local.__main__ import call, submit
from insight_local.ai.services import engine_clock
from insight_local.runtime import Runtime
from insight_local.server import free_port

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DOCUMENTS = ("invoice.pdf", "report.pdf")


def main() -> None:
    runtime = Runtime(api_port=free_port()).start()
    try:
        base = runtime.api.url
        # The first execution loads the ASL parser (about a second): warm it up, unmeasured.
        warm = submit(base, SAMPLES / "invoice.pdf", quiet=True)
        wait(base, warm)
        print("local end to end (upload to SUCCEEDED):")
        for name in DOCUMENTS:
            engines_before = engine_clock.seconds
            started = time.perf_counter()
            job_id = submit(base, SAMPLES / name, quiet=True)
            status = wait(base, job_id)
            total = time.perf_counter() - started
            engines = engine_clock.seconds - engines_before
            print(
                f"  {name:<14} {status:<9} {total:6.2f} s = AI engines {engines:5.2f} s "
                f"+ runtime overhead {total - engines:5.2f} s"
            )
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
