"""The whole local runtime: the local AWS, Insight's resources in it, and the API."""

from __future__ import annotations

import os

from infra.resources import STACK, Stack
from insight_local.api import LocalAPI
from insight_local.provision import Deployment, provision
from insight_local.scheduler import Scheduler
from insight_local.server import LocalAWS


class Runtime:
    def __init__(
        self,
        api_port: int = 8000,
        aws_port: int | None = None,
        settings: dict[str, str] | None = None,
        access_log: bool = True,
        stack: Stack = STACK,
    ) -> None:
        self.stack = stack
        self.aws = LocalAWS(aws_port)
        self.api = LocalAPI(port=api_port, access_log=access_log)
        self._settings = settings or {}
        self.deployment: Deployment | None = None
        self.scheduler: Scheduler | None = None

    def start(self) -> Runtime:
        self.aws.start()
        self.deployment = provision(self.aws, stack=self.stack, settings=self._settings)
        # The API and every in-process function share this process's environment.
        os.environ.update(self.deployment.environment)
        from chalicelib import services

        services.reset()
        self.scheduler = Scheduler(self.aws, self.deployment, self.stack)
        self.scheduler.start()
        self.api.start()
        return self

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        self.api.stop()
        self.aws.stop()
