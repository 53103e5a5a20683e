# Process helpers shared by scripts/infra/kafka.sh and postgres.sh. Sourced by infra.sh, never run.

# listener_pid PORT: pid of the process listening on PORT, empty if unknown.
listener_pid() {
  have ss || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

# alive PID: running, and not a zombie (where PID 1 does not reap orphans, a killed
# broker lingers as one and `kill -0` would report it alive forever).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the state letter follows "(command name) "
  [[ ${stat:0:1} != Z ]]
}
