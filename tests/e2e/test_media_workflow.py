"""The media workflow end to end through the local runtime: an audio or video upload,
Transcribe (offline: pocketsphinx) waited on through a task token that its EventBridge event
resumes, Comprehend on the transcript, Translate, Polly, the job API."""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

from bench.inputs import speech
from tests.e2e.conftest import SAMPLES, Client, wait_for_job
from tests.e2e.test_document_workflow import results_of, upload
from tests.e2e.test_image_workflow import history, s3_bytes


def transcription_status(runtime: Any, job_id: str) -> str | None:
    """The status of the Transcribe job named by the job id; None before it exists."""
    transcribe = runtime.aws.client("transcribe")
    with contextlib.suppress(transcribe.exceptions.NotFoundException):
        return str(
            transcribe.get_transcription_job(TranscriptionJobName=job_id)["TranscriptionJob"]["TranscriptionJobStatus"]
        )
    return None


def wait_for_transcription(runtime: Any, job_id: str, statuses: tuple[str, ...], timeout: float = 60) -> str | None:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline and status not in statuses:
        time.sleep(0.05)
        status = transcription_status(runtime, job_id)
    return status


def transcribe_state_scheduled(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The TaskScheduled event of the workflow's Transcribe state."""
    entered = next(i for i, e in enumerate(events) if e.get("stateEnteredEventDetails", {}).get("name") == "Transcribe")
    return next(e for e in events[entered:] if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]


def test_an_uploaded_voicemail_is_transcribed_analysed_translated_and_spoken(runtime: Any, api: Client) -> None:
    # Given the sample voicemail (12 seconds of speech), to be translated into Spanish and
    # Japanese and summed up aloud
    data = (SAMPLES / "voicemail.mp3").read_bytes()
    # When it is uploaded through the API's presigned form
    job_id = upload(api, "voicemail.mp3", data, "audio/mpeg", translate_to=["es", "ja"], spoken_summary=True)
    view = wait_for_job(api, job_id, timeout=120)
    job = view["job"]
    # Then the media workflow ran and the job SUCCEEDED
    assert job["status"] == "SUCCEEDED", job
    assert job["kind"] == "MEDIA"
    assert job["options"] == {"translate_to": ["es", "ja"], "spoken_summary": True}
    results = results_of(runtime, view)
    # with a transcript of the spoken words
    text = results["transcript"]["text"]
    for spoken in ("John Smith", "London", "Monday morning", "the new contract", "happy with the product"):
        assert spoken in text, text
    assert results["transcript"]["segments"][0]["start_seconds"] < 1.0
    # analysed like a document's text
    summary = job["summary"]
    assert summary["language"] == "en" and summary["sentiment"] == "POSITIVE"
    assert {"PERSON", "LOCATION"} <= {e["type"] for e in summary["entities"]}
    assert 11.5 < summary["duration_seconds"] < 12.5
    # with its PII redacted in a copy, and the original kept
    assert any(e["Type"] == "NAME" for e in results["pii_entities"])
    assert "[NAME]" in results["redacted_transcript"] and "John Smith" not in results["redacted_transcript"]
    assert summary["redacted_pii"] == len(results["pii_entities"])
    assert "John Smith" in {p["Text"] for p in results["key_phrases"]}
    assert "John Smith" not in summary["key_phrases"]  # the job's summary names no one
    # translated into Spanish; Japanese, a pair the offline Translate lacks, recorded as unavailable
    translations = {t["language"]: t for t in results["translations"]}
    assert translations["es"]["status"] == "translated"
    assert "Londres" in translations["es"]["text"] and "contrato" in translations["es"]["text"]
    assert translations["ja"]["status"] == "unavailable"
    assert "UnsupportedLanguagePairException" in translations["ja"]["reason"]
    assert [t["status"] for t in summary["translations"]] == ["translated", "unavailable"]
    # made from the redacted copy: none of the personal data found in the transcript is in it
    found = {text[e["BeginOffset"] : e["EndOffset"]] for e in results["pii_entities"]}
    assert "John Smith" in found
    assert not any(value in translations["es"]["text"] for value in found), translations["es"]["text"]
    assert "[NOMBRE]" in translations["es"]["text"]  # the placeholder, translated with the rest
    # and a spoken summary in S3, an MP3 of a text that repeats no PII
    audio = s3_bytes(runtime, summary["spoken_summary"])
    assert len(audio) > 10_000 and (audio[:3] == b"ID3" or audio[0] == 0xFF)
    spoken_text = results["spoken_summary"]["text"]
    assert "Summary of voicemail.mp3" in spoken_text and "a redacted name" in spoken_text
    assert "John Smith" not in spoken_text
    assert set(view["downloads"]) == {"results", "spoken_summary"}
    # And Transcribe's job carries the job id as its name
    transcription = runtime.aws.client("transcribe").get_transcription_job(TranscriptionJobName=job_id)
    assert transcription["TranscriptionJob"]["TranscriptionJobStatus"] == "COMPLETED"
    # And the workflow waited on a task token, with a timeout and heartbeat set from the duration,
    # and no polling loop
    events = history(runtime, "MediaWorkflow", job_id)
    scheduled = transcribe_state_scheduled(events)
    assert scheduled["resource"] == "invoke.waitForTaskToken"
    assert scheduled["timeoutInSeconds"] == 900 + math.ceil(2 * summary["duration_seconds"])
    assert scheduled["heartbeatInSeconds"] == scheduled["timeoutInSeconds"] - 1
    assert not any(e["type"] == "WaitStateEntered" for e in events)


@contextlib.contextmanager
def setting(name: str, value: str) -> Iterator[None]:
    """One of Insight's settings changed for the functions that run meanwhile (they run in
    this process and read the settings afresh after ``services.reset``)."""
    import os

    from chalicelib import services

    variable = f"INSIGHT_{name.upper()}"
    os.environ[variable] = value
    services.reset()
    try:
        yield
    finally:
        os.environ.pop(variable, None)
        services.reset()


def test_a_long_spoken_summary_is_read_by_a_synthesis_task_whose_notification_resumes_the_workflow(
    runtime: Any, api: Client
) -> None:
    # Given summaries over 100 characters count as long (SynthesizeSpeech's own limit is 3,000)
    with setting("speech_task_characters", "100"):
        # When the voicemail is uploaded with a spoken summary asked for
        data = (SAMPLES / "voicemail.mp3").read_bytes()
        job_id = upload(api, "voicemail.mp3", data, "audio/mpeg", spoken_summary=True)
        view = wait_for_job(api, job_id, timeout=120)
    # Then the job SUCCEEDED with the audio Polly's synthesis task wrote to the job's files
    job = view["job"]
    assert job["status"] == "SUCCEEDED", job
    audio = job["summary"]["spoken_summary"]
    assert audio["key"].startswith(f"jobs/{job_id}/spoken-summary.") and audio["key"].endswith(".mp3")
    data = s3_bytes(runtime, audio)
    assert len(data) > 10_000 and (data[:3] == b"ID3" or data[0] == 0xFF)
    # And the workflow waited on a task token that Polly's SNS notification resumed
    events = history(runtime, "MediaWorkflow", job_id)
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert "SpeakLongSummary" in entered and "SpeakSummary" not in entered
    assert any(
        e["type"] == "TaskScheduled"
        and e["taskScheduledEventDetails"]["resource"] == "invoke.waitForTaskToken"
        and "spoken" in e["taskScheduledEventDetails"]["parameters"]
        for e in events
    )
    polly = runtime.aws.client("polly")
    task_id = audio["key"].split(".")[-2]
    assert polly.get_speech_synthesis_task(TaskId=task_id)["SynthesisTask"]["TaskStatus"] == "completed"


def test_video_in_other_containers_is_transcribed(runtime: Any, api: Client) -> None:
    sentence = "Please send me the report as soon as it is ready."
    for kind, content_type in (("webm", "video/webm"), ("mp4", "video/mp4")):
        # Given speech in a WebM (Opus) and an MP4 (AAC) container
        data = speech.media(sentence, kind)
        # When each is uploaded
        job_id = upload(api, f"note.{kind}", data, content_type)
        view = wait_for_job(api, job_id, timeout=120)
        # Then each is transcribed, its duration read from its own headers
        assert view["job"]["status"] == "SUCCEEDED", view["job"]
        assert 2.5 < view["job"]["summary"]["duration_seconds"] < 4.5, kind
        text = results_of(runtime, view)["transcript"]["text"].lower()
        assert "report" in text and "ready" in text, (kind, text)


def video_without_sound() -> bytes:
    """Two seconds of MPEG-4 video with no audio track: a container Transcribe opens but
    finds nothing to transcribe in."""
    import io

    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index * 10, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


def test_media_transcribe_cannot_read_ends_failed_with_its_reason(runtime: Any, api: Client) -> None:
    # Given a video with no sound: valid headers, nothing Transcribe can transcribe
    job_id = upload(api, "silent.mp4", video_without_sound(), "video/mp4")
    # When the workflow has run
    job = wait_for_job(api, job_id, timeout=120)["job"]
    # Then Transcribe's failure reached the waiting step, and the job says why
    assert job["status"] == "FAILED"
    assert job["step"] == "transcribing"
    assert job["error"]["type"] == "TranscriptionFailed"
    assert "no audio stream" in job["error"]["reason"]


def test_bytes_that_are_not_the_media_declared_end_failed_with_the_reason(runtime: Any, api: Client) -> None:
    mp3 = (SAMPLES / "voicemail.mp3").read_bytes()
    cases = (
        ("note.mp3", b"This is plain text, not audio at all. " * 10, "audio/mpeg", "not audio or video"),
        ("note.wav", mp3, "audio/wav", "is MP3 audio but was uploaded as audio/wav"),
        ("note.mp3", b"ID3" + bytes(200), "audio/mpeg", "MP3"),
    )
    for file_name, data, content_type, reason in cases:
        # Given bytes declared as audio they are not (or broken audio)
        # When they are uploaded
        job = wait_for_job(api, upload(api, file_name, data, content_type))["job"]
        # Then the job is FAILED at validation with why, before Transcribe is asked
        assert job["status"] == "FAILED", job
        assert (job["error"]["type"], job["step"]) == ("InvalidMedia", "validating"), job
        assert reason in job["error"]["reason"], job["error"]


def test_a_lost_transcription_event_is_found_by_the_watch(runtime: Any, api: Client) -> None:
    # Given the rule that delivers Transcribe's events is switched off: the next one is lost
    events = runtime.aws.client("events")
    rule = runtime.deployment.names["TranscriptionsEnded"]
    events.disable_rule(Name=rule)
    try:
        data = speech.media("The contract expires at the end of next year.", "wav")
        job_id = upload(api, "note.wav", data, "audio/wav")
        assert wait_for_transcription(runtime, job_id, ("COMPLETED",)) == "COMPLETED"
        time.sleep(0.5)
        _, view = api.call("GET", f"/jobs/{job_id}")
        assert view["job"]["status"] == "RUNNING" and view["job"]["step"] == "transcribing"
    finally:
        events.enable_rule(Name=rule)
    # When the scheduled watch runs
    report = runtime.scheduler.fire("TranscriptionWatch")
    # Then it found the end, the workflow went on, and the job SUCCEEDED
    assert job_id in report["finished"]
    view = wait_for_job(api, job_id, timeout=60)
    assert view["job"]["status"] == "SUCCEEDED", view["job"]
    assert "contract" in results_of(runtime, view)["transcript"]["text"]


@contextlib.contextmanager
def held(module: Any, name: str) -> Iterator[threading.Event]:
    """``module.name`` (a local engine's function; the runtime runs in this process) waits
    until the event is set, so the work it does stays in progress as long as the test needs."""
    release = threading.Event()
    engine = getattr(module, name)

    def waiting(*args: Any, **kwargs: Any) -> Any:
        release.wait(timeout=60)
        return engine(*args, **kwargs)

    setattr(module, name, waiting)
    try:
        yield release
    finally:
        release.set()
        setattr(module, name, engine)


def transcribe_held() -> contextlib.AbstractContextManager[threading.Event]:
    """The local Transcribe's engine waits, once it has a job: its job stays IN_PROGRESS."""
    from insight_local.ai import transcribe

    return held(transcribe, "transcribe")


def test_the_watch_sends_a_heartbeat_while_transcribe_works(runtime: Any, api: Client) -> None:
    with transcribe_held() as release:
        # Given a job whose transcription Transcribe is working on
        data = speech.media("Please send me the report as soon as it is ready.", "mp3")
        job_id = upload(api, "meeting.mp3", data, "audio/mpeg")
        assert wait_for_transcription(runtime, job_id, ("IN_PROGRESS",)) == "IN_PROGRESS"
        # When the scheduled watch runs
        report = runtime.scheduler.fire("TranscriptionWatch")
        # Then the waiting step got a heartbeat (Transcribe still works), and nothing was cut short
        assert job_id in report["heartbeats"], report
        assert job_id not in report["finished"] + report["lost"]
        events = history(runtime, "MediaWorkflow", job_id)
        assert not any(e["type"] in ("TaskTimedOut", "TaskFailed") for e in events)
        _, view = api.call("GET", f"/jobs/{job_id}")
        assert (view["job"]["status"], view["job"]["step"]) == ("RUNNING", "transcribing")
        release.set()
    # And once Transcribe ends, its event resumes the workflow and the job SUCCEEDS
    view = wait_for_job(api, job_id, timeout=120)
    assert view["job"]["status"] == "SUCCEEDED", view["job"]
    assert "report" in results_of(runtime, view)["transcript"]["text"].lower()


def test_a_transcription_that_outlasts_the_wait_set_from_the_duration_ends_failed(runtime: Any, api: Client) -> None:
    # Given the wait for Transcribe is 1 second plus 0.1 second per second of media, and
    # Transcribe never finishes in that time
    with (
        setting("transcription_base_seconds", "1"),
        setting("transcription_seconds_per_media_second", "0.1"),
        transcribe_held(),
    ):
        # When a clip of about 3 seconds is uploaded
        data = speech.media("Please send me the report as soon as it is ready.", "wav")
        job_id = upload(api, "late.wav", data, "audio/wav")
        view = wait_for_job(api, job_id, timeout=60)
    # Then the step timed out after the wait set from its duration (1 + ceil(0.1 x 3) = 2 s,
    # heartbeats expected every second), and the job is FAILED saying why
    job = view["job"]
    assert job["status"] == "FAILED", job
    assert (job["error"]["type"], job["step"]) == ("TranscriptionTimedOut", "transcribing")
    assert "within the 2 seconds allowed for this media" in job["error"]["reason"]
    scheduled = transcribe_state_scheduled(history(runtime, "MediaWorkflow", job_id))
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (2, 1)


def polly_tasks_held() -> contextlib.AbstractContextManager[threading.Event]:
    """The local Polly's synthesis tasks wait: a workflow stays waiting on its spoken summary."""
    from insight_local.ai import audio_services

    return held(audio_services, "_synthesize")


def test_a_late_repeat_of_the_transcription_event_does_not_resume_a_later_wait(runtime: Any, api: Client) -> None:
    # Given a job waiting on Polly's synthesis task for its (long) spoken summary
    with setting("speech_task_characters", "100"), polly_tasks_held() as release:
        data = (SAMPLES / "voicemail.mp3").read_bytes()
        job_id = upload(api, "voicemail.mp3", data, "audio/mpeg", spoken_summary=True)
        deadline = time.monotonic() + 60
        step = None
        while time.monotonic() < deadline and step != "speaking_summary":
            time.sleep(0.1)
            step = api.call("GET", f"/jobs/{job_id}")[1]["job"]["step"]
        assert step == "speaking_summary"
        # When Transcribe's end event for the job is delivered again, late (at least once)
        detail = {"TranscriptionJobName": job_id, "TranscriptionJobStatus": "COMPLETED"}
        runtime.aws.client("events").put_events(
            Entries=[
                {"Source": "aws.transcribe", "DetailType": "Transcribe Job State Change", "Detail": json.dumps(detail)}
            ]
        )
        time.sleep(1.0)
        # Then the wait for the spoken summary is not resumed by it
        view = api.call("GET", f"/jobs/{job_id}")[1]
        assert (view["job"]["status"], view["job"]["step"]) == ("RUNNING", "speaking_summary")
        release.set()
        # And once Polly ends, the job SUCCEEDS with the audio Polly wrote
        view = wait_for_job(api, job_id, timeout=120)
    assert view["job"]["status"] == "SUCCEEDED", view["job"]
    assert view["job"]["summary"]["spoken_summary"]["key"].endswith(".mp3")
