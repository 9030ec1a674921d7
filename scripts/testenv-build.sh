#!/usr/bin/env bash
# Builds the Kubernetes test control plane from the Go module proxy: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok and the Argo workflow-controller, each from
# its own module under testenv/ (their dependency graphs differ). A program is rebuilt only
# when its module's go.mod/go.sum changed. Prints where the time goes. Sourced by test.sh or
# run on its own.
set -euo pipefail
declare -F step >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTENV_BIN="${CUBIST_TESTENV_BIN:-/var/tmp/cubist-testenv/bin}"
export CUBIST_TESTENV_BIN="$TESTENV_BIN"

# module-dir program package
TESTENV_PROGRAMS=(
  "etcd etcd go.etcd.io/etcd/server/v3"
  "kubernetes kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver"
  "kubernetes kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager"
  "kubernetes kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler"
  "kwok kwok sigs.k8s.io/kwok/cmd/kwok"
  "argo workflow-controller github.com/argoproj/argo-workflows/v4/cmd/workflow-controller"
)

build_testenv() {
  command -v go >/dev/null || fail "go is missing: the Kubernetes tests build their control plane with Go 1.26"
  mkdir -p "$TESTENV_BIN"
  local line dir program package stamp ldflags k8s_version
  # Kubernetes programs report their version only when the build says it.
  k8s_version="$(cd "$ROOT/testenv/kubernetes" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  [ -n "$k8s_version" ] || fail "cannot read the Kubernetes version of testenv/kubernetes/go.mod"
  for line in "${TESTENV_PROGRAMS[@]}"; do
    read -r dir program package <<<"$line"
    ldflags=""
    if [ "$dir" = kubernetes ]; then
      ldflags="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version"
    fi
    stamp="$( (cat "$ROOT/testenv/$dir/go.mod" "$ROOT/testenv/$dir/go.sum"; echo "$ldflags") | sha256sum | cut -c1-16)"
    if [ -x "$TESTENV_BIN/$program" ] && [ "$(cat "$TESTENV_BIN/$program.stamp" 2>/dev/null)" = "$stamp" ]; then
      continue
    fi
    step "Building $program from the Go module proxy (the first time: minutes)"
    (cd "$ROOT/testenv/$dir" && go build -ldflags="$ldflags" -o "$TESTENV_BIN/$program.new" "$package")
    mv "$TESTENV_BIN/$program.new" "$TESTENV_BIN/$program"
    echo "$stamp" >"$TESTENV_BIN/$program.stamp"
  done
  # Where the tests read Argo's CRDs and kwok's stages (never copied into the project).
  (cd "$ROOT/testenv/argo" && go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v4) >"$TESTENV_BIN/argo-module-dir"
  (cd "$ROOT/testenv/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok) >"$TESTENV_BIN/kwok-module-dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  build_testenv
  step "Control plane programs are in $TESTENV_BIN"
fi
