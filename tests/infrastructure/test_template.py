"""`make package` without network: the template of each stage passes cfn-lint and keeps
Insight's rules (least privilege, private encrypted buckets, authenticated routes), and
the function bundles carry nothing but their code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, get_args

import pytest
from cfnlint.api import ManualArgs, lint

from chalicelib.settings import WebhookRoute
from infra.package import package, stage_options
from infra.resources import STACK, ArnGrant, ServiceGrant, env_name, physical_name
from infra.template import PLATFORM_GRANTS, RUNTIME, StageOptions

STAGES = ("dev", "prod")
USER_POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Example"
#: Never in a bundle: the local runtime, the tests, the tooling.
FOREIGN = ("chalice", "moto", "insight_local", "infra", "tests", "pytest", "sagemaker")


def build(out: Path, stage: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(package(stage, out, install_deps=False, overrides=overrides).read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Each stage packaged once, with no dependency download."""
    outputs = {}
    for stage in STAGES:
        out = tmp_path_factory.mktemp(stage)
        outputs[stage] = (out, build(out, stage))
    return outputs


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def template(built: dict[str, tuple[Path, dict[str, Any]]], stage: str) -> dict[str, Any]:
    return built[stage][1]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def cfn_lint(template: dict[str, Any]) -> list[Any]:
    """cfn-lint's errors; its warnings are printed (pytest -s shows them)."""
    matches = lint(json.dumps(template, indent=2), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    for match in matches:
        if not match.rule.id.startswith("E"):
            print(f"cfn-lint {match.rule.id} line {match.linenumber}: {match.message}")
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id.startswith("E")]


def test_the_template_passes_cfn_lint(template: dict[str, Any]) -> None:
    # Given the template of a stage packaged without network
    # When cfn-lint checks it, SAM transform included
    errors = cfn_lint(template)
    # Then it finds no error
    assert errors == []


def test_only_actions_without_resource_arns_are_granted_on_everything(template: dict[str, Any]) -> None:
    # Given the actions IAM only grants on "*": the declared ServiceGrants (Textract,
    # Comprehend) and the template's own (X-Ray, Step Functions' log delivery)
    grants = [g for f in STACK.functions for g in f.grants] + [g for r in STACK.roles for g in r.grants]
    unscoped = {a for g in [*grants, *PLATFORM_GRANTS] if isinstance(g, ServiceGrant) for a in g.actions}
    # and actions IAM grants on "*" only under a condition (PutMetricData in SageMaker's namespaces)
    unscoped |= {a for g in grants if isinstance(g, ArnGrant) and "*" in g.arns and g.condition for a in g.actions}
    # When every statement of every IAM policy is read
    statements = [
        s
        for role in of_type(template, "AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
        for s in policy["PolicyDocument"]["Statement"]
    ]
    # Then only those actions have "Resource": "*", and no action is a wildcard
    assert statements
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert not any(a == "*" or a.endswith(":*") for a in actions), s
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        if "*" in resources:
            assert set(actions) <= unscoped, s
    # And no role is taken from Chalice or a managed policy
    assert not any("ManagedPolicyArns" in r["Properties"] for r in of_type(template, "AWS::IAM::Role").values())


def test_every_function_has_its_own_role_layer_and_the_declared_environment(template: dict[str, Any]) -> None:
    # Given the functions of the template, Chalice's two included
    functions = of_type(template, "AWS::Serverless::Function")
    assert set(functions) == {f.logical_id for f in STACK.functions}
    settings = {env_name(r.setting) for r in STACK.settings_resources()}
    for logical_id, function in functions.items():
        properties = function["Properties"]
        # Then each runs with the role made from its grants, on the runtime the layer is built for
        assert properties["Role"] == {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}
        assert properties["Runtime"] == RUNTIME
        declared = STACK.function(logical_id).layers
        assert properties["Layers"] == [{"Ref": "Dependencies"}, *({"Ref": layer} for layer in declared)]
        assert properties["Tracing"] == "Active"
        # And is told where every resource is, as the local runtime does
        assert settings | {"POWERTOOLS_SERVICE_NAME", "INSIGHT_STAGE"} <= set(properties["Environment"]["Variables"])


#: The longest a resolved reference is in a variable: a queue's URL (the queue's name, 80 at most) or a
#: generated ARN or name; pseudo parameters and the image account at their longest.
LONGEST_REFERENCE = 128
LONGEST_PLACEHOLDER = {
    "${AWS::Partition}": 10,
    "${AWS::Region}": 14,
    "${AWS::AccountId}": 12,
    "${AWS::URLSuffix}": 16,
}
ACCOUNT_ID = 12  # ${<Model>ImageAccount}: the account of the registry of a model's image


def resolved_length(value: Any) -> int:
    """An upper bound of a variable's length once CloudFormation has resolved it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
        placeholders = re.findall(r"\$\{[^}]+\}", text)
        longest = sum(
            ACCOUNT_ID if p.endswith("ImageAccount}") else LONGEST_PLACEHOLDER.get(p, LONGEST_REFERENCE)
            for p in placeholders
        )
        return len(re.sub(r"\$\{[^}]+\}", "", text)) + longest
    return LONGEST_REFERENCE  # Ref, Fn::GetAtt


def test_every_functions_environment_fits_lambdas_4_kb(template: dict[str, Any]) -> None:
    # Given each function's environment variables, references resolved at their longest
    for logical_id, function in of_type(template, "AWS::Serverless::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        size = sum(len(name) + resolved_length(value) for name, value in variables.items())
        # Then they fit in the 4 KB Lambda allows a function's environment
        assert size <= 4096, f"{logical_id}: {size} bytes of environment"


def test_buckets_are_encrypted_and_private(template: dict[str, Any]) -> None:
    # Given the buckets of the template
    buckets = of_type(template, "AWS::S3::Bucket")
    assert set(buckets) == {b.logical_id for b in STACK.buckets}
    for bucket in buckets.values():
        properties = bucket["Properties"]
        # Then each is encrypted at rest and blocks every kind of public access
        rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }


def test_upload_bucket_accepts_browser_posts_from_the_stage_origins(template: dict[str, Any], stage: str) -> None:
    # Given the stage's configured origins
    origins = list(stage_options(stage).cors_origins)
    assert origins
    # When the upload bucket's CORS rules are read
    uploads = next(b for b in STACK.buckets if b.browser_uploads)
    rules = template["Resources"][uploads.logical_id]["Properties"]["CorsConfiguration"]["CorsRules"]
    # Then they allow POST from exactly those origins
    assert [rule["AllowedOrigins"] for rule in rules] == [origins]
    assert [rule["AllowedMethods"] for rule in rules] == [["POST"]]


def test_upload_notification_reaches_chalice_function(template: dict[str, Any], stage: str) -> None:
    # Given the upload bucket and its declared notification
    uploads = next(b for b in STACK.buckets if b.notifications)
    notification = uploads.notifications[0]
    bucket = template["Resources"][uploads.logical_id]
    # When its notification configuration is read
    [configuration] = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    # Then it invokes Chalice's function for the declared prefix, once S3 may invoke it
    assert configuration["Function"] == {"Fn::GetAtt": [notification.function, "Arn"]}
    assert configuration["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": notification.prefix}]
    permission = template["Resources"][bucket["DependsOn"][0]]
    assert permission["Properties"]["Principal"] == "s3.amazonaws.com"
    assert physical_name(stage, uploads.logical_id) in permission["Properties"]["SourceArn"]["Fn::Sub"]


def test_schedules_invoke_their_function_on_their_rate(template: dict[str, Any]) -> None:
    assert STACK.schedules
    for schedule in STACK.every_schedule():
        rule = template["Resources"][schedule.logical_id]["Properties"]
        assert rule["ScheduleExpression"] == f"rate({schedule.minutes} minutes)"
        target = {"Id": schedule.function, "Arn": {"Fn::GetAtt": [schedule.function, "Arn"]}}
        if schedule.input is not None:  # a model's schedule names the model
            target["Input"] = json.dumps(schedule.input)
        assert rule["Targets"] == [target]
        permission = template["Resources"][f"{schedule.logical_id}Permission"]["Properties"]
        assert permission["Principal"] == "events.amazonaws.com"


def test_state_machine_substitutions_cover_every_placeholder(template: dict[str, Any]) -> None:
    for machine in STACK.state_machines:
        # Given the placeholders of the ASL file
        placeholders = set(re.findall(r"\$\{(\w+)\}", machine.definition.read_text()))
        # When the state machine of the template is read
        properties = template["Resources"][machine.logical_id]["Properties"]
        # Then each placeholder is a declared function's ARN, and the role invokes exactly those
        substitutions = properties["DefinitionSubstitutions"]
        assert set(substitutions) == placeholders
        assert all(value["Fn::GetAtt"][1] == "Arn" for value in substitutions.values())
        role = template["Resources"][properties["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
        [invoke] = [
            s
            for p in role["Policies"]
            for s in p["PolicyDocument"]["Statement"]
            if "lambda:InvokeFunction" in s["Action"]
        ]
        functions = {json.dumps(v) for k, v in substitutions.items() if k in machine.substitutions}
        assert sorted(map(json.dumps, invoke["Resource"])) == sorted(functions)
        # And a role it passes (SageMaker's, to its jobs) may be passed to that service only
        for name, logical_id in machine.resource_substitutions.items():
            assert substitutions[name] == {"Fn::GetAtt": [logical_id, "Arn"]}
            [passing] = [
                s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"] if "iam:PassRole" in s["Action"]
            ]
            assert passing["Resource"] == [substitutions[name]]
            assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        # And it logs and traces
        assert properties["TracingConfiguration"] == {"Enabled": True}
        assert properties["LoggingConfiguration"]["Destinations"]


def test_the_bot_alias_runs_its_code_hook_function_which_only_lex_and_that_alias_may_invoke(
    template: dict[str, Any], stage: str
) -> None:
    # Given the declared bot, whose intents enable code hooks
    [bot] = STACK.bots
    assert bot.code_hook is not None
    intents = template["Resources"][bot.logical_id]["Properties"]["BotLocales"][0]["Intents"]
    assert all(intent["FulfillmentCodeHook"] == {"Enabled": True} for intent in intents)
    # When its alias is read
    alias = template["Resources"][f"{bot.logical_id}Alias"]["Properties"]
    # Then every locale runs the code hook function, named by its fixed name (no cycle: the
    # function is told the alias's id)
    [setting] = alias["BotAliasLocaleSettings"]
    hook = setting["BotAliasLocaleSetting"]["CodeHookSpecification"]["LambdaCodeHook"]
    assert setting["BotAliasLocaleSetting"]["Enabled"] is True and hook["CodeHookInterfaceVersion"] == "1.0"
    assert hook["LambdaArn"]["Fn::Sub"].endswith(f":function:{physical_name(stage, bot.code_hook)}")
    function = template["Resources"][bot.code_hook]["Properties"]
    assert function["FunctionName"] == physical_name(stage, bot.code_hook)
    assert function["Environment"]["Variables"][env_name(f"{bot.setting}_alias_id")] == {
        "Fn::GetAtt": [f"{bot.logical_id}Alias", "BotAliasId"]
    }
    # And only Lex, for that alias, may invoke the function
    permission = template["Resources"][f"{bot.logical_id}CodeHookPermission"]["Properties"]
    assert permission["Principal"] == "lexv2.amazonaws.com"
    assert permission["FunctionName"] == {"Ref": bot.code_hook}
    assert permission["SourceArn"] == {"Fn::GetAtt": [f"{bot.logical_id}Alias", "Arn"]}


def test_the_api_may_talk_to_the_bots_alias_and_nothing_else_of_lex(template: dict[str, Any]) -> None:
    statements = [
        s
        for role in of_type(template, "AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
        for s in policy["PolicyDocument"]["Statement"]
        if any(action.startswith("lex:") for action in s["Action"])
    ]
    assert statements == [
        {"Effect": "Allow", "Action": ["lex:RecognizeText"], "Resource": [{"Fn::GetAtt": ["ChatbotAlias", "Arn"]}]}
    ]
    role = template["Resources"]["APIHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert statements[0] in role


#: Routes authenticated by the sender's own signature of the body, not by the API's auth.
SIGNED_ROUTES = {("/webhooks/{source}", "post")}


def api_security(template: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The security definitions, and the security of every route but the signed ones."""
    swagger = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    methods = [
        (path, verb, m)
        for path, operations in swagger["paths"].items()
        for verb, m in operations.items()
        if isinstance(m, dict)
    ]
    assert {(path, verb) for path, verb, _ in methods} >= SIGNED_ROUTES
    for path, verb, m in methods:
        if (path, verb) in SIGNED_ROUTES:
            assert "security" not in m  # the webhook checks its signature before anything else
    return swagger["securityDefinitions"], [m.get("security") for p, v, m in methods if (p, v) not in SIGNED_ROUTES]


def test_every_route_requires_iam_by_default(template: dict[str, Any]) -> None:
    # Given a stage with the default authentication
    # When the API's swagger is read
    definitions, security = api_security(template)
    # Then every route requires a SigV4 signature, but the webhooks', which are signed by their senders
    assert definitions["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert security and all(s == [{"sigv4": []}] for s in security)


def policy_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = template["Resources"][role]["Properties"].get("Policies", [])
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def test_queues_have_dead_letters_and_consumers_that_report_partial_failures(template: dict[str, Any]) -> None:
    assert STACK.queues
    for queue in STACK.queues:
        # Given a declared queue
        properties = template["Resources"][queue.logical_id]["Properties"]
        # Then a dead-letter queue is behind it, after the declared number of receives
        assert properties["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [queue.dead_letter_id, "Arn"]},
            "maxReceiveCount": queue.max_receive_count,
        }
        assert properties["SqsManagedSseEnabled"] is True
        assert properties.get("FifoQueue", False) == queue.fifo
        # And its consumer's event source reports batch item failures
        consumer = template["Resources"][queue.consumer]["Properties"]
        source = consumer["Events"][queue.logical_id]
        assert source["Type"] == "SQS" and source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        # And the queue keeps a message hidden longer than its consumer may run
        assert properties["VisibilityTimeout"] >= consumer["Timeout"]
        # And only the consumer's role may receive from it
        receivers = [
            role
            for role in of_type(template, "AWS::IAM::Role")
            for s in policy_statements(template, role)
            if "sqs:ReceiveMessage" in s["Action"] and {"Fn::GetAtt": [queue.logical_id, "Arn"]} in s["Resource"]
        ]
        assert receivers == [f"{queue.consumer}Role"]


def test_rules_that_feed_queues_may_send_to_that_queue_only(template: dict[str, Any]) -> None:
    fed = [rule for rule in STACK.rules if any(q.logical_id == rule.target for q in STACK.queues)]
    assert fed
    for rule in fed:
        properties = template["Resources"][rule.logical_id]["Properties"]
        if rule.bus:
            assert properties["EventBusName"] == {"Ref": rule.bus}
        [statement] = template["Resources"][f"{rule.logical_id}QueuePolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule.logical_id, "Arn"]}}}


def test_the_webhook_consumer_may_start_every_workflow_a_routing_rule_can_name(template: dict[str, Any]) -> None:
    # Given the workflows a webhook routing rule may name (document, image, media)
    workflows = get_args(WebhookRoute.model_fields["workflow"].annotation)
    assert set(workflows) == {"document", "image", "media"}
    consumer = next(q.consumer for q in STACK.queues if q.setting == "webhook_queue_url")
    statements = policy_statements(template, f"{consumer}Role")
    variables = template["Resources"][consumer]["Properties"]["Environment"]["Variables"]
    for workflow in workflows:
        machine = template["Resources"][f"{workflow.capitalize()}Workflow"]
        arn = (
            "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
            + machine["Properties"]["StateMachineName"]
        )
        # Then the consumer is told where that state machine is
        assert variables[env_name(f"{workflow}_workflow_arn")] == {"Fn::Sub": arn}
        # And its role may start executions of it
        assert any("states:StartExecution" in s["Action"] and {"Fn::Sub": arn} in s["Resource"] for s in statements), (
            f"{consumer} may not start the {workflow} workflow"
        )
    # And may read what a rule names in the upload bucket (HeadObject of uploads/*; a missing
    # key is a 404, refused as "does not exist", only with ListBucket)
    bucket = "arn:${AWS::Partition}:s3:::" + template["Resources"]["Uploads"]["Properties"]["BucketName"]["Fn::Sub"]
    for action, resource in (("s3:GetObject", f"{bucket}/uploads/*"), ("s3:ListBucket", bucket)):
        assert any(action in s["Action"] and {"Fn::Sub": resource} in s["Resource"] for s in statements), action


def test_secrets_hold_no_value_in_the_template_and_are_read_by_their_users_only(template: dict[str, Any]) -> None:
    for secret in STACK.secrets:
        properties = template["Resources"][secret.logical_id]["Properties"]
        # Then the template holds no secret: generated by AWS, or an empty object to fill in
        assert properties.get("SecretString") in (None, "{}")
        assert ("GenerateSecretString" in properties) == secret.generated
        readers = {
            role
            for role in of_type(template, "AWS::IAM::Role")
            for s in policy_statements(template, role)
            if "secretsmanager:GetSecretValue" in s["Action"] and {"Ref": secret.logical_id} in s["Resource"]
        }
        granted = {
            f"{f.logical_id}Role"
            for f in STACK.functions
            for g in f.grants
            if getattr(g, "resource", None) == secret.logical_id
        }
        assert readers == granted and len(readers) == 1


def test_the_cognito_option_switches_the_authorizer(tmp_path: Path) -> None:
    # Given the dev stage set to authenticate with a Cognito user pool
    overrides = {"auth": "cognito", "user_pool_arn": USER_POOL}
    # When it is packaged
    template = build(tmp_path, "dev", overrides)
    # Then every route requires the user pool's tokens, and nothing else (the webhooks are signed)
    definitions, security = api_security(template)
    assert list(definitions) == ["cognito"]
    assert definitions["cognito"]["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": [USER_POOL],
    }
    assert security and all(s == [{"cognito": []}] for s in security)
    # And the template still passes cfn-lint
    assert cfn_lint(template) == []


def test_cognito_without_a_user_pool_is_refused() -> None:
    # Given stage options asking for Cognito without a user pool
    # When they are made, Then they are refused
    with pytest.raises(ValueError, match="user_pool_arn"):
        StageOptions(stage="dev", auth="cognito")


def test_bundles_hold_only_their_code(built: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    # Given the dev stage's bundles: one per function outside Chalice, and Chalice's zip
    out, template = built["dev"]
    chalice_zip = {name.split("/")[0] for name in zipfile.ZipFile(out / "deployment.zip").namelist()}
    # Then Chalice's zip holds the app, chalicelib and Chalice's runtime only
    assert chalice_zip == {"app.py", "chalicelib", "chalice"}
    for function in STACK.functions:
        if function.chalice:
            continue
        bundle = out / template["Resources"][function.logical_id]["Properties"]["CodeUri"]
        module = function.handler.split(".")[1]
        # And each bundle holds chalicelib and its own package of functions/, nothing else
        assert {p.name for p in bundle.iterdir()} == {"chalicelib", "functions"}
        assert {p.name for p in (bundle / "functions").iterdir()} == {"__init__.py", module}


def test_bundles_import_without_the_project(built: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    # Given each bundle, alone on the path with the installed requirements (the layer is
    # empty without network), and the tools and local runtime made unimportable
    out, template = built["dev"]
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        f"    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {FOREIGN!r}: raise ImportError('not in a bundle: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    for function in STACK.functions:
        if function.chalice:
            continue
        bundle = out / template["Resources"][function.logical_id]["Properties"]["CodeUri"]
        module, attribute = function.handler.rsplit(".", 1)
        # When its handler is imported in a fresh interpreter that does not see the project
        code = f"{blocker}sys.path.insert(0, '.')\nimport {module} as m\nassert callable(m.{attribute})"
        result = subprocess.run(
            [sys.executable, "-I", "-B", "-c", code], cwd=bundle, capture_output=True, text=True, check=False
        )
        # Then it imports
        assert result.returncode == 0, f"{function.logical_id}: {result.stderr}"


def test_every_function_that_creates_or_receives_jobs_may_publish_their_state_changes() -> None:
    # Given the functions whose role may put job records (creating or receiving a job is a state
    # change, published as a "Job State Change" event: chalicelib/job_events.py)
    writers = [
        function
        for function in STACK.functions
        for grant in function.grants
        if getattr(grant, "resource", None) == "Jobs" and "dynamodb:PutItem" in grant.actions
    ]
    assert writers
    for function in writers:
        # Then each may put events on the job events bus
        assert any(
            getattr(grant, "resource", None) == "JobEvents" and "events:PutEvents" in grant.actions
            for grant in function.grants
        ), f"{function.logical_id} changes jobs but may not publish their state changes"
