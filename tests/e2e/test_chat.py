"""The chat path end to end through the local runtime: POST /chat, Lex's RecognizeText (the
offline Lex V2 runtime with the declared bot), the alias's code hook (the ChatFulfillment
Lambda, in process) and the job records, uploads and workflows it reads and starts."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from insight_local.uploading import post_form
from tests.e2e.conftest import SAMPLES, Client, wait_for_job
from tests.e2e.test_document_workflow import upload

INVOICE = (SAMPLES / "invoice.pdf").read_bytes()


class Conversation:
    """One chat session through POST /chat."""

    def __init__(self, api: Client) -> None:
        self.api = api
        self.session_id: str | None = None

    def say(self, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if self.session_id:
            body["session_id"] = self.session_id
        status, reply = self.api.call("POST", "/chat", body)
        assert status == 200, reply
        self.session_id = reply["session_id"]
        return dict(reply)


def said(reply: dict[str, Any]) -> str:
    return " ".join(message["content"] for message in reply["messages"])


def action(reply: dict[str, Any]) -> dict[str, Any]:
    return dict(reply["session_state"]["dialog_action"])


def intent(reply: dict[str, Any]) -> dict[str, Any]:
    return dict(reply["session_state"]["intent"])


def unique(name: str) -> str:
    stem, _, extension = name.rpartition(".")
    return f"{stem}-{uuid.uuid4().hex[:8]}.{extension}"


def executions_of(runtime: Any, job_id: str) -> int:
    sfn = runtime.aws.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=runtime.deployment.arns["DocumentWorkflow"])["executions"]
    return [execution["name"] for execution in executions].count(job_id)


# --- the intents -------------------------------------------------------------------------------


def test_a_conversation_asks_for_the_job_refuses_bad_ids_then_tells_the_real_status(api: Client) -> None:
    # Given an invoice analysed through the real upload path
    name = unique("invoice.pdf")
    job_id = upload(api, name, INVOICE, "application/pdf")
    assert wait_for_job(api, job_id)["job"]["status"] == "SUCCEEDED"
    chat = Conversation(api)
    # When a user asks about "my job" without saying which
    first = chat.say("what is the status of my job?")
    # Then a session is opened and the bot asks for the job id
    assert chat.session_id
    assert intent(first)["name"] == "CheckJobStatus"
    assert action(first) == {"type": "ElicitSlot", "slot_to_elicit": "JobId"}
    assert said(first) == "Which job? Please give me its job id."
    # When the answer is no job id, the code hook asks again and says why
    second = chat.say("12345")
    assert action(second) == {"type": "ElicitSlot", "slot_to_elicit": "JobId"}
    assert '"12345" is not a job id' in said(second) and "32 hexadecimal digits" in said(second)
    # When it is shaped like one but names no job, it is asked again too
    nobody = uuid.uuid4().hex
    third = chat.say(nobody)
    assert action(third) == {"type": "ElicitSlot", "slot_to_elicit": "JobId"}
    assert f"There is no job {nobody}" in said(third)
    # When the real id is given (as a UUID with dashes, in capitals)
    answer = chat.say(str(uuid.UUID(job_id)).upper())
    # Then the bot tells the job's real status, and the intent is fulfilled
    assert action(answer) == {"type": "Close", "slot_to_elicit": None}
    assert intent(answer)["state"] == "Fulfilled" and intent(answer)["slots"] == {"JobId": job_id}
    assert f"Job {job_id} ({name}) succeeded" in said(answer) and "1 page(s) read" in said(answer)
    # And the conversation remembers the job: "is it done?" needs no id again
    again = chat.say("is my job finished")
    assert intent(again)["state"] == "Fulfilled" and f"Job {job_id}" in said(again)


def test_the_status_of_a_job_still_waiting_for_its_file(api: Client) -> None:
    status, ticket = api.call(
        "POST", "/uploads", {"file_name": unique("report.pdf"), "content_type": "application/pdf", "size": 10}
    )
    assert status == 201
    answer = Conversation(api).say(f"what is the status of job {ticket['job_id']}")
    assert intent(answer)["state"] == "Fulfilled"
    assert "is waiting for its file" in said(answer)


def test_the_results_summary_of_a_finished_job(runtime: Any, api: Client) -> None:
    # Given a finished invoice job
    job_id = upload(api, unique("invoice.pdf"), INVOICE, "application/pdf")
    job = wait_for_job(api, job_id)["job"]
    # When its results are asked for in one utterance
    answer = Conversation(api).say(f"show me the results for job {job_id}")
    # Then the bot summarises what the analysis found, from the job's own summary
    assert intent(answer)["name"] == "GetJobResults" and intent(answer)["state"] == "Fulfilled"
    summary = job["summary"]
    headline, found, link = (message["content"] for message in answer["messages"])
    assert f"{summary['pages']} page(s), {summary['characters']} characters, language en" in headline
    for entity in summary["entities"]:
        assert f"{entity['count']} {entity['type']}" in found
    assert summary["key_phrases"][0] in found and "EMAIL" in found
    # And its link fetches the results document
    url = link.removeprefix("All the results: ")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert json.loads(response.read())["job_id"] == job_id


def fetched(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def asked_about(api: Client, sample: str, content_type: str, **fields: Any) -> tuple[dict[str, Any], str, list[str]]:
    """A sample analysed through the real upload path (with any further ``fields`` of the
    upload), then asked about in one conversation: the job, what its status was told as, and
    the messages of its results."""
    job_id = upload(api, unique(sample), (SAMPLES / sample).read_bytes(), content_type, **fields)
    job = wait_for_job(api, job_id, timeout=120)["job"]
    assert job["status"] == "SUCCEEDED", job
    chat = Conversation(api)
    status = said(chat.say(f"what is the status of job {job_id}"))
    answer = chat.say(f"show me the results for job {job_id}")
    assert intent(answer)["name"] == "GetJobResults" and intent(answer)["state"] == "Fulfilled"
    return job, status, [message["content"] for message in answer["messages"]]


def test_a_finished_image_job_is_told_in_an_images_words(api: Client) -> None:
    # Given the astronaut photo analysed through the real upload path
    # When its status, then its results are asked for
    job, status, messages = asked_about(api, "astronaut.jpg", "image/jpeg")
    # Then its status is told as an image's
    assert "A 512 x 584 image analysed. Ask me for its results." in status
    # And its results tell what Rekognition found, from the job's summary: faces, labels, text, moderation
    headline, found, thumbnail, link = messages
    assert headline == (
        f"Job {job['job_id']} ({job['file_name']}): a 512 x 584 image (image/jpeg), 1 face found. "
        f"Labels: {', '.join(job['summary']['labels'])}."
    )
    assert found.startswith("Text read in the image: Eileen Collins, STS-93 commander | ")
    assert "Moderation was not checked (AccessDeniedException" in found  # offline: never called clean
    # And link the thumbnail (a JPEG) and the results document
    assert fetched(thumbnail.removeprefix("Thumbnail: ")).startswith(b"\xff\xd8\xff")
    assert json.loads(fetched(link.removeprefix("All the results: ")))["job_id"] == job["job_id"]
    # And say nothing a document's results would
    assert not any(word in " ".join(messages) for word in ("page(s)", "characters", "sentiment"))


def test_a_finished_media_job_is_told_in_speechs_words(api: Client) -> None:
    # Given the voicemail analysed through the real upload path, translated into Spanish and
    # Japanese (a pair the offline Translate lacks) and summed up aloud
    # When its status, then its results are asked for
    job, status, messages = asked_about(
        api, "voicemail.mp3", "audio/mpeg", translate_to=["es", "ja"], spoken_summary=True
    )
    # Then its status is told as speech's
    assert "12 seconds of speech transcribed. Ask me for its results." in status
    # And its results tell the transcript's length, language and sentiment, from the job's summary
    headline, found, translations, spoken, link = messages
    summary = job["summary"]
    assert headline == (
        f"Job {job['job_id']} ({job['file_name']}): 12 seconds of speech transcribed: a transcript of "
        f"{summary['characters']} characters in language en, sentiment POSITIVE."
    )
    # and the personal data found, said to be redacted, and named nowhere
    personal = ", ".join(f"{e['count']} {e['type']}" for e in summary["pii_entities"])
    assert "1 NAME" in personal
    assert f"Personal data: {personal} (replaced by its type in the redacted transcript and its translations)." in found
    assert "John Smith" not in " ".join(messages)
    # and which translations were made, and which could not be
    assert translations.startswith("Translated into es. Not available: ja (UnsupportedLanguagePairException")
    # And link the spoken summary (an MP3) and the results document
    audio = fetched(spoken.removeprefix("Spoken summary (MP3): "))
    assert audio[:3] == b"ID3" or audio[0] == 0xFF
    assert json.loads(fetched(link.removeprefix("All the results: ")))["job_id"] == job["job_id"]
    assert "page(s)" not in " ".join(messages)


def test_a_job_that_has_not_finished_has_no_results_yet(api: Client) -> None:
    status, ticket = api.call(
        "POST", "/uploads", {"file_name": unique("report.pdf"), "content_type": "application/pdf", "size": 10}
    )
    assert status == 201
    answer = Conversation(api).say(f"give me the results of job {ticket['job_id']}")
    assert intent(answer)["name"] == "GetJobResults" and intent(answer)["state"] == "Failed"
    assert "is waiting for its file" in said(answer) and "no results yet" in said(answer)


def test_starting_the_analysis_of_an_upload_whose_event_was_lost(runtime: Any, api: Client) -> None:
    s3 = runtime.aws.client("s3")
    bucket = runtime.deployment.names["Uploads"]
    saved = s3.get_bucket_notification_configuration(Bucket=bucket)
    saved.pop("ResponseMetadata", None)
    # Given a file uploaded while S3 delivered no event: its job still waits for it
    name = unique("invoice.pdf")
    status, ticket = api.call(
        "POST", "/uploads", {"file_name": name, "content_type": "application/pdf", "size": len(INVOICE)}
    )
    assert status == 201
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        code, body = post_form(ticket["upload"]["url"], ticket["upload"]["fields"], name, INVOICE, "application/pdf")
        assert code == 204, body
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=saved)
    job_id = ticket["job_id"]
    assert api.call("GET", f"/jobs/{job_id}")[1]["job"]["status"] == "AWAITING_UPLOAD"
    chat = Conversation(api)
    # When the user asks the bot to analyse it, naming the file
    answer = chat.say(f"please analyse {name}")
    # Then its job is received and analysed through the same start path as an upload's
    assert intent(answer)["name"] == "StartAnalysis" and intent(answer)["state"] == "Fulfilled"
    assert f"I started analysing {name} as job {job_id}" in said(answer)
    assert wait_for_job(api, job_id)["job"]["status"] == "SUCCEEDED"
    # And asking again (by its key this time) starts nothing new
    again = chat.say(f"analyse uploads/{job_id}/{name}")
    assert intent(again)["state"] == "Fulfilled"
    assert f"{name} was analysed already" in said(again)
    assert executions_of(runtime, job_id) == 1


def test_a_failed_jobs_upload_is_analysed_again_once(runtime: Any, api: Client) -> None:
    from insight_local import faults

    # Given a job that failed because Comprehend refused a call
    name = unique("invoice.pdf")
    faults.inject("comprehend", "DetectEntities", "InvalidRequestException", times=1, message="refused once")
    try:
        failed_id = upload(api, name, INVOICE, "application/pdf")
        failed = wait_for_job(api, failed_id)["job"]
    finally:
        faults.clear()
    assert failed["status"] == "FAILED" and failed["error"]["type"] == "InvalidRequestException"
    chat = Conversation(api)
    # When the user asks to analyse the file
    answer = chat.say(f"run the analysis on {name}")
    # Then its upload is analysed again as a new job that names the failed one
    assert intent(answer)["state"] == "Fulfilled"
    assert f"Job {failed_id} failed, so I am analysing {name} again as job" in said(answer)
    retry_id = answer["session_state"]["session_attributes"]["insight_job_id"]
    assert retry_id != failed_id
    retry = wait_for_job(api, retry_id)["job"]
    assert retry["status"] == "SUCCEEDED" and retry["retry_of"] == failed_id
    assert retry["source"] == failed["source"]
    # And asking again, by the failed job's key, starts no second retry
    again = chat.say(f"analyse uploads/{failed_id}/{name}")
    assert f"{name} was analysed already. Job {retry_id}" in said(again)
    assert executions_of(runtime, retry_id) == 1
    assert api.call("GET", f"/jobs/{failed_id}")[1]["job"]["status"] == "FAILED"  # the failed job keeps its outcome


def test_a_file_the_workflow_refused_is_not_analysed_again(api: Client) -> None:
    # Given an upload that failed as no image Insight can analyse (the same holds for a document
    # or media that is not what it claims)
    name = unique("photo.png")
    job_id = upload(api, name, (SAMPLES / "bad" / "not_a_png.png").read_bytes(), "image/png")
    assert wait_for_job(api, job_id)["job"]["error"]["type"] == "InvalidImage"
    # When the user asks to analyse it again
    answer = Conversation(api).say(f"analyse {name}")
    # Then nothing starts, and the bot says why
    assert intent(answer)["state"] == "Failed"
    assert f"Job {job_id} failed because of the file itself" in said(answer)


def test_a_file_that_is_no_upload_is_asked_for_again(api: Client) -> None:
    chat = Conversation(api)
    # When the user names a file nobody uploaded
    answer = chat.say(f"analyse {unique('nothing.pdf')}")
    # Then the bot asks again, saying why
    assert action(answer) == {"type": "ElicitSlot", "slot_to_elicit": "FileName"}
    assert "I found no upload named" in said(answer)
    # When the user names a file whose form was issued but which was never uploaded
    name = unique("contract.pdf")
    status, ticket = api.call("POST", "/uploads", {"file_name": name, "content_type": "application/pdf", "size": 9})
    assert status == 201
    second = chat.say(f"the file is {name}")
    assert action(second) == {"type": "ElicitSlot", "slot_to_elicit": "FileName"}
    assert f"{name} has not been uploaded: job {ticket['job_id']} was made for it" in said(second)
    # And a third refusal ends the intent, failed, with what the bot can do
    third = chat.say(f"it is called {unique('ghost.pdf')}")
    assert action(third)["type"] == "Close" and intent(third)["state"] == "Failed"
    assert "3 tries" in said(third) and "I can tell you where a job is" in said(third)
    assert "insight_attempts" not in third["session_state"]["session_attributes"]


def test_what_the_bot_does_not_understand_gets_the_fallback(api: Client) -> None:
    answer = Conversation(api).say("order me a large pepperoni pizza")
    assert intent(answer)["name"] == "FallbackIntent"
    assert said(answer).startswith("Sorry, I did not get that. I can tell you where a job is")


# --- bad input and attacks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (b"{not json", 400, None),
        (b"", 400, None),
        (json.dumps({}).encode(), 422, "text"),
        (json.dumps({"text": "   "}).encode(), 422, "text"),
        (json.dumps({"text": "x" * 1025}).encode(), 422, "text"),
        (json.dumps({"text": 42}).encode(), 422, "text"),
        (json.dumps({"text": "hi", "session_id": "no spaces allowed"}).encode(), 422, "session_id"),
        (json.dumps({"text": "hi", "session_id": "x"}).encode(), 422, "session_id"),
        (json.dumps({"text": "hi", "sessionState": {"intent": {"name": "StartAnalysis"}}}).encode(), 422, None),
        (json.dumps({"text": "y" * 20_000}).encode(), 413, None),
    ],
)
def test_a_bad_chat_body_is_refused_with_a_message(api: Client, raw: bytes, status: int, field: str | None) -> None:
    code, body = api.call("POST", "/chat", raw=raw)
    assert code == status, body
    assert body["message"]
    if field:
        assert field in [detail["field"] for detail in body["details"]]


def invoke_code_hook(runtime: Any, event: Any) -> dict[str, Any]:
    """The code hook Lambda invoked directly, as Lex would, through the local Lambda service."""
    answer = runtime.aws.client("lambda").invoke(
        FunctionName=runtime.deployment.names["ChatFulfillment"], Payload=json.dumps(event).encode()
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    return dict(json.loads(answer["Payload"].read()))


def lex_event(intent_name: str, slots: dict[str, Any], source: str = "FulfillmentCodeHook") -> dict[str, Any]:
    return {
        "messageVersion": "1.0",
        "invocationSource": source,
        "inputMode": "Text",
        "sessionId": "attack-1",
        "inputTranscript": "whatever",
        "bot": {"id": "BOT", "name": "insight", "localeId": "en_US", "aliasId": "A", "aliasName": "live"},
        "interpretations": [],
        "sessionState": {
            "sessionAttributes": {},
            "intent": {"name": intent_name, "slots": slots, "state": "InProgress", "confirmationState": "None"},
        },
    }


def slot(value: str) -> dict[str, Any]:
    return {"shape": "Scalar", "value": {"originalValue": value, "interpretedValue": value, "resolvedValues": []}}


@pytest.mark.parametrize(
    "event",
    [
        {},
        [],
        "junk",
        {"invocationSource": "DialogCodeHook", "sessionState": {"intent": {"name": "CheckJobStatus"}}},
        {**lex_event("CheckJobStatus", {}), "invocationSource": "SomethingElse"},
        {**lex_event("CheckJobStatus", {}), "sessionState": {"sessionAttributes": {"n": 1}}},
    ],
)
def test_a_malformed_lex_event_gets_a_clear_reply(runtime: Any, event: Any) -> None:
    answer = invoke_code_hook(runtime, event)
    assert answer["sessionState"]["dialogAction"] == {"type": "Close"}
    assert answer["sessionState"]["intent"]["state"] == "Failed"
    assert answer["messages"][0]["content"].startswith("Sorry, something went wrong reading that request.")


def test_an_unknown_intent_gets_a_clear_reply(runtime: Any) -> None:
    answer = invoke_code_hook(runtime, lex_event("OrderPizza", {"Size": slot("large")}))
    assert answer["sessionState"]["intent"]["name"] == "OrderPizza"
    assert answer["sessionState"]["intent"]["state"] == "Failed"
    assert "I cannot help with that here (OrderPizza)" in answer["messages"][0]["content"]


@pytest.mark.parametrize(
    ("intent_name", "slot_name", "value", "why"),
    [
        ("CheckJobStatus", "JobId", "9" * 5000, "is not a job id"),
        ("GetJobResults", "JobId", "'; DROP TABLE jobs; --", "is not a job id"),
        ("CheckJobStatus", "JobId", "../../etc/passwd", "is not a job id"),
        ("StartAnalysis", "FileName", "x" * 10_000, "is not a file name Insight accepts"),
        ("StartAnalysis", "FileName", "../../etc/passwd", "is not an Insight upload"),
        ("StartAnalysis", "FileName", "s3://someone-elses-bucket/secret.pdf", "is not in Insight's upload bucket"),
    ],
)
def test_slot_values_out_of_range_are_refused_with_the_reason(
    runtime: Any, intent_name: str, slot_name: str, value: str, why: str
) -> None:
    # In the dialog hook: asked for again, saying why, the message within Lex's limits
    asked = invoke_code_hook(runtime, lex_event(intent_name, {slot_name: slot(value)}, "DialogCodeHook"))
    assert asked["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": slot_name}
    assert asked["sessionState"]["intent"]["slots"][slot_name] is None
    assert why in asked["messages"][0]["content"] and len(asked["messages"][0]["content"]) < 400
    # In the fulfillment hook (a session put by a client can skip the dialog): failed, saying why
    closed = invoke_code_hook(runtime, lex_event(intent_name, {slot_name: slot(value)}))
    assert closed["sessionState"]["intent"]["state"] == "Failed" and why in closed["messages"][0]["content"]
