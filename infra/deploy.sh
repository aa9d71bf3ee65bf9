#!/usr/bin/env bash
# Deploy one stage of the POS back office to the AWS account of the current credentials:
#   package (infra/package.sh) -> upload the code (aws cloudformation package) -> create/update the stack
#   (aws cloudformation deploy) -> upload web/ to the stack's SPA bucket -> invalidate CloudFront.
#
#   ALARM_TOPIC_ARN=arn:aws:sns:eu-central-1:123456789012:pos-alarms \
#   ARTIFACT_BUCKET=my-deploy-bucket \
#   bash infra/deploy.sh dev            # or prod
#
# Env: ALARM_TOPIC_ARN and ARTIFACT_BUCKET (required); STACK_NAME (pos-backoffice-<stage>);
#      LOG_RETENTION_DAYS (30 dev, 365 prod); LOG_LEVEL (INFO); CORS_ALLOW_ORIGIN (empty: same origin);
#      SPA_API_BASE (empty: the SPA calls /v1/ on its own origin); AWS_DEFAULT_REGION.
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:-dev}"
case "$stage" in dev|prod) ;; *) echo "deploy: stage must be dev or prod" >&2; exit 2 ;; esac
: "${ALARM_TOPIC_ARN:?set ALARM_TOPIC_ARN to the SNS topic the alarms notify}"
: "${ARTIFACT_BUCKET:?set ARTIFACT_BUCKET to an S3 bucket in the region for the code package}"
stack="${STACK_NAME:-pos-backoffice-$stage}"
retention="${LOG_RETENTION_DAYS:-$([ "$stage" = prod ] && echo 365 || echo 30)}"
out="out/$stage"

CHALICE_STAGE="$stage" bash infra/package.sh "$out"
aws cloudformation package --template-file "$out/sam.json" --s3-bucket "$ARTIFACT_BUCKET" \
  --s3-prefix "$stack" --output-template-file "$out/packaged.yml"
aws cloudformation deploy --template-file "$out/packaged.yml" --stack-name "$stack" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
  --parameter-overrides "AlarmTopicArn=$ALARM_TOPIC_ARN" "LogRetentionInDays=$retention" \
    "LogLevel=${LOG_LEVEL:-INFO}" "CorsAllowOrigin=${CORS_ALLOW_ORIGIN:-}"

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
bucket="$(output SpaBucketName)"
distribution="$(output DistributionId)"

rm -rf "$out/web" && cp -r web "$out/web"
if [ -n "${SPA_API_BASE:-}" ]; then
  sed -i "s|<meta name=\"pos-api-base\" content=\"[^\"]*\">|<meta name=\"pos-api-base\" content=\"$SPA_API_BASE\">|" \
    "$out/web/index.html"
fi
aws s3 sync "$out/web" "s3://$bucket/" --delete --exclude README.md --cache-control "no-cache"
aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*' >/dev/null
echo "deploy: $stack is up: $(output SpaURL)"
