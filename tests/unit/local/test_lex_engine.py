"""The offline Lex V2 runtime (insight_local.ai.lex) on Insight's declared bot and on a small
bot of another domain: intents recognised from utterances that are not samples, slot values
taken from what was said, slots elicited across turns, sessions kept, botocore's shapes kept."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from insight_local.ai import lex
from insight_local.ai.lex import LexError, LexRuntime
from tests.botocore_shapes import check_shape

ROOT = Path(__file__).resolve().parents[3]
DECLARATION = json.loads((ROOT / "infra" / "bots" / "insight.json").read_text())
LEX = botocore.session.get_session().get_service_model("lexv2-runtime")
JOB = "0a4d55a8d778e5022fab701977c5d840"
KEY = ("account", "region", "BOTID12345", "TSTALIASID", "en_US", "session-1")

#: A bot of another domain, declared the same way: the runtime knows nothing of Insight.
COFFEE: dict[str, Any] = {
    "IdleSessionTTLInSeconds": 60,
    "BotLocales": [
        {
            "LocaleId": "en_US",
            "NluConfidenceThreshold": 0.4,
            "SlotTypes": [
                {
                    "Name": "Drink",
                    "ValueSelectionSetting": {"ResolutionStrategy": "TOP_RESOLUTION"},
                    "SlotTypeValues": [
                        {"SampleValue": {"Value": "espresso"}, "Synonyms": [{"Value": "short black"}]},
                        {"SampleValue": {"Value": "flat white"}},
                        {"SampleValue": {"Value": "latte"}, "Synonyms": [{"Value": "caffe latte"}]},
                    ],
                },
                {
                    "Name": "Size",
                    "ValueSelectionSetting": {"ResolutionStrategy": "TOP_RESOLUTION"},
                    "SlotTypeValues": [
                        {"SampleValue": {"Value": "small"}, "Synonyms": [{"Value": "tall"}]},
                        {"SampleValue": {"Value": "large"}, "Synonyms": [{"Value": "big"}, {"Value": "venti"}]},
                    ],
                },
                {
                    "Name": "Table",
                    "ParentSlotTypeSignature": "AMAZON.AlphaNumeric",
                    "ValueSelectionSetting": {
                        "ResolutionStrategy": "ORIGINAL_VALUE",
                        "RegexFilter": {"Pattern": "T[0-9]{2}"},
                    },
                },
            ],
            "Intents": [
                {
                    "Name": "OrderDrink",
                    "SampleUtterances": [
                        {"Utterance": "I would like a {Size} {Drink}"},
                        {"Utterance": "order a {Drink}"},
                        {"Utterance": "can I get a {Drink} please"},
                        {"Utterance": "a {Size} {Drink} to table {Table}"},
                        {"Utterance": "I want a coffee"},
                    ],
                    "Slots": [
                        {
                            "Name": "Drink",
                            "SlotTypeName": "Drink",
                            "ValueElicitationSetting": {
                                "SlotConstraint": "Required",
                                "PromptSpecification": {
                                    "MessageGroupsList": [{"Message": {"PlainTextMessage": {"Value": "Which drink?"}}}],
                                    "MaxRetries": 1,
                                },
                            },
                        },
                        {
                            "Name": "Size",
                            "SlotTypeName": "Size",
                            "ValueElicitationSetting": {
                                "SlotConstraint": "Required",
                                "PromptSpecification": {
                                    "MessageGroupsList": [{"Message": {"PlainTextMessage": {"Value": "What size?"}}}],
                                    "MaxRetries": 1,
                                },
                            },
                        },
                        {
                            "Name": "Table",
                            "SlotTypeName": "Table",
                            "ValueElicitationSetting": {"SlotConstraint": "Optional"},
                        },
                    ],
                    "SlotPriorities": [{"Priority": 1, "SlotName": "Drink"}, {"Priority": 2, "SlotName": "Size"}],
                    "IntentClosingSetting": {
                        "ClosingResponse": {
                            "MessageGroupsList": [{"Message": {"PlainTextMessage": {"Value": "Coming right up."}}}]
                        }
                    },
                },
                {
                    "Name": "OpeningHours",
                    "SampleUtterances": [
                        {"Utterance": "when do you open"},
                        {"Utterance": "what are your opening hours"},
                        {"Utterance": "are you open on sunday"},
                    ],
                },
                {"Name": "FallbackIntent", "ParentIntentSignature": "AMAZON.FallbackIntent"},
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def insight() -> lex.Bot:
    """Insight's bot understanding and asking by itself: its code hooks (the assistant's Lambda
    function, tested end to end in tests/e2e/test_chat.py) switched off."""
    return lex.bot_from_declaration(lex.without_code_hooks(DECLARATION), "insight")


@pytest.fixture(scope="module")
def coffee() -> lex.Bot:
    return lex.bot_from_declaration(COFFEE, "coffee")


class Chat:
    """One session with a bot: ``say`` sends RecognizeText and checks the answer's shape."""

    def __init__(self, bot: lex.Bot, runtime: LexRuntime | None = None, key: tuple[str, ...] = KEY) -> None:
        self.bot, self.runtime, self.key = bot, runtime or LexRuntime(), key

    def request(self, **fields: Any) -> dict[str, Any]:
        return {
            "botId": self.key[2],
            "botAliasId": self.key[3],
            "localeId": "en_US",
            "sessionId": self.key[5],
            **fields,
        }

    def say(self, text: str, **fields: Any) -> dict[str, Any]:
        answer = self.runtime.recognize_text(self.bot, self.key, self.request(text=text, **fields))
        check_shape(answer, LEX.operation_model("RecognizeText").output_shape)
        assert len(answer["interpretations"]) <= 5 and len(answer["messages"]) <= 10
        return answer


def intent(answer: dict[str, Any]) -> dict[str, Any]:
    return dict(answer["sessionState"]["intent"])


def slot(answer: dict[str, Any], name: str) -> str | None:
    value = intent(answer)["slots"].get(name)
    return None if value is None else str(value["value"]["interpretedValue"])


# --- the declaration ---------------------------------------------------------------------


def test_the_declared_bot_is_read_with_its_intents_slots_and_prompts(insight: lex.Bot) -> None:
    locale = insight.locales["en_US"]
    assert set(locale.intents) == {"CheckJobStatus", "GetJobResults", "StartAnalysis", "FallbackIntent"}
    assert locale.fallback.name == "FallbackIntent" and locale.threshold == 0.4
    job = locale.intents["CheckJobStatus"].slots[0]
    assert (job.name, job.type.name, job.required) == ("JobId", "AMAZON.AlphaNumeric", True)
    assert job.prompt == "Which job? Please give me its job id."
    assert locale.intents["StartAnalysis"].slots[0].type.skeletons == {"W.W", "W/W/W.W"}


def test_a_bot_the_runtime_cannot_serve_is_refused_when_read() -> None:
    unknown_type = copy.deepcopy(COFFEE)
    unknown_type["BotLocales"][0]["Intents"][0]["Slots"][0]["SlotTypeName"] = "AMAZON.Date"
    with pytest.raises(ValueError, match=r"AMAZON\.Date is not available offline"):
        lex.bot_from_declaration(unknown_type)
    stray_placeholder = copy.deepcopy(COFFEE)
    stray_placeholder["BotLocales"][0]["Intents"][1]["SampleUtterances"].append({"Utterance": "open at {Time}"})
    with pytest.raises(ValueError, match="names no slot"):
        lex.bot_from_declaration(stray_placeholder)


# --- recognition -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "slot_name", "value"),
    [
        (f"has {JOB} finished yet", "CheckJobStatus", "JobId", JOB),
        (
            "what's the status of f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "CheckJobStatus",
            "JobId",
            "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        ),
        (f"I need the results from job {JOB}", "GetJobResults", "JobId", JOB),
        ("please analyse quarterly-report.pdf", "StartAnalysis", "FileName", "quarterly-report.pdf"),
        ("could you scan notes.png for me", "StartAnalysis", "FileName", "notes.png"),
    ],
)
def test_utterances_that_are_not_samples_get_their_intent_and_slot(
    insight: lex.Bot, text: str, expected: str, slot_name: str, value: str
) -> None:
    # Given Insight's bot, and an utterance none of its samples says
    # When it is recognised
    answer = Chat(insight).say(text)
    # Then the intent is recognised with its slot value, as said, and is ready for fulfillment
    assert intent(answer)["name"] == expected
    assert slot(answer, slot_name) == value
    assert intent(answer)["state"] == "ReadyForFulfillment"
    assert answer["sessionState"]["dialogAction"] == {"type": "Close"}
    # and the interpretations rank it first, with a confidence above the others'
    first, *others = answer["interpretations"]
    assert first["intent"]["name"] == expected
    scored = [i["nluConfidence"]["score"] for i in others if "nluConfidence" in i]
    assert all(first["nluConfidence"]["score"] > score for score in scored)


def test_nonsense_falls_back_with_the_fallback_intents_closing_response(insight: lex.Bot) -> None:
    for text in ("what's the weather like today", "asdf qwerty zxcv", "order a taxi to the airport"):
        answer = Chat(insight).say(text)
        assert intent(answer) == {
            "name": "FallbackIntent",
            "slots": {},
            "state": "ReadyForFulfillment",
            "confirmationState": "None",
        }
        assert answer["messages"][0]["content"].startswith("Sorry, I did not get that.")
        assert answer["interpretations"][0] == {
            "intent": {"name": "FallbackIntent", "slots": {}},
            "interpretationSource": "Lex",
        }
        assert all(i["nluConfidence"]["score"] < 0.4 for i in answer["interpretations"][1:])


def test_another_domains_bot_resolves_synonyms_and_regex_slots(coffee: lex.Bot) -> None:
    # Given a coffee shop's bot: TOP_RESOLUTION drink and size types, a regex table type
    answer = Chat(coffee).say("could I have a venti caffe latte to table T12")
    # Then synonyms resolve to their values, the regex value is kept as said
    assert intent(answer)["name"] == "OrderDrink"
    assert (slot(answer, "Drink"), slot(answer, "Size"), slot(answer, "Table")) == ("latte", "large", "T12")
    drink = intent(answer)["slots"]["Drink"]["value"]
    assert drink == {"originalValue": "caffe latte", "interpretedValue": "latte", "resolvedValues": ["latte"]}
    assert answer["messages"] == [{"content": "Coming right up.", "contentType": "PlainText"}]
    # And the intent without slots is recognised too
    assert intent(Chat(coffee).say("are you open tomorrow morning"))["name"] == "OpeningHours"


# --- dialog ------------------------------------------------------------------------------


def test_a_missing_slot_is_elicited_then_filled_on_the_next_turn(insight: lex.Bot) -> None:
    chat = Chat(insight)
    # When the user asks without saying which job
    first = chat.say("is my job finished")
    # Then the bot asks for the job id with the slot's prompt
    assert intent(first) == {
        "name": "CheckJobStatus",
        "slots": {"JobId": None},
        "state": "InProgress",
        "confirmationState": "None",
    }
    assert first["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "JobId"}
    assert first["messages"] == [{"content": "Which job? Please give me its job id.", "contentType": "PlainText"}]
    # When the next utterance gives it
    second = chat.say(f"it's {JOB}")
    # Then the slot is filled and the intent is ready for fulfillment
    assert intent(second)["name"] == "CheckJobStatus" and slot(second, "JobId") == JOB
    assert intent(second)["state"] == "ReadyForFulfillment"
    assert second["sessionState"]["dialogAction"] == {"type": "Close"}


def test_slots_are_elicited_in_priority_order_and_answers_that_fill_nothing_are_reprompted(coffee: lex.Bot) -> None:
    chat = Chat(coffee)
    assert chat.say("I want a coffee")["sessionState"]["dialogAction"]["slotToElicit"] == "Drink"
    assert chat.say("a flat white")["sessionState"]["dialogAction"]["slotToElicit"] == "Size"
    # An answer that is no size is asked again (MaxRetries 1)...
    again = chat.say("hmm let me think")
    assert again["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Size"}
    assert again["messages"][0]["content"] == "What size?"
    # ...and after the retries, the turn falls back
    assert intent(chat.say("no idea really"))["name"] == "FallbackIntent"


def test_a_free_form_file_name_is_taken_after_the_slots_sample_prefix(insight: lex.Bot) -> None:
    chat = Chat(insight)
    assert chat.say("start an analysis")["sessionState"]["dialogAction"]["slotToElicit"] == "FileName"
    # A word that looks like no file name does not fill the slot
    assert chat.say("hmm")["sessionState"]["dialogAction"]["slotToElicit"] == "FileName"
    answer = chat.say("the file is annual_report_2026.pdf")
    assert slot(answer, "FileName") == "annual_report_2026.pdf" and intent(answer)["state"] == "ReadyForFulfillment"


def test_the_user_can_switch_intent_while_a_slot_is_elicited(insight: lex.Bot) -> None:
    chat = Chat(insight)
    chat.say("start an analysis")
    answer = chat.say(f"actually show me the results for job {JOB}")
    assert intent(answer)["name"] == "GetJobResults" and slot(answer, "JobId") == JOB


def test_an_intent_with_a_code_hook_fails_as_lex_does_when_it_cannot_invoke_it() -> None:
    hooked = copy.deepcopy(COFFEE)
    hooked["BotLocales"][0]["Intents"][1]["FulfillmentCodeHook"] = {"Enabled": True}
    with pytest.raises(LexError) as error:
        Chat(lex.bot_from_declaration(hooked)).say("when do you open")
    assert error.value.code == "DependencyFailedException" and "code hook" in error.value.message


# --- sessions ----------------------------------------------------------------------------


def test_sessions_are_put_got_and_deleted(coffee: lex.Bot) -> None:
    runtime = LexRuntime()
    chat = Chat(coffee, runtime)
    # Given a session put in the middle of an order, with attributes
    state = {
        "dialogAction": {"type": "ElicitSlot", "slotToElicit": "Size"},
        "intent": {"name": "OrderDrink", "slots": {"Drink": None}, "state": "InProgress"},
        "sessionAttributes": {"customer": "maria"},
    }
    put = runtime.put_session(coffee, KEY, chat.request(sessionState=state))
    check_shape({k: v for k, v in put.items() if k in ("sessionId",)}, LEX.operation_model("PutSession").output_shape)
    check_shape(put["sessionState"], LEX.shape_for("SessionState"))
    # When the next utterance answers the elicited slot
    answer = chat.say("large please")
    # Then it fills it, and the drink is then elicited; the attributes are kept
    assert slot(answer, "Size") == "large"
    assert answer["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Drink"}
    assert answer["sessionState"]["sessionAttributes"] == {"customer": "maria"}
    # And GetSession tells the same state and last turn
    got = runtime.get_session(coffee, KEY, chat.request())
    check_shape(got, LEX.operation_model("GetSession").output_shape)
    assert got["sessionState"] == answer["sessionState"] and got["messages"] == answer["messages"]
    # When it is deleted, it is gone
    deleted = runtime.delete_session(coffee, KEY, chat.request())
    check_shape(deleted, LEX.operation_model("DeleteSession").output_shape)
    assert deleted["sessionId"] == "session-1"
    for operation in (runtime.get_session, runtime.delete_session):
        with pytest.raises(LexError) as error:
            operation(coffee, KEY, chat.request())
        assert error.value.code == "ResourceNotFoundException"


def test_an_idle_session_expires_after_the_bots_ttl(coffee: lex.Bot) -> None:
    now = [0.0]
    chat = Chat(coffee, LexRuntime(clock=lambda: now[0]))
    chat.say("I want a coffee")
    now[0] = 30.0
    assert chat.say("latte")["sessionState"]["dialogAction"]["slotToElicit"] == "Size"  # still going on
    now[0] = 30.0 + 61  # IdleSessionTTLInSeconds is 60
    answer = chat.say("large")
    # a new session: the latte is forgotten, so the drink is asked for again
    assert slot(answer, "Size") == "large" and slot(answer, "Drink") is None
    assert answer["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Drink"}


def test_bad_requests_get_aws_errors(coffee: lex.Bot) -> None:
    runtime = LexRuntime()
    chat = Chat(coffee, runtime)
    cases: list[tuple[Callable[[], Any], str]] = [
        (
            lambda: runtime.recognize_text(coffee, KEY, {**chat.request(text="hi"), "localeId": "fr_FR"}),
            "ResourceNotFoundException",
        ),
        (lambda: chat.say("x" * 1025), "ValidationException"),
        (
            lambda: runtime.put_session(coffee, KEY, chat.request(sessionState={"intent": {"name": "Nope"}})),
            "ValidationException",
        ),
        (
            lambda: runtime.put_session(
                coffee, KEY, chat.request(sessionState={"intent": {"name": "OrderDrink", "slots": {"Milk": None}}})
            ),
            "ValidationException",
        ),
    ]
    for call, code in cases:
        with pytest.raises(LexError) as error:
            call()
        assert error.value.code == code


def test_unseen_labelled_utterances_are_understood_within_the_benchmarks_budget(insight: lex.Bot) -> None:
    # Given the hand-labelled utterances of the benchmark, none of them a sample of the bot
    from bench.inputs.utterances import labelled

    intents = DECLARATION["BotLocales"][0]["Intents"]
    samples = {s["Utterance"].lower() for i in intents for s in i.get("SampleUtterances", [])}
    assert not samples & {item.text.lower() for item in labelled()}
    # When each is recognised in a new session
    right = 0
    for index, item in enumerate(labelled()):
        answer = Chat(insight, key=(*KEY[:5], f"labelled-{index}")).say(item.text)
        right += intent(answer)["name"] == item.intent and (item.slot is None or slot(answer, item.slot) == item.value)
    # Then at least 85% get both their intent and their slot value right
    assert right / len(labelled()) >= 0.85


# --- code hooks --------------------------------------------------------------------------

HOOKED_BOT = {"id": "BOTID12345", "name": "insight", "version": "1", "aliasId": "ALIAS12345", "aliasName": "live"}


class Hook:
    """A bot alias's code hook: records each Lex V2 event (checked against the contract the
    assistant's Lambda parses, ``chalicelib.lex.LexEvent``) and answers with ``answer``."""

    def __init__(self, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        from chalicelib.lex import LexEvent

        LexEvent.model_validate(event)
        self.events.append(copy.deepcopy(event))
        return self.answer(event)

    @property
    def code_hook(self) -> lex.CodeHook:
        return lex.CodeHook(invoke=self, bot=HOOKED_BOT)


class HookedChat(Chat):
    def __init__(self, bot: lex.Bot, hook: Hook, runtime: LexRuntime | None = None) -> None:
        super().__init__(bot, runtime)
        self.hook = hook

    def say(self, text: str, **fields: Any) -> dict[str, Any]:
        request = self.request(text=text, **fields)
        answer = self.runtime.recognize_text(self.bot, self.key, request, self.hook.code_hook)
        check_shape(answer, LEX.operation_model("RecognizeText").output_shape)
        return answer


def delegate(event: dict[str, Any]) -> dict[str, Any]:
    return {"sessionState": {**event["sessionState"], "dialogAction": {"type": "Delegate"}}}


def close(event: dict[str, Any], state: str, text: str) -> dict[str, Any]:
    intent = {**event["sessionState"]["intent"], "state": state}
    return {
        "sessionState": {**event["sessionState"], "intent": intent, "dialogAction": {"type": "Close"}},
        "messages": [{"contentType": "PlainText", "content": text}],
    }


@pytest.fixture(scope="module")
def hooked() -> lex.Bot:
    """Insight's bot as declared: its intents call the alias's code hook."""
    return lex.bot_from_declaration(DECLARATION, "insight")


def test_the_declared_intents_enable_the_code_hooks(hooked: lex.Bot) -> None:
    intents = hooked.locales["en_US"].intents
    for name in ("CheckJobStatus", "GetJobResults", "StartAnalysis"):
        assert intents[name].dialog_hook and intents[name].fulfillment_hook
    assert intents["FallbackIntent"].fulfillment_hook and not intents["FallbackIntent"].dialog_hook


def test_the_dialog_hook_validates_each_turn_and_the_fulfillment_hook_ends_the_intent(hooked: lex.Bot) -> None:
    # Given a code hook that refuses one job id, accepts others and tells their status
    unknown = "ffffffffffffffffffffffffffffffff"

    def answer(event: dict[str, Any]) -> dict[str, Any]:
        said = (event["sessionState"]["intent"]["slots"].get("JobId") or {}).get("value", {}).get("interpretedValue")
        if event["invocationSource"] == "FulfillmentCodeHook":
            return close(event, "Fulfilled", f"Job {said} is running.")
        if said == unknown:
            intent = {**event["sessionState"]["intent"], "slots": {"JobId": None}}
            return {
                "sessionState": {
                    "sessionAttributes": {"tries": "1"},
                    "intent": intent,
                    "dialogAction": {"type": "ElicitSlot", "slotToElicit": "JobId"},
                },
                "messages": [{"contentType": "PlainText", "content": f"There is no job {said}. Which job?"}],
            }
        return delegate(event)

    hook = Hook(answer)
    chat = HookedChat(hooked, hook)
    # When the user asks without an id, the dialog hook is told what Lex would do next
    first = chat.say("is my job finished", requestAttributes={"channel": "web"})
    event = hook.events[-1]
    assert event["invocationSource"] == "DialogCodeHook" and event["inputTranscript"] == "is my job finished"
    assert event["bot"] == {**HOOKED_BOT, "localeId": "en_US"} and event["sessionId"] == "session-1"
    assert event["proposedNextState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "JobId"}
    assert event["sessionState"]["intent"] == {
        "name": "CheckJobStatus",
        "slots": {"JobId": None},
        "state": "InProgress",
        "confirmationState": "None",
    }
    assert event["interpretations"][0]["intent"]["name"] == "CheckJobStatus"
    assert isinstance(event["interpretations"][0]["nluConfidence"], float)
    assert event["requestAttributes"] == {"channel": "web"}
    # and as it delegates, Lex asks for the id with the slot's prompt
    assert first["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "JobId"}
    assert first["messages"][0]["content"] == "Which job? Please give me its job id."
    # When the id given is refused by the hook, it is asked again with the hook's message and attributes
    second = chat.say(unknown)
    assert hook.events[-1]["sessionState"]["intent"]["slots"]["JobId"]["value"]["interpretedValue"] == unknown
    assert "proposedNextState" not in hook.events[-1]
    assert second["messages"] == [{"content": f"There is no job {unknown}. Which job?", "contentType": "PlainText"}]
    assert second["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "JobId"}
    assert second["sessionState"]["sessionAttributes"] == {"tries": "1"}
    # When a good id is given, the dialog hook delegates and the fulfillment hook answers
    third = chat.say(JOB)
    assert [e["invocationSource"] for e in hook.events[-2:]] == ["DialogCodeHook", "FulfillmentCodeHook"]
    assert hook.events[-1]["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
    assert hook.events[-1]["sessionState"]["sessionAttributes"] == {"tries": "1"}
    assert third["messages"] == [{"content": f"Job {JOB} is running.", "contentType": "PlainText"}]
    assert intent(third)["state"] == "Fulfilled" and slot(third, "JobId") == JOB
    assert third["sessionState"]["dialogAction"] == {"type": "Close"}


def test_the_fallback_intents_fulfillment_hook_answers_what_was_not_understood(hooked: lex.Bot) -> None:
    hook = Hook(lambda event: close(event, "Fulfilled", f"You said: {event['inputTranscript']}"))
    answer = HookedChat(hooked, hook).say("order a taxi to the airport")
    assert hook.events[-1]["invocationSource"] == "FulfillmentCodeHook"
    assert hook.events[-1]["sessionState"]["intent"]["name"] == "FallbackIntent"
    assert hook.events[-1]["interpretations"][0] == {
        "intent": {"name": "FallbackIntent", "slots": {}, "state": "InProgress", "confirmationState": "None"},
        "interpretationSource": "Lex",
    }
    assert answer["messages"] == [{"content": "You said: order a taxi to the airport", "contentType": "PlainText"}]
    assert intent(answer)["name"] == "FallbackIntent" and intent(answer)["state"] == "Fulfilled"


def confirming(coffee_declaration: dict[str, Any]) -> lex.Bot:
    declaration = copy.deepcopy(coffee_declaration)
    declaration["BotLocales"][0]["Intents"][0]["DialogCodeHook"] = {"Enabled": True}
    return lex.bot_from_declaration(declaration, "coffee")


@pytest.mark.parametrize(
    ("reply", "confirmation", "state"),
    [("yes please", "Confirmed", "ReadyForFulfillment"), ("no thanks", "Denied", "Failed")],
)
def test_a_hooks_confirm_intent_takes_a_yes_or_a_no(reply: str, confirmation: str, state: str) -> None:
    # Given a dialog hook that asks to confirm an order once it is complete
    def answer(event: dict[str, Any]) -> dict[str, Any]:
        current = event["sessionState"]["intent"]
        complete = all(current["slots"].get(name) for name in ("Drink", "Size"))
        if complete and current["confirmationState"] == "None":
            return {
                "sessionState": {**event["sessionState"], "dialogAction": {"type": "ConfirmIntent"}},
                "messages": [{"contentType": "PlainText", "content": "A large latte, is that right?"}],
            }
        return delegate(event)

    hook = Hook(answer)
    chat = HookedChat(confirming(COFFEE), hook)
    asked = chat.say("a large latte please")
    assert asked["sessionState"]["dialogAction"] == {"type": "ConfirmIntent"}
    assert asked["messages"][0]["content"] == "A large latte, is that right?"
    # Something that is neither yes nor no asks again
    assert chat.say("hmm")["sessionState"]["dialogAction"] == {"type": "ConfirmIntent"}
    # When the user answers, the hook is called again with the confirmation
    done = chat.say(reply)
    assert hook.events[-1]["sessionState"]["intent"]["confirmationState"] == confirmation
    assert intent(done)["confirmationState"] == confirmation and intent(done)["state"] == state
    assert done["sessionState"]["dialogAction"] == {"type": "Close"}


def test_a_hooks_elicit_intent_starts_over(hooked: lex.Bot) -> None:
    def answer(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "sessionState": {"dialogAction": {"type": "ElicitIntent"}},
            "messages": [{"contentType": "PlainText", "content": "What else can I do for you?"}],
        }

    chat = HookedChat(hooked, Hook(answer))
    asked = chat.say("start an analysis")
    assert asked["sessionState"]["dialogAction"] == {"type": "ElicitIntent"} and "intent" not in asked["sessionState"]
    assert asked["messages"][0]["content"] == "What else can I do for you?"


@pytest.mark.parametrize(
    ("response", "why"),
    [
        ([], "not a JSON object"),
        ({"messages": []}, "sessionState is required"),
        ({"sessionState": {"dialogAction": {"type": "Dance"}}}, "dialogAction.type"),
        ({"sessionState": {"dialogAction": {"type": "Close"}}}, "intent with a name is required"),
        (
            {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {"name": "CheckJobStatus"}}},
            "state is required",
        ),
        (
            {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {"name": "OrderPizza", "state": "Failed"}}},
            "not defined",
        ),
        (
            {
                "sessionState": {
                    "dialogAction": {"type": "ElicitSlot", "slotToElicit": "Colour"},
                    "intent": {"name": "CheckJobStatus", "slots": {"JobId": None}},
                }
            },
            "not a slot",
        ),
        (
            {
                "sessionState": {
                    "dialogAction": {"type": "Delegate"},
                    "intent": {"name": "CheckJobStatus", "slots": {"JobId": {"value": {"interpretedValue": 7}}}},
                }
            },
            "interpretedValue",
        ),
        (
            {"sessionState": {"dialogAction": {"type": "ConfirmIntent"}, "intent": {"name": "CheckJobStatus"}}},
            "messages",
        ),
        ({"sessionState": {"dialogAction": {"type": "Delegate"}, "sessionAttributes": {"n": 1}}}, "sessionAttributes"),
        (
            {
                "sessionState": {"dialogAction": {"type": "Delegate"}},
                "messages": [{"contentType": "Hologram", "content": "hi"}],
            },
            "contentType",
        ),
    ],
)
def test_a_response_lex_would_refuse_fails_the_turn_and_keeps_the_session(
    hooked: lex.Bot, response: Any, why: str
) -> None:
    runtime = LexRuntime()
    chat = HookedChat(hooked, Hook(delegate), runtime)
    before = chat.say("is my job finished")
    chat.hook.answer = lambda event: response
    with pytest.raises(LexError) as error:
        chat.say(JOB)
    assert error.value.code == "DependencyFailedException"
    assert error.value.message.startswith("Invalid Lambda Response") and why in error.value.message
    # the session is as the last good turn left it: the id is still being asked for
    assert runtime.get_session(hooked, KEY, chat.request())["sessionState"] == before["sessionState"]


def test_a_hook_that_fails_fails_the_turn_and_keeps_the_session(hooked: lex.Bot) -> None:
    def failing(event: dict[str, Any]) -> dict[str, Any]:
        raise LexError("DependencyFailedException", "Invalid Lambda Response: Received error response from Lambda")

    runtime = LexRuntime()
    chat = HookedChat(hooked, Hook(delegate), runtime)
    before = chat.say("start an analysis")
    chat.hook.answer = failing
    with pytest.raises(LexError, match="Received error response"):
        chat.say("the file is report.pdf")
    assert runtime.get_session(hooked, KEY, chat.request())["sessionState"] == before["sessionState"]


def test_a_turn_while_another_of_its_session_is_answered_is_a_conflict(hooked: lex.Bot) -> None:
    # Given a turn whose code hook is still working
    import threading

    hook_started, hook_may_answer = threading.Event(), threading.Event()

    def slow(event: dict[str, Any]) -> dict[str, Any]:
        hook_started.set()
        hook_may_answer.wait(timeout=5)
        return delegate(event)

    runtime = LexRuntime()
    chat = HookedChat(hooked, Hook(slow), runtime)
    first: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: first.update(chat.say("is my job finished")))
    worker.start()
    assert hook_started.wait(timeout=5)
    # When another message of the same session arrives
    # Then Lex refuses it (the API's 409) instead of queueing it behind the first
    with pytest.raises(LexError) as error:
        chat.say(JOB)
    assert error.value.code == "ConflictException"
    hook_may_answer.set()
    worker.join(timeout=5)
    # and the first turn ends as it would have; the session takes the next message
    assert first["sessionState"]["dialogAction"]["slotToElicit"] == "JobId"
    chat.hook.answer = delegate
    assert chat.say(JOB)["sessionState"]["intent"]["slots"]["JobId"]["value"]["interpretedValue"] == JOB
