"""Polly: speech from text, at once for short text, as an S3-writing task for long text."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import service_call
from chalicelib.models import ObjectRef

#: SynthesizeSpeech takes at most 3,000 billed characters (6,000 in all); longer text goes
#: through StartSpeechSynthesisTask (100,000).
SYNTHESIZE_LIMIT = 3000
OUTPUT_FORMAT = "mp3"


class Polly:
    def __init__(self, client: Any) -> None:
        self._polly = client

    def synthesize(self, text: str, voice: str) -> bytes:
        """The speech of ``text`` (plain text, at most ``SYNTHESIZE_LIMIT`` characters) as MP3."""
        with service_call("Polly"):
            response = self._polly.synthesize_speech(Text=text, VoiceId=voice, OutputFormat=OUTPUT_FORMAT)
            return bytes(response["AudioStream"].read())

    def start_task(self, text: str, voice: str, output: ObjectRef, topic_arn: str) -> str:
        """Start a synthesis task writing ``<output.key>.<task id>.mp3`` to ``output.bucket``;
        Polly publishes to ``topic_arn`` when it ends. Returns the task id."""
        with service_call("Polly"):
            response = self._polly.start_speech_synthesis_task(
                Text=text,
                VoiceId=voice,
                OutputFormat=OUTPUT_FORMAT,
                OutputS3BucketName=output.bucket,
                OutputS3KeyPrefix=output.key,
                SnsTopicArn=topic_arn,
            )
        return str(response["SynthesisTask"]["TaskId"])
