"""The shipped flag file, evaluated by LaunchDarkly's official Python server SDK (its file data
source, unchanged file), must give the same value, variation and reason as the app's Rust SDK
(`datagata flags eval --context-json`) for a spread of contexts.

Usage: python check.py DATAGATA_BINARY FLAG_FILE
"""

import itertools
import json
import subprocess
import sys
import tempfile

import ldclient
from ldclient import Context
from ldclient.config import Config
from ldclient.integrations import Files


def contexts():
    """Every tier × role × device, with and without an organization, plus the targeted emails."""
    orgs = [None, {"key": "acme", "name": "Acme", "industry": "logistics", "contractValue": 60000},
            {"key": "shop", "name": "Shop", "industry": "retail", "contractValue": 1000}]
    emails = ["ana@example.com", "beta@example.com", "demo@example.com", "test@example.com"]
    tiers = ["trial", "starter", "premium"]
    roles = [None, "analyst", "admin", "viewer"]
    devices = ["desktop", "laptop", "tablet", "mobile"]
    for i, (email, tier, role, device, org) in enumerate(
            itertools.product(emails, tiers, roles, devices, orgs)):
        user = {"key": email, "email": email, "tier": tier,
                "_meta": {"privateAttributes": ["email"]}}
        if role:
            user["role"] = role
        multi = {"kind": "multi", "user": user,
                 "session": {"key": f"session-{i}", "deviceType": device, "region": "EU"}}
        if org:
            multi["organization"] = dict(org)
        yield multi
    # Enough distinct starters on desktop to cross both sides of the 10% rollout.
    for i in range(200):
        yield {"kind": "multi", "user": {"key": f"starter-{i}@example.com", "tier": "starter"},
               "session": {"key": f"s-{i}", "deviceType": "desktop"}}


def main():
    binary, flag_file = sys.argv[1], sys.argv[2]
    cases = list(contexts())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
    rust = json.loads(subprocess.run(
        [binary, "flags", "eval", "--flags", flag_file, "--context-json", f.name],
        check=True, capture_output=True, text=True).stdout)

    ldclient.set_config(Config("cross-sdk-check", send_events=False,
                               update_processor_class=Files.new_data_source(paths=[flag_file])))
    client = ldclient.get()
    assert client.is_initialized(), "the Python SDK could not load the flag file"

    checked, mismatches = 0, []
    for case, rust_answers in zip(cases, rust):
        ctx = Context.from_dict(case)
        assert ctx.valid, ctx.error
        for key, answer in rust_answers.items():
            detail = client.variation_detail(key, ctx, None)
            py = (detail.value, detail.variation_index, detail.reason.get("kind"),
                  detail.reason.get("ruleIndex"))
            rs = (answer["value"], answer["variationIndex"], answer["reason"].get("kind"),
                  answer["reason"].get("ruleIndex"))
            checked += 1
            if py != rs:
                mismatches.append((case, key, py, rs))
    client.close()
    for case, key, py, rs in mismatches[:10]:
        print(f"MISMATCH {key} for {json.dumps(case)}:\n  python {py}\n  rust   {rs}")
    print(f"cross-SDK check: {checked} evaluations over {len(cases)} contexts, "
          f"{len(mismatches)} mismatches")
    sys.exit(1 if mismatches or checked == 0 else 0)


if __name__ == "__main__":
    main()
