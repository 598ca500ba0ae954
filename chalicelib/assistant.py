"""Insight's assistant: the code hook of the Lex V2 bot declared in ``infra/bots/insight.json``.

Lex calls it twice per intent (``functions/chat_fulfillment``): as the dialog code hook on each
turn, where the slot the user gave is checked and asked for again with the reason when it is
no good (a job id that is not 32 hexadecimal digits or names no job, a file that is no upload
of Insight's); and as the fulfillment code hook once every slot is good, where the job's
status or results are told, or the analysis of an upload is started. Whatever the event, the
answer is a reply the user can read: an unknown intent, a value out of range or a service
that is down end the turn with a message that says so, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import jobs, services, uploads
from chalicelib.errors import InvalidRequest, NotFound, ServiceThrottled, ServiceUnavailable
from chalicelib.lex import (
    MAX_MESSAGE_CHARACTERS,
    DialogAction,
    Intent,
    IntentState,
    LexEvent,
    LexResponse,
    Message,
    SessionState,
    Slot,
)
from chalicelib.models import (
    AnalysisOutcome,
    AnalysisStart,
    DocumentSummary,
    ImageSummary,
    Job,
    JobKind,
    JobStatus,
    JobStep,
    JobView,
    MediaSummary,
    TextSummary,
)
from chalicelib.observability import logger, metrics

#: Session attributes the assistant keeps: the job the conversation is about, and how many
#: values in a row were refused for the slot being asked for.
JOB_ATTRIBUTE = "insight_job_id"
ATTEMPTS_ATTRIBUTE = "insight_attempts"
#: Refused values in a row before the assistant stops asking.
MAX_ATTEMPTS = 3

JOB_ID = re.compile(r"[0-9a-f]{32}")
JOB_ID_SAID = re.compile(r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b")
CAPABILITIES = (
    'I can tell you where a job is ("status of job <job id>"), show what a finished job found '
    '("results of job <job id>"), or analyse a file you uploaded ("analyse invoice.pdf").'
)
STEPS = {
    JobStep.UPLOADING: "waiting for its file",
    JobStep.QUEUED: "queued",
    JobStep.VALIDATING: "checking the file",
    JobStep.EXTRACTING_TEXT: "reading the text",
    JobStep.ANALYZING_IMAGE: "analysing the image",
    JobStep.TRANSCRIBING: "transcribing the speech",
    JobStep.ANALYZING_TEXT: "analysing the text",
    JobStep.TRANSLATING: "translating the transcript",
    JobStep.SPEAKING_SUMMARY: "reading the summary aloud",
    JobStep.WRITING_RESULTS: "writing the results",
    JobStep.DONE: "done",
}
#: Steps said otherwise for a kind of job.
STEPS_OF_KIND = {
    JobKind.MEDIA: {
        JobStep.VALIDATING: "checking the audio or video",
        JobStep.ANALYZING_TEXT: "analysing the transcript",
    },
    JobKind.IMAGE: {JobStep.VALIDATING: "checking the image"},
}
#: The links a job's results summary ends with: each file the job wrote (``JobView.downloads``).
DOWNLOADS = {"thumbnail": "Thumbnail", "spoken_summary": "Spoken summary (MP3)", "results": "All the results"}


class _Refused(Exception):
    """The value given for a slot is no good; ``message`` says why, to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the turn ---------------------------------------------------------------------------------


def respond(event: LexEvent) -> LexResponse:
    """The code hook's answer to one Lex V2 event."""
    intent = event.intent
    logger.append_keys(intent=intent.name, invocation_source=event.invocationSource)
    metrics.add_metric(name="ChatTurns", unit=MetricUnit.Count, value=1)
    handlers = INTENTS.get(intent.name)
    if handlers is None:
        logger.warning("intent not handled by the assistant")
        return _close(event, "Failed", f"Sorry, I cannot help with that here ({intent.name[:60]}). {CAPABILITIES}")
    validate, fulfil = handlers
    try:
        if event.invocationSource == "DialogCodeHook":
            return validate(event)
        return fulfil(event)
    except (ServiceThrottled, ServiceUnavailable) as error:
        logger.warning("a service Insight needs is unavailable", reason=str(error))
        return _close(event, "Failed", "I cannot reach Insight's records right now. Please ask again in a moment.")


def unreadable(event: Any, problem: str) -> LexResponse:
    """The answer to an event that is not a Lex V2 code hook event Insight can read: the turn
    ends, failed, with a message (and the intent's name when the event has one)."""
    logger.warning("unreadable Lex event", problem=problem[:500])
    metrics.add_metric(name="ChatEventsUnreadable", unit=MetricUnit.Count, value=1)
    state = event.get("sessionState") if isinstance(event, dict) else None
    state = state if isinstance(state, dict) else {}
    named = state.get("intent")
    name = named.get("name") if isinstance(named, dict) else None
    attributes = state.get("sessionAttributes")
    kept = {str(k): v for k, v in attributes.items() if isinstance(v, str)} if isinstance(attributes, dict) else {}
    return LexResponse(
        sessionState=SessionState(
            sessionAttributes=kept,
            dialogAction=DialogAction(type="Close"),
            intent=Intent(
                name=name if isinstance(name, str) and 0 < len(name) <= 100 else "FallbackIntent", state="Failed"
            ),
        ),
        messages=[Message(content=f"Sorry, something went wrong reading that request. {CAPABILITIES}")],
    )


# --- the intents ------------------------------------------------------------------------------


def _check_job(event: LexEvent) -> LexResponse:
    """Dialog hook of the job intents: the job id is one of a job that exists."""
    said = event.intent.said("JobId")
    if said is None:
        remembered = event.sessionState.sessionAttributes.get(JOB_ATTRIBUTE)
        if remembered and JOB_ID.fullmatch(remembered):
            # The job the conversation is about: asked for by "is it done?" after a first answer.
            return _delegate(event, {"JobId": Slot.of(remembered)})
        return _delegate(event)  # Lex asks for it with the slot's prompt
    try:
        job = _job(said)
    except _Refused as refused:
        return _ask_again(event, "JobId", refused.message)
    return _delegate(event, {"JobId": Slot.of(job.job_id, original=said)}, job_id=job.job_id)


def _job_status(event: LexEvent) -> LexResponse:
    try:
        job = _job(event.intent.said("JobId"))
    except _Refused as refused:
        return _close(event, "Failed", refused.message)
    return _close(event, "Fulfilled", describe(job), job_id=job.job_id)


def _job_results(event: LexEvent) -> LexResponse:
    try:
        job = _job(event.intent.said("JobId"))
    except _Refused as refused:
        return _close(event, "Failed", refused.message)
    if job.status is not JobStatus.SUCCEEDED or job.summary is None:
        return _close(event, "Failed", f"{describe(job)} So it has no results yet.", job_id=job.job_id)
    return _close(event, "Fulfilled", *summarise(jobs.get_job(job.job_id)), job_id=job.job_id)


def _check_upload(event: LexEvent) -> LexResponse:
    """Dialog hook of StartAnalysis: the file is an upload of Insight's whose file has landed."""
    said = event.intent.said("FileName")
    if said is None:
        return _delegate(event)
    try:
        job = _upload(said)
    except _Refused as refused:
        return _ask_again(event, "FileName", refused.message)
    return _delegate(event, job_id=job.job_id)


def _start_analysis(event: LexEvent) -> LexResponse:
    try:
        job = _upload(event.intent.said("FileName"))
    except _Refused as refused:
        return _close(event, "Failed", refused.message)
    started = uploads.start_analysis(job)
    state: IntentState = "Fulfilled" if started.outcome in SUCCESSFUL_STARTS else "Failed"
    outcome = started.outcome.value.title().replace("_", "")
    metrics.add_metric(name=f"ChatAnalyses{outcome}", unit=MetricUnit.Count, value=1)
    return _close(event, state, tell_start(started), job_id=started.job.job_id)


def _fallback(event: LexEvent) -> LexResponse:
    """What the bot did not understand: what it can do, with the user's own job id if they gave one."""
    found = JOB_ID_SAID.search(event.inputTranscript)
    hint = ""
    if found:
        job_id = found.group().lower().replace("-", "")
        hint = f' If {job_id} is your job, ask me "status of job {job_id}".'
    return _close(event, "Fulfilled", f"Sorry, I did not get that. {CAPABILITIES}{hint}")


def _delegate_all(event: LexEvent) -> LexResponse:
    return _delegate(event)


Handler = Callable[[LexEvent], LexResponse]
#: Each intent's (dialog hook, fulfillment hook).
INTENTS: dict[str, tuple[Handler, Handler]] = {
    "CheckJobStatus": (_check_job, _job_status),
    "GetJobResults": (_check_job, _job_results),
    "StartAnalysis": (_check_upload, _start_analysis),
    "FallbackIntent": (_delegate_all, _fallback),
}
SUCCESSFUL_STARTS = frozenset(
    {AnalysisOutcome.STARTED, AnalysisOutcome.RETRIED, AnalysisOutcome.IN_PROGRESS, AnalysisOutcome.FINISHED}
)


# --- slot values ------------------------------------------------------------------------------


def _shown(said: str) -> str:
    said = " ".join(said.split())
    return said if len(said) <= 48 else said[:47] + "…"


def _job(said: str | None) -> Job:
    """The job a user named (a UUID with or without dashes, any case), or ``_Refused``."""
    if not said or not said.strip():
        raise _Refused("Which job? Please give me its job id.")
    compact = said.strip().lower().replace("-", "")
    if not JOB_ID.fullmatch(compact):
        raise _Refused(
            f'"{_shown(said)}" is not a job id: a job id is 32 hexadecimal digits (0-9 and a-f), as POST /uploads '
            "returned it. Which job?"
        )
    try:
        return services.jobs_table().get(compact)
    except NotFound:
        raise _Refused(f"There is no job {compact}. Please check the id: which job?") from None


def _upload(said: str | None) -> Job:
    """The job of the upload a user named whose file has landed, or ``_Refused``."""
    if not said or not said.strip():
        raise _Refused("Which uploaded file should I analyse? Please give me its file name.")
    try:
        job = uploads.find_upload(said)
    except InvalidRequest as invalid:
        raise _Refused(f"{invalid.message}. Which file?") from None
    if job is None:
        raise _Refused(
            f'I found no upload named "{_shown(said)}". Name a file uploaded to Insight: its file name, or its key '
            "uploads/<job id>/<file name>. Which file?"
        )
    if job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.EXPIRED) and not uploads.has_landed(job):
        waiting = "its upload form expired unused" if job.status is JobStatus.EXPIRED else "it waits for its file"
        raise _Refused(
            f"{job.file_name} has not been uploaded: job {job.job_id} was made for it, but {waiting}. "
            "Upload it with the form POST /uploads gave, or name another file. Which file?"
        )
    return job


# --- what is said ----------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "an unknown time"


def describe(job: Job) -> str:
    """A job's status in a sentence or two, in the words of its kind (pages, pixels, speech)."""
    name = f"Job {job.job_id} ({job.file_name})"
    if job.status is JobStatus.AWAITING_UPLOAD:
        return f"{name} is waiting for its file: upload it with the form that POST /uploads gave."
    if job.status is JobStatus.RECEIVED:
        return f"{name} was received at {_when(job.updated_at)} and is queued for analysis."
    if job.status is JobStatus.RUNNING:
        return f"{name} is running: {_step(job)} (since {_when(job.updated_at)})."
    if job.status is JobStatus.SUCCEEDED:
        return f"{name} succeeded at {_when(job.finished_at)}.{_extent(job)} Ask me for its results."
    if job.status is JobStatus.FAILED:
        error = f" {job.error.type}: {job.error.reason}" if job.error else ""
        return f"{name} failed at {_when(job.finished_at)}.{error}".rstrip(".") + "."
    return f"{name} expired at {_when(job.finished_at)}: no file was uploaded with its form."


def _step(job: Job) -> str:
    return STEPS_OF_KIND.get(job.kind, {}).get(job.step) or STEPS.get(job.step, job.step.value)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _speech(summary: MediaSummary) -> str:
    """How much speech was transcribed: its length when the file's headers tell it."""
    if summary.duration_seconds is None:
        return "speech transcribed"
    return f"{_count(round(summary.duration_seconds), 'second')} of speech transcribed"


def _extent(job: Job) -> str:
    """How much of the file was analysed, in words: pages, pixels, seconds."""
    summary = job.summary
    if isinstance(summary, DocumentSummary):
        return f" {summary.pages} page(s) read."
    if isinstance(summary, ImageSummary):
        return f" A {summary.width} x {summary.height} image analysed."
    if isinstance(summary, MediaSummary):
        return f" {_speech(summary).capitalize()}."
    return ""


def _text_findings(summary: TextSummary, redacted: bool = False) -> str:
    found = []
    if summary.entities:
        found.append("Entities: " + ", ".join(f"{e.count} {e.type}" for e in summary.entities) + ".")
    if summary.key_phrases:
        found.append("Key phrases: " + "; ".join(summary.key_phrases[:8]) + ".")
    if summary.pii_entities:
        personal = ", ".join(f"{e.count} {e.type}" for e in summary.pii_entities)
        kept = " (replaced by its type in the redacted transcript and its translations)" if redacted else ""
        found.append(f"Personal data: {personal}{kept}.")
    else:
        found.append("No personal data found.")
    return " ".join(found)


def _image_findings(summary: ImageSummary) -> list[str]:
    moderation = summary.moderation
    if moderation.status == "unavailable":
        checked = f"Moderation was not checked ({moderation.reason or 'Rekognition did not answer'})."
    elif moderation.labels:
        checked = "Moderation flagged: " + ", ".join(moderation.labels) + "."
    else:
        checked = "Moderation: nothing flagged."
    labels = ", ".join(summary.labels)
    lines = " | ".join(summary.text)
    return [
        f"a {summary.width} x {summary.height} image ({summary.media_type}), "
        f"{_count(summary.faces, 'face') if summary.faces else 'no face'} found. "
        + (f"Labels: {labels}." if labels else "No labels found."),
        (f"Text read in the image: {lines}." if lines else "No text read in the image.") + f" {checked}",
    ]


def _translations(summary: MediaSummary) -> str:
    if not summary.translations:
        return "No translations were asked for."
    done = [t.language for t in summary.translations if t.status == "translated"]
    refused = [f"{t.language} ({t.reason or t.status})" for t in summary.translations if t.status != "translated"]
    told = "Translated into " + ", ".join(done) + "." if done else "No translation could be made."
    return told + (" Not available: " + "; ".join(refused) + "." if refused else "")


def _media_findings(summary: MediaSummary) -> list[str]:
    return [
        f"{_speech(summary)}: a transcript of {_count(summary.characters, 'character')} "
        f"in language {summary.language or 'not detected'}, sentiment {summary.sentiment or 'not analysed'}.",
        _text_findings(summary, redacted=True),
        _translations(summary),
    ]


def summarise(view: JobView) -> list[str]:
    """A succeeded job's summary in the words of its kind, with links to what it wrote, as
    messages within Lex's length limit."""
    job = view.job
    summary = job.summary
    assert summary is not None
    name = f"Job {job.job_id} ({job.file_name})"
    if isinstance(summary, ImageSummary):
        first, *rest = _image_findings(summary)
    elif isinstance(summary, MediaSummary):
        first, *rest = _media_findings(summary)
    else:
        first = (
            f"{summary.pages} page(s), {summary.characters} characters, language "
            f"{summary.language or 'not detected'}, sentiment {summary.sentiment or 'not analysed'}."
        )
        rest = [_text_findings(summary)]
    messages = [f"{name}: {first}", *rest]
    for download, said in DOWNLOADS.items():
        if download in view.downloads:
            messages.append(f"{said}: {view.downloads[download]}")
    return messages


def tell_start(started: AnalysisStart) -> str:
    job = started.job
    outcome = started.outcome
    if outcome is AnalysisOutcome.STARTED:
        return f'I started analysing {job.file_name} as job {job.job_id}. Ask me "status of job {job.job_id}".'
    if outcome is AnalysisOutcome.RETRIED:
        return (
            f"Job {job.retry_of} failed, so I am analysing {job.file_name} again as job {job.job_id}. "
            f'Ask me "status of job {job.job_id}".'
        )
    if outcome is AnalysisOutcome.IN_PROGRESS:
        return f"{job.file_name} is being analysed already, nothing new was started. {describe(job)}"
    if outcome is AnalysisOutcome.FINISHED:
        return f"{job.file_name} was analysed already. {describe(job)}"
    if outcome is AnalysisOutcome.NOT_UPLOADED:
        return f"{job.file_name} has not been uploaded yet, so there is nothing to analyse. {describe(job)}"
    if outcome is AnalysisOutcome.NOT_RETRIABLE:
        reason = job.error.reason if job.error else "the file cannot be analysed"
        return (
            f"Job {job.job_id} failed because of the file itself ({reason}); analysing it again would fail the "
            "same way. Please upload a corrected file."
        )
    return f"I could not start the analysis of {job.file_name}. {describe(job)}"


# --- responses ---------------------------------------------------------------------------------


def _messages(texts: tuple[str, ...]) -> list[Message]:
    return [Message(content=text[:MAX_MESSAGE_CHARACTERS]) for text in texts if text]


def _attributes(event: LexEvent, job_id: str | None, attempts: int = 0) -> dict[str, str]:
    attributes = dict(event.sessionState.sessionAttributes)
    if job_id:
        attributes[JOB_ATTRIBUTE] = job_id
    if attempts:
        attributes[ATTEMPTS_ATTRIBUTE] = str(attempts)
    else:
        attributes.pop(ATTEMPTS_ATTRIBUTE, None)
    return attributes


def _close(event: LexEvent, state: IntentState, *texts: str, job_id: str | None = None) -> LexResponse:
    return LexResponse(
        sessionState=SessionState(
            sessionAttributes=_attributes(event, job_id),
            dialogAction=DialogAction(type="Close"),
            intent=event.intent.model_copy(update={"state": state}),
        ),
        messages=_messages(texts),
    )


def _delegate(event: LexEvent, slots: dict[str, Slot | None] | None = None, job_id: str | None = None) -> LexResponse:
    """Let Lex go on: ask for the next slot, or fulfil the intent."""
    intent = event.intent
    if slots:
        intent = intent.model_copy(update={"slots": {**intent.slots, **slots}})
    return LexResponse(
        sessionState=SessionState(
            sessionAttributes=_attributes(event, job_id),
            dialogAction=DialogAction(type="Delegate"),
            intent=intent,
        )
    )


def _ask_again(event: LexEvent, slot: str, why: str) -> LexResponse:
    """Ask for ``slot`` again, saying why the value given is no good; after ``MAX_ATTEMPTS``
    refusals in a row the intent ends, failed."""
    try:
        attempts = int(event.sessionState.sessionAttributes.get(ATTEMPTS_ATTRIBUTE, "0")) + 1
    except ValueError:
        attempts = 1
    metrics.add_metric(name="ChatValuesRefused", unit=MetricUnit.Count, value=1)
    logger.info("slot value refused", slot=slot, attempts=attempts)
    if attempts >= MAX_ATTEMPTS:
        return _close(
            event,
            "Failed",
            why.rsplit(". ", 1)[0] + ".",
            f"That was {attempts} tries, so let us leave it there. {CAPABILITIES}",
        )
    intent = event.intent.model_copy(update={"slots": {**event.intent.slots, slot: None}, "state": "InProgress"})
    return LexResponse(
        sessionState=SessionState(
            sessionAttributes=_attributes(event, None, attempts),
            dialogAction=DialogAction(type="ElicitSlot", slotToElicit=slot),
            intent=intent,
        ),
        messages=_messages((why,)),
    )
