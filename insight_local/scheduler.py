"""The stack's schedules (EventBridge ``rate(...)`` rules), fired locally.

moto keeps a scheduled rule but never fires it. The scheduler invokes each schedule's
function with what EventBridge sends (the rule's constant input, or a "Scheduled Event"),
through the local Lambda, every ``minutes`` while the runtime runs; :meth:`Scheduler.fire`
fires one now. A per-model schedule is one rule per model of the stack (``Stack.every_schedule``).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from infra.resources import STACK, Schedule, Stack
from insight_local.provision import Deployment
from insight_local.server import ACCOUNT, REGION, LocalAWS


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


class Scheduler:
    def __init__(self, aws: LocalAWS, deployment: Deployment, stack: Stack = STACK) -> None:
        self._aws = aws
        self._deployment = deployment
        self._schedules = {schedule.logical_id: schedule for schedule in stack.every_schedule()}
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def fire(self, logical_id: str) -> Any:
        """Invoke the schedule's function now and return what it returned."""
        schedule = self._schedules[logical_id]
        rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self._deployment.names[logical_id]}"
        event = schedule.input if schedule.input is not None else scheduled_event(rule_arn)
        response = self._aws.client("lambda").invoke(
            FunctionName=self._deployment.names[schedule.function], Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if "FunctionError" in response:
            raise RuntimeError(f"{schedule.function} failed: {payload}")
        return payload

    def start(self) -> None:
        for schedule in self._schedules.values():
            thread = threading.Thread(target=self._every, args=(schedule,), name=f"schedule:{schedule.logical_id}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopped.set()

    def _every(self, schedule: Schedule) -> None:
        while not self._stopped.wait(schedule.minutes * 60):
            try:
                self.fire(schedule.logical_id)
            except Exception as error:  # a failed run is retried at the next tick, as EventBridge would
                print(f"schedule {schedule.logical_id}: {error}")
