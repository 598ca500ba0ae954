"""EventBridge: the events Insight publishes for others to hang rules on."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ServiceUnavailable, service_call

SOURCE = "insight"


class EventBus:
    def __init__(self, client: Any, bus: str) -> None:
        self._events = client
        self._bus = bus

    def publish(self, detail_type: str, detail_json: str, resources: list[str] | None = None) -> str:
        """Put one event (``source: insight``) on the bus; returns its id."""
        with service_call("EventBridge"):
            response = self._events.put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": detail_type,
                        "Detail": detail_json,
                        "Resources": resources or [],
                        "EventBusName": self._bus,
                    }
                ]
            )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise ServiceUnavailable(
                f"EventBridge did not take the event ({entry.get('ErrorCode')}: {entry.get('ErrorMessage')})"
            )
        return str(entry["EventId"])
