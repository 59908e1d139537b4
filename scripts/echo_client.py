#!/usr/bin/env python3
"""Loopback clients of examples/echo_server for scripts/faults and scripts/soak.

Every byte echoed back is checked against what was sent: the echo must be a prefix of the bytes
sent (all of them, unless the connection was reset). Every socket has a timeout and every loop
is bounded in count and time.

  echo_client.py roundtrips --port P --pid PID [--connections N] [--bytes B] [--seconds S]
      N connections, B bytes each, 8 at a time; prints counts; exit 1 on a wrong byte or if the
      server stops answering.
  echo_client.py soak --port P --pid PID --seconds S [--fd-limit L]
      churn (fast open/echo/close), resets mid-transfer (SO_LINGER 0), idle connections coming
      and going, and every 10 s a burst of L+64 connections (beyond the server's fd limit);
      samples the server's RSS and open fds every second and prints the curve; exit 1 on a wrong
      byte, on RSS or fd growth after warm-up, or on fds not returning to the baseline.
"""
import argparse
import os
import random
import socket
import struct
import sys
import threading
import time


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def proc_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.errors = []

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def error(self, msg):
        with self.lock:
            self.errors.append(msg)


def echo_once(port, nbytes, stats, rng, reset_after=None, timeout=5.0):
    """One connection: send nbytes of random data, read the echo back, check it.
    reset_after: close with SO_LINGER 0 (RST) after sending that many bytes."""
    payload = rng.randbytes(nbytes)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        stats.add("connect_failed")
        return
    got = bytearray()
    try:
        s.settimeout(timeout)
        sent = 0
        while sent < nbytes:
            chunk = payload[sent:sent + 4096]
            s.sendall(chunk)
            sent += len(chunk)
            if reset_after is not None and sent >= reset_after:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
                stats.add("reset_sent")
                return
            # Read what is echoed so far (keeps both buffers from filling up).
            while len(got) < sent:
                d = s.recv(65536)
                if not d:
                    break
                got += d
                if got != payload[:len(got)]:
                    stats.error(f"wrong echoed byte at offset {len(got)}")
                    return
            if len(got) < sent:
                break
        s.shutdown(socket.SHUT_WR)
        while len(got) < nbytes:
            d = s.recv(65536)
            if not d:
                break
            got += d
        if got != payload[:len(got)]:
            stats.error("wrong echoed byte")
        elif len(got) == nbytes:
            stats.add("ok")
        else:
            stats.add("short")  # the server dropped the connection (a fault surfaced as an error)
    except socket.timeout:
        stats.add("timeout")
    except (ConnectionResetError, BrokenPipeError):
        if got != payload[:len(got)]:
            stats.error("wrong echoed byte before reset")
        stats.add("reset_by_server")
    except OSError as e:
        stats.add("oserror")
    finally:
        try:
            s.close()
        except OSError:
            pass


def cmd_roundtrips(a):
    stats = Stats()
    rng = random.Random(a.seed)
    deadline = time.monotonic() + a.seconds
    lock = threading.Lock()
    left = [a.connections]

    def worker(seed):
        r = random.Random(seed)
        while time.monotonic() < deadline:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            echo_once(a.port, r.randrange(1, a.bytes + 1), stats, r)

    ts = [threading.Thread(target=worker, args=(rng.random(),)) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    # The server must still answer: one clean round trip (retried: faults may hit it too).
    alive = False
    for _ in range(50):
        probe = Stats()
        echo_once(a.port, 1024, probe, rng, timeout=2.0)
        if probe.c.get("ok"):
            alive = True
            break
    print("roundtrips:", " ".join(f"{k}={v}" for k, v in sorted(stats.c.items())),
          f"unfinished={left[0]}", f"alive={alive}")
    for e in stats.errors[:10]:
        print("ERROR:", e)
    return 0 if not stats.errors and alive else 1


def cmd_soak(a):
    stats = Stats()
    stop = threading.Event()
    pid = a.pid
    base_fds = proc_fds(pid)

    def churn(seed):
        r = random.Random(seed)
        while not stop.is_set():
            echo_once(a.port, r.randrange(1, 8192), stats, r, timeout=5.0)

    def resetter(seed):
        r = random.Random(seed)
        while not stop.is_set():
            n = r.randrange(4096, 65536)
            echo_once(a.port, n, stats, r, reset_after=r.randrange(1, n), timeout=5.0)

    def idler(seed):
        r = random.Random(seed)
        held = []
        while not stop.is_set():
            if len(held) < 40 and r.random() < 0.6:
                try:
                    held.append(socket.create_connection(("127.0.0.1", a.port), timeout=2))
                    stats.add("idle_opened")
                except OSError:
                    stats.add("idle_connect_failed")
            elif held:
                held.pop(r.randrange(len(held))).close()
            time.sleep(0.01)
        for s in held:
            s.close()

    def burst():
        while not stop.wait(10):
            held = []
            for _ in range(a.fd_limit + 64):
                try:
                    held.append(socket.create_connection(("127.0.0.1", a.port), timeout=1))
                except OSError:
                    stats.add("burst_connect_failed")
            stats.add("burst_opened", len(held))
            stop.wait(1)
            for s in held:
                s.close()

    threads = [threading.Thread(target=churn, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=resetter, args=(10 + i,)) for i in range(2)]
    threads += [threading.Thread(target=idler, args=(20,)), threading.Thread(target=burst)]
    for t in threads:
        t.start()
    samples = []
    t0 = time.monotonic()
    print(f"soak: baseline fds={base_fds} rss={proc_rss_kb(pid)} kB; sampling every second")
    print("   t(s)  rss(kB)  fds   ok  resets  idle  burst")
    try:
        while time.monotonic() - t0 < a.seconds:
            time.sleep(1)
            rss, fds = proc_rss_kb(pid), proc_fds(pid)
            samples.append((time.monotonic() - t0, rss, fds))
            print(f"  {samples[-1][0]:5.0f}  {rss:7d}  {fds:4d}  {stats.c.get('ok', 0):5d}  "
                  f"{stats.c.get('reset_sent', 0):5d}  {stats.c.get('idle_opened', 0):5d}  "
                  f"{stats.c.get('burst_opened', 0):5d}", flush=True)
    finally:
        stop.set()
        for t in threads:
            t.join()
    # Quiet: every connection is closed; the server's fds must come back to the baseline.
    end_fds = None
    for _ in range(50):
        end_fds = proc_fds(pid)
        if end_fds <= base_fds:
            break
        time.sleep(0.2)
    print("soak:", " ".join(f"{k}={v}" for k, v in sorted(stats.c.items())))
    print(f"soak: server fds: baseline {base_fds}, after the load {end_fds}")
    ok = True
    for e in stats.errors[:10]:
        print("ERROR:", e)
        ok = False
    if end_fds > base_fds:
        print(f"ERROR: server fds {end_fds} after the load, baseline {base_fds} (leak)")
        ok = False
    # RSS after warm-up: the second half's peak may not exceed the first half's (after warm-up)
    # by more than 10% + 2 MB (allocator noise).
    warm = max(3, len(samples) // 4)
    rest = samples[warm:]
    if len(rest) >= 4:
        half = len(rest) // 2
        first = max(s[1] for s in rest[:half])
        second = max(s[1] for s in rest[half:])
        print(f"soak: RSS peak after warm-up: first half {first} kB, second half {second} kB")
        if second > first * 1.10 + 2048:
            print("ERROR: RSS grows after warm-up")
            ok = False
    if stats.c.get("ok", 0) == 0:
        print("ERROR: no successful round trip")
        ok = False
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("roundtrips")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--connections", type=int, default=200)
    r.add_argument("--bytes", type=int, default=65536)
    r.add_argument("--seconds", type=float, default=60)
    r.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("soak")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--seconds", type=float, default=120)
    s.add_argument("--fd-limit", type=int, default=256)
    a = p.parse_args()
    sys.exit(cmd_roundtrips(a) if a.cmd == "roundtrips" else cmd_soak(a))


if __name__ == "__main__":
    main()
