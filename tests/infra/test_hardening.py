"""Issue 27: production hardening of the packaged stack - the edge, the PIN key, alarms that notice silence and
slowness, durable records, audit runs that cannot overlap, timeouts, security headers, stages, cost.

Each test reads the packaged SAM template (tests/infra/conftest.py) or the files it is built from; the deploy
test (test_deploy.py) keeps creating the stack in moto's CloudFormation.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.infra.test_template import as_list, build_template, iam_statements

ROOT = Path(__file__).resolve().parents[2]
# The routes that check a password or a code; /v1/invitations/accept comes with a later issue.
AUTH_ROUTES = {("POST", "/v1/auth/login"), ("POST", "/v1/signup"), ("POST", "/v1/pos/login"),
               ("POST", "/v1/pos/pair"), ("POST", "/v1/invitations/accept")}
MANAGED_GROUPS = {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                  "AWSManagedRulesAmazonIpReputationList"}


def _operations() -> set[tuple[str, str]]:
    import app  # noqa: F401 - registers the blueprints' routes
    from chalicelib.api.http import OPERATIONS

    return {(op.method, op.path) for op in OPERATIONS}


def _edge_template() -> dict:
    return build_template.load_yaml_template(ROOT / "infra" / "edge-waf.yml")


# ------------------------------------------------------------------ 1. the edge
def _rules(acl: dict) -> dict[str, dict]:
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def _check_web_acl(acl: dict, scope: str, parameters: dict) -> None:
    props = acl["Properties"]
    assert props["Scope"] == scope
    assert props["DefaultAction"] == {"Allow": {}}
    rules = _rules(acl)
    managed = {name for name, rule in rules.items() if "ManagedRuleGroupStatement" in rule["Statement"]}
    assert managed == MANAGED_GROUPS
    for name in managed:
        statement = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", name)
        assert rules[name]["OverrideAction"] == {"None": {}}, f"{name} blocks (it is not left in count mode)"
    # A POS sync of 250 receipts is far over the common rule set's 8 KB body limit: that one rule only counts.
    overrides = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert {o["Name"]: o["ActionToUse"] for o in overrides} == {"SizeRestrictions_BODY": {"Count": {}},
                                                                "NoUserAgent_HEADER": {"Count": {}}}
    every = rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert every == {"Limit": {"Ref": "WafRateLimitPerIp"}, "AggregateKeyType": "IP"}
    auth = rules["RateLimitAuthPerIp"]["Statement"]["RateBasedStatement"]
    assert (auth["Limit"], auth["AggregateKeyType"]) == ({"Ref": "WafAuthRateLimitPerIp"}, "IP")
    matched = {(s["ByteMatchStatement"]["PositionalConstraint"], s["ByteMatchStatement"]["SearchString"])
               for s in auth["ScopeDownStatement"]["OrStatement"]["Statements"]}
    assert matched == {("ENDS_WITH", path) for _, path in AUTH_ROUTES}
    for name in ("RateLimitPerIp", "RateLimitAuthPerIp"):
        assert rules[name]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429, name
    body = props["CustomResponseBodies"]["too-many-requests"]
    assert json.loads(body["Content"])["errors"][0]["code"] == "TOO_MANY_REQUESTS"  # the API's error shape
    assert rules["RateLimitAuthPerIp"]["Priority"] < rules["RateLimitPerIp"]["Priority"] < min(
        rules[name]["Priority"] for name in managed)
    for name in ("WafRateLimitPerIp", "WafAuthRateLimitPerIp"):
        assert parameters[name]["Type"] == "Number" and parameters[name]["Description"], name


def test_the_api_stage_and_cloudfront_have_web_acls_with_managed_rules_and_per_ip_limits(packaged):
    template, _ = packaged
    resources = template["Resources"]
    _check_web_acl(resources["ApiWebAcl"], "REGIONAL", template["Parameters"])
    association = resources["ApiWebAclAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    assert association["ResourceArn"]["Fn::Sub"].endswith("/restapis/${RestAPI}/stages/${RestAPI.Stage}")
    # CloudFront-scope ACLs exist in us-east-1 only: infra/edge-waf.yml (deployed there) has it, with the same
    # rules; the main stack (any region) takes its ARN as a parameter.
    edge = _edge_template()
    _check_web_acl(edge["Resources"]["EdgeWebAcl"], "CLOUDFRONT", edge["Parameters"])
    strip = lambda acl: json.dumps([{k: v for k, v in r.items()} for r in acl["Properties"]["Rules"]], sort_keys=True)  # noqa: E731
    assert strip(edge["Resources"]["EdgeWebAcl"]) == strip(resources["ApiWebAcl"]), "the two ACLs' rules differ"
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {"Fn::If": ["HasEdgeWebAcl", {"Ref": "EdgeWebAclArn"}, {"Ref": "AWS::NoValue"}]}
    assert ":wafv2:us-east-1:" in template["Parameters"]["EdgeWebAclArn"]["AllowedPattern"]
    # infra/deploy.sh deploys it into us-east-1 and passes its ARN: test_prod_is_deployed_in_change_sets_...


def test_routes_that_check_a_password_or_a_code_have_tighter_throttles(packaged):
    template, _ = packaged
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    (everything,) = [s for s in settings if s["ResourcePath"] == "/*"]
    assert (everything["ThrottlingRateLimit"], everything["ThrottlingBurstLimit"]) == (
        {"Ref": "ApiThrottleRateLimit"}, {"Ref": "ApiThrottleBurstLimit"})
    throttled = {(s["HttpMethod"], s["ResourcePath"].replace("~1", "/")[1:]): s for s in settings if s["ResourcePath"] != "/*"}
    operations = _operations()
    # Every such route that exists is throttled, and no setting names a route that does not exist (API Gateway
    # refuses a stage whose method settings name a missing method). The day /v1/invitations/accept is added,
    # this fails until it is throttled too.
    assert set(throttled) == AUTH_ROUTES & operations
    assert AUTH_ROUTES - operations <= {("POST", "/v1/invitations/accept")}
    for route, setting in throttled.items():
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (
            {"Ref": "AuthThrottleRateLimit"}, {"Ref": "AuthThrottleBurstLimit"}), route
    parameters = template["Parameters"]
    assert parameters["AuthThrottleRateLimit"]["Default"] < parameters["ApiThrottleRateLimit"]["Default"]
    for name in ("ApiThrottleRateLimit", "ApiThrottleBurstLimit", "AuthThrottleRateLimit", "AuthThrottleBurstLimit"):
        assert parameters[name]["Type"] == "Number" and parameters[name]["Description"], name
    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    for name in (*parameters,):
        assert f"`{name}`" in readme, f"infra/README.md documents the parameter {name}"


def test_the_api_stage_and_cloudfront_write_access_logs(packaged):
    template, _ = packaged
    resources = template["Resources"]
    api = resources["RestAPI"]
    access = api["Properties"]["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(access["Format"].replace("$context.status", "200"))  # the one unquoted (numeric) field
    assert {"requestId", "ip", "method", "resourcePath", "status", "latencyMs", "wafStatus"} <= set(fields)
    assert not any("header" in value.lower() or "querystring" in value.lower() for value in map(str, fields.values()))
    assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    # The account's API Gateway CloudWatch role: made here unless given, set before the stage exists.
    assert "ApiGatewayAccount" in api["DependsOn"]
    account = resources["ApiGatewayAccount"]["Properties"]
    assert account["CloudWatchRoleArn"] == {"Fn::If": ["CreatesApiGatewayCloudWatchRole",
                                                       {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]},
                                                       {"Ref": "ApiGatewayCloudWatchRoleArn"}]}
    role = resources["ApiGatewayCloudWatchRole"]
    assert role["Condition"] == "CreatesApiGatewayCloudWatchRole"
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"}
    logging = resources["Distribution"]["Properties"]["DistributionConfig"]["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["EdgeLogsBucket", "DomainName"]}
    bucket = resources["EdgeLogsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]  # CloudFront's ACL
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == {"Ref": "LogRetentionInDays"}


# ------------------------------------------------------------------ 2. the PIN key
def test_no_secret_is_in_any_function_environment_only_the_pin_keys_arn(packaged):
    """Whoever can read a function's configuration must not learn the PINs' HMAC key: no environment variable
    holds it or a dynamic reference CloudFormation would resolve into it; the API function gets the secret's ARN
    and its role may read that one secret (what it really reads: test_least_privilege.py)."""
    from tests.infra.test_template import effective_variables, functions_of

    template, _ = packaged
    for function in functions_of(template):
        variables = effective_variables(template, function)
        assert "PIN_HASH_SECRET" not in variables, function
        assert "{{resolve:" not in json.dumps(variables), function
    assert effective_variables(template, "APIHandler")["PIN_HASH_SECRET_ARN"] == {"Ref": "PinHashSecret"}
    readers = {(role, json.dumps(resource)) for role, statement in iam_statements(template)
               for action in as_list(statement["Action"]) if action.startswith("secretsmanager:")
               for resource in as_list(statement["Resource"])}
    assert readers == {("DefaultRole", json.dumps({"Ref": "PinHashSecret"}))}
    assert {a for role, st in iam_statements(template) for a in as_list(st["Action"])
            if a.startswith("secretsmanager:")} == {"secretsmanager:GetSecretValue"}


def test_the_builder_grants_secrets_of_the_template_only(tmp_path):
    functions = (ROOT / "infra" / "functions.yml").read_text(encoding="utf-8")
    assert "  secrets: [PinHashSecret]" in functions
    broken = tmp_path / "functions.yml"
    broken.write_text(functions.replace("  secrets: [PinHashSecret]", "  secrets: [SpaBucket]"))
    with pytest.raises(build_template.TemplateError, match="SpaBucket"):
        build_template.build(functions_path=broken)


# ------------------------------------------------------------------ 8. stages: change sets shown, then executed
FAKE_AWS = r'''#!{python}
"""A stand-in for the AWS CLI: logs each call and answers the few queries infra/deploy.sh makes."""
import json, os, sys
args = sys.argv[1:]
log = os.environ["FAKE_AWS_LOG"]
calls = [json.loads(line) for line in open(log)] if os.path.exists(log) else []
with open(log, "a") as handle:
    handle.write(json.dumps(args) + "\n")
def value(flag):
    return args[args.index(flag) + 1] if flag in args else ""
stack, query = value("--stack-name"), value("--query")
main_created = any(c[:2] == ["cloudformation", "execute-change-set"] and "main" in c[c.index("--change-set-name") + 1]
                   for c in calls)
if args[:2] == ["cloudformation", "describe-stacks"]:
    if "StackStatus" in query:
        print("REVIEW_IN_PROGRESS")
    elif "DistributionId" in query:
        if not main_created:
            sys.exit(255)  # the stage's stack does not exist yet
        print("EDIST123")
    elif "EdgeWebAclArn" in query:
        print("arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/abc")
    elif "SpaBucketName" in query:
        print("spa-bucket")
    else:
        print("https://d123.cloudfront.net/")
elif args[:2] == ["cloudformation", "list-change-sets"]:
    print(f"arn:aws:cloudformation:eu-central-1:123456789012:changeSet/{'edge' if stack.endswith('-edge') else 'main'}-{len(calls)}/x")
elif args[:2] == ["cloudformation", "describe-change-set"]:
    print("| Add | RestAPI | AWS::ApiGateway::RestApi |")
'''


def _run_deploy(tmp_path, stage: str, answers: str = "", confirm: str | None = None):
    import os
    import shutil
    import subprocess
    import sys

    project = tmp_path / "project"
    (project / "infra").mkdir(parents=True)
    for name in ("deploy.sh", "edge-waf.yml"):
        shutil.copy2(ROOT / "infra" / name, project / "infra" / name)
    shutil.copytree(ROOT / "web", project / "web")
    (project / "out" / stage).mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS.replace("{python}", sys.executable))
    (bin_dir / "aws").chmod(0o755)
    log = tmp_path / "aws.log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_AWS_LOG": str(log), "SKIP_PACKAGE": "1",
           "AWS_DEFAULT_REGION": "eu-central-1", "ALARM_TOPIC_ARN": "arn:aws:sns:eu-central-1:123456789012:alarms",
           "ARTIFACT_BUCKET": "artifacts", "HOME": str(tmp_path)}
    if confirm:
        env["CONFIRM"] = confirm
    result = subprocess.run(["bash", str(project / "infra" / "deploy.sh"), stage], input=answers, env=env,
                            capture_output=True, text=True, timeout=60)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def _indexes(calls, *prefix):
    return [i for i, call in enumerate(calls) if call[:len(prefix)] == list(prefix)]


def test_a_deploy_shows_each_change_set_and_executes_it_only_when_confirmed(tmp_path):
    result, calls = _run_deploy(tmp_path, "prod", answers="n\n")
    assert result.returncode != 0
    assert "the change set to execute" in result.stdout and "| Add | RestAPI |" in result.stdout
    assert not _indexes(calls, "cloudformation", "execute-change-set")
    assert _indexes(calls, "cloudformation", "delete-change-set")
    (deploy,) = [c for c in calls if c[:2] == ["cloudformation", "deploy"]]
    assert "--no-execute-changeset" in deploy


def test_prod_is_deployed_in_change_sets_with_termination_protection_and_tags(tmp_path):
    result, calls = _run_deploy(tmp_path, "prod", answers="y\ny\ny\n")
    assert result.returncode == 0, result.stdout + result.stderr
    deploys = [c for c in calls if c[:2] == ["cloudformation", "deploy"]]
    stacks = [c[c.index("--stack-name") + 1] for c in deploys]
    # The edge stack (us-east-1) before the stage's stack, and again once the distribution exists (its alarm).
    assert stacks == ["pos-backoffice-prod-edge", "pos-backoffice-prod", "pos-backoffice-prod-edge"]
    for call in deploys:
        assert "--no-execute-changeset" in call
        tags = call[call.index("--tags") + 1:]
        assert {"app=pos-backoffice", "stage=prod"} <= set(tags)
    assert deploys[0][deploys[0].index("--region") + 1] == "us-east-1"
    assert deploys[0][deploys[0].index("--template-file") + 1] == "infra/edge-waf.yml"
    assert "DistributionId=EDIST123" in deploys[2]
    assert "EdgeWebAclArn=arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/abc" in deploys[1]
    shown = _indexes(calls, "cloudformation", "describe-change-set")
    executed = _indexes(calls, "cloudformation", "execute-change-set")
    assert len(shown) == len(executed) == 3
    assert all(s < e for s, e in zip(shown, executed)), "each change set is shown before it is executed"
    protected = [c[c.index("--stack-name") + 1] for c in calls if c[:2] == ["cloudformation", "update-termination-protection"]]
    assert set(protected) == {"pos-backoffice-prod", "pos-backoffice-prod-edge"}
    assert all("--enable-termination-protection" in c for c in calls if "update-termination-protection" in c)


def test_dev_executes_with_confirm_yes_and_has_no_termination_protection(tmp_path):
    result, calls = _run_deploy(tmp_path, "dev", confirm="yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(_indexes(calls, "cloudformation", "execute-change-set")) == 3
    assert not _indexes(calls, "cloudformation", "update-termination-protection")
    deploy = [c for c in calls if c[:2] == ["cloudformation", "deploy"]][1]
    assert "stage=dev" in deploy and "LogRetentionInDays=30" in deploy
