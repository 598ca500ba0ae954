"""The framework images come from the sagemaker SDK, and name what the SDK itself resolves."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from sagemaker.core import image_uris

from infra.images import FrameworkImage, UnknownFrameworkImage, framework_image
from infra.resources import STACK, Model
from infra.template import arn_patterns, image_accounts

URL_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}


def test_the_sdk_resolves_the_example_models_image() -> None:
    [churn] = [model for model in STACK.models if model.name == "churn"]
    image = churn.image
    assert (image.framework, image.version, image.repository, image.tag) == (
        "sklearn",
        "1.9-0",
        "sagemaker-scikit-learn",
        "1.9-0-cpu-py3",
    )
    # Every region the SDK lists, not a hand-kept few
    assert len(image.accounts) > 30
    assert image.account("eu-west-1") == "141502667606"


@pytest.mark.parametrize("scope", ["training", "inference"])
def test_each_regions_uri_is_the_one_the_sdk_retrieves(scope: str) -> None:
    # Given the example model's image in each region the SDK lists it in, in the commercial and
    # China partitions (their registries' domains differ)
    [model] = STACK.models
    session = boto3.session.Session()
    checked = 0
    for region, account in model.image.accounts:
        suffix = URL_SUFFIX.get(session.get_partition_for_region(region))
        if suffix is None:
            continue  # GovCloud and the isolated partitions: the SDK's own domains
        # Then what the template and the local runtime name is what the SDK resolves
        expected = image_uris.retrieve(
            model.framework,
            region=region,
            version=model.framework_version,
            instance_type=model.training_instance_type,
            image_scope=scope,
        )
        assert model.image_uri(region, account, suffix) == expected
        checked += 1
    assert checked > 25


def test_a_version_the_sdk_does_not_know_is_refused_with_the_versions_it_knows() -> None:
    with pytest.raises(UnknownFrameworkImage, match=r"no sklearn 0\.1-0 image for training \(it knows .*1\.9-0"):
        framework_image("sklearn", "0.1-0", "ml.m5.large")


def test_a_region_without_the_image_is_refused_by_name() -> None:
    image = FrameworkImage("sklearn", "1.9-0", "sagemaker-scikit-learn", "1.9-0-cpu-py3", (("us-east-1", "1"),))
    with pytest.raises(UnknownFrameworkImage, match=r"no sklearn 1\.9-0 image in mars-north-1"):
        image.account("mars-north-1")


def test_models_of_one_image_pull_it_once_and_each_is_mapped(tmp_path: Path) -> None:
    models = (
        Model("Churn", name="churn", source=tmp_path, purpose="a"),
        Model("Fraud", name="fraud", source=tmp_path, purpose="b"),
    )
    pattern = "arn:${AWS::Partition}:ecr:${AWS::Region}:${ImageAccount}:repository/${ImageRepository}"
    [pull] = arn_patterns(pattern, models)
    assert isinstance(pull, dict)
    assert pull["Fn::Sub"][0].endswith(":${ChurnImageAccount}:repository/sagemaker-scikit-learn")
    assert image_accounts(models)["us-east-1"] == {"Churn": "683313688378", "Fraud": "683313688378"}
