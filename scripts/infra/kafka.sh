# Kafka for scripts/infra.sh: a real single-node broker (KRaft, broker and controller in one JVM) on
# loopback, run from jars Maven fetches into .local/kafka; up, down, status and what they need. Sourced by
# infra.sh after lib.sh, common.sh and its settings (KAFKA_VERSION, KAFKA_PORT, ...), never run.

# Where the broker keeps its state, under .local/kafka.
KAFKA_HOST=127.0.0.1
KAFKA_DIR=$LOCAL_DIR/kafka
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_LOGS=$KAFKA_DIR/logs
KAFKA_PID_FILE=$KAFKA_DIR/kafka.pid
KAFKA_PROPS=$KAFKA_DIR/server.properties
KAFKA_CLUSTER_ID_FILE=$KAFKA_DIR/cluster.id
KAFKA_RUNNING_FILE=$KAFKA_DIR/kafka.running # "VERSION PORT CONTROLLER_PORT" of the broker in kafka.pid
KAFKA_FORMATTED_BY_FILE=$KAFKA_DIR/data.formatted-by    # version that formatted data/
KAFKA_LOG4J=$REPO_ROOT/scripts/kafka/log4j2.yaml
KAFKA_POM=$REPO_ROOT/scripts/kafka/pom.xml
KAFKA_HUNG_WAIT=15 # s a started broker gets to answer before we call it hung and restart it

# `env` prints the local addresses, so after eval "$(infra.sh env)" they are set
# in the shell; they still mean "the local service", which up/down/status manage.
# KAFKA_BROKERS set to anything else is an external broker (pg_is_external likewise).
kafka_is_external() { [[ -n ${KAFKA_BROKERS:-} && $KAFKA_BROKERS != "$KAFKA_HOST:$KAFKA_PORT" ]]; }

# kafka_answers HOST PORT: the broker replies to an ApiVersions request. Unlike a
# TCP connect this fails for a stopped or wedged JVM, whose kernel still accepts.
kafka_answers() {
  local reply bytes
  # ApiVersions v0: length 15, api_key 18, api_version 0, correlation_id 1, client_id "infra".
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner shell
  reply=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x01\x00\x05infra" >&3
    head -c 8 <&3 | od -An -tx1' "$1" "$2" 2>/dev/null) || return 1
  read -r -a bytes <<<"$reply"
  # The response starts with its length, then echoes our correlation id.
  [[ ${#bytes[@]} -eq 8 && "${bytes[4]}${bytes[5]}${bytes[6]}${bytes[7]}" == 00000001 ]]
}

# is_our_kafka PID: a live process running the broker with our server.properties,
# so a recycled pid is never mistaken for the broker.
is_our_kafka() {
  [[ -n $1 && -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "kafka.Kafka $KAFKA_PROPS"
}

# first_broker_reachable: the first of KAFKA_BROKERS (host:port, [v6]:port, with or
# without a scheme) accepts TCP connections; sets BROKER_HOST and BROKER_PORT. Only
# TCP: an external broker may speak TLS or SASL, which an ApiVersions probe would fail.
first_broker_reachable() {
  local first=${KAFKA_BROKERS%%,*}
  first=${first// /}
  first=${first#*://}
  BROKER_PORT=${first##*:}
  BROKER_HOST=${first%:*}
  BROKER_HOST=${BROKER_HOST#[}
  BROKER_HOST=${BROKER_HOST%]}
  tcp_open "$BROKER_HOST" "$BROKER_PORT"
}

kafka_pid() { [[ -s $KAFKA_PID_FILE ]] && cat "$KAFKA_PID_FILE"; }

# Sets RUNNING_VERSION, RUNNING_PORT, RUNNING_CONTROLLER_PORT from kafka.running.
kafka_read_running() {
  RUNNING_VERSION='?' RUNNING_PORT=$KAFKA_PORT RUNNING_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
  [[ -s $KAFKA_RUNNING_FILE ]] && read -r RUNNING_VERSION RUNNING_PORT RUNNING_CONTROLLER_PORT <"$KAFKA_RUNNING_FILE"
  return 0
}

# kafka_stop_pid PID GRACE: TERM, then KILL after GRACE seconds.
kafka_stop_pid() {
  local pid=$1 grace=$2 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true # a SIGSTOPped broker only sees TERM once resumed
  while alive "$pid" && ((waited < grace)); do sleep 1; waited=$((waited + 1)); done
  if alive "$pid"; then
    log "kafka: pid $pid still running after ${grace} s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    waited=0
    while alive "$pid" && ((waited < 50)); do sleep 0.2; waited=$((waited + 1)); done
  fi
}

ensure_java() {
  if ! have java; then
    local pkg
    pkg=$(java_apt_package)
    log "kafka: java not found; installing $pkg"
    apt_install "$pkg" ||
      die "kafka: java is missing and could not be installed: $APT_WHY" \
        "install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)," \
        "or use an existing broker: export KAFKA_BROKERS=host:9092"
  fi
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  if [[ -n $major ]] && ((major < 17)); then
    die "kafka: found Java $major at $(command -v java); Kafka 4 needs Java 17 or newer" \
      "install one (Debian: apt-get install openjdk-17-jre-headless) and select it with update-alternatives," \
      "or use an existing broker: export KAFKA_BROKERS=host:9092"
  fi
}

ensure_maven() {
  have mvn && return 0
  log "kafka: mvn not found; installing maven (needed once, to fetch the Kafka jars)"
  apt_install maven ||
    die "kafka: Maven is missing and could not be installed: $APT_WHY" \
      "install Maven 3.6+ (Debian: apt-get install maven)," \
      "or use an existing broker: export KAFKA_BROKERS=host:9092"
}

kafka_libs() { echo "$KAFKA_DIR/$1/libs"; }

# kafka_fetch_jars VERSION: the broker's runtime jars in .local/kafka/VERSION/libs.
# The .complete marker is written last, so an interrupted copy is redone.
kafka_fetch_jars() {
  local version=$1 libs mvn_log
  libs=$(kafka_libs "$version")
  if [[ -f $libs/.complete && -f $libs/kafka_2.13-$version.jar ]]; then return 0; fi
  ensure_maven
  log "kafka: downloading jars $version from Maven Central (first run only)..."
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn_log=$KAFKA_DIR/$version/mvn.log
  local profiles=()
  [[ $version == 3.* ]] && profiles=(-Pkafka3)
  if mvn -B -q -f "$KAFKA_POM" "${profiles[@]}" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" -Dkafka.version="$version" \
    >"$mvn_log" 2>&1 && [[ -f $libs/kafka_2.13-$version.jar ]]; then
    touch "$libs/.complete"
    log "kafka: $(find "$libs" -name '*.jar' | wc -l) jars in ${libs#"$REPO_ROOT"/}"
    return 0
  fi
  log "kafka: could not resolve Kafka $version with Maven:"
  # Maven's first [ERROR] line names the cause; strip the colour codes -B leaves in.
  { grep -m 1 '\[ERROR\]' "$mvn_log" || tail -n 5 "$mvn_log"; } | sed 's/\x1b\[[0-9;]*m//g; s/^/    /' >&2
  log "kafka: full Maven output: $mvn_log"
  return 1
}

# Sets KAFKA_RUN_VERSION to KAFKA_VERSION or the first fallback that resolves.
kafka_choose_version() {
  local version failed=()
  for version in "$KAFKA_VERSION" "${KAFKA_FALLBACK_VERSIONS[@]}"; do
    [[ $version == "$KAFKA_VERSION" && ${#failed[@]} -gt 0 ]] && continue
    if kafka_fetch_jars "$version"; then
      KAFKA_RUN_VERSION=$version
      if ((${#failed[@]} > 0)); then
        log "kafka: WARNING: Kafka ${failed[*]} could not be resolved; using $version instead"
      fi
      return 0
    fi
    failed+=("$version")
  done
  die "kafka: none of Kafka ${failed[*]} could be fetched from Maven Central" \
    "check network access to Maven Central and the Maven output under .local/kafka/<version>/mvn.log," \
    "or use an existing broker: export KAFKA_BROKERS=host:9092"
}

kafka_write_properties() {
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOGS"
  cat >"$KAFKA_PROPS" <<EOF
# Generated by scripts/infra.sh on every start; edit the script, not this file.
# Single-node KRaft: this JVM is both the broker and the only controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DATA

num.partitions=6
# Applications create their topics explicitly; a typo must not create a topic.
auto.create.topics.enable=false

# One broker, so every internal topic has one replica (Kafka 3.x ignores the
# share.coordinator keys with a warning).
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# 10 partitions instead of the default 50: creating these topics is what the
# first consumer group (and first transactional producer) waits for.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
# Tests start consumers one at a time; do not wait 3 s for more members.
group.initial.rebalance.delay.ms=0
EOF
}

kafka_format_storage() {
  local libs=$1
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  if [[ ! -s $KAFKA_CLUSTER_ID_FILE ]]; then
    java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOGS/format.log" | tail -n 1 >"$KAFKA_CLUSTER_ID_FILE"
  fi
  local cluster_id
  cluster_id=$(cat "$KAFKA_CLUSTER_ID_FILE")
  [[ $cluster_id =~ ^[A-Za-z0-9_-]{22}$ ]] ||
    die "kafka: could not generate a cluster id (got '$cluster_id'; see $KAFKA_LOGS/format.log)" \
      "remove $KAFKA_CLUSTER_ID_FILE and run 'up' again"
  log "kafka: formatting storage in ${KAFKA_DATA#"$REPO_ROOT"/} (cluster id $cluster_id; first start only)"
  # With controller.quorum.voters set, format must not get --standalone.
  if ! java -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" \
    >>"$KAFKA_LOGS/format.log" 2>&1; then
    tail -n 20 "$KAFKA_LOGS/format.log" >&2
    die "kafka: formatting the storage failed (output above, all of it in $KAFKA_LOGS/format.log)" \
      "if ${KAFKA_DATA#"$REPO_ROOT"/} holds leftovers of another run, remove it: rm -rf $KAFKA_DATA"
  fi
  echo "$KAFKA_RUN_VERSION" >"$KAFKA_FORMATTED_BY_FILE"
}

# kafka_started_since_marker: the log shows the broker started after the last
# line infra.sh wrote when launching it (older runs' "started" lines don't count).
kafka_started_since_marker() {
  [[ -f $KAFKA_LOGS/server.log ]] &&
    awk '/infra\.sh: starting Kafka/ { ok = 0 } /Kafka Server started/ { ok = 1 } END { exit !ok }' \
      "$KAFKA_LOGS/server.log"
}

kafka_show_log_tail() {
  log "kafka: last 30 lines of ${KAFKA_LOGS#"$REPO_ROOT"/}/server.log:"
  tail -n 30 "$KAFKA_LOGS/server.log" >&2 2>/dev/null || true
  if [[ -s $KAFKA_LOGS/stdout.log ]]; then
    log "kafka: JVM output (${KAFKA_LOGS#"$REPO_ROOT"/}/stdout.log):"
    tail -n 15 "$KAFKA_LOGS/stdout.log" >&2
  fi
}

kafka_launch() {
  local libs heap=()
  libs=$(kafka_libs "$KAFKA_RUN_VERSION")
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  mkdir -p "$KAFKA_LOGS"
  echo "[$(date '+%F %T')] infra.sh: starting Kafka $KAFKA_RUN_VERSION" >>"$KAFKA_LOGS/server.log"
  rm -f "$KAFKA_PID_FILE"
  log "kafka: starting Kafka $KAFKA_RUN_VERSION on $KAFKA_HOST:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  # setsid: its own session, so closing the terminal or Ctrl-C in `npm test` does
  # not take the broker down. The inner shell records its pid, then becomes java.
  # shellcheck disable=SC2016 # $$/$0/$@ are expanded by the inner shell
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
    java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_LOGS" \
    -cp "$libs/*" kafka.Kafka "$KAFKA_PROPS" \
    </dev/null >"$KAFKA_LOGS/stdout.log" 2>&1 &
  local tries=0
  until [[ -s $KAFKA_PID_FILE ]] || ((tries > 50)); do sleep 0.1; tries=$((tries + 1)); done
  [[ -s $KAFKA_PID_FILE ]] || die "kafka: the broker process did not start (see $KAFKA_LOGS/stdout.log)"
  echo "$KAFKA_RUN_VERSION $KAFKA_PORT $KAFKA_CONTROLLER_PORT" >"$KAFKA_RUNNING_FILE"
}

kafka_wait_started() {
  local pid=$1 start=$SECONDS
  printf '[%s] %s kafka: waiting up to %s s for the broker (pid %s) ' \
    "$LOG_PREFIX" "$(date +%H:%M:%S)" "$KAFKA_START_TIMEOUT" "$pid" >&2
  while :; do
    if ! alive "$pid"; then
      printf ' exited\n' >&2
      kafka_show_log_tail
      rm -f "$KAFKA_PID_FILE"
      die "kafka: the broker exited during start-up (log above)" \
        "if the data was written by another Kafka version, reset it: rm -rf $KAFKA_DATA"
    fi
    if kafka_answers "$KAFKA_HOST" "$KAFKA_PORT" && kafka_started_since_marker; then
      printf ' ready after %s s\n' $((SECONDS - start)) >&2
      return 0
    fi
    if ((SECONDS - start >= KAFKA_START_TIMEOUT)); then
      printf ' timed out\n' >&2
      kafka_show_log_tail
      die "kafka: the broker (pid $pid) did not start within $KAFKA_START_TIMEOUT s (log above); it is left running" \
        "if the machine is just slow, wait longer: KAFKA_START_TIMEOUT=300 scripts/infra.sh up" \
        "otherwise look for the cause in the log, and stop the broker with: scripts/infra.sh down"
    fi
    printf . >&2
    sleep 1
  done
}

# The broker recorded in kafka.pid is alive: 0 if it answers, else stop it and
# return 1. One launched less than KAFKA_START_TIMEOUT ago (say by an `up` that was
# interrupted) gets the rest of that time to start; an older one that does not
# answer within KAFKA_HUNG_WAIT, or one that is stopped (SIGSTOP), is hung.
kafka_check_running() {
  local pid=$1 start=$SECONDS age budget=$KAFKA_HUNG_WAIT stat
  kafka_answers "$KAFKA_HOST" "$KAFKA_PORT" && return 0
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || true
  stat=${stat##*) }
  if [[ ${stat:0:1} == T ]]; then
    log "kafka: pid $pid is stopped (SIGSTOP or a debugger) and cannot answer"
    budget=0
  else
    age=$(($(date +%s) - $(stat -c %Y "$KAFKA_PID_FILE")))
    ((KAFKA_START_TIMEOUT - age > budget)) && budget=$((KAFKA_START_TIMEOUT - age))
    log "kafka: pid $pid (launched $age s ago) does not answer on $KAFKA_HOST:$KAFKA_PORT yet; giving it $budget s"
  fi
  while ((SECONDS - start < budget)); do
    sleep 1
    kafka_answers "$KAFKA_HOST" "$KAFKA_PORT" && return 0
  done
  log "kafka: pid $pid is hung or half-started; stopping it and starting again"
  kafka_stop_pid "$pid" 10
  rm -f "$KAFKA_PID_FILE"
  return 1
}

kafka_up() {
  if kafka_is_external; then
    log "kafka: using the given brokers KAFKA_BROKERS=$KAFKA_BROKERS (not starting one)"
    first_broker_reachable ||
      die "kafka: KAFKA_BROKERS=$KAFKA_BROKERS but nothing accepts connections at $BROKER_HOST:$BROKER_PORT" \
        "start that broker, or unset KAFKA_BROKERS to let this script run a local one"
    return 0
  fi

  local pid
  pid=$(kafka_pid) || true
  if [[ -n $pid ]] && ! is_our_kafka "$pid"; then
    log "kafka: removing stale pid file (pid $pid is not running the broker)"
    rm -f "$KAFKA_PID_FILE"
    pid=
  fi
  if [[ -z $pid ]]; then
    # A broker we started whose pid file was lost (e.g. rm -rf .local/kafka while running).
    pid=$(listener_pid "$KAFKA_PORT")
    if [[ -n $pid ]] && is_our_kafka "$pid"; then
      log "kafka: found our broker running as pid $pid without a pid file; adopting it"
      mkdir -p "$KAFKA_DIR"
      echo "$pid" >"$KAFKA_PID_FILE"
    else
      pid=
    fi
  fi
  if [[ -n $pid ]]; then
    kafka_read_running
    # Restarting on a port change would pull the broker from under whoever uses it.
    [[ $RUNNING_PORT == "$KAFKA_PORT" && $RUNNING_CONTROLLER_PORT == "$KAFKA_CONTROLLER_PORT" ]] ||
      die "kafka: the local broker (pid $pid) runs on ports $RUNNING_PORT/$RUNNING_CONTROLLER_PORT, not KAFKA_PORT=$KAFKA_PORT/KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" \
        "run 'scripts/infra.sh down' first to restart it on the new ports, or unset KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    if kafka_check_running "$pid"; then
      log "kafka: already running (pid $pid, Kafka $RUNNING_VERSION) on $KAFKA_HOST:$KAFKA_PORT"
      return 0
    fi
  fi

  local port owner
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if tcp_open "$KAFKA_HOST" "$port"; then
      if [[ -n ${KAFKA_BROKERS:-} && $port == "$KAFKA_PORT" ]]; then
        log "kafka: KAFKA_BROKERS=$KAFKA_BROKERS is served by a broker this script did not start; using it"
        return 0
      fi
      owner=$(listener_pid "$port")
      [[ -n $owner ]] && owner="pid $owner: $(tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | cut -c1-100)"
      die "kafka: $KAFKA_HOST:$port is already in use by a process this script did not start (${owner:-owner unknown})" \
        "if it is a Kafka broker you want to use: export KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT" \
        "otherwise stop it, or choose other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done

  ensure_java
  mkdir -p "$KAFKA_DIR"
  kafka_choose_version
  kafka_write_properties
  if [[ -f $KAFKA_DATA/meta.properties && -s $KAFKA_FORMATTED_BY_FILE ]] &&
    [[ $(cat "$KAFKA_FORMATTED_BY_FILE") != "$KAFKA_RUN_VERSION" ]]; then
    log "kafka: note: the data was formatted by Kafka $(cat "$KAFKA_FORMATTED_BY_FILE"); starting $KAFKA_RUN_VERSION on it"
  fi
  kafka_format_storage "$(kafka_libs "$KAFKA_RUN_VERSION")"
  kafka_launch
  kafka_wait_started "$(kafka_pid)"
}

kafka_down() {
  local pid
  pid=$(kafka_pid) || true
  if [[ -n $pid ]] && is_our_kafka "$pid"; then
    log "kafka: stopping broker (pid $pid)..."
    kafka_stop_pid "$pid" 30
    log "kafka: stopped"
  elif kafka_is_external; then
    log "kafka: not running here; the given KAFKA_BROKERS=$KAFKA_BROKERS are left alone"
  else
    log "kafka: not running"
  fi
  rm -f "$KAFKA_PID_FILE"
}

kafka_status() {
  if kafka_is_external; then
    if first_broker_reachable; then
      echo "kafka     external  KAFKA_BROKERS=$KAFKA_BROKERS (accepts connections)"
      return 0
    fi
    echo "kafka     external  KAFKA_BROKERS=$KAFKA_BROKERS (NOT reachable)"
    return 1
  fi
  local pid
  pid=$(kafka_pid) || true
  if [[ -n $pid ]] && is_our_kafka "$pid"; then
    kafka_read_running
    if kafka_answers "$KAFKA_HOST" "$RUNNING_PORT"; then
      echo "kafka     running   pid $pid  $KAFKA_HOST:$RUNNING_PORT  Kafka $RUNNING_VERSION"
      return 0
    fi
    echo "kafka     NOT ANSWERING  pid $pid alive but $KAFKA_HOST:$RUNNING_PORT does not reply (starting or hung; 'up' restarts it)"
    return 1
  fi
  if [[ -n $pid ]]; then
    echo "kafka     stopped   (pid $pid in kafka.pid is gone: the broker crashed or was killed; see 'scripts/infra.sh logs kafka')"
  else
    echo "kafka     stopped"
  fi
  return 1
}
