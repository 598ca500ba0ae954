"""Offline Amazon Lex V2 runtime: RecognizeText, GetSession, PutSession and DeleteSession.

A bot is read from its declaration in CloudFormation's ``AWS::Lex::Bot`` shape (``BotLocales``
with ``Intents``, ``SampleUtterances``, ``Slots`` and ``SlotTypes``; see ``infra/bots/``), so the
runtime understands exactly the bot that is deployed. No pretrained model: every answer is
computed from the bot's own sample utterances and slot types.

==========================  =====================================================================
step                        how
==========================  =====================================================================
intent classification       the utterance against the locale's sample utterances: TF-IDF (IDF
                            over the samples) of stemmed words and word pairs, and of character
                            3-5-grams (English function words weigh a quarter); cosine with the
                            intent's best sample and with the centroid of its samples, half
                            each. ``{Slot}`` placeholders and the utterance's slot-shaped words
                            both become the slot type's token, so "is job 3f2a... done" matches
                            "is job {JobId} done". The similarity s is reported as the
                            ``nluConfidence`` 1 - exp(-s / 0.25); below the locale's
                            ``NluConfidenceThreshold``: ``AMAZON.FallbackIntent``
slot values                 by slot type: values and synonyms of custom types (``TOP_RESOLUTION``
                            resolves to the value, ``ORIGINAL_VALUE`` keeps what was said and
                            also takes words shaped like the sample values, same punctuation
                            skeleton: "q3-report.pdf" like "report.pdf"), ``RegexFilter``
                            patterns, ``AMAZON.AlphaNumeric`` (letters and digits, optionally in
                            dash-separated groups: with a digit, or, when the slot is being
                            elicited, a whole one-word answer or a word after "job"/"is"...).
                            Among several candidates, the one after the word that precedes the
                            placeholder in a sample ("job" in "is job {JobId} done") wins
dialog                      a required slot without a value is elicited (``ElicitSlot`` with the
                            slot's prompt, in ``SlotPriorities`` order); the next utterance fills
                            it (for a free-form ``ORIGINAL_VALUE`` type without a shape, what
                            follows the slot's own sample prefix, "it is called ..."), or, when
                            the slot allows interruptions, switches to another intent it clearly
                            means; after ``MaxRetries`` failed re-prompts the turn falls back.
                            With every required slot filled: ``ReadyForFulfillment`` and
                            ``Close``, with the intent's closing response if it has one
code hooks                  the bot alias's Lambda function (:class:`CodeHook`, given per turn),
                            called with Lex V2's event (``invocationSource``, ``inputTranscript``,
                            ``bot``, ``interpretations``, ``proposedNextState``, ``sessionState``,
                            ``requestAttributes``): as ``DialogCodeHook`` once per turn of an
                            intent that enables it, after the utterance's slot values are taken
                            and before the next slot is elicited; as ``FulfillmentCodeHook`` once
                            every required slot has a value (the fallback intent's too). Its
                            response is honoured: session attributes, the intent's slots, state
                            and confirmation, the dialog action (``ElicitSlot`` with its messages
                            or the slot's prompt, ``Close``, ``Delegate``: Lex's own next step
                            without calling the dialog hook again, ``ConfirmIntent``: the next
                            yes or no sets ``confirmationState`` and calls the hook again,
                            ``ElicitIntent``) and its messages. A response Lex would refuse,
                            or a function that fails, fails the turn and leaves the session as
                            it was
sessions                    per (bot, alias, locale, session id), expiring after the bot's
                            ``IdleSessionTTLInSeconds``
==========================  =====================================================================

Errors (``LexError.code`` is the AWS error code): ``ResourceNotFoundException`` (unknown locale or
session), ``ValidationException`` (text over 1,024 characters, a session state naming an unknown
intent or slot), ``DependencyFailedException`` (an intent enables a Lambda code hook and the
alias has none, the function failed, or its response is not one Lex accepts: "Invalid Lambda
Response: ...").

Known limits: English stemming only; built-in slot types other than ``AMAZON.AlphaNumeric`` are
refused when the bot is read; no confirmation prompts of the bot's own (only a code hook's
``ConfirmIntent``), contexts, conditional branching, per-slot code hook settings (a hook enabled on
an intent runs at every turn of it), spelling styles or sentiment; composite and list slots are
not supported; a code hook's ``FulfillmentInProgress`` updates are not streamed.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BUILT_IN_SLOT_TYPES",
    "Bot",
    "CodeHook",
    "LexError",
    "LexRuntime",
    "bot_from_declaration",
    "without_code_hooks",
]

Json = dict[str, Any]

#: Built-in slot types the offline runtime can recognise.
BUILT_IN_SLOT_TYPES = frozenset({"AMAZON.AlphaNumeric"})
FALLBACK_SIGNATURE = "AMAZON.FallbackIntent"
MAX_TEXT = 1024  # RecognizeText's Text: at most 1,024 characters
MAX_INTERPRETATIONS = 5
DEFAULT_THRESHOLD = 0.4
DEFAULT_MAX_RETRIES = 2


class LexError(Exception):
    """An error answered as AWS answers it: ``code`` is the AWS error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- words ----------------------------------------------------------------------------

_CONTRACTIONS = (
    (re.compile(r"n['’]t\b"), " not"),
    (re.compile(r"['’]re\b"), " are"),
    (re.compile(r"['’]m\b"), " am"),
    (re.compile(r"['’]ll\b"), " will"),
    (re.compile(r"['’]ve\b"), " have"),
    (re.compile(r"['’]d\b"), " would"),
    (re.compile(r"['’]s\b"), " is"),
)
_WORD = re.compile(r"[^\W_]+")
#: A surface token: a run of non-space characters without the punctuation around it.
_TOKEN = re.compile(r"[^\s]+")
_EDGE_PUNCTUATION = "\"'“”‘’`,;:!?()[]{}<>.…"
#: Words that close an utterance without being part of a value ("analyse report.pdf please").
_CLOSERS = frozenset({"please", "thanks", "thank", "you", "now", "for", "me", "asap", "today"})


def _expand(text: str) -> str:
    text = text.lower()
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _stem(word: str) -> str:
    """A light English stemmer: plurals, -ed, -ing, -ly, and British -ise/-yse as -ize/-yze."""
    if len(word) <= 3 or not word.isalpha():
        return word
    word = re.sub(r"(?<=[a-z]{2})([iy])s(e|es|ed|ing|er|ers)$", r"\1z\2", word)
    for suffix, replacement, keep in (
        ("ies", "y", 4),
        ("sses", "ss", 4),
        ("ing", "", 5),
        ("ed", "", 4),
        ("es", "e", 4),
        ("ly", "", 5),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= keep - len(suffix) + 1:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # running -> run
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]  # analyze/analyzed -> analyz
    return word


def _words(text: str) -> list[str]:
    return [_stem(word) for word in _WORD.findall(_expand(text))]


@dataclass(frozen=True)
class _Token:
    text: str  # as said, without the punctuation around it
    begin: int
    end: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        raw = match.group()
        left = len(raw) - len(raw.lstrip(_EDGE_PUNCTUATION))
        stripped = raw.strip(_EDGE_PUNCTUATION)
        if stripped:
            begin = match.start() + left
            tokens.append(_Token(stripped, begin, begin + len(stripped)))
    return tokens


def _skeleton(value: str) -> str:
    """A value's punctuation skeleton: runs of letters, digits, "_" and "-" become "W"."""
    return re.sub(r"[\w-]+", "W", value.strip())


# --- the bot --------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotType:
    name: str
    built_in: bool = False
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (value, synonyms)
    strategy: str = "ORIGINAL_VALUE"
    regex: re.Pattern[str] | None = None

    @property
    def token(self) -> str:
        """The word that stands for any value of this type when classifying."""
        return f"⟨{self.name.lower()}⟩"

    @property
    def skeletons(self) -> frozenset[str]:
        """Punctuation skeletons of the sample values that have punctuation (a plain word says
        nothing about the shape of other values)."""
        if self.strategy != "ORIGINAL_VALUE":
            return frozenset()
        shapes = {_skeleton(phrase) for value, synonyms in self.values for phrase in (value, *synonyms)}
        return frozenset(shape for shape in shapes if shape != "W" and " " not in shape)

    @property
    def longest_phrase(self) -> int:
        phrases = [phrase for value, synonyms in self.values for phrase in (value, *synonyms)]
        return max((len(_tokens(phrase)) for phrase in phrases), default=1)


@dataclass(frozen=True)
class Slot:
    name: str
    type: SlotType
    required: bool
    prompt: str | None
    max_retries: int
    allow_interrupt: bool
    samples: tuple[str, ...]


@dataclass(frozen=True)
class Intent:
    name: str
    samples: tuple[str, ...]
    slots: tuple[Slot, ...]  # in elicitation order (SlotPriorities)
    closing: str | None
    fallback: bool = False
    dialog_hook: bool = False
    fulfillment_hook: bool = False

    def slot(self, name: str) -> Slot | None:
        return next((slot for slot in self.slots if slot.name == name), None)


@dataclass
class Locale:
    locale_id: str
    threshold: float
    intents: dict[str, Intent]
    slot_types: dict[str, SlotType]
    classifier: _Classifier = field(init=False)

    def __post_init__(self) -> None:
        self.classifier = _Classifier(self)

    @property
    def fallback(self) -> Intent:
        found = next((intent for intent in self.intents.values() if intent.fallback), None)
        return found or Intent("FallbackIntent", (), (), None, fallback=True)


@dataclass(frozen=True)
class Bot:
    """A bot as the runtime knows it: its locales and how long an idle session lives."""

    name: str
    locales: dict[str, Locale]
    idle_session_ttl: int = 300


def _message(group_list: list[Json] | None) -> str | None:
    """The first plain-text message of a ``MessageGroupsList`` (Lex picks one of the group's
    variations at random; offline it is always the first, so answers are reproducible)."""
    for group in group_list or []:
        text = (group.get("Message") or {}).get("PlainTextMessage", {}).get("Value")
        if text:
            return str(text)
    return None


def _slot_type(declaration: Json) -> SlotType:
    name = declaration["Name"]
    parent = declaration.get("ParentSlotTypeSignature")
    if parent is not None and parent not in BUILT_IN_SLOT_TYPES:
        raise ValueError(f"slot type {name}: the offline Lex runtime cannot extend {parent}")
    setting = declaration.get("ValueSelectionSetting") or {}
    pattern = (setting.get("RegexFilter") or {}).get("Pattern")
    values = tuple(
        (
            str(item["SampleValue"]["Value"]),
            tuple(str(synonym["Value"]) for synonym in item.get("Synonyms", [])),
        )
        for item in declaration.get("SlotTypeValues", [])
    )
    return SlotType(
        name=name,
        values=values,
        strategy=setting.get("ResolutionStrategy", "ORIGINAL_VALUE"),
        regex=re.compile(pattern) if pattern else None,
    )


def _slot(declaration: Json, types: dict[str, SlotType], intent: str) -> Slot:
    type_name = declaration["SlotTypeName"]
    if type_name in BUILT_IN_SLOT_TYPES:
        slot_type = SlotType(type_name, built_in=True)
    elif type_name in types:
        slot_type = types[type_name]
    elif type_name.startswith("AMAZON."):
        raise ValueError(
            f"slot {intent}.{declaration['Name']}: the built-in slot type {type_name} is not available offline "
            f"(the offline Lex runtime has {', '.join(sorted(BUILT_IN_SLOT_TYPES))} and custom slot types)"
        )
    else:
        raise ValueError(f"slot {intent}.{declaration['Name']}: no slot type {type_name} in the locale")
    elicitation = declaration.get("ValueElicitationSetting") or {}
    prompt = elicitation.get("PromptSpecification") or {}
    return Slot(
        name=declaration["Name"],
        type=slot_type,
        required=elicitation.get("SlotConstraint", "Optional") == "Required",
        prompt=_message(prompt.get("MessageGroupsList")),
        max_retries=int(prompt.get("MaxRetries", 2)),
        allow_interrupt=bool(prompt.get("AllowInterrupt", True)),
        samples=tuple(item["Utterance"] for item in elicitation.get("SampleUtterances", [])),
    )


def _intent(declaration: Json, types: dict[str, SlotType]) -> Intent:
    name = declaration["Name"]
    slots = {item["Name"]: _slot(item, types, name) for item in declaration.get("Slots", [])}
    order = [item["SlotName"] for item in sorted(declaration.get("SlotPriorities", []), key=lambda p: p["Priority"])]
    ordered = [slots[slot] for slot in order if slot in slots] + [s for n, s in slots.items() if n not in order]
    samples = tuple(item["Utterance"] for item in declaration.get("SampleUtterances", []))
    for sample in samples:
        for placeholder in re.findall(r"\{(\w+)\}", sample):
            if placeholder not in slots:
                raise ValueError(f"intent {name}: sample utterance {sample!r} names no slot of the intent")
    closing_setting = declaration.get("IntentClosingSetting") or {}
    closing = None
    if closing_setting.get("IsActive", True):
        closing = _message((closing_setting.get("ClosingResponse") or {}).get("MessageGroupsList"))
    return Intent(
        name=name,
        samples=samples,
        slots=tuple(ordered),
        closing=closing,
        fallback=declaration.get("ParentIntentSignature") == FALLBACK_SIGNATURE,
        dialog_hook=bool((declaration.get("DialogCodeHook") or {}).get("Enabled")),
        fulfillment_hook=bool((declaration.get("FulfillmentCodeHook") or {}).get("Enabled")),
    )


def without_code_hooks(declaration: Json) -> Json:
    """A copy of a bot's declaration with every intent's code hooks switched off: what the bot
    understands and asks for by itself (the benchmark of its language model, and tests of the
    dialog without a Lambda function)."""
    bare = copy.deepcopy(declaration)
    for locale in bare.get("BotLocales", []):
        for intent in locale.get("Intents", []):
            intent.pop("DialogCodeHook", None)
            intent.pop("FulfillmentCodeHook", None)
    return bare


def bot_from_declaration(declaration: Json, name: str = "bot") -> Bot:
    """The bot of an ``AWS::Lex::Bot`` declaration (its ``Properties``, or the same keys).

    Raises ``ValueError`` for what the offline runtime cannot serve (a built-in slot type it does
    not recognise, a sample naming no slot), so a bot fails when it is registered, not mid-dialog.
    """
    locales: dict[str, Locale] = {}
    for locale in declaration.get("BotLocales", []):
        types = {item["Name"]: _slot_type(item) for item in locale.get("SlotTypes", [])}
        intents = {item["Name"]: _intent(item, types) for item in locale.get("Intents", [])}
        locales[locale["LocaleId"]] = Locale(
            locale_id=locale["LocaleId"],
            threshold=float(locale.get("NluConfidenceThreshold", DEFAULT_THRESHOLD)),
            intents=intents,
            slot_types=types,
        )
    return Bot(name=name, locales=locales, idle_session_ttl=int(declaration.get("IdleSessionTTLInSeconds", 300)))


# --- slot values ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    original: str
    interpreted: str
    resolved: tuple[str, ...]
    begin: int  # token indexes [begin, end)
    end: int
    weak: bool = False  # only taken when nothing else in the utterance can be meant

    def as_slot(self) -> Json:
        return {
            "value": {
                "originalValue": self.original,
                "interpretedValue": self.interpreted,
                "resolvedValues": list(self.resolved),
            },
            "shape": "Scalar",
        }


_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def _candidates(slot_type: SlotType, tokens: list[_Token], text: str, eliciting: bool) -> list[_Value]:
    """Every span of the utterance that is a value of ``slot_type``."""
    found: list[_Value] = []
    if slot_type.built_in:  # AMAZON.AlphaNumeric
        for index, token in enumerate(tokens):
            if not _ALPHANUMERIC.fullmatch(token.text):
                continue
            has_digit = any(c.isdigit() for c in token.text)
            if not has_digit and _stem(token.text.lower()) in _FUNCTION_WORDS:
                continue
            if has_digit or eliciting:  # a word without digits is an id only when asked for one
                found.append(_Value(token.text, token.text, (), index, index + 1, weak=not has_digit))
        return found
    if slot_type.regex is not None:
        for index, token in enumerate(tokens):
            if slot_type.regex.fullmatch(token.text):
                found.append(_Value(token.text, token.text, (token.text,), index, index + 1))
        return found
    phrases: dict[str, str] = {}
    for value, synonyms in slot_type.values:
        for phrase in (value, *synonyms):
            phrases.setdefault(" ".join(_words(phrase)), value)
    skeletons = slot_type.skeletons
    for length in range(min(slot_type.longest_phrase, len(tokens)), 0, -1):
        for begin in range(len(tokens) - length + 1):
            span = tokens[begin : begin + length]
            said = text[span[0].begin : span[-1].end]
            listed = phrases.get(" ".join(_words(said)))
            if listed is not None:
                interpreted = listed if slot_type.strategy == "TOP_RESOLUTION" else said
                found.append(_Value(said, interpreted, (listed,), begin, begin + length))
            elif length == 1 and _skeleton(said) in skeletons:
                found.append(_Value(said, said, (said,), begin, begin + 1))
    return found


def _anchor_words(samples: Iterable[str], slot: str) -> set[str]:
    """The words that come right before ``{slot}`` in the samples ("job" in "is job {JobId} done")."""
    anchors = set()
    for sample in samples:
        before = sample.split("{" + slot + "}")[0]
        words = _words(before)
        if words and "{" + slot + "}" in sample:
            anchors.add(words[-1])
    return anchors


def _pick(candidates: list[_Value], tokens: list[_Token], anchors: set[str], taken: set[int]) -> _Value | None:
    """The candidate right after an anchor word, else the first; none that overlaps ``taken``.
    A weak candidate is taken only when it is the whole utterance or follows an anchor word."""

    def anchored(candidate: _Value) -> bool:
        if candidate.begin == 0:
            return False
        before = _words(tokens[candidate.begin - 1].text)
        return bool(before) and before[-1] in anchors

    free = [c for c in candidates if not taken.intersection(range(c.begin, c.end))]
    strong = [c for c in free if not c.weak]
    free = strong or [c for c in free if len(tokens) == 1 or anchored(c)]
    if not free:
        return None
    return next((c for c in free if anchored(c)), free[0])


def _free_form(slot: Slot, text: str) -> _Value | None:
    """An ``ORIGINAL_VALUE`` answer to an elicitation that no type rule recognised: what follows
    the slot's sample utterance prefix ("it is called" ...), or a short answer as a whole."""
    if slot.type.built_in or slot.type.regex is not None or slot.type.strategy != "ORIGINAL_VALUE":
        return None
    if slot.type.skeletons:  # values have a shape ("report.pdf"): _candidates found none of it
        return None
    tokens = _tokens(text)
    for sample in sorted(slot.samples, key=len, reverse=True):
        prefix, marker, suffix = sample.partition("{" + slot.name + "}")
        if not marker or suffix.strip():
            continue
        prefix_words = _words(prefix)
        for index in range(len(tokens) + 1):
            if _words(" ".join(t.text for t in tokens[:index])) == prefix_words and index < len(tokens):
                rest = tokens[index:]
                while rest and rest[-1].text.lower() in _CLOSERS:
                    rest = rest[:-1]
                if rest and len(rest) <= 6:
                    said = text[rest[0].begin : rest[-1].end]
                    return _Value(said, said, (said,), index, index + len(rest))
    return None


def _extract(intent: Intent, text: str, eliciting: str | None = None) -> dict[str, _Value]:
    """The intent's slot values said in ``text``; ``eliciting`` names the slot being asked for."""
    tokens = _tokens(text)
    values: dict[str, _Value] = {}
    taken: set[int] = set()
    slots = sorted(intent.slots, key=lambda slot: slot.name != eliciting)  # the elicited slot first
    for slot in slots:
        asked = slot.name == eliciting
        candidates = _candidates(slot.type, tokens, text, eliciting=asked)
        anchors = _anchor_words(intent.samples + (slot.samples if asked else ()), slot.name)
        value = _pick(candidates, tokens, anchors, taken)
        if value is None and asked:
            value = _free_form(slot, text)
        if value is not None:
            values[slot.name] = value
            taken.update(range(value.begin, value.end))
    return values


# --- classification -------------------------------------------------------------------


def _features(text: str, locale: Locale, slot_types: dict[str, SlotType] | None = None) -> list[str]:
    """Stemmed words, with a sample's ``{Slot}`` placeholders and the utterance's slot-shaped
    words replaced by the slot type's token."""
    words: list[str] = []
    types = list(locale.slot_types.values()) + [SlotType(name, built_in=True) for name in BUILT_IN_SLOT_TYPES]
    for token in _tokens(text):
        placeholder = re.search(r"\{(\w+)\}", text[max(token.begin - 1, 0) : token.end + 1])
        if placeholder and slot_types is not None:
            slot_type = slot_types.get(placeholder.group(1))
            if slot_type is not None:
                words.append(slot_type.token)
                continue
        if slot_types is None:
            shaped = [t for t in types if _candidates(t, [token], text, eliciting=False)]
            if shaped:
                words.append(shaped[0].token)
                continue
        words.extend(_words(token.text))
    return words


#: English function words: they say little about what is asked, wherever they come from.
_FUNCTION_WORD_LIST = (
    "a an the this that these those my your our their his her its me you i we they he she it him them us "
    "is am are was were be been being do does did have has had will would can could shall should may might "
    "must of in on at to for from with by about into onto over under up down out off as than then so and or "
    "but if not no yes please thanks thank just also any some all what which who whom whose where when why "
    "how there here let like want need get got give"
)
_FUNCTION_WORDS = frozenset(_stem(word) for word in _FUNCTION_WORD_LIST.split())
FUNCTION_WORD_WEIGHT = 0.25


def _grams(words: list[str]) -> Counter[str]:
    grams: Counter[str] = Counter(words)
    grams.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return grams


def _char_grams(words: list[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in words:
        if word.startswith("⟨"):
            grams[word] += 1
            continue
        if word in _FUNCTION_WORDS:
            continue
        padded = f" {word} "
        for size in (3, 4, 5):
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


class _Space:
    """TF-IDF over a fixed set of documents; terms the documents lack weigh the most."""

    def __init__(self, documents: list[Counter[str]]) -> None:
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(document.keys())
        count = len(documents)
        self.idf = {term: math.log((1 + count) / (1 + n)) + 1 for term, n in frequency.items()}
        self.unseen = math.log(1 + count) + 1
        self.vectors = [self.vector(document) for document in documents]

    def vector(self, document: Counter[str]) -> dict[str, float]:
        weights = {
            term: (1 + math.log(n))
            * self.idf.get(term, self.unseen)
            * (FUNCTION_WORD_WEIGHT if term in _FUNCTION_WORDS else 1.0)
            for term, n in document.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {term: w / norm for term, w in weights.items()}

    def centroid(self, indexes: list[int]) -> dict[str, float]:
        total: Counter[str] = Counter()
        for index in indexes:
            total.update(self.vectors[index])
        norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
        return {term: w / norm for term, w in total.items()}

    @staticmethod
    def cosine(a: dict[str, float], b: dict[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(w * b.get(term, 0.0) for term, w in a.items())


class _Classifier:
    """Scores an utterance against each intent: half its best sample, half the centroid of its
    samples (the intent's vocabulary as a whole), each half words and character n-grams alike.
    The similarity is mapped to a confidence by ``1 - exp(-similarity / SIMILARITY_SCALE)``, so that
    Lex's default threshold of 0.4 falls where an utterance shares about one informative word with
    the intent."""

    WORD_WEIGHT = 0.5  # the rest goes to character n-grams
    BEST_SAMPLE_WEIGHT = 0.5  # the rest goes to the intent's centroid
    SIMILARITY_SCALE = 0.25

    def __init__(self, locale: Locale) -> None:
        self.intents: list[str] = []
        documents: list[list[str]] = []
        for intent in locale.intents.values():
            if intent.fallback:
                continue
            types = {slot.name: slot.type for slot in intent.slots}
            for sample in intent.samples:
                self.intents.append(intent.name)
                documents.append(_features(sample, locale, types))
        self.locale = locale
        self.words = _Space([_grams(d) for d in documents])
        self.chars = _Space([_char_grams(d) for d in documents])
        self.samples = {name: [i for i, intent in enumerate(self.intents) if intent == name] for name in self.intents}
        self.centroids = {
            name: (self.words.centroid(indexes), self.chars.centroid(indexes)) for name, indexes in self.samples.items()
        }

    def _similarity(self, words: dict[str, float], chars: dict[str, float], index: int) -> float:
        return self.WORD_WEIGHT * _Space.cosine(words, self.words.vectors[index]) + (
            1 - self.WORD_WEIGHT
        ) * _Space.cosine(chars, self.chars.vectors[index])

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Intents best first, each with its confidence in [0, 1]."""
        features = _features(text, self.locale)
        words, chars = self.words.vector(_grams(features)), self.chars.vector(_char_grams(features))
        scores = {}
        for name, indexes in self.samples.items():
            best = max(self._similarity(words, chars, index) for index in indexes)
            word_centroid, char_centroid = self.centroids[name]
            centroid = self.WORD_WEIGHT * _Space.cosine(words, word_centroid) + (1 - self.WORD_WEIGHT) * _Space.cosine(
                chars, char_centroid
            )
            similarity = self.BEST_SAMPLE_WEIGHT * best + (1 - self.BEST_SAMPLE_WEIGHT) * centroid
            scores[name] = 1 - math.exp(-similarity / self.SIMILARITY_SCALE)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


# --- code hooks -----------------------------------------------------------------------


@dataclass(frozen=True)
class CodeHook:
    """The Lambda function a bot alias runs as the code hook of one locale.

    ``invoke`` takes the Lex V2 event and returns the function's response; it raises
    ``LexError`` (``DependencyFailedException``) when the function cannot be invoked or fails, as
    Lex answers then. ``bot`` is the event's ``bot``: id, name, version, alias id and name."""

    invoke: Callable[[Json], Json]
    bot: Json


DIALOG_ACTIONS = frozenset({"Close", "ConfirmIntent", "Delegate", "ElicitIntent", "ElicitSlot"})
INTENT_STATES = frozenset(
    {"Failed", "Fulfilled", "FulfillmentInProgress", "InProgress", "ReadyForFulfillment", "Waiting"}
)
CONFIRMATION_STATES = frozenset({"Confirmed", "Denied", "None"})
CONTENT_TYPES = frozenset({"PlainText", "SSML", "CustomPayload", "ImageResponseCard"})
MAX_MESSAGES = 10
_YES = frozenset({"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "confirm", "affirmative"})
_NO = frozenset({"no", "nope", "nah", "cancel", "stop", "negative", "not", "never"})


def _yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for neither (a "no" word wins: "no thanks")."""
    words = set(_WORD.findall(_expand(text)))
    if words & _NO:
        return False
    if words & _YES:
        return True
    return None


def _invalid(why: str) -> LexError:
    return LexError("DependencyFailedException", f"Invalid Lambda Response: {why}")


# --- sessions and dialog ----------------------------------------------------------------

SessionKey = tuple[str, ...]


@dataclass
class _Session:
    session_id: str
    state: Json = field(default_factory=dict)
    messages: list[Json] = field(default_factory=list)
    interpretations: list[Json] = field(default_factory=list)
    retries: int = 0
    used: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> tuple[Json, list[Json], list[Json], int]:
        copies = copy.deepcopy((self.state, self.messages, self.interpretations))
        return copies[0], copies[1], copies[2], self.retries

    def restore(self, saved: tuple[Json, list[Json], list[Json], int]) -> None:
        self.state, self.messages, self.interpretations, self.retries = saved


@dataclass
class _Turn:
    """One utterance being answered: where, what was said, how it ranks, who hooks it."""

    locale: Locale
    session: _Session
    text: str
    ranked: list[tuple[str, float]]
    hook: CodeHook | None
    request_attributes: Json | None


def _score(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 2)


class LexRuntime:
    """Sessions of every bot, and the dialog of each turn."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions: dict[SessionKey, _Session] = {}
        self._lock = threading.Lock()  # the sessions; each session has its own lock for its turns
        self._clock = clock

    # -- the operations (requests and answers in botocore's shapes) --

    def recognize_text(self, bot: Bot, key: SessionKey, request: Json, hook: CodeHook | None = None) -> Json:
        """One turn. ``hook`` is the alias's code hook for the locale, if it has one: intents
        that enable a hook have it invoked; without one they fail (``DependencyFailedException``).
        A turn that fails leaves the session as it was."""
        locale = self._locale(bot, request["localeId"])
        text = str(request.get("text") or "")
        if not text.strip():
            raise LexError("ValidationException", "1 validation error detected: Value at 'text' must not be blank")
        if len(text) > MAX_TEXT:
            raise LexError(
                "ValidationException",
                f"1 validation error detected: Value at 'text' failed to satisfy constraint: Member must have "
                f"length less than or equal to {MAX_TEXT}",
            )
        with self._lock:
            session = self._session(bot, key, request["sessionId"], create=True)
        assert session is not None
        # Lex answers one turn of a session at a time and refuses, not queues, a second one.
        if not session.lock.acquire(blocking=False):
            raise LexError(
                "ConflictException",
                f"concurrent requests are not allowed on the same session ({request['sessionId']})",
            )
        try:
            saved = session.snapshot()
            try:
                if request.get("sessionState"):
                    self._check_state(locale, request["sessionState"])
                    session.state = copy.deepcopy(request["sessionState"])
                session.state.setdefault("sessionAttributes", {})
                ranked = locale.classifier.rank(text)
                self._turn(_Turn(locale, session, text, ranked, hook, request.get("requestAttributes")))
            except LexError:
                session.restore(saved)
                raise
            session.state["originatingRequestId"] = str(uuid.uuid4())
            answer: Json = {
                "messages": copy.deepcopy(session.messages),
                "sessionState": copy.deepcopy(session.state),
                "interpretations": copy.deepcopy(session.interpretations),
                "sessionId": session.session_id,
            }
        finally:
            session.lock.release()
        if request.get("requestAttributes"):
            answer["requestAttributes"] = dict(request["requestAttributes"])
        return answer

    def get_session(self, bot: Bot, key: SessionKey, request: Json) -> Json:
        self._locale(bot, request["localeId"])
        with self._lock:
            session = self._session(bot, key, request["sessionId"], create=False)
            if session is None:
                raise LexError("ResourceNotFoundException", f"Session {request['sessionId']} does not exist")
            return {
                "sessionId": session.session_id,
                "messages": copy.deepcopy(session.messages),
                "interpretations": copy.deepcopy(session.interpretations),
                "sessionState": copy.deepcopy(session.state),
            }

    def put_session(self, bot: Bot, key: SessionKey, request: Json) -> Json:
        locale = self._locale(bot, request["localeId"])
        state = request.get("sessionState") or {}
        self._check_state(locale, state)
        with self._lock:
            session = self._session(bot, key, request["sessionId"], create=True)
            assert session is not None
            session.state = copy.deepcopy(state)
            session.state.setdefault("sessionAttributes", {})
            session.state["originatingRequestId"] = str(uuid.uuid4())
            session.messages = copy.deepcopy(request.get("messages") or [])
            session.interpretations = []
            session.retries = 0
            answer: Json = {
                "sessionId": session.session_id,
                "sessionState": copy.deepcopy(session.state),
                "messages": copy.deepcopy(session.messages),
            }
        if request.get("requestAttributes"):
            answer["requestAttributes"] = dict(request["requestAttributes"])
        return answer

    def delete_session(self, bot: Bot, key: SessionKey, request: Json) -> Json:
        self._locale(bot, request["localeId"])
        with self._lock:
            if self._session(bot, key, request["sessionId"], create=False) is None:
                raise LexError("ResourceNotFoundException", f"Session {request['sessionId']} does not exist")
            del self._sessions[key]
        return {
            "botId": request["botId"],
            "botAliasId": request["botAliasId"],
            "localeId": request["localeId"],
            "sessionId": request["sessionId"],
        }

    # -- helpers --

    @staticmethod
    def _locale(bot: Bot, locale_id: str) -> Locale:
        locale = bot.locales.get(locale_id)
        if locale is None:
            raise LexError(
                "ResourceNotFoundException",
                f"Locale {locale_id} is not found for bot {bot.name} (it has {', '.join(sorted(bot.locales))})",
            )
        return locale

    def _session(self, bot: Bot, key: SessionKey, session_id: str, create: bool) -> _Session | None:
        now = self._clock()
        session = self._sessions.get(key)
        if session is not None and now - session.used > bot.idle_session_ttl:
            del self._sessions[key]  # expired, as Lex forgets an idle session
            session = None
        if session is None and create:
            session = self._sessions[key] = _Session(session_id)
        if session is not None:
            session.used = now
        return session

    @staticmethod
    def _check_state(locale: Locale, state: Json) -> None:
        intent = state.get("intent")
        if not intent:
            return
        declared = locale.intents.get(intent["name"])
        if declared is None:
            raise LexError(
                "ValidationException", f"Intent {intent['name']} is not defined in locale {locale.locale_id}"
            )
        for slot in intent.get("slots") or {}:
            if declared.slot(slot) is None:
                raise LexError("ValidationException", f"Slot {slot} is not defined in intent {intent['name']}")

    def _turn(self, turn: _Turn) -> None:
        """One utterance: go on with the slot or confirmation being asked for, or recognise an intent."""
        locale, session, text = turn.locale, turn.session, turn.text
        state = session.state
        action = state.get("dialogAction") or {}
        current = state.get("intent") or {}
        intent = locale.intents.get(current.get("name", ""))
        confirmation = str(current.get("confirmationState") or "None")
        top, score = turn.ranked[0] if turn.ranked else ("", 0.0)
        if action.get("type") == "ElicitSlot" and intent is not None and intent.slot(action.get("slotToElicit", "")):
            slot = intent.slot(action["slotToElicit"])
            assert slot is not None
            values = _extract(intent, text, eliciting=slot.name)
            if slot.name in values:
                session.retries = 0
                slots = dict(current.get("slots") or {})
                slots.update({name: value.as_slot() for name, value in values.items() if not slots.get(name)})
                slots[slot.name] = values[slot.name].as_slot()
                self._continue(turn, intent, slots, confidence=1.0, confirmation=confirmation)
                return
            if slot.allow_interrupt and top != intent.name and score >= locale.threshold:
                session.retries = 0
                self._recognise(turn)
                return
            session.retries += 1
            if session.retries <= slot.max_retries:
                self._elicit(turn, intent, dict(current.get("slots") or {}), slot, confidence=1.0)
                return
            session.retries = 0
            self._fall_back(turn)
            return
        if action.get("type") == "ConfirmIntent" and intent is not None:
            answer = _yes_or_no(text)
            if answer is not None:
                session.retries = 0
                confirmed = "Confirmed" if answer else "Denied"
                self._continue(turn, intent, dict(current.get("slots") or {}), confidence=1.0, confirmation=confirmed)
                return
            if top != intent.name and score >= locale.threshold:
                session.retries = 0
                self._recognise(turn)
                return
            session.retries += 1
            if session.retries <= DEFAULT_MAX_RETRIES:
                return  # asked again: the same state and messages
            session.retries = 0
            self._fall_back(turn)
            return
        session.retries = 0
        self._recognise(turn)

    def _recognise(self, turn: _Turn) -> None:
        if not turn.ranked or turn.ranked[0][1] < turn.locale.threshold:
            self._fall_back(turn)
            return
        name, score = turn.ranked[0]
        intent = turn.locale.intents[name]
        values = _extract(intent, turn.text)
        slots: Json = {slot.name: None for slot in intent.slots}
        slots.update({name: value.as_slot() for name, value in values.items()})
        self._continue(turn, intent, slots, confidence=score)

    def _fall_back(self, turn: _Turn) -> None:
        self._continue(turn, turn.locale.fallback, {}, confidence=0.0)

    def _continue(
        self,
        turn: _Turn,
        intent: Intent,
        slots: Json,
        confidence: float,
        confirmation: str = "None",
        hooked: bool = True,
    ) -> None:
        """The intent's next step: its dialog code hook first (when it enables one), then the next
        required slot without a value is elicited, or the intent is fulfilled."""
        slots = {slot.name: slots.get(slot.name) for slot in intent.slots}
        missing = next((slot for slot in intent.slots if slot.required and not slots.get(slot.name)), None)
        if intent.dialog_hook and hooked:
            current = {"name": intent.name, "slots": slots, "state": "InProgress", "confirmationState": confirmation}
            proposed = None
            if missing is not None:
                proposed = {
                    "dialogAction": {"type": "ElicitSlot", "slotToElicit": missing.name},
                    "intent": copy.deepcopy(current),
                    "prompt": {"attempt": "Initial"},
                }
            response = self._invoke(turn, "DialogCodeHook", current, confidence, proposed)
            delegated = self._apply(turn, response, current, confidence)
            if delegated is None:
                return
            intent = turn.locale.intents[delegated["name"]]
            self._continue(
                turn, intent, delegated["slots"], confidence, delegated["confirmationState"], hooked=False
            )
            return
        if missing is not None:
            self._elicit(turn, intent, slots, missing, confidence)
            return
        if confirmation == "Denied":  # the user said no: the intent ends unfulfilled
            self._close(turn, {**self._intent_state(intent, slots, "Failed", confirmation)}, [], confidence)
            return
        self._fulfil(turn, intent, slots, confidence, confirmation)

    def _fulfil(self, turn: _Turn, intent: Intent, slots: Json, confidence: float, confirmation: str) -> None:
        """Every required slot has a value: the fulfillment code hook runs (when the intent
        enables one) and says how it went; without one the intent is ReadyForFulfillment."""
        ready = self._intent_state(intent, slots, "ReadyForFulfillment", confirmation)
        closing = [{"content": intent.closing, "contentType": "PlainText"}] if intent.closing else []
        if not intent.fulfillment_hook:
            self._close(turn, ready, closing, confidence)
            return
        response = self._invoke(turn, "FulfillmentCodeHook", ready, confidence, None)
        delegated = self._apply(turn, response, ready, confidence)
        if delegated is not None:  # the hook left it to Lex: fulfilled, with the closing response
            done = {**delegated, "state": "Fulfilled"}
            self._close(turn, done, closing, confidence)

    def _elicit(self, turn: _Turn, intent: Intent, slots: Json, slot: Slot, confidence: float) -> None:
        state = turn.session.state
        full = {s.name: slots.get(s.name) for s in intent.slots}
        confirmation = str((state.get("intent") or {}).get("confirmationState") or "None")
        state["intent"] = self._intent_state(intent, full, "InProgress", confirmation)
        state["dialogAction"] = {"type": "ElicitSlot", "slotToElicit": slot.name}
        turn.session.messages = [{"content": slot.prompt, "contentType": "PlainText"}] if slot.prompt else []
        turn.session.interpretations = self._interpretations(turn, state["intent"], confidence)

    def _close(self, turn: _Turn, intent_state: Json, messages: list[Json], confidence: float) -> None:
        state = turn.session.state
        state["intent"] = copy.deepcopy(intent_state)
        state["dialogAction"] = {"type": "Close"}
        turn.session.messages = messages
        turn.session.interpretations = self._interpretations(turn, state["intent"], confidence)

    @staticmethod
    def _intent_state(intent: Intent, slots: Json, state: str, confirmation: str) -> Json:
        return {
            "name": intent.name,
            "slots": {} if intent.fallback else {s.name: slots.get(s.name) for s in intent.slots},
            "state": state,
            "confirmationState": confirmation,
        }

    # -- the code hook --

    def _invoke(self, turn: _Turn, source: str, intent: Json, confidence: float, proposed: Json | None) -> Json:
        """The Lex V2 event of this turn for ``source``, to the alias's code hook; its response."""
        if turn.hook is None:
            raise LexError(
                "DependencyFailedException",
                f"Intent {intent['name']} enables a Lambda code hook ({source}), but the bot alias has no Lambda "
                f"function for locale {turn.locale.locale_id} (the alias's botAliasLocaleSettings name none)",
            )
        session = turn.session
        event: Json = {
            "messageVersion": "1.0",
            "invocationSource": source,
            "inputMode": "Text",
            "responseContentType": "text/plain; charset=utf-8",
            "sessionId": session.session_id,
            "inputTranscript": turn.text,
            "bot": {**turn.hook.bot, "localeId": turn.locale.locale_id},
            "interpretations": [
                {
                    **({"nluConfidence": i["nluConfidence"]["score"]} if "nluConfidence" in i else {}),
                    "intent": {"slots": {}, "state": "InProgress", "confirmationState": "None", **i["intent"]},
                    "interpretationSource": i["interpretationSource"],
                }
                for i in self._interpretations(turn, intent, confidence)
            ],
            "sessionState": {
                "sessionAttributes": copy.deepcopy(session.state.get("sessionAttributes") or {}),
                "activeContexts": [],
                "intent": copy.deepcopy(intent),
                "originatingRequestId": str(uuid.uuid4()),
            },
        }
        if proposed is not None:
            event["proposedNextState"] = proposed
        if turn.request_attributes:
            event["requestAttributes"] = dict(turn.request_attributes)
        return turn.hook.invoke(event)

    def _apply(self, turn: _Turn, response: Any, invoked: Json, confidence: float) -> Json | None:
        """Honour the code hook's response: its session attributes, intent and dialog action, with
        its messages (else the bot's own prompt or closing response). Returns the intent to go on
        with when the hook delegates to Lex, else None. A response Lex would refuse raises
        ``DependencyFailedException`` ("Invalid Lambda Response")."""
        if not isinstance(response, dict):
            raise _invalid("the response is not a JSON object")
        state = response.get("sessionState")
        if not isinstance(state, dict):
            raise _invalid("sessionState is required")
        action = state.get("dialogAction")
        if not isinstance(action, dict) or action.get("type") not in DIALOG_ACTIONS:
            raise _invalid(f"sessionState.dialogAction.type must be one of {', '.join(sorted(DIALOG_ACTIONS))}")
        kind = action["type"]
        attributes = state.get("sessionAttributes", turn.session.state.get("sessionAttributes") or {})
        if not isinstance(attributes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
        ):
            raise _invalid("sessionState.sessionAttributes must map strings to strings")
        messages = self._hook_messages(response.get("messages"))
        intent_json = state.get("intent")
        if intent_json is None and kind in ("Delegate", "ElicitIntent"):
            intent_json = invoked
        intent, answered = self._hook_intent(turn.locale, intent_json, kind)
        session = turn.session
        session.state["sessionAttributes"] = dict(attributes)
        if kind == "Delegate":
            return answered
        if kind == "ElicitSlot":
            slot = intent.slot(str(action.get("slotToElicit") or ""))
            if slot is None:
                raise _invalid(f"slotToElicit {action.get('slotToElicit')!r} is not a slot of intent {intent.name}")
            self._elicit_as_told(turn, {**answered, "state": answered.get("state") or "InProgress"}, slot, messages)
        elif kind == "ConfirmIntent":
            if not messages:
                raise _invalid("messages are required with ConfirmIntent")
            session.state["intent"] = {**answered, "state": answered.get("state") or "InProgress"}
            session.state["dialogAction"] = {"type": "ConfirmIntent"}
            session.messages = messages
        elif kind == "ElicitIntent":
            if not messages:
                raise _invalid("messages are required with ElicitIntent")
            session.state.pop("intent", None)
            session.state["dialogAction"] = {"type": "ElicitIntent"}
            session.messages = messages
        else:  # Close
            if not answered.get("state"):
                raise _invalid("sessionState.intent.state is required with Close")
            closing = [{"content": intent.closing, "contentType": "PlainText"}] if intent.closing else []
            self._close(turn, answered, messages or (closing if answered["state"] == "Fulfilled" else []), confidence)
            return None
        session.interpretations = self._interpretations(turn, session.state.get("intent") or invoked, confidence)
        return None

    def _elicit_as_told(self, turn: _Turn, intent_state: Json, slot: Slot, messages: list[Json]) -> None:
        state = turn.session.state
        state["intent"] = intent_state
        state["dialogAction"] = {"type": "ElicitSlot", "slotToElicit": slot.name}
        prompt = [{"content": slot.prompt, "contentType": "PlainText"}] if slot.prompt else []
        turn.session.messages = messages or prompt

    @staticmethod
    def _hook_intent(locale: Locale, intent_json: Any, kind: str) -> tuple[Intent, Json]:
        """The hook's intent, checked against the bot, with its slots in Lex's full shape."""
        if not isinstance(intent_json, dict) or not isinstance(intent_json.get("name"), str):
            raise _invalid(f"sessionState.intent with a name is required with {kind}")
        intent = locale.intents.get(intent_json["name"])
        if intent is None:
            raise _invalid(f"intent {intent_json['name']} is not defined in locale {locale.locale_id}")
        state = intent_json.get("state")
        if state is not None and state not in INTENT_STATES:
            raise _invalid(f"intent state {state!r} is not one of {', '.join(sorted(INTENT_STATES))}")
        confirmation = intent_json.get("confirmationState") or "None"
        if confirmation not in CONFIRMATION_STATES:
            raise _invalid(f"confirmationState {confirmation!r} is not one of Confirmed, Denied, None")
        given = intent_json.get("slots") or {}
        if not isinstance(given, dict):
            raise _invalid("intent.slots must be an object")
        slots: Json = {}
        for name, value in given.items():
            if intent.slot(name) is None:
                raise _invalid(f"slot {name} is not defined in intent {intent.name}")
            slots[name] = LexRuntime._hook_slot(name, value)
        answered: Json = {
            "name": intent.name,
            "slots": {} if intent.fallback else {s.name: slots.get(s.name) for s in intent.slots},
            "confirmationState": confirmation,
        }
        if state is not None:
            answered["state"] = state
        return intent, answered

    @staticmethod
    def _hook_slot(name: str, slot: Any) -> Json | None:
        if slot is None:
            return None
        value = slot.get("value") if isinstance(slot, dict) else None
        if not isinstance(value, dict) or not isinstance(value.get("interpretedValue"), str):
            raise _invalid(f"slot {name} needs value.interpretedValue (a string), or null")
        resolved = value.get("resolvedValues") or []
        if not isinstance(resolved, list) or not all(isinstance(v, str) for v in resolved):
            raise _invalid(f"slot {name}: resolvedValues must be a list of strings")
        return {
            "value": {
                "originalValue": str(value.get("originalValue") or value["interpretedValue"]),
                "interpretedValue": value["interpretedValue"],
                "resolvedValues": list(resolved),
            },
            "shape": "Scalar",
        }

    @staticmethod
    def _hook_messages(messages: Any) -> list[Json]:
        if messages is None:
            return []
        if not isinstance(messages, list) or len(messages) > MAX_MESSAGES:
            raise _invalid(f"messages must be a list of at most {MAX_MESSAGES}")
        checked = []
        for message in messages:
            if not isinstance(message, dict) or message.get("contentType") not in CONTENT_TYPES:
                raise _invalid(f"each message needs a contentType, one of {', '.join(sorted(CONTENT_TYPES))}")
            if message["contentType"] == "ImageResponseCard":
                if not isinstance(message.get("imageResponseCard"), dict):
                    raise _invalid("an ImageResponseCard message needs its imageResponseCard")
                checked.append({"contentType": "ImageResponseCard", "imageResponseCard": message["imageResponseCard"]})
                continue
            if not isinstance(message.get("content"), str) or not message["content"]:
                raise _invalid("each message needs its content")
            checked.append({"content": message["content"], "contentType": message["contentType"]})
        return checked

    def _interpretations(self, turn: _Turn, chosen: Json, confidence: float) -> list[Json]:
        """The chosen intent first, then the fallback intent (never scored), then the others; when
        the turn fell back, the fallback intent first and every intent scored after it."""
        locale, ranked = turn.locale, turn.ranked
        if chosen["name"] == locale.fallback.name:
            return [{"intent": {"name": locale.fallback.name, "slots": {}}, "interpretationSource": "Lex"}] + [
                {"intent": {"name": name}, "nluConfidence": {"score": _score(score)}, "interpretationSource": "Lex"}
                for name, score in ranked[: MAX_INTERPRETATIONS - 1]
            ]
        interpretations: list[Json] = [
            {
                "intent": copy.deepcopy(chosen),
                "nluConfidence": {"score": _score(confidence)},
                "interpretationSource": "Lex",
            },
            {"intent": {"name": locale.fallback.name, "slots": {}}, "interpretationSource": "Lex"},
        ]
        for name, score in ranked:
            if len(interpretations) >= MAX_INTERPRETATIONS:
                break
            if name != chosen["name"]:
                interpretations.append(
                    {"intent": {"name": name}, "nluConfidence": {"score": _score(score)}, "interpretationSource": "Lex"}
                )
        return interpretations
