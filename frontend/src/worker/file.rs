//! Reading the file: a slice at a time with `FileReaderSync` (detection, preview, upload), or
//! through its stream for the whole-file check ([`SliceReader`]); and the detection every job
//! starts with.

use js_sys::{Reflect, Uint8Array};
use shared::import::{Detection, Limits, RowReader};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, FileReaderSync, ReadableStreamDefaultReader};

use crate::decode::PlatformDecoders;
use crate::protocol::ReadSettings;

/// Bytes read per slice.
pub(super) const SLICE: f64 = 1024.0 * 1024.0;
/// Bytes used to detect encoding, delimiter, header and mapping.
pub const SAMPLE: f64 = shared::import::SAMPLE_BYTES as f64;

/// Read `[start, end)` of the file.
pub fn read_slice(file: &File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(|e| format!("{e:?}"))?;
    let blob = file
        .slice_with_f64_and_f64(start, end)
        .map_err(|e| format!("{e:?}"))?;
    let buffer = reader
        .read_as_array_buffer(&blob)
        .map_err(|e| format!("The file could not be read: {e:?}"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

pub(super) fn detect(file: &File, settings: &ReadSettings) -> Result<(Detection, Vec<u8>), String> {
    let sample = read_slice(file, 0.0, SAMPLE.min(file.size()))?;
    let detection = shared::import::detect_with(&sample, settings, &PlatformDecoders);
    Ok((detection, sample))
}

/// A reader for the file `detection` describes, decoding as [`detect`] did.
pub(super) fn row_reader(detection: &Detection) -> RowReader {
    RowReader::with_decoders(detection, Limits::default(), &PlatformDecoders)
}

/// Reads a file from start to end in slices of [`SLICE`] bytes, through the `File`'s
/// stream, into one reused buffer. The stream hands over large chunks: reading the whole
/// 113 MB benchmark file this way took about 260 ms in headless Chromium, against 670-910 ms
/// with one `FileReaderSync` round trip per 1 MB slice (then copied into a fresh `Vec`).
pub struct SliceReader {
    reader: ReadableStreamDefaultReader,
    /// The part of the last chunk not handed out yet.
    rest: Option<Uint8Array>,
    done: bool,
    /// The file offset reached (bytes handed out so far, from the start of the file).
    offset: f64,
    /// Where to stop (see [`SliceReader::stop_at`]).
    end: f64,
    buf: Vec<u8>,
}

impl SliceReader {
    pub fn new(file: &File) -> Self {
        Self::of(file, 0.0)
    }

    /// The bytes of `file` from `start` to `end`.
    pub fn range(file: &File, start: f64, end: f64) -> Result<Self, String> {
        let blob = file
            .slice_with_f64_and_f64(start, end)
            .map_err(|e| format!("The file could not be read: {e:?}"))?;
        Ok(Self::of(&blob, start))
    }

    /// `blob`'s bytes, which start at `offset` of the file.
    fn of(blob: &Blob, offset: f64) -> Self {
        SliceReader {
            reader: blob.stream().get_reader().unchecked_into(),
            rest: None,
            done: false,
            offset,
            end: f64::INFINITY,
            buf: Vec::with_capacity(SLICE as usize),
        }
    }

    /// Hands out nothing from file offset `end` on (not before the bytes handed out).
    pub fn stop_at(&mut self, end: f64) {
        self.end = end.max(self.offset);
    }

    /// The next slice (shorter only at the end of the file) and the file offset it ends at;
    /// `None` after the last.
    pub async fn next_slice(&mut self) -> Result<Option<(&[u8], f64)>, String> {
        let slice = SLICE.min(self.end - self.offset) as usize;
        self.buf.clear();
        if slice == 0 && !self.done {
            // Stopped early: the stream is not read further.
            self.done = true;
            self.rest = None;
            let _ = self.reader.cancel();
        }
        while self.buf.len() < slice {
            let chunk = match self.rest.take() {
                Some(rest) => rest,
                None if self.done => break,
                None => match self.next_chunk().await? {
                    Some(chunk) => chunk,
                    None => {
                        self.done = true;
                        break;
                    }
                },
            };
            let len = chunk.length();
            let take = len.min((slice - self.buf.len()) as u32);
            let at = self.buf.len();
            self.buf.resize(at + take as usize, 0);
            chunk.subarray(0, take).copy_to(&mut self.buf[at..]);
            if take < len {
                self.rest = Some(chunk.subarray(take, len));
            }
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        self.offset += self.buf.len() as f64;
        Ok(Some((&self.buf, self.offset)))
    }

    async fn next_chunk(&mut self) -> Result<Option<Uint8Array>, String> {
        let failed = |e: JsValue| format!("The file could not be read: {e:?}");
        let result = JsFuture::from(self.reader.read()).await.map_err(failed)?;
        if Reflect::get(&result, &"done".into())
            .map_err(failed)?
            .is_truthy()
        {
            return Ok(None);
        }
        Reflect::get(&result, &"value".into())
            .map_err(failed)?
            .dyn_into::<Uint8Array>()
            .map(Some)
            .map_err(failed)
    }
}
