# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Implementation of tests/rig/rig. Sourced, not executed.

# ------------------------------------------------------------ settings

RIG_OS_VERSION="${SNAPMIG_RIG_OS_VERSION:-2.19.6}"
RIG_ES_VERSION="${SNAPMIG_RIG_ES_VERSION:-7.10.2}"
RIG_S3PROXY_VERSION="${SNAPMIG_RIG_S3PROXY_VERSION:-4.1.0}"
RIG_NEXT_VERSION="${SNAPMIG_RIG_NEXT_VERSION:-3.6.0}"
# The 'secure' node: OpenSearch with the security plugin. The plugin's
# version must equal the server's (its descriptor says opensearch.version);
# Maven Central has opensearch-security 2.19.4.0 with the 2.19.4 integ-test-zip.
RIG_SECURE_VERSION="${SNAPMIG_RIG_SECURE_VERSION:-2.19.4}"
# Toxiproxy is built from source through the Go module proxy (go install).
# v2.12.0 is the newest release the proxy serves (v2.13.0 needs Go 1.27);
# its go.mod says "go 1.23.0", hence the minimum below. scripts/install-deps.sh
# reads both by sourcing this file.
RIG_TOXIPROXY_VERSION="${SNAPMIG_RIG_TOXIPROXY_VERSION:-2.12.0}"
RIG_TOXIPROXY_GO_MIN=1.23
RIG_TOXIPROXY_MODULE=github.com/Shopify/toxiproxy/v2

RIG_OS_COORDS="org.opensearch.distribution.integ-test-zip:opensearch:$RIG_OS_VERSION:zip"
RIG_ES_COORDS="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$RIG_ES_VERSION:zip"
RIG_S3PROXY_COORDS="org.gaul:s3proxy:$RIG_S3PROXY_VERSION:jar:jar-with-dependencies"
RIG_NEXT_COORDS="org.opensearch.distribution.integ-test-zip:opensearch:$RIG_NEXT_VERSION:zip"
RIG_NEXT_S3_COORDS="org.opensearch.plugin:repository-s3:$RIG_NEXT_VERSION"
RIG_SECURE_COORDS="org.opensearch.distribution.integ-test-zip:opensearch:$RIG_SECURE_VERSION:zip"
RIG_SECURITY_COORDS="org.opensearch.plugin:opensearch-security:$RIG_SECURE_VERSION.0:zip"

RIG_SOURCE_PORT="${SNAPMIG_RIG_SOURCE_PORT:-9201}"
RIG_TARGET_PORT="${SNAPMIG_RIG_TARGET_PORT:-9202}"
RIG_LEGACY_PORT="${SNAPMIG_RIG_LEGACY_PORT:-9203}"
RIG_NEXT_PORT="${SNAPMIG_RIG_NEXT_PORT:-9204}"
RIG_SECURE_PORT="${SNAPMIG_RIG_SECURE_PORT:-9205}"
RIG_S3_PORT="${SNAPMIG_RIG_S3_PORT:-9000}"
RIG_TOXIPROXY_PORT="${SNAPMIG_RIG_TOXIPROXY_PORT:-8474}"
# Transport (node-to-node) port of each search node: HTTP port + this offset.
RIG_TRANSPORT_OFFSET="${SNAPMIG_RIG_TRANSPORT_OFFSET:-100}"

RIG_S3_ACCESS_KEY="${SNAPMIG_RIG_S3_ACCESS_KEY:-snapmig-rig-access}"
RIG_S3_SECRET_KEY="${SNAPMIG_RIG_S3_SECRET_KEY:-snapmig-rig-secret}"
RIG_S3_BUCKET="${SNAPMIG_RIG_S3_BUCKET:-snapmig-rig}"
RIG_S3_REGION="${SNAPMIG_RIG_S3_REGION:-us-east-1}"

RIG_DIR="${SNAPMIG_RIG_DIR:-${TMPDIR:-/tmp}/snapmig-rig}"
RIG_CACHE="${SNAPMIG_RIG_CACHE:-${HOME:-/root}/.cache/snapmig-rig}"
RIG_TIMEOUT="${SNAPMIG_RIG_TIMEOUT:-240}"
RIG_STOP_TIMEOUT="${SNAPMIG_RIG_STOP_TIMEOUT:-60}"
RIG_HEAP="${SNAPMIG_RIG_HEAP:-512m}"
RIG_USER="${SNAPMIG_RIG_USER:-snapmig-rig}"
RIG_NEXT="${SNAPMIG_RIG_NEXT:-0}"
RIG_GO="${SNAPMIG_RIG_GO:-}"

rig_default_java17() {
    local arch c
    arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
    for c in "/usr/lib/jvm/java-17-openjdk-$arch" /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/temurin-17-*; do
        [[ -x "$c/bin/java" ]] && { echo "$c"; return; }
    done
    echo "/usr/lib/jvm/java-17-openjdk-$arch"
}
rig_default_java_next() {
    local c
    for c in /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/java-25-openjdk-* /usr/lib/jvm/temurin-21-jdk-* /usr/lib/jvm/java-21-openjdk-*; do
        [[ -x "$c/bin/java" ]] && { echo "$c"; return; }
    done
    echo /usr/lib/jvm/temurin-25-jdk-amd64
}
RIG_JAVA_HOME="${SNAPMIG_RIG_JAVA_HOME:-$(rig_default_java17)}"
RIG_NEXT_JAVA_HOME="${SNAPMIG_RIG_NEXT_JAVA_HOME:-$(rig_default_java_next)}"

RIG_DIST="$RIG_DIR/dist"
RIG_FS_REPO="$RIG_DIR/fsrepo"

# --------------------------------------------------------- small utils

rig_log() { printf 'rig: %s\n' "$*" >&2; }
rig_err() { printf 'rig: error: %s\n' "$*" >&2; }
rig_die() {
    rig_err "$*"
    exit 1
}

rig_is_root() { [[ "$(id -u)" -eq 0 ]]; }

rig_need() {
    local tool="$1" pkg="$2"
    command -v "$tool" >/dev/null 2>&1 || rig_die "'$tool' not found; install it (Debian: apt-get install -y $pkg)"
}

rig_check_port_value() {
    local name="$1" value="$2"
    if [[ ! "$value" =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
        rig_die "$name='$value' is not a valid port"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
rig_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

rig_now() { date +%s.%N; }
rig_elapsed() { awk -v a="$1" -v b="$(rig_now)" 'BEGIN { printf "%.1f", b - a }'; }

# Run a command as the unprivileged rig user (exec, no fork: keeps $! == the real pid).
rig_as_user() {
    if rig_is_root; then
        exec setpriv --reuid="$RIG_USER" --regid="$RIG_USER" --init-groups "$@"
    else
        exec "$@"
    fi
}

rig_ensure_user() {
    rig_is_root || return 0
    rig_need setpriv util-linux
    if ! id -u "$RIG_USER" >/dev/null 2>&1; then
        rig_need useradd passwd
        rig_log "creating system user '$RIG_USER' (servers refuse to run as root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$RIG_USER" ||
            rig_die "could not create user '$RIG_USER' (set SNAPMIG_RIG_USER to an existing unprivileged user)"
    fi
}

# chown to the rig user when running as root.
rig_own() {
    if rig_is_root; then
        chown -R "$RIG_USER:$RIG_USER" "$@"
    fi
}

# ----------------------------------------------------------- components

RIG_CORE_COMPONENTS=(s3 source target legacy toxiproxy secure)

rig_components_wanted() {
    local c=("${RIG_CORE_COMPONENTS[@]}")
    [[ "$RIG_NEXT" == 1 ]] && c+=(next)
    echo "${c[@]}"
}

rig_kind() {
    case "$1" in
        source | target | next | secure) echo opensearch ;;
        legacy) echo elasticsearch ;;
        s3) echo s3proxy ;;
        toxiproxy) echo toxiproxy ;;
        *) rig_die "unknown component '$1'" ;;
    esac
}

# True for the search nodes, which also bind a transport port.
rig_has_transport() {
    case "$(rig_kind "$1")" in
        opensearch | elasticsearch) return 0 ;;
        *) return 1 ;;
    esac
}

rig_port() {
    case "$1" in
        source) echo "$RIG_SOURCE_PORT" ;;
        target) echo "$RIG_TARGET_PORT" ;;
        legacy) echo "$RIG_LEGACY_PORT" ;;
        next) echo "$RIG_NEXT_PORT" ;;
        secure) echo "$RIG_SECURE_PORT" ;;
        s3) echo "$RIG_S3_PORT" ;;
        toxiproxy) echo "$RIG_TOXIPROXY_PORT" ;;
    esac
}

rig_port_var() {
    case "$1" in
        source) echo SNAPMIG_RIG_SOURCE_PORT ;;
        target) echo SNAPMIG_RIG_TARGET_PORT ;;
        legacy) echo SNAPMIG_RIG_LEGACY_PORT ;;
        next) echo SNAPMIG_RIG_NEXT_PORT ;;
        secure) echo SNAPMIG_RIG_SECURE_PORT ;;
        s3) echo SNAPMIG_RIG_S3_PORT ;;
        toxiproxy) echo SNAPMIG_RIG_TOXIPROXY_PORT ;;
    esac
}

rig_url() {
    if [[ "$1" == secure ]]; then
        echo "https://127.0.0.1:$(rig_port "$1")"
    else
        echo "http://127.0.0.1:$(rig_port "$1")"
    fi
}
rig_node_dir() { echo "$RIG_DIR/$1"; }
rig_pidfile() { echo "$RIG_DIR/$1/pid"; }

rig_logfile() {
    case "$(rig_kind "$1")" in
        s3proxy) echo "$RIG_DIR/$1/logs/s3proxy.log" ;;
        toxiproxy) echo "$RIG_DIR/$1/logs/toxiproxy.log" ;;
        *) echo "$RIG_DIR/$1/logs/snapmig-rig-$1.log" ;;
    esac
}

rig_describe() {
    case "$1" in
        source | target) echo "OpenSearch $RIG_OS_VERSION" ;;
        next) echo "OpenSearch $RIG_NEXT_VERSION" ;;
        secure) echo "OpenSearch $RIG_SECURE_VERSION+security" ;;
        legacy) echo "Elasticsearch $RIG_ES_VERSION" ;;
        s3) echo "S3Proxy $RIG_S3PROXY_VERSION" ;;
        toxiproxy) echo "Toxiproxy $RIG_TOXIPROXY_VERSION" ;;
    esac
}

# Pid of a running component started by this rig (validated against
# /proc/PID/cmdline so a recycled pid is never mistaken for ours), or fail.
rig_running_pid() {
    local name="$1" pidfile pid
    pidfile="$(rig_pidfile "$name")"
    [[ -r "$pidfile" ]] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [[ -n "$pid" ]] || return 1
    kill -0 "$pid" 2>/dev/null || [[ -d "/proc/$pid" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(rig_node_dir "$name")/" || return 1
    echo "$pid"
}

rig_print_log_tail() {
    local name="$1" f
    for f in "$RIG_DIR/$name/logs/launcher.log" "$(rig_logfile "$name")"; do
        if [[ -s "$f" ]]; then
            printf 'rig: ---- last lines of %s ----\n' "$f" >&2
            tail -n 40 "$f" >&2
            printf 'rig: ---- end of %s ----\n' "$f" >&2
        fi
    done
}

# ------------------------------------------------------------ downloads

rig_mvn() {
    mvn -B -ntp -Dmaven.repo.local="$RIG_CACHE/m2" "$@"
}

# rig_fetch COORDS DEST: COORDS is group:artifact:version[:type[:classifier]].
rig_fetch() {
    local coords="$1" dest="$2" g a v t c file path log
    [[ -s "$dest" ]] && return 0
    IFS=: read -r g a v t c <<<"$coords"
    t="${t:-jar}"
    file="$a-$v${c:+-$c}.$t"
    path="$RIG_CACHE/m2/${g//.//}/$a/$v/$file"
    if [[ ! -s "$path" ]]; then
        rig_need mvn maven
        mkdir -p "$RIG_CACHE/logs"
        log="$RIG_CACHE/logs/mvn-$a-$v${c:+-$c}.log"
        rig_log "downloading $coords from Maven Central"
        if ! rig_mvn dependency:get -Dartifact="$coords" -Dtransitive=false >"$log" 2>&1 || [[ ! -s "$path" ]]; then
            grep -m 1 -E '\[ERROR\]' "$log" >&2 || true
            rig_die "failed to download $coords from Maven Central (mvn dependency:get); full log: $log"
        fi
    fi
    # Moved, not copied: the cache keeps one copy (rig_fetch looks at DEST first).
    mkdir -p "$(dirname "$dest")"
    mv "$path" "$dest.part"
    mv "$dest.part" "$dest"
}

# ------------------------------------------------------ install layout

# Unpack a distribution zip into $RIG_DIST/<dir>; the stamp file makes it a
# no-op on warm runs. Installs are owned by root and only read by the servers.
rig_unpack() {
    local zip="$1" dest="$2" tmp top
    rig_need unzip unzip
    tmp="$dest.tmp"
    rm -rf "$dest" "$tmp"
    mkdir -p "$tmp"
    unzip -q "$zip" -d "$tmp"
    top="$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
    [[ -n "$top" ]] || rig_die "unexpected layout in $zip"
    mv "$top" "$dest"
    rm -rf "$tmp"
    chmod -R a+rX "$dest"
}

rig_stamped() { [[ -f "$1/.rig-stamp" && "$(cat "$1/.rig-stamp")" == "$2" ]]; }

rig_stamp() { printf '%s' "$2" >"$1/.rig-stamp"; }

rig_source_hash() {
    (cd "$RIG_SCRIPT_DIR/s3-repository" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

# Build the rig's stand-in repository-s3 plugin zip for OpenSearch 2.x against
# the unpacked distribution's jars. Echoes the zip path. Cached by server
# version and source hash. rig_s3_plugin_zip [VERSION] (default: source/target's).
rig_s3_plugin_zip() { echo "$RIG_CACHE/plugins/repository-s3-rig-${1:-$RIG_OS_VERSION}-$(rig_source_hash).zip"; }
rig_next_plugin_zip() { echo "$RIG_CACHE/plugins/repository-s3-$RIG_NEXT_VERSION.zip"; }
# Identity of a cached file for install stamps ("missing" when absent).
rig_file_id() {
    if [[ -f "$1" ]]; then stat -c '%n:%s:%Y' "$1"; else echo missing; fi
}

# rig_build_s3_plugin OS_HOME [VERSION]
rig_build_s3_plugin() {
    local os_home="$1" version="${2:-$RIG_OS_VERSION}" zip work javac jar
    zip="$(rig_s3_plugin_zip "$version")"
    if [[ -s "$zip" ]]; then
        echo "$zip"
        return 0
    fi
    javac="$RIG_JAVA_HOME/bin/javac"
    jar="$RIG_JAVA_HOME/bin/jar"
    [[ -x "$javac" && -x "$jar" ]] ||
        rig_die "need a JDK 17 with javac at $RIG_JAVA_HOME (Debian: apt-get install -y openjdk-17-jdk-headless) or set SNAPMIG_RIG_JAVA_HOME"
    rig_log "building stand-in repository-s3 plugin for OpenSearch $version"
    work="$(mktemp -d "${TMPDIR:-/tmp}/snapmig-rig-plugin.XXXXXX")"
    mkdir -p "$work/classes" "$work/zip"
    # shellcheck disable=SC2046
    "$javac" --release 11 -Xlint:-options -nowarn -d "$work/classes" -cp "$os_home/lib/*" \
        $(find "$RIG_SCRIPT_DIR/s3-repository/src" -name '*.java') >"$work/javac.log" 2>&1 || {
        cat "$work/javac.log" >&2
        rig_die "compiling the stand-in repository-s3 plugin failed"
    }
    "$jar" cf "$work/zip/snapmig-rig-repository-s3.jar" -C "$work/classes" .
    cp "$RIG_SCRIPT_DIR/s3-repository/plugin-security.policy" "$work/zip/"
    cat >"$work/zip/plugin-descriptor.properties" <<EOF
description=snapmig test rig stand-in for repository-s3 (minimal S3 repository type 's3'; not the upstream plugin)
version=$version
name=repository-s3
classname=org.snapmig.rig.s3.RigS3Plugin
java.version=11
opensearch.version=$version
EOF
    mkdir -p "$(dirname "$zip")"
    (cd "$work/zip" && "$jar" cfM "$zip.part" .)
    mv "$zip.part" "$zip"
    rm -rf "$work"
    echo "$zip"
}

# Assemble the upstream repository-s3 plugin for the 'next' node from the
# plugin jar + runtime deps on Maven Central, minus jars the distribution has.
rig_build_next_s3_plugin() {
    local os_home="$1" zip work log
    zip="$(rig_next_plugin_zip)"
    if [[ -s "$zip" ]]; then
        echo "$zip"
        return 0
    fi
    rig_need mvn maven
    rig_log "assembling repository-s3 $RIG_NEXT_VERSION plugin from Maven Central jars"
    work="$RIG_CACHE/build/repository-s3-$RIG_NEXT_VERSION"
    rm -rf "$work"
    mkdir -p "$work/deps" "$work/zip" "$RIG_CACHE/logs"
    cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>snapmig.rig</groupId><artifactId>repository-s3-assembly</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.opensearch.plugin</groupId><artifactId>repository-s3</artifactId><version>$RIG_NEXT_VERSION</version></dependency>
  </dependencies>
</project>
EOF
    log="$RIG_CACHE/logs/mvn-repository-s3-$RIG_NEXT_VERSION.log"
    # The published POM lists the jars the upstream plugin zip bundles; take
    # exactly those (artifactId-version.jar) from the resolved runtime set.
    if ! (cd "$work" && rig_mvn dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$work/deps" >"$log" 2>&1); then
        grep -m 1 -E '\[ERROR\]' "$log" >&2 || true
        rig_die "failed to download $RIG_NEXT_S3_COORDS and its dependencies from Maven Central; full log: $log"
    fi
    local pom a v
    pom="$RIG_CACHE/m2/org/opensearch/plugin/repository-s3/$RIG_NEXT_VERSION/repository-s3-$RIG_NEXT_VERSION.pom"
    [[ -s "$pom" ]] || rig_die "missing $pom after download"
    cp "$work/deps/repository-s3-$RIG_NEXT_VERSION.jar" "$work/zip/"
    while read -r a v; do
        [[ -n "$a" && -n "$v" ]] || continue
        if compgen -G "$os_home/lib/$a-[0-9]*.jar" >/dev/null; then
            continue # already on the server classpath
        fi
        [[ -f "$work/deps/$a-$v.jar" ]] || rig_die "repository-s3 dependency $a-$v.jar was not resolved (see $log)"
        cp "$work/deps/$a-$v.jar" "$work/zip/"
    done < <(awk '
        /<dependencies>/ { in_deps = 1 }
        /<\/dependencies>/ { in_deps = 0 }
        /<exclusions>/ { in_excl = 1 }
        /<\/exclusions>/ { in_excl = 0; next }
        in_deps && /<dependency>/ { a = ""; v = "" }
        in_deps && !in_excl && /<artifactId>/ { gsub(/.*<artifactId>|<\/artifactId>.*/, ""); a = $0 }
        in_deps && !in_excl && /<version>/ { gsub(/.*<version>|<\/version>.*/, ""); v = $0 }
        in_deps && /<\/dependency>/ { print a, v }
    ' "$pom")
    cp "$RIG_SCRIPT_DIR/next-repository-s3.policy" "$work/zip/plugin-security.policy"
    cat >"$work/zip/plugin-descriptor.properties" <<EOF
description=The S3 repository plugin adds S3 repositories (assembled by the snapmig rig from Maven Central jars)
version=$RIG_NEXT_VERSION
name=repository-s3
classname=org.opensearch.repositories.s3.S3RepositoryPlugin
java.version=21
opensearch.version=$RIG_NEXT_VERSION
EOF
    mkdir -p "$(dirname "$zip")"
    (cd "$work/zip" && "$RIG_NEXT_JAVA_HOME/bin/jar" cfM "$zip.part" .)
    mv "$zip.part" "$zip"
    echo "$zip"
}

# The ingest-common module (the ingest processors: set, rename, grok, ...)
# for OpenSearch VERSION, which the 2.x integ-test distributions leave out
# (3.x's have every module: the 'next' node needs nothing).
# Maven Central publishes it as org.opensearch.plugin:ingest-common (a jar
# whose POM names opensearch-grok and opensearch-dissect; grok brings joni
# and jcodings). Assembled like the 'next' node's repository-s3: the jar and
# its runtime dependencies, minus the jars the server has, installed as a
# module (unpacked into modules/ingest-common, as the full distributions
# ship it: the plugin installer refuses the name of a module). The module's
# own descriptor says extended.plugins=lang-painless
# (it adds a Painless whitelist through an SPI file); these distributions
# have no lang-painless, so the descriptor here leaves it out: the SPI file
# is then inert, every processor works, and a `script` processor has no
# Painless, as in any cluster without it. Elasticsearch does not publish its
# module on Maven Central: the legacy node has no ingest processors
# (docs/rig.md).
# rig_ingest_plugin_zip VERSION; rig_build_ingest_plugin OS_HOME VERSION JAVA_HOME
rig_ingest_plugin_zip() { echo "$RIG_CACHE/plugins/ingest-common-$1.zip"; }
rig_build_ingest_plugin() {
    local os_home="$1" version="$2" java_home="$3" zip work log pom f base
    zip="$(rig_ingest_plugin_zip "$version")"
    if [[ -s "$zip" ]]; then
        echo "$zip"
        return 0
    fi
    rig_need mvn maven
    rig_log "assembling the ingest-common module $version from Maven Central jars"
    work="$RIG_CACHE/build/ingest-common-$version"
    rm -rf "$work"
    mkdir -p "$work/deps" "$work/zip" "$RIG_CACHE/logs"
    cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>snapmig.rig</groupId><artifactId>ingest-common-assembly</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.opensearch.plugin</groupId><artifactId>ingest-common</artifactId><version>$version</version></dependency>
  </dependencies>
</project>
EOF
    log="$RIG_CACHE/logs/mvn-ingest-common-$version.log"
    if ! (cd "$work" && rig_mvn dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$work/deps" >"$log" 2>&1); then
        grep -m 1 -E '\[ERROR\]' "$log" >&2 || true
        rig_die "failed to download org.opensearch.plugin:ingest-common:$version and its dependencies from Maven Central; full log: $log"
    fi
    pom="$RIG_CACHE/m2/org/opensearch/plugin/ingest-common/$version/ingest-common-$version.pom"
    [[ -s "$pom" ]] || rig_die "missing $pom after download"
    [[ -f "$work/deps/ingest-common-$version.jar" ]] || rig_die "ingest-common-$version.jar was not resolved (see $log)"
    for f in "$work/deps"/*.jar; do
        base="$(basename "$f")"
        base="${base%-[0-9]*.jar}"
        if compgen -G "$os_home/lib/$base-[0-9]*.jar" >/dev/null; then
            continue # already on the server classpath
        fi
        cp "$f" "$work/zip/"
    done
    for f in opensearch-grok opensearch-dissect joni jcodings; do
        compgen -G "$work/zip/$f-[0-9]*.jar" >/dev/null || rig_die "ingest-common dependency $f was not resolved (see $log)"
    done
    cat >"$work/zip/plugin-descriptor.properties" <<EOF
description=Module for ingest processors (assembled by the snapmig rig from Maven Central jars, without lang-painless)
version=$version
name=ingest-common
classname=org.opensearch.ingest.common.IngestCommonPlugin
java.version=11
opensearch.version=$version
EOF
    mkdir -p "$(dirname "$zip")"
    (cd "$work/zip" && "$java_home/bin/jar" cfM "$zip.part" .)
    mv "$zip.part" "$zip"
    echo "$zip"
}

# rig_install_module HOME ZIP NAME: unpack a module zip into HOME/modules/NAME.
rig_install_module() {
    local home="$1" zip="$2" name="$3"
    rig_need unzip unzip
    rm -rf "$home/modules/$name"
    mkdir -p "$home/modules/$name"
    unzip -q "$zip" -d "$home/modules/$name" || rig_die "unpacking module $zip into $home/modules/$name failed"
}

rig_install_plugin() {
    local home="$1" zip="$2" java_home="$3" conf
    conf="$(mktemp -d "${TMPDIR:-/tmp}/snapmig-rig-conf.XXXXXX")"
    cp -r "$home/config/." "$conf/"
    if ! OPENSEARCH_PATH_CONF="$conf" OPENSEARCH_JAVA_HOME="$java_home" JAVA_HOME="$java_home" \
        "$home/bin/opensearch-plugin" install --batch "file://$zip" >"$conf/install.log" 2>&1; then
        cat "$conf/install.log" >&2
        rm -rf "$conf"
        rig_die "installing plugin $zip into $home failed"
    fi
    rm -rf "$conf"
}

# Keystore holding the S3 credentials, built once per install and copied to
# each node's config dir (it holds nothing node specific).
rig_build_keystore() {
    local home="$1" java_home="$2" out="$1/.rig-keystore" conf
    local want="$RIG_S3_ACCESS_KEY:$RIG_S3_SECRET_KEY"
    if [[ -s "$out/opensearch.keystore" && "$(cat "$out/creds" 2>/dev/null)" == "$(printf '%s' "$want" | sha256sum)" ]]; then
        return 0
    fi
    rm -rf "$out"
    conf="$(mktemp -d "${TMPDIR:-/tmp}/snapmig-rig-ks.XXXXXX")"
    (
        export OPENSEARCH_PATH_CONF="$conf" OPENSEARCH_JAVA_HOME="$java_home" JAVA_HOME="$java_home"
        "$home/bin/opensearch-keystore" create >/dev/null
        printf '%s' "$RIG_S3_ACCESS_KEY" | "$home/bin/opensearch-keystore" add -x s3.client.default.access_key
        printf '%s' "$RIG_S3_SECRET_KEY" | "$home/bin/opensearch-keystore" add -x s3.client.default.secret_key
    ) >"$conf/keystore.log" 2>&1 || {
        cat "$conf/keystore.log" >&2
        rig_die "creating the OpenSearch keystore failed"
    }
    mkdir -p "$out"
    cp "$conf/opensearch.keystore" "$out/"
    printf '%s' "$want" | sha256sum >"$out/creds"
    chmod 755 "$out"
    chmod 644 "$out/opensearch.keystore"
    rm -rf "$conf"
}

rig_prepare_opensearch_2() {
    local zip home plugin ingest
    zip="$RIG_CACHE/dist/opensearch-$RIG_OS_VERSION.zip"
    rig_fetch "$RIG_OS_COORDS" "$zip"
    home="$RIG_DIST/opensearch-$RIG_OS_VERSION"
    if ! rig_stamped "$home" "opensearch-$RIG_OS_VERSION plugin=$(rig_file_id "$(rig_s3_plugin_zip)") ingest=$(rig_file_id "$(rig_ingest_plugin_zip "$RIG_OS_VERSION")")"; then
        rig_log "unpacking $(basename "$zip") into $home"
        rig_unpack "$zip" "$home"
        plugin="$(rig_build_s3_plugin "$home")"
        rig_install_plugin "$home" "$plugin" "$RIG_JAVA_HOME"
        ingest="$(rig_build_ingest_plugin "$home" "$RIG_OS_VERSION" "$RIG_JAVA_HOME")"
        rig_install_module "$home" "$ingest" ingest-common
        chmod -R a+rX "$home"
        rig_stamp "$home" "opensearch-$RIG_OS_VERSION plugin=$(rig_file_id "$plugin") ingest=$(rig_file_id "$ingest")"
    fi
    rig_build_keystore "$home" "$RIG_JAVA_HOME"
}

# The 'secure' node's install: the integ-test-zip of RIG_SECURE_VERSION with
# the stand-in repository-s3 built for it and the security plugin from Maven
# Central. The plugin's default security config files (which the installer
# puts into a config dir the rig does not keep) are copied from its zip to
# $home/.rig-security-defaults for securityadmin.
rig_prepare_secure() {
    local zip seczip home plugin stamp
    zip="$RIG_CACHE/dist/opensearch-$RIG_SECURE_VERSION.zip"
    seczip="$RIG_CACHE/dist/opensearch-security-$RIG_SECURE_VERSION.0.zip"
    rig_fetch "$RIG_SECURE_COORDS" "$zip"
    rig_fetch "$RIG_SECURITY_COORDS" "$seczip"
    home="$(rig_home secure)"
    stamp="opensearch-$RIG_SECURE_VERSION security=$(rig_file_id "$seczip") plugin=$(rig_file_id "$(rig_s3_plugin_zip "$RIG_SECURE_VERSION")")"
    if ! rig_stamped "$home" "$stamp"; then
        rig_log "unpacking $(basename "$zip") into $home (with the security plugin)"
        rig_unpack "$zip" "$home"
        plugin="$(rig_build_s3_plugin "$home" "$RIG_SECURE_VERSION")"
        rig_install_plugin "$home" "$plugin" "$RIG_JAVA_HOME"
        rig_install_plugin "$home" "$seczip" "$RIG_JAVA_HOME"
        mkdir -p "$home/.rig-security-defaults"
        unzip -q -j "$seczip" 'config/*.yml' -d "$home/.rig-security-defaults"
        chmod -R a+rX "$home"
        rig_stamp "$home" "opensearch-$RIG_SECURE_VERSION security=$(rig_file_id "$seczip") plugin=$(rig_file_id "$plugin")"
    fi
    rig_build_keystore "$home" "$RIG_JAVA_HOME"
}

rig_prepare_next() {
    local zip home plugin
    [[ -x "$RIG_NEXT_JAVA_HOME/bin/java" ]] ||
        rig_die "no JDK for the 'next' node at $RIG_NEXT_JAVA_HOME (set SNAPMIG_RIG_NEXT_JAVA_HOME to a JDK 21+)"
    zip="$RIG_CACHE/dist/opensearch-$RIG_NEXT_VERSION.zip"
    rig_fetch "$RIG_NEXT_COORDS" "$zip"
    home="$RIG_DIST/opensearch-$RIG_NEXT_VERSION"
    if ! rig_stamped "$home" "opensearch-$RIG_NEXT_VERSION plugin=$(rig_file_id "$(rig_next_plugin_zip)")"; then
        rig_log "unpacking $(basename "$zip") into $home"
        rig_unpack "$zip" "$home"
        plugin="$(rig_build_next_s3_plugin "$home")"
        rig_install_plugin "$home" "$plugin" "$RIG_NEXT_JAVA_HOME"
        chmod -R a+rX "$home"
        rig_stamp "$home" "opensearch-$RIG_NEXT_VERSION plugin=$(rig_file_id "$plugin")"
    fi
    rig_build_keystore "$home" "$RIG_NEXT_JAVA_HOME"
}

rig_prepare_elasticsearch() {
    local zip home
    zip="$RIG_CACHE/dist/elasticsearch-$RIG_ES_VERSION.zip"
    rig_fetch "$RIG_ES_COORDS" "$zip"
    home="$RIG_DIST/elasticsearch-$RIG_ES_VERSION"
    if ! rig_stamped "$home" "elasticsearch-$RIG_ES_VERSION"; then
        rig_log "unpacking $(basename "$zip") into $home"
        rig_unpack "$zip" "$home"
        rig_stamp "$home" "elasticsearch-$RIG_ES_VERSION"
    fi
}

rig_prepare_s3proxy() {
    local jar="$RIG_CACHE/dist/s3proxy-$RIG_S3PROXY_VERSION.jar"
    rig_fetch "$RIG_S3PROXY_COORDS" "$jar"
    if [[ ! -s "$RIG_DIST/s3proxy-$RIG_S3PROXY_VERSION.jar" ]]; then
        cp "$jar" "$RIG_DIST/s3proxy-$RIG_S3PROXY_VERSION.jar.part"
        mv "$RIG_DIST/s3proxy-$RIG_S3PROXY_VERSION.jar.part" "$RIG_DIST/s3proxy-$RIG_S3PROXY_VERSION.jar"
        chmod 644 "$RIG_DIST/s3proxy-$RIG_S3PROXY_VERSION.jar"
    fi
}

# The go binary the rig builds Toxiproxy with: the first of $SNAPMIG_RIG_GO,
# 'go' on PATH, /usr/local/go/bin/go, /usr/lib/go/bin/go that is at least
# Go $RIG_TOXIPROXY_GO_MIN. Otherwise dies saying what it found.
rig_find_go() {
    local c v found="" seen=" "
    for c in "$RIG_GO" "$(command -v go 2>/dev/null)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
        [[ -n "$c" && -x "$c" && "$seen" != *" $(readlink -f "$c") "* ]] || continue
        seen+="$(readlink -f "$c") "
        if v="$(rig_go_version "$c")" && rig_version_ge "$v" "$RIG_TOXIPROXY_GO_MIN"; then
            echo "$c"
            return 0
        fi
        found+="${found:+, }$c is Go ${v:-of unknown version}"
    done
    rig_die "Toxiproxy $RIG_TOXIPROXY_VERSION is built from source and needs Go >= $RIG_TOXIPROXY_GO_MIN;" \
        "${found:-no 'go' on PATH or in /usr/local/go/bin} (Debian 12's golang-go is 1.19, too old)." \
        "Install Go >= $RIG_TOXIPROXY_GO_MIN (https://go.dev/dl) or set SNAPMIG_RIG_GO"
}

# rig_go_version GO: "1.26.8" for go1.26.8 (fails on a devel build).
rig_go_version() {
    local v
    v="$("$1" env GOVERSION 2>/dev/null)" || return 1
    v="${v#go}"
    [[ "$v" =~ ^[0-9]+\.[0-9]+ ]] || return 1
    echo "${v%% *}"
}

# rig_version_ge A B: version A >= version B (dotted numbers).
rig_version_ge() {
    [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" == "$2" ]]
}

rig_toxiproxy_cache() { echo "$RIG_CACHE/toxiproxy/$RIG_TOXIPROXY_VERSION"; }

# Build toxiproxy-server and toxiproxy-cli with 'go install' into the cache.
# GOPATH, GOMODCACHE and GOCACHE live under $RIG_CACHE/go, so nothing lands
# in ~/go; GOTOOLCHAIN=local forbids toolchain downloads. The build cache is
# dropped afterwards (the binaries are what is cached).
rig_build_toxiproxy() {
    local out="$1" go gover gohome log work
    go="$(rig_find_go)" || exit 1
    gover="$(rig_go_version "$go")"
    gohome="$RIG_CACHE/go"
    log="$RIG_CACHE/logs/go-toxiproxy-$RIG_TOXIPROXY_VERSION.log"
    work="$out.part"
    rm -rf "$work"
    mkdir -p "$work" "$gohome" "$RIG_CACHE/logs"
    rig_log "building toxiproxy $RIG_TOXIPROXY_VERSION with Go $gover ($go install through the Go module proxy)"
    if ! env GOPATH="$gohome" GOMODCACHE="$gohome/pkg/mod" GOCACHE="$gohome/cache" GOBIN="$work" \
        GOTOOLCHAIN=local GOFLAGS=-modcacherw CGO_ENABLED=0 \
        "$go" install -trimpath -ldflags "-s -w -X $RIG_TOXIPROXY_MODULE.Version=$RIG_TOXIPROXY_VERSION" \
        "$RIG_TOXIPROXY_MODULE/cmd/server@v$RIG_TOXIPROXY_VERSION" \
        "$RIG_TOXIPROXY_MODULE/cmd/cli@v$RIG_TOXIPROXY_VERSION" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rig_die "building toxiproxy $RIG_TOXIPROXY_VERSION failed (go install $RIG_TOXIPROXY_MODULE/cmd/server@v$RIG_TOXIPROXY_VERSION); full log: $log"
    fi
    mv "$work/server" "$work/toxiproxy-server"
    mv "$work/cli" "$work/toxiproxy-cli"
    "$work/toxiproxy-server" -version 2>&1 | grep -qF "version $RIG_TOXIPROXY_VERSION" ||
        rig_die "the toxiproxy-server just built does not report version $RIG_TOXIPROXY_VERSION"
    rm -rf "$out"
    mv "$work" "$out"
    rm -rf "$gohome/cache"
}

# Built once into the cache, then copied into $RIG_DIST (the cache under
# /root is not readable by the rig user). Warm runs only compare stamps.
rig_prepare_toxiproxy() {
    local cached dest
    cached="$(rig_toxiproxy_cache)"
    if [[ ! -x "$cached/toxiproxy-server" || ! -x "$cached/toxiproxy-cli" ]]; then
        rig_build_toxiproxy "$cached"
    fi
    dest="$RIG_DIST/toxiproxy-$RIG_TOXIPROXY_VERSION"
    if ! rig_stamped "$dest" "toxiproxy-$RIG_TOXIPROXY_VERSION $(rig_file_id "$cached/toxiproxy-server")"; then
        rm -rf "$dest"
        mkdir -p "$dest"
        cp "$cached/toxiproxy-server" "$cached/toxiproxy-cli" "$dest/"
        chmod 755 "$dest" "$dest/toxiproxy-server" "$dest/toxiproxy-cli"
        rig_stamp "$dest" "toxiproxy-$RIG_TOXIPROXY_VERSION $(rig_file_id "$cached/toxiproxy-server")"
    fi
}

rig_home() {
    case "$1" in
        source | target) echo "$RIG_DIST/opensearch-$RIG_OS_VERSION" ;;
        next) echo "$RIG_DIST/opensearch-$RIG_NEXT_VERSION" ;;
        secure) echo "$RIG_DIST/opensearch-$RIG_SECURE_VERSION-security" ;;
        legacy) echo "$RIG_DIST/elasticsearch-$RIG_ES_VERSION" ;;
        s3) echo "$RIG_DIST/s3proxy-$RIG_S3PROXY_VERSION.jar" ;;
        toxiproxy) echo "$RIG_DIST/toxiproxy-$RIG_TOXIPROXY_VERSION/toxiproxy-server" ;;
    esac
}

rig_java_for() {
    case "$1" in
        next) echo "$RIG_NEXT_JAVA_HOME" ;;
        *) echo "$RIG_JAVA_HOME" ;;
    esac
}

# ------------------------------------------------------ node config

# jvm.options of the distribution with the heap, GC and log settings replaced:
# heap comes from *_JAVA_OPTS, SerialGC + C1 keep memory and startup small.
rig_write_jvm_options() {
    local home="$1" conf="$2" logs="$3"
    grep -vE '^-Xm[sx]|AlwaysPreTouch|G1|CMS|ConcMarkSweep|Xlog:gc|Xloggc|PrintGC|PrintTenuring|GCLog|HeapDump|ErrorFile' \
        "$home/config/jvm.options" >"$conf/jvm.options"
    cat >>"$conf/jvm.options" <<EOF

## snapmig rig
-XX:+UseSerialGC
-XX:-AlwaysPreTouch
-XX:TieredStopAtLevel=1
-Xss1m
-XX:-HeapDumpOnOutOfMemoryError
-XX:ErrorFile=$logs/hs_err_pid%p.log
EOF
}

rig_write_search_config() {
    local name="$1" home conf dir port kind
    home="$(rig_home "$name")"
    dir="$(rig_node_dir "$name")"
    conf="$dir/config"
    port="$(rig_port "$name")"
    kind="$(rig_kind "$name")"
    mkdir -p "$conf/jvm.options.d" "$dir/data" "$dir/logs" "$dir/tmp"
    cp "$home/config/log4j2.properties" "$conf/"
    rig_write_jvm_options "$home" "$conf" "$dir/logs"
    {
        echo "cluster.name: snapmig-rig-$name"
        echo "node.name: $name"
        echo "path.data: $dir/data"
        echo "path.logs: $dir/logs"
        echo "path.repo: [\"$RIG_FS_REPO\"]"
        echo "network.host: 127.0.0.1"
        echo "http.port: $port"
        echo "transport.port: $((port + RIG_TRANSPORT_OFFSET))"
        echo "discovery.type: single-node"
        echo "cluster.routing.allocation.disk.threshold_enabled: false"
        # The parent circuit breaker counts the heap's real usage, garbage
        # not yet collected included: after a benchmark's restores of 2
        # million documents these 512 MiB nodes sat at the limit for
        # minutes and the next tests' requests got HTTP 429
        # circuit_breaking_exception.  The breakers' own accounting stays.
        echo "indices.breaker.total.use_real_memory: false"
        if [[ "$kind" == opensearch ]]; then
            echo "s3.client.default.endpoint: 127.0.0.1:$RIG_S3_PORT"
            echo "s3.client.default.protocol: http"
            echo "s3.client.default.path_style_access: true"
            echo "s3.client.default.region: $RIG_S3_REGION"
        fi
    } >"$conf/$kind.yml"
    if [[ "$kind" == opensearch ]]; then
        cp "$home/.rig-keystore/opensearch.keystore" "$conf/opensearch.keystore"
    fi
    if [[ "$name" == secure ]]; then
        rig_secure_write_config "$conf"
    fi
}

rig_write_s3_config() {
    local dir
    dir="$(rig_node_dir s3)"
    mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
    cat >"$dir/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$RIG_S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$RIG_S3_ACCESS_KEY
s3proxy.credential=$RIG_S3_SECRET_KEY
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
EOF
}

# --------------------------------------------------------------- start

rig_start_component() {
    local name="$1" dir home java kind port
    dir="$(rig_node_dir "$name")"
    home="$(rig_home "$name")"
    java="$(rig_java_for "$name")"
    kind="$(rig_kind "$name")"
    port="$(rig_port "$name")"
    rm -rf "$dir"
    mkdir -p "$dir/logs"
    case "$kind" in
        s3proxy) rig_write_s3_config ;;
        toxiproxy)
            # No proxies at start; tests create their own through the API.
            # The path also puts the run dir on the command line, which is
            # how rig_running_pid recognises the process.
            mkdir -p "$dir/tmp"
            echo '[]' >"$dir/toxiproxy.json"
            ;;
        *) rig_write_search_config "$name" ;;
    esac
    rig_own "$dir"
    case "$kind" in
        opensearch)
            (
                rig_as_user env HOME="$dir/tmp" OPENSEARCH_PATH_CONF="$dir/config" OPENSEARCH_JAVA_HOME="$java" \
                    JAVA_HOME="$java" OPENSEARCH_TMPDIR="$dir/tmp" OPENSEARCH_JAVA_OPTS="-Xms$RIG_HEAP -Xmx$RIG_HEAP" \
                    "$home/bin/opensearch" -d -p "$dir/pid"
            ) >"$dir/logs/launcher.log" 2>&1 </dev/null &
            ;;
        elasticsearch)
            (
                rig_as_user env HOME="$dir/tmp" ES_PATH_CONF="$dir/config" ES_JAVA_HOME="$java" JAVA_HOME="$java" \
                    ES_TMPDIR="$dir/tmp" ES_JAVA_OPTS="-Xms$RIG_HEAP -Xmx$RIG_HEAP" \
                    "$home/bin/elasticsearch" -d -p "$dir/pid"
            ) >"$dir/logs/launcher.log" 2>&1 </dev/null &
            ;;
        s3proxy)
            (
                cd "$dir" || exit 1
                rig_as_user env HOME="$dir/tmp" "$java/bin/java" -Xms64m -Xmx256m -XX:+UseSerialGC \
                    -XX:TieredStopAtLevel=1 -Djava.io.tmpdir="$dir/tmp" \
                    -jar "$home" --properties "$dir/s3proxy.conf"
            ) >"$dir/logs/s3proxy.log" 2>&1 </dev/null &
            echo "$!" >"$dir/pid"
            ;;
        toxiproxy)
            (
                cd "$dir" || exit 1
                rig_as_user env HOME="$dir/tmp" "$home" -host 127.0.0.1 -port "$port" \
                    -config "$dir/toxiproxy.json"
            ) >"$dir/logs/toxiproxy.log" 2>&1 </dev/null &
            echo "$!" >"$dir/pid"
            ;;
    esac
    RIG_LAUNCHERS["$name"]=$!
}

# ------------------------------------------------------------- health

# Echo the health of a component: green/yellow/red for search nodes, "up"
# for S3 and Toxiproxy; fail when it does not answer or is not the rig's own
# server.
rig_health() {
    local name="$1" url body
    url="$(rig_url "$name")"
    case "$(rig_kind "$name")" in
        s3proxy)
            local code
            code="$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$url/" 2>/dev/null)" || return 1
            [[ "$code" =~ ^[2-5][0-9][0-9]$ ]] || return 1
            echo up
            ;;
        toxiproxy)
            body="$(curl -sf -m 3 "$url/version" 2>/dev/null)" || return 1
            [[ "$(jq -r .version <<<"$body" 2>/dev/null)" == "$RIG_TOXIPROXY_VERSION" ]] || return 1
            echo up
            ;;
        *)
            if [[ "$name" == secure ]]; then
                # Only once its security index and users exist (rig_secure_init).
                [[ -f "$RIG_SECURE_CLIENT/initialised" ]] || return 1
                body="$(curl -sf -m 3 -K "$RIG_SECURE_CLIENT/admin.curlrc" "$url/_cluster/health" 2>/dev/null)" || return 1
            else
                body="$(curl -sf -m 3 "$url/_cluster/health" 2>/dev/null)" || return 1
            fi
            [[ "$(jq -r .cluster_name <<<"$body")" == "snapmig-rig-$name" ]] || return 1
            jq -r .status <<<"$body"
            ;;
    esac
}

rig_s3_curl() {
    curl -s -m 10 -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
        --aws-sigv4 "aws:amz:$RIG_S3_REGION:s3" --user "$RIG_S3_ACCESS_KEY:$RIG_S3_SECRET_KEY" "$@"
}

rig_ensure_bucket() {
    local url code
    url="$(rig_url s3)/$RIG_S3_BUCKET"
    code="$(rig_s3_curl -o /dev/null -w '%{http_code}' "$url")" || code=000
    if [[ "$code" == 404 ]]; then
        code="$(rig_s3_curl -o "$RIG_DIR/s3/logs/create-bucket.out" -w '%{http_code}' -X PUT "$url")" || code=000
        [[ "$code" == 200 || "$code" == 409 ]] ||
            rig_die "creating bucket $RIG_S3_BUCKET failed (HTTP $code): $(cat "$RIG_DIR/s3/logs/create-bucket.out" 2>/dev/null)"
        code="$(rig_s3_curl -o /dev/null -w '%{http_code}' "$url")" || code=000
    fi
    [[ "$code" == 200 ]] || rig_die "signed listing of bucket $RIG_S3_BUCKET returned HTTP $code (credentials or signature problem?)"
}

# Wait until every named component is healthy, all in one deadline-bounded
# poll loop. A component whose process is gone fails fast with its log tail.
rig_wait_healthy() {
    local deadline=$((SECONDS + RIG_TIMEOUT)) name health failed=0 started="$1"
    shift
    local -a pending=("$@") still
    while ((${#pending[@]} > 0)); do
        still=()
        for name in "${pending[@]}"; do
            # Work a server needs once it answers (the secure node's security
            # index and users); 2 = it failed and said why.
            local post=0
            [[ "$name" == secure ]] && { rig_secure_poststart || post=$?; }
            if ((post == 2)); then
                failed=1
                continue
            fi
            if ((post == 0)) && health="$(rig_health "$name")" && [[ "$health" != red ]]; then
                rig_log "$name ($(rig_describe "$name")) healthy at $(rig_url "$name") [$health] after $(rig_elapsed "$started")s"
                continue
            fi
            local launcher="${RIG_LAUNCHERS[$name]:-}"
            if [[ -n "$launcher" ]] && ! kill -0 "$launcher" 2>/dev/null; then
                # The launcher finished. 'bin/opensearch -d' exits as soon as the
                # JVM is forked, so that is normal; a non-zero code is not.
                local lrc=0
                wait "$launcher" 2>/dev/null || lrc=$?
                unset "RIG_LAUNCHERS[$name]"
                RIG_LAUNCHER_DONE["$name"]=$SECONDS
                if ((lrc != 0)); then
                    rig_err "$name failed to start (launcher exit code $lrc)"
                    rig_print_log_tail "$name"
                    failed=1
                    continue
                fi
            fi
            # Without a live launcher the server process must exist (its pid
            # file may take a few seconds to appear after the launcher exits).
            if [[ -z "${RIG_LAUNCHERS[$name]:-}" ]] && ! rig_running_pid "$name" >/dev/null &&
                ((SECONDS - ${RIG_LAUNCHER_DONE[$name]:--1000} > 30)); then
                rig_err "$name exited during startup"
                rig_print_log_tail "$name"
                failed=1
                continue
            fi
            still+=("$name")
        done
        pending=("${still[@]+"${still[@]}"}")
        ((${#pending[@]} == 0)) && break
        if ((SECONDS >= deadline)); then
            for name in "${pending[@]}"; do
                rig_err "$name not healthy at $(rig_url "$name") within ${RIG_TIMEOUT}s (SNAPMIG_RIG_TIMEOUT)"
                rig_print_log_tail "$name"
            done
            return 1
        fi
        sleep 0.5
    done
    return "$failed"
}

# ------------------------------------------------------------ commands

declare -A RIG_LAUNCHERS=() RIG_LAUNCHER_DONE=()

# rig_select DEFAULT... -- NAME...: the NAMEs (each a known component, no
# repeats) or, when none is given, the DEFAULT list.
rig_select() {
    local -a defaults=() picked=()
    local name known
    while [[ $# -gt 0 && "$1" != -- ]]; do
        defaults+=("$1")
        shift
    done
    [[ $# -gt 0 ]] && shift
    if [[ $# -eq 0 ]]; then
        echo "${defaults[@]}"
        return 0
    fi
    known=" $(rig_all_known) "
    for name in "$@"; do
        [[ "$known" == *" $name "* ]] || rig_die "unknown server '$name' (one of:$known)"
        [[ " ${picked[*]-} " == *" $name "* ]] || picked+=("$name")
    done
    echo "${picked[@]}"
}

cmd_up() {
    local started name pid
    started="$(rig_now)"
    rig_need curl curl
    rig_need jq jq

    # What is already running (ours) and which ports are taken by others.
    local -a to_start=() running=() all=()
    local selected
    # shellcheck disable=SC2046
    selected="$(rig_select $(rig_components_wanted) -- "$@")" || exit 1
    read -r -a all <<<"$selected"
    for name in "${all[@]}"; do
        rig_check_port_value "$(rig_port_var "$name")" "$(rig_port "$name")"
    done
    for name in "${all[@]}"; do
        if pid="$(rig_running_pid "$name")"; then
            running+=("$name")
        else
            local port p
            port="$(rig_port "$name")"
            for p in "$port" $(rig_has_transport "$name" && echo $((port + RIG_TRANSPORT_OFFSET))); do
                if rig_port_in_use "$p"; then
                    rig_die "port $p (needed by $name) is already in use by a process the rig did not start; set $(rig_port_var "$name") to a free port$([[ "$p" != "$port" ]] && echo " (transport port = HTTP port + $RIG_TRANSPORT_OFFSET)")"
                fi
            done
            to_start+=("$name")
        fi
    done

    local want_s3=0
    [[ " ${all[*]} " == *" s3 "* ]] && want_s3=1
    if ((${#to_start[@]} == 0)); then
        rig_log "already up (${running[*]}); checking health"
        rig_wait_healthy "$started" "${all[@]}" || rig_die "rig is running but not healthy"
        ((want_s3)) && rig_ensure_bucket
        rig_log "up (no-op) in $(rig_elapsed "$started")s"
        return 0
    fi
    for name in "${to_start[@]}"; do
        [[ "$(rig_kind "$name")" == toxiproxy || "$name" == next ]] && continue
        [[ -x "$RIG_JAVA_HOME/bin/java" ]] ||
            rig_die "no Java 17 at $RIG_JAVA_HOME (Debian: apt-get install -y openjdk-17-jdk-headless) or set SNAPMIG_RIG_JAVA_HOME"
        break
    done

    rig_ensure_user
    mkdir -p "$RIG_DIR" "$RIG_DIST" "$RIG_CACHE"
    chmod 755 "$RIG_DIR" "$RIG_DIST"
    if rig_is_root && ! setpriv --reuid="$RIG_USER" --regid="$RIG_USER" --init-groups test -x "$RIG_DIR"; then
        rig_die "user $RIG_USER cannot reach $RIG_DIR; set SNAPMIG_RIG_DIR to a directory outside private home dirs"
    fi

    # Fresh shared repository and bucket data when no server that keeps data
    # (search nodes, S3) was running; Toxiproxy keeps none.
    local data_running=0
    for name in $(rig_all_known); do
        [[ "$(rig_kind "$name")" == toxiproxy ]] && continue
        rig_running_pid "$name" >/dev/null && data_running=1
    done
    if ((data_running == 0)); then
        rm -rf "$RIG_FS_REPO"
    fi
    mkdir -p "$RIG_FS_REPO"
    chmod 775 "$RIG_FS_REPO"
    rig_own "$RIG_FS_REPO"

    # Downloads / installs (cached), only for what must start.
    local need_os2=0 need_es=0 need_s3=0 need_next=0 need_toxiproxy=0 need_secure=0
    for name in "${to_start[@]}"; do
        case "$name" in
            source | target) need_os2=1 ;;
            legacy) need_es=1 ;;
            s3) need_s3=1 ;;
            next) need_next=1 ;;
            toxiproxy) need_toxiproxy=1 ;;
            secure) need_secure=1 ;;
        esac
    done
    # Toxiproxy first: a missing Go fails before the large downloads.
    ((need_toxiproxy)) && rig_prepare_toxiproxy
    ((need_s3)) && rig_prepare_s3proxy
    ((need_os2)) && rig_prepare_opensearch_2
    ((need_es)) && rig_prepare_elasticsearch
    ((need_next)) && rig_prepare_next
    ((need_secure)) && rig_prepare_secure
    rig_log "prepared installs in $(rig_elapsed "$started")s; starting: ${to_start[*]}"

    for name in "${to_start[@]}"; do
        rig_start_component "$name"
    done
    if ! rig_wait_healthy "$started" "${all[@]}"; then
        rig_err "rig up failed; servers that did start are left running (stop them with: tests/rig/rig down)"
        exit 1
    fi
    ((want_s3)) && rig_ensure_bucket
    rig_log "up in $(rig_elapsed "$started")s; run dir $RIG_DIR; eval \"\$(tests/rig/rig env)\" for the URLs"
}

rig_all_known() {
    local c=("${RIG_CORE_COMPONENTS[@]}" next)
    echo "${c[@]}"
}

cmd_down() {
    local name pid deadline selected
    local -A pids=()
    # shellcheck disable=SC2046
    selected="$(rig_select $(rig_all_known) -- "$@")" || exit 1
    for name in $selected; do
        if pid="$(rig_running_pid "$name")"; then
            pids["$name"]="$pid"
        else
            rm -f "$(rig_pidfile "$name")"
        fi
    done
    if ((${#pids[@]} == 0)); then
        rig_log "nothing running (run dir $RIG_DIR)"
        return 0
    fi
    for name in "${!pids[@]}"; do
        rig_log "stopping $name (pid ${pids[$name]})"
        kill -TERM "${pids[$name]}" 2>/dev/null || true
    done
    deadline=$((SECONDS + RIG_STOP_TIMEOUT))
    while :; do
        local alive=0
        for name in "${!pids[@]}"; do
            if kill -0 "${pids[$name]}" 2>/dev/null; then
                alive=1
            fi
        done
        ((alive == 0)) && break
        if ((SECONDS >= deadline)); then
            for name in "${!pids[@]}"; do
                if kill -0 "${pids[$name]}" 2>/dev/null; then
                    rig_log "$name (pid ${pids[$name]}) did not stop within ${RIG_STOP_TIMEOUT}s; sending SIGKILL"
                    kill -KILL "${pids[$name]}" 2>/dev/null || true
                fi
            done
            deadline=$((SECONDS + 10))
            RIG_STOP_TIMEOUT=0
        fi
        sleep 0.2
    done
    for name in "${!pids[@]}"; do
        rm -f "$(rig_pidfile "$name")"
    done
    rig_log "down"
}

cmd_status() {
    local name pid health any=0
    printf '%-9s %-22s %-8s %-24s %-7s %s\n' NAME SERVER PID URL HEALTH LOG
    for name in $(rig_all_known); do
        if pid="$(rig_running_pid "$name")"; then
            any=1
            health="$(rig_health "$name" 2>/dev/null)" || health=down
        else
            [[ "$name" == next && "$RIG_NEXT" != 1 && ! -d "$RIG_DIR/next" ]] && continue
            pid=-
            health=stopped
        fi
        printf '%-9s %-22s %-8s %-24s %-7s %s\n' "$name" "$(rig_describe "$name")" "$pid" "$(rig_url "$name")" \
            "$health" "$(rig_logfile "$name")"
    done
    echo "run dir: $RIG_DIR   fs repo: $RIG_FS_REPO   cache: $RIG_CACHE"
    ((any)) || echo "(nothing running)"
}

cmd_env() {
    local line
    for line in \
        "SNAPMIG_RIG_SOURCE_URL=$(rig_url source)" \
        "SNAPMIG_RIG_TARGET_URL=$(rig_url target)" \
        "SNAPMIG_RIG_LEGACY_URL=$(rig_url legacy)" \
        "SNAPMIG_RIG_S3_URL=$(rig_url s3)" \
        "SNAPMIG_RIG_TOXIPROXY_URL=$(rig_url toxiproxy)" \
        "SNAPMIG_RIG_S3_ACCESS_KEY=$RIG_S3_ACCESS_KEY" \
        "SNAPMIG_RIG_S3_SECRET_KEY=$RIG_S3_SECRET_KEY" \
        "SNAPMIG_RIG_S3_BUCKET=$RIG_S3_BUCKET" \
        "SNAPMIG_RIG_S3_REGION=$RIG_S3_REGION" \
        "SNAPMIG_RIG_FS_REPO=$RIG_FS_REPO" \
        "SNAPMIG_RIG_DIR=$RIG_DIR"; do
        printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"
    done
    if rig_running_pid next >/dev/null; then
        printf 'export SNAPMIG_RIG_NEXT_URL=%q\n' "$(rig_url next)"
    fi
    printf 'export SNAPMIG_RIG_SECURE_URL=%q\n' "$(rig_url secure)"
    # The CA and the passwords only while 'secure' runs (they change at each 'up').
    if rig_running_pid secure >/dev/null && [[ -r "$RIG_SECURE_CLIENT/passwords" ]]; then
        local user pw
        printf 'export SNAPMIG_RIG_SECURE_CA=%q\n' "$(rig_secure_ca)"
        for user in "${RIG_SECURE_USERS[@]}"; do
            pw="$(rig_secure_password "$user")" || continue
            printf 'export SNAPMIG_RIG_SECURE_%s_PASSWORD=%q\n' "${user^^}" "$pw"
        done
    fi
}

# rig_node_curl NODE CURL_ARGS...: curl to a rig node; for 'secure' as its
# admin user with the rig's CA (from a curl config file: no password on the
# command line).
rig_node_curl() {
    local node="$1"
    shift
    if [[ "$node" == secure ]]; then
        [[ -r "$RIG_SECURE_CLIENT/admin.curlrc" ]] || rig_die "secure is not initialised (tests/rig/rig up secure)"
        curl -K "$RIG_SECURE_CLIENT/admin.curlrc" "$@"
    else
        curl "$@"
    fi
}

cmd_seed() {
    local indices=2 docs=1000 node=source prefix=rig-logs
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --indices) indices="${2:?--indices needs a value}"; shift 2 ;;
            --docs) docs="${2:?--docs needs a value}"; shift 2 ;;
            --node) node="${2:?--node needs a value}"; shift 2 ;;
            --prefix) prefix="${2:?--prefix needs a value}"; shift 2 ;;
            --indices=*) indices="${1#*=}"; shift ;;
            --docs=*) docs="${1#*=}"; shift ;;
            --node=*) node="${1#*=}"; shift ;;
            --prefix=*) prefix="${1#*=}"; shift ;;
            *) rig_die "seed: unknown option '$1' (seed [--indices N] [--docs M] [--node source|target|legacy|next|secure] [--prefix P])" ;;
        esac
    done
    [[ "$indices" =~ ^[0-9]+$ && "$docs" =~ ^[0-9]+$ ]] || rig_die "seed: --indices and --docs take non-negative integers"
    [[ "$prefix" =~ ^[a-z0-9][a-z0-9._-]*$ ]] || rig_die "seed: --prefix must be a lowercase index name prefix"
    case "$node" in source | target | legacy | next | secure) ;; *) rig_die "seed: --node must be source, target, legacy, next or secure" ;; esac
    rig_need curl curl
    rig_need jq jq
    rig_running_pid "$node" >/dev/null || rig_die "seed: $node is not running (tests/rig/rig up)"
    local url i index resp batch=2000 from count
    url="$(rig_url "$node")"
    local mapping='{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{
        "id":{"type":"long"},"index_no":{"type":"long"},"ts":{"type":"date"},"level":{"type":"keyword"},
        "service":{"type":"keyword"},"host":{"type":"keyword"},"bytes":{"type":"long"},"status":{"type":"long"}}}}'
    for ((i = 0; i < indices; i++)); do
        index="$(printf '%s-%03d' "$prefix" "$i")"
        if rig_node_curl "$node" -sf -m 30 -o /dev/null -I "$url/$index"; then
            rig_log "seed: $index exists on $node; recreating it"
            rig_node_curl "$node" -sf -m 60 -o /dev/null -X DELETE "$url/$index" || rig_die "seed: could not delete $index"
        fi
        resp="$(rig_node_curl "$node" -s -m 60 -X PUT "$url/$index" -H 'Content-Type: application/json' -d "$mapping")"
        [[ "$(jq -r '.acknowledged // false' <<<"$resp")" == true ]] || rig_die "seed: creating $index on $node failed: $resp"
        for ((from = 0; from < docs; from += batch)); do
            resp="$(awk -v idx="$index" -v ino="$i" -v from="$from" -v to="$((from + batch < docs ? from + batch : docs))" 'BEGIN {
                split("DEBUG INFO WARN ERROR", lv, " ")
                for (d = from; d < to; d++) {
                    printf "{\"index\":{\"_index\":\"%s\",\"_id\":\"%d\"}}\n", idx, d
                    printf "{\"id\":%d,\"index_no\":%d,\"ts\":%.0f,\"level\":\"%s\",\"service\":\"svc-%d\",\"host\":\"host-%02d\",\"bytes\":%d,\"status\":%d}\n",
                        d, ino, 1704067200000 + d * 60000 + ino, lv[(d % 4) + 1], d % 7, (d * 3 + ino) % 10, (d * 7919 + ino) % 100000, (d % 10 == 0) ? 500 : 200
                }
            }' | rig_node_curl "$node" -s -m 120 -X POST "$url/_bulk" -H 'Content-Type: application/x-ndjson' --data-binary @-)"
            [[ "$(jq -r '.errors' <<<"$resp")" == false ]] ||
                rig_die "seed: bulk into $index on $node failed: $(jq -c '[.items[]?.index.error // empty][0] // .' <<<"$resp" | head -c 500)"
        done
        rig_node_curl "$node" -sf -m 60 -o /dev/null -X POST "$url/$index/_refresh" || rig_die "seed: refresh of $index failed"
        count="$(rig_node_curl "$node" -sf -m 30 "$url/$index/_count" | jq -r .count)"
        [[ "$count" == "$docs" ]] || rig_die "seed: $index has $count docs, expected $docs"
        printf '%s %s\n' "$index" "$count"
    done
    rig_log "seed: created $indices index(es) with $docs docs each on $node ($url)"
}

cmd_clean() {
    cmd_down
    if [[ -d "$RIG_DIR" ]]; then
        rig_log "removing $RIG_DIR"
        rm -rf "$RIG_DIR"
    fi
}
