# SPDX-License-Identifier: LGPL-2.0-or-later
# Reads and tampers with audit logs for tests/launch/audit.sh.
#   get LOG N KEY...      the record N's values (dotted keys) as JSON, one per line
#   keys LOG N            the record's top-level keys, in order, on one line
#   commands LOG          each record's command, joined by spaces, one per line
#   tamper LOG KIND OUT   write a damaged copy of LOG to OUT
import hashlib
import json
import sys


def records(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def get(rec, dotted):
    v = rec
    for k in dotted.split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    return v


def rehash(line):
    """Give a line a digest that matches its (new) content."""
    body = line[: -(11 + 64 + 2)]
    return body + b',"sha256":"' + hashlib.sha256(body).hexdigest().encode() + b'"}'


def tamper(lines, kind):
    if kind == "edit":          # change a value in record 2
        lines[1] = lines[1].replace(b'"code":1,', b'"code":5,', 1)
    elif kind == "edit-rehash":  # ... and recompute its digest
        lines[1] = rehash(lines[1].replace(b'"code":1,', b'"code":5,', 1))
    elif kind == "delete":       # drop record 2
        del lines[1]
    elif kind == "delete-first":
        del lines[0]
    elif kind == "insert":       # a copy of record 1 after record 2
        lines.insert(2, lines[0])
    elif kind == "swap":         # records 2 and 3 change places
        lines[1], lines[2] = lines[2], lines[1]
    elif kind == "truncate":     # the last record cut short
        return b"\n".join(lines)[:-20]
    else:
        raise SystemExit("unknown kind " + kind)
    return b"\n".join(lines) + b"\n"


cmd = sys.argv[1]
if cmd == "get":
    rec = json.loads(records(sys.argv[2])[int(sys.argv[3]) - 1])
    for key in sys.argv[4:]:
        print(json.dumps(get(rec, key)))
elif cmd == "keys":
    rec = json.loads(records(sys.argv[2])[int(sys.argv[3]) - 1])
    print(" ".join(rec.keys()))
elif cmd == "commands":
    for line in records(sys.argv[2]):
        print(" ".join(json.loads(line)["command"]))
elif cmd == "tamper":
    with open(sys.argv[4], "wb") as f:
        f.write(tamper(records(sys.argv[2]), sys.argv[3]))
