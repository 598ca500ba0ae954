"""The SageMaker lifecycle in the packaged template: the registry, the rules that drive the
workflows, the role SageMaker's jobs run with, and what functions are told of the models."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import MlModel
from infra.package import package
from infra.resources import STACK, physical_name
from infra.template import StageOptions, event_pattern, merge_template

STAGE = "dev"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out: Path = tmp_path_factory.mktemp(STAGE)
    return dict(json.loads(package(STAGE, out, install_deps=False).read_text()))


def test_each_model_has_its_package_group(template: dict[str, Any]) -> None:
    for model in STACK.models:
        group = template["Resources"][model.package_group]
        assert group["Type"] == "AWS::SageMaker::ModelPackageGroup"
        assert group["Properties"]["ModelPackageGroupName"] == physical_name(STAGE, model.package_group)


def test_the_rules_match_this_stages_groups_and_endpoints(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    approved = resources["ModelPackageApproved"]["Properties"]["EventPattern"]
    assert approved["source"] == ["aws.sagemaker"]
    assert approved["detail-type"] == ["SageMaker Model Package State Change"]
    assert approved["detail"]["ModelApprovalStatus"] == ["Approved"]
    assert approved["detail"]["ModelPackageGroupName"] == [physical_name(STAGE, m.package_group) for m in STACK.models]
    deployed = resources["EndpointDeploymentChanged"]["Properties"]["EventPattern"]
    assert deployed["detail-type"] == ["SageMaker Endpoint Deployment State Change"]
    assert deployed["detail"]["EndpointName"] == [physical_name(STAGE, m.endpoint) for m in STACK.models]
    ended = resources["ModelWorkflowsEnded"]["Properties"]["EventPattern"]
    assert len(ended["detail"]["stateMachineArn"]) == 3


def test_the_rules_follow_the_models_of_the_stack_they_are_made_for() -> None:
    # Given the stack with a second model declared
    fraud = dataclasses.replace(STACK.models[0], logical_id="Fraud", name="fraud")
    stack = dataclasses.replace(STACK, models=(*STACK.models, fraud))
    rules = {rule.logical_id: rule for rule in stack.rules}

    def pattern(logical_id: str) -> dict[str, Any]:
        return dict(event_pattern(rules[logical_id], stack, str, lambda name: physical_name(STAGE, name))["detail"])

    # Then its approvals deploy and its endpoint's events resume its deployments, as the first one's do
    groups = [physical_name(STAGE, "ChurnPackages"), physical_name(STAGE, "FraudPackages")]
    assert pattern("ModelPackageApproved")["ModelPackageGroupName"] == groups
    endpoints = [physical_name(STAGE, "ChurnEndpoint"), physical_name(STAGE, "FraudEndpoint")]
    assert pattern("EndpointDeploymentChanged")["EndpointName"] == endpoints
    assert pattern("EndpointStateChanged")["EndpointName"] == endpoints


def sagemaker_grants(template: dict[str, Any], role: str) -> dict[str, set[str]]:
    """Each SageMaker action a role is granted -> the ARNs it is granted on, as ``Fn::Sub`` strings."""
    statements = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted: dict[str, set[str]] = {}
    for s in statements:
        for action in (a for a in s["Action"] if a.startswith("sagemaker:")):
            granted.setdefault(action, set()).update(r["Fn::Sub"] for r in s["Resource"])
    return granted


def test_iam_grants_and_schedules_follow_the_models_of_the_stack_they_are_made_for() -> None:
    # Given a stack whose models are not the module's: a fraud model, and the churn model
    # declared again under a name of two words
    churn = STACK.models[0]
    fraud = dataclasses.replace(churn, logical_id="Fraud", name="fraud", schedule_minutes=24 * 60)
    again = dataclasses.replace(churn, logical_id="AutoChurn", name="auto-churn", schedule_minutes=60)
    stack = dataclasses.replace(STACK, models=(fraud, again))
    # When its template is rendered
    template = merge_template(stack, StageOptions(stage=STAGE))
    # Then the ARNs granted are those of the groups and endpoints the functions are told of,
    # and of the resources named after those models: no other model's
    told = [m.declaration(STAGE, "us-east-1", "1") for m in stack.models]
    arn = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"
    groups = {f"{arn}model-package-group/{m['package_group']}" for m in told}
    packages = groups | {f"{arn}model-package/{m['package_group']}/*" for m in told}
    endpoints = {f"{arn}endpoint/{m['endpoint']}" for m in told}
    assert endpoints == {f"{arn}endpoint/insight-dev-fraud-endpoint", f"{arn}endpoint/insight-dev-auto-churn-endpoint"}

    def named(kind: str) -> set[str]:
        return {f"{arn}{kind}/{name}-*" for name in ("fraud", "auto-churn")}

    api = sagemaker_grants(template, "APIHandlerRole")
    assert api["sagemaker:DescribeModelPackage"] == api["sagemaker:UpdateModelPackage"] == packages
    assert api["sagemaker:InvokeEndpoint"] == endpoints
    assert api["sagemaker:DescribeTrainingJob"] == named("processing-job") | named("training-job")
    assert sagemaker_grants(template, "RegisterModelRole")["sagemaker:CreateModelPackage"] == packages
    assert sagemaker_grants(template, "OnModelApprovedRole")["sagemaker:ListModelPackages"] == packages
    deploy = sagemaker_grants(template, "DeployModelRole")
    assert deploy["sagemaker:CreateEndpoint"] == named("model") | named("endpoint-config") | endpoints
    assert sagemaker_grants(template, "OnEndpointEventRole")["sagemaker:DescribeEndpoint"] == endpoints
    finish = sagemaker_grants(template, "FinishDeploymentRole")
    assert finish["sagemaker:DeleteModel"] == named("model") | named("endpoint-config")
    jobs = named("processing-job") | named("training-job") | named("transform-job")
    for machine in ("TrainingWorkflowRole", "TransformWorkflowRole"):
        assert sagemaker_grants(template, machine)["sagemaker:CreateTrainingJob"] == jobs
    # And each of its models is retrained on its own schedule, and only its models are
    schedules = {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Events::Rule"
        and "ScheduleExpression" in resource["Properties"]
        and resource["Properties"]["Targets"][0]["Id"] == "ScheduledTrainings"
    }
    assert sorted(schedules) == ["AutoChurnTrainingSchedule", "FraudTrainingSchedule"]
    assert schedules["FraudTrainingSchedule"]["ScheduleExpression"] == "rate(1440 minutes)"
    assert json.loads(schedules["FraudTrainingSchedule"]["Targets"][0]["Input"]) == {"model": "fraud"}
    assert schedules["AutoChurnTrainingSchedule"]["ScheduleExpression"] == "rate(60 minutes)"
    assert json.loads(schedules["AutoChurnTrainingSchedule"]["Targets"][0]["Input"]) == {"model": "auto-churn"}
    # And the local runtime makes and fires the same schedules
    assert {s.logical_id: s.input for s in stack.every_schedule() if s.function == "ScheduledTrainings"} == {
        "FraudTrainingSchedule": {"model": "fraud"},
        "AutoChurnTrainingSchedule": {"model": "auto-churn"},
    }
    assert "churn-" not in json.dumps(template).replace("auto-churn-", "")


def test_sagemakers_role_reaches_only_its_prefixes_logs_and_image(template: dict[str, Any]) -> None:
    role = template["Resources"]["SageMakerExecution"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    text = json.dumps(statements)
    for prefix in ("training/*", "code/*", "artifacts/*"):
        assert prefix in text
    assert "s3:DeleteObject" not in text
    [pull] = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    [(arn, variables)] = [resource["Fn::Sub"] for resource in pull["Resource"]]
    assert arn == "arn:${AWS::Partition}:ecr:${AWS::Region}:${ChurnImageAccount}:repository/sagemaker-scikit-learn"
    assert variables == {
        "ChurnImageAccount": {"Fn::FindInMap": ["FrameworkImageAccounts", {"Ref": "AWS::Region"}, "Churn"]}
    }
    # As the sagemaker SDK's image_uri_config lists scikit-learn 1.9-0's registries.
    accounts = template["Mappings"]["FrameworkImageAccounts"]
    assert accounts["us-east-1"] == {"Churn": "683313688378"}
    assert accounts["eu-west-1"] == {"Churn": "141502667606"}
    assert accounts["cn-north-1"] == {"Churn": "450853457545"}


def test_new_training_data_notifies_its_function(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["ModelData"]["Properties"]
    [notification] = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Function"] == {"Fn::GetAtt": ["OnTrainingData", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "training/"}]


def test_functions_are_told_the_models_with_the_regions_image(template: dict[str, Any]) -> None:
    variables = template["Resources"]["DeployModel"]["Properties"]["Environment"]["Variables"]
    text, values = variables["INSIGHT_ML_MODELS"]["Fn::Sub"]
    models = json.loads(text)
    assert [m["name"] for m in models] == [m.name for m in STACK.models]
    assert models[0]["image_uri"] == (
        "${ChurnImageAccount}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/sagemaker-scikit-learn:1.9-0-cpu-py3"
    )
    assert values["ChurnImageAccount"] == {"Fn::FindInMap": ["FrameworkImageAccounts", {"Ref": "AWS::Region"}, "Churn"]}


def test_the_models_setting_carries_what_differs_from_the_defaults_and_reads_back_whole() -> None:
    # Given each declared model, told to functions with its defaults left out
    for model in STACK.models:
        told = model.setting(STAGE, "eu-west-1", "141502667606")
        whole = model.declaration(STAGE, "eu-west-1", "141502667606")
        # Then nothing told is a default, and what functions read is the whole declaration
        assert all(
            MlModel.model_fields[name].is_required() or MlModel.model_fields[name].default != value
            for name, value in told.items()
        )
        assert len(told) < len(whole)
        assert MlModel.model_validate(told) == MlModel.model_validate(whole)


def test_the_source_archive_has_the_scripts_at_its_root_and_the_same_bytes_each_time() -> None:
    import io
    import tarfile
    import time

    from infra.model_code import source_archive

    model = STACK.models[0]
    archive = source_archive(model)
    time.sleep(1.1)  # a second later: no time in any header
    # The code version of a package is the archive's ETag: packing again changes nothing
    assert archive == source_archive(model)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
    assert {"processing.py", "train.py", "evaluate.py", "inference.py", "schema.json"} <= set(names)
    assert all("/" not in name for name in names)
