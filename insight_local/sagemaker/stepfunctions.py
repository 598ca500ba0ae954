"""Step Functions' SageMaker integrations in moto's engine.

``arn:aws:states:::sagemaker:createTrainingJob.sync`` (and ``createProcessingJob.sync``,
``createTransformJob.sync``) call the create API, then wait for the job to end as AWS does: a
Completed job's Describe answer is the task's output (times as epoch milliseconds); a Failed
or Stopped job fails the task with ``States.TaskFailed`` and the Describe answer (with its
FailureReason) as the cause. Request-response calls (``sagemaker:createModel``...) answer the
API's response; a refused request fails with ``SageMaker.AmazonSageMakerException``.

``aws-sdk:sagemakerruntime:invokeEndpoint`` is mapped to boto3's ``sagemaker-runtime`` and its
``Body`` read into a string, as Step Functions returns it; ``aws-sdk:sagemaker:*`` answers
give their timestamps as ISO 8601 strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from insight_local.sagemaker.aws import jsonable

#: the .sync jobs: create action -> (describe action, the job-name parameter, the status field)
SYNC_JOBS = {
    "create_training_job": ("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
    "create_processing_job": ("describe_processing_job", "ProcessingJobName", "ProcessingJobStatus"),
    "create_transform_job": ("describe_transform_job", "TransformJobName", "TransformJobStatus"),
}


def service_class() -> type:
    """The engine's SageMaker integration (built on moto's callback service base class)."""
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    class StateTaskServiceSageMaker(StateTaskServiceCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(
                supported_integration_patterns={ResourceCondition.Sync, ResourceCondition.WaitForTaskToken}
            )

        def _validate_service_integration_is_supported(self) -> None:
            pass

        def _get_sfn_resource_type(self) -> str:
            return "sagemaker"

        def _from_error(self, env: Any, ex: Exception) -> Any:
            if isinstance(ex, ClientError):
                return FailureEvent(
                    env=env,
                    error_name=CustomErrorName("SageMaker.AmazonSageMakerException"),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(
                        taskFailedEventDetails=TaskFailedEventDetails(
                            error="SageMaker.AmazonSageMakerException",
                            cause=ex.response["Error"].get("Message", str(ex)),
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                        )
                    ),
                )
            return super()._from_error(env=env, ex=ex)

        def _eval_service_task(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
        ) -> None:
            sagemaker = boto_client_for(
                service="sagemaker", region=resource_runtime_part.region, state_credentials=state_credentials
            )
            response = getattr(sagemaker, self._get_boto_service_action())(**normalised_parameters) or {}
            response.pop("ResponseMetadata", None)
            env.stack.append(jsonable(response))

        def _build_sync_resolver(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
        ) -> Callable[[], Any]:
            action = self._get_boto_service_action()
            if action not in SYNC_JOBS:
                raise RuntimeError(f"Unsupported .sync callback procedure in resource {self.resource.resource_arn}")
            describe, name_parameter, status_field = SYNC_JOBS[action]
            env.stack.pop()  # the create call's answer: the Describe answer replaces it
            name = normalised_parameters[name_parameter]
            sagemaker = boto_client_for(
                service="sagemaker", region=resource_runtime_part.region, state_credentials=state_credentials
            )

            def resolve() -> Any:
                answer = getattr(sagemaker, describe)(**{name_parameter: name})
                answer.pop("ResponseMetadata", None)
                status = answer[status_field]
                if status in ("InProgress", "Stopping"):
                    return None
                output = jsonable(answer)
                if status == "Completed":
                    return output
                raise FailureEventException(
                    FailureEvent(
                        env=env,
                        error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                        event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(
                            taskFailedEventDetails=TaskFailedEventDetails(
                                resource=self._get_sfn_resource(),
                                resourceType=self._get_sfn_resource_type(),
                                error=StatesErrorNameType.StatesTaskFailed.to_name(),
                                cause=to_json_str(output),
                            )
                        ),
                    )
                )

            return resolve

    return StateTaskServiceSageMaker


def read_streaming_bodies(response: dict[str, Any]) -> dict[str, Any]:
    """An aws-sdk answer with its streamed members read (as Step Functions returns them)."""
    from botocore.response import StreamingBody

    for name, value in list(response.items()):
        if isinstance(value, StreamingBody):
            content = value.read()
            try:
                response[name] = content.decode("utf-8")
            except UnicodeDecodeError:
                response[name] = json.dumps(list(content))
    return response


def iso_datetimes(value: Any) -> Any:
    """An aws-sdk answer with its timestamps as ISO 8601 strings (JSON cannot hold datetimes)."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: iso_datetimes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [iso_datetimes(item) for item in value]
    return value
