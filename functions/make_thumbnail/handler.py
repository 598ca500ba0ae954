"""Step (a parallel branch): the image's thumbnail, a JPEG written to the job's files."""

from typing import Any

from chalicelib.image_workflow import make_thumbnail
from chalicelib.models import ThumbnailRequest
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return make_thumbnail(ThumbnailRequest.model_validate(event)).model_dump(mode="json")
