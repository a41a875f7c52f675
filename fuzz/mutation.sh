#!/usr/bin/env bash
# Mutation testing of the codec modules with mutmut 3, in a scratch copy of
# the committed tree (mutmut writes a mutants/ directory next to the code).
#
#   pip install mutmut && fuzz/mutation.sh [/tmp/framing-mutation]
#
# Only the core codec tests run (for speed), hypothesis derandomized with 25
# examples per test (no flaky kills). Afterwards: `cd DIR && mutmut results`
# lists the survivors, `mutmut show NAME` shows one. fuzz/README.md lists the
# last run's score and why each survivor is equivalent.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/tmp/framing-mutation}"
rm -rf "$dir" && mkdir -p "$dir"
git -C "$here" archive HEAD framing tests | tar -x -C "$dir"
cd "$dir/tests"
keep="conftest.py helpers.py test_batches.py test_buffer_behaviour.py test_cobs.py test_codecs.py
test_construct_oracle.py test_delimited.py test_errors.py test_fixed.py test_frame.py
test_length_prefixed.py test_lines.py test_netstring.py test_properties.py test_slip.py
test_until_close.py test_testing_findings.py test_testing_mutants.py test_decoder_contract.py"
for f in *; do
    case " $(echo $keep) " in *" $f "*) ;; *) rm -rf "$f" ;; esac
done
cat > conftest.py <<'PY'
from hypothesis import HealthCheck, settings
settings.register_profile("mutation", derandomize=True, deadline=None, max_examples=25,
                          database=None, suppress_health_check=list(HealthCheck))
settings.load_profile("mutation")
PY
cd "$dir"
cat > pyproject.toml <<'TOML'
[tool.pytest.ini_options]
testpaths = ["tests"]
timeout = 600

[tool.mutmut]
paths_to_mutate = [
    "framing/core/codec.py", "framing/core/buffer.py", "framing/core/headers.py",
    "framing/codecs/fixed.py", "framing/codecs/delimited.py", "framing/codecs/lines.py",
    "framing/codecs/length_prefixed.py", "framing/codecs/until_close.py",
    "framing/codecs/netstring.py", "framing/codecs/cobs.py", "framing/codecs/slip.py",
    "framing/errors.py",
]
tests_dir = ["tests/"]
also_copy = ["framing/"]
TOML
python -m pytest -q -p no:cacheprovider tests
nice -n 15 mutmut run --max-children "${MUTMUT_CHILDREN:-1}"
mutmut results | grep -v killed || true
