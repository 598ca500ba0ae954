"""Translate and the Lex V2 runtime through boto3 against the local AWS, as a Lambda calls them:
the bot created with the Lex V2 models API from its declaration, utterances recognised, slots
elicited across turns of one session, sessions put, got and deleted; the alias's code hook run
through the local Lambda service; translations and Translate's errors. Every answer is checked
against botocore's output shape."""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from insight_local.ai import lex, missing_services, translate
from insight_local.server import LocalAWS
from tests.botocore_shapes import check_shape
from tests.integration import handlers

ROOT = Path(__file__).resolve().parents[2]
DECLARATION = json.loads((ROOT / "infra" / "bots" / "insight.json").read_text())
SESSION = botocore.session.get_session()
LEX = SESSION.get_service_model("lexv2-runtime")
TRANSLATE = SESSION.get_service_model("translate")
JOB = "3e1f2a9b8c7d4e6f5a4b3c2d1e0f9a8b"


@pytest.fixture(scope="module")
def bot(aws: LocalAWS) -> dict[str, str]:
    """The declared bot without its code hooks: the runtime's own understanding and dialog."""
    bot_id, alias_id = missing_services.create_bot(
        aws.client("lexv2-models"),
        "insight-test-chatbot",
        lex.without_code_hooks(DECLARATION),
        "arn:aws:iam::123456789012:role/lex",
    )
    return {"botId": bot_id, "botAliasId": alias_id, "localeId": "en_US"}


def lambda_function(aws: LocalAWS, name: str, handler: str) -> str:
    """A function of the local Lambda service running ``tests.integration.handlers.<handler>``."""
    iam = aws.client("iam")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"}]}
    try:
        role = iam.get_role(RoleName="chat-test")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="chat-test", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("README", "runs in process")
    return str(
        aws.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler=f"tests.integration.handlers.{handler}",
            Code={"ZipFile": code.getvalue()},
            Timeout=5,
        )["FunctionArn"]
    )


def hooked_bot(aws: LocalAWS, name: str, hook_arn: str | None) -> dict[str, str]:
    """The declared bot as deployed: its alias runs ``hook_arn`` as its code hook."""
    bot_id, alias_id = missing_services.create_bot(
        aws.client("lexv2-models"), name, DECLARATION, "arn:aws:iam::123456789012:role/lex", code_hook_arn=hook_arn
    )
    return {"botId": bot_id, "botAliasId": alias_id, "localeId": "en_US"}


def said(answer: dict[str, Any], operation: str = "RecognizeText") -> dict[str, Any]:
    answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    check_shape(answer, LEX.operation_model(operation).output_shape)
    return answer


def code_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return error.value.response["Error"]["Code"], error.value.response["ResponseMetadata"]["HTTPStatusCode"]


# --- Lex V2 runtime ------------------------------------------------------------------------


def test_an_utterance_is_recognised_with_its_slot(aws: LocalAWS, bot: dict[str, str]) -> None:
    # Given the declared bot, created in the local AWS
    runtime = aws.client("lexv2-runtime")
    # When a user asks about a job in words none of its samples has
    answer = said(
        runtime.recognize_text(**bot, sessionId="one-shot", text=f"could you check whether job {JOB} has completed?")
    )
    # Then the intent, its slot and the dialog's end come back as Lex sends them
    intent = answer["sessionState"]["intent"]
    assert intent["name"] == "CheckJobStatus" and intent["state"] == "ReadyForFulfillment"
    assert intent["slots"]["JobId"]["value"] == {"originalValue": JOB, "interpretedValue": JOB, "resolvedValues": []}
    assert answer["sessionState"]["dialogAction"] == {"type": "Close"}
    assert answer["sessionId"] == "one-shot"
    assert answer["interpretations"][0]["nluConfidence"]["score"] >= 0.4


def test_a_slot_is_elicited_and_filled_across_turns_of_a_session(aws: LocalAWS, bot: dict[str, str]) -> None:
    runtime = aws.client("lexv2-runtime")
    first = said(runtime.recognize_text(**bot, sessionId="user-7", text="I'd like to analyse a document"))
    assert first["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "FileName"}
    # The unfilled slot travels as null, as Lex sends it
    assert first["sessionState"]["intent"]["slots"] == {"FileName": None}
    assert first["messages"][0]["content"] == "Which uploaded file should I analyse? Please give me its file name."
    second = said(
        runtime.recognize_text(
            **bot, sessionId="user-7", text="it is called q3-board-minutes.pdf", requestAttributes={"channel": "web"}
        )
    )
    assert second["sessionState"]["intent"]["name"] == "StartAnalysis"
    assert second["sessionState"]["intent"]["slots"]["FileName"]["value"]["interpretedValue"] == "q3-board-minutes.pdf"
    assert second["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
    assert second["requestAttributes"] == {"channel": "web"}


def test_nonsense_falls_back(aws: LocalAWS, bot: dict[str, str]) -> None:
    answer = said(aws.client("lexv2-runtime").recognize_text(**bot, sessionId="u-2", text="lorem ipsum dolor sit amet"))
    assert answer["sessionState"]["intent"]["name"] == "FallbackIntent"
    assert answer["messages"][0]["content"].startswith("Sorry, I did not get that.")


def test_sessions_are_put_got_and_deleted(aws: LocalAWS, bot: dict[str, str]) -> None:
    runtime = aws.client("lexv2-runtime")
    # Given a session put while the job id is being asked for
    put = runtime.put_session(
        **bot,
        sessionId="put-1",
        sessionState={
            "dialogAction": {"type": "ElicitSlot", "slotToElicit": "JobId"},
            "intent": {"name": "GetJobResults", "slots": {}, "state": "InProgress"},
            "sessionAttributes": {"user": "maria"},
        },
        messages=[{"content": "Which job?", "contentType": "PlainText"}],
    )
    # Then its answer comes in Lex's headers: gzipped, base64 JSON
    state = json.loads(gzip.decompress(base64.b64decode(put["sessionState"])))
    check_shape(state, LEX.shape_for("SessionState"))
    assert state["sessionAttributes"] == {"user": "maria"} and put["sessionId"] == "put-1"
    assert json.loads(gzip.decompress(base64.b64decode(put["messages"]))) == [
        {"content": "Which job?", "contentType": "PlainText"}
    ]
    # When the next utterance gives the id, the put state goes on
    answer = said(runtime.recognize_text(**bot, sessionId="put-1", text=JOB))
    assert answer["sessionState"]["intent"]["name"] == "GetJobResults"
    assert answer["sessionState"]["intent"]["slots"]["JobId"]["value"]["interpretedValue"] == JOB
    assert answer["sessionState"]["sessionAttributes"] == {"user": "maria"}
    # And GetSession tells it; DeleteSession forgets it
    got = said(runtime.get_session(**bot, sessionId="put-1"), "GetSession")
    assert got["sessionState"] == answer["sessionState"]
    said(runtime.delete_session(**bot, sessionId="put-1"), "DeleteSession")
    with pytest.raises(ClientError) as error:
        runtime.get_session(**bot, sessionId="put-1")
    assert code_of(error) == ("ResourceNotFoundException", 404)


def test_unknown_bots_aliases_and_locales_are_not_found(aws: LocalAWS, bot: dict[str, str]) -> None:
    runtime = aws.client("lexv2-runtime")
    for wrong in ({"botId": "NOSUCHBOT0"}, {"botAliasId": "NOSUCHALIA"}, {"localeId": "de_DE"}):
        with pytest.raises(ClientError) as error:
            runtime.recognize_text(**{**bot, **wrong}, sessionId="u-1", text="status please")
        assert code_of(error) == ("ResourceNotFoundException", 404)


def test_the_models_api_still_answers_for_the_same_bot(aws: LocalAWS, bot: dict[str, str]) -> None:
    models = aws.client("lexv2-models")
    assert models.describe_bot(botId=bot["botId"])["botName"] == "insight-test-chatbot"
    assert models.describe_bot_alias(botId=bot["botId"], botAliasId=bot["botAliasId"])["botAliasName"] == "live"


def test_the_aliass_code_hook_runs_through_the_local_lambda_service(aws: LocalAWS) -> None:
    # Given the declared bot whose alias names a function of the local Lambda service as its code hook
    handlers.received.clear()
    hook = lambda_function(aws, "chat-hook", "lex_hook")
    bot = hooked_bot(aws, "insight-hooked-chatbot", hook)
    settings = aws.client("lexv2-models").describe_bot_alias(botId=bot["botId"], botAliasId=bot["botAliasId"])
    assert settings["botAliasLocaleSettings"]["en_US"]["codeHookSpecification"]["lambdaCodeHook"]["lambdaARN"] == hook
    # When a user asks for a job's status in one utterance
    answer = said(
        aws.client("lexv2-runtime").recognize_text(**bot, sessionId="hooked-1", text=f"is job {JOB} done")
    )
    # Then the function ran in this process as the dialog hook, then as the fulfillment hook
    assert [event["invocationSource"] for event in handlers.received] == ["DialogCodeHook", "FulfillmentCodeHook"]
    event = handlers.received[-1]
    assert event["bot"]["id"] == bot["botId"] and event["bot"]["aliasName"] == "live"
    assert event["sessionState"]["intent"]["slots"]["JobId"]["value"]["interpretedValue"] == JOB
    # And its answer is what Lex says
    assert answer["messages"] == [
        {"content": f"chat-hook fulfilled CheckJobStatus for {JOB}", "contentType": "PlainText"}
    ]
    assert answer["sessionState"]["intent"]["state"] == "Fulfilled"


def test_a_code_hook_that_fails_or_is_missing_is_a_dependency_failure(aws: LocalAWS) -> None:
    runtime = aws.client("lexv2-runtime")
    # Given an alias whose function raises, and an alias without any function
    failing = hooked_bot(aws, "insight-failing-chatbot", lambda_function(aws, "chat-hook-fails", "broken_lex_hook"))
    unhooked = hooked_bot(aws, "insight-unhooked-chatbot", None)
    for bot, message in ((failing, "Received error response from Lambda"), (unhooked, "has no Lambda function")):
        # When the bot is asked something whose intent enables the code hooks
        with pytest.raises(ClientError) as error:
            runtime.recognize_text(**bot, sessionId="hooked-2", text=f"status of {JOB}")
        # Then Lex's dependency failure comes back, saying why
        assert code_of(error) == ("DependencyFailedException", 424)
        assert message in error.value.response["Error"]["Message"]


# --- Translate -----------------------------------------------------------------------------


def translated(aws: LocalAWS, text: str, source: str, target: str) -> dict[str, Any]:
    answer = aws.client("translate").translate_text(Text=text, SourceLanguageCode=source, TargetLanguageCode=target)
    answer.pop("ResponseMetadata")
    check_shape(answer, TRANSLATE.operation_model("TranslateText").output_shape)
    return dict(answer)


def test_text_is_translated_offline(aws: LocalAWS) -> None:
    assert ("en", "es") in translate.offline_pairs(), "apt-get install apertium-eng-spa"
    answer = translated(aws, "The signed contract is in the office.", "en", "es")
    assert "contrato" in answer["TranslatedText"] and "oficina" in answer["TranslatedText"]
    detected = translated(aws, "La factura del contrato está en la oficina desde el viernes.", "auto", "en")
    assert detected["SourceLanguageCode"] == "es" and "office" in detected["TranslatedText"]


def test_translate_errors_come_back_as_aws_sends_them(aws: LocalAWS) -> None:
    client = aws.client("translate")
    with pytest.raises(ClientError) as error:
        client.translate_text(Text="Hallo Welt", SourceLanguageCode="de", TargetLanguageCode="fr")
    assert code_of(error) == ("UnsupportedLanguagePairException", 400)
    response = error.value.response
    assert (response["SourceLanguageCode"], response["TargetLanguageCode"]) == ("de", "fr")
    assert "no offline translation model" in response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        client.translate_text(Text="x" * 10_001, SourceLanguageCode="en", TargetLanguageCode="es")
    assert code_of(error) == ("TextSizeLimitExceededException", 400)
    languages = client.list_languages()
    check_shape(
        {k: v for k, v in languages.items() if k != "ResponseMetadata"},
        TRANSLATE.operation_model("ListLanguages").output_shape,
    )
