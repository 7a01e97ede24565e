#!/usr/bin/env python3
"""Reference reader for the receval dataset format, version 1.x.

An independent implementation of format-spec/README.md in standard-library Python. It checks
the header, trailer, footer checksum and structure, every chunk extent and checksum, decodes
every encoding, and rebuilds the exposure.v1 / outcome.v1 / assignment.v1 records as JSON.

Chunks compressed with zstd or lz4 need the optional `zstandard` / `lz4` modules
(`pip install zstandard lz4`); without them such chunks are skipped with a message. A dataset
written with `--codec zstd` also holds lz4 chunks (README §8), so it needs both.

Usage:
    python3 format-spec/reference_reader.py DATASET.rcv --table exposures
    python3 format-spec/reference_reader.py DATASET.rcv --table outcomes --compare expected/outcomes.jsonl
    python3 format-spec/reference_reader.py DATASET.rcv --footer       # footer as JSON
    python3 format-spec/reference_reader.py --self-test                # README worked examples
    python3 format-spec/reference_reader.py --check-vectors format-spec/test-vectors

Exit status: 0 success; 1 the file is not a valid dataset (or --compare differs);
3 some row groups were skipped because a codec module is missing.
"""

import argparse
import collections
import json
import os
import struct
import sys

try:
    import zstandard  # optional
except ImportError:  # pragma: no cover
    zstandard = None
try:
    import lz4.block  # optional
except ImportError:  # pragma: no cover
    lz4 = None

# ---------------------------------------------------------------------------------------------
# Constants (README §2, §3)

HEADER_MAGIC = b"RCVDSET\x00"
TRAILER_MAGIC = b"RCVDEND\x00"
MAJOR_VERSION = 1
HEADER_SIZE = 64
TRAILER_SIZE = 32
ALIGNMENT = 64
CHUNK_DESCRIPTOR_SIZE = 56

PHYSICAL_TYPES = {1: "int32", 2: "int64", 3: "float64", 4: "bool", 5: "bytes"}
ENCODINGS = {0: "plain", 1: "bitpacked", 2: "delta", 3: "bitmap", 4: "rle", 5: "decimal"}
CODECS = {0: "none", 1: "lz4", 2: "zstd"}

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
MAX_CHUNK_VALUES = 1 << 28
U64 = (1 << 64) - 1


class FormatError(Exception):
    """The file is not a valid dataset (a reader MUST reject it)."""


class CodecUnavailable(Exception):
    """A chunk uses a codec whose optional Python module is not installed."""


# ---------------------------------------------------------------------------------------------
# XXH64 (README §9)

P1 = 0x9E3779B185EBCA87
P2 = 0xC2B2AE3D27D4EB4F
P3 = 0x165667B19E3779F9
P4 = 0x85EBCA77C2B2AE63
P5 = 0x27D4EB2F165667C5


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & U64


def _round(acc, lane):
    acc = (acc + lane * P2) & U64
    return (_rotl(acc, 31) * P1) & U64


def _merge(acc, val):
    acc ^= _round(0, val)
    return (acc * P1 + P4) & U64


def xxh64(data, seed=0):
    """XXH64 of `data` (bytes-like) with `seed`; xxh64(b"") == 0xEF46DB3751D8E999."""
    data = bytes(data)
    n = len(data)
    i = 0
    if n >= 32:
        v1 = (seed + P1 + P2) & U64
        v2 = (seed + P2) & U64
        v3 = seed & U64
        v4 = (seed - P1) & U64
        while i <= n - 32:
            a, b, c, d = struct.unpack_from("<4Q", data, i)
            v1, v2, v3, v4 = _round(v1, a), _round(v2, b), _round(v3, c), _round(v4, d)
            i += 32
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & U64
        for v in (v1, v2, v3, v4):
            h = _merge(h, v)
    else:
        h = (seed + P5) & U64
    h = (h + n) & U64
    while i + 8 <= n:
        (k,) = struct.unpack_from("<Q", data, i)
        h ^= _round(0, k)
        h = (_rotl(h, 27) * P1 + P4) & U64
        i += 8
    if i + 4 <= n:
        (k,) = struct.unpack_from("<I", data, i)
        h ^= (k * P1) & U64
        h = (_rotl(h, 23) * P2 + P3) & U64
        i += 4
    while i < n:
        h ^= (data[i] * P5) & U64
        h = (_rotl(h, 11) * P1) & U64
        i += 1
    h ^= h >> 33
    h = (h * P2) & U64
    h ^= h >> 29
    h = (h * P3) & U64
    h ^= h >> 32
    return h


# ---------------------------------------------------------------------------------------------
# The tables of format v1 (README §5): (lists as (name, count column), columns as
# (name, physical type id, list, dictionary)). A file may add tables, lists and columns
# (§13.1) but not redeclare these.

_TS = [("ts_us", 2, "", ""), ("ts_ns", 1, "", ""), ("ts_offset_min", 1, "", "")]
V1_TABLES = {
    "exposures": (
        [("items", "item_count"), ("context", "context_count")],
        [("request_id", 1, "", "request_id"), ("user_id", 1, "", "user_id")] + _TS + [
            ("item_count", 1, "", ""), ("context_present", 4, "", ""), ("context_count", 1, "", ""),
            ("latency_ms_present", 4, "", ""), ("latency_ms", 3, "", ""), ("error_present", 4, "", ""),
            ("error", 4, "", ""), ("item_id", 1, "items", "item_id"), ("rank", 2, "items", ""),
            ("propensity_present", 4, "items", ""), ("propensity", 3, "items", ""),
            ("logging_propensity_present", 4, "items", ""), ("logging_propensity", 3, "items", ""),
            ("target_propensity_present", 4, "items", ""), ("target_propensity", 3, "items", ""),
            ("extra_present", 4, "items", ""), ("extra", 5, "items", ""),
            ("context_key", 1, "context", "context_key"), ("context_value", 1, "context", "context_value")]),
    "outcomes": (
        [],
        [("request_id", 1, "", "request_id"), ("user_id", 1, "", "user_id"), ("item_id", 1, "", "item_id"),
         ("event_type", 1, "", "event_type"), ("value_present", 4, "", ""), ("value", 3, "", "")] + _TS),
    "assignments": (
        [("context", "context_count")],
        [("request_id", 1, "", "request_id"), ("user_id", 1, "", "user_id"),
         ("experiment_id", 1, "", "experiment_id"), ("variant", 1, "", "variant")] + _TS + [
            ("context_present", 4, "", ""), ("context_count", 1, "", ""),
            ("context_key", 1, "context", "context_key"), ("context_value", 1, "context", "context_value")]),
}


def check_v1_tables(tables):
    """Refuses a footer whose tables of §5 redeclare their lists or columns (§13.3)."""
    for t in tables:
        if t.name not in V1_TABLES:
            continue
        groups, columns = V1_TABLES[t.name]
        have = [(g.name, g.count_column) for g in t.groups]
        if have[:len(groups)] != groups:
            raise FormatError(f"table {t.name}: lists {have}, format v1 begins with {groups} (§5)")
        declared = {c.name: (c.physical_type, c.group, c.dictionary) for c in t.columns}
        for name, ptype, group, dictionary in columns:
            if name in declared and declared[name] != (ptype, group, dictionary):
                raise FormatError(f"table {t.name} column {name}: declared as {declared[name]}, "
                                  f"format v1 has {(ptype, group, dictionary)} (§5)")


# ---------------------------------------------------------------------------------------------
# Footer (README §4)

Chunk = collections.namedtuple(
    "Chunk",
    "offset stored_length encoded_length checksum count physical_type encoding codec bit_width param_a param_b",
)
Column = collections.namedtuple("Column", "name physical_type group dictionary")
Group = collections.namedtuple("Group", "name count_column")
Table = collections.namedtuple("Table", "name groups columns")
Dictionary = collections.namedtuple("Dictionary", "name count chunk")
RowGroup = collections.namedtuple("RowGroup", "rows group_rows chunks")
Partition = collections.namedtuple("Partition", "request_dictionary tables")
Footer = collections.namedtuple("Footer", "created_by tables dictionaries partitions metadata")


class Cursor:
    """Little-endian reads with bounds checks over the footer bytes."""

    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def remaining(self):
        return len(self.buf) - self.pos

    def _take(self, fmt, size):
        if self.remaining() < size:
            raise FormatError(f"footer ends early at byte {self.pos}")
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return v

    def u8(self):
        return self._take("<B", 1)

    def u32(self):
        return self._take("<I", 4)

    def u64(self):
        return self._take("<Q", 8)

    def i64(self):
        return self._take("<q", 8)

    def count(self, min_element_size):
        n = self.u32()
        if n > self.remaining() // max(1, min_element_size):
            raise FormatError(f"footer: count {n} at byte {self.pos - 4} exceeds the remaining {self.remaining()} bytes")
        return n

    def string(self):
        n = self.count(1)
        raw = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"footer: string at byte {self.pos - n} is not UTF-8")

    def chunk(self):
        offset, stored, encoded, checksum = self.u64(), self.u64(), self.u64(), self.u64()
        count = self.u32()
        ptype = self.u8()
        if ptype not in PHYSICAL_TYPES:
            raise FormatError(f"chunk has unknown physical type {ptype}")
        enc, codec, bw = self.u8(), self.u8(), self.u8()
        a, b = self.i64(), self.i64()
        return Chunk(offset, stored, encoded, checksum, count, ptype, enc, codec, bw, a, b)

    def dictionary(self):
        name = self.string()
        count = self.u64()
        return Dictionary(name, count, self.chunk())


def parse_footer(buf):
    r = Cursor(buf)
    created_by = r.string()
    tables = []
    for _ in range(r.count(12)):
        name = r.string()
        groups = [Group(r.string(), r.string()) for _ in range(r.count(8))]
        columns = []
        for _ in range(r.count(13)):
            cname = r.string()
            ptype = r.u8()
            if ptype not in PHYSICAL_TYPES:
                raise FormatError(f"column {name}.{cname} has unknown physical type {ptype}")
            group, dictionary = r.string(), r.string()
            if group and group not in [g.name for g in groups]:
                raise FormatError(f"column {name}.{cname} belongs to undeclared list '{group}'")
            columns.append(Column(cname, ptype, group, dictionary))
        tables.append(Table(name, groups, columns))
    dictionaries = [r.dictionary() for _ in range(r.count(68))]
    partitions = []
    for _ in range(r.count(68)):
        request_dictionary = r.dictionary()
        per_table = []
        for t in tables:
            row_groups = []
            for _ in range(r.count(8)):
                rows = r.u64()
                group_rows = [r.u64() for _ in t.groups]
                if r.remaining() < len(t.columns) * CHUNK_DESCRIPTOR_SIZE:
                    raise FormatError("footer row group list is truncated")
                chunks = [r.chunk() for _ in t.columns]
                row_groups.append(RowGroup(rows, group_rows, chunks))
            per_table.append(row_groups)
        partitions.append(Partition(request_dictionary, per_table))
    metadata = [(r.string(), r.string()) for _ in range(r.count(8))]
    if r.remaining() != 0:
        raise FormatError(f"footer has {r.remaining()} unexpected trailing bytes")
    return Footer(created_by, tables, dictionaries, partitions, metadata)


# ---------------------------------------------------------------------------------------------
# Decoding (README §6, §7)

def bitpacked_size(count, width):
    return ((count * width + 63) // 64) * 8


def unpack_bits(payload, count, width):
    """`count` unsigned values of `width` bits, LSB first, from a little-endian bit stream."""
    if width > 64:
        raise FormatError(f"bit width {width} > 64")
    if len(payload) != bitpacked_size(count, width):
        raise FormatError(f"bit-packed payload is {len(payload)} bytes, expected {bitpacked_size(count, width)}")
    if width == 0:
        return [0] * count
    stream = int.from_bytes(payload, "little")
    mask = (1 << width) - 1
    return [(stream >> (i * width)) & mask for i in range(count)]


def signed64(v):
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def decode_integers(payload, c):
    n = c.count
    enc = c.encoding
    if enc == 0:  # plain
        size = 4 if c.physical_type == 1 else 8
        if len(payload) != n * size:
            raise FormatError(f"plain payload is {len(payload)} bytes for {n} values")
        out = list(struct.unpack_from("<%d%s" % (n, "i" if size == 4 else "q"), payload))
    elif enc == 1:  # bit-packed frame of reference
        out = [signed64(c.param_a + u) for u in unpack_bits(payload, n, c.bit_width)]
    elif enc == 2:  # delta bit-packed
        if n == 0:
            out = []
        else:
            out = [c.param_a]
            prev = c.param_a
            for u in unpack_bits(payload, n - 1, c.bit_width):
                prev = signed64(prev + signed64(u + c.param_b))
                out.append(prev)
    elif enc in ENCODINGS:
        raise FormatError(f"encoding {ENCODINGS[enc]} does not apply to integers")
    else:
        raise FormatError(f"unknown encoding id {enc}")
    if c.physical_type == 1:
        for x in out:
            if x < INT32_MIN or x > INT32_MAX:
                raise FormatError(f"value {x} does not fit int32")
    return out


POWERS_OF_TEN = [float(10 ** e) for e in range(19)]


def decode_float64(payload, c):
    n = c.count
    if c.encoding == 0:
        if len(payload) != n * 8:
            raise FormatError(f"plain payload is {len(payload)} bytes for {n} doubles")
        return list(struct.unpack_from("<%dd" % n, payload))
    if c.encoding == 5:  # decimal bit-packed
        if not 0 <= c.param_b < len(POWERS_OF_TEN):
            raise FormatError(f"decimal exponent {c.param_b} out of range")
        scale = POWERS_OF_TEN[c.param_b]
        return [float(signed64(c.param_a + u)) / scale for u in unpack_bits(payload, n, c.bit_width)]
    if c.encoding in ENCODINGS:
        raise FormatError(f"encoding {ENCODINGS[c.encoding]} does not apply to doubles")
    raise FormatError(f"unknown encoding id {c.encoding}")


def decode_bool(payload, c):
    n = c.count
    if c.encoding == 0:  # plain: one byte 0/1 per value
        if len(payload) != n:
            raise FormatError(f"plain bool payload is {len(payload)} bytes for {n} values")
        if any(b > 1 for b in payload):
            raise FormatError("bool byte is neither 0 nor 1")
        return [bool(b) for b in payload]
    if c.encoding == 3:  # bitmap
        if len(payload) != (n + 7) // 8:
            raise FormatError(f"bitmap is {len(payload)} bytes for {n} values")
        return [bool((payload[i >> 3] >> (i & 7)) & 1) for i in range(n)]
    if c.encoding == 4:  # run lengths, alternating false/true, starting with false
        if len(payload) % 4:
            raise FormatError("run-length payload size is not a multiple of 4")
        out = []
        value = False
        for (run,) in struct.iter_unpack("<I", payload):
            if run > n - len(out):
                raise FormatError(f"runs cover more than {n} values")
            out.extend([value] * run)
            value = not value
        if len(out) != n:
            raise FormatError(f"runs cover {len(out)} of {n} values")
        return out
    if c.encoding in ENCODINGS:
        raise FormatError(f"encoding {ENCODINGS[c.encoding]} does not apply to bools")
    raise FormatError(f"unknown encoding id {c.encoding}")


def decode_bytes(payload, c):
    n = c.count
    if c.encoding != 0:
        if c.encoding in ENCODINGS:
            raise FormatError(f"encoding {ENCODINGS[c.encoding]} does not apply to bytes")
        raise FormatError(f"unknown encoding id {c.encoding}")
    head = (n + 1) * 4
    if len(payload) < head:
        raise FormatError(f"bytes payload too short for {n + 1} offsets")
    offsets = struct.unpack_from("<%dI" % (n + 1), payload)
    data = bytes(payload[head:])
    if offsets[0] != 0:
        raise FormatError(f"first offset is {offsets[0]}, not 0")
    for i in range(1, n + 1):
        if offsets[i] < offsets[i - 1] or offsets[i] > len(data):
            raise FormatError(f"offset {i} = {offsets[i]} is out of order or past the data")
    if offsets[n] != len(data):
        raise FormatError(f"offsets end at {offsets[n]} but data has {len(data)} bytes")
    return [data[offsets[i]:offsets[i + 1]] for i in range(n)]


DECODERS = {1: decode_integers, 2: decode_integers, 3: decode_float64, 4: decode_bool, 5: decode_bytes}


def decompress(stored, c):
    if c.codec == 0:
        if len(stored) != c.encoded_length:
            raise FormatError(f"stored {len(stored)} bytes but encoded length is {c.encoded_length}")
        return bytes(stored)
    if c.codec == 2:
        if zstandard is None:
            raise CodecUnavailable("zstd (pip install zstandard)")
        declared = zstandard.frame_content_size(bytes(stored))
        if declared != c.encoded_length:
            raise FormatError(f"zstd frame declares {declared} bytes, descriptor says {c.encoded_length}")
        try:
            out = zstandard.ZstdDecompressor().decompress(bytes(stored), max_output_size=c.encoded_length)
        except zstandard.ZstdError as e:
            raise FormatError(f"zstd: {e}")
    elif c.codec == 1:
        if lz4 is None:
            raise CodecUnavailable("lz4 (pip install lz4)")
        try:
            out = lz4.block.decompress(bytes(stored), uncompressed_size=c.encoded_length)
        except Exception as e:  # lz4.block.LZ4BlockError
            raise FormatError(f"lz4: {e}")
    else:
        raise FormatError(f"unknown codec id {c.codec}")
    if len(out) != c.encoded_length:
        raise FormatError(f"decompressed to {len(out)} bytes, encoded length is {c.encoded_length}")
    return out


# ---------------------------------------------------------------------------------------------
# The dataset

class Dataset:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        self.footer, self.footer_offset, self.minor = self._open()
        self._validate()

    def _open(self):
        b = self.buf
        if len(b) < HEADER_SIZE + TRAILER_SIZE:
            raise FormatError(f"{len(b)} bytes is smaller than header and trailer")
        if b[0:8] != HEADER_MAGIC:
            raise FormatError("bad magic number in header")
        major, minor = struct.unpack_from("<HH", b, 8)
        if major != MAJOR_VERSION:
            raise FormatError(f"format version {major}.{minor} is not 1.x")
        if b[-8:] != TRAILER_MAGIC:
            raise FormatError("bad magic number in trailer (the file may be truncated)")
        offset, length, checksum = struct.unpack_from("<3Q", b, len(b) - TRAILER_SIZE)
        limit = len(b) - TRAILER_SIZE
        if offset < HEADER_SIZE or length > limit or offset > limit - length:
            raise FormatError(f"footer extent {offset}+{length} lies outside the file")
        fb = b[offset:offset + length]
        if xxh64(fb) != checksum:
            raise FormatError("checksum mismatch in footer")
        return parse_footer(fb), offset, minor

    def _check_extent(self, c, what):
        limit = self.footer_offset
        if c.offset < HEADER_SIZE or c.offset % ALIGNMENT or c.stored_length > limit or c.offset > limit - c.stored_length:
            raise FormatError(f"{what}: chunk extent {c.offset}+{c.stored_length} is outside the data area")
        if c.encoded_length > 1 << 32:
            raise FormatError(f"{what}: encoded length {c.encoded_length} is more than this reader decodes in one chunk")

    def _validate(self):
        f = self.footer
        check_v1_tables(f.tables)
        for d in f.dictionaries:
            self._check_extent(d.chunk, f"dictionary {d.name}")
            check_dictionary(d, f"dictionary {d.name}")
        for pi, p in enumerate(f.partitions):
            rd = p.request_dictionary
            self._check_extent(rd.chunk, f"partition {pi} request dictionary")
            check_dictionary(rd, f"partition {pi} request dictionary")
            for t, row_groups in zip(f.tables, p.tables):
                for gi, rg in enumerate(row_groups):
                    ctx = f"partition {pi} {t.name} row group {gi}"
                    for col, c in zip(t.columns, rg.chunks):
                        self._check_extent(c, f"{ctx} column {col.name}")
                        if c.physical_type != col.physical_type:
                            raise FormatError(f"{ctx} column {col.name}: chunk type differs from schema")
                        if col.group:
                            gidx = [g.name for g in t.groups].index(col.group)
                            expected = rg.group_rows[gidx]
                        else:
                            expected = rg.rows
                        if c.count != expected:
                            raise FormatError(f"{ctx} column {col.name}: {c.count} values, row group has {expected} rows")

    def payload(self, c, what):
        stored = self.buf[c.offset:c.offset + c.stored_length]
        if xxh64(stored) != c.checksum:
            raise FormatError(f"checksum mismatch in {what}")
        return decompress(stored, c)

    def values(self, c, what):
        # Like the receval reader (README §13.2): constant values take no payload bytes, so a
        # chunk may claim billions of them; refuse rather than run out of memory.
        if c.count > MAX_CHUNK_VALUES:
            raise FormatError(f"{what}: {c.count} values in one chunk, more than this reader decodes ({MAX_CHUNK_VALUES})")
        payload = self.payload(c, what)
        try:
            return DECODERS[c.physical_type](payload, c)
        except FormatError as e:
            raise FormatError(f"{what}: {e}")

    def dictionary(self, name):
        for d in self.footer.dictionaries:
            if d.name == name:
                return utf8_entries(self.values(d.chunk, f"dictionary {name}"), f"dictionary {name}")
        raise FormatError(f"dictionary {name} is missing")

    def request_dictionary(self, p):
        what = f"partition {p} request dictionary"
        entries = utf8_entries(self.values(self.footer.partitions[p].request_dictionary.chunk, what), what)
        # README §12, §13.3: a footer that says no request id is empty must not hide one.
        claim = next((v for k, v in self.footer.metadata if k == "ingest.empty_request_ids"), None)
        if claim == "none" and entries and entries[0] == b"":
            raise FormatError(f"{what} holds the empty request id, but the footer says ingest.empty_request_ids = none")
        return entries

    def table_index(self, name):
        for i, t in enumerate(self.footer.tables):
            if t.name == name:
                return i
        raise FormatError(f"no table named {name}")


def check_dictionary(d, what):
    """A dictionary's chunk holds `bytes`, one value per entry (README §13.3)."""
    if d.chunk.physical_type != 5:
        raise FormatError(f"{what}: chunk type is {PHYSICAL_TYPES.get(d.chunk.physical_type, d.chunk.physical_type)}, "
                          "a dictionary must be bytes")
    if d.chunk.count != d.count:
        raise FormatError(f"{what}: chunk holds {d.chunk.count} entries, footer says {d.count}")


def utf8_entries(entries, what):
    """`entries`, each checked to be UTF-8 (README §2, §13.3)."""
    for i, e in enumerate(entries):
        try:
            e.decode("utf-8")
        except UnicodeDecodeError as err:
            raise FormatError(f"{what}: entry {i} is not valid UTF-8 (byte {err.start} of the entry)")
    return entries


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def extra_members(rgr, i, text_bytes):
    """The members of item row `i`'s `extra`, which must be a JSON object with members (README §5.4)."""
    try:
        members = json.loads(text_bytes.decode("utf-8"), parse_constant=_reject_constant)
        problem = None if isinstance(members, dict) and members else "not an object with members"
    except (UnicodeDecodeError, ValueError) as e:
        problem = str(e)
    if problem:
        raise FormatError(f"partition {rgr.p} {rgr.schema.name} row group {rgr.g} column extra: "
                          f"item row {i} is not a JSON object with members ({problem})")
    return members


# ---------------------------------------------------------------------------------------------
# Record reconstruction (README §14)

def days_to_civil(z):
    """Proleptic Gregorian (year, month, day) of day `z` since 1970-01-01."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def format_ts(us, ns, offset_min):
    """RFC 3339 text of the instant `us` µs (+ `ns` ns) after the epoch, shown in its UTC offset."""
    local = us + offset_min * 60_000_000
    secs, frac_us = divmod(local, 1_000_000)
    days, sod = divmod(secs, 86400)
    y, m, d = days_to_civil(days)
    s = f"{y:04d}-{m:02d}-{d:02d}T{sod // 3600:02d}:{sod // 60 % 60:02d}:{sod % 60:02d}"
    frac_ns = frac_us * 1000 + ns
    if frac_ns:
        s += "." + f"{frac_ns:09d}".rstrip("0")
    if offset_min == 0:
        s += "Z"
    else:
        a = abs(offset_min)
        s += ("-" if offset_min < 0 else "+") + f"{a // 60:02d}:{a % 60:02d}"
    return s


def json_number(d):
    """The JSON number the exporter writes for a double: an integer when it is one (|d| < 1e15)."""
    if d == int(d) and abs(d) < 1e15:
        return int(d)
    return d


def text(b):
    return b.decode("utf-8")


class RowGroupReader:
    def __init__(self, ds, p, t, g):
        self.ds, self.p, self.t, self.g = ds, p, t, g
        self.schema = ds.footer.tables[t]
        self.rg = ds.footer.partitions[p].tables[t][g]

    def column(self, name):
        for col, c in zip(self.schema.columns, self.rg.chunks):
            if col.name == name:
                return self.ds.values(c, f"partition {self.p} {self.schema.name} row group {self.g} column {name}")
        raise FormatError(f"table {self.schema.name} has no column {name}")

    def group_rows(self, group):
        names = [g.name for g in self.schema.groups]
        if group not in names:
            raise FormatError(f"table {self.schema.name} has no list {group}")
        return self.rg.group_rows[names.index(group)]

    def codes(self, name, dictionary):
        values = self.column(name)
        for x in values:
            if x < 0 or x >= len(dictionary):
                raise FormatError(f"{name}: code {x} is outside the dictionary (size {len(dictionary)})")
        return [dictionary[x] for x in values]

    def counts(self, name, group):
        values = self.column(name)
        total = self.group_rows(group)
        if any(x < 0 for x in values) or sum(values) != total:
            raise FormatError(f"{name}: counts do not sum to the {total} rows of list {group}")
        return values

    def timestamps(self):
        us, ns, off = self.column("ts_us"), self.column("ts_ns"), self.column("ts_offset_min")
        out = []
        for a, b, c in zip(us, ns, off):
            if not (0 <= b < 1000 and abs(c) < 1440):
                raise FormatError("timestamp fields out of range")
            out.append(format_ts(a, b, c))
        return out

    def contexts(self, keys, values):
        present = self.column("context_present")
        count = self.counts("context_count", "context")
        k = self.codes("context_key", keys)
        v = self.codes("context_value", values)
        out, j = [], 0
        for r in range(self.rg.rows):
            pairs = list(zip(k[j:j + count[r]], v[j:j + count[r]]))
            j += count[r]
            out.append({text(a): text(b) for a, b in pairs} if present[r] else None)
        return out


def exposures(rgr, req, d):
    n = rgr.rg.rows
    request = rgr.codes("request_id", req)
    user = rgr.codes("user_id", d["user_id"])
    ts = rgr.timestamps()
    item_count = rgr.counts("item_count", "items")
    ctx = rgr.contexts(d["context_key"], d["context_value"])
    lat_p, lat = rgr.column("latency_ms_present"), rgr.column("latency_ms")
    err_p, err = rgr.column("error_present"), rgr.column("error")
    item = rgr.codes("item_id", d["item_id"])
    rank = rgr.column("rank")
    optional = [(name, rgr.column(name + "_present"), rgr.column(name))
                for name in ("propensity", "logging_propensity", "target_propensity")]
    extra_p, extra = rgr.column("extra_present"), rgr.column("extra")
    out, j = [], 0
    for r in range(n):
        items = []
        for i in range(j, j + item_count[r]):
            it = {"item_id": text(item[i]), "rank": rank[i]}
            for name, present, values in optional:
                if present[i]:
                    it[name] = json_number(values[i])
            if extra_p[i]:
                it.update(extra_members(rgr, i, extra[i]))
            items.append(it)
        j += item_count[r]
        rec = {"request_id": text(request[r]), "user_id": text(user[r]), "ts": ts[r], "items": items}
        if ctx[r] is not None:
            rec["context"] = ctx[r]
        if lat_p[r]:
            rec["latency_ms"] = json_number(lat[r])
        if err_p[r]:
            rec["error"] = err[r]
        out.append(rec)
    return out


def outcomes(rgr, req, d):
    request = rgr.codes("request_id", req)
    user = rgr.codes("user_id", d["user_id"])
    item = rgr.codes("item_id", d["item_id"])
    event = rgr.codes("event_type", d["event_type"])
    val_p, val = rgr.column("value_present"), rgr.column("value")
    ts = rgr.timestamps()
    out = []
    for r in range(rgr.rg.rows):
        rec = {"request_id": text(request[r]), "user_id": text(user[r]), "item_id": text(item[r]),
               "event_type": text(event[r])}
        if val_p[r]:
            rec["value"] = json_number(val[r])
        rec["ts"] = ts[r]
        out.append(rec)
    return out


def assignments(rgr, req, d):
    request = rgr.codes("request_id", req)
    user = rgr.codes("user_id", d["user_id"])
    exp = rgr.codes("experiment_id", d["experiment_id"])
    variant = rgr.codes("variant", d["variant"])
    ts = rgr.timestamps()
    ctx = rgr.contexts(d["context_key"], d["context_value"])
    out = []
    for r in range(rgr.rg.rows):
        rec = {"experiment_id": text(exp[r]), "variant": text(variant[r]), "request_id": text(request[r]),
               "user_id": text(user[r]), "ts": ts[r]}
        if ctx[r] is not None:
            rec["context"] = ctx[r]
        out.append(rec)
    return out


BUILDERS = {"exposures": exposures, "outcomes": outcomes, "assignments": assignments}
DICTIONARIES = {
    "exposures": ["user_id", "item_id", "context_key", "context_value"],
    "outcomes": ["user_id", "item_id", "event_type"],
    "assignments": ["user_id", "experiment_id", "variant", "context_key", "context_value"],
}


def read_records(ds, table, skipped):
    """All records of `table`, partition by partition, row group by row group."""
    t = ds.table_index(table)
    try:
        d = {name: ds.dictionary(name) for name in DICTIONARIES[table]}
    except CodecUnavailable as e:
        skipped.append(f"all of {table}: a dictionary needs {e}")
        return []
    records = []
    for p, part in enumerate(ds.footer.partitions):
        try:
            req = ds.request_dictionary(p)
        except CodecUnavailable as e:
            skipped.append(f"partition {p}: its request dictionary needs {e}")
            continue
        for g in range(len(part.tables[t])):
            try:
                records.extend(BUILDERS[table](RowGroupReader(ds, p, t, g), req, d))
            except CodecUnavailable as e:
                skipped.append(f"partition {p} {table} row group {g}: a chunk needs {e}")
    return records


# ---------------------------------------------------------------------------------------------
# Comparison with the expected export

def canonical(v):
    """A JSON value with number spelling normalised (integral floats become ints)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: canonical(x) for k, x in v.items()}
    if isinstance(v, list):
        return [canonical(x) for x in v]
    return v


def multiset(records):
    return collections.Counter(json.dumps(canonical(r), sort_keys=True, ensure_ascii=False) for r in records)


def compare(records, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        expected = [json.loads(line) for line in f if line.strip()]
    a, b = multiset(records), multiset(expected)
    if a == b:
        return True, f"{len(records)} records equal {expected_path}"
    lines = [f"{sum(a.values())} records decoded, {sum(b.values())} expected in {expected_path}"]
    for k in (a - b):
        lines.append("  only decoded: " + k)
    for k in (b - a):
        lines.append("  only expected: " + k)
    return False, "\n".join(lines)


def footer_json(ds):
    f = ds.footer

    def chunk(c):
        return {"offset": c.offset, "stored_length": c.stored_length, "encoded_length": c.encoded_length,
                "checksum": f"0x{c.checksum:016x}", "count": c.count,
                "physical_type": PHYSICAL_TYPES[c.physical_type],
                "encoding": ENCODINGS.get(c.encoding, c.encoding), "codec": CODECS.get(c.codec, c.codec),
                "bit_width": c.bit_width, "param_a": c.param_a, "param_b": c.param_b}

    return {
        "version": f"{MAJOR_VERSION}.{ds.minor}", "file_bytes": len(ds.buf), "footer_offset": ds.footer_offset,
        "created_by": f.created_by,
        "tables": [{"name": t.name, "groups": [g._asdict() for g in t.groups],
                    "columns": [{"name": c.name, "type": PHYSICAL_TYPES[c.physical_type], "group": c.group,
                                 "dictionary": c.dictionary} for c in t.columns]} for t in f.tables],
        "dictionaries": [{"name": d.name, "count": d.count, "chunk": chunk(d.chunk)} for d in f.dictionaries],
        "partitions": [{"request_dictionary": {"name": p.request_dictionary.name, "count": p.request_dictionary.count,
                                               "chunk": chunk(p.request_dictionary.chunk)},
                        "tables": {t.name: [{"rows": rg.rows, "group_rows": rg.group_rows,
                                             "chunks": {col.name: chunk(c) for col, c in zip(t.columns, rg.chunks)}}
                                            for rg in rgs] for t, rgs in zip(f.tables, p.tables)}}
                       for p in f.partitions],
        "metadata": [[k, v] for k, v in f.metadata],
    }


# ---------------------------------------------------------------------------------------------
# Self-test: the worked examples of README §5.3, §7 and §9

def self_test():
    def chunk(ptype, enc, count, bw=0, a=0, b=0):
        return Chunk(0, 0, 0, 0, count, ptype, enc, 0, bw, a, b)

    h = bytes.fromhex
    checks = [
        ("xxh64 empty", xxh64(b""), 0xEF46DB3751D8E999),
        ("xxh64 'abc'", xxh64(b"abc"), 0x44BC2CF5AD770999),
        ("xxh64 'req-0001'", xxh64("req-0001".encode()), 0x3ABB004B20695957),
        ("xxh64 bytes 0..99", xxh64(bytes(range(100))), 0x6AC1E58032166597),
        ("plain int32", decode_integers(h("006cca8800943577006cca88"), chunk(1, 0, 3)),
         [-2000000000, 2000000000, -2000000000]),
        ("plain int64", decode_integers(h("0000000000000080ffffffffffffff7f0000000000000000"), chunk(2, 0, 3)),
         [-2**63, 2**63 - 1, 0]),
        ("bit-packed", decode_integers(h("8408000000000000"), chunk(1, 1, 4, 3, 101)), [105, 101, 103, 105]),
        ("bit-packed width 0", decode_integers(b"", chunk(1, 1, 3, 0, 42)), [42, 42, 42]),
        ("delta", decode_integers(h("4900000000000000"), chunk(2, 2, 5, 2, 1000000, 999999)),
         [1000000, 2000000, 3000001, 4000000, 5000000]),
        ("delta width 64 (wrapping)", decode_integers(h("fcffffffffffffff0000000000000000"),
                                                      chunk(2, 2, 3, 64, 1, -9223372036854775806)), [1, 2**63 - 1, 1]),
        ("delta width 0", decode_integers(b"", chunk(2, 2, 4, 0, 1, 1)), [1, 2, 3, 4]),
        ("bitmap", decode_bool(h("0d02"), chunk(4, 3, 10)), [1, 0, 1, 1, 0, 0, 0, 0, 0, 1]),
        ("bitmap 33", decode_bool(h("000000c001"), chunk(4, 3, 33)), [0] * 30 + [1] * 3),
        ("run length", decode_bool(h("3c00000028000000"), chunk(4, 4, 100)), [0] * 60 + [1] * 40),
        ("run length leading true", decode_bool(h("0000000064000000"), chunk(4, 4, 100)), [1] * 100),
        ("run length one run", decode_bool(h("28000000"), chunk(4, 4, 40)), [0] * 40),
        ("decimal", decode_float64(h("4701000000000000"), chunk(3, 5, 3, 3, 5, 2)), [0.12, 0.05, 0.1]),
        ("plain float64", decode_float64(h("555555555555d53f"), chunk(3, 0, 1)), [1 / 3]),
        ("plain bytes", decode_bytes(h("0000000002000000020000000500000068696a6b6c"), chunk(5, 0, 3)),
         [b"hi", b"", b"jkl"]),
        ("timestamp", format_ts(-500000, 0, -480), "1969-12-31T15:59:59.5-08:00"),
        ("timestamp ns", format_ts(1769493600123456, 789, 330), "2026-01-27T11:30:00.123456789+05:30"),
        ("timestamp before the epoch", format_ts(-1, 900, 0), "1969-12-31T23:59:59.9999999Z"),
        ("timestamp minimal.rcv", format_ts(1769504400500000, 0, 60), "2026-01-27T10:00:00.5+01:00"),
        ("decimal latency_ms of basic-none", decode_float64(h("7d80110000000000"), chunk(3, 5, 3, 7, 0, 1)), [12.5, 0.0, 7.0]),
    ]
    ok = True
    for name, got, want in checks:
        if isinstance(got, list) and want and isinstance(want[0], int) and isinstance(got[0], bool):
            got = [int(x) for x in got]
        good = got == want
        ok &= good
        shown = f"0x{got:016x}" if isinstance(got, int) else got
        if isinstance(shown, list) and len(shown) > 12:
            shown = f"{shown[:6]} ... {shown[-3:]} ({len(shown)} values)"
        print(("ok   " if good else "FAIL ") + f"{name}: {shown}")
    return ok


def check_vectors(root):
    """Decodes every vector under `root` and compares it with its expected/*.jsonl; checks the
    mutated files listed in `root`/mutations/cases.json."""
    ok = True
    incomplete = False
    tables = ("exposures", "outcomes", "assignments")
    for name in sorted(os.listdir(root)):
        vdir = os.path.join(root, name)
        path = os.path.join(vdir, name + ".rcv")
        if not os.path.isfile(path):
            continue
        try:
            ds = Dataset(path)
        except FormatError as e:
            print(f"FAIL {name}: {e}")
            ok = False
            continue
        for table in tables:
            skipped = []
            try:
                records = read_records(ds, table, skipped)
            except FormatError as e:
                print(f"FAIL {name} {table}: {e}")
                ok = False
                continue
            if skipped:
                incomplete = True
                for s in skipped:
                    print(f"SKIP {name} {table}: {s}")
                continue
            good, msg = compare(records, os.path.join(vdir, "expected", table + ".jsonl"))
            ok &= good
            print(("ok   " if good else "FAIL ") + f"{name} {table}: {msg}")
    cases_path = os.path.join(root, "mutations", "cases.json")
    if os.path.isfile(cases_path):
        with open(cases_path, encoding="utf-8") as f:
            cases = json.load(f)
        for c in cases:
            path = os.path.join(root, "mutations", c["file"])
            expect = c["expect"]
            try:
                ds = Dataset(path)
            except FormatError as e:
                good = expect == "reject-open"
                print(("ok   " if good else "FAIL ") + f"mutations/{c['file']}: rejected when opened: {e}")
                ok &= good
                continue
            if expect == "reject-open":
                print(f"FAIL mutations/{c['file']}: opened, but must be rejected")
                ok = False
                continue
            if expect.startswith("reject-read:"):
                table = expect.split(":", 1)[1]
                try:
                    read_records(ds, table, [])
                    result, good = f"{table} was read, but must be rejected", False
                except FormatError as e:
                    result, good = f"opened, rejected when reading {table}: {e}", True
            else:
                result, good = "accepted, decodes like " + c["base"], True
                for table in tables:
                    try:
                        records = read_records(ds, table, [])
                    except FormatError as e:
                        result, good = f"rejected when reading {table}: {e}", False
                        break
                    same, msg = compare(records, os.path.join(root, c["base"], "expected", table + ".jsonl"))
                    if not same:
                        result, good = "decoded differently from " + c["base"] + ": " + msg, False
                        break
            print(("ok   " if good else "FAIL ") + f"mutations/{c['file']}: {result}")
            ok &= good
    return 1 if not ok else (3 if incomplete else 0)


def main():
    ap = argparse.ArgumentParser(description="Reference reader for receval datasets (format 1.x).")
    ap.add_argument("dataset", nargs="?")
    ap.add_argument("--table", choices=sorted(BUILDERS), default="exposures")
    ap.add_argument("--compare", metavar="EXPECTED_JSONL", help="compare the decoded records with a JSONL file (as multisets of JSON values)")
    ap.add_argument("--footer", action="store_true", help="print the parsed footer as JSON")
    ap.add_argument("--self-test", action="store_true", help="check the worked examples of the specification")
    ap.add_argument("--check-vectors", metavar="DIR", help="decode every test vector in DIR and compare with its expected output")
    args = ap.parse_args()
    if args.self_test:
        return 0 if self_test() else 1
    if args.check_vectors:
        return check_vectors(args.check_vectors)
    if not args.dataset:
        ap.error("give a dataset file")
    try:
        ds = Dataset(args.dataset)
        if args.footer:
            print(json.dumps(footer_json(ds), indent=1, ensure_ascii=False))
            return 0
        skipped = []
        records = read_records(ds, args.table, skipped)
    except FormatError as e:
        print(f"error: {args.dataset}: not a valid receval dataset: {e}", file=sys.stderr)
        return 1
    for s in skipped:
        print(f"skipped {s}; its records are not shown", file=sys.stderr)
    if args.compare:
        good, msg = compare(records, args.compare)
        print(msg)
        return 0 if good and not skipped else (3 if good else 1)
    out = sys.stdout
    for r in records:
        out.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 3 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
