"""Lambda handlers the gap tests run in process; they record what they were given."""

from __future__ import annotations

import os
import threading
from typing import Any

from aws_lambda_powertools import Logger

received: list[dict[str, Any]] = []
order: list[str] = []
release = threading.Event()
#: One logger for the process, as chalicelib.observability has.
logger = Logger(service="gap-tests")
both_running = threading.Barrier(2)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"doubled": event["n"] * 2, "greeting": os.environ.get("GREETING"), "function": context.function_name}


def refuse(event: dict[str, Any], context: Any) -> None:
    raise ValueError(f"refused {event['n']}")


def record(event: dict[str, Any], context: Any) -> None:
    received.append(event)


def wait_then_record(event: dict[str, Any], context: Any) -> None:
    release.wait(timeout=2)
    order.append("handler ran")
    received.append(event)


def fail_the_bad_ones(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An SQS consumer reporting partial batch failures: records whose body is "bad" fail.
    It waits to be released, so that a test sees whether the sender waited for it."""
    release.wait(timeout=2)
    order.append("handler ran")
    received.append(event)
    return {
        "batchItemFailures": [
            {"itemIdentifier": record["messageId"]} for record in event["Records"] if record["body"] == "bad"
        ]
    }


def lex_hook(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Lex V2 code hook: delegates each dialog turn, fulfils with a message saying who did."""
    received.append(event)
    state = event["sessionState"]
    if event["invocationSource"] == "DialogCodeHook":
        return {"sessionState": {**state, "dialogAction": {"type": "Delegate"}}}
    intent = state["intent"]
    job = intent["slots"]["JobId"]["value"]["interpretedValue"]
    return {
        "sessionState": {**state, "intent": {**intent, "state": "Fulfilled"}, "dialogAction": {"type": "Close"}},
        "messages": [
            {"contentType": "PlainText", "content": f"{context.function_name} fulfilled {intent['name']} for {job}"}
        ],
    }


def broken_lex_hook(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the code hook is broken")


@logger.inject_lambda_context(correlation_id_path="job")
def log_for_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Logs for the event's job, with the event's keys; the keys its logs would carry, read
    while another invocation (``together``) does the same."""
    logger.append_keys(**event.get("keys", {}))
    if event.get("together"):
        both_running.wait(timeout=5)
    keys = logger.get_current_keys()
    return {"correlation_id": keys.get("correlation_id"), "function": keys.get("function_name"), "keys": sorted(keys)}
