"""Insight's API and event handlers. Each parses its input, calls one function in chalicelib/, returns a model."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, ConvertToMiddleware, IAMAuthorizer, Response

from chalicelib import chat, deployments, jobs, model_registry, predictions, trainings, transforms, uploads, webhooks
from chalicelib.api import answers_errors, documented, openapi_document, parse, parse_body, reply, uniform_errors
from chalicelib.lifecycle_models import (
    ApprovalAccepted,
    Deployment,
    ModelDetail,
    ModelList,
    PredictReply,
    PredictRequest,
    TrainingRequest,
    TrainingRun,
    Transform,
    TransformRequest,
)
from chalicelib.models import (
    ChatReply,
    ChatRequest,
    JobPage,
    JobView,
    ListJobsQuery,
    UploadRequest,
    UploadTicket,
    WebhookAccepted,
)
from chalicelib.observability import logger, metrics, traced

app = Chalice(app_name="insight")
# Every route of the deployed API requires authentication: IAM (SigV4) by default; the
# stage's config can switch it to a Cognito user pool at packaging time (infra/template.py).
# The local server does not enforce IAM.
auth = IAMAuthorizer()

app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context), "all")
app.register_middleware(ConvertToMiddleware(traced), "http")
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "all")
app.register_middleware(uniform_errors, "http")


@app.route("/uploads", methods=["POST"], authorizer=auth, content_types=["application/json"])
@documented(
    "Get a job id and a presigned form to upload a file for analysis", UploadTicket, body=UploadRequest, status=201
)
@answers_errors
def create_upload() -> Response:
    request = parse_body(UploadRequest, app.current_request.raw_body)
    return reply(uploads.create_upload(request), status=201)


@app.route("/jobs", methods=["GET"], authorizer=auth)
@documented("List jobs, newest first", JobPage, query=ListJobsQuery)
@answers_errors
def list_jobs() -> Response:
    query = parse(ListJobsQuery, app.current_request.query_params or {})
    return reply(jobs.list_jobs(query))


@app.route("/jobs/{job_id}", methods=["GET"], authorizer=auth)
@documented("A job's status, step, timestamps and results", JobView)
@answers_errors
def get_job(job_id: str) -> Response:
    return reply(jobs.get_job(job_id))


# Business systems cannot sign with SigV4: a webhook is authenticated by its own signature
# (Standard Webhooks, GitHub or Stripe, per source), checked before anything else.
@app.route("/webhooks/{source}", methods=["POST"], content_types=["application/json"])
@documented(
    "Accept a signed webhook from a business system; it is processed once, later",
    WebhookAccepted,
    status=202,
    signed=True,
)
@answers_errors
def receive_webhook(source: str) -> Response:
    request = app.current_request
    return reply(webhooks.accept(source, request.raw_body or b"", request.headers), status=202)


@app.route("/chat", methods=["POST"], authorizer=auth, content_types=["application/json"])
@documented("Say something to Insight's assistant (Lex V2) and get its answer", ChatReply, body=ChatRequest)
@answers_errors
def post_chat() -> Response:
    request = parse_body(ChatRequest, app.current_request.raw_body)
    return reply(chat.send(request))


@app.route("/models", methods=["GET"], authorizer=auth)
@documented("The models Insight trains and deploys, and the version each endpoint serves", ModelList)
@answers_errors
def list_models() -> Response:
    return reply(model_registry.list_models())


@app.route("/models/{name}", methods=["GET"], authorizer=auth)
@documented("A model's registered versions (metrics, approval, which is live), endpoint and trainings", ModelDetail)
@answers_errors
def get_model(name: str) -> Response:
    return reply(model_registry.get_model(name))


@app.route("/models/{name}/trainings", methods=["POST"], authorizer=auth, content_types=["application/json"])
@documented("Train the model now on the data under training/<name>/", TrainingRun, body=TrainingRequest, status=202)
@answers_errors
def start_training(name: str) -> Response:
    request = parse_body(TrainingRequest, app.current_request.raw_body or b"{}")
    return reply(trainings.start_training(name, request), status=202)


@app.route("/models/{name}/trainings/{run_id}", methods=["GET"], authorizer=auth)
@documented("A training run: status, jobs, metrics, the gate's verdict, the registered version", TrainingRun)
@answers_errors
def get_training(name: str, run_id: str) -> Response:
    return reply(trainings.get_run(name, run_id))


@app.route("/models/{name}/versions/{version}/approve", methods=["POST"], authorizer=auth)
@documented("Approve a registered version: it is deployed (once) to the model's endpoint", ApprovalAccepted, status=202)
@answers_errors
def approve_version(name: str, version: str) -> Response:
    return reply(model_registry.approve(name, version), status=202)


@app.route("/models/{name}/transforms", methods=["POST"], authorizer=auth, content_types=["application/json"])
@documented(
    "A batch transform of a prefix under batch/ with the live model", Transform, body=TransformRequest, status=202
)
@answers_errors
def start_transform(name: str) -> Response:
    request = parse_body(TransformRequest, app.current_request.raw_body)
    return reply(transforms.start_transform(name, request), status=202)


@app.route("/models/{name}/transforms/{transform_id}", methods=["GET"], authorizer=auth)
@documented("A batch transform's status and output location", Transform)
@answers_errors
def get_transform(name: str, transform_id: str) -> Response:
    return reply(transforms.get_transform(name, transform_id))


@app.route("/deployments/{deployment_id}", methods=["GET"], authorizer=auth)
@documented("A deployment: status (DEPLOYED, ROLLED_BACK, FAILED...), strategy, alarms, reason", Deployment)
@answers_errors
def get_deployment(deployment_id: str) -> Response:
    return reply(deployments.get_deployment(deployment_id))


@app.route("/predict/{endpoint}", methods=["POST"], authorizer=auth, content_types=["application/json"])
@documented(
    "Predict with the model live on an endpoint; the instances are checked against its schema",
    PredictReply,
    body=PredictRequest,
)
@answers_errors
def predict(endpoint: str) -> Response:
    request = parse_body(PredictRequest, app.current_request.raw_body)
    return reply(predictions.predict(endpoint, request))


@app.route("/openapi.json", methods=["GET"], authorizer=auth)
def openapi() -> dict[str, Any]:
    return openapi_document(app.routes, title="Insight", version="1.0.0")


@app.lambda_function(name="on_upload")
def on_upload(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 object-created notifications of the upload bucket: record the job, start its workflow."""
    from aws_lambda_powertools.utilities.parser import parse as parse_event
    from aws_lambda_powertools.utilities.parser.models import S3Model

    notification = parse_event(event=event, model=S3Model)
    started = []
    for record in notification.Records:
        job = uploads.receive_upload(record.s3.bucket.name, record.s3.object.key, record.s3.object.versionId)
        if job is not None:
            started.append(job.job_id)
    return {"jobs": started}
