#!/usr/bin/env bash
# Starts the S3 test server (@20minutes/s3rver behind the multipart shim) in the background.
# Run from the repository root after `npm ci`. Prints the S3_* settings on its last line.
set -euo pipefail
export S3_PORT=${S3_PORT:-9000}
export S3_DIR=${S3_DIR:-/tmp/wdtk-s3-test}
export S3_BUCKETS=${S3_BUCKETS:-wdtk-test}
PIDFILE=${S3_PIDFILE:-/tmp/wdtk-s3-test.pid}
# Beside the pid file, so two servers (other ports) keep their logs apart.
LOGFILE=${PIDFILE%.pid}.log
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "s3 test server already running (pid $(cat "$PIDFILE"))" >&2
else
  nohup node scripts/s3-test-server.cjs > "$LOGFILE" 2>&1 &
  echo $! > "$PIDFILE"
fi
# Any HTTP answer means it is listening (anonymous requests may be refused).
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${S3_PORT}/")" != 000 ]; }
for _ in $(seq 1 50); do answers && break; sleep 0.2; done
answers || { cat "$LOGFILE" >&2; exit 1; }
echo "S3_ENDPOINT=http://127.0.0.1:${S3_PORT} S3_ACCESS_KEY=S3RVER S3_SECRET_KEY=S3RVER S3_BUCKET=${S3_BUCKETS%%,*}"
