"""A job's output lines, kept in CloudWatch Logs as SageMaker keeps them
(``/aws/sagemaker/TrainingJobs``, ``/aws/sagemaker/ProcessingJobs``,
``/aws/sagemaker/TransformJobs``; one stream per job and host)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from insight_local.sagemaker.aws import client


class JobLog:
    def __init__(self, group: str, stream: str, region: str) -> None:
        self.group, self.stream, self.region = group, stream, region
        self.lines: list[str] = []
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flushed = time.monotonic()
        logs = client("logs", region)
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def write(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            self._pending.append({"timestamp": int(time.time() * 1000), "message": line})
        if time.monotonic() - self._flushed > 1:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._flushed = time.monotonic()
        for start in range(0, len(batch), 1000):
            client("logs", self.region).put_log_events(
                logGroupName=self.group, logStreamName=self.stream, logEvents=batch[start : start + 1000]
            )

    def tail(self, count: int = 20) -> list[str]:
        with self._lock:
            return self.lines[-count:]
