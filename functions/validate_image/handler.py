"""Step: check the upload is an image Insight analyses (type by magic bytes, size, pixels) and
make the copy Rekognition reads when it cannot read the upload as it is (WebP, over-large)."""

from typing import Any

from chalicelib.image_workflow import validate_image
from chalicelib.models import ImageExecution
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return validate_image(ImageExecution.model_validate(event)).model_dump(mode="json")
