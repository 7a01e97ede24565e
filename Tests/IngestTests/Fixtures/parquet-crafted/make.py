import struct, sys
def varint(v):
    out = b''
    while True:
        b = v & 0x7f; v >>= 7
        if v: out += bytes([b | 0x80])
        else: return out + bytes([b])
def zz(v): return varint((v << 1) ^ (v >> 63) if v < 0 else v << 1)
class S:
    def __init__(s): s.b = b''; s.last = 0
    def f(s, fid, t):
        d = fid - s.last
        assert 0 < d < 16
        s.b += bytes([(d << 4) | t]); s.last = fid
    def i32(s, fid, v): s.f(fid, 5); s.b += zz(v); return s
    def i64(s, fid, v): s.f(fid, 6); s.b += zz(v); return s
    def bin(s, fid, v): s.f(fid, 8); s.b += varint(len(v)) + v; return s
    def lst(s, fid, et, elems):
        s.f(fid, 9)
        n = len(elems)
        s.b += bytes([(n << 4) | et]) if n < 15 else bytes([0xF0 | et]) + varint(n)
        for e in elems: s.b += e
        return s
    def st(s, fid, inner): s.f(fid, 12); s.b += inner; return s
    def end(s): return s.b + b'\x00'
def file(footer, body=b''):
    return b'PAR1' + body + footer + struct.pack('<I', len(footer)) + b'PAR1'
def schema(children, leaves):
    root = S().bin(4, b'r').i32(5, children).end()
    return [root] + leaves
leafA = S().i32(1, 1).i32(3, 0).bin(4, b'a').end()  # INT32 required
leafF = lambda tl: S().i32(1, 7).i32(2, tl).i32(3, 0).bin(4, b'a').end()  # FIXED_LEN_BYTE_ARRAY
def chunk(codec=0, nvalues=1, size=0, start=4):
    md = S().i32(4, codec).i64(5, nvalues).i64(7, size).i64(9, start).end()
    return S().st(3, md).end()
def meta(schemaElems, rowgroups, rows=1):
    return S().i32(1, 1).lst(2, 12, schemaElems).i64(3, rows).lst(4, 12, rowgroups).end()
def rg(chunks, rows): return S().lst(1, 12, chunks).i64(3, rows).end()
I64MAX = (1 << 63) - 1
out = {}
out['A_root_children_neg'] = file(meta(schema(-1, []), []))
out['B_rows_neg_no_columns'] = file(meta(schema(0, []), [rg([], -1)]))
out['B2_rows_max_one_col'] = file(meta(schema(1, [leafA]), [rg([chunk()], I64MAX)]))
out['C_start_plus_size'] = file(meta(schema(1, [leafA]), [rg([chunk(start=I64MAX, size=1)], 1)]))
# D: v2 data page, def+rep lengths overflow. PageHeader: 1 type=3, 2 raw, 3 stored, 8 DataPageHeaderV2{1 num_values,2 num_nulls,3 num_rows,4 encoding,5 def_len,6 rep_len}
v2 = S().i32(1, 1).i32(2, 0).i32(3, 1).i32(4, 0).i32(5, (1<<31)-1).i32(6, (1<<31)-1).end()
# i32 fields read as Int64 via zigzag; use i64 encodings to reach huge values
v2 = S().i32(1, 1).i32(2, 0).i32(3, 1).i32(4, 0).i64(5, I64MAX).i64(6, I64MAX).end()
ph = S().i32(1, 3).i32(2, 8).i32(3, 8).st(8, v2).end() + b'\x00' * 8
out['D_v2_level_lengths'] = file(meta(schema(1, [leafA]), [rg([chunk(size=len(ph))], 1)]), ph)
# E: FIXED_LEN_BYTE_ARRAY type_length -1, PLAIN v1 data page with 1 value
dp = S().i32(1, 1).i32(2, 0).i32(3, 0).i32(4, 0).end()
ph = S().i32(1, 0).i32(2, 8).i32(3, 8).st(5, dp).end() + b'\x00' * 8
out['E_fixed_len_neg'] = file(meta(schema(1, [leafF(-1)]), [rg([chunk(size=len(ph))], 1)]), ph)
# F: DELTA_BINARY_PACKED hang: blockSize 2^40, miniblocks 1, total 2, first 0, minDelta 0, width 0
body = varint(1 << 40) + varint(1) + varint(2) + zz(0) + zz(0) + b'\x00'
dp = S().i32(1, 1).i32(2, 5).i32(3, 0).i32(4, 0).end()
ph = S().i32(1, 0).i32(2, len(body)).i32(3, len(body)).st(5, dp).end() + body
leafI64 = S().i32(1, 2).i32(3, 0).bin(4, b'a').end()
out['F_delta_hang'] = file(meta(schema(1, [leafI64]), [rg([chunk(size=len(ph))], 1)]), ph)
# G: hybrid bitpacked width 0 hang: optional column (maxDefinition 1 -> width 1)... use dictionary indices with width 0
# H: nested thrift lists
out['H_nested_lists'] = file(b'\x19' * 200000 + b'\x00' * 2)
for k, v in out.items(): open(k + '.parquet', 'wb').write(v)
dbody = b'\x07\x00\x00\x00'
dph = S().i32(1, 2).i32(2, 4).i32(3, 4).st(7, S().i32(1, 1).i32(2, 0).end()).end() + dbody
body = b'\x00' + varint(((1 << 40) << 1) | 1)
dp = S().i32(1, 1).i32(2, 8).i32(3, 0).i32(4, 0).end()
ph = S().i32(1, 0).i32(2, len(body)).i32(3, len(body)).st(5, dp).end() + body
pages = dph + ph
open('G_hybrid_width0_hang.parquet', 'wb').write(file(meta(schema(1, [leafA]), [rg([chunk(size=len(pages))], 1)]), pages))
