# serve.sh - sourced by drive_rate.sh and run_memory.sh: where the server and the load run,
# and `backcheck serve --no-auth` started on a free loopback port.
#
# Needs BC (the backcheck binary) and WORK (a scratch directory, removed at exit). Sets
# SERVER_CPUS and CLIENT_CPUS (PIN=1, the default where there are at least 2 CPUs: the
# server on CPU 0, the load on the others; PIN=0: no pinning), SRV (the server's pid, killed
# at exit) and URL, and returns once the server answers.
NCPU=$(nproc)
PIN=${PIN:-$([ "$NCPU" -ge 2 ] && echo 1 || echo 0)}
if [ "$PIN" = 1 ]; then
    SERVER_CPUS="taskset -c 0"
    CLIENT_CPUS="taskset -c 1-$((NCPU - 1))"
else
    SERVER_CPUS=""
    CLIENT_CPUS=""
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$SERVER_CPUS "$BC" serve --no-auth --port "$PORT" --quiet &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$WORK"' EXIT
URL=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -s --noproxy "*" -o /dev/null "$URL" && break; sleep 0.1; done
