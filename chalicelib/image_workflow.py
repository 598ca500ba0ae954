"""The steps of the image workflow (``statemachines/image.asl.json``).

Validate the upload (type by magic bytes, size, pixels) and make the copy Rekognition reads
when the upload is not one it reads as it is; then, in parallel, Rekognition's labels, text,
faces and moderation labels and a thumbnail; then the results document and the job's summary.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import images, services
from chalicelib.clock import now
from chalicelib.errors import AnalysisUnavailable, InvalidImage
from chalicelib.job_files import job_file
from chalicelib.models import (
    FinishedImage,
    ImageExecution,
    ImageFeature,
    ImageFeatureRequest,
    ImageFeatureResult,
    ImageInfo,
    ImageSummary,
    Job,
    JobStep,
    ModerationSummary,
    Thumbnail,
    ThumbnailRequest,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

TOP_LABELS = 10
TOP_TEXT_LINES = 10
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


def validate_image(execution: ImageExecution) -> ImageInfo:
    """The upload is an image Insight analyses; the image Rekognition will read."""
    settings = get_settings()
    job = services.jobs_table().advance(execution.job_id, JobStep.VALIDATING, now())
    store = services.storage()
    head = store.head(execution.image)
    if head.size == 0:
        raise InvalidImage("the file is empty (0 bytes)")
    if head.size > settings.max_upload_bytes:
        raise InvalidImage(f"the file is {head.size} bytes, over the limit of {settings.max_upload_bytes}")
    data = store.read(execution.image)
    media_type = images.check_type(data[:16], job.content_type, settings.image_content_types)
    prepared = images.prepare_for_analysis(data, media_type, settings.image_analysis_side, settings.max_image_pixels)
    analysed = execution.image
    if prepared.data is not None:
        target = job_file(execution.job_id, f"analysed.{EXTENSIONS[prepared.media_type]}")
        analysed = store.write_bytes(target, prepared.data, prepared.media_type)
    metrics.add_metric(name="ImagesAccepted", unit=MetricUnit.Count, value=1)
    logger.info(
        "image accepted", media_type=media_type, width=prepared.width, height=prepared.height, changes=prepared.changes
    )
    return ImageInfo(
        media_type=media_type,
        size=head.size,
        width=prepared.width,
        height=prepared.height,
        analysed=analysed,
        analysed_type=prepared.media_type,
        changes=prepared.changes,
    )


def analyse_image(request: ImageFeatureRequest) -> ImageFeatureResult:
    """One of Rekognition's analyses of the image, written to S3. Moderation that Rekognition
    refuses to give is recorded as unavailable with why: never as a clean image."""
    services.jobs_table().advance(request.job_id, JobStep.ANALYZING_IMAGE, now())
    rekognition = services.rekognition()
    image = request.info.analysed
    feature = request.feature
    result: dict[str, Any]
    try:
        if feature is ImageFeature.LABELS:
            result = rekognition.labels(image)
        elif feature is ImageFeature.TEXT:
            result = {"TextDetections": rekognition.text(image)}
        elif feature is ImageFeature.FACES:
            result = {"FaceDetails": rekognition.faces(image)}
        else:
            result = {"ModerationLabels": rekognition.moderation_labels(image)}
    except AnalysisUnavailable as refusal:
        metrics.add_metric(name="ImageAnalysesUnavailable", unit=MetricUnit.Count, value=1)
        logger.info("image analysis unavailable", feature=feature.value, reason=str(refusal))
        return ImageFeatureResult(feature=feature, status="unavailable", reason=str(refusal))
    ref = services.storage().write_json(job_file(request.job_id, f"{feature.value}.json"), result)
    logger.info("image analysed", feature=feature.value)
    return ImageFeatureResult(feature=feature, status="available", result=ref)


def make_thumbnail(request: ThumbnailRequest) -> Thumbnail:
    """A JPEG that fits ``thumbnail_side`` pixels, made from the analysed image."""
    settings = get_settings()
    store = services.storage()
    data = store.read(request.info.analysed)
    small = images.thumbnail(data, request.info.analysed_type, settings.thumbnail_side, settings.max_image_pixels)
    ref = store.write_bytes(job_file(request.job_id, "thumbnail.jpg"), small.data, "image/jpeg")
    logger.info("thumbnail made", width=small.width, height=small.height)
    return Thumbnail(thumbnail=ref, width=small.width, height=small.height)


def _read(result: ImageFeatureResult) -> dict[str, Any]:
    if result.status != "available" or result.result is None:
        return {}
    document: dict[str, Any] = services.storage().read_json(result.result)
    return document


def record_image_success(finished: FinishedImage) -> Job:
    """Write the results document and mark the job SUCCEEDED with the image's summary."""
    table = services.jobs_table()
    table.advance(finished.job_id, JobStep.WRITING_RESULTS, now())
    analyses = finished.analyses
    labels = _read(analyses.labels)
    detections = _read(analyses.text).get("TextDetections", [])
    faces = _read(analyses.faces).get("FaceDetails", [])
    moderation_labels = _read(analyses.moderation).get("ModerationLabels", [])
    lines = [d["DetectedText"] for d in detections if d.get("Type") == "LINE"]
    ranked = sorted(labels.get("Labels", []), key=lambda label: -float(label.get("Confidence", 0)))
    moderation = ModerationSummary(
        status="checked" if analyses.moderation.status == "available" else "unavailable",
        labels=[label["Name"] for label in moderation_labels],
        reason=analyses.moderation.reason,
    )
    summary = ImageSummary(
        media_type=finished.info.media_type,
        width=finished.info.width,
        height=finished.info.height,
        labels=[label["Name"] for label in ranked[:TOP_LABELS]],
        faces=len(faces),
        text=lines[:TOP_TEXT_LINES],
        moderation=moderation,
        thumbnail=analyses.thumbnail.thumbnail,
    )
    results = {
        "job_id": finished.job_id,
        "image": {**finished.image.model_dump(), **finished.info.model_dump(mode="json")},
        "summary": summary.model_dump(mode="json"),
        "labels": labels.get("Labels", []),
        "image_properties": labels.get("ImageProperties"),
        "text": {"lines": lines, "detections": detections},
        "faces": faces,
        "moderation": {**moderation.model_dump(mode="json"), "detections": moderation_labels},
        "thumbnail": analyses.thumbnail.model_dump(mode="json"),
    }
    ref = services.storage().write_json(job_file(finished.job_id, "results.json"), results)
    job = table.succeed(finished.job_id, now(), summary=summary, results=ref)
    metrics.add_metric(name="JobsSucceeded", unit=MetricUnit.Count, value=1)
    logger.info("job succeeded", status=job.status.value, labels=len(ranked), faces=len(faces))
    return job
