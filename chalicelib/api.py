"""The HTTP edge: request bodies into models, domain errors into answers, the OpenAPI document.

Only the Chalice app uses this module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Response
from pydantic import BaseModel, ValidationError

from chalicelib import strict_json
from chalicelib.errors import (
    Conflict,
    DependencyFailed,
    InsightError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    ServiceThrottled,
    ServiceUnavailable,
    Unauthorized,
)
from chalicelib.models import ErrorBody
from chalicelib.observability import logger

MAX_BODY_BYTES = 16 * 1024
JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}

M = TypeVar("M", bound=BaseModel)


class BodyTooLarge(PayloadTooLarge):
    pass


class MalformedBody(InsightError):
    pass


class InvalidBody(InsightError):
    def __init__(self, model: type[BaseModel], error: ValidationError) -> None:
        super().__init__(f"the {model.__name__} is not valid: " + "; ".join(_describe(e) for e in error.errors()))
        self.details = [
            {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "problem": e["msg"]} for e in error.errors()
        ]


def _describe(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{field}: {error['msg']}"


def parse_body(model: type[M], raw: bytes | None) -> M:
    """The JSON body as ``model``, or an error that says what was wrong with it."""
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the request body is over {MAX_BODY_BYTES} bytes")
    if not raw:
        raise MalformedBody("the request needs a JSON body")
    try:
        document = strict_json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedBody(f"the request body is not valid JSON ({error})") from error
    return parse(model, document)


def parse(model: type[M], document: Any) -> M:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise InvalidBody(model, error) from error


STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (NotFound, 404, "NotFound"),
    (Unauthorized, 401, "Unauthorized"),
    (PayloadTooLarge, 413, "BodyTooLarge"),
    (MalformedBody, 400, "MalformedBody"),
    (InvalidBody, 422, "ValidationError"),
    (InvalidRequest, 400, "InvalidRequest"),
    (Conflict, 409, "Conflict"),
    (DependencyFailed, 502, "DependencyFailed"),
    (ServiceThrottled, 503, "ServiceThrottled"),
    (ServiceUnavailable, 503, "ServiceUnavailable"),
)


def error_response(error: Exception) -> Response | None:
    """The answer for a domain error, or None for an error that is a bug (a 500)."""
    for kind, status, code in STATUS:
        if isinstance(error, kind):
            body = ErrorBody(code=code, message=str(error), details=getattr(error, "details", None))
            return Response(body=body.model_dump_json(exclude_none=True), status_code=status, headers=JSON)
    return None


def answers_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Domain errors raised by a view become their 4xx answer (Chalice turns any other
    exception of a view into a 500 before middleware sees it)."""

    @functools.wraps(view)
    def answering(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except Exception as error:
            response = error_response(error)
            if response is None:
                raise
            logger.info("request refused", status=response.status_code, reason=str(error))
            return response

    return answering


def uniform_errors(request: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice refuses some requests itself, before any route runs, in its own shape
    ``{"Code", "Message"}``: a body of another content type than the route takes (415), a
    method the route does not have (405). Answer them in the API's ``{"code", "message"}``."""
    response = get_response(request)
    body = response.body
    if response.status_code not in (405, 415) or not isinstance(body, dict) or "Code" not in body:
        return response
    if response.status_code == 415:
        content_type = request.headers.get("content-type", "")
        error = ErrorBody(
            code="UnsupportedMediaType",
            message=f"a body of Content-Type {content_type!r} is not taken here: send it as application/json",
        )
    else:
        allowed = response.headers.get("Allow", "")
        error = ErrorBody(
            code="MethodNotAllowed",
            message=f"{request.method} is not a method of {request.context.get('resourcePath')}: {allowed}",
        )
    return Response(
        body=error.model_dump_json(exclude_none=True),
        status_code=response.status_code,
        headers={**response.headers, **JSON},
    )


def reply(model: BaseModel, status: int = 200) -> Response:
    return Response(body=model.model_dump_json(), status_code=status, headers=JSON)


# --- OpenAPI --------------------------------------------------------------------------


def documented(
    summary: str,
    response: type[BaseModel],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    signed: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach what the OpenAPI document says of a route to its view function. ``signed``: the
    route is authenticated by the sender's signature of the body, not by the API's auth."""

    def attach(view: Callable[..., Any]) -> Callable[..., Any]:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "response": response,
            "body": body,
            "query": query,
            "status": status,
            "signed": signed,
        }
        return view

    return attach


def openapi_document(routes: dict[str, dict[str, Any]], title: str, version: str) -> dict[str, Any]:
    """OpenAPI 3.1 for the app's routes, with every schema generated from the pydantic models."""
    from pydantic.json_schema import models_json_schema

    models: set[type[BaseModel]] = {ErrorBody}
    for methods in routes.values():
        for entry in methods.values():
            spec = getattr(entry.view_function, "openapi", None)
            if spec:
                models.update(m for m in (spec["response"], spec["body"]) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, schemas = models_json_schema(
        [(m, "serialization") for m in ordered], ref_template="#/components/schemas/{model}"
    )

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def answer(description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": ref(ErrorBody)}}}

    paths: dict[str, Any] = {}
    for path, methods in sorted(routes.items()):
        for method, entry in sorted(methods.items()):
            spec = getattr(entry.view_function, "openapi", None)
            if spec is None:
                continue
            operation: dict[str, Any] = {
                "summary": spec["summary"],
                "operationId": entry.view_name,
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in entry.view_args
                ],
                "responses": {
                    str(spec["status"]): {
                        "description": "OK",
                        "content": {"application/json": {"schema": ref(spec["response"])}},
                    },
                    "400": answer("The request is not acceptable; the message says why."),
                    "403": {"description": "The caller is not authenticated (deployed API)."},
                },
            }
            if entry.view_args:
                operation["responses"]["404"] = answer("Nothing has this id.")
            if spec.get("signed"):
                operation["security"] = []
                del operation["responses"]["403"]
                operation["responses"]["401"] = answer(
                    "The body is not signed with the source's secret, or the signature is expired."
                )
                operation["responses"]["413"] = answer("The body is too large.")
                operation["responses"]["503"] = answer("The source's signing secret cannot be read; retry.")
            if spec["query"] is not None:
                for name, field in spec["query"].model_fields.items():
                    operation["parameters"].append(
                        {
                            "name": name,
                            "in": "query",
                            "required": False,
                            "description": field.description or name,
                            "schema": spec["query"].model_json_schema()["properties"][name],
                        }
                    )
            if spec["body"] is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(spec["body"])}},
                }
                operation["responses"]["413"] = answer("The body is too large.")
                operation["responses"]["422"] = answer("The body does not match the schema.")
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
            },
        },
        "security": [{"sigv4": []}],
    }
