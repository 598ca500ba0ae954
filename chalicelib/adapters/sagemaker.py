"""SageMaker: the model registry, models, endpoint configs and endpoints; InvokeEndpoint
(``sagemaker-runtime``); the deployment's CloudWatch alarms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chalicelib.errors import InsightError, aws_error_code, service_call


class ModelFailed(InsightError):
    """The model's own code refused or failed the request (SageMaker's ModelError)."""

    def __init__(self, message: str, status: int | None, log: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.log = log


class Registry:
    """Model packages of a group: list, read, create, approve."""

    def __init__(self, client: Any) -> None:
        self._sm = client

    def packages(self, group: str) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"ModelPackageGroupName": group, "SortBy": "CreationTime", "SortOrder": "Descending"}
        while True:
            with service_call("SageMaker"):
                response = self._sm.list_model_packages(**request)
            yield from response.get("ModelPackageSummaryList", [])
            if not response.get("NextToken"):
                return
            request["NextToken"] = response["NextToken"]

    def describe(self, package_arn: str) -> dict[str, Any]:
        with service_call("SageMaker"):
            return dict(self._sm.describe_model_package(ModelPackageName=package_arn))

    def create(self, request: dict[str, Any]) -> str:
        with service_call("SageMaker"):
            return str(self._sm.create_model_package(**request)["ModelPackageArn"])

    def approve(self, package_arn: str, description: str, metadata: dict[str, str] | None = None) -> None:
        """Approve the package, restating its metadata (moto's UpdateModelPackage drops
        metadata a request leaves out; SageMaker keeps it either way)."""
        request: dict[str, Any] = {
            "ModelPackageArn": package_arn,
            "ModelApprovalStatus": "Approved",
            "ApprovalDescription": description[:1024],
        }
        if metadata:
            request["CustomerMetadataProperties"] = metadata
        with service_call("SageMaker"):
            self._sm.update_model_package(**request)


class Jobs:
    """Processing and training jobs as SageMaker describes them (their progress)."""

    def __init__(self, client: Any) -> None:
        self._sm = client

    def status(self, kind: str, name: str) -> str:
        """``Completed``, ``InProgress (Training)``...; ``NotStarted`` for a job not created yet."""
        describe, parameter, field, secondary = {
            "training": ("describe_training_job", "TrainingJobName", "TrainingJobStatus", "SecondaryStatus"),
            "processing": ("describe_processing_job", "ProcessingJobName", "ProcessingJobStatus", None),
            "evaluation": ("describe_processing_job", "ProcessingJobName", "ProcessingJobStatus", None),
        }[kind]
        with service_call("SageMaker"):
            try:
                answer = getattr(self._sm, describe)(**{parameter: name})
            except Exception as error:
                if aws_error_code(error) in ("ValidationException", "ResourceNotFound"):
                    return "NotStarted"
                raise
        status = str(answer[field])
        detail = answer.get(secondary) if secondary else None
        return f"{status} ({detail})" if detail and detail != status else status


class Hosting:
    """Models, endpoint configs and endpoints."""

    def __init__(self, client: Any) -> None:
        self._sm = client

    def create_model(self, request: dict[str, Any]) -> None:
        with service_call("SageMaker"):
            try:
                self._sm.create_model(**request)
            except Exception as error:  # a retried step finds its model made
                if "already exist" not in str(error).lower():
                    raise

    def create_endpoint_config(self, request: dict[str, Any]) -> None:
        with service_call("SageMaker"):
            try:
                self._sm.create_endpoint_config(**request)
            except Exception as error:
                if "already exist" not in str(error).lower():
                    raise

    def endpoint(self, name: str) -> dict[str, Any] | None:
        with service_call("SageMaker"):
            try:
                return dict(self._sm.describe_endpoint(EndpointName=name))
            except Exception as error:
                if aws_error_code(error) == "ValidationException" and "not" in str(error).lower():
                    return None
                raise

    def model_of_config(self, name: str) -> str | None:
        """The model an endpoint config serves (its first variant's), or None if it is gone."""
        with service_call("SageMaker"):
            try:
                config = self._sm.describe_endpoint_config(EndpointConfigName=name)
            except Exception as error:
                if aws_error_code(error) == "ValidationException":
                    return None
                raise
        variants = config.get("ProductionVariants") or [{}]
        name = variants[0].get("ModelName")
        return str(name) if name else None

    def create_endpoint(self, name: str, config: str, tags: list[dict[str, str]]) -> None:
        with service_call("SageMaker"):
            self._sm.create_endpoint(EndpointName=name, EndpointConfigName=config, Tags=tags)

    def update_endpoint(self, name: str, config: str, deployment_config: dict[str, Any]) -> None:
        with service_call("SageMaker"):
            self._sm.update_endpoint(EndpointName=name, EndpointConfigName=config, DeploymentConfig=deployment_config)

    def delete_endpoint(self, name: str) -> None:
        with service_call("SageMaker"):
            try:
                self._sm.delete_endpoint(EndpointName=name)
            except Exception as error:
                if aws_error_code(error) != "ValidationException":
                    raise

    def delete_endpoint_config(self, name: str) -> None:
        with service_call("SageMaker"):
            try:
                self._sm.delete_endpoint_config(EndpointConfigName=name)
            except Exception as error:
                if aws_error_code(error) != "ValidationException":
                    raise

    def delete_model(self, name: str) -> None:
        with service_call("SageMaker"):
            try:
                self._sm.delete_model(ModelName=name)
            except Exception as error:
                if aws_error_code(error) != "ValidationException":
                    raise


class Alarms:
    def __init__(self, client: Any) -> None:
        self._cw = client

    def put(self, request: dict[str, Any]) -> None:
        with service_call("CloudWatch"):
            self._cw.put_metric_alarm(**request)


class ModelRuntime:
    """InvokeEndpoint."""

    def __init__(self, client: Any) -> None:
        self._runtime = client

    def invoke(self, endpoint: str, body: bytes, content_type: str) -> tuple[Any, str | None]:
        """The model's JSON answer and the variant that gave it; ``ModelFailed`` when the
        model's code refused or failed the request."""
        with service_call("SageMaker Runtime"):
            try:
                response = self._runtime.invoke_endpoint(
                    EndpointName=endpoint, Body=body, ContentType=content_type, Accept="application/json"
                )
            except Exception as error:
                if aws_error_code(error) == "ModelError":
                    details = getattr(error, "response", {})
                    raise ModelFailed(
                        str(details.get("OriginalMessage") or details.get("Error", {}).get("Message") or error),
                        details.get("OriginalStatusCode"),
                        details.get("LogStreamArn"),
                    ) from error
                raise
        answer = json.loads(response["Body"].read())
        return answer, response.get("InvokedProductionVariant")
