#!/usr/bin/env python3
"""Runs the SQL of docs/athena-lake.md in SQLite and compares it with the CLI.

The Athena view is turned into SQLite by a few fixed rewrites (JSON and time functions, struct
fields read from JSON text); the session and findings queries run as written. Input: the
built-in sample alone (where every one of the five rules finds something: mallory's burst and
ports, the short-lived endpoint, the root user's tunnel, the stopped trail), then the sample
plus a file of edge cases (a tunnel joining exactly at the gap, equal start times, a denied
trail change, duplicates). Usage: athena_lake.py TUNNELSCOPE_BINARY
"""

import datetime
import json
import pathlib
import re
import sqlite3
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "athena-lake.md"
CLI = sys.argv[1]


def blocks():
    """The doc's ```sql blocks that start with `-- test: NAME`, by name."""
    out = {}
    for body in re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.S):
        first = body.split("\n", 1)[0]
        if first.startswith("-- test: "):
            out[first[len("-- test: "):].strip()] = body
    return out


def to_sqlite(view):
    """The Athena view in SQLite's dialect."""
    s = view.replace("CREATE OR REPLACE VIEW", "CREATE VIEW")
    s = s.replace(
        "CAST(to_unixtime(from_iso8601_timestamp(eventtime)) * 1000 AS bigint)",
        "CAST(round((julianday(eventtime) - 2440587.5) * 86400000) AS INTEGER)",
    )
    # SQLite's CAST gives 0 where try_cast gives NULL: only for values that are not numbers.
    s = re.sub(r"try_cast\(([^()]*(?:\([^()]*\))?[^()]*) AS bigint\)", r"CAST(\1 AS INTEGER)", s)
    # Athena's json_extract_scalar gives text for strings and numbers alike.
    s = re.sub(r"json_extract_scalar\(([^()]*)\)", r"CAST(json_extract(\1) AS TEXT)", s)
    # Struct fields are case-insensitive in Athena; the JSON keys are CloudTrail's.
    keys = {"arn": "arn", "principalid": "principalId", "invokedby": "invokedBy", "type": "type",
            "accountid": "accountId"}
    s = re.sub(r"useridentity\.(\w+)", lambda m: f"json_extract(useridentity, '$.{keys[m.group(1)]}')", s)
    s = s.replace("least(", "min(")
    return s


def record(rid, time, name, source, user, ip="198.51.100.7", params=None, error=None, kind="IAMUser"):
    arn = "arn:aws:iam::111122223333:root" if kind == "Root" else f"arn:aws:iam::111122223333:user/{user}"
    r = {
        "eventVersion": "1.09", "eventTime": time, "eventSource": source, "eventName": name,
        "awsRegion": "eu-west-1", "sourceIPAddress": ip, "userAgent": "aws-cli/2",
        "userIdentity": {"type": kind, "principalId": "AIDA" + user.upper(), "arn": arn,
                         "accountId": "111122223333", "userName": user},
        "requestParameters": params, "responseElements": None, "eventID": rid,
        "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
    }
    if error:
        r["errorCode"] = error
    return r


def tunnel(rid, time, user, port="22", secs="600", error=None, target="10.0.0.5", kind="IAMUser"):
    params = {"instanceConnectEndpointId": "eice-0123456789abcdef0", "remotePort": port,
              "privateIpAddress": target, "maxTunnelDuration": secs}
    return record(rid, time, "OpenTunnel", "ec2-instance-connect.amazonaws.com", user, params=params,
                  error=error, kind=kind)


def scenarios():
    return {"Records": [
        # dave: ends 08:10; 08:20 is exactly the end plus the gap (joins), 08:40:01 opens anew.
        tunnel("s-1", "2026-10-03T08:00:00Z", "dave"),
        tunnel("s-2", "2026-10-03T08:20:00Z", "dave", secs="60"),
        tunnel("s-3", "2026-10-03T08:31:00.001Z", "dave"),
        tunnel("s-4", "2026-10-03T08:31:00.001Z", "dave", port=22),  # a number, same key
        # Equal start times: ordered by event ID.
        tunnel("s-0", "2026-10-03T08:00:00Z", "dave", target="10.0.0.6"),
        tunnel("s-00", "2026-10-03T08:00:00Z", "dave", target="10.0.0.6", error="AccessDenied"),
        # No maxTunnelDuration: 3600 assumed; a claim over an hour counts as one hour.
        tunnel("s-5", "2026-10-03T12:00:00Z", "erin", secs=None),
        tunnel("s-6", "2026-10-03T13:09:00Z", "erin", secs="86400"),
        tunnel("s-7", "2026-10-03T14:19:00Z", "erin"),
        # The root user opens a tunnel to a database port.
        tunnel("r-1", "2026-10-03T15:00:00Z", "root", port="5432", kind="Root"),
        # Denied attempts: two runs split by a gap just over ten minutes.
        tunnel("f-1", "2026-10-03T16:00:00Z", "frank", error="AccessDenied"),
        tunnel("f-2", "2026-10-03T16:05:00Z", "frank", error="AccessDenied"),
        tunnel("f-3", "2026-10-03T16:10:00Z", "frank", error="AccessDenied"),
        tunnel("f-4", "2026-10-03T16:20:01Z", "frank", error="AccessDenied"),
        tunnel("f-5", "2026-10-03T16:21:00Z", "frank", error="AccessDenied"),
        tunnel("f-6", "2026-10-03T16:22:00Z", "frank", error="AccessDenied"),
        # Trail tampering, one denied (not evidence).
        record("t-1", "2026-10-03T17:00:00Z", "StopLogging", "cloudtrail.amazonaws.com", "eve"),
        record("t-2", "2026-10-03T17:30:00Z", "PutEventSelectors", "cloudtrail.amazonaws.com", "eve"),
        record("t-3", "2026-10-03T17:40:00Z", "DeleteTrail", "cloudtrail.amazonaws.com", "eve", error="AccessDenied"),
        # A duplicate delivery of a tunnel: one copy counts.
        tunnel("s-1", "2026-10-03T08:00:00Z", "dave"),
    ]}


def iso_ms(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


def cli_json(*args):
    out = subprocess.run([CLI, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


RULES = ["failed-burst", "unusual-port", "root-activity", "trail-tampering", "short-lived-endpoint"]


def compare(sql, files, label):
    """The SQL's sessions and findings over `files` against the CLI's: (sessions, failures)."""
    db = sqlite3.connect(":memory:")
    db.execute("""CREATE TABLE cloudtrail_logs (eventid TEXT, eventtime TEXT, eventsource TEXT,
        eventname TEXT, useridentity TEXT, sourceipaddress TEXT, errorcode TEXT,
        requestparameters TEXT, responseelements TEXT, recipientaccountid TEXT)""")
    for f in files:
        for r in json.loads(f.read_text())["Records"]:
            db.execute("INSERT INTO cloudtrail_logs VALUES (?,?,?,?,?,?,?,?,?,?)", (
                r.get("eventID"), r.get("eventTime"), r.get("eventSource"), r.get("eventName"),
                json.dumps(r.get("userIdentity")), r.get("sourceIPAddress"), r.get("errorCode"),
                json.dumps(r.get("requestParameters")), json.dumps(r.get("responseElements")),
                r.get("recipientAccountId")))
    db.execute(to_sqlite(sql["eice_events (athena)"]))
    paths = [str(f) for f in files]
    failures = []

    cols = ["session_id", "start_ms", "last_start_ms", "latest_end_ms", "tunnels", "accepted", "failed"]
    got = sorted(
        (r[0], iso_ms(r[1]), iso_ms(r[2]), iso_ms(r[3]), r[4], r[5], r[6])
        for r in db.execute(sql["sessions"]).fetchall()
    )
    want = sorted(
        (s["session_id"], s["start"], s["last_start"], s["latest_end"], s["tunnels"], s["accepted"], s["failed"])
        for s in cli_json("sessions", "--format", "json", *paths)
    )
    sessions = len(want)
    if got != want:
        failures.append((f"{label}: sessions", cols, sorted(set(got) - set(want)), sorted(set(want) - set(got))))

    findings = cli_json("findings", "--format", "json", *paths)
    for rule in RULES:
        got = sorted((r[0], iso_ms(r[2]), iso_ms(r[3]), r[4]) for r in db.execute(sql[rule]).fetchall())
        want = sorted((f["finding_id"], f["first"], f["last"], len(f["event_ids"])) for f in findings if f["rule"] == rule)
        if got != want:
            failures.append((f"{label}: {rule}", ["finding_id", "first", "last", "events"],
                             sorted(set(got) - set(want)), sorted(set(want) - set(got))))
        if not want:
            failures.append((f"{label}: {rule}", "no finding in the test data: the comparison would prove nothing",
                             [], []))
    return sessions, failures


def main():
    sql = blocks()
    expected = {"eice_events (athena)", "sessions", *RULES}
    missing = expected - sql.keys()
    if missing:
        sys.exit(f"docs/athena-lake.md lacks the blocks {sorted(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        files = [pathlib.Path(tmp) / "sample.json", pathlib.Path(tmp) / "scenarios.json"]
        subprocess.run([CLI, "sample", "-o", str(files[0])], check=True)
        files[1].write_text(json.dumps(scenarios()))
        alone, failures = compare(sql, files[:1], "sample")
        sessions, more = compare(sql, files, "sample and scenarios")
        failures += more
        for name, cols, only_sql, only_cli in failures:
            print(f"{name}: {cols}\n  only in SQL: {only_sql}\n  only in the CLI: {only_cli}")
        if failures:
            sys.exit(1)
        print(f"athena-lake.md: {alone} sessions of the sample, {sessions} with the scenarios,"
              " and 5 rules agree with the CLI")


if __name__ == "__main__":
    main()
