"""Labelled utterances for Insight's chatbot (``bench/data/chat_utterances.tsv``), written by hand
and not among the bot's sample utterances: what each one means and the slot value it carries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "chat_utterances.tsv"


@dataclass(frozen=True)
class Utterance:
    text: str
    intent: str
    slot: str | None = None  # the slot's name, when the utterance carries a value
    value: str | None = None


@lru_cache(maxsize=1)
def labelled() -> tuple[Utterance, ...]:
    utterances = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        intent, slot, text = line.split("\t")
        name, _, value = slot.partition("=")
        utterances.append(Utterance(text, intent, name if value else None, value or None))
    return tuple(utterances)
