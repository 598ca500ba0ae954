"""Running a Lambda function in this process, from its real handler string.

The handler is imported from the project (``functions.detect_text.handler.lambda_handler``,
``app.on_upload``) as the Lambda runtime would from the bundle's root, called with the
event and a context, and its result or exception returned as Lambda returns them.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("insight_local.lambdas")

#: os.environ is one per process: a function whose environment differs from the
#: process's runs alone while its environment is in place.
_environment_lock = threading.RLock()


@dataclass
class LambdaContext:
    """What the Lambda runtime hands a handler as ``context``."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def resolve(handler: str) -> Any:
    """The callable a handler string names, imported with the project root on the path."""
    module_name, _, attribute = handler.rpartition(".")
    if not module_name:
        raise ImportError(f"handler {handler!r} is not of the form module.function")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return getattr(importlib.import_module(module_name), attribute)


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    if all(os.environ.get(name) == value for name, value in variables.items()):
        yield
        return
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


_logger_states = threading.local()


def logger_state_per_thread() -> None:
    """Powertools' Logger keeps its keys (the Lambda context, the correlation id, appended
    keys) in its formatter, one per process: on Lambda a process runs one invocation at a
    time. Here every function and the API's requests share one process, on threads, so an
    invocation's keys showed in another's logs (a job's failure logged under another job's
    correlation id and function name, a webhook's keys in the chat's logs). Keep them per
    thread: each invocation (a thread of its own) starts from the keys the Logger was made
    with, as a fresh process would."""
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    def states() -> dict[int, dict[str, Any]]:
        if not hasattr(_logger_states, "formats"):
            _logger_states.formats = {}
        return _logger_states.formats  # type: ignore[no-any-return]

    def get(formatter: Any) -> dict[str, Any]:
        state = states().get(id(formatter))
        if state is None:  # this thread's first log: the keys as the Logger was made
            state = states()[id(formatter)] = dict(formatter.__dict__.get("log_format") or {})
        return state

    def set_(formatter: Any, value: dict[str, Any]) -> None:
        states()[id(formatter)] = value

    made = Logger.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        formatter = self.registered_formatter
        if isinstance(formatter, LambdaPowertoolsFormatter):
            formatter.__dict__["log_format"] = dict(formatter.log_format)  # what other threads start from

    # A formatter made before this keeps what it had as every thread's start (its own
    # attribute, which the property now hides from every other access).
    LambdaPowertoolsFormatter.log_format = property(get, set_)  # type: ignore[assignment]
    Logger.__init__ = __init__  # type: ignore[method-assign]


def error_payload(error: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's shape for an unhandled exception: Step Functions matches ``errorType``."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def invoke(function: Any, event: Any) -> tuple[str, bool, str]:
    """Run moto's ``LambdaFunction`` in process: (payload as JSON, errored, logs)."""
    # moto's LambdaFunction.invoke decodes the payload, but hands an empty one on as the text
    # "{}"; any other text is a payload that was a JSON string, and is passed as it is.
    if isinstance(event, bytes):
        event = event.decode()
    if event == "{}" or event == "":
        event = {}
    context = LambdaContext(
        function_name=function.function_name,
        function_version=str(function.version),
        invoked_function_arn=function.function_arn,
        memory_limit_in_mb=int(function.memory_size or 128),
        timeout_seconds=int(function.timeout or 3),
    )
    # Only the function's configured environment: the name and memory size reach the
    # handler through the context, so functions that share one configuration (all of
    # Insight's) never swap os.environ and run concurrently.
    variables = {name: str(value) for name, value in (function.environment_vars or {}).items()}
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with environment(variables):
                handler = resolve(function.handler)
                outcome["result"] = handler(event if event is not None else {}, context)
        except BaseException as error:  # the function's failure, not the runtime's
            outcome["error"] = error

    worker = threading.Thread(target=run, name=f"lambda:{function.function_name}", daemon=True)
    worker.start()
    worker.join(context.timeout_seconds)
    if worker.is_alive():
        message = f"{context.aws_request_id} Task timed out after {context.timeout_seconds:.2f} seconds"
        return json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}), True, message
    if "error" in outcome:
        error = outcome["error"]
        log.warning("function %s failed: %s: %s", function.function_name, type(error).__name__, error)
        return json.dumps(error_payload(outcome["error"], context.aws_request_id)), True, ""
    return json.dumps(outcome.get("result")), False, ""
