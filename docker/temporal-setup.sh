#!/bin/sh
# Runs in temporalio/admin-tools once the Temporal server answers at TEMPORAL_ADDRESS: makes the
# `default` namespace the labs run in and registers the lab's search attributes (the names in
# LAB_SEARCH_ATTRIBUTES, all Keyword as lab/search-attributes.ts declares them). A step already
# done is skipped, so every `docker compose up` runs this; each step is retried while the new
# server finishes starting (a namespace just made takes a few seconds to be usable).
set -eu

namespace=default

retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge 30 ]; then
      echo "temporal-setup: gave up on: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

ensure_namespace() {
  temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1 ||
    temporal operator namespace create --namespace "$namespace"
}

ensure_keyword_search_attribute() {
  temporal operator search-attribute list --namespace "$namespace" | grep -qw "$1" ||
    temporal operator search-attribute create --namespace "$namespace" --name "$1" --type Keyword
}

retry temporal operator cluster health
retry ensure_namespace
for name in $LAB_SEARCH_ATTRIBUTES; do
  retry ensure_keyword_search_attribute "$name"
done
echo "temporal-setup: namespace $namespace with search attributes $LAB_SEARCH_ATTRIBUTES"
