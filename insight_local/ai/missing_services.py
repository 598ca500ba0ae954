"""The AI services moto does not have at all, Amazon Translate and the Amazon Lex V2 runtime,
answered from moto's server by the offline engines (``translate``, ``lex``).

moto's server picks a backend for each request from its ``Host``, else from the service of the
request's SigV4 credential scope; a client pointed at the server (``AWS_ENDPOINT_URL``) leaves only
the latter. Translate signs as ``translate``, which names no moto backend; the Lex V2 runtime signs
as ``lex``, which moto gives to its Lex V2 *models* API (``lexv2models``), whose routes know no
``/sessions/``. :func:`service_of` tells their requests apart (Translate's JSON target prefix, the
runtime's ``runtime-v2-lex`` host or its ``.../botAliases/.../botLocales/.../sessions/...`` paths,
which the models API spells in lower case), and :func:`application` serves them;
``insight_local.moto_gaps.translate_and_lex_runtime`` puts both in front of moto's dispatcher.

Operations are routed (with the URI's parameters) and errors serialised by moto's own machinery,
from botocore's service models (so Lex's errors get their HTTP status codes, Translate's their
extra members); success answers are written here, because moto's serialiser drops the ``null``
of an unfilled slot, which Lex sends, and PutSession's headers are gzipped, base64 JSON.

A Lex V2 bot is created with the models API (moto keeps bots and aliases, not locales, intents or
slot types): :func:`register_bot` gives the runtime the bot's declared ``BotLocales`` under the id
that ``CreateBot`` returned. A code hook is the alias's, as on AWS: the Lambda function its
``botAliasLocaleSettings`` name for the locale (moto keeps them) is invoked through the local
Lambda service (so in process, from its handler string) with Lex V2's event.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import BaseResponse

from insight_local.ai import lex, translate
from insight_local.ai.services import engine_clock

__all__ = [
    "LexRuntimeResponse",
    "TranslateResponse",
    "application",
    "create_bot",
    "register_bot",
    "service_of",
]

Json = dict[str, Any]
Answer = tuple[int, dict[str, str], str]

TRANSLATE_TARGET_PREFIX = "AWSShineFrontendService_20170701."
LEX_RUNTIME_PATH = re.compile(r"^/bots/[^/]+/botAliases/[^/]+/botLocales/[^/]+/sessions/[^/]+(?:/[a-z]+)?/?$")
#: Lex's test alias: every bot has it, pointing at the draft version.
TEST_ALIAS_ID = "TSTALIASID"


def service_of(environ: dict[str, Any]) -> str | None:
    """``translate``, ``lexv2-runtime``, or None for a request moto serves itself."""
    host = str(environ.get("HTTP_HOST", ""))
    if str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(TRANSLATE_TARGET_PREFIX) or host.startswith("translate."):
        return "translate"
    if host.startswith("runtime-v2-lex.") or LEX_RUNTIME_PATH.match(str(environ.get("PATH_INFO", ""))):
        return "lexv2-runtime"
    return None


class OfflineServiceError(ServiceException):
    """An error that moto serialises from botocore's error shape ``code`` (status, members). Defined
    here: moto looks for the error shape in the service of the module that raises it."""

    def __init__(self, code: str, message: str, **fields: str) -> None:
        super().__init__(code, message)
        for name, value in fields.items():
            setattr(self, name, value)


def _error(code: str, message: str, **fields: str) -> OfflineServiceError:
    return OfflineServiceError(code, message, **fields)


@contextmanager
def _timed() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        engine_clock.add(time.perf_counter() - started)


# --- Translate ----------------------------------------------------------------------------


class TranslateResponse(BaseResponse):
    """Amazon Translate (JSON 1.1 protocol) answered by ``insight_local.ai.translate``."""

    CONTENT_TYPE = "application/x-amz-json-1.1"

    def __init__(self) -> None:
        super().__init__(service_name="translate")

    def _answer(self, operation: Callable[[Json], Json]) -> Answer:
        request = json.loads(self.body or "{}")
        try:
            with _timed():
                answer = operation(request)
        except translate.TranslateError as error:
            raise _error(error.code, error.message, **error.fields) from error
        return 200, {"Content-Type": self.CONTENT_TYPE}, json.dumps(answer)

    def serialized(self, action_result: Any) -> tuple[int, dict[str, str], Any]:
        status, headers, body = super().serialized(action_result)
        headers["Content-Type"] = self.CONTENT_TYPE  # moto's serialiser knows JSON 1.1 only by the model's protocol
        return status, headers, body

    def translate_text(self) -> Answer:
        return self._answer(translate.translate_text)

    def list_languages(self) -> Answer:
        return self._answer(translate.list_languages)


# --- Lex V2 runtime -----------------------------------------------------------------------


class _Bots:
    """The declared locales of the bots created in moto's Lex V2 models API, by bot id."""

    def __init__(self) -> None:
        self._bots: dict[str, lex.Bot] = {}
        self._lock = threading.Lock()

    def register(self, bot_id: str, bot: lex.Bot) -> None:
        with self._lock:
            self._bots[bot_id] = bot

    def resolve(self, account: str, region: str, bot_id: str, alias_id: str) -> lex.Bot:
        """The bot behind (bot id, alias id), as the models API and the registrations know it."""
        from moto.lexv2models.models import lexv2models_backends

        backend = lexv2models_backends[account][region]
        if bot_id not in backend.bots:
            raise _error("ResourceNotFoundException", f"Bot {bot_id} does not exist in {account} {region}")
        alias = backend.bot_aliases.get(alias_id)
        if alias_id != TEST_ALIAS_ID and (alias is None or alias.bot_id != bot_id):
            raise _error("ResourceNotFoundException", f"Bot alias {alias_id} of bot {bot_id} does not exist")
        with self._lock:
            bot = self._bots.get(bot_id)
        if bot is None:
            raise _error(
                "ResourceNotFoundException",
                f"Bot {bot_id} has no built locale: the offline Lex runtime knows a bot's locales only from its "
                "declaration (insight_local.ai.missing_services.register_bot)",
            )
        return bot

    @staticmethod
    def code_hook(account: str, region: str, bot_id: str, alias_id: str, locale_id: str) -> lex.CodeHook | None:
        """The Lambda function the alias runs as the locale's code hook, as its settings in the
        models API say (``botAliasLocaleSettings``), or None."""
        from moto.lexv2models.models import lexv2models_backends

        backend = lexv2models_backends[account][region]
        alias = backend.bot_aliases.get(alias_id)
        if alias is None:  # the test alias, which has no Lambda function
            return None
        setting = (alias.bot_alias_locale_settings or {}).get(locale_id) or {}
        hook = (setting.get("codeHookSpecification") or {}).get("lambdaCodeHook") or {}
        if not setting.get("enabled", False) or not hook.get("lambdaARN"):
            return None
        bot = backend.bots[bot_id]
        return lex.CodeHook(
            invoke=functools.partial(_invoke_code_hook, account, region, str(hook["lambdaARN"])),
            bot={
                "id": bot_id,
                "name": bot.bot_name,
                "version": alias.bot_version or "DRAFT",
                "aliasId": alias_id,
                "aliasName": alias.bot_alias_name,
            },
        )


def _invoke_code_hook(account: str, region: str, function_arn: str, event: Json) -> Json:
    """Invoke the code hook's function through the local Lambda service, as Lex does (synchronously);
    its failure is Lex's ``DependencyFailedException``, with Lex's wording."""
    from moto.awslambda.models import lambda_backends

    headers: dict[str, str] = {}
    try:
        payload = lambda_backends[account][region].invoke(function_arn, None, json.dumps(event), {}, headers)
    except Exception as error:  # no such function, most likely
        raise lex.LexError(
            "DependencyFailedException",
            f"Invalid Bot Configuration: the code hook {function_arn} could not be invoked ({type(error).__name__})",
        ) from error
    if headers.get("x-amz-function-error"):
        raise lex.LexError(
            "DependencyFailedException", "Invalid Lambda Response: Received error response from Lambda: Unhandled"
        )
    try:
        answer = json.loads(payload or b"null")
    except ValueError as error:
        raise lex.LexError("DependencyFailedException", "Invalid Lambda Response: the response is not JSON") from error
    return dict(answer) if isinstance(answer, dict) else {"invalid": answer}


BOTS = _Bots()
RUNTIME = lex.LexRuntime()


def register_bot(bot_id: str, declaration: Json, name: str) -> lex.Bot:
    """Give the offline runtime the locales of bot ``bot_id`` (made with ``CreateBot``), read from
    its declaration in ``AWS::Lex::Bot`` shape. Raises ``ValueError`` for what it cannot serve."""
    bot = lex.bot_from_declaration(declaration, name)
    BOTS.register(bot_id, bot)
    return bot


def create_bot(
    models: Any,
    name: str,
    declaration: Json,
    role_arn: str,
    alias: str = "live",
    code_hook_arn: str | None = None,
) -> tuple[str, str]:
    """Create a declared bot as CloudFormation would, through the Lex V2 models API (``models`` is
    a boto3 ``lexv2-models`` client of the local AWS): the bot, an alias (running the function
    ``code_hook_arn`` as every locale's code hook, if given), and the locales given to the
    offline runtime. Returns (bot id, alias id)."""
    bot = lex.bot_from_declaration(declaration, name)  # what the runtime cannot serve fails before creating
    created = models.create_bot(
        botName=name,
        description=declaration.get("Description", ""),
        roleArn=role_arn,
        dataPrivacy={"childDirected": bool(declaration.get("DataPrivacy", {}).get("ChildDirected", False))},
        idleSessionTTLInSeconds=int(declaration.get("IdleSessionTTLInSeconds", 300)),
    )
    bot_id = str(created["botId"])
    settings: Json = {}
    if code_hook_arn:
        settings["botAliasLocaleSettings"] = {
            locale: {
                "enabled": True,
                "codeHookSpecification": {
                    "lambdaCodeHook": {"lambdaARN": code_hook_arn, "codeHookInterfaceVersion": "1.0"}
                },
            }
            for locale in bot.locales
        }
    alias_id = str(models.create_bot_alias(botAliasName=alias, botId=bot_id, botVersion="1", **settings)["botAliasId"])
    BOTS.register(bot_id, bot)
    return bot_id, alias_id


def _packed(value: Any) -> str:
    """How the Lex V2 runtime puts JSON in a response header: gzipped, then base64."""
    return base64.b64encode(gzip.compress(json.dumps(value).encode())).decode()


class LexRuntimeResponse(BaseResponse):
    """The Amazon Lex V2 runtime (REST-JSON) answered by ``insight_local.ai.lex``."""

    def __init__(self) -> None:
        super().__init__(service_name="lexv2-runtime")

    def _request(self) -> tuple[lex.Bot, lex.SessionKey, Json]:
        request: Json = {**json.loads(self.body or "{}"), **self.uri_match}
        bot = BOTS.resolve(self.current_account, self.region, request["botId"], request["botAliasId"])
        key = (
            self.current_account,
            self.region,
            request["botId"],
            request["botAliasId"],
            request["localeId"],
            request["sessionId"],
        )
        return bot, key, request

    def _run(self, operation: Callable[[lex.Bot, lex.SessionKey, Json], Json]) -> Json:
        bot, key, request = self._request()
        try:
            with _timed():
                return operation(bot, key, request)
        except lex.LexError as error:
            raise _error(error.code, error.message) from error

    def recognize_text(self) -> Answer:
        def recognize(bot: lex.Bot, key: lex.SessionKey, request: Json) -> Json:
            account, region, bot_id, alias_id, locale_id, _ = key
            hook = BOTS.code_hook(account, region, bot_id, alias_id, locale_id)
            return RUNTIME.recognize_text(bot, key, request, hook)

        return 200, {"Content-Type": "application/json"}, json.dumps(self._run(recognize))

    def get_session(self) -> Answer:
        return 200, {"Content-Type": "application/json"}, json.dumps(self._run(RUNTIME.get_session))

    def delete_session(self) -> Answer:
        return 200, {"Content-Type": "application/json"}, json.dumps(self._run(RUNTIME.delete_session))

    def put_session(self) -> Answer:
        answer = self._run(RUNTIME.put_session)
        headers = {
            "Content-Type": self.headers.get("ResponseContentType") or "text/plain; charset=utf-8",
            "x-amz-lex-session-id": answer["sessionId"],
            "x-amz-lex-session-state": _packed(answer["sessionState"]),
        }
        if answer.get("messages"):
            headers["x-amz-lex-messages"] = _packed(answer["messages"])
        if answer.get("requestAttributes"):
            headers["x-amz-lex-request-attributes"] = _packed(answer["requestAttributes"])
        return 200, headers, ""  # no audio: the messages are text

    def recognize_utterance(self) -> Answer:
        raise _error(
            "ValidationException",
            "RecognizeUtterance is not available offline: the local mode's Lex runtime has no speech recognition "
            "(send text with RecognizeText)",
        )

    def start_conversation(self) -> Answer:
        raise _error(
            "ValidationException",
            "StartConversation (HTTP/2 streaming) is not available offline: send text with RecognizeText",
        )


# --- the applications ----------------------------------------------------------------------

_RESPONSES: dict[str, type[BaseResponse]] = {"translate": TranslateResponse, "lexv2-runtime": LexRuntimeResponse}
_applications: dict[str, Any] = {}
_applications_lock = threading.Lock()


def application(service: str) -> Any:
    """The WSGI application (a Flask app, as moto makes one per backend) that serves ``service``."""
    with _applications_lock:
        app = _applications.get(service)
        if app is None:
            from flask import Flask
            from moto.core.utils import convert_to_flask_response
            from moto.moto_server.werkzeug_app import BackendRequest

            app = Flask(f"insight-offline-{service}")
            app.request_class = BackendRequest
            view = convert_to_flask_response(_RESPONSES[service].dispatch)
            methods = ["GET", "POST", "PUT", "DELETE"]
            app.add_url_rule("/", endpoint="root", view_func=view, methods=methods)
            app.add_url_rule("/<path:path>", endpoint="path", view_func=view, methods=methods, strict_slashes=False)
            _applications[service] = app
        return app
