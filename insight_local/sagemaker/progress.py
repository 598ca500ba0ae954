"""What the local SageMaker is doing, for ``make run`` to show as it goes: each job's status,
its secondary status and the metrics parsed so far, and each endpoint's state with the share
of traffic a deployment's new fleet takes."""

from __future__ import annotations

from dataclasses import dataclass

from insight_local.sagemaker import hosting, jobs


@dataclass(frozen=True)
class JobProgress:
    kind: str
    name: str
    status: str
    secondary: str | None
    metrics: dict[str, float]
    script_seconds: float | None

    def line(self) -> str:
        metrics = " ".join(f"{name}={value:.4g}" for name, value in sorted(self.metrics.items()))
        secondary = f" ({self.secondary})" if self.secondary and self.secondary != self.status else ""
        return f"{self.kind} job {self.name}: {self.status}{secondary}{' ' + metrics if metrics else ''}"


@dataclass(frozen=True)
class EndpointProgress:
    name: str
    config: str | None
    new_config: str | None
    new_share: float

    def line(self) -> str:
        if self.new_config:
            share = f"{self.new_share:.0%}"
            return f"endpoint {self.name}: {self.config} serving, {self.new_config} taking {share} of requests"
        return f"endpoint {self.name}: {self.config or 'loading'} serving"


def jobs_snapshot() -> list[JobProgress]:
    with jobs._runs_lock:
        runs = list(jobs.RUNS.values())
    return [
        JobProgress(
            kind=run.kind,
            name=run.name,
            status=run.status,
            secondary=getattr(run.job, "secondary_status", None),
            metrics=dict(run.metrics),
            script_seconds=run.script_seconds,
        )
        for run in runs
    ]


def endpoints_snapshot() -> list[EndpointProgress]:
    with hosting._endpoints_lock:
        hosted = list(hosting.ENDPOINTS.values())
    snapshot = []
    for endpoint in hosted:
        with endpoint.lock:
            snapshot.append(
                EndpointProgress(
                    name=endpoint.name,
                    config=endpoint.fleet.config_name if endpoint.fleet else None,
                    new_config=endpoint.green.config_name if endpoint.green else None,
                    new_share=endpoint.green_share if endpoint.green else 0.0,
                )
            )
    return snapshot
