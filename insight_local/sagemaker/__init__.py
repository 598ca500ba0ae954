"""The local SageMaker: jobs and endpoints that run the model's own scripts.

- ``jobs``: processing, training and transform jobs in a subprocess of this venv's Python
  under the container contract (``container``: a temporary directory stands for /opt/ml),
  channels from and outputs to the local S3 (``storage``), logs in CloudWatch Logs (``logs``),
  metrics parsed with the job's MetricDefinitions, state change events.
- ``hosting`` and ``endpoints``: models loaded through their inference script, InvokeEndpoint
  answered by them, blue/green UpdateEndpoint with canary traffic, baking and rollback on
  CloudWatch alarms that ``alarms`` evaluates.
- ``stepfunctions``: the ``.sync`` job integrations and ``aws-sdk:sagemakerruntime``.

moto keeps the records; insight_local/moto_gaps.py wires this package into it. moto keeps
them per process, not per server: a job or endpoint name, once used, stays taken (SageMaker
refuses a reused job name, and so does the engine).

Images: any ImageUri or TrainingImage is accepted and none is run: the scripts run with this
venv's Python and its packages (scikit-learn, joblib, numpy: what the scikit-learn framework
images hold). What the engine cannot do: run a container image that is not script mode (a
job needs a Python entry point and its source), pip-install a source directory's
requirements.txt, distributed training, Pipe/FastFile input modes, ManifestFile data sources,
async or serverless inference, RollingUpdatePolicy. Checkpoints reach S3 when the script
ends (no spot interruption is simulated); MaxWaitTimeInSeconds is validated, not enforced.

For tools and benchmarks: ``script_seconds(kind, name)`` is how long a job's script ran
(the rest of the job's time is the engine's), ``metrics_so_far(name)`` a running training
job's parsed metrics, ``progress.jobs_snapshot()`` and ``progress.endpoints_snapshot()``
what ``make run`` can show as the loop goes (each has a ``line()``).
"""

from insight_local.sagemaker.jobs import metrics_so_far, script_seconds, wait

__all__ = ["metrics_so_far", "script_seconds", "wait"]
