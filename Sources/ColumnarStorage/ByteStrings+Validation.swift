import ColumnarFormat

extension ByteStrings {
    /// The first entry that is not well-formed UTF-8, with the offset of the bad byte inside it;
    /// nil when every entry is. One pass when the data is ASCII (checked word by word, then any
    /// split of it is valid); otherwise a second pass entry by entry, since an entry boundary may
    /// cut a multi-byte sequence that the whole data would accept.
    public func firstNonUTF8Entry() -> (entry: Int, byte: Int)? {
        data.withUnsafeBytes { raw -> (Int, Int)? in
            if UTF8Validation.isASCII(raw) { return nil }
            for i in 0..<count {
                let entry = UnsafeRawBufferPointer(rebasing: raw[Int(offsets[i])..<Int(offsets[i + 1])])
                if let at = UTF8Validation.firstInvalidOffset(entry) { return (i, at) }
            }
            return nil
        }
    }

    /// The first non-empty entry that is not a JSON object text with at least one member, and why;
    /// nil when every entry is empty or such an object (what the `extra` column holds, format-spec
    /// §5.4). One pass over the bytes.
    public func firstNonObjectEntry() -> (entry: Int, reason: String)? {
        data.withUnsafeBytes { raw -> (Int, String)? in
            for i in 0..<count where offsets[i] != offsets[i + 1] {
                let entry = UnsafeRawBufferPointer(rebasing: raw[Int(offsets[i])..<Int(offsets[i + 1])])
                if let reason = JSONObjectText.problem(entry) { return (i, reason) }
            }
            return nil
        }
    }
}
