"""SageMaker's framework images, as the sagemaker SDK resolves them.

A model's scripts run in one of SageMaker's framework containers (scikit-learn for the example
model): its processing, training and hosting alike. Where that image lives depends on the
region: each region has the AWS account of its registry (and China's regions another domain).
The sagemaker SDK keeps that list (``image_uri_config``) and resolves a region's URI
(``image_uris.retrieve``); packaging asks it, so the template maps every region the SDK knows
the image in, and the local runtime names the same image for its region.

Tooling only: the SDK (sagemaker-core) is in requirements-dev.txt, imported here on first use
(about a second), and never in a Lambda bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

#: One image runs a model's processing, training and hosting: the SDK must list it alike for both.
SCOPES = ("training", "inference")


class UnknownFrameworkImage(ValueError):
    """The SDK knows no such image, or not one image for both training and hosting."""


@dataclass(frozen=True)
class FrameworkImage:
    """A framework's container image: its repository and tag, and the registry of each region."""

    framework: str
    version: str
    repository: str
    tag: str
    accounts: tuple[tuple[str, str], ...]  # (region, account of the region's registry)

    def account(self, region: str) -> str:
        registries = dict(self.accounts)
        if region not in registries:
            raise UnknownFrameworkImage(
                f"the sagemaker SDK lists no {self.framework} {self.version} image in {region} "
                f"(it lists {', '.join(sorted(registries))})"
            )
        return registries[region]

    def uri(self, region: str, account: str, url_suffix: str = "amazonaws.com") -> str:
        """The image's URI; the arguments may be the template's ``${...}`` placeholders."""
        return f"{account}.dkr.ecr.{region}.{url_suffix}/{self.repository}:{self.tag}"


@cache
def framework_image(framework: str, version: str, instance_type: str) -> FrameworkImage:
    """What the SDK's ``image_uri_config`` says of ``framework`` at ``version``, with the tag
    its ``retrieve`` gives for ``instance_type`` (the processor: cpu or gpu)."""
    from sagemaker.core import image_uris

    config = image_uris.config_for_framework(framework)
    releases = []
    for scope in SCOPES:
        versions = config.get(scope, {}).get("versions", {})
        if version not in versions:
            raise UnknownFrameworkImage(
                f"the sagemaker SDK knows no {framework} {version} image for {scope} "
                f"(it knows {', '.join(versions) or 'none'})"
            )
        releases.append(versions[version])
    registries, repository = releases[0]["registries"], releases[0]["repository"]
    if any(release["registries"] != registries or release["repository"] != repository for release in releases):
        raise UnknownFrameworkImage(
            f"the sagemaker SDK lists different {framework} {version} images for training and inference: "
            "Insight runs a model's scripts in one image"
        )
    region = "us-east-1" if "us-east-1" in registries else min(registries)
    uris = {
        image_uris.retrieve(framework, region=region, version=version, instance_type=instance_type, image_scope=scope)
        for scope in SCOPES
    }
    if len(uris) != 1:
        raise UnknownFrameworkImage(f"the sagemaker SDK resolves {framework} {version} to {sorted(uris)}")
    [uri] = uris
    name, tag = uri.split("/", 1)[1].rsplit(":", 1)
    if name != repository:
        raise UnknownFrameworkImage(f"the sagemaker SDK resolves {framework} {version} to {uri}, not {repository}")
    return FrameworkImage(framework, version, repository, tag, tuple(sorted(registries.items())))
