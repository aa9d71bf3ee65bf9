"""Issue 27: production hardening of the packaged stack - the edge, the PIN key, alarms that notice silence and
slowness, durable records, audit runs that cannot overlap, timeouts, security headers, stages, cost.

Each test reads the packaged SAM template (tests/infra/conftest.py) or the files it is built from; the deploy
test (test_deploy.py) keeps creating the stack in moto's CloudFormation.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.infra import infra_script
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
        assert parameters[name]["Type"] == "Number", name
        assert parameters[name]["Description"], name


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
        assert parameters[name]["Type"] == "Number", name
        assert parameters[name]["Description"], name
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


def test_only_the_api_sends_mail_and_only_from_the_invitation_sender(packaged):
    """Invitations go out through SES (DESIGN.md 3.2): the API function may send e-mail from the address of the
    InvitationSender parameter only (empty by default: from no address at all), and no other function may send."""
    from tests.infra.test_template import effective_variables

    template, _ = packaged
    senders = [(role, statement) for role, statement in iam_statements(template)
               if any(action.startswith("ses:") for action in as_list(statement["Action"]))]
    assert [(role, statement["Action"], statement["Condition"]) for role, statement in senders] == [
        ("DefaultRole", ["ses:SendEmail"], {"StringEquals": {"ses:FromAddress": {"Ref": "InvitationSender"}}})]
    assert template["Parameters"]["InvitationSender"]["Default"] == ""
    assert effective_variables(template, "APIHandler")["INVITATION_SENDER"] == {"Ref": "InvitationSender"}


def test_the_builder_grants_secrets_of_the_template_only(tmp_path):
    functions = (ROOT / "infra" / "functions.yml").read_text(encoding="utf-8")
    assert "  secrets: [PinHashSecret]" in functions
    broken = tmp_path / "functions.yml"
    broken.write_text(functions.replace("  secrets: [PinHashSecret]", "  secrets: [SpaBucket]"))
    with pytest.raises(build_template.TemplateError, match="SpaBucket"):
        build_template.build(functions_path=broken)


# ------------------------------------------------------------------ 3. alarms that notice silence and slowness
def _alarms(template: dict) -> dict[str, dict]:
    return {n: r["Properties"] for n, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _declared() -> dict:
    return build_template.yaml.safe_load((ROOT / "infra" / "functions.yml").read_text(encoding="utf-8"))


def test_a_schedule_that_stops_running_pages_somebody(packaged):
    template, _ = packaged
    heartbeat = _alarms(template)["RunAuditHeartbeatAlarm"]
    assert (heartbeat["Namespace"], heartbeat["MetricName"]) == ("AWS/Lambda", "Invocations")
    assert heartbeat["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "RunAudit"}}]
    assert (heartbeat["Statistic"], heartbeat["Period"], heartbeat["EvaluationPeriods"]) == ("Sum", 1800, 1)
    assert (heartbeat["ComparisonOperator"], heartbeat["Threshold"]) == ("LessThanThreshold", 1)
    assert heartbeat["TreatMissingData"] == "breaching", "no data at all is the same silence"
    events = template["Resources"]["RunAudit"]["Properties"]["Events"]
    assert [e["Properties"]["Schedule"] for e in events.values()] == ["rate(15 minutes)"]  # two runs per window


def test_the_api_pages_on_rates_and_m_of_n_periods_not_on_one_error(packaged):
    template, _ = packaged
    alarms = _alarms(template)
    api_alarms = ["ApiServerErrorsAlarm", "ApiUnhandledErrorsAlarm", "ApiThrottledRequestsAlarm", "ApiLatencyAlarm",
                  "APIHandlerErrorsAlarm", "APIHandlerDurationAlarm", "APIHandlerThrottlesAlarm"]
    for name in api_alarms:
        props = alarms[name]
        assert props["EvaluationPeriods"] >= 3, name
        assert 2 <= props["DatapointsToAlarm"] <= props["EvaluationPeriods"], name
        assert props["TreatMissingData"] == "notBreaching", name
    for name, metric in (("ApiServerErrorsAlarm", "errors"), ("ApiThrottledRequestsAlarm", "throttled")):
        (expression,) = [m["Expression"] for m in alarms[name]["Metrics"] if "Expression" in m]
        assert f"100 * FILL({metric}, 0) / requests" in expression, name
        assert "FILL(requests, 0) >= 20" in expression, name
    throttled = template["Resources"]["ApiThrottledRequestsMetric"]["Properties"]
    assert (throttled["FilterPattern"], throttled["LogGroupName"]) == (
        "{ $.status = 429 }", {"Ref": "ApiAccessLogGroup"})
    latency = alarms["ApiLatencyAlarm"]
    assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == ("AWS/ApiGateway", "Latency", "p99")
    parameter = template["Parameters"]["ApiLatencyP99Milliseconds"]
    assert latency["Threshold"] == {"Ref": "ApiLatencyP99Milliseconds"}
    assert parameter["MaxValue"] <= 29000
    assert parameter["Default"] <= 29000 // 2


def test_every_function_has_duration_and_throttle_alarms_against_its_own_limits(packaged):
    template, _ = packaged
    alarms = _alarms(template)
    for logical, spec in _declared().items():
        timeout = template["Resources"][logical]["Properties"]["Timeout"]
        assert timeout == spec["timeout"], logical
        duration = alarms[f"{logical}DurationAlarm"]
        assert (duration["MetricName"], duration["Threshold"]) == ("Duration", int(timeout * 1000 * 0.8)), logical
        assert duration["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical}}]
        throttles = alarms[f"{logical}ThrottlesAlarm"]
        assert (throttles["MetricName"], throttles["Threshold"]) == ("Throttles", 1), logical
    assert alarms["APIHandlerDurationAlarm"]["ExtendedStatistic"] == "p99"
    assert alarms["RunAuditDurationAlarm"]["Statistic"] == "Maximum"


def test_cloudfront_5xx_rate_is_alarmed_in_us_east_1_where_its_metrics_are():
    edge = _edge_template()
    alarm = edge["Resources"]["Edge5xxRateAlarm"]
    assert alarm["Condition"] == "HasDistribution"
    props = alarm["Properties"]
    metrics = {m["Id"]: m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m}
    assert (metrics["rate"]["Namespace"], metrics["rate"]["MetricName"]) == ("AWS/CloudFront", "5xxErrorRate")
    assert {"Name": "Region", "Value": "Global"} in metrics["rate"]["Dimensions"]
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (5, 3)
    assert props["Threshold"] == {"Ref": "Edge5xxRatePercent"}
    assert "us-east-1" in edge["Parameters"]["AlarmTopicArn"]["AllowedPattern"]


def test_deletions_running_longer_than_their_plan_and_failed_audit_runs_page(packaged):
    template, _ = packaged
    alarms = _alarms(template)
    overdue = alarms["DeletionOverdueAlarm"]
    (longest,) = [m for m in overdue["Metrics"] if "MetricStat" in m]
    assert (longest["MetricStat"]["Metric"]["MetricName"], longest["MetricStat"]["Stat"]) == ("ExecutionTime", "Maximum")
    assert overdue["Threshold"] == {"Ref": "DeletionPlanSeconds"}
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"]
    for stage in stages.values():
        variables = stage["environment_variables"]
        plan = int(variables["POS_SYNC_WAIT_ATTEMPTS"]) * int(variables["POS_SYNC_WAIT_SECONDS"])
        assert plan < template["Parameters"]["DeletionPlanSeconds"]["Default"]
    queue_alarm = alarms["AuditRunFailuresAlarm"]
    assert queue_alarm["Dimensions"] == [{"Name": "QueueName",
                                          "Value": {"Fn::GetAtt": ["AuditRunFailuresQueue", "QueueName"]}}]
    assert (queue_alarm["MetricName"], queue_alarm["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 1)


def test_infra_readme_says_what_each_alarm_means(packaged):
    template, _ = packaged
    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Alarms", 1)[1].split("\n## ", 1)[0]
    functions = set(_declared())
    tables = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    for name in _alarms(template):
        shown = f"`{name}`"
        for kind in ("ErrorsAlarm", "DurationAlarm", "ThrottlesAlarm"):
            owner = name[:-len(kind)] if name.endswith(kind) else None
            if owner in functions:
                shown = f"`<Function>{kind}`"
            elif owner in tables:
                shown = f"`<Table>{kind}`"
        assert shown in section, f"infra/README.md's Alarms section does not explain {name}"
    assert "`Edge5xxRateAlarm`" in section


# ------------------------------------------------------------------ 4. durable records
def test_tables_cannot_be_deleted_by_hand_and_records_are_backed_up(packaged):
    template, _ = packaged
    resources = template["Resources"]
    tables = {n: r for n, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    for name, table in tables.items():
        assert table["Properties"]["DeletionProtectionEnabled"] is True, name
        # Point-in-time recovery stays on everywhere, tokens and guards included: they are small, and losing
        # them is not free (device tokens: every POS re-activated; guards: unique e-mails and PINs, findings).
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
    selection = resources["BackupSelection"]["Properties"]["BackupSelection"]
    assert selection["Resources"] == [{"Fn::GetAtt": [t, "Arn"]} for t in ("ReceiptsTable", "ShiftsTable", "EventsTable")]
    assert selection["IamRoleArn"] == {"Fn::GetAtt": ["BackupRole", "Arn"]}
    # Full copies each: weekly for 35 days (they outlive a deleted table), monthly for BackupRetentionDays.
    rules = {r["RuleName"]: r for r in resources["BackupPlan"]["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert set(rules) == {"weekly", "monthly"}
    assert all(rule["TargetBackupVault"] == {"Ref": "BackupVault"} for rule in rules.values())
    assert rules["weekly"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert rules["monthly"]["Lifecycle"] == {"DeleteAfterDays": {"Ref": "BackupRetentionDays"}}
    assert rules["monthly"]["ScheduleExpression"].startswith("cron(0 4 1 * ")
    assert resources["BackupVault"]["DeletionPolicy"] == "Retain"
    assert template["Parameters"]["BackupRetentionDays"]["Default"] > 35  # beyond point-in-time recovery's window


def test_log_groups_outlive_a_prod_stack_only():
    prod, dev = build_template.build(stage="prod"), build_template.build(stage="dev")
    for template, policy in ((prod, "Retain"), (dev, None)):
        groups = {n: r for n, r in template["Resources"].items() if r.get("Type") == "AWS::Logs::LogGroup"}
        assert len(groups) == 12 + 2  # every function's, the state machine's, the API's access log
        for name, group in groups.items():
            assert group.get("DeletionPolicy") == policy == group.get("UpdateReplacePolicy"), name
    with pytest.raises(build_template.TemplateError, match="stage"):
        build_template.build(stage="staging")
    assert '--stage "${CHALICE_STAGE:-dev}"' in (ROOT / "infra" / "package.sh").read_text(encoding="utf-8")


# ------------------------------------------------------------------ 5. audit runs that cannot overlap or fail silently
def test_the_scheduled_run_never_overlaps_is_not_retried_and_its_failures_are_kept(packaged):
    template, _ = packaged
    run = template["Resources"]["RunAudit"]["Properties"]
    assert run["ReservedConcurrentExecutions"] == 1
    invoke = run["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 0
    assert invoke["MaximumEventAgeInSeconds"] <= 900
    assert invoke["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS", "Destination": {"Fn::GetAtt": ["AuditRunFailuresQueue", "Arn"]}}
    senders = {(role, json.dumps(r)) for role, st in iam_statements(template) for a in as_list(st["Action"])
               if a.startswith("sqs:") for r in as_list(st["Resource"])}
    assert senders == {("RunAuditRole", json.dumps({"Fn::GetAtt": ["AuditRunFailuresQueue", "Arn"]})),
                       ("WebhookOutboxRole", json.dumps({"Fn::GetAtt": ["WebhookOutboxFailuresQueue", "Arn"]}))}
    shard, whole = (template["Resources"][f]["Properties"]["Timeout"] for f in ("AuditShard", "RunAudit"))
    assert 2 * shard < whole, "a shard that times out can be retried once inside the run"
    api = template["Resources"]["APIHandler"]["Properties"]
    assert api["ReservedConcurrentExecutions"] == {"Fn::If": ["HasApiReservedConcurrency",
                                                              {"Ref": "ApiReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}
    assert template["Parameters"]["ApiReservedConcurrency"]["Default"] > 0


# ------------------------------------------------------------------ 6. timeouts
def test_every_api_path_answers_inside_api_gateways_29_s_with_storage_retries_included(packaged):
    """The worst a request waits on one external call that fails for good is attempts x (connect + read timeout)
    plus botocore's standard-mode backoff (a random wait under min(2^i, 20) s before retry i); the first such
    call ends the request with a 503. That budget plus the function's own work must fit its timeout, and the
    timeout must leave API Gateway's 29 s a margin: the client gets our answer (or a logged timeout), never a
    bare 504."""
    from chalicelib import config
    from chalicelib.adapters import mailer, secrets, workflow

    def worst(attempts: int, connect: float, read: float) -> float:
        return attempts * (connect + read) + sum(min(2 ** i, 20) for i in range(attempts - 1))

    cfg = config.settings()
    budgets = {
        "dynamodb": worst(cfg.dynamodb_max_attempts, cfg.dynamodb_connect_timeout_seconds,
                          cfg.dynamodb_read_timeout_seconds),
        "stepfunctions": worst(workflow.MAX_ATTEMPTS, workflow.CONNECT_TIMEOUT_SECONDS, workflow.READ_TIMEOUT_SECONDS),
        "secretsmanager": worst(secrets.MAX_ATTEMPTS, secrets.CONNECT_TIMEOUT_SECONDS, secrets.READ_TIMEOUT_SECONDS),
        "ses": worst(mailer.MAX_ATTEMPTS, mailer.CONNECT_TIMEOUT_SECONDS, mailer.READ_TIMEOUT_SECONDS),
    }
    assert budgets == {"dynamodb": 15.0, "stepfunctions": 15.0, "secretsmanager": 7.0, "ses": 9.0}
    timeout = packaged[0]["Resources"]["APIHandler"]["Properties"]["Timeout"]
    assert max(budgets.values()) + 3 <= timeout, "3 s for the request's own work (argon2 included) after the budget"
    assert timeout + 5 <= 29, "a margin under API Gateway's 29 s"
    # A deletion RUNNING with no execution is taken as never started (and started again when asked) only once the
    # request that wrote it cannot still be about to start it.
    from chalicelib.services import deletion
    assert deletion.NEVER_STARTED_AFTER_SECONDS > timeout

# ------------------------------------------------------------------ 7. browser security headers
def _sub_text(value) -> str:
    """The text of a Fn::Sub (string or [text, variables]) with ${ApiOrigin} as with SpaApiOrigin empty."""
    text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
    return text.replace("${ApiOrigin}", "")


def test_cloudfront_sends_a_strict_csp_for_the_spa_and_security_headers_on_the_api(packaged):
    from chalicelib.api import security_headers

    template, _ = packaged
    resources = template["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "SpaResponseHeadersPolicy"}
    (api,) = config["CacheBehaviors"]
    assert api["ResponseHeadersPolicyId"] == {"Ref": "ApiResponseHeadersPolicy"}
    spa = resources["SpaResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert _sub_text(spa["ContentSecurityPolicy"]["ContentSecurityPolicy"]) == \
        security_headers.SPA_CONTENT_SECURITY_POLICY, "CloudFront and the local server send one CSP"
    assert spa["ContentSecurityPolicy"]["Override"] is True
    csp = dict(part.strip().split(" ", 1) for part in security_headers.SPA_CONTENT_SECURITY_POLICY.split(";"))
    assert (csp["default-src"], csp["frame-ancestors"], csp["object-src"]) == ("'none'", "'none'", "'none'")
    assert all("unsafe" not in value and "*" not in value and "data:" not in value for value in csp.values()), csp
    assert (spa["FrameOptions"]["FrameOption"], spa["ReferrerPolicy"]["ReferrerPolicy"]) == ("DENY", "no-referrer")
    assert spa["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    api_policy = resources["ApiResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert api_policy["ContentSecurityPolicy"]["ContentSecurityPolicy"] == security_headers.API_CONTENT_SECURITY_POLICY


def test_the_spa_needs_nothing_inline():
    """The CSP allows no inline script or style: the SPA has none (one module script, one stylesheet, elements
    built without innerHTML or style attributes)."""
    import re

    index = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", index) == ['<script type="module" src="app.js">']
    assert "<style" not in index
    assert not re.search(r"\sstyle=|\son[a-z]+=", index)
    for source in (ROOT / "web").rglob("*.js"):
        text = source.read_text(encoding="utf-8")
        for pattern in (r"\.innerHTML\s*=", r"insertAdjacentHTML", r"setAttribute\(\s*['\"](style|on\w+)['\"]",
                        r"\beval\(", r"new Function\(", r"document\.write"):
            assert not re.search(pattern, text), (source.name, pattern)

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
    assert "the change set to execute" in result.stdout
    assert "| Add | RestAPI |" in result.stdout
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
    assert "stage=dev" in deploy
    assert "LogRetentionInDays=30" in deploy


# ------------------------------------------------------------------ 9. cost: arm64
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
LAMBDA_PY311_GLIBC = (2, 26)  # Amazon Linux 2, the python3.11 runtime on both architectures


@pytest.fixture(scope="module")
def arm64_package(tmp_path_factory) -> tuple[dict, Path]:
    """`make package` as deployed: with requirements.txt (chalice fetches the Linux wheels of
    .chalice/config.json's lambda_architecture; cached in the project's .chalice/deployments, which
    `make package` needs PyPI for the first time as well)."""
    import os
    import shutil
    import subprocess
    import sys

    project = tmp_path_factory.mktemp("arm64")
    for name in ("app.py", "chalicelib", "infra", "requirements.txt"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, project / name)
    (project / ".chalice").mkdir()
    shutil.copy2(ROOT / ".chalice" / "config.json", project / ".chalice" / "config.json")
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (project / ".chalice" / "deployments").symlink_to(cache)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHON": sys.executable,
           "CHALICE": str(Path(sys.executable).parent / "chalice")}
    out = project / "out"
    result = subprocess.run(["bash", "infra/package.sh", str(out)], cwd=project, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "sam.json").read_text(encoding="utf-8")), out / "deployment.zip"


def test_the_functions_run_on_arm64_with_argon2_built_for_it(arm64_package):
    """Every function is arm64 (Graviton: 20 % less per GB-s), and the package holds the aarch64 builds of every
    compiled module (argon2's bindings, cffi, pydantic-core): ELF machine aarch64, wheels tagged for a glibc the
    Lambda python3.11 runtime has, at the versions the tests run."""
    import re
    import struct
    import zipfile
    from importlib.metadata import version

    template, package = arm64_package
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 12
    assert all(f["Properties"]["Architectures"] == ["arm64"] for f in functions)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        compiled = [n for n in names if re.search(r"\.so(\.|$)", n.rsplit("/", 1)[-1])]
        machines = {n: ELF_MACHINES.get(struct.unpack("<H", archive.read(n)[18:20])[0]) for n in compiled}
        assert set(machines.values()) == {"aarch64"}, machines
        modules = {n.split("/")[0] for n in compiled}
        assert {"_argon2_cffi_bindings", "pydantic_core"} <= modules
        assert any("_cffi_backend" in n for n in compiled)
        for distribution in ("argon2_cffi_bindings", "cffi", "pydantic_core"):
            (wheel,) = [n for n in names if re.fullmatch(rf"{distribution}-[^/]+\.dist-info/WHEEL", n)]
            assert wheel.split("-")[1].split(".dist")[0] == version(distribution.replace("_", "-")), wheel
            tags = re.findall(r"^Tag: (.+)$", archive.read(wheel).decode(), re.M)
            glibcs = [tuple(map(int, m.groups())) for tag in tags
                      for m in [re.search(r"manylinux_(\d+)_(\d+)_aarch64", tag.replace("manylinux2014", "manylinux_2_17"))] if m]
            assert glibcs, (wheel, tags)
            assert min(glibcs) <= LAMBDA_PY311_GLIBC, (wheel, tags)


# ------------------------------------------------------------------ lint: the findings kept on purpose
def test_every_kept_lint_finding_names_a_resource_of_the_stack_and_says_why(packaged):
    import re

    template, _ = packaged
    data = json.loads((ROOT / "infra" / "lint-baseline.json").read_text(encoding="utf-8"))
    for entry in data["findings"]:
        assert re.fullmatch(r"[EWI]S\d{4}", entry["rule"]), entry  # cfn-lint-serverless's rule ids
        assert len(entry["reason"].split()) >= 15, f"{entry['rule']}: say why it is kept"
        for resource in entry["resources"]:
            assert resource in template["Resources"], f"{entry['rule']}: no resource {resource} in the stack"
    kept = infra_script("lint_baseline").load_baseline()
    assert ("WS1004", "APIHandler") in kept
    assert len(kept) == sum(len(e["resources"]) for e in data["findings"])
    requirements = (ROOT / "requirements-lint.txt").read_text(encoding="utf-8")
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert pins == ["cfn-lint-serverless==0.3.6"], "checkov does not install next to the pinned boto3 (see the file)"
    assert "lint_baseline.py" in (ROOT / "infra" / "lint.sh").read_text(encoding="utf-8")


def test_every_kept_checkov_finding_names_a_resource_of_the_deployed_stack_and_says_why(packaged):
    """checkov runs on the template after the SAM transform and on the edge stack (infra/lint.sh); its kept findings
    are in the baseline's "checkov" section. checkov itself is not needed here (only `make lint` installs it)."""
    import re

    template, _ = packaged
    transformed = infra_script("sam_transform").sam_transform(template)
    assert "Transform" not in transformed
    resources = set(transformed["Resources"]) | set(_edge_template()["Resources"])
    data = json.loads((ROOT / "infra" / "lint-baseline.json").read_text(encoding="utf-8"))
    assert data["checkov"], "the checkov section"
    seen = set()
    for entry in data["checkov"]:
        assert re.fullmatch(r"CKV2?_AWS_\d+", entry["rule"]), entry  # checkov's AWS check ids
        assert len(entry["reason"].split()) >= 15, f"{entry['rule']}: say why it is kept"
        assert entry["resources"], entry["rule"]
        for resource in entry["resources"]:
            assert resource in resources, f"{entry['rule']}: no resource {resource} in the stack"
            assert (entry["rule"], resource) not in seen, f"{entry['rule']} on {resource} kept twice"
            seen.add((entry["rule"], resource))
    lint = infra_script("lint_baseline")
    kept = lint.load_baseline(section=lint.CHECKOV)
    assert kept == seen
    assert not kept & lint.load_baseline(), "the two sections are separate"
    # Resources only the SAM transform creates are checked too (the API's stage: no cache on purpose).
    assert ("CKV_AWS_120", "RestAPIapiStage") in kept and "RestAPIapiStage" not in template["Resources"]


def test_checkov_runs_in_make_lint_from_a_pinned_venv_of_its_own():
    import re

    requirements = (ROOT / "requirements-checkov.txt").read_text(encoding="utf-8")
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert "checkov==3.3.30" in pins
    for pin in pins:  # every package of the lint venv, exactly: the same install on every machine
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9.+\-]*", pin), pin
    names = [pin.split("==")[0].lower().replace("_", "-") for pin in pins]
    assert len(names) == len(set(names)), "one pin per package"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\$\(CHECKOV_STAMP\): requirements-checkov.txt$", makefile, re.MULTILINE)
    assert re.search(r"^lint: .*\$\(CHECKOV_STAMP\)", makefile, re.MULTILINE)
    assert re.search(r"^clean:\n\trm -rf .*\$\(CHECKOV_VENV\)", makefile, re.MULTILINE)
    assert ".venv-checkov/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    lint_sh = (ROOT / "infra" / "lint.sh").read_text(encoding="utf-8")
    assert "infra/sam_transform.py" in lint_sh and "lint_baseline.py --checkov" in lint_sh
    assert "--framework cloudformation" in lint_sh and "--skip-download" in lint_sh


def _checkov_report(failed: set[tuple[str, str]], *, parsing_errors: int = 0, resource_count: int = 152) -> dict:
    """checkov's JSON output (-o json --compact) for one framework, reduced to what lint_baseline.py reads."""
    return {"check_type": "cloudformation",
            "results": {"failed_checks": [{"check_id": check, "resource": f"AWS::Some::Type.{resource}"}
                                          for check, resource in sorted(failed)],
                        "parsing_errors": ["out/sam-transformed.json"] * parsing_errors},
            "summary": {"passed": 200, "failed": len(failed), "parsing_errors": parsing_errors,
                        "resource_count": resource_count, "checkov_version": "3.3.30"}}


def test_the_lint_fails_on_a_new_or_stale_checkov_finding_and_on_a_report_that_checked_nothing(tmp_path, capsys):
    lint = infra_script("lint_baseline")
    kept = lint.load_baseline(section=lint.CHECKOV)
    report = _checkov_report(kept)
    assert lint.checkov_findings_of(report) == kept
    assert lint.checkov_findings_of([report, _checkov_report(set())]) == kept  # one report per framework
    path = tmp_path / "checkov.json"
    path.write_text(json.dumps(report))
    assert lint.main(["lint_baseline.py", "--checkov", str(path)]) == 0
    assert f"checkov 3.3.30: 200 passed, {len(kept)} failed, all kept on purpose" in capsys.readouterr().out

    grown = _checkov_report(kept | {("CKV_AWS_45", "APIHandler")})
    path.write_text(json.dumps(grown))
    assert lint.main(["lint_baseline.py", "--checkov", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        ('lint: new finding CKV_AWS_45 on APIHandler: fix it or add it to infra/lint-baseline.json ("checkov") '
         "with the reason")]
    shrunk = _checkov_report(kept - {("CKV_AWS_120", "RestAPIapiStage")})
    path.write_text(json.dumps(shrunk))
    assert lint.main(["lint_baseline.py", "--checkov", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "lint: stale baseline entry CKV_AWS_120 on RestAPIapiStage: it no longer occurs, remove it"]
    # A template checkov could not parse passes every check: the lint fails instead.
    for broken in (_checkov_report(kept, parsing_errors=1), _checkov_report(kept, resource_count=0), []):
        path.write_text(json.dumps(broken))
        assert lint.main(["lint_baseline.py", "--checkov", str(path)]) == 1
    # The cfn-lint-serverless section is not read for checkov, nor the other way round.
    path.write_text(json.dumps(_checkov_report(kept | lint.load_baseline())))
    assert lint.main(["lint_baseline.py", "--checkov", str(path)]) == 1
    unexplained = tmp_path / "baseline.json"
    unexplained.write_text(json.dumps({"findings": [], "checkov": [{"rule": "CKV_AWS_27", "resources": ["X"],
                                                                    "reason": ""}]}))
    with pytest.raises(ValueError, match="reason"):
        lint.load_baseline(unexplained, lint.CHECKOV)


def test_the_lint_fails_on_a_new_finding_and_on_a_stale_baseline_entry(tmp_path):
    lint = infra_script("lint_baseline")
    kept = lint.load_baseline()

    def finding(rule, resource):
        return {"Rule": {"Id": rule}, "Location": {"Path": ["Resources", resource, "Properties"]}}

    report = [finding(rule, resource) for rule, resource in sorted(kept)]
    assert lint.compare(lint.findings_of(report), kept) == []
    grown = report + [finding("ES1007", "AuditShard")]
    assert lint.compare(lint.findings_of(grown), kept) == [
        "new finding ES1007 on AuditShard: fix it or add it to infra/lint-baseline.json with the reason"]
    shrunk = [f for f in report if (f["Rule"]["Id"], f["Location"]["Path"][1]) != ("ES6000", "AuditRunFailuresQueue")]
    assert lint.compare(lint.findings_of(shrunk), kept) == [
        "stale baseline entry ES6000 on AuditRunFailuresQueue: it no longer occurs, remove it"]
    path = tmp_path / "lint.json"
    path.write_text(json.dumps(grown))
    assert lint.main(["lint_baseline.py", str(path)]) == 1
    path.write_text(json.dumps(report))
    assert lint.main(["lint_baseline.py", str(path)]) == 0
    unexplained = tmp_path / "baseline.json"
    unexplained.write_text(json.dumps({"findings": [{"rule": "ES6000", "resources": ["X"], "reason": " "}]}))
    with pytest.raises(ValueError, match="reason"):
        lint.load_baseline(unexplained)
