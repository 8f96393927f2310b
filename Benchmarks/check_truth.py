#!/usr/bin/env python3
"""Compare ftpscope's JSON document with ftpgen's ground truth.

    check_truth.py TRUTH.json FTPSCOPE.json [--show N]

Sessions are matched by client endpoint. Per session: user and login outcome; per transfer, in order: status and
bytes (the checked fields), plus mode, announced endpoint and command. Prints one summary line
("mismatches: N ...") and the first few differences; exit status 0 when there are none, 1 otherwise.
"""
import json
import sys
from collections import Counter


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    show = 10
    if "--show" in sys.argv:
        show = int(sys.argv[sys.argv.index("--show") + 1])
        args = [a for a in args if a != str(show)]
    truth = json.load(open(args[0]))
    got = json.load(open(args[1]))
    by_client = {}
    for s in got["sessions"]:
        by_client.setdefault(s["client"], []).append(s)

    kinds = Counter()
    details = []

    def miss(kind, text):
        kinds[kind] += 1
        if len(details) < show:
            details.append(f"  {kind}: {text}")

    tsessions = truth["sessions"]
    if len(got["sessions"]) != len(tsessions):
        miss("session_count", f"truth {len(tsessions)}, ftpscope {len(got['sessions'])}")
    transfers_checked = 0
    status_seen = Counter()
    for t in tsessions:
        cands = by_client.pop(t["client"], None)
        if not cands:
            miss("session_missing", f"{t['id']} {t['client']} -> {t['server']}")
            continue
        g = cands[0]
        if len(cands) > 1:
            miss("session_split", f"{t['client']}: {len(cands)} sessions")
        if g["server"] != t["server"]:
            miss("server", f"{t['id']} {t['client']}: truth {t['server']}, ftpscope {g['server']}")
        if g.get("login") != t["login"]:
            miss("login", f"{t['id']} {t['client']}: truth {t['login']}, ftpscope {g.get('login')}")
        if (g.get("user") or "") != t["user"]:
            miss("user", f"{t['id']} {t['client']}: truth {t['user']!r}, ftpscope {g.get('user')!r}")
        gx = g.get("transfers", [])
        tx = t["transfers"]
        if len(gx) != len(tx):
            miss("transfer_count", f"{t['id']} {t['client']}: truth {len(tx)}, ftpscope {len(gx)}: "
                 f"truth {[x['status'] for x in tx]}, ftpscope {[x.get('status') for x in gx]}")
        for i, (a, b) in enumerate(zip(tx, gx)):
            transfers_checked += 1
            status_seen[a["status"]] += 1
            where = f"{t['id']} {t['client']} transfer {i + 1} ({a['mode']} {a['command']} {a['announced']})"
            if b.get("status") != a["status"]:
                miss(f"status {a['status']}->{b.get('status')}", where)
            if (b.get("bytes") or 0) != a["bytes"]:
                miss("bytes", f"{where}: truth {a['bytes']}, ftpscope {b.get('bytes')}")
            if b.get("mode") != a["mode"]:
                miss("mode", f"{where}: ftpscope {b.get('mode')}")
            if b.get("announced") != a["announced"]:
                miss("announced", f"{where}: ftpscope {b.get('announced')}")
            if b.get("command") != a["command"]:
                miss("command", f"{where}: ftpscope {b.get('command')}")
    for client, extra in by_client.items():
        for g in extra:
            miss("session_extra", f"{g['id']} {client} -> {g['server']}")

    total = sum(kinds.values())
    print(f"mismatches: {total} (sessions {len(tsessions)}, transfers {transfers_checked}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(status_seen.items())) + ")")
    for k, v in kinds.most_common():
        print(f"  {v:8d}  {k}")
    if details:
        print("first differences:")
        print("\n".join(details))
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
