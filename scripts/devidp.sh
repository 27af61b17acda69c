#!/bin/sh
# DEMO ONLY: starts the development identity provider (mock-oauth2-server on 127.0.0.1).
# Usage: scripts/devidp.sh --audience URI --fhir-user Practitioner/ID [--subject S] [--hours H]
set -eu
exec "$(dirname -- "$0")/run-module.sh" custos-devidp io.custos.devidp.DevIdentityProvider -Xmx256m -- "$@"
