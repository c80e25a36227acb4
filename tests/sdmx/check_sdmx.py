#!/usr/bin/env python3
"""Reads an SDMX-CSV 2.0 file with pysdmx (an SDMX parser metronode did not write) and checks
what the standard and metronode's documented layout require: the STRUCTURE, STRUCTURE_ID and
ACTION columns, a structure id AGENCY:ID(X.Y.Z), the dimension, measure and attribute columns,
CONF_STATUS and OBS_STATUS codes, and OBS_VALUE numeric unless the figure is confidential.

Usage: check_sdmx.py FILE. Prints one JSON line of what it read; exits 1 with the reason.
"""
import json
import re
import sys

from pysdmx.io.csv.sdmx20.reader import read
from pysdmx.util import parse_short_urn

COLUMNS = [
    "INDICATOR", "SERIES", "REF_AREA", "BREAKDOWN", "BREAKDOWN_CODE", "TIME_PERIOD",
    "OBS_VALUE", "UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "CONF_STATUS",
    "MARGIN_OF_ERROR", "CONFIDENCE_LEVEL", "NUMERATOR", "DENOMINATOR",
]


def fail(why):
    print(f"check_sdmx: {why}", file=sys.stderr)
    sys.exit(1)


def main(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    header = text.splitlines()[0].split(",")
    if header[:3] != ["STRUCTURE", "STRUCTURE_ID", "ACTION"]:
        fail(f"header starts {header[:3]}")
    datasets = read(text)
    if len(datasets) != 1:
        fail(f"{len(datasets)} datasets")
    ds = datasets[0]
    ref = parse_short_urn(ds.short_urn)
    if not ds.short_urn.startswith("Dataflow="):
        fail(f"structure {ds.short_urn} is not a dataflow")
    if not re.fullmatch(r"\d+\.\d+\.\d+", ref.version):
        fail(f"version {ref.version} is not X.Y.Z")
    df = ds.data
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        fail(f"columns missing: {missing}")
    for i, row in df.iterrows():
        where = f"row {i + 2}"
        if row["CONF_STATUS"] not in ("F", "C"):
            fail(f"{where}: CONF_STATUS {row['CONF_STATUS']}")
        if row["UNIT_MULT"] != "0":
            fail(f"{where}: UNIT_MULT {row['UNIT_MULT']}")
        if row["CONF_STATUS"] == "C":
            if row["OBS_VALUE"] != "" or row["OBS_STATUS"] != "Q":
                fail(f"{where}: a confidential figure with a value or status {row['OBS_STATUS']}")
            continue
        if row["OBS_STATUS"] not in ("A", "E", "U"):
            fail(f"{where}: OBS_STATUS {row['OBS_STATUS']}")
        value = float(row["OBS_VALUE"])
        if row["UNIT_MEASURE"] == "PC" and not 0 <= value <= 100:
            fail(f"{where}: {value} percent")
        if row["OBS_STATUS"] == "E" and (row["MARGIN_OF_ERROR"] == "" or row["CONFIDENCE_LEVEL"] != "95"):
            fail(f"{where}: an estimate under noise without its 95% margin")
    print(json.dumps({
        "agency": ref.agency,
        "id": ref.id,
        "version": ref.version,
        "rows": len(df),
        "areas": sorted(set(df["REF_AREA"])),
        "breakdowns": sorted(set(df["BREAKDOWN"])),
        "codes": sorted(set(df["BREAKDOWN_CODE"])),
        "units": sorted(set(df["UNIT_MEASURE"])),
        "obs_status": sorted(set(df["OBS_STATUS"])),
        "conf_status": sorted(set(df["CONF_STATUS"])),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
