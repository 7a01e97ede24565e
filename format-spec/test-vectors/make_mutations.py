#!/usr/bin/env python3
"""Writes mutations/*.rcv: copies of the minimal (and basic-none) vectors with one deliberate
change each, and mutations/cases.json saying whether a reader must accept the file, reject it
when opening it, or reject it when reading a table (README §13).

Footer edits re-serialise the footer with the grammar of README §4 and write a fresh trailer
(so only the intended rule is broken); raw edits patch bytes and leave checksums stale.
Run from this directory: python3 make_mutations.py
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import reference_reader as rr  # noqa: E402


# --- footer serialisation (README §4) ---------------------------------------------------------

def w_string(out, s):
    b = s.encode("utf-8")
    out += struct.pack("<I", len(b)) + b


def w_chunk(out, c):
    out += struct.pack("<4QI4B2q", c.offset, c.stored_length, c.encoded_length, c.checksum, c.count,
                       c.physical_type, c.encoding, c.codec, c.bit_width, c.param_a, c.param_b)


def w_dictionary(out, d):
    w_string(out, d.name)
    out += struct.pack("<Q", d.count)
    w_chunk(out, d.chunk)


def serialize_footer(f):
    out = bytearray()
    w_string(out, f.created_by)
    out += struct.pack("<I", len(f.tables))
    for t in f.tables:
        w_string(out, t.name)
        out += struct.pack("<I", len(t.groups))
        for g in t.groups:
            w_string(out, g.name)
            w_string(out, g.count_column)
        out += struct.pack("<I", len(t.columns))
        for c in t.columns:
            w_string(out, c.name)
            out += struct.pack("<B", c.physical_type)
            w_string(out, c.group)
            w_string(out, c.dictionary)
    out += struct.pack("<I", len(f.dictionaries))
    for d in f.dictionaries:
        w_dictionary(out, d)
    out += struct.pack("<I", len(f.partitions))
    for p in f.partitions:
        w_dictionary(out, p.request_dictionary)
        for rgs in p.tables:
            out += struct.pack("<I", len(rgs))
            for rg in rgs:
                out += struct.pack("<Q", rg.rows)
                for n in rg.group_rows:
                    out += struct.pack("<Q", n)
                for c in rg.chunks:
                    w_chunk(out, c)
    out += struct.pack("<I", len(f.metadata))
    for k, v in f.metadata:
        w_string(out, k)
        w_string(out, v)
    return bytes(out)


def load(name):
    path = os.path.join(HERE, name, name + ".rcv")
    with open(path, "rb") as fh:
        buf = fh.read()
    ds = rr.Dataset(path)
    fb = buf[ds.footer_offset:len(buf) - rr.TRAILER_SIZE]
    assert serialize_footer(ds.footer) == fb, f"{name}: footer does not round-trip"
    return buf, ds


def with_footer(buf, ds, footer):
    """The data area of `buf` followed by `footer` (serialised) and a matching trailer."""
    fb = serialize_footer(footer)
    body = buf[:ds.footer_offset]
    return body + fb + struct.pack("<3Q", ds.footer_offset, len(fb), rr.xxh64(fb)) + rr.TRAILER_MAGIC


def replace_chunk(footer, table, column, **changes):
    ti = [t.name for t in footer.tables].index(table)
    ci = [c.name for c in footer.tables[ti].columns].index(column)
    parts = []
    for p in footer.partitions:
        tables = list(p.tables)
        rgs = []
        for rg in tables[ti]:
            chunks = list(rg.chunks)
            chunks[ci] = chunks[ci]._replace(**changes)
            rgs.append(rg._replace(chunks=chunks))
        tables[ti] = rgs
        parts.append(p._replace(tables=tables))
    return footer._replace(partitions=parts)


def patch(buf, at, new):
    b = bytearray(buf)
    b[at:at + len(new)] = new
    return bytes(b)


def main():
    out_dir = os.path.join(HERE, "mutations")
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.endswith(".rcv"):
            os.remove(os.path.join(out_dir, name))
    for name in sorted(os.listdir(HERE)):
        if os.path.isfile(os.path.join(HERE, name, name + ".rcv")):
            load(name)  # every vector's footer must round-trip through the grammar

    m, mds = load("minimal")
    f = mds.footer
    footer_start = mds.footer_offset
    trailer = len(m) - rr.TRAILER_SIZE
    req = f.partitions[0].request_dictionary.chunk
    cases = []

    def case(file, base, mutation, expect, why):
        cases.append({"file": file, "base": base, "mutation": mutation, "expect": expect, "because": why})

    def write(file, data):
        with open(os.path.join(out_dir, file), "wb") as fh:
            fh.write(data)

    # Header and trailer.
    write("bad-header-magic.rcv", patch(m, 0, b"X"))
    case("bad-header-magic.rcv", "minimal", "byte 0 'R' -> 'X'", "reject-open", "bad magic number in the header")
    write("major-version-2.rcv", patch(m, 8, struct.pack("<H", 2)))
    case("major-version-2.rcv", "minimal", "major version 1 -> 2", "reject-open", "unknown major version")
    write("minor-version-7.rcv", patch(m, 10, struct.pack("<H", 7)))
    case("minor-version-7.rcv", "minimal", "minor version 0 -> 7", "accept", "any minor version of major 1 is read")
    write("reserved-header-bytes.rcv", patch(m, 16, b"\xff" * 8))
    case("reserved-header-bytes.rcv", "minimal", "header bytes 16..23 set to 0xFF", "accept",
         "header bytes 12..63 are reserved and ignored by readers")
    write("bad-trailer-magic.rcv", patch(m, len(m) - 1, b"\x01"))
    case("bad-trailer-magic.rcv", "minimal", "last byte 0x00 -> 0x01", "reject-open", "bad magic number in the trailer")
    write("truncated.rcv", m[:len(m) - 100])
    case("truncated.rcv", "minimal", "last 100 bytes removed", "reject-open", "no trailer magic at the end")
    write("footer-checksum.rcv", patch(m, footer_start + 4, b"X"))
    case("footer-checksum.rcv", "minimal", "first byte of created_by changed, checksum kept", "reject-open",
         "footer checksum mismatch")
    write("footer-extent.rcv", patch(m, trailer + 8, struct.pack("<Q", len(m) - rr.TRAILER_SIZE - footer_start + 1)))
    case("footer-extent.rcv", "minimal", "trailer footer_length + 1 (runs into the trailer)", "reject-open",
         "footer extent outside the file")

    # Chunk bytes.
    write("chunk-checksum.rcv", patch(m, req.offset + 9, b"2"))
    case("chunk-checksum.rcv", "minimal", "request-id dictionary bytes 'r1' -> 'r2', checksum kept",
         "reject-read:outcomes", "chunk checksum mismatch (found only when the chunk is read)")

    # Footer edits (checksum recomputed).
    def fpart(**changes):
        p = f.partitions[0]
        return f._replace(partitions=[p._replace(**changes)])

    write("chunk-unaligned.rcv", with_footer(m, mds, fpart(request_dictionary=f.partitions[0].request_dictionary._replace(
        chunk=req._replace(offset=req.offset + 1)))))
    case("chunk-unaligned.rcv", "minimal", "request dictionary chunk offset 64 -> 65", "reject-open",
         "chunk offset not a multiple of 64")
    write("chunk-outside-data-area.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "value_present", offset=footer_start)))
    case("chunk-outside-data-area.rcv", "minimal", "outcomes.value_present offset -> footer offset", "reject-open",
         "chunk extent reaches into the footer")
    write("chunk-count-mismatch.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "value", count=2)))
    case("chunk-count-mismatch.rcv", "minimal", "outcomes.value count 1 -> 2", "reject-open",
         "chunk count differs from the row group's rows")
    write("chunk-type-mismatch.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "value", physical_type=2, encoding=1)))
    case("chunk-type-mismatch.rcv", "minimal", "outcomes.value chunk physical type float64 -> int64", "reject-open",
         "chunk physical type differs from the column's")
    dicts = [d._replace(count=d.count + 1) if d.name == "user_id" else d for d in f.dictionaries]
    write("dictionary-count-mismatch.rcv", with_footer(m, mds, f._replace(dictionaries=dicts)))
    case("dictionary-count-mismatch.rcv", "minimal", "user_id dictionary count 1 -> 2", "reject-open",
         "dictionary entry count differs from its chunk's count")
    tables = list(f.tables)
    oc = tables[1]
    tables[1] = oc._replace(columns=[c._replace(physical_type=9) if c.name == "value" else c for c in oc.columns])
    write("unknown-physical-type.rcv", with_footer(m, mds, f._replace(tables=tables)))
    case("unknown-physical-type.rcv", "minimal", "schema type of outcomes.value 3 -> 9", "reject-open",
         "unknown physical type id")
    # The tables of §5 keep their lists and columns (§13.1): a redeclaration is refused on open.
    ex = [t.name for t in f.tables].index("exposures")
    tables = list(f.tables)
    tables[ex] = tables[ex]._replace(columns=[c._replace(group="") if c.name == "rank" else c for c in tables[ex].columns])
    regrouped = f._replace(tables=tables)
    ri = [c.name for c in tables[ex].columns].index("rank")
    parts = []
    for p in regrouped.partitions:
        pt = list(p.tables)
        pt[ex] = [rg._replace(chunks=[c._replace(count=rg.rows) if i == ri else c for i, c in enumerate(rg.chunks)])
                  for rg in pt[ex]]
        parts.append(p._replace(tables=pt))
    write("v1-list-column-as-row-column.rcv", with_footer(m, mds, regrouped._replace(partitions=parts)))
    case("v1-list-column-as-row-column.rcv", "minimal",
         "exposures.rank declared in the table's own rows (list items -> none), its chunks' counts set to the rows",
         "reject-open", "a column of §5 redeclared (its list)")
    tables = list(f.tables)
    tables[1] = oc._replace(columns=[c._replace(physical_type=2) if c.name == "value" else c for c in oc.columns])
    retyped = replace_chunk(f._replace(tables=tables), "outcomes", "value", physical_type=2, encoding=1)
    write("v1-column-retyped.rcv", with_footer(m, mds, retyped))
    case("v1-column-retyped.rcv", "minimal", "outcomes.value declared int64, its chunk int64 bit-packed",
         "reject-open", "a column of §5 redeclared (its physical type)")
    write("code-outside-dictionary.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "user_id", param_a=1)))
    case("code-outside-dictionary.rcv", "minimal", "outcomes.user_id reference value 0 -> 1 (dictionary has 1 entry)",
         "reject-read:outcomes", "dictionary code outside the dictionary")
    write("unknown-codec.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "value_present", codec=9)))
    case("unknown-codec.rcv", "minimal", "outcomes.value_present codec 0 -> 9", "reject-read:outcomes",
         "unknown codec id, found when the chunk is read")
    write("unknown-encoding.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "value_present", encoding=9)))
    case("unknown-encoding.rcv", "minimal", "outcomes.value_present encoding 3 -> 9", "reject-read:outcomes",
         "unknown encoding id, found when the chunk is read")
    write("encoding-not-for-type.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "value_present", encoding=5)))
    case("encoding-not-for-type.rcv", "minimal", "outcomes.value_present encoding bitmap -> decimal", "reject-read:outcomes",
         "decimal does not apply to bool chunks")
    write("bit-width-too-large.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "user_id", bit_width=65)))
    case("bit-width-too-large.rcv", "minimal", "outcomes.user_id bit width 0 -> 65", "reject-read:outcomes",
         "bit width above 64")
    write("int32-out-of-range.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "ts_ns", param_a=1 << 31)))
    case("int32-out-of-range.rcv", "minimal", "outcomes.ts_ns reference value 0 -> 2^31", "reject-read:outcomes",
         "decoded value does not fit int32")
    write("timestamp-offset-range.rcv", with_footer(m, mds, replace_chunk(f, "outcomes", "ts_offset_min", param_a=1440)))
    case("timestamp-offset-range.rcv", "minimal", "outcomes.ts_offset_min 60 -> 1440", "reject-read:outcomes",
         "UTC offset outside -1439..1439 minutes")

    # Forward compatibility: additions a 1.x reader tolerates.
    meta = f.metadata + [("future.key", "some value")]
    write("extra-metadata-key.rcv", with_footer(m, mds, f._replace(metadata=meta)))
    case("extra-metadata-key.rcv", "minimal", "metadata key 'future.key' appended", "accept",
         "unknown metadata keys are ignored")
    empty_dict = f.dictionaries[2].chunk  # an existing empty bytes chunk
    fut = rr.Table("future", [], [rr.Column("x", 1, "", "")])
    parts = [p._replace(tables=list(p.tables) + [[]]) for p in f.partitions]
    write("extra-table.rcv", with_footer(m, mds, f._replace(tables=f.tables + [fut], partitions=parts)))
    case("extra-table.rcv", "minimal", "a fourth table 'future' (one int32 column, no row groups) appended", "accept",
         "unknown tables are ignored")
    tables = list(f.tables)
    tables[1] = tables[1]._replace(columns=tables[1].columns + [rr.Column("future_column", 1, "", "")])
    parts = []
    for p in f.partitions:
        pt = list(p.tables)
        template = pt[1][0].chunks[0]  # request_id: int32, bit-packed width 0, no bytes
        pt[1] = [rg._replace(chunks=rg.chunks + [template]) for rg in pt[1]]
        parts.append(p._replace(tables=pt))
    write("extra-column.rcv", with_footer(m, mds, f._replace(tables=tables, partitions=parts)))
    case("extra-column.rcv", "minimal", "outcomes column 'future_column' (int32) appended", "accept",
         "unknown columns are ignored (their chunk descriptors are still validated)")
    dicts = f.dictionaries + [rr.Dictionary("future_dictionary", 0, empty_dict)]
    write("extra-dictionary.rcv", with_footer(m, mds, f._replace(dictionaries=dicts)))
    case("extra-dictionary.rcv", "minimal", "an empty dictionary 'future_dictionary' appended", "accept",
         "unknown dictionaries are ignored")

    # Counts of a child list (needs exposures).
    b, bds = load("basic-none")
    item_count = [c for c, col in zip(bds.footer.partitions[0].tables[0][0].chunks, bds.footer.tables[0].columns)
                  if col.name == "item_count"][0]
    write("child-count-sum.rcv", with_footer(b, bds, replace_chunk(bds.footer, "exposures", "item_count",
                                                                   param_a=item_count.param_a + 1)))
    case("child-count-sum.rcv", "basic-none", "exposures.item_count reference value + 1 (counts no longer sum to the items)",
         "reject-read:exposures", "count column does not sum to the child list's rows")

    with open(os.path.join(out_dir, "cases.json"), "w") as fh:
        json.dump(cases, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(cases)} mutated files to {out_dir}")


if __name__ == "__main__":
    main()
