#!/usr/bin/env python3
"""Init time of a Lambda binary: from process start to its first poll of the Runtime API.

A minimal local Runtime API listens on 127.0.0.1; the binary is started N times with
AWS_LAMBDA_RUNTIME_API pointing at it; each run is timed from spawn to the first
GET /2018-06-01/runtime/invocation/next, then stopped. Prints min / median / p90 in ms.

  scripts/runtime-api-probe.py BINARY [--runs 20] [--env KEY=VALUE ...]
"""
import argparse, http.server, os, statistics, subprocess, sys, threading, time

first_poll = threading.Event()
poll_time = [0.0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/2018-06-01/runtime/invocation/next"):
            if not first_poll.is_set():
                poll_time[0] = time.perf_counter()
                first_poll.set()
            # Hold the long poll open; the process is killed before an event is needed.
            time.sleep(5)
        self.send_response(204)
        self.end_headers()

    def do_POST(self):
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--env", action="append", default=[])
    a = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(os.path.dirname(a.binary)) or "probe",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "probe", "AWS_LAMBDA_LOG_GROUP_NAME": "probe",
        "AWS_REGION": "ap-northeast-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "TABLE_NAME": "probe", "ARCHIVE_BUCKET": "probe", "ISSUED_QUEUE_URL": "http://127.0.0.1:1/queue",
        "RECEIPT_QUEUE_URL": "http://127.0.0.1:1/receipts", "EVENT_BUS_NAME": "probe",
        "REMINDER_QUEUE_URL": "http://127.0.0.1:1/reminders",
        "SENDER_EMAIL": "probe@example.com", "RUST_LOG": "warn",
    })
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    samples = []
    for _ in range(a.runs):
        first_poll.clear()
        start = time.perf_counter()
        p = subprocess.Popen([a.binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ok = first_poll.wait(10)
        p.kill()
        _, err = p.communicate()
        if not ok:
            sys.exit(f"{a.binary} never polled the Runtime API: {err.decode(errors='replace')[-2000:]}")
        samples.append((poll_time[0] - start) * 1000)
    samples.sort()
    p90 = samples[min(len(samples) - 1, int(round(0.9 * (len(samples) - 1))))]
    print(f"{os.path.basename(os.path.dirname(a.binary)) or a.binary}: init to first poll over {len(samples)} starts: "
          f"min {samples[0]:.1f} ms, median {statistics.median(samples):.1f} ms, p90 {p90:.1f} ms")


if __name__ == "__main__":
    main()
