"""Cold start: import and initialisation of each handler module (boto3 included), as a ratio
to `import boto3`.

Each figure is the median of fresh interpreters; both are measured in the same run, so the
ratio holds whatever the machine's speed. Budget: 1.5x.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from infra.resources import STACK

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.5
RUNS = 7

#: A handler's cold start: its import and initialisation, plus boto3, which every handler needs
#: before its first AWS call whether it imports it at module level or (as ours do) on first use.
PROBE = """
import sys, time
start = time.perf_counter()
module = __import__({module!r}, fromlist=["_"])
handler = getattr(module, {attribute!r}) if {attribute!r} else None
import boto3
print(time.perf_counter() - start)
"""

#: What the shared pieces cost alone, to show where a handler's time goes. "The stack alone"
#: is the floor under every handler before a line of Insight: boto3, one pydantic model
#: (defining the first model loads pydantic's machinery; ``import pydantic`` alone is lazy)
#: and Powertools Logger + Metrics.
PARTS = {
    "the stack alone: boto3 + a pydantic model + Powertools Logger, Metrics": "stack",
    "Powertools Tracer (X-Ray SDK), only with INSIGHT_DETAILED_TRACING": "tracing",
    "pydantic, with one model defined": "models",
    "Powertools Logger + Metrics": "observability",
    "Powertools batch processing (SQS consumers)": "batch",
}
_MODEL = "class Model(pydantic.BaseModel):\n    model_config = pydantic.ConfigDict(defer_build=True)\n    value: int\n"
PART_PROBES = {
    "stack": "import boto3, pydantic\nfrom aws_lambda_powertools import Logger, Metrics\n"
    "Logger(service='insight'); Metrics()\n" + _MODEL,
    "tracing": "from aws_lambda_powertools import Tracer; Tracer(service='insight')",
    "models": "import pydantic\n" + _MODEL,
    "observability": "from aws_lambda_powertools import Logger, Metrics; Logger(service='insight'); Metrics()",
    "batch": "from aws_lambda_powertools.utilities.batch import BatchProcessor",
}
PART_PROBE = """
import time
start = time.perf_counter()
exec({code!r})
print(time.perf_counter() - start)
"""


def lambda_environment() -> dict[str, str]:
    """What a handler finds at cold start in Lambda (no endpoint override, tracing on)."""
    keep = {"PATH", "HOME", "LANG"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(
        {
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_SERVICE_NAME": "insight",
            "POWERTOOLS_METRICS_NAMESPACE": "Insight",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _probe(module: str, attribute: str = "", code: str | None = None) -> str:
    return PART_PROBE.format(code=code) if code else PROBE.format(module=module, attribute=attribute)


def _run(probe: str) -> float:
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=lambda_environment(), capture_output=True, text=True, check=True
    )
    return float(run.stdout.strip().splitlines()[-1])


def ratio(module: str, attribute: str = "", code: str | None = None) -> float:
    """Median seconds of the probe over median seconds of ``import boto3``, the two run
    alternately so that a change in the machine's load weighs on both alike."""
    probe, baseline = _probe(module, attribute, code), _probe("boto3")
    samples, baselines = [], []
    for _ in range(RUNS):
        baselines.append(_run(baseline))
        samples.append(_run(probe))
    return statistics.median(samples) / statistics.median(baselines)


def handlers() -> list[tuple[str, str, str]]:
    """(function, module, attribute) of every Lambda of the stack."""
    return [(f.logical_id, *f.handler.rsplit(".", 1)) for f in STACK.functions]


def main() -> list[tuple[str, float]]:
    print(f"cold start (median of {RUNS} fresh interpreters, each beside {RUNS} of import boto3 = 1.00x)")
    ratios = []
    for function, module, attribute in handlers():
        measured = ratio(module, attribute)
        ratios.append((function, measured))
        verdict = "ok" if measured <= BUDGET else f"OVER the {BUDGET}x budget"
        print(f"  {function:<24} {module:<52} {measured:5.2f}x  {verdict}")
    print("  where the time goes (each alone, same ratio):")
    for label, part in PARTS.items():
        print(f"    {label:<72} {ratio('', code=PART_PROBES[part]):5.2f}x")
    return ratios


if __name__ == "__main__":
    main()
