# Shared by bin/overlay, bin/test and bin/bench: find a JDK 25 and Maven, or say in one
# sentence what is missing. Sourced, not run.

overlay_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# The feature version of the java at $1 ("25" for 25.0.3), or nothing if it does not run.
java_feature_version() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

# Sets JAVA_HOME to a JDK 25 or later: JAVA_HOME itself if it is one, else /usr/lib/jvm/*25*.
find_jdk25() {
  local candidate version
  for candidate in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/*25*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$(java_feature_version "$candidate/bin/java")
    if [ -n "$version" ] && [ "$version" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  die "no JDK 25 found (JAVA_HOME is ${JAVA_HOME:-unset} and /usr/lib/jvm has no *25* JDK): install one, e.g. Temurin 25, or point JAVA_HOME at it."
}

find_maven() {
  command -v mvn >/dev/null 2>&1 || die "Apache Maven is needed to build overlay and 'mvn' is not on PATH: install it (apt-get install maven)."
  # Maven 3.8's own Guava calls sun.misc.Unsafe, which JDK 25 warns about on every run.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
