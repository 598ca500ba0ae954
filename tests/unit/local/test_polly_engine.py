"""The offline Polly engine (insight_local.ai.polly): real speech, Polly's formats, speech marks
whose offsets point at the input's words, SSML, and Polly's errors."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
import soundfile

from insight_local.ai import espeak, polly

SENTENCE = "The contract expires at the end of next year."


def speak(text: str, **request: Any) -> polly.Speech:
    return polly.synthesize({"Text": text, "VoiceId": "Joanna", "OutputFormat": "pcm", **request})


def pcm(speech: polly.Speech) -> np.ndarray:
    return np.frombuffer(speech.body, dtype="<i2")


def marks(text: str, types: list[str], **request: Any) -> list[dict[str, Any]]:
    body = speak(text, OutputFormat="json", SpeechMarkTypes=types, **request).body.decode("utf-8")
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


# --- audio ----------------------------------------------------------------------------


def test_pcm_is_speech_at_16_khz_whose_length_follows_the_text() -> None:
    # Given a short and a long text
    short = speak("Hello there.")
    long = speak(SENTENCE + " " + SENTENCE)
    # Then both are loud enough to be speech, 16-bit mono at Polly's default 16 kHz ...
    assert short.content_type == "audio/pcm"
    assert rms(pcm(short)) > 500 and rms(pcm(long)) > 500
    assert len(pcm(short)) / 16000 == pytest.approx(short.duration_ms / 1000, abs=0.05)
    # ... and the longer text lasts longer, in proportion
    assert 0.5 < len(pcm(short)) / 16000 < 2.0
    assert len(pcm(long)) > 3 * len(pcm(short))
    # and a different text sounds different
    other = speak("Goodbye there.")
    assert not np.array_equal(pcm(other)[: len(pcm(short))], pcm(short)[: len(pcm(other))])


@pytest.mark.parametrize(
    ("output_format", "sample_rate", "container", "content_type"),
    [
        ("mp3", None, "MP3", "audio/mpeg"),
        ("mp3", 8000, "MP3", "audio/mpeg"),
        ("mp3", 24000, "MP3", "audio/mpeg"),
        ("ogg_vorbis", 16000, "OGG", "audio/ogg"),
        ("ogg_opus", None, "OGG", "audio/ogg"),
    ],
)
def test_compressed_formats_decode_to_the_same_speech(
    output_format: str, sample_rate: int | None, container: str, content_type: str
) -> None:
    request: dict[str, Any] = {"OutputFormat": output_format}
    if sample_rate:
        request["SampleRate"] = str(sample_rate)
    speech = speak(SENTENCE, **request)
    decoded, rate = soundfile.read(io.BytesIO(speech.body), dtype="int16")
    expected_rate = sample_rate or {"mp3": 22050, "ogg_opus": 48000}[output_format]
    assert speech.content_type == content_type
    assert soundfile.info(io.BytesIO(speech.body)).format == container
    assert rate == expected_rate and decoded.ndim == 1
    assert len(decoded) / rate == pytest.approx(len(pcm(speak(SENTENCE))) / 16000, rel=0.08)
    assert rms(decoded) > 500


def test_g711_formats_are_8_khz_raw_bytes() -> None:
    mulaw = speak(SENTENCE, OutputFormat="mulaw")
    alaw = speak(SENTENCE, OutputFormat="alaw")
    assert (mulaw.content_type, alaw.content_type) == ("audio/mulaw", "audio/alaw")
    seconds = len(pcm(speak(SENTENCE))) / 16000
    assert len(mulaw.body) / 8000 == pytest.approx(seconds, rel=0.02)
    decoded, _ = soundfile.read(
        io.BytesIO(mulaw.body), samplerate=8000, channels=1, format="RAW", subtype="ULAW", dtype="int16"
    )
    assert rms(decoded) > 500


def test_neural_engine_defaults_mp3_to_24_khz() -> None:
    speech = polly.synthesize({"Text": "Hi.", "VoiceId": "Danielle", "Engine": "neural", "OutputFormat": "mp3"})
    assert soundfile.info(io.BytesIO(speech.body)).samplerate == 24000


def test_voices_speak_their_language() -> None:
    # Every voice of the table speaks with an eSpeak NG voice that exists ...
    for name in {voice.espeak_voice() for voice in polly.voices().values()}:
        assert len(espeak.speak("1", name).samples) > 0, name
    # ... and a French voice reads French text with French phonemes, not English ones
    french = marks("Bonjour tout le monde", ["viseme"], VoiceId="Celine")
    english = marks("Bonjour tout le monde", ["viseme"])
    assert [m["value"] for m in french] != [m["value"] for m in english]


# --- speech marks ---------------------------------------------------------------------


def test_word_marks_point_at_the_words_of_the_input_in_time_order() -> None:
    text = "Mary paid 42 dollars at the Café Noir. It was worth it!"
    data = text.encode("utf-8")
    words = marks(text, ["word"])
    assert [data[m["start"] : m["end"]].decode("utf-8") for m in words] == [
        "Mary", "paid", "42", "dollars", "at", "the", "Café", "Noir", "It", "was", "worth", "it",
    ]  # fmt: skip
    assert [m["value"] for m in words][6] == "Café"
    times = [m["time"] for m in words]
    assert times == sorted(times) and times[0] < 100 and times[-1] > 1500
    assert all(set(m) == {"time", "type", "start", "end", "value"} for m in words)


def test_sentence_marks_cover_each_sentence() -> None:
    text = "First things first. Then the second one!  And a third?"
    sentences = marks(text, ["sentence"])
    assert [m["value"] for m in sentences] == ["First things first.", "Then the second one!", "And a third?"]
    assert [text[m["start"] : m["end"]] for m in sentences] == [m["value"] for m in sentences]
    assert sentences[0]["time"] == 0 and sentences[1]["time"] < sentences[2]["time"]


def test_viseme_marks_follow_the_sounds() -> None:
    visemes = marks("Mama papa", ["viseme"])
    values = [m["value"] for m in visemes]
    assert set(values) <= {"p", "t", "S", "T", "f", "k", "i", "r", "s", "u", "@", "a", "e", "E", "o", "O", "sil"}
    spoken = [value for value in values if value != "sil"]
    # m-a-m-a p-a-p-a: lips closed, open, closed, open...
    assert spoken[0::2] == ["p"] * 4 and all(value in {"a", "@"} for value in spoken[1::2]), spoken
    assert "type" in visemes[0] and "start" not in visemes[0]


# --- SSML -----------------------------------------------------------------------------


def test_break_and_prosody_change_the_timing() -> None:
    plain = speak("<speak>One two.</speak>", TextType="ssml")
    paused = speak('<speak>One <break time="2s"/> two.</speak>', TextType="ssml")
    slow = speak('<speak><prosody rate="50%">One two.</prosody></speak>', TextType="ssml")
    seconds = [len(pcm(speech)) / 16000 for speech in (plain, paused, slow)]
    assert seconds[1] - seconds[0] == pytest.approx(2.0, abs=0.5)
    assert seconds[2] > 1.4 * seconds[0]
    quiet = speak('<speak><prosody volume="x-soft">One two.</prosody></speak>', TextType="ssml")
    assert rms(pcm(quiet)) < 0.5 * rms(pcm(plain))


def test_ssml_marks_give_offsets_in_the_ssml_and_bill_only_the_text() -> None:
    ssml = '<speak>Hello <mark name="here"/>there, <sub alias="World Wide Web Consortium">W3C</sub> &amp; you.</speak>'
    data = ssml.encode("utf-8")
    found = marks(ssml, ["ssml", "word"], TextType="ssml")
    mark = next(m for m in found if m["type"] == "ssml")
    assert mark["value"] == "here" and data[mark["start"] : mark["end"]] == b'<mark name="here"/>'
    words = [m for m in found if m["type"] == "word"]
    assert [data[m["start"] : m["end"]].decode() for m in words] == ["Hello", "there", "W3C", "you"]
    there = next(m for m in words if m["value"] == "there")
    assert mark["time"] == there["time"] > 0
    billed = speak(ssml, TextType="ssml").request_characters
    assert billed == len("Hello there, World Wide Web Consortium & you.")


def test_lexicon_aliases_are_spoken() -> None:
    lexicon = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa" xml:lang="en-US">
  <lexeme><grapheme>W3C</grapheme><alias>World Wide Web Consortium</alias></lexeme>
</lexicon>"""
    request = {"Text": "The W3C said so.", "VoiceId": "Joanna", "OutputFormat": "pcm"}
    plain = polly.synthesize(request)
    aliased = polly.synthesize({**request, "LexiconNames": ["w3c"]}, {"w3c": lexicon})
    assert len(aliased.body) > len(plain.body) * 1.3
    with pytest.raises(polly.PollyError) as missing:
        polly.synthesize({**request, "LexiconNames": ["nope"]}, {"w3c": lexicon})
    assert missing.value.code == "LexiconNotFoundException"


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"VoiceId": "Nobody"}, "ValidationException"),
        ({"OutputFormat": "wav"}, "ValidationException"),
        ({"VoiceId": "Danielle"}, "EngineNotSupportedException"),
        ({"LanguageCode": "fr-FR"}, "LanguageNotSupportedException"),
        ({"SampleRate": "22050"}, "InvalidSampleRateException"),
        ({"OutputFormat": "mp3", "SpeechMarkTypes": ["word"]}, "MarksNotSupportedForFormatException"),
        ({"OutputFormat": "json", "SpeechMarkTypes": ["ssml"]}, "SsmlMarksNotSupportedForTextTypeException"),
        ({"OutputFormat": "json"}, "ValidationException"),
        ({"TextType": "ssml", "Text": "<speak>unclosed"}, "InvalidSsmlException"),
        ({"TextType": "ssml", "Text": "<voice>hi</voice>"}, "InvalidSsmlException"),
        ({"TextType": "ssml", "Text": "<speak><blink>hi</blink></speak>"}, "InvalidSsmlException"),
        ({"TextType": "ssml", "Text": '<speak><break time="soon"/></speak>'}, "InvalidSsmlException"),
        ({"Text": "a" * 3001}, "TextLengthExceededException"),
    ],
)
def test_errors_are_pollys(request_: dict[str, Any], code: str) -> None:
    with pytest.raises(polly.PollyError) as error:
        polly.synthesize({"Text": "Hi.", "VoiceId": "Joanna", "OutputFormat": "pcm", **request_})
    assert error.value.code == code
    assert error.value.message


def test_text_limit_counts_billed_characters_of_ssml() -> None:
    # 2,990 characters of text inside 4,000 characters of markup: under both sync limits
    ssml = "<speak>" + "<s>" * 200 + "word " * 598 + "</s>" * 200 + "</speak>"
    assert polly.check_request({"Text": ssml, "TextType": "ssml", "VoiceId": "Joanna", "OutputFormat": "json",
                                "SpeechMarkTypes": ["word"]})  # fmt: skip
    with pytest.raises(polly.PollyError) as error:
        polly.check_request({"Text": ssml + " " * 3000, "VoiceId": "Joanna", "OutputFormat": "mp3"})
    assert error.value.code == "TextLengthExceededException"
    assert polly.check_request({"Text": "a" * 5000, "VoiceId": "Joanna", "OutputFormat": "mp3"}, polly.TASK_LIMITS)
