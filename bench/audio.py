"""The offline Polly and Transcribe: how much of the local Polly's speech the local Transcribe gets
right, and what the local AWS adds to the engines' own time.

* word error rate: each sentence of ``bench/inputs/speech.py`` (12, none used to choose the
  engines' settings) spoken by Polly (Joanna, MP3) and transcribed by a transcription job;
  word-level Levenshtein distance (substitutions + insertions + deletions) over the reference
  words, summed over all sentences, lower case, punctuation removed;
* emulator overhead: the same work through boto3 -> moto's server -> the engine, divided by
  the engines called directly in this process, on the same inputs in the same run.
  SynthesizeSpeech is one call (best of three rounds); a transcription job is putting the media
  in S3, StartTranscriptionJob, polling GetTranscriptionJob every 20 ms until COMPLETED and
  reading the transcript JSON from S3;
* speed: seconds of work per minute of audio, through the local AWS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from bench.inputs import speech
from insight_local.ai import polly, transcribe
from insight_local.server import LocalAWS

POLLY_ROUNDS = 3
BUDGETS = {
    "Polly->Transcribe word error rate (%)": (40.0, "at most"),
    "SynthesizeSpeech emulator overhead (x)": (1.5, "at most"),
    "Transcription job emulator overhead (x)": (1.5, "at most"),
    "SynthesizeSpeech seconds per audio minute": (10.0, "at most"),
    "Transcription seconds per audio minute": (60.0, "at most"),
}


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance: the fewest substitutions, insertions and deletions."""
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, other in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
        previous = current
    return previous[-1]


def _seconds(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _job(aws: LocalAWS, name: str, media: bytes) -> str:
    """A transcription job through the local AWS, from upload to transcript; its transcript."""
    s3, client = aws.client("s3"), aws.client("transcribe")
    s3.put_object(Bucket="bench-audio", Key=f"media/{name}.mp3", Body=media)
    client.start_transcription_job(
        TranscriptionJobName=name,
        LanguageCode="en-US",
        Media={"MediaFileUri": f"s3://bench-audio/media/{name}.mp3"},
        OutputBucketName="bench-audio",
        OutputKey="transcripts/",
    )
    while True:
        job = client.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
        if job["TranscriptionJobStatus"] in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.02)
    if job["TranscriptionJobStatus"] == "FAILED":
        raise RuntimeError(f"transcription job {name} failed: {job['FailureReason']}")
    body = s3.get_object(Bucket="bench-audio", Key=f"transcripts/{name}.json")["Body"].read()
    return str(json.loads(body)["results"]["transcripts"][0]["transcript"])


def figures() -> dict[str, float]:
    aws = LocalAWS().start()
    try:
        aws.client("s3").create_bucket(Bucket="bench-audio")
        client = aws.client("polly")
        requests = [{"Text": text, "VoiceId": "Joanna", "OutputFormat": "mp3"} for text in speech.SENTENCES]
        client.synthesize_speech(**requests[0])["AudioStream"].read()  # warm-up: routes, eSpeak
        transcribe.transcribe(polly.synthesize(requests[0]).body)  # warm-up: the recogniser's models

        polly_direct = [float("inf")] * len(requests)
        polly_through = [float("inf")] * len(requests)
        media: list[bytes] = []
        for _ in range(POLLY_ROUNDS):
            media = []
            for index, request in enumerate(requests):
                direct, spoken = _seconds(lambda request=request: polly.synthesize(request).body)  # type: ignore[misc]
                through, body = _seconds(
                    lambda request=request: client.synthesize_speech(**request)["AudioStream"].read()  # type: ignore[misc]
                )
                assert body == spoken, "the emulator must answer what the engine answers"
                polly_direct[index] = min(polly_direct[index], direct)
                polly_through[index] = min(polly_through[index], through)
                media.append(body)

        transcribe_direct = transcribe_through = 0.0
        errors = words = 0
        audio_seconds = 0.0
        for index, (text, mp3) in enumerate(zip(speech.SENTENCES, media, strict=True)):
            direct, transcript = _seconds(lambda mp3=mp3: transcribe.transcribe(mp3))  # type: ignore[misc]
            through, text_through = _seconds(lambda index=index, mp3=mp3: _job(aws, f"bench-{index}", mp3))  # type: ignore[misc]
            assert text_through == transcript.results["transcripts"][0]["transcript"]
            transcribe_direct += direct
            transcribe_through += through
            audio_seconds += transcript.duration_s
            reference = speech.words(text)
            errors += word_errors(reference, speech.words(text_through))
            words += len(reference)
    finally:
        aws.stop()
    minutes = audio_seconds / 60
    return {
        "Polly->Transcribe word error rate (%)": 100 * errors / words,
        "SynthesizeSpeech emulator overhead (x)": sum(polly_through) / sum(polly_direct),
        "Transcription job emulator overhead (x)": transcribe_through / transcribe_direct,
        "SynthesizeSpeech seconds per audio minute": sum(polly_through) / minutes,
        "Transcription seconds per audio minute": transcribe_through / minutes,
    }


def main() -> dict[str, float]:
    measured = figures()
    print(f"Speech offline (eSpeak NG as Polly, pocketsphinx as Transcribe; {len(speech.SENTENCES)} sentences):")
    for name, value in measured.items():
        budget, direction = BUDGETS[name]
        within = value >= budget if direction == "at least" else value <= budget
        verdict = "ok" if within else "OVER budget"
        print(f"  {name:<42} {value:7.2f}  budget {direction} {budget:g}  {verdict}")
    return measured


if __name__ == "__main__":
    main()
