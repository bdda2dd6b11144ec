#!/usr/bin/env python3
"""Creates a CloudFormation stack in moto from a template file and prints its resources.

    python tests/moto/stack.py --endpoint http://127.0.0.1:PORT --region us-east-1 NAME FILE

Prints one JSON object: {"stack": NAME, "resources": {logical id: physical id}}. Used by
tests/templates_live.rs: findings on what the stack created must land on the template's lines.
"""

import argparse
import json
import sys

import boto3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("name")
    parser.add_argument("template")
    args = parser.parse_args()
    cfn = boto3.client(
        "cloudformation",
        endpoint_url=args.endpoint,
        region_name=args.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with open(args.template, encoding="utf-8") as f:
        body = f.read()
    cfn.create_stack(StackName=args.name, TemplateBody=body)
    stack = cfn.describe_stacks(StackName=args.name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        sys.exit(f"stack {args.name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    resources = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in cfn.describe_stack_resources(StackName=args.name)["StackResources"]
    }
    print(json.dumps({"stack": args.name, "resources": resources}))


if __name__ == "__main__":
    main()
