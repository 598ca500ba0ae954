"""Insight's API and event handlers. Each parses its input, calls one function in chalicelib/, returns a model."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, ConvertToMiddleware, IAMAuthorizer, Response

from chalicelib import chat, jobs, uploads, webhooks
from chalicelib.api import answers_errors, documented, openapi_document, parse, parse_body, reply
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
