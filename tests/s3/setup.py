"""Prepares a moto S3 server started with INITIAL_NO_AUTH_ACTION_COUNT=3 for Préau's tests.

Its first three actions are not authenticated: they create an IAM user, give it S3 rights and
an access key. From then on moto checks every request's signature against that key, as S3
does. The bucket is created with the key; the key is printed as JSON for the test.
"""
import json
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="preau")
iam.put_user_policy(
    UserName="preau",
    PolicyName="s3",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
)
key = iam.create_access_key(UserName="preau")["AccessKey"]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
)
s3.create_bucket(Bucket=bucket)
print(json.dumps({"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}))
