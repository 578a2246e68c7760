//! Files a user opened (the browser's "Open data"): which dataset they hold, told apart by their
//! names as [`super::load_dir`] tells a directory's, and a clear refusal of anything that is not
//! data — an image, an archive, a file too large to open here — before a byte of it is parsed.

use super::{load_csv_bytes, load_recbole_bytes, LoadOptions, Loaded, RecboleFiles};
use crate::error::{Error, Result};

/// The most the page opens at once (all files together); larger data belongs to the CLI.
/// Measured (`node scale.js`, docs/results/benchmarks.md): 122 MB of CSV (5M interactions)
/// opened, taking 633 MB of the worker's memory and 726 MB of the page's heap; the files travel
/// to the worker as JSON (about four characters a byte), which a browser's strings bound to
/// some 150 MB, so the limit is the size that was measured to work.
pub const MAX_OPEN_BYTES: u64 = 128 << 20;

/// Whether a file of this name can be part of a dataset (so a folder's other files are not
/// even read).
pub fn dataset_file(name: &str) -> bool {
    let n = base(name);
    matches!(n, "interactions.csv" | "items.csv")
        || [".inter", ".item", ".kg", ".link"]
            .iter()
            .any(|e| n.ends_with(e))
}

/// What the first bytes of a file that is not text say it is.
fn not_text(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 6] = [
        (
            b"PK\x03\x04",
            "a zip archive: unzip it and open the files inside",
        ),
        (
            b"\x1f\x8b",
            "a gzip archive: unpack it and open the file inside",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"%PDF", "a PDF document"),
        (
            b"PAR1",
            "a Parquet file, which the page does not read yet: export it as CSV",
        ),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Some(what);
    }
    bytes[..bytes.len().min(8192)]
        .contains(&0)
        .then_some("a binary file, not text")
}

/// Refuses a file of `size` bytes before it is read, when it is too large to open here.
pub fn check_size(name: &str, size: u64) -> Result<()> {
    if size > MAX_OPEN_BYTES {
        return Err(Error::NotData {
            file: name.to_owned(),
            reason: format!(
                "{} MB, more than the page opens at once ({} MB): use `reaseq data stats --data DIR`",
                size >> 20,
                MAX_OPEN_BYTES >> 20
            ),
        });
    }
    Ok(())
}

/// The file's name without any folder the browser put before it.
fn base(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The folders before a file's name (`data/mine/` for `data/mine/interactions.csv`).
fn path_to(name: &str) -> &str {
    &name[..name.len() - base(name).len()]
}

/// The folder a file was opened from (`data/mine/interactions.csv` → `mine`), when it was.
fn folder(name: &str) -> Option<&str> {
    name.rsplit(['/', '\\']).nth(1).filter(|f| !f.is_empty())
}

/// Loads the dataset `files` hold: `interactions.csv` (+ `items.csv`), or RecBole atomic files
/// `NAME.inter` (+ `NAME.item`, `NAME.kg`, `NAME.link`). Other files (a folder's README, its
/// images) are ignored when a dataset is found; when none is, one that is not data is named.
pub fn load_opened(files: &[(String, &[u8])], opts: LoadOptions) -> Result<Loaded> {
    let total: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    if let Some((first, _)) = files.first() {
        check_size(&format!("{first} and the other files"), total)?;
    }
    // Only the files a dataset is made of are checked, so a folder may hold other things.
    let check = |name: &str, bytes: &[u8]| -> Result<()> {
        check_size(name, bytes.len() as u64)?;
        match not_text(bytes) {
            Some(what) => Err(Error::NotData {
                file: name.to_owned(),
                reason: format!("{what}, not a data file (open interactions.csv and items.csv, or RecBole .inter/.item files)"),
            }),
            None => Ok(()),
        }
    };
    let mains: Vec<&str> = files
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| base(n) == "interactions.csv" || n.ends_with(".inter"))
        .collect();
    if mains.len() > 1 {
        return Err(Error::NotFound(format!(
            "several datasets among the opened files ({}): open one at a time",
            mains.join(", ")
        )));
    }
    // A dataset's other files sit beside its main file, in the same folder.
    let beside = |main: &str, want: &str| {
        files
            .iter()
            .find(|(n, _)| base(n) == want && path_to(n) == path_to(main))
    };
    if let Some((inter, data)) = files.iter().find(|(n, _)| base(n) == "interactions.csv") {
        let items = beside(inter, "items.csv").map(|(n, b)| (n.as_str(), *b));
        check(inter, data)?;
        if let Some((n, b)) = items {
            check(n, b)?;
        }
        // Named by its folder, as the CLI names `--data DIR`, so a workspace's files fit it.
        let name = folder(inter).unwrap_or("your CSV files");
        return load_csv_bytes(name, (inter.as_str(), data), items, opts);
    }
    let inters: Vec<&(String, &[u8])> = files
        .iter()
        .filter(|(n, _)| n.ends_with(".inter"))
        .collect();
    match inters.as_slice() {
        [(inter, data)] => {
            let stem = base(inter).trim_end_matches(".inter");
            let part =
                |ext: &str| beside(inter, &format!("{stem}.{ext}")).map(|(n, b)| (n.clone(), *b));
            let files = RecboleFiles {
                name: stem.to_owned(),
                inter: (inter.clone(), data),
                item: part("item"),
                kg: part("kg"),
                link: part("link"),
            };
            check(inter, data)?;
            for (n, b) in [&files.item, &files.kg, &files.link].into_iter().flatten() {
                check(n, b)?;
            }
            load_recbole_bytes(files, opts)
        }
        [] => {
            // No dataset by name: say what the files are, when one is plainly not data.
            for (name, bytes) in files {
                check(name, bytes)?;
            }
            let names: Vec<&str> = files.iter().map(|(n, _)| base(n)).collect();
            Err(Error::NotFound(format!(
                "no dataset among the opened files ({}): open interactions.csv (+ items.csv), or RecBole atomic files NAME.inter (+ NAME.item, NAME.kg, NAME.link)",
                names.join(", ")
            )))
        }
        // Several were refused above.
        _ => Err(Error::NotFound(
            "several .inter files were opened: open one RecBole dataset at a time".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(files: &[(&str, &[u8])]) -> Result<Loaded> {
        let owned: Vec<(String, &[u8])> = files.iter().map(|(n, b)| (n.to_string(), *b)).collect();
        load_opened(&owned, LoadOptions::default())
    }

    #[test]
    fn csv_and_recbole_files_are_told_apart_by_name() {
        let inter = b"user_id,item_id,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\n";
        let items = b"item_id,title\ni1,<b>One</b>\ni2,Two\n";
        let csv = open(&[("data/items.csv", items), ("data/interactions.csv", inter)]).unwrap();
        assert_eq!((csv.dataset.num_users(), csv.dataset.num_items()), (2, 2));
        assert_eq!(csv.dataset.items[0].title, "<b>One</b>");
        let recbole = b"user_id:token\titem_id:token\ttimestamp:float\nu1\ti1\t1\nu2\ti1\t2\n";
        let r = open(&[("ml.inter", recbole), ("notes.txt", b"hello")]).unwrap();
        assert_eq!(r.dataset.name, "ml");
        assert_eq!(r.dataset.interactions.len(), 2);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn csv_opened_from_a_folder_is_the_dataset_the_cli_loads_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        let inter = b"user_id,item_id,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\n";
        std::fs::write(mine.join("interactions.csv"), inter).unwrap();
        let cli = super::super::load_dir(&mine, LoadOptions::default()).unwrap();
        let page = open(&[("data/mine/interactions.csv", inter)]).unwrap();
        assert_eq!(page.dataset.name, "mine");
        assert_eq!(page.dataset.fingerprint(), cli.dataset.fingerprint());
        // Another dataset beside it is refused, not chosen between.
        let e = open(&[
            ("data/mine/interactions.csv", inter),
            ("data/ml/ml.inter", b"user_id:token\titem_id:token\n"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("several datasets among the opened files (data/mine/interactions.csv, data/ml/ml.inter)"), "{e}");
        // Files without a folder (a file input) have none to be named by.
        let loose = open(&[("interactions.csv", inter)]).unwrap();
        assert_eq!(loose.dataset.name, "your CSV files");
    }

    #[test]
    fn progress_is_the_share_of_all_files_read_and_ends_at_one() {
        let mut inter = String::from("user_id,item_id,timestamp\n");
        for k in 0..50_000 {
            inter.push_str(&format!("u{},i{},{k}\n", k % 100, k % 30));
        }
        let items: String = std::iter::once("item_id,title\n".to_owned())
            .chain((0..30).map(|i| format!("i{i},Film {i}\n")))
            .collect();
        let heard = std::cell::RefCell::new(Vec::new());
        let listen = |p: f64| heard.borrow_mut().push(p);
        let files = [
            ("items.csv".to_owned(), items.as_bytes()),
            ("interactions.csv".to_owned(), inter.as_bytes()),
        ];
        let opts = LoadOptions {
            progress: Some(&listen),
            ..Default::default()
        };
        load_opened(&files, opts).unwrap();
        let heard = heard.into_inner();
        assert!(heard.len() >= 4, "{heard:?}");
        assert!(heard.windows(2).all(|w| w[0] <= w[1]), "{heard:?}");
        assert!(
            heard[0] < 0.01,
            "the small items file comes first: {heard:?}"
        );
        assert_eq!(heard.last(), Some(&1.0));
    }

    #[test]
    fn what_is_not_data_is_named_before_it_is_parsed() {
        let e = open(&[("photo.png", b"\x89PNG\r\n\x1a\n....")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("photo.png: a PNG image"), "{e}");
        let e = open(&[("data.zip", b"PK\x03\x04rest")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unzip it"), "{e}");
        let with_photo = open(&[
            ("interactions.csv", b"user_id,item_id,timestamp\nu1,i1,1\n"),
            ("p.png", b"\x89PNG.."),
        ]);
        assert!(
            with_photo.is_ok(),
            "a folder's other files are not the dataset's"
        );
        let e = open(&[("notes.txt", b"hello")]).unwrap_err().to_string();
        assert!(
            e.contains("no dataset among the opened files (notes.txt)"),
            "{e}"
        );
        assert!(dataset_file("dir/ml.kg") && !dataset_file("README.txt"));
        let e = check_size("big.csv", 300 << 20).unwrap_err().to_string();
        assert!(
            e.starts_with("big.csv: 300 MB, more than the page opens at once (128 MB)"),
            "{e}"
        );
        let bad = b"user_id,item_id,timestamp\nu1,i1,1\nu1,i2,yesterday\n";
        let e = open(&[("interactions.csv", bad)]).unwrap_err().to_string();
        assert!(e.contains("interactions.csv:3: timestamp"), "{e}");
    }
}
