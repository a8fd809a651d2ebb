//! [`RowReader`]: decode -> records -> mapper over a file pushed in chunks of any size.
//! Invariant: every record after the header ends as exactly one row; a reader built from a
//! detection with a problem emits nothing.

use super::mapper::Mapper;
use super::{
    DecoderFactory, Detection, Limits, RowOutcome, RowRef, Target, decode, default_decoders,
    records,
};

/// Reads a whole file, pushed in chunks of any size, into [`RowOutcome`]s.
pub struct RowReader {
    decoder: decode::StreamDecoder,
    stage: records::RecordStage,
    mapper: Mapper,
    disabled: bool,
}

impl RowReader {
    /// A reader with the default [`Limits`].
    pub fn new(det: &Detection) -> RowReader {
        RowReader::with_limits(det, Limits::default())
    }

    pub fn with_limits(det: &Detection, limits: Limits) -> RowReader {
        RowReader::with_decoders(det, limits, default_decoders())
    }

    /// A reader whose encodings beyond the built-in five come from `decoders` (pass the
    /// factory given to [`detect_with`](super::detect_with)).
    pub fn with_decoders(
        det: &Detection,
        limits: Limits,
        decoders: &dyn DecoderFactory,
    ) -> RowReader {
        let mut col_of = [None; 7];
        for (i, t) in det.mapping.iter().enumerate() {
            if let Some(t) = t {
                col_of[t.index()].get_or_insert(i);
            }
        }
        let columns = det.columns.len().max(det.mapping.len());
        let hints = records::Hints {
            columns,
            single_line: det
                .mapping
                .iter()
                .map(|t| matches!(t, Some(t) if *t != Target::Note))
                .collect(),
            line_per_record: det.line_per_record,
        };
        RowReader {
            decoder: decode::StreamDecoder::new(&det.encoding, decoders),
            stage: records::RecordStage::new(det.delimiter, limits, hints),
            mapper: Mapper {
                data_start_line: det.data_start_line,
                columns: columns.max(1),
                col_of,
                max_field_bytes: limits.max_field_bytes,
                max_columns: limits.max_columns,
                errors: Vec::new(),
                key: String::new(),
                values: super::ValueMap::default(),
            },
            disabled: det.problem.is_some(),
        }
    }

    /// A reader for the rest of a file from a byte offset where [`RowReader::at_record_start`]
    /// holds for a reader of the whole file: no header there, no BOM, lines counted from 1
    /// (add the whole-file reader's `line() - 1`). Only for UTF-8 (see
    /// [`RowReader::at_record_start`]).
    pub fn continuing(det: &Detection, limits: Limits, decoders: &dyn DecoderFactory) -> RowReader {
        let mut reader = RowReader::with_decoders(det, limits, decoders);
        reader.decoder = decode::StreamDecoder::utf8_started();
        reader.mapper.data_start_line = 0;
        reader
    }

    /// True when the bytes pushed so far end between two records with nothing held back, so
    /// that a [`RowReader::continuing`] reader fed the rest of the file emits exactly the rows
    /// this one would (lines shifted by `line() - 1`). Always false for a file read from
    /// another encoding than UTF-8 (a decoder may hold state across pieces), for a disabled
    /// reader and before the data starts.
    pub fn at_record_start(&self) -> bool {
        !self.disabled
            && self.decoder.is_utf8_started()
            && self.stage.at_record_start()
            && self.stage.line() >= self.mapper.data_start_line
    }

    /// Applies the user's value mapping to the consent cells (a value mapped to yes or no
    /// is valid, one mapped to error is an error). Group values are left as the file has
    /// them: the server maps them (see [`ValueMap`](super::ValueMap)).
    pub fn set_values(&mut self, values: &super::ValueMap) {
        self.mapper.values = super::ValueMap {
            accepts_marketing: values.accepts_marketing.clone(),
            ..Default::default()
        };
    }

    /// Feeds the next chunk of the file; calls `out` for every complete record.
    pub fn push(&mut self, chunk: &[u8], out: &mut impl FnMut(RowOutcome)) {
        self.push_rows(chunk, &mut |r: RowRef<'_>| out(r.into_outcome()));
    }

    /// Signals the end of the file; emits the last record.
    pub fn finish(&mut self, out: &mut impl FnMut(RowOutcome)) {
        self.finish_rows(&mut |r: RowRef<'_>| out(r.into_outcome()));
    }

    /// [`RowReader::push`] without allocating per record: each row is lent to `out` as a
    /// [`RowRef`] (for passes that only count, check or keep a few rows).
    pub fn push_ref(&mut self, chunk: &[u8], out: &mut impl FnMut(&RowRef<'_>)) {
        self.push_rows(chunk, &mut |r: RowRef<'_>| out(&r));
    }

    /// [`RowReader::finish`] for [`RowReader::push_ref`].
    pub fn finish_ref(&mut self, out: &mut impl FnMut(&RowRef<'_>)) {
        self.finish_rows(&mut |r: RowRef<'_>| out(&r));
    }

    /// Both of the above: rows handed over by value, so that [`RowReader::push`] can keep
    /// the cells cleaning already copied instead of copying them again.
    fn push_rows(&mut self, chunk: &[u8], out: &mut impl FnMut(RowRef<'_>)) {
        if self.disabled {
            return;
        }
        let RowReader {
            decoder,
            stage,
            mapper,
            ..
        } = self;
        decoder.push(chunk, false, &mut |piece| {
            stage.push(piece, &mut |rec| {
                if let Some(r) = mapper.map_ref(rec) {
                    out(r)
                }
            })
        });
    }

    fn finish_rows(&mut self, out: &mut impl FnMut(RowRef<'_>)) {
        if self.disabled {
            return;
        }
        let RowReader {
            decoder,
            stage,
            mapper,
            ..
        } = self;
        let mut emit = |rec: &records::RawRecord<'_>| {
            if let Some(r) = mapper.map_ref(rec) {
                out(r)
            }
        };
        decoder.push(&[], true, &mut |piece| stage.push(piece, &mut emit));
        stage.finish(&mut emit);
    }

    /// The line the reader has reached (for progress).
    pub fn line(&self) -> u64 {
        self.stage.line()
    }
}
