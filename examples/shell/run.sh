#!/bin/sh
# run.sh — the one line a CI job adds: run the test suite on a full disk.
# Expect `make test` to FAIL with "No space left on device" and to leave
# no partial file in ./data (the cleanup path works on a full disk).
set -u
cd "$(dirname "$0")"
mkdir -p data
snagfs run --profile disk-full ./data -- make test
