//! Arbitrary bytes into every loader: no panic, no hang, and a record reader that always moves
//! forward. `RUSTC_BOOTSTRAP=1 cargo fuzz run csv_loader -- -max_total_time=600`
#![no_main]

use libfuzzer_sys::fuzz_target;
use reaseq_core::data::load::{load_csv_bytes, load_recbole_bytes, read_scores_csv, RecboleFiles};
use reaseq_core::data::text::{Dialect, RecordReader};
use reaseq_core::data::{LoadOptions, Strictness};

fuzz_target!(|data: &[u8]| {
    // The first byte picks how the rest is split into an items file and an interactions file.
    let (head, rest) = data.split_first().map_or((0, data), |(h, r)| (*h, r));
    let cut = if rest.is_empty() { 0 } else { head as usize % (rest.len() + 1) };
    let (items, inter) = rest.split_at(cut);
    for strictness in [Strictness::Strict, Strictness::Lenient] {
        let opts = LoadOptions { strictness, ..Default::default() };
        let _ = load_csv_bytes("fuzz", ("interactions.csv", inter), Some(("items.csv", items)), opts);
        let _ = load_csv_bytes("fuzz", ("interactions.csv", rest), None, opts);
        let _ = read_scores_csv("scores.csv", rest, strictness);
        let files = RecboleFiles {
            name: "fuzz".into(),
            inter: ("fuzz.inter".into(), inter),
            item: Some(("fuzz.item".into(), items)),
            kg: Some(("fuzz.kg".into(), items)),
            link: Some(("fuzz.link".into(), inter)),
        };
        let _ = load_recbole_bytes(files, opts);
    }
    for dialect in [Dialect::Csv, Dialect::Tsv] {
        let mut r = RecordReader::new("f", rest, dialect);
        let mut records = 0usize;
        while r.next().is_some() {
            records += 1;
            // Every record or problem consumes at least one byte.
            assert!(records <= rest.len(), "reader did not advance");
        }
    }
});
