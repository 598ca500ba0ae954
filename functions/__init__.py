"""Lambda handlers that the state machines call as Task steps: one folder each, thin."""
