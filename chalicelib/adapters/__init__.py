"""The only layer that touches DynamoDB (PynamoDB) and Step Functions (boto3)."""
