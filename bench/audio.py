"""The offline Polly and Transcribe: how much of the local Polly's speech the local Transcribe gets
right, and what the local AWS adds to the engines' own time.

* word error rate: the 52 held-out sentences of ``bench/inputs/speech.py`` (none used to choose
  the engines' settings), read as four passages of 13 sentences each (about 45 seconds of
  speech: the unit a user uploads), spoken by Polly (Joanna, MP3) and transcribed by a
  transcription job; word-level edit distance over the reference words, summed over the
  passages, lower case, punctuation removed;
* emulator overhead: the same work through boto3 -> moto's server -> the engine, divided by
  the engines called directly in this process, on the same inputs in the same run, the two
  ways timed in turn for each input. SynthesizeSpeech is one call (best of three rounds); a
  transcription job is putting the media in S3, StartTranscriptionJob, polling
  GetTranscriptionJob every 20 ms until COMPLETED and reading the transcript JSON from S3;
* speed: seconds of work per minute of audio, through the local AWS.
"""

from __future__ import annotations

import json
import time

from bench.inputs import speech
from bench.measure import Budget, edit_distance, report, timed
from insight_local.ai import polly, transcribe
from insight_local.server import LocalAWS

POLLY_ROUNDS = 3
PASSAGE_SENTENCES = 13
BUDGETS: dict[str, Budget] = {
    "Polly->Transcribe word error rate (%)": (40.0, "at most"),
    "SynthesizeSpeech emulator overhead (x)": (1.5, "at most"),
    "Transcription job emulator overhead (x)": (1.5, "at most"),
    "SynthesizeSpeech seconds per audio minute": (10.0, "at most"),
    "Transcription seconds per audio minute": (60.0, "at most"),
}


def passages() -> list[str]:
    """The benchmark sentences as passages of :data:`PASSAGE_SENTENCES` sentences."""
    sentences = speech.SENTENCES
    return [" ".join(sentences[i : i + PASSAGE_SENTENCES]) for i in range(0, len(sentences), PASSAGE_SENTENCES)]


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
    texts = passages()
    aws = LocalAWS().start()
    try:
        aws.client("s3").create_bucket(Bucket="bench-audio")
        client = aws.client("polly")
        requests = [{"Text": text, "VoiceId": "Joanna", "OutputFormat": "mp3"} for text in texts]
        client.synthesize_speech(**requests[0])["AudioStream"].read()  # warm-up: routes, eSpeak
        transcribe.transcribe(polly.synthesize(requests[0]).body)  # warm-up: the recogniser's model

        polly_direct = [float("inf")] * len(requests)
        polly_through = [float("inf")] * len(requests)
        media: list[bytes] = []
        for _ in range(POLLY_ROUNDS):
            media = []
            for index, request in enumerate(requests):
                direct, spoken = timed(lambda request=request: polly.synthesize(request).body)  # type: ignore[misc]
                through, body = timed(
                    lambda request=request: client.synthesize_speech(**request)["AudioStream"].read()  # type: ignore[misc]
                )
                assert body == spoken, "the emulator must answer what the engine answers"
                polly_direct[index] = min(polly_direct[index], direct)
                polly_through[index] = min(polly_through[index], through)
                media.append(body)

        transcribe_direct = transcribe_through = 0.0
        errors = words = 0
        audio_seconds = 0.0
        for index, (text, mp3) in enumerate(zip(texts, media, strict=True)):
            direct, transcript = timed(lambda mp3=mp3: transcribe.transcribe(mp3))  # type: ignore[misc]
            through, text_through = timed(lambda index=index, mp3=mp3: _job(aws, f"bench-{index}", mp3))  # type: ignore[misc]
            transcribe_direct += direct
            transcribe_through += through
            assert text_through == transcript.results["transcripts"][0]["transcript"]
            audio_seconds += transcript.duration_s
            reference = speech.words(text)
            errors += edit_distance(reference, speech.words(text_through))
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
    title = (
        f"Speech offline (eSpeak NG as Polly, Whisper tiny.en as Transcribe; {len(speech.SENTENCES)} sentences "
        f"in {len(passages())} passages):"
    )
    return report(title, figures(), BUDGETS)


if __name__ == "__main__":
    main()
