"""The offline chat services: how well the Lex V2 runtime understands what it was not taught, and
what the local AWS adds to the engines' own time.

* intent accuracy: the intent recognised for each labelled utterance of
  ``bench/data/chat_utterances.tsv`` (not among the bot's samples; FallbackIntent for off-topic
  ones), each in a new session of Insight's declared bot;
* slot accuracy: the slot value recognised, exactly as labelled, for those that carry one;
* emulator overhead: RecognizeText (and TranslateText) through boto3 -> moto's server -> the
  engine, divided by the engine called directly in this process (same inputs, same run, best of
  five rounds each).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.inputs.utterances import labelled
from bench.measure import Budget, overhead, report
from insight_local.ai import lex, missing_services, translate
from insight_local.server import LocalAWS

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "infra" / "bots" / "insight.json"
ROUNDS = 5

BUDGETS: dict[str, Budget] = {
    "Lex intent accuracy (%)": (85.0, "at least"),
    "Lex slot accuracy (%)": (85.0, "at least"),
    "RecognizeText emulator overhead (x)": (5.0, "at most"),  # a sub-millisecond engine: HTTP dominates
    "TranslateText emulator overhead (x)": (1.5, "at most"),
}
TRANSLATIONS = (
    "The invoice is due on Friday.",
    "Please send the signed contract to our office before the end of the month.",
    "The analysis of your document has finished and the results are ready.",
)


def _accuracy(bot: lex.Bot) -> tuple[float, float]:
    runtime = lex.LexRuntime()
    intents = slots = with_slot = 0
    for index, item in enumerate(labelled()):
        request = {"localeId": "en_US", "sessionId": f"bench-{index}", "text": item.text}
        answer = runtime.recognize_text(bot, ("bench", str(index)), request)["sessionState"]["intent"]
        intents += answer["name"] == item.intent
        if item.slot:
            with_slot += 1
            value = (answer["slots"] or {}).get(item.slot)
            slots += value is not None and value["value"]["interpretedValue"] == item.value
    return 100 * intents / len(labelled()), 100 * slots / with_slot


def _overhead(direct_calls: list[Callable[[], Any]], client_calls: list[Callable[[], Any]]) -> float:
    return overhead(list(zip(direct_calls, client_calls, strict=True)), ROUNDS)


def figures() -> dict[str, float]:
    # The bot's own understanding, without the code hooks the deployed alias runs
    declaration = lex.without_code_hooks(json.loads(DECLARATION.read_text()))
    bot = lex.bot_from_declaration(declaration, "insight")
    intent_accuracy, slot_accuracy = _accuracy(bot)
    aws = LocalAWS().start()
    try:
        ids = dict(
            zip(
                ("botId", "botAliasId"),
                missing_services.create_bot(
                    aws.client("lexv2-models"),
                    "insight-bench-chatbot",
                    declaration,
                    "arn:aws:iam::123456789012:role/lex",
                ),
                strict=True,
            )
        )
        runtime, engine = aws.client("lexv2-runtime"), lex.LexRuntime()
        texts = [item.text for item in labelled()]
        runtime.recognize_text(**ids, localeId="en_US", sessionId="warm-up", text=texts[0])  # sets up the routes

        def direct(i: int, text: str) -> Callable[[], Any]:
            request = {"localeId": "en_US", "sessionId": f"d{i}", "text": text}
            return lambda: engine.recognize_text(bot, ("direct", str(i)), request)

        def through(i: int, text: str) -> Callable[[], Any]:
            return lambda: runtime.recognize_text(**ids, localeId="en_US", sessionId=f"t{i}", text=text)

        lex_overhead = _overhead(
            [direct(i, t) for i, t in enumerate(texts)], [through(i, t) for i, t in enumerate(texts)]
        )
        client = aws.client("translate")
        requests = [{"Text": text, "SourceLanguageCode": "en", "TargetLanguageCode": "es"} for text in TRANSLATIONS]
        client.translate_text(**requests[0])
        translate_overhead = _overhead(
            [lambda r=r: translate.translate_text(r) for r in requests],  # type: ignore[misc]
            [lambda r=r: client.translate_text(**r) for r in requests],  # type: ignore[misc]
        )
    finally:
        aws.stop()
    return {
        "Lex intent accuracy (%)": intent_accuracy,
        "Lex slot accuracy (%)": slot_accuracy,
        "RecognizeText emulator overhead (x)": lex_overhead,
        "TranslateText emulator overhead (x)": translate_overhead,
    }


def main() -> dict[str, float]:
    title = f"Chat offline (Lex V2 runtime on {len(labelled())} unseen utterances; Translate with Apertium):"
    return report(title, figures(), BUDGETS)


if __name__ == "__main__":
    main()
