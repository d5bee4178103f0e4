"""Deploys an approved model package to a SageMaker endpoint with a per-environment config, then reports the
deployment status to the governance portal (POST /api/v1/deployments/{id}/status) with the CI OIDC token."""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import boto3


def ci_token(audience: str) -> str:
    url = os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"]
    url += ("&" if "?" in url else "?") + "audience=" + urllib.parse.quote(audience)
    request = urllib.request.Request(url, headers={"Authorization": "bearer " + os.environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["value"]


def report(status: str, message: str) -> None:
    url = f"{os.environ['PORTAL_URL']}/api/v1/deployments/{os.environ['DEPLOYMENT_REQUEST_ID']}/status"
    request = urllib.request.Request(
        url,
        data=json.dumps({"status": status, "message": message}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {ci_token(os.environ['PORTAL_AUDIENCE'])}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def main(config_path: str) -> None:
    with open(config_path) as f:
        config = json.load(f)
    sm = boto3.client("sagemaker")
    suffix = time.strftime("%Y%m%d%H%M%S")
    endpoint = config["endpoint_name"]
    variants = []
    for variant in config["variants"]:
        model_name = f"{endpoint}-{variant['name']}-{suffix}"
        sm.create_model(
            ModelName=model_name,
            ExecutionRoleArn=config["execution_role_arn"],
            Containers=[{"ModelPackageName": os.environ["MODEL_PACKAGE_ARN"]}],
        )
        variants.append({
            "VariantName": variant["name"],
            "ModelName": model_name,
            "InstanceType": config["instance_type"],
            "InitialInstanceCount": config["initial_instance_count"],
            "InitialVariantWeight": variant["weight"],
        })
    config_name = f"{endpoint}-{suffix}"
    sm.create_endpoint_config(
        EndpointConfigName=config_name,
        ProductionVariants=variants,
        DataCaptureConfig={
            "EnableCapture": config["data_capture_percent"] > 0,
            "InitialSamplingPercentage": max(config["data_capture_percent"], 1),
            "DestinationS3Uri": config["data_capture_s3_uri"],
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    report("InProgress", f"deploying {endpoint} with {config_name}")
    existing = sm.list_endpoints(NameContains=endpoint)["Endpoints"]
    if any(e["EndpointName"] == endpoint for e in existing):
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=config_name)
    else:
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config_name)
    try:
        sm.get_waiter("endpoint_in_service").wait(EndpointName=endpoint)
    except Exception as error:  # the waiter raises on Failed; the portal gets the reason
        report("Failed", str(error))
        raise
    report("Succeeded", f"{endpoint} is in service")


if __name__ == "__main__":
    main(sys.argv[1])
