#!/usr/bin/env bash
# The HTTP library measurement behind infilld serve's choice (docs/decisions.md, "HTTP
# library for infilld serve"): cpp-httplib 0.11 (with TCP_NODELAY as infilld serve sets it,
# and as the library leaves it: "httplib-delayed"), libmicrohttpd 0.9.75 and Boost.Beast 1.74,
# each answering a fixed completion body (answer.h; no model), loaded by wrk with 16 and 64
# connections (POST /v1/completions, about 1.5 KB each) on the same machine, one library
# after another, two rounds interleaved. Writes one JSON object with the machine.
#
#   bench/http_libraries/run.sh [OUT.json]      (needs: wrk libcpp-httplib-dev libmicrohttpd-dev libboost-dev)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
for tool in wrk g++; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }; done
g++ -O2 -std=c++17 -I"$here" "$here/httplib_server.cpp" -o "$work/httplib" -lcpp-httplib -lpthread
g++ -O2 -std=c++17 -I"$here" "$here/microhttpd_server.cpp" -o "$work/microhttpd" -lmicrohttpd -lpthread
g++ -O2 -std=c++17 -I"$here" "$here/beast_server.cpp" -o "$work/beast" -lpthread

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
flags="$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|avx512f|amx_tile' | sort -u | tr '\n' ' ')"
results=()
for round in 1 2; do
  for lib in httplib httplib-delayed microhttpd beast; do
    port=$((20000 + RANDOM % 20000))
    if [ "$lib" = httplib-delayed ]; then "$work/httplib" "$port" delayed & pid=$!; else "$work/$lib" "$port" & pid=$!; fi
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
    for conns in 16 64; do
      text="$(wrk -t2 -c"$conns" -d8s --latency -s "$here/post.lua" "http://127.0.0.1:$port/v1/completions")"
      rps="$(echo "$text" | awk '/Requests\/sec/ {print $2}')"
      p50="$(echo "$text" | awk '$1 == "50%" {print $2}')"
      p99="$(echo "$text" | awk '$1 == "99%" {print $2}')"
      errors="$(echo "$text" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')"
      echo "round $round $lib c=$conns: $rps req/s, p50 $p50, p99 $p99 $errors"
      results+=("{\"round\": $round, \"library\": \"$lib\", \"connections\": $conns, \"requests_per_s\": $rps, \"p50\": \"$p50\", \"p99\": \"$p99\", \"errors\": \"${errors% }\"}")
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
if [ -n "$out" ]; then
  {
    echo "{\"machine\": {\"cpu\": \"$cpu\", \"cpu_flags\": \"${flags% }\", \"cores\": $(nproc)},"
    echo " \"benchmark\": \"bench/http_libraries/run.sh\", \"date\": \"$(date -u '+%Y-%m-%d %H:%M UTC')\","
    echo " \"tool\": \"wrk -t2 -d8s --latency, POST /v1/completions (post.lua), same machine\","
    echo " \"results\": ["
    ( IFS=$'\n'; echo "${results[*]}" ) | sed '$!s/$/,/' | sed 's/^/  /'
    echo " ]}"
  } > "$out"
fi
