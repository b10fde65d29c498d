//go:build tools

// Prometheus with Kubernetes service discovery (Debian's package is built without it), for the
// kubernetes e2e test: scripts/k8s-toolchain.sh builds cmd/prometheus from this module's requirements.
package tools

import _ "github.com/prometheus/prometheus/cmd/prometheus"
