#!/usr/bin/env bash
# The registry page and the inbox on the AWS adapters at 5,000 packages, next to the embedded store at the same
# size: the same release binary, the same pages, the same person, the same machine.
#
#   bash bench/aws.sh [PACKAGES]      default 5000
#
# The AWS emulator (moto, the venv the set-up makes) gets PACKAGES model packages made outside the portal:
# 70% pending in 17 Dev groups of the credit-risk project, 30% Dev-approved in one central group (awaiting
# Test). The portal starts with an [aws] settings table pointing at it; its first reconciliation (before it
# serves) indexes them all. Then the embedded store gets PACKAGES versions through the API. Each page is timed
# over one connection (what a person waits for) and under 8 connections (wrk, 10 s); the target is the AWS
# figure within 2x of the embedded one. The SageMaker requests the pages cost are counted from moto's request
# log (no reconciliation pass runs meanwhile).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
PACKAGES="${1:-5000}"
MOTO_VENV="${MOTO_VENV:-$HOME/.cache/governance-portal/venv-moto}"
need_wrk
setup_and_build

bench_workspace

MOTO_PORT="$(free_port)"
MOTO="http://127.0.0.1:$MOTO_PORT"
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=("$!")
until curl -fs "$MOTO/moto-api/" >/dev/null 2>&1; do sleep 0.2; done

echo "==> $PACKAGES model packages made in the emulator outside the portal"
start=$SECONDS
"$MOTO_VENV/bin/python" - "$MOTO" "$PACKAGES" <<'PY'
import sys
from concurrent.futures import ThreadPoolExecutor
import boto3
url, n = sys.argv[1], int(sys.argv[2])
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
central = n * 3 // 10
dev_groups = [f"credit-risk-g{g:02}" for g in range(1, 18)]
jobs = [(dev_groups[i % len(dev_groups)], "PendingManualApproval", i) for i in range(n - central)]
jobs += [("central-credit-risk-g01", "Approved", i) for i in range(central)]
for group in set(g for g, _, _ in jobs):
    sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription=f"{group} (bench)")
def make(job):
    group, status, i = job
    sm.create_model_package(
        ModelPackageGroupName=group, ModelPackageDescription=f"bench package {i}", ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": "xgb:1", "ModelDataUrl": "s3://bench/model.tar.gz"}],
                                "SupportedContentTypes": ["application/json"],
                                "SupportedResponseMIMETypes": ["application/json"]},
        CustomerMetadataProperties={"portal:stage": "Dev", "portal:revision": "1", "portal:project": "credit-risk"})
with ThreadPoolExecutor(8) as pool:
    list(pool.map(make, jobs))
PY
echo "    made in $((SECONDS - start)) s"

cat >"$WORK/portal-aws.toml" <<EOF
event_account = "123456789012"
event_region = "us-east-1"

[aws]
region = "us-east-1"
endpoint_url = "$MOTO"
# The emulator does not throttle: the first reconciliation need not be paced.
reconcile_calls_per_second = 10000
# No second pass while the pages are driven: the SageMaker requests counted then are the pages' own.
reconcile_interval_secs = 3600

[aws.central]
account_id = "123456789012"
EOF

measure() {
  local store="$1" base="$2"
  local cookie; cookie="$(sign_in "$base" dana)"
  local page=(-H "Cookie: $cookie" -H "Accept: text/html")
  local total
  total="$(curl -s -H "Authorization: Bearer $BENCH_TOKEN" "$base/api/v1/versions?project=credit-risk&limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
  echo "    the registry lists $total versions of credit-risk"
  wrk_one "$store page / (one connection)" "${page[@]}" "$base/"
  printf '%s\tregistry_one\t%s\n' "$store" "$WRK_P50" >>"$RESULTS"
  wrk_one "$store page /inbox (one connection)" "${page[@]}" "$base/inbox"
  printf '%s\tinbox_one\t%s\n' "$store" "$WRK_P50" >>"$RESULTS"
  wrk_line "$store page / (8 connections)" "${page[@]}" "$base/"
  printf '%s\tregistry_rps\t%s\n' "$store" "$WRK_RPS" >>"$RESULTS"
  wrk_line "$store page /inbox (8 connections)" "${page[@]}" "$base/inbox"
  printf '%s\tinbox_rps\t%s\n' "$store" "$WRK_RPS" >>"$RESULTS"
}

echo "==> the portal on the AWS adapters (first reconciliation before it serves)"
mkdir -p "$WORK/aws"
start=$SECONDS
start_portal "$WORK/aws" target/site PORTAL_CONFIG="$WORK/portal-aws.toml" \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
PIDS+=("$PORTAL_PID")
echo "    ready in $((SECONDS - start)) s"
before="$(grep -c 'POST / HTTP' "$WORK/moto.log" || true)"
measure aws "$PORTAL_BASE"
after="$(grep -c 'POST / HTTP' "$WORK/moto.log" || true)"
echo "    SageMaker requests moto received while the pages were driven: $((after - before))"
kill "$PORTAL_PID"; wait "$PORTAL_PID" 2>/dev/null || true

echo "==> the portal on the embedded store with $PACKAGES versions"
mkdir -p "$WORK/embedded"
start_portal "$WORK/embedded" target/site
PIDS+=("$PORTAL_PID")
seed_portal "$PORTAL_BASE" "$PACKAGES" 17
wait_drained "$PORTAL_BASE"
measure embedded "$PORTAL_BASE"

python3 - "$RESULTS" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    store, what, value = line.rstrip("\n").split("\t")
    r[(store, what)] = value
def ms(v):
    v = v.strip()
    for unit, k in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * k
    return float(v)
print("\n| at the same size | AWS adapters (index) | embedded store | AWS / embedded | target |")
print("|---|---|---|---|---|")
ok = True
for what, name in (("registry_one", "registry page p50, one connection"), ("inbox_one", "inbox p50, one connection")):
    a, e = ms(r[("aws", what)]), ms(r[("embedded", what)])
    ok &= a <= 2 * e
    print(f"| {name} | {a:.2f} ms | {e:.2f} ms | {a / e:.2f}x | <= 2x |")
for what, name in (("registry_rps", "registry page, 8 connections"), ("inbox_rps", "inbox, 8 connections")):
    a, e = float(r[("aws", what)]), float(r[("embedded", what)])
    ok &= e <= 2 * a
    print(f"| {name} | {a:,.0f} req/s | {e:,.0f} req/s | {e / a:.2f}x slower | <= 2x |")
print("\nall targets met" if ok else "\nsome targets NOT met")
PY
