"""Polly and Transcribe through boto3 against the local AWS (moto's server with the offline
engines): real audio and transcripts, the tasks' and jobs' life cycles, their outputs in S3,
their SNS and EventBridge notices, AWS's errors, and every answer in botocore's output shape."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

import botocore.session
import pytest
import soundfile
from botocore.exceptions import ClientError

from bench.inputs import speech
from insight_local.server import LocalAWS
from tests.botocore_shapes import check_shape

POLLY = botocore.session.get_session().get_service_model("polly")
TRANSCRIBE = botocore.session.get_session().get_service_model("transcribe")
TEXT = "The contract expires at the end of next year."


BUCKETS = ("media",)


def check_output(model: Any, operation: str, response: dict[str, Any]) -> None:
    """``response`` (parsed by boto3) fits the operation's output shape; timestamps are datetimes."""
    answer = {key: value for key, value in response.items() if key not in ("ResponseMetadata", "AudioStream")}
    _check(answer, model.operation_model(operation).output_shape, "$")


def _check(value: Any, shape: Any, path: str) -> None:
    if shape.type_name == "timestamp":
        assert isinstance(value, datetime), f"{path}: expected a timestamp, got {value!r}"
    elif shape.type_name == "structure":
        assert isinstance(value, dict), path
        assert not set(value) - set(shape.members), f"{path}: unknown keys {set(value) - set(shape.members)}"
        assert not set(shape.required_members) - set(value), f"{path}: missing {shape.required_members}"
        for key, item in value.items():
            _check(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        assert isinstance(value, list), path
        for index, item in enumerate(value):
            _check(item, shape.member, f"{path}[{index}]")
    else:
        check_shape(value, shape, path)


def eventually(condition: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def queue(aws: LocalAWS, name: str) -> tuple[str, str]:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def received(aws: LocalAWS, url: str) -> list[dict[str, Any]]:
    messages = aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


# --- Polly ----------------------------------------------------------------------------


def test_synthesize_speech_answers_real_audio_with_polly_headers(aws: LocalAWS) -> None:
    polly = aws.client("polly")
    # When the app asks for MP3 speech of a sentence
    answer = polly.synthesize_speech(Text=TEXT, VoiceId="Joanna", OutputFormat="mp3", SampleRate="16000")
    audio = answer["AudioStream"].read()
    # Then it gets MP3 at 16 kHz that lasts as long as the sentence takes to say, with Polly's headers
    check_output(POLLY, "SynthesizeSpeech", answer)
    assert answer["ContentType"] == "audio/mpeg"
    assert answer["RequestCharacters"] == len(TEXT)
    samples, rate = soundfile.read(io.BytesIO(audio), dtype="int16")
    assert rate == 16000 and 2.0 < len(samples) / rate < 5.0
    assert float((samples.astype(float) ** 2).mean() ** 0.5) > 500


def test_speech_marks_come_as_json_lines(aws: LocalAWS) -> None:
    answer = aws.client("polly").synthesize_speech(
        Text=TEXT, VoiceId="Matthew", OutputFormat="json", SpeechMarkTypes=["sentence", "word"]
    )
    assert answer["ContentType"] == "application/x-json-stream"
    marks = [json.loads(line) for line in answer["AudioStream"].read().decode().splitlines()]
    assert marks[0] == {"time": 0, "type": "sentence", "start": 0, "end": len(TEXT), "value": TEXT}
    assert [TEXT[m["start"] : m["end"]] for m in marks[1:]] == TEXT.rstrip(".").split()


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"Text": "<speak>unclosed", "TextType": "ssml"}, "InvalidSsmlException"),
        ({"VoiceId": "Nobody"}, "ValidationException"),
        ({"Text": "x" * 3001}, "TextLengthExceededException"),
        ({"SampleRate": "44100", "OutputFormat": "pcm"}, "InvalidSampleRateException"),
        ({"LexiconNames": ["missing"]}, "LexiconNotFoundException"),
    ],
)
def test_synthesize_speech_errors_are_pollys(aws: LocalAWS, request_: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as error:
        aws.client("polly").synthesize_speech(**{"Text": "Hi.", "VoiceId": "Joanna", "OutputFormat": "mp3", **request_})
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_synthesis_task_writes_audio_to_s3_and_notifies_its_topic(aws: LocalAWS) -> None:
    polly, s3 = aws.client("polly"), aws.client("s3")
    topic = aws.client("sns").create_topic(Name="polly-tasks")["TopicArn"]
    url, arn = queue(aws, "polly-tasks")
    aws.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    # When a synthesis task is started
    task = polly.start_speech_synthesis_task(
        Text=TEXT, VoiceId="Joanna", OutputFormat="ogg_vorbis", OutputS3BucketName="media",
        OutputS3KeyPrefix="speech/contract", SnsTopicArn=topic,
    )  # fmt: skip
    check_output(POLLY, "StartSpeechSynthesisTask", task)
    started = task["SynthesisTask"]
    assert started["TaskStatus"] == "scheduled"
    key = f"speech/contract.{started['TaskId']}.ogg"
    assert started["OutputUri"] == f"https://s3.us-east-1.amazonaws.com/media/{key}"
    # Then it completes, with the audio where OutputUri says
    done = eventually(
        lambda: (
            (got := polly.get_speech_synthesis_task(TaskId=started["TaskId"]))["SynthesisTask"]["TaskStatus"]
            == "completed"
            and got
        )
    )
    check_output(POLLY, "GetSpeechSynthesisTask", done)
    samples, rate = soundfile.read(io.BytesIO(s3.get_object(Bucket="media", Key=key)["Body"].read()))
    assert rate == 22050 and len(samples) / rate > 2.0
    # and the topic heard of it
    notice = eventually(lambda: received(aws, url))[0]
    message = json.loads(notice["Message"])
    assert message["taskId"] == started["TaskId"] and message["taskStatus"] == "COMPLETED"
    assert message["outputUri"] == f"s3://media/{key}"
    listed = polly.list_speech_synthesis_tasks(Status="completed")
    check_output(POLLY, "ListSpeechSynthesisTasks", listed)
    assert started["TaskId"] in [t["TaskId"] for t in listed["SynthesisTasks"]]


def test_synthesis_task_errors(aws: LocalAWS) -> None:
    polly = aws.client("polly")
    request = {"Text": TEXT, "VoiceId": "Joanna", "OutputFormat": "mp3", "OutputS3BucketName": "no-such-bucket"}
    with pytest.raises(ClientError) as error:
        polly.start_speech_synthesis_task(**request)
    assert error.value.response["Error"]["Code"] == "InvalidS3BucketException"
    with pytest.raises(ClientError) as error:
        polly.get_speech_synthesis_task(TaskId="0f0e0d0c-aaaa-bbbb-cccc-000000000000")
    assert error.value.response["Error"]["Code"] == "SynthesisTaskNotFoundException"


# --- Transcribe -----------------------------------------------------------------------


def wait_for_job(aws: LocalAWS, name: str) -> dict[str, Any]:
    transcribe = aws.client("transcribe")

    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = transcribe.get_transcription_job(TranscriptionJobName=name)
        return job if job["TranscriptionJob"]["TranscriptionJobStatus"] in ("COMPLETED", "FAILED") else None

    ended_job: dict[str, Any] = eventually(ended, 60)
    return ended_job


def test_transcription_job_transcribes_polly_speech_into_the_output_bucket(aws: LocalAWS) -> None:
    s3, transcribe = aws.client("s3"), aws.client("transcribe")
    url, arn = queue(aws, "transcribe-events")
    events = aws.client("events")
    pattern = {"source": ["aws.transcribe"], "detail-type": ["Transcribe Job State Change"]}
    events.put_rule(Name="transcribe-jobs", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="transcribe-jobs", Targets=[{"Id": "queue", "Arn": arn}])
    # Given the local Polly's speech of a known sentence in S3
    s3.put_object(Bucket="media", Key="calls/contract.mp3", Body=speech.media(TEXT, "mp3"))
    # When a transcription job is started on it
    started = transcribe.start_transcription_job(
        TranscriptionJobName="contract-call", LanguageCode="en-US", MediaFormat="mp3",
        Media={"MediaFileUri": "s3://media/calls/contract.mp3"}, OutputBucketName="media", OutputKey="transcripts/",
    )  # fmt: skip
    check_output(TRANSCRIBE, "StartTranscriptionJob", started)
    assert started["TranscriptionJob"]["TranscriptionJobStatus"] in ("QUEUED", "IN_PROGRESS")
    # Then it completes, its transcript JSON in the output bucket holds the words, timed
    job = wait_for_job(aws, "contract-call")
    check_output(TRANSCRIBE, "GetTranscriptionJob", job)
    view = job["TranscriptionJob"]
    assert view["TranscriptionJobStatus"] == "COMPLETED"
    assert view["MediaSampleRateHertz"] == 22050 and view["CompletionTime"] >= view["StartTime"]
    key = "transcripts/contract-call.json"
    assert view["Transcript"]["TranscriptFileUri"] == f"https://s3.us-east-1.amazonaws.com/media/{key}"
    document = json.loads(s3.get_object(Bucket="media", Key=key)["Body"].read())
    assert (document["jobName"], document["accountId"], document["status"]) == (
        "contract-call",
        "123456789012",
        "COMPLETED",
    )
    assert document["results"]["transcripts"][0]["transcript"] == TEXT
    words = [item for item in document["results"]["items"] if item["type"] == "pronunciation"]
    assert [float(item["start_time"]) for item in words] == sorted(float(item["start_time"]) for item in words)
    # and EventBridge carried the state change
    event = eventually(lambda: received(aws, url))[0]
    assert (event["source"], event["detail-type"]) == ("aws.transcribe", "Transcribe Job State Change")
    assert event["detail"] == {"TranscriptionJobName": "contract-call", "TranscriptionJobStatus": "COMPLETED"}
    listed = transcribe.list_transcription_jobs(JobNameContains="CONTRACT")
    check_output(TRANSCRIBE, "ListTranscriptionJobs", listed)
    assert [s["TranscriptionJobName"] for s in listed["TranscriptionJobSummaries"]] == ["contract-call"]
    assert listed["TranscriptionJobSummaries"][0]["OutputLocationType"] == "CUSTOMER_BUCKET"


def test_without_output_bucket_the_transcript_is_served_at_a_presigned_url(aws: LocalAWS) -> None:
    s3, transcribe = aws.client("s3"), aws.client("transcribe")
    s3.put_object(Bucket="media", Key="calls/office.webm", Body=speech.media(TEXT, "webm"))
    transcribe.start_transcription_job(
        TranscriptionJobName="office-call",
        IdentifyLanguage=True,
        Media={"MediaFileUri": "https://media.s3.us-east-1.amazonaws.com/calls/office.webm"},
    )
    view = wait_for_job(aws, "office-call")["TranscriptionJob"]
    assert view["TranscriptionJobStatus"] == "COMPLETED" and view["LanguageCode"] == "en-US"
    assert view["MediaFormat"] == "webm"
    uri = view["Transcript"]["TranscriptFileUri"]
    assert uri.startswith(aws.endpoint) and "X-Amz-Signature=" in uri
    with urllib.request.urlopen(uri, timeout=10) as answer:
        document = json.loads(answer.read())
    assert document["jobName"] == "office-call" and document["results"]["language_code"] == "en-US"
    assert len(speech.words(document["results"]["transcripts"][0]["transcript"])) >= 6


def test_a_job_on_media_that_is_not_audio_fails_and_says_why(aws: LocalAWS) -> None:
    url, arn = queue(aws, "transcribe-failures")
    aws.client("events").put_rule(
        Name="transcribe-failures",
        EventPattern=json.dumps({"source": ["aws.transcribe"], "detail": {"TranscriptionJobStatus": ["FAILED"]}}),
    )
    aws.client("events").put_targets(Rule="transcribe-failures", Targets=[{"Id": "queue", "Arn": arn}])
    aws.client("s3").put_object(Bucket="media", Key="calls/notes.txt", Body=b"meeting notes, not audio")
    aws.client("transcribe").start_transcription_job(
        TranscriptionJobName="not-audio", LanguageCode="en-GB", Media={"MediaFileUri": "s3://media/calls/notes.txt"}
    )
    view = wait_for_job(aws, "not-audio")["TranscriptionJob"]
    assert view["TranscriptionJobStatus"] == "FAILED"
    assert "Unsupported audio format" in view["FailureReason"] and "Transcript" not in view
    event = eventually(lambda: received(aws, url))[0]
    assert event["detail"]["TranscriptionJobName"] == "not-audio"
    assert event["detail"]["FailureReason"] == view["FailureReason"]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"LanguageCode": "de-DE"}, "Language de-DE is not available offline"),
        ({"Media": {"MediaFileUri": "ftp://example.com/x.wav"}}, "doesn't point to an S3 object"),
        ({"Settings": {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2}}, "speaker partitioning is not available"),
        ({"TranscriptionJobName": "bad name!"}, "failed to satisfy constraint"),
        ({"LanguageCode": None, "IdentifyLanguage": True, "LanguageOptions": ["fr-FR", "es-ES"]}, "English only"),
    ],
)
def test_start_errors_are_transcribes(aws: LocalAWS, request_: dict[str, Any], message: str) -> None:
    request = {
        "TranscriptionJobName": "refused",
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://media/calls/contract.mp3"},
        **request_,
    }
    with pytest.raises(ClientError) as error:
        aws.client("transcribe").start_transcription_job(**{k: v for k, v in request.items() if v is not None})
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    assert message in error.value.response["Error"]["Message"]


def test_job_names_conflict_and_deleted_jobs_are_gone(aws: LocalAWS) -> None:
    transcribe = aws.client("transcribe")
    aws.client("s3").put_object(Bucket="media", Key="calls/short.wav", Body=speech.media("Hello there.", "wav"))
    request = {
        "TranscriptionJobName": "twice",
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://media/calls/short.wav"},
    }
    transcribe.start_transcription_job(**request)
    with pytest.raises(ClientError) as error:
        transcribe.start_transcription_job(**request)
    assert error.value.response["Error"]["Code"] == "ConflictException"
    wait_for_job(aws, "twice")
    transcribe.delete_transcription_job(TranscriptionJobName="twice")
    with pytest.raises(ClientError) as error:
        transcribe.get_transcription_job(TranscriptionJobName="twice")
    assert error.value.response["Error"]["Code"] == "NotFoundException"
