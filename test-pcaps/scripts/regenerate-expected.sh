#!/usr/bin/env bash
# Rewrites test-pcaps/expected/ (the expected encodings of the committed captures under
# test-pcaps/configs/ and their tshark listings) by running ExpectedEncodingsTest with
# -Dregenerate=true. Run it after a deliberate change of the wire format, read the diff of the
# *.txt listings, and commit them with the change. Needs JDK 25, Maven and tshark.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../bin/common.sh"
find_jdk25
find_maven
cd "$overlay_root"
mvn -B -q -pl test-pcaps -am test -Dregenerate=true -Dtest=ExpectedEncodingsTest \
  -Dsurefire.failIfNoSpecifiedTests=false
git status --short test-pcaps/expected
