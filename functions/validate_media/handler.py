"""Step: check the upload is audio or video Insight transcribes (container by magic bytes, size,
duration from its headers) and set how long the workflow waits for Transcribe."""

from typing import Any

from chalicelib.media_workflow import validate_media
from chalicelib.models import MediaExecution
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return validate_media(MediaExecution.model_validate(event)).model_dump(mode="json")
