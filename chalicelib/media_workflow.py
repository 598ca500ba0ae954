"""The steps of the media workflow (``statemachines/media.asl.json``): audio and video.

Validate the upload (container by magic bytes, size, duration from its headers); start a
Transcribe job named by the job id and wait on a task token, resumed by Transcribe's "Job State
Change" event (or, if that event is lost, by the scheduled watch, which also sends the waiting
step its heartbeats); analyse the transcript as documents are analysed and keep a redacted copy;
translate it into the languages the upload asked for; read a summary aloud with Polly; write
the results document and the job's summary.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote, urlparse

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import media, services, transcripts
from chalicelib.adapters.polly import SYNTHESIZE_LIMIT
from chalicelib.adapters.translate import TEXT_LIMIT
from chalicelib.clock import now
from chalicelib.errors import (
    AnalysisUnavailable,
    InsightError,
    InvalidMedia,
    NotFound,
    ServiceThrottled,
    ServiceUnavailable,
    SpeechSynthesisFailed,
    TranscriptionFailed,
)
from chalicelib.job_files import job_file
from chalicelib.models import (
    FinishedMedia,
    Job,
    JobStep,
    MediaExecution,
    MediaInfo,
    MediaSummary,
    ObjectRef,
    SpeechRequest,
    SpeechSynthesisCompleted,
    SpokenSummary,
    SpokenSummaryText,
    TranscriptAnalysis,
    TranscriptAnalysisRequest,
    TranscriptionStart,
    TranscriptionsWatched,
    TranscriptionWait,
    TranscriptText,
    Translation,
    TranslationRequest,
    TranslationSummary,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings
from chalicelib.text_analysis import analyse_text, redact, split_text, summarise_text

TRANSCRIPTION_OUTPUT = "transcription.json"  # Transcribe's own document
SPOKEN_SUMMARY = "spoken-summary"
#: Transcribe's job states, and the two that end a job.
WORKING = ("QUEUED", "IN_PROGRESS")
#: Bytes of each piece sent to TranslateText: under its limit, with room for the request.
TRANSLATE_PIECE = TEXT_LIMIT - 500


def validate_media(execution: MediaExecution) -> MediaInfo:
    """The upload is audio or video Insight transcribes: its real container, its size, its
    duration (from its headers, through ranged reads), and so how long to wait for Transcribe."""
    settings = get_settings()
    job = services.jobs_table().advance(execution.job_id, JobStep.VALIDATING, now())
    store = services.storage()
    head = store.head(execution.media)
    if head.size == 0:
        raise InvalidMedia("the file is empty (0 bytes)")
    if head.size > settings.max_media_bytes:
        raise InvalidMedia(f"the file is {head.size} bytes, over the limit of {settings.max_media_bytes}")
    media_format = media.check_format(store.read_head(execution.media, media.HEAD_BYTES), job.content_type)
    with store.open(execution.media, head.size) as reader:
        duration = media.duration_seconds(reader, media_format)
        fetched = reader.fetched
    if duration is not None and duration > settings.max_media_seconds:
        raise InvalidMedia(
            f"the media lasts {duration:.0f} seconds, over the limit of {settings.max_media_seconds} seconds"
        )
    wait = media.transcription_wait(
        duration,
        max_duration=settings.max_media_seconds,
        base_seconds=settings.transcription_base_seconds,
        seconds_per_media_second=settings.transcription_seconds_per_media_second,
        heartbeat_seconds=settings.transcription_heartbeat_seconds,
    )
    metrics.add_metric(name="MediaAccepted", unit=MetricUnit.Count, value=1)
    logger.info("media accepted", format=media_format, duration=duration, size=head.size, header_bytes_read=fetched)
    return MediaInfo(
        media_type=job.content_type,
        format=media_format,
        size=head.size,
        duration_seconds=round(duration, 3) if duration is not None else None,
        wait=TranscriptionWait(timeout_seconds=wait.timeout_seconds, heartbeat_seconds=wait.heartbeat_seconds),
    )


def start_transcription(start: TranscriptionStart) -> None:
    """Start the Transcribe job named by the job id; the workflow waits on ``start.task_token``,
    kept on the job before the job starts so that its end always finds it.

    Transcribe reads a key, not a version: the upload's version is first copied to the job's
    files, so that a later upload to the same key cannot change what is transcribed.
    """
    settings = get_settings()
    table = services.jobs_table()
    table.advance(start.job_id, JobStep.TRANSCRIBING, now())
    table.hold_task_token(start.job_id, start.task_token)
    source = start.media
    if source.version:
        source = services.storage().copy(source, job_file(start.job_id, f"media.{start.info.format}"))
    started = services.transcribe().start(
        start.job_id,
        source,
        start.info.format,
        output=job_file(start.job_id, TRANSCRIPTION_OUTPUT),
        languages=settings.transcription_languages,
    )
    logger.info("transcription started" if started else "transcription already started", media=source.key)


def _transcript(job_id: str, language_code: str | None) -> TranscriptText:
    store = services.storage()
    document = transcripts.from_transcribe(store.read_json(job_file(job_id, TRANSCRIPTION_OUTPUT)), language_code)
    ref = store.write_json(job_file(job_id, "transcript.json"), document)
    return TranscriptText(transcript=ref, characters=len(document["text"]), language_code=document["language_code"])


def finish_transcription(job_id: str) -> bool:
    """Resume the waiting workflow with the transcript, or fail its step with Transcribe's
    reason. The end may be seen more than once (the event, the watch): only the first finds
    the token. Returns whether this call settled the step."""
    table = services.jobs_table()
    token = table.task_token(job_id, JobStep.TRANSCRIBING)
    if token is None:
        metrics.add_metric(name="RepeatedTranscriptionEvents", unit=MetricUnit.Count, value=1)
        logger.info("no workflow waits for this transcription; repeated event")
        return False
    flow = services.workflows()
    try:
        status = services.transcribe().status(job_id)
        if status.status in WORKING:
            logger.info("transcription still running", status=status.status)
            return False
        if status.status != "COMPLETED":
            reason = status.failure_reason or f"the job ended {status.status}"
            raise TranscriptionFailed(f"Transcribe could not transcribe the media: {reason}")
        transcript = _transcript(job_id, status.language_code)
    except (ServiceThrottled, ServiceUnavailable):
        raise  # transient: the event is delivered again, or the watch finds the end
    except Exception as error:
        flow.fail(token, type(error).__name__, str(error))
        table.release_task_token(job_id, token)
        if isinstance(error, InsightError):
            logger.warning("transcription failed", reason=str(error))
            return True
        raise
    flow.resume(token, transcript.model_dump(mode="json"))
    table.release_task_token(job_id, token)
    metrics.add_metric(name="MediaTranscribed", unit=MetricUnit.Count, value=1)
    logger.info("transcription finished", characters=transcript.characters)
    return True


def watch_transcriptions() -> TranscriptionsWatched:
    """Every few minutes: each job waiting on Transcribe gets a heartbeat while its job works;
    a job whose end event was lost is finished here; one Transcribe no longer knows fails."""
    settings = get_settings()
    table = services.jobs_table()
    flow = services.workflows()
    report = TranscriptionsWatched()
    cutoff = now() - timedelta(hours=settings.reconcile_window_hours)
    for job in table.running_at(JobStep.TRANSCRIBING, cutoff):
        logger.set_correlation_id(job.job_id)
        token = table.task_token(job.job_id, JobStep.TRANSCRIBING)
        if token is None:
            continue
        try:
            status = services.transcribe().status(job.job_id)
            if status.status in WORKING:
                flow.heartbeat(token)
                report.heartbeats.append(job.job_id)
            elif finish_transcription(job.job_id):
                logger.warning("transcription ended without its event reaching the workflow; finished now")
                report.finished.append(job.job_id)
        except NotFound:
            flow.fail(token, "TranscriptionLost", "Transcribe has no transcription job for this job any more")
            table.release_task_token(job.job_id, token)
            report.lost.append(job.job_id)
        except InsightError as error:  # left for the next run
            logger.warning("could not watch the transcription", error=str(error))
    logger.set_correlation_id(None)
    if report.finished:
        metrics.add_metric(name="LostTranscriptionEvents", unit=MetricUnit.Count, value=len(report.finished))
    return report


def analyse_transcript(request: TranscriptAnalysisRequest) -> TranscriptAnalysis:
    """Comprehend over the transcript, as over a document's text; a copy with every PII entity
    replaced by its type; the text of the spoken summary. The job's summary names no key
    phrase that holds personal data (the results document keeps them all)."""
    settings = get_settings()
    services.jobs_table().advance(request.job_id, JobStep.ANALYZING_TEXT, now())
    store = services.storage()
    text = str(store.read_json(request.transcript.transcript)["text"])
    analysis = analyse_text(services.comprehend(), text)
    redacted = redact(text, analysis["pii_entities"])
    pii = analysis["pii_entities"]
    pii_spans = [(int(e["BeginOffset"]), int(e["EndOffset"])) for e in pii]
    key_phrases = [p for p in analysis["key_phrases"] if not transcripts.holds_pii(p, pii_spans)]
    summary = summarise_text({**analysis, "key_phrases": key_phrases}, characters=len(text))
    spoken = transcripts.spoken_summary(
        request.file_name,
        request.info.duration_seconds,
        summary,
        redacted,
        pii_count=len(pii),
        pii_spans=pii_spans,
        key_phrases=key_phrases,
        sentence_count=settings.spoken_summary_sentences,
    )
    result = TranscriptAnalysis(
        analysis=store.write_json(job_file(request.job_id, "analysis.json"), analysis),
        redacted=store.write_text(job_file(request.job_id, "transcript-redacted.txt"), redacted),
        redacted_pii=len(pii),
        summary=summary,
        spoken=SpokenSummaryText(
            text=store.write_text(job_file(request.job_id, f"{SPOKEN_SUMMARY}.txt"), spoken),
            characters=len(spoken),
            long=len(spoken) > settings.speech_task_characters,
        ),
    )
    metrics.add_metric(name="CharactersAnalysed", unit=MetricUnit.Count, value=len(text))
    logger.info("transcript analysed", language=summary.language, pii=len(pii))
    return result


def translate_transcript(request: TranslationRequest) -> Translation:
    """The redacted transcript in ``request.language``, or why Translate cannot give it (a
    language pair it does not offer): that is recorded, and does not fail the job. Only the
    redacted copy is translated: no personal data goes to Translate or into a translation
    (the ``[TYPE]`` placeholders may come back translated, e.g. ``[NOMBRE]``)."""
    services.jobs_table().advance(request.job_id, JobStep.TRANSLATING, now())
    store = services.storage()
    text = store.read(request.redacted).decode("utf-8")
    source = request.source_language or "auto"
    translator = services.translate()
    pieces: list[str] = []
    try:
        for _, piece in split_text(text, TRANSLATE_PIECE):
            if piece.strip():
                translated, source = translator.translate(piece, source, request.language)
                pieces.append(translated)
            else:
                pieces.append(piece)
    except AnalysisUnavailable as refusal:
        metrics.add_metric(name="TranslationsUnavailable", unit=MetricUnit.Count, value=1)
        logger.info("translation unavailable", language=request.language, reason=str(refusal))
        return Translation(language=request.language, status="unavailable", reason=str(refusal))
    translated_text = " ".join(piece.strip() for piece in pieces if piece.strip())
    ref = store.write_text(job_file(request.job_id, f"translation-{request.language}.txt"), translated_text)
    logger.info("transcript translated", language=request.language, source=source)
    return Translation(language=request.language, status="translated", translation=ref)


def speak_summary(request: SpeechRequest) -> SpokenSummary:
    """The summary read aloud by Polly at once (text within SynthesizeSpeech's limit), as MP3."""
    settings = get_settings()
    services.jobs_table().advance(request.job_id, JobStep.SPEAKING_SUMMARY, now())
    store = services.storage()
    text = store.read(request.spoken.text).decode("utf-8")
    if len(text) > SYNTHESIZE_LIMIT:
        raise SpeechSynthesisFailed(
            f"the summary has {len(text)} characters, over SynthesizeSpeech's {SYNTHESIZE_LIMIT}"
        )
    audio = services.polly().synthesize(text, settings.speech_voice)
    ref = store.write_bytes(job_file(request.job_id, f"{SPOKEN_SUMMARY}.mp3"), audio, "audio/mpeg")
    logger.info("summary spoken", characters=len(text), audio_bytes=len(audio))
    return SpokenSummary(audio=ref, characters=len(text), voice=settings.speech_voice)


def start_speech_synthesis(request: SpeechRequest) -> None:
    """A long summary: a Polly synthesis task writes the MP3; the workflow waits on the task
    token until Polly's notification (``finish_speech_synthesis``) resumes it."""
    settings = get_settings()
    if request.task_token is None:
        raise ValueError("the long summary's step needs its task token")
    table = services.jobs_table()
    table.advance(request.job_id, JobStep.SPEAKING_SUMMARY, now())
    table.hold_task_token(request.job_id, request.task_token)
    text = services.storage().read(request.spoken.text).decode("utf-8")
    task_id = services.polly().start_task(
        text,
        settings.speech_voice,
        output=job_file(request.job_id, SPOKEN_SUMMARY),
        topic_arn=settings.speech_synthesis_topic_arn,
    )
    logger.info("speech synthesis started", task_id=task_id, characters=len(text))


def output_location(uri: str) -> ObjectRef:
    """Polly's ``outputUri``: ``s3://bucket/key`` or ``https://s3.<region>.amazonaws.com/bucket/key``."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        return ObjectRef(bucket=parsed.netloc, key=unquote(parsed.path.lstrip("/")))
    bucket, _, key = unquote(parsed.path.lstrip("/")).partition("/")
    return ObjectRef(bucket=bucket, key=key)


def finish_speech_synthesis(completed: SpeechSynthesisCompleted) -> bool:
    """Resume the workflow waiting on a synthesis task with the audio's location, or fail its
    step with Polly's reason. The job is the one whose files the audio was written to."""
    settings = get_settings()
    audio = output_location(completed.outputUri)
    parts = audio.key.split("/")
    if len(parts) != 3 or parts[0] != "jobs" or not parts[2].startswith(SPOKEN_SUMMARY + "."):
        logger.info("synthesis task is not a job's spoken summary; ignored", output=completed.outputUri)
        return False
    job_id = parts[1]
    logger.set_correlation_id(job_id)
    table = services.jobs_table()
    token = table.task_token(job_id, JobStep.SPEAKING_SUMMARY)
    if token is None:
        logger.info("no workflow waits for this synthesis; repeated notification", task_id=completed.taskId)
        return False
    flow = services.workflows()
    if completed.taskStatus.upper() != "COMPLETED":
        reason = completed.taskStatusReason or f"the synthesis task ended {completed.taskStatus}"
        flow.fail(token, SpeechSynthesisFailed.__name__, f"Polly could not speak the summary: {reason}")
    else:
        spoken = SpokenSummary(audio=audio, characters=completed.requestCharacters, voice=settings.speech_voice)
        head = services.storage().head(audio)
        logger.info("speech synthesis finished", audio_bytes=head.size)
        flow.resume(token, spoken.model_dump(mode="json"))
    table.release_task_token(job_id, token)
    return True


def record_media_success(finished: FinishedMedia) -> Job:
    """Write the results document and mark the job SUCCEEDED with the media's summary."""
    table = services.jobs_table()
    table.advance(finished.job_id, JobStep.WRITING_RESULTS, now())
    store = services.storage()
    transcript = store.read_json(finished.transcript.transcript)
    analysis = store.read_json(finished.analysis.analysis)
    redacted = store.read(finished.analysis.redacted).decode("utf-8")
    translations = []
    for translation in finished.translations:
        entry = translation.model_dump(mode="json", exclude_none=True)
        if translation.translation is not None:
            entry["text"] = store.read(translation.translation).decode("utf-8")
        translations.append(entry)
    summary = MediaSummary(
        **finished.analysis.summary.model_dump(),
        duration_seconds=finished.info.duration_seconds,
        redacted_pii=finished.analysis.redacted_pii,
        translations=[
            TranslationSummary(language=t.language, status=t.status, reason=t.reason) for t in finished.translations
        ],
        spoken_summary=finished.speech.audio if finished.speech else None,
    )
    results = {
        "job_id": finished.job_id,
        "media": {**finished.media.model_dump(), **finished.info.model_dump(mode="json")},
        "options": finished.options.model_dump(mode="json"),
        "summary": summary.model_dump(mode="json"),
        **analysis,
        "transcript": transcript,
        "redacted_transcript": redacted,
        "translations": translations,
        "spoken_summary": {
            "text": store.read(finished.analysis.spoken.text).decode("utf-8"),
            "audio": finished.speech.model_dump(mode="json") if finished.speech else None,
        },
    }
    ref = store.write_json(job_file(finished.job_id, "results.json"), results)
    job = table.succeed(finished.job_id, now(), summary=summary, results=ref)
    metrics.add_metric(name="JobsSucceeded", unit=MetricUnit.Count, value=1)
    logger.info("job succeeded", status=job.status.value, translations=len(translations))
    return job
