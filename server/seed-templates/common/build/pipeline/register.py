"""Registers the trained model as a Dev model version with the governance portal.

Authenticates with the CI job's OIDC token (GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN), which the
portal checks against the project's trust policy: POST /api/v1/projects/{project}/versions.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def ci_token(audience: str) -> str:
    url = os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"]
    url += ("&" if "?" in url else "?") + "audience=" + urllib.parse.quote(audience)
    request = urllib.request.Request(url, headers={"Authorization": "bearer " + os.environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["value"]


def main(result_path: str) -> None:
    with open(result_path) as f:
        result = json.load(f)
    body = {
        "model_group": os.environ["MODEL_GROUP"],
        "description": result.get("description", ""),
        "mlflow_run_id": result["mlflow_run_id"],
        "training_data": result["training_data"],
        "code_commit": os.environ.get("CODE_COMMIT"),
        "artifact_uri": result["artifact_uri"],
        "container_image": "{{ params.container_image }}",
        "metrics": result["metrics"],
        # What the pipeline knows of the model card; the data scientist completes it in the portal.
        "model_card": result.get("model_card") or {
            "training_data": ", ".join(result["training_data"]),
            "evaluation": ", ".join(f"{k} = {v:.4g}" for k, v in sorted(result["metrics"].items())),
        },
    }
    url = f"{os.environ['PORTAL_URL']}/api/v1/projects/{os.environ['PORTAL_PROJECT']}/versions"
    token = os.environ.get("PORTAL_TOKEN") or ci_token(os.environ["PORTAL_AUDIENCE"])
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            version = json.load(answer)
    except urllib.error.HTTPError as refused:
        # The portal says which field was wrong; the CI log should too.
        sys.exit(f"the portal refused the registration ({refused.code}): {refused.read().decode(errors='replace')}")
    print(f"registered {version['id']} (version {version['number']}) in the Dev registry of {os.environ['PORTAL_PROJECT']}")


if __name__ == "__main__":
    main(sys.argv[1])
