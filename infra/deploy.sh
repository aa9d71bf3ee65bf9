#!/usr/bin/env bash
# Deploy one stage of the POS back office to the AWS account of the current credentials (one account per
# stage is the recommended layout: infra/README.md "Stages"):
#   package (infra/package.sh) -> the edge stack in us-east-1 (infra/edge-waf.yml: CloudFront's web ACL)
#   -> upload the code (aws cloudformation package) -> a change set of the stage's stack, SHOWN, then executed
#   only when confirmed -> termination protection on prod -> the edge stack's CloudFront alarm -> upload web/
#   to the stack's SPA bucket -> invalidate CloudFront.
#
#   ALARM_TOPIC_ARN=arn:aws:sns:eu-central-1:123456789012:pos-alarms \
#   ARTIFACT_BUCKET=my-deploy-bucket \
#   bash infra/deploy.sh dev            # or prod
#
# Env: ALARM_TOPIC_ARN and ARTIFACT_BUCKET (required); STACK_NAME (pos-backoffice-<stage>);
#      EDGE_ALARM_TOPIC_ARN (an SNS topic in us-east-1 for the CloudFront alarm; empty: no such alarm);
#      LOG_RETENTION_DAYS (30 dev, 365 prod); BACKUP_RETENTION_DAYS (35 dev, 365 prod); LOG_LEVEL (INFO);
#      CORS_ALLOW_ORIGIN (empty: same origin); SPA_API_BASE (empty: the SPA calls /v1/ on its own origin);
#      API_RESERVED_CONCURRENCY (the API function's reserved concurrency, 100; 0: none);
#      CONFIRM=yes executes the change sets without asking (CI); otherwise each is shown and asked for;
#      SKIP_PACKAGE=1 deploys out/<stage> as packaged (and linted) before; AWS_DEFAULT_REGION.
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:-dev}"
case "$stage" in dev|prod) ;; *) echo "deploy: stage must be dev or prod" >&2; exit 2 ;; esac
: "${ALARM_TOPIC_ARN:?set ALARM_TOPIC_ARN to the SNS topic the alarms notify}"
: "${ARTIFACT_BUCKET:?set ARTIFACT_BUCKET to an S3 bucket in the region for the code package}"
stack="${STACK_NAME:-pos-backoffice-$stage}"
edge_stack="$stack-edge"
retention="${LOG_RETENTION_DAYS:-$([ "$stage" = prod ] && echo 365 || echo 30)}"
backup_retention="${BACKUP_RETENTION_DAYS:-$([ "$stage" = prod ] && echo 365 || echo 35)}"
out="out/$stage"
tags=("app=pos-backoffice" "stage=$stage" "stack=$stack")

output() {  # output <stack> <region> <OutputKey>: empty when the stack or the output does not exist
  aws cloudformation describe-stacks --region "$2" --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$3'].OutputValue" --output text 2>/dev/null | grep -v '^None$' || true
}

# A change set, shown, then executed only when confirmed. Args: stack region template [deploy options...]
deploy_stack() {
  local name="$1" region="$2" template="$3"; shift 3
  aws cloudformation deploy --region "$region" --stack-name "$name" --template-file "$template" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-execute-changeset --no-fail-on-empty-changeset \
    --tags "${tags[@]}" "$@"
  local change_set
  change_set="$(aws cloudformation list-change-sets --region "$region" --stack-name "$name" \
    --query "sort_by(Summaries[?Status=='CREATE_COMPLETE'], &CreationTime)[-1].ChangeSetId" --output text)"
  if [ -z "$change_set" ] || [ "$change_set" = None ]; then
    echo "deploy: $name: no changes"
    return 0
  fi
  echo "deploy: $name ($region): the change set to execute"
  aws cloudformation describe-change-set --region "$region" --change-set-name "$change_set" \
    --query "Changes[].ResourceChange.{Action:Action,Resource:LogicalResourceId,Type:ResourceType,Replacement:Replacement}" \
    --output table
  if [ "${CONFIRM:-}" != yes ]; then
    local answer=""
    read -r -p "Execute this change set on $name? [y/N] " answer || true
    if [ "$answer" != y ] && [ "$answer" != yes ]; then
      aws cloudformation delete-change-set --region "$region" --change-set-name "$change_set"
      echo "deploy: $name: not executed (change set deleted)" >&2
      exit 1
    fi
  fi
  local status
  status="$(aws cloudformation describe-stacks --region "$region" --stack-name "$name" \
    --query "Stacks[0].StackStatus" --output text)"
  aws cloudformation execute-change-set --region "$region" --change-set-name "$change_set"
  if [ "$status" = REVIEW_IN_PROGRESS ]; then
    aws cloudformation wait stack-create-complete --region "$region" --stack-name "$name"
  else
    aws cloudformation wait stack-update-complete --region "$region" --stack-name "$name"
  fi
  if [ "$stage" = prod ]; then
    aws cloudformation update-termination-protection --region "$region" --stack-name "$name" \
      --enable-termination-protection >/dev/null
  fi
}

region="${AWS_DEFAULT_REGION:?set AWS_DEFAULT_REGION to the region of the stage}"
[ "${SKIP_PACKAGE:-}" = 1 ] || CHALICE_STAGE="$stage" bash infra/package.sh "$out"

# CloudFront's web ACL exists in us-east-1 only (scope CLOUDFRONT): its own small stack there. The alarm on
# CloudFront's 5xx rate needs the distribution's id: on a first install it comes in the second pass below.
distribution="$(output "$stack" "$region" DistributionId)"
edge_parameters=("DistributionId=$distribution" "AlarmTopicArn=${EDGE_ALARM_TOPIC_ARN:-}")
deploy_stack "$edge_stack" us-east-1 infra/edge-waf.yml --parameter-overrides "${edge_parameters[@]}"
edge_acl="$(output "$edge_stack" us-east-1 EdgeWebAclArn)"

# The SPA's CSP lets it connect to its own origin only, plus the API's when SPA_API_BASE names another one.
spa_api_origin=""
case "${SPA_API_BASE:-}" in https://*) spa_api_origin="$(printf '%s' "$SPA_API_BASE" | sed -E 's|^(https://[^/]+).*|\1|')" ;; esac

aws cloudformation package --template-file "$out/sam.json" --s3-bucket "$ARTIFACT_BUCKET" \
  --s3-prefix "$stack" --output-template-file "$out/packaged.yml"
deploy_stack "$stack" "$region" "$out/packaged.yml" --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "$stack" \
  --parameter-overrides "AlarmTopicArn=$ALARM_TOPIC_ARN" "LogRetentionInDays=$retention" \
    "BackupRetentionDays=$backup_retention" "LogLevel=${LOG_LEVEL:-INFO}" "CorsAllowOrigin=${CORS_ALLOW_ORIGIN:-}" \
    "EdgeWebAclArn=$edge_acl" "ApiReservedConcurrency=${API_RESERVED_CONCURRENCY:-100}" \
    "SpaApiOrigin=$spa_api_origin"

bucket="$(output "$stack" "$region" SpaBucketName)"
new_distribution="$(output "$stack" "$region" DistributionId)"
if [ "$new_distribution" != "$distribution" ]; then
  deploy_stack "$edge_stack" us-east-1 infra/edge-waf.yml --parameter-overrides \
    "DistributionId=$new_distribution" "AlarmTopicArn=${EDGE_ALARM_TOPIC_ARN:-}"
fi

rm -rf "$out/web" && cp -r web "$out/web"
if [ -n "${SPA_API_BASE:-}" ]; then
  sed -i "s|<meta name=\"pos-api-base\" content=\"[^\"]*\">|<meta name=\"pos-api-base\" content=\"$SPA_API_BASE\">|" \
    "$out/web/index.html"
fi
aws s3 sync "$out/web" "s3://$bucket/" --delete --exclude README.md --cache-control "no-cache"
aws cloudfront create-invalidation --distribution-id "$new_distribution" --paths '/*' >/dev/null
echo "deploy: $stack is up: $(output "$stack" "$region" SpaURL)"
