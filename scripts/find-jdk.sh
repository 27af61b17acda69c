#!/bin/sh
# Sourced by ./mvnw and ./custos: exports JAVA_HOME pointing at a JDK >= 21.
# Order: an already-set JAVA_HOME that is new enough, then every JDK under /usr/lib/jvm and
# /opt (newest first), then `java` on the PATH. Fails with a clear message if none qualifies.
custos_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
custos_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ /opt/*jdk*/ /opt/java/*/ 2>/dev/null | sort -rV) \
      "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    candidate="${candidate%/}"
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(custos_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! CUSTOS_JDK=$(custos_find_jdk); then
  echo "custos: no JDK >= 21 found (looked at JAVA_HOME, /usr/lib/jvm, /opt). Install one or set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME="$CUSTOS_JDK"
