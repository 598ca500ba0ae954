"""The media workflow's analysis and translation steps against the local AWS (DynamoDB, S3,
the offline Comprehend and Translate): the translation step is given, by the state machine, the
redacted transcript that the analysis step wrote, so no personal data reaches Translate or a
translation; the job's summary names no key phrase that holds personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jmespath
import pytest

from chalicelib import media_workflow, services
from chalicelib.job_files import job_file
from chalicelib.models import (
    Job,
    JobKind,
    JobStatus,
    JobStep,
    MediaInfo,
    ObjectRef,
    TranscriptAnalysisRequest,
    TranscriptionWait,
    TranscriptText,
    TranslationRequest,
)
from infra.resources import STACK, Table, table_definition
from insight_local.server import LocalAWS

ROOT = Path(__file__).resolve().parents[2]
UPLOADS, RESULTS, JOBS = "insight-test-uploads", "insight-test-results", "insight-test-jobs"
BUCKETS = (UPLOADS, RESULTS)
JOB_ID = "7d0c5e4b3a2f41e8b9c6d5e4f3a2b1c0"
#: A voicemail's transcript with a name, a phone number and an e-mail address in it.
SPOKEN = (
    "Hello, this is John Smith from the sales team in London. Please call me back on 206-555-0134 "
    "or write to john.smith@example.com about the new contract."
)


@pytest.fixture
def media_job(aws: LocalAWS, monkeypatch: pytest.MonkeyPatch) -> Iterator[TranscriptText]:
    """A media job being analysed: its record, and its transcript in the job's files."""
    monkeypatch.setenv("INSIGHT_JOBS_TABLE", JOBS)
    monkeypatch.setenv("INSIGHT_UPLOAD_BUCKET", UPLOADS)
    monkeypatch.setenv("INSIGHT_RESULTS_BUCKET", RESULTS)
    dynamodb = aws.client("dynamodb")
    if JOBS not in dynamodb.list_tables()["TableNames"]:
        declaration = next(t for t in STACK.tables if t.logical_id == "Jobs")
        assert isinstance(declaration, Table)
        dynamodb.create_table(TableName=JOBS, **table_definition(declaration))
    services.reset()
    moment = datetime.now(UTC)
    services.jobs_table().create(
        Job(
            job_id=JOB_ID,
            kind=JobKind.MEDIA,
            status=JobStatus.RUNNING,
            step=JobStep.TRANSCRIBING,
            file_name="voicemail.mp3",
            content_type="audio/mpeg",
            size=49_000,
            source=ObjectRef(bucket=UPLOADS, key=f"uploads/{JOB_ID}/voicemail.mp3"),
            created_at=moment,
            updated_at=moment,
        )
    )
    transcript = services.storage().write_json(
        job_file(JOB_ID, "transcript.json"), {"text": SPOKEN, "language_code": "en-US", "segments": []}
    )
    yield TranscriptText(transcript=transcript, characters=len(SPOKEN), language_code="en-US")
    aws.client("dynamodb").delete_item(TableName=JOBS, Key={"job_id": {"S": JOB_ID}})
    services.reset()


def translation_requests(state: dict[str, Any]) -> list[dict[str, Any]]:
    """What the media workflow's Translate Map gives its TranslateTranscript task for each
    language, its Parameters' paths read from ``statemachines/media.asl.json``."""
    translate = json.loads((ROOT / "statemachines" / "media.asl.json").read_text())["States"]["Translate"]
    task = translate["Iterator"]["States"][translate["Iterator"]["StartAt"]]["Parameters"]

    def picked(parameters: dict[str, str], scope: dict[str, Any], item: str) -> dict[str, Any]:
        assert all(name.endswith(".$") for name in parameters), parameters  # paths only: no text in the state
        return {
            name[:-2]: item if path == "$$.Map.Item.Value" else jmespath.search(path.removeprefix("$."), scope)
            for name, path in parameters.items()
        }

    languages = jmespath.search(translate["ItemsPath"].removeprefix("$."), state)
    return [picked(task, picked(translate["Parameters"], state, language), language) for language in languages]


def test_the_translation_is_made_of_the_redacted_transcript_and_holds_no_pii(media_job: TranscriptText) -> None:
    # Given a transcript with a name, a phone number and an e-mail address, analysed by the
    # workflow's analysis step (which writes the redacted copy)
    info = MediaInfo(
        media_type="audio/mpeg",
        format="mp3",
        size=49_000,
        duration_seconds=9.5,
        wait=TranscriptionWait(timeout_seconds=919, heartbeat_seconds=918),
    )
    analysis = media_workflow.analyse_transcript(
        TranscriptAnalysisRequest(job_id=JOB_ID, file_name="voicemail.mp3", info=info, transcript=media_job)
    )
    found = services.storage().read_json(analysis.analysis)["pii_entities"]
    pii = {SPOKEN[int(e["BeginOffset"]) : int(e["EndOffset"])] for e in found}
    assert {"John Smith", "206-555-0134", "john.smith@example.com"} <= pii
    # And the job's summary names no key phrase that holds them (the results document keeps all)
    phrases = [p["Text"] for p in services.storage().read_json(analysis.analysis)["key_phrases"]]
    assert "John Smith" in phrases
    assert analysis.summary.key_phrases and not any(v in k for k in analysis.summary.key_phrases for v in pii)
    # And every text Translate is asked to translate is recorded, as botocore sends it
    sent: list[str] = []
    client = services.translate()._translate
    client.meta.events.register(
        "before-parameter-build.translate.TranslateText", lambda params, **_: sent.append(params["Text"])
    )
    # When the workflow's Translate Map runs its step with what the state machine passes it
    state = {
        "job_id": JOB_ID,
        "media": {"bucket": UPLOADS, "key": f"uploads/{JOB_ID}/voicemail.mp3"},
        "options": {"translate_to": ["es"], "spoken_summary": False},
        "info": info.model_dump(mode="json"),
        "transcript": media_job.model_dump(mode="json"),
        "analysis": analysis.model_dump(mode="json"),
    }
    [request] = translation_requests(state)
    translation = media_workflow.translate_transcript(TranslationRequest.model_validate(request))
    # Then Translate was given the redacted transcript: no name, phone number or e-mail address
    assert sent and all(not any(value in text for value in pii) for text in sent), sent
    assert "[NAME]" in " ".join(sent)
    # And the Spanish translation holds none of them either, and is a real translation
    assert translation.status == "translated" and translation.translation is not None
    spanish = services.storage().read(translation.translation).decode()
    assert not any(value in spanish for value in pii), spanish
    assert "Londres" in spanish and "contrato" in spanish
