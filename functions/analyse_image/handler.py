"""Step (one per parallel branch): one of Rekognition's analyses of the image: labels, text,
faces or moderation labels."""

from typing import Any

from chalicelib.image_workflow import analyse_image
from chalicelib.models import ImageFeatureRequest
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return analyse_image(ImageFeatureRequest.model_validate(event)).model_dump(mode="json")
