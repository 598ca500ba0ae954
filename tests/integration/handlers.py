"""Lambda handlers the gap tests run in process; they record what they were given."""

from __future__ import annotations

import os
import threading
from typing import Any

received: list[dict[str, Any]] = []
order: list[str] = []
release = threading.Event()


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
