//! The parse worker's decoders for every encoding but UTF-8 (which `shared` passes through):
//! the browser's `TextDecoder`, which implements the same WHATWG Encoding Standard as
//! encoding_rs on the server. `shared` builds without encoding_rs here, because its decoders
//! link every CJK table into the worker's wasm.
//!
//! Label lookup, BOM sniffing and the choice of encoding stay in `shared`; this only decodes.
//! The Encoding Standard's decoders output U+FFFD for each malformed sequence: it becomes
//! `shared`'s [`MALFORMED_MARKER`], so the bad cell is reported with its line as on the
//! server. The one divergence: a genuine U+FFFD in a UTF-16 (or gb18030) file is reported
//! as malformed here, while the server keeps it.

use shared::import::{Decoder, DecoderFactory, MALFORMED_MARKER};
use web_sys::{TextDecodeOptions, TextDecoder};

/// `TextDecoder` for every encoding the browser knows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlatformDecoders;

impl DecoderFactory for PlatformDecoders {
    fn lookup(&self, label: &str) -> Option<String> {
        TextDecoder::new_with_label(label)
            .ok()
            .map(|d| d.encoding())
    }

    fn decoder(&self, name: &str) -> Option<Box<dyn Decoder>> {
        let decoder = TextDecoder::new_with_label(name).ok()?;
        Some(Box::new(PlatformDecoder {
            decoder,
            out: Vec::new(),
        }))
    }
}

/// One streaming `TextDecoder` (`decode(chunk, {stream: true})` until the last chunk).
struct PlatformDecoder {
    decoder: TextDecoder,
    out: Vec<u8>,
}

impl Decoder for PlatformDecoder {
    fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
        let options = TextDecodeOptions::new();
        options.set_stream(!last);
        // A failure here (never expected for a non-fatal decoder) marks the chunk as malformed
        // rather than losing it silently.
        let text = self
            .decoder
            .decode_with_u8_array_and_options(input, &options)
            .unwrap_or_else(|_| char::REPLACEMENT_CHARACTER.to_string());
        if !text.contains(char::REPLACEMENT_CHARACTER) {
            if !text.is_empty() {
                sink(text.as_bytes());
            }
            return;
        }
        self.out.clear();
        for (i, part) in text.split(char::REPLACEMENT_CHARACTER).enumerate() {
            if i > 0 {
                self.out.push(MALFORMED_MARKER);
            }
            self.out.extend_from_slice(part.as_bytes());
        }
        sink(&self.out);
    }
}
