"""Step Functions: starting workflows and resuming the steps that wait on a task token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.errors import aws_error_code, service_call


class Workflows:
    def __init__(self, client: Any) -> None:
        self._sfn = client

    def start(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> str | None:
        """Start one execution named ``name``; a second start with that name starts nothing.

        Returns the execution ARN, or None when an execution of that name already exists.
        """
        with service_call("Step Functions"):
            try:
                response = self._sfn.start_execution(
                    stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
                )
            except Exception as error:
                if aws_error_code(error) == "ExecutionAlreadyExists":
                    return None
                raise
        return str(response["executionArn"])

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        """Resume the waiting step; a step that no longer waits (resumed before, timed out)
        is left as it is."""
        with _settled_tokens(), service_call("Step Functions"):
            self._sfn.send_task_success(taskToken=task_token, output=json.dumps(output))

    def heartbeat(self, task_token: str) -> None:
        """Tell the waiting step that its work goes on; a step that no longer waits is left as it is."""
        with _settled_tokens(), service_call("Step Functions"):
            self._sfn.send_task_heartbeat(taskToken=task_token)

    def fail(self, task_token: str, error: str, cause: str) -> None:
        """Fail the waiting step with ``error``; a step that no longer waits is left as it is."""
        with _settled_tokens(), service_call("Step Functions"):
            self._sfn.send_task_failure(taskToken=task_token, error=error[:256], cause=cause[:32768])


SETTLED_TOKEN_CODES = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


@contextmanager
def _settled_tokens() -> Iterator[None]:
    """A token whose step already ended is not the sender's error: its work is done."""
    try:
        yield
    except Exception as error:
        if aws_error_code(error) not in SETTLED_TOKEN_CODES:
            raise
