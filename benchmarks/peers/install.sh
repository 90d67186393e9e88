#!/usr/bin/env bash
# Install the independent SASRec implementations, each into its own git-ignored virtual
# environment under benchmarks/peers/.venvs/ (never by `make test` or the book build).
#
#   bash benchmarks/peers/install.sh            # both (about 6 min, from PyPI)
#   bash benchmarks/peers/install.sh msrec      # Microsoft Recommenders only
#   bash benchmarks/peers/install.sh recbole    # RecBole only
#
# The pins are the versions measured in benchmarks/results/peers.json; why each extra pin is
# needed is in benchmarks/README.md ("Side by side").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venvs="$here/.venvs"
python="${PYTHON:-python3}"
which=("${@:-msrec recbole}")
mkdir -p "$venvs"

install_msrec() {
    local venv="$venvs/msrec"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    # SASRec's modules need only TensorFlow 2 (with NumPy 1), pandas, tqdm and SciPy; the
    # package's other extras (LightGBM, Spark, ...) are skipped with --no-deps.
    "$venv/bin/pip" install -q "tensorflow-cpu==2.15.1" "numpy<2" pandas tqdm scipy
    "$venv/bin/pip" install -q --no-deps "recommenders==1.2.1"
    "$venv/bin/python" -c "from recommenders.models.sasrec.model import SASREC; print('msrec ok')"
}

install_recbole() {
    local venv="$venvs/recbole"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    # torch 2.13.0 is the CPU build; ray is imported only by recbole.quick_start (not used),
    # setuptools >= 81 lacks pkg_resources, pandas 3 breaks RecBole's NaN filling.
    "$venv/bin/pip" install -q "torch==2.13.0"
    "$venv/bin/pip" install -q "recbole==1.2.1" "numpy<2" "ray<=2.6.3" "setuptools<81" "pandas<3"
    "$venv/bin/python" -c "import recbole, torch; print('recbole ok', recbole.__version__, torch.__version__)"
}

for name in ${which[@]}; do
    case "$name" in
        msrec) install_msrec ;;
        recbole) install_recbole ;;
        *) echo "install.sh: unknown peer '$name' (expected msrec or recbole)" >&2; exit 2 ;;
    esac
done
