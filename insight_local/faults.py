"""Faults on demand: make the local AWS refuse the next calls of an operation.

Tests use it to prove the workflows' Retry and Catch: a throttled call that succeeds on
retry, a permanent error that ends the job FAILED. Only JSON-protocol services (Textract,
Comprehend, Step Functions, ...) are covered; DynamoDB answers through a call_action of its
own and is not.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

_lock = threading.Lock()
_faults: dict[tuple[str, str], list[Fault]] = {}
_installed = False
_served: dict[tuple[str, str], int] = {}


@dataclass
class Fault:
    code: str
    message: str
    remaining: int
    status: int = 400


def inject(
    service: str, operation: str, code: str, times: int = 1, message: str | None = None, status: int = 400
) -> None:
    """The next ``times`` calls of ``service``'s ``operation`` fail with AWS error ``code``."""
    _install()
    with _lock:
        _faults.setdefault((service, operation), []).append(
            Fault(
                code=code, message=message or f"{code} (injected by the local runtime)", remaining=times, status=status
            )
        )


def clear() -> None:
    with _lock:
        _faults.clear()
        _served.clear()


def served(service: str, operation: str) -> int:
    """How many injected faults of ``service``'s ``operation`` were answered since the last clear."""
    with _lock:
        return _served.get((service, operation), 0)


def _take(service: str, operation: str) -> Fault | None:
    with _lock:
        queue = _faults.get((service, operation))
        if not queue:
            return None
        fault = queue[0]
        _served[(service, operation)] = _served.get((service, operation), 0) + 1
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        from moto.core.responses import BaseResponse

        original = BaseResponse.call_action

        def call_action(self: Any) -> Any:
            if _faults:
                try:
                    operation = self._get_action()
                except Exception:
                    operation = ""
                fault = _take(self.service_name or "", operation)
                if fault is not None:
                    body = json.dumps({"__type": fault.code, "message": fault.message})
                    return fault.status, {"status": fault.status, "x-amzn-ErrorType": fault.code}, body
            return original(self)

        BaseResponse.call_action = call_action
        _installed = True
